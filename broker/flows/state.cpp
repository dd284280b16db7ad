#include "broker/flows/state.h"

#include <charconv>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/result.h"

namespace garde::broker::flows {
namespace {

constexpr char kSep = '\x1f';
constexpr std::string_view kVersion = "v4";

core::Result<std::string> join(const std::vector<std::string_view>& fields) {
  std::string out(kVersion);
  for (std::string_view f : fields) {
    if (f.find(kSep) != std::string_view::npos) {
      return core::fail(core::ErrorCode::kBadRequest, "a state field holds a control character");
    }
    out += kSep;
    out += f;
  }
  return out;
}

core::Result<std::vector<std::string>> split(std::string_view payload, std::size_t count) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = payload.find(kSep, start);
    out.emplace_back(payload.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  // An authenticated token of another shape is a programming error between versions, not an
  // attack; still answered as a malformed message rather than asserted.
  if (out.size() != count + 1 || out[0] != kVersion) {
    return core::fail(core::ErrorCode::kMalformedMessage, "state token of an unknown layout");
  }
  out.erase(out.begin());
  return out;
}

std::optional<std::string> optionalField(const std::string& flag, const std::string& value) {
  return flag == "1" ? std::optional<std::string>(value) : std::nullopt;
}

}  // namespace

core::Result<std::string> sealLaunch(const core::TokenSealer& sealer, const LaunchState& s,
                                     core::UnixTime expires) {
  auto payload = join({s.ent_id, s.uai, s.resource_id});
  if (!payload) {
    return payload;
  }
  return sealer.seal(purpose::kLaunch, *payload, expires);
}

core::Result<LaunchState> unsealLaunch(const core::TokenSealer& sealer, std::string_view token,
                                       core::UnixTime now) {
  auto payload = sealer.unseal(purpose::kLaunch, token, now);
  if (!payload) {
    return core::fail(std::move(payload).error());
  }
  auto f = split(*payload, 3);
  if (!f) {
    return core::fail(std::move(f).error());
  }
  return LaunchState{(*f)[0], (*f)[1], (*f)[2]};
}

namespace {

constexpr std::size_t kTransactionFields = 15;

core::Result<std::string> transactionPayload(const SsoTransaction& t,
                                             std::initializer_list<std::string_view> more = {}) {
  const std::string requested_at = std::to_string(t.ent_requested_at);
  const std::string request_id = t.publisher_request_id.value_or("");
  std::vector<std::string_view> fields = {t.ent_id,
                                          t.uai,
                                          t.resource_id,
                                          t.publisher_id,
                                          t.publisher_request_id ? "1" : "0",
                                          request_id,
                                          t.acs_url,
                                          t.relay_state,
                                          t.ent_request_id,
                                          requested_at,
                                          t.force_authn ? "1" : "0",
                                          t.is_passive ? "1" : "0",
                                          t.browser_binding,
                                          t.transient_name_id ? "t" : "p",
                                          t.admin_login ? "1" : "0"};
  fields.insert(fields.end(), more.begin(), more.end());
  return join(fields);
}

core::Result<std::int64_t> number(const std::string& v) {
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return core::fail(core::ErrorCode::kMalformedMessage, "state token of an unknown layout");
  }
  return out;
}

/// The transaction in the first kTransactionFields fields of `v`.
core::Result<SsoTransaction> readTransaction(const std::vector<std::string>& v) {
  SsoTransaction t;
  t.ent_id = v[0];
  t.uai = v[1];
  t.resource_id = v[2];
  t.publisher_id = v[3];
  t.publisher_request_id = optionalField(v[4], v[5]);
  t.acs_url = v[6];
  t.relay_state = v[7];
  t.ent_request_id = v[8];
  GARDE_ASSIGN_OR_RETURN(t.ent_requested_at, number(v[9]));
  t.force_authn = v[10] == "1";
  t.is_passive = v[11] == "1";
  t.browser_binding = v[12];
  t.transient_name_id = v[13] == "t";
  t.admin_login = v[14] == "1";
  return t;
}

}  // namespace

core::Result<std::string> sealTransaction(const core::TokenSealer& sealer, std::string_view which,
                                          const SsoTransaction& t, core::UnixTime expires) {
  auto payload = transactionPayload(t);
  if (!payload) {
    return payload;
  }
  return sealer.seal(which, *payload, expires);
}

core::Result<SsoTransaction> unsealTransaction(const core::TokenSealer& sealer,
                                               std::string_view which, std::string_view token,
                                               core::UnixTime now) {
  auto payload = sealer.unseal(which, token, now);
  if (!payload) {
    return core::fail(std::move(payload).error());
  }
  auto f = split(*payload, kTransactionFields);
  if (!f) {
    return core::fail(std::move(f).error());
  }
  return readTransaction(*f);
}

core::Result<std::string> sealChoice(const core::TokenSealer& sealer, const ChoiceState& s,
                                     core::UnixTime expires) {
  const std::string authn_instant = std::to_string(s.authn_instant);
  auto payload = transactionPayload(
      s.tx, {s.person_id, authn_instant, s.authn_context_class_ref, s.ent_response_id,
             s.ent_name_id.value, s.ent_name_id.format, s.ent_name_id.name_qualifier,
             s.ent_name_id.sp_name_qualifier, s.ent_session_index});
  if (!payload) {
    return payload;
  }
  return sealer.seal(purpose::kChoice, *payload, expires);
}

core::Result<ChoiceState> unsealChoice(const core::TokenSealer& sealer, std::string_view token,
                                       core::UnixTime now) {
  auto payload = sealer.unseal(purpose::kChoice, token, now);
  if (!payload) {
    return core::fail(std::move(payload).error());
  }
  auto f = split(*payload, kTransactionFields + 9);
  if (!f) {
    return core::fail(std::move(f).error());
  }
  const auto& v = *f;
  ChoiceState s;
  GARDE_ASSIGN_OR_RETURN(s.tx, readTransaction(v));
  s.person_id = v[kTransactionFields];
  GARDE_ASSIGN_OR_RETURN(s.authn_instant, number(v[kTransactionFields + 1]));
  s.authn_context_class_ref = v[kTransactionFields + 2];
  s.ent_response_id = v[kTransactionFields + 3];
  s.ent_name_id = saml::NameID{v[kTransactionFields + 4], v[kTransactionFields + 5],
                               v[kTransactionFields + 6], v[kTransactionFields + 7]};
  s.ent_session_index = v[kTransactionFields + 8];
  return s;
}

core::Result<std::string> sealReturn(const core::TokenSealer& sealer, const ReturnState& s,
                                     core::UnixTime expires) {
  auto payload =
      join({s.publisher_id, s.publisher_request_id ? "1" : "0", s.publisher_request_id.value_or(""),
            s.acs_url, s.relay_state, s.saml_sub_status, s.saml_status, s.saml_status_message});
  if (!payload) {
    return payload;
  }
  return sealer.seal(purpose::kReturn, *payload, expires);
}

core::Result<ReturnState> unsealReturn(const core::TokenSealer& sealer, std::string_view token,
                                       core::UnixTime now) {
  auto payload = sealer.unseal(purpose::kReturn, token, now);
  if (!payload) {
    return core::fail(std::move(payload).error());
  }
  auto f = split(*payload, 8);
  if (!f) {
    return core::fail(std::move(f).error());
  }
  auto& v = *f;
  return ReturnState{v[0], optionalField(v[1], v[2]), v[3], v[4], v[5], v[6], v[7]};
}

}  // namespace garde::broker::flows
