#pragma once
/// @file garde's outgoing messages of every launch written directly as text, without a libxml2
/// tree: the Response to the publisher with its signed assertion, and the AuthnRequest to the ENT.
///
/// The Response garde's IdP sends a publisher carries one assertion signed with an enveloped
/// signature. Built as a tree (buildResponse, signElement, serialize), that costs a tree, two
/// canonicalizations and a serialization for every launch. Here the assertion is written once,
/// already in exclusive canonical form (escaping of saml/canonical_text.h, attributes and namespace
/// declarations in canonical order, end tags for empty elements): those bytes are both the digest's
/// input and, with the Signature inserted after the Issuer, the assertion sent.
///
/// The result is the document the tree path makes: same elements, attributes, values, and the same
/// canonical form, hence the same digest and signature (tests/saml/message_text_test.cpp compares
/// the two byte for byte after C14N). Only what canonicalization erases differs: where the xsi
/// namespace is declared, attribute order, empty-element tags, character references.

#include <string>

#include "core/random.h"
#include "core/result.h"
#include "saml/keys.h"
#include "saml/messages.h"

namespace garde::saml {

/// The serialized Response `r` (XML declaration included) carrying `assertion` signed with
/// `signing` (the key's default algorithm, as signElement): what buildResponse(r, {assertion}),
/// signElement(assertion element, signing) and serialize() give.
/// Errors: as buildResponse (kMalformedMessage for a missing ID, Issuer, NameID value, Method or
/// attribute Name; kBadEncoding for a value that is not XML text), kInternal if signing fails.
core::Result<std::string> writeResponseWithSignedAssertion(const Response& r,
                                                           const Assertion& assertion,
                                                           const Credential& signing);

/// The serialized Response `r` carrying `assertion` signed with `signing` as above, then encrypted
/// for `recipient` (saml/encryption.h encryptedAssertionText: AES-256-GCM, RSA-OAEP key
/// transport, key and nonce from `random`): what buildResponse(r, {assertion}),
/// signElement(assertion element, signing), encryptAssertion(assertion element, recipient, random)
/// and serialize() give, up to what C14N erases; the decrypted assertion is the one
/// writeResponseWithSignedAssertion sends. Errors: as writeResponseWithSignedAssertion, and
/// encryptAssertion's (kAlgorithmForbidden for a recipient key that is not RSA).
core::Result<std::string> writeResponseWithEncryptedAssertion(const Response& r,
                                                              const Assertion& assertion,
                                                              const Credential& signing,
                                                              const Certificate& recipient,
                                                              core::Random& random);

/// The AuthnRequest `r` as XML text without declaration: what serialize(buildAuthnRequest(r),
/// false) gives, up to what C14N erases (the Redirect binding signs the query, not the XML, so only
/// the document matters). Errors: as buildAuthnRequest.
core::Result<std::string> writeAuthnRequest(const AuthnRequest& r);

}  // namespace garde::saml
