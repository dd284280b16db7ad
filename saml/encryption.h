#pragma once
/// @file Assertion encryption (SAML2 Core 6; XML Encryption 1.1): AES-256-GCM content encryption,
/// RSA-OAEP key transport (rsa-oaep-mgf1p with SHA-1 out, for interop; SHA-2 digests and xmlenc11
/// rsa-oaep accepted in; docs/adr/0003-assertion-encryption.md).
///
/// Decryption never hands decrypted bytes to a lax parser: the plaintext is parsed with
/// parseUntrusted() and grafted into the caller's tree, its IDs registered and checked for
/// duplicates, so the caller then verifies the assertion's signature on that same tree
/// (decrypt-then-verify).

#include <libxml/tree.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "core/result.h"
#include "saml/keys.h"

namespace garde::saml {

/// Replaces `assertion` (a saml:Assertion, usually signed already) in its document by a
/// saml:EncryptedAssertion for `recipient`'s RSA key: AES-256-GCM under a fresh 256-bit key and
/// 96-bit nonce, both drawn from `random`, the key wrapped with RSA-OAEP (OpenSSL draws the
/// padding's seed itself: its API takes none). Returns the new EncryptedAssertion element.
/// Errors: kAlgorithmForbidden if the recipient's key is not RSA; kInternal on crypto failure.
core::Result<xmlNode*> encryptAssertion(xmlNode* assertion, const Certificate& recipient,
                                        core::Random& random);

/// The same encryption written as text, without a tree: the `<saml:EncryptedAssertion>` element
/// (xenc and ds declared on its EncryptedData, as encryptAssertion writes them) whose plaintext is
/// `assertion_xml`, a saml:Assertion element that declares every namespace it uses (one written in
/// canonical form, e.g. by writeResponseWithEncryptedAssertion in saml/message_text.h). The
/// caller places it where the `saml` prefix is bound to the assertion namespace. Draws the key
/// and nonce from `random` in encryptAssertion's order. Errors: as encryptAssertion.
core::Result<std::string> encryptedAssertionText(std::string_view assertion_xml,
                                                 const Certificate& recipient,
                                                 core::Random& random);

/// Decrypts a saml:EncryptedAssertion in place with any of `keys` (several during a rollover):
/// the EncryptedAssertion is replaced by the decrypted saml:Assertion, which is returned.
/// Errors: kMalformedMessage (not an EncryptedAssertion, missing parts), kAlgorithmForbidden
/// (content or key-transport algorithm outside AES-GCM/AES-CBC-256 and RSA-OAEP),
/// kDecryptionFailed, plus any parseUntrusted() error of the plaintext, kDuplicateId if its IDs
/// collide with the document.
core::Result<xmlNode*> decryptAssertion(xmlNode* encrypted_assertion,
                                        const std::vector<PrivateKey>& keys);

}  // namespace garde::saml
