#include "broker/flows/logout_state.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace garde::broker::flows {
namespace {

constexpr char kSep = '\x1f';
constexpr std::string_view kVersion = "s1";

core::Error layout() {
  return core::Error{core::ErrorCode::kMalformedMessage, "state token of an unknown layout"};
}

/// Fields joined with U+001F after the version; a field holding U+001F is refused, so fields
/// never shift.
class Writer {
 public:
  Writer() : out_(kVersion) {}
  void add(std::string_view field) {
    if (field.find(kSep) != std::string_view::npos) {
      bad_ = true;
    }
    out_ += kSep;
    out_ += field;
  }
  void flag(bool b) { add(b ? "1" : "0"); }
  void number(std::size_t n) { add(std::to_string(n)); }
  void nameId(const saml::NameID& n) {
    add(n.value);
    add(n.format);
    add(n.name_qualifier);
    add(n.sp_name_qualifier);
  }
  void publisher(const SessionPublisher& p) {
    add(p.publisher_id);
    nameId(p.name_id);
    add(p.session_index);
  }
  core::Result<std::string> finish() && {
    if (bad_) {
      return core::fail(core::ErrorCode::kBadRequest, "a state field holds a control character");
    }
    return std::move(out_);
  }

 private:
  std::string out_;
  bool bad_ = false;
};

class Reader {
 public:
  explicit Reader(std::string_view payload) {
    std::size_t start = 0;
    while (true) {
      const std::size_t end = payload.find(kSep, start);
      fields_.emplace_back(
          payload.substr(start, end == std::string_view::npos ? end : end - start));
      if (end == std::string_view::npos) {
        break;
      }
      start = end + 1;
    }
    ok_ = !fields_.empty() && fields_[0] == kVersion;
    next_ = 1;
  }
  std::string next() {
    if (next_ >= fields_.size()) {
      ok_ = false;
      return {};
    }
    return std::string(fields_[next_++]);
  }
  bool flag() { return next() == "1"; }
  std::size_t number(std::size_t max) {
    const std::string v = next();
    std::size_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || out > max) {
      ok_ = false;
      return 0;
    }
    return out;
  }
  saml::NameID nameId() {
    saml::NameID n;
    n.value = next();
    n.format = next();
    n.name_qualifier = next();
    n.sp_name_qualifier = next();
    return n;
  }
  SessionPublisher publisher() {
    SessionPublisher p;
    p.publisher_id = next();
    p.name_id = nameId();
    p.session_index = next();
    return p;
  }
  /// Every field read, none left over.
  bool done() const { return ok_ && next_ == fields_.size(); }

 private:
  std::vector<std::string_view> fields_;
  std::size_t next_ = 0;
  bool ok_ = false;
};

/// Sanity bound on list lengths read back (a token is ours, but never trusted to be small).
constexpr std::size_t kMaxList = 64;

}  // namespace

void rememberPublisher(LoginSession& session, SessionPublisher publisher) {
  std::erase_if(session.publishers, [&](const SessionPublisher& p) {
    return p.publisher_id == publisher.publisher_id;
  });
  session.publishers.push_back(std::move(publisher));
  while (session.publishers.size() > kMaxSessionPublishers) {
    session.publishers.erase(session.publishers.begin());
  }
}

std::string_view outcomeName(LogoutOutcome outcome) noexcept {
  switch (outcome) {
    case LogoutOutcome::kLoggedOut:
      return "logged_out";
    case LogoutOutcome::kFailed:
      return "failed";
    case LogoutOutcome::kSkipped:
      return "skipped";
  }
  return "failed";
}

core::Result<std::string> sealSession(const core::TokenSealer& sealer, const LoginSession& s,
                                      core::UnixTime expires) {
  Writer w;
  w.add(s.ent_id);
  w.nameId(s.ent_name_id);
  w.add(s.ent_session_index);
  w.number(s.publishers.size());
  for (const SessionPublisher& p : s.publishers) {
    w.publisher(p);
  }
  GARDE_ASSIGN_OR_RETURN(auto payload, std::move(w).finish());
  return sealer.seal(purpose::kSession, payload, expires);
}

core::Result<LoginSession> unsealSession(const core::TokenSealer& sealer, std::string_view token,
                                         core::UnixTime now) {
  GARDE_ASSIGN_OR_RETURN(auto payload, sealer.unseal(purpose::kSession, token, now));
  Reader r(payload);
  LoginSession s;
  s.ent_id = r.next();
  s.ent_name_id = r.nameId();
  s.ent_session_index = r.next();
  const std::size_t n = r.number(kMaxList);
  for (std::size_t i = 0; i < n; ++i) {
    s.publishers.push_back(r.publisher());
  }
  if (!r.done()) {
    return core::fail(layout());
  }
  return s;
}

core::Result<std::string> sealLogout(const core::TokenSealer& sealer, const LogoutRun& run,
                                     core::UnixTime expires) {
  Writer w;
  w.flag(run.from_ent);
  w.add(run.initiator);
  w.add(run.initiator_request_id);
  w.flag(run.has_relay_state);
  w.add(run.relay_state);
  w.add(run.ent_id);
  w.nameId(run.ent_name_id);
  w.add(run.ent_session_index);
  w.flag(run.ent_pending);
  w.number(run.pending.size());
  for (const SessionPublisher& p : run.pending) {
    w.publisher(p);
  }
  w.add(run.awaiting);
  w.flag(run.awaiting_ent);
  w.add(run.awaiting_request_id);
  w.number(run.results.size());
  for (const LogoutResult& r : run.results) {
    w.add(r.publisher_id);
    w.add(outcomeName(r.outcome));
  }
  GARDE_ASSIGN_OR_RETURN(auto payload, std::move(w).finish());
  return sealer.seal(purpose::kLogout, payload, expires);
}

core::Result<LogoutRun> unsealLogout(const core::TokenSealer& sealer, std::string_view token,
                                     core::UnixTime now) {
  GARDE_ASSIGN_OR_RETURN(auto payload, sealer.unseal(purpose::kLogout, token, now));
  Reader r(payload);
  LogoutRun run;
  run.from_ent = r.flag();
  run.initiator = r.next();
  run.initiator_request_id = r.next();
  run.has_relay_state = r.flag();
  run.relay_state = r.next();
  run.ent_id = r.next();
  run.ent_name_id = r.nameId();
  run.ent_session_index = r.next();
  run.ent_pending = r.flag();
  const std::size_t pending = r.number(kMaxList);
  for (std::size_t i = 0; i < pending; ++i) {
    run.pending.push_back(r.publisher());
  }
  run.awaiting = r.next();
  run.awaiting_ent = r.flag();
  run.awaiting_request_id = r.next();
  const std::size_t results = r.number(kMaxList);
  for (std::size_t i = 0; i < results; ++i) {
    LogoutResult result;
    result.publisher_id = r.next();
    const std::string outcome = r.next();
    result.outcome = outcome == "logged_out" ? LogoutOutcome::kLoggedOut
                     : outcome == "skipped"  ? LogoutOutcome::kSkipped
                                             : LogoutOutcome::kFailed;
    run.results.push_back(std::move(result));
  }
  if (!r.done()) {
    return core::fail(layout());
  }
  return run;
}

}  // namespace garde::broker::flows
