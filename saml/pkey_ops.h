#pragma once
/// @file Digests and raw signatures with OpenSSL objects prepared once, for saml/ only (not part
/// of garde's API). OpenSSL 3 looks an algorithm up in its provider store, under a lock, each time
/// a legacy EVP_MD or a new EVP_PKEY_CTX is used, and checks the key again at each *Init; on the
/// launch path that was about 8 µs per RSA-2048 signature and as much per verification. Here the
/// digests are fetched once per process and the signing and verifying contexts prepared once per
/// key, digest and thread (docs/adr/0007-launch-path-performance.md).

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace garde::saml::pkey {

/// SHA-256, SHA-384 or SHA-512 by OpenSSL name ("SHA256"...), fetched once; nullptr for any
/// other name (never SHA-1 or MD5).
const EVP_MD* digestNamed(std::string_view name) noexcept;
/// SHA-1, only to verify a signature a peer's named algorithm exception allows (never to sign:
/// digestNamed does not know it).
const EVP_MD* sha1ForGrantedVerification() noexcept;

/// Digest of `data` into `out` (at least EVP_MAX_MD_SIZE bytes); false on failure.
bool digest(const EVP_MD* md, std::string_view data, unsigned char* out,
            unsigned int* out_len) noexcept;

/// PKCS#1 v1.5 (RSA) or DER ECDSA signature of `data` hashed with `md`; empty on failure.
std::string sign(EVP_PKEY* key, const EVP_MD* md, std::string_view data);

/// Whether `signature` (PKCS#1 v1.5 for RSA, DER for ECDSA) verifies over `data` hashed with `md`.
/// Leaves OpenSSL's error queue empty.
bool verify(EVP_PKEY* key, const EVP_MD* md, std::string_view data,
            std::string_view signature) noexcept;

/// RSA-OAEP encryption of `data` for the RSA `key` with SHA-1 as both the OAEP hash and MGF1's
/// (XML Encryption's rsa-oaep-mgf1p), no label, with a context prepared once per key and thread;
/// OpenSSL draws the padding's seed. Empty on failure (a key that is not RSA, `data` too long).
std::string encryptOaepSha1(EVP_PKEY* key, std::string_view data);

}  // namespace garde::saml::pkey
