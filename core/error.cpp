#include "core/error.h"

namespace garde::core {

std::string_view errorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kMalformedMessage:
      return "malformed_message";
    case ErrorCode::kForbiddenXml:
      return "forbidden_xml";
    case ErrorCode::kLimitExceeded:
      return "limit_exceeded";
    case ErrorCode::kBadEncoding:
      return "bad_encoding";
    case ErrorCode::kSignatureMissing:
      return "signature_missing";
    case ErrorCode::kSignatureInvalid:
      return "signature_invalid";
    case ErrorCode::kSignatureProfile:
      return "signature_profile";
    case ErrorCode::kAlgorithmForbidden:
      return "algorithm_forbidden";
    case ErrorCode::kNoTrustedKey:
      return "no_trusted_key";
    case ErrorCode::kDuplicateId:
      return "duplicate_id";
    case ErrorCode::kAudienceMismatch:
      return "audience_mismatch";
    case ErrorCode::kRecipientMismatch:
      return "recipient_mismatch";
    case ErrorCode::kDestinationMismatch:
      return "destination_mismatch";
    case ErrorCode::kIssuerMismatch:
      return "issuer_mismatch";
    case ErrorCode::kInResponseToMismatch:
      return "in_response_to_mismatch";
    case ErrorCode::kExpired:
      return "expired";
    case ErrorCode::kNotYetValid:
      return "not_yet_valid";
    case ErrorCode::kReplayed:
      return "replayed";
    case ErrorCode::kReplayCacheFull:
      return "replay_cache_full";
    case ErrorCode::kReplayCacheUnavailable:
      return "replay_cache_unavailable";
    case ErrorCode::kStatusNotSuccess:
      return "status_not_success";
    case ErrorCode::kNoPassive:
      return "no_passive";
    case ErrorCode::kDecryptionFailed:
      return "decryption_failed";
    case ErrorCode::kUnknownPeer:
      return "unknown_peer";
    case ErrorCode::kUnknownUser:
      return "unknown_user";
    case ErrorCode::kUnknownResource:
      return "unknown_resource";
    case ErrorCode::kNotEntitled:
      return "not_entitled";
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kStoreError:
      return "store_error";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConfigInvalid:
      return "config_invalid";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out(errorCodeName(code));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

}  // namespace garde::core
