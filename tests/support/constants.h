#pragma once
// The fixed values test messages are built with: one instant, the test ENT IdP and garde's SP.

#include "core/time.h"

namespace garde::test {

inline constexpr core::UnixTime kNow = 1795456800;  // 2026-11-23T18:00:00Z
inline constexpr const char* kIdpEntityId = "https://ent.example.org/idp";
inline constexpr const char* kIdpSsoUrl = "https://ent.example.org/idp/sso";
inline constexpr const char* kSpEntityId = "https://garde.example.org/sp";
inline constexpr const char* kAcsUrl = "https://garde.example.org/sp/acs";
inline constexpr const char* kRequestId = "_req0123456789abcdef0123456789abcdef01234567";
inline constexpr const char* kResponseId = "_resp123456789abcdef0123456789abcdef0123456";
inline constexpr const char* kAssertionId = "_asrt123456789abcdef0123456789abcdef0123456";

}  // namespace garde::test
