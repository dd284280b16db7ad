#pragma once
/// @file Owning handles (core::CHandle) for the OpenSSL and xmlsec objects saml/ uses; internal to
/// saml/'s .cpp files (public headers forward-declare instead).

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysdata.h>

#include <memory>

#include "core/c_handle.h"

namespace garde::saml {

using Bio = core::CHandle<BIO, BIO_free_all>;
using Bignum = core::CHandle<BIGNUM, BN_free>;
using CipherCtx = core::CHandle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EcdsaSig = core::CHandle<ECDSA_SIG, ECDSA_SIG_free>;
using EvpMd = core::CHandle<EVP_MD, EVP_MD_free>;
using EvpPkey = core::CHandle<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtx = core::CHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using X509Handle = core::CHandle<X509, X509_free>;

/// OPENSSL_free is a macro (it passes the caller's file and line), so it needs a hand-written
/// deleter.
struct OpensslFree {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
/// Bytes OpenSSL allocated for the caller (i2d_* output, a label copy...).
using OpensslBytes = std::unique_ptr<unsigned char, OpensslFree>;

using SecKey = core::CHandle<xmlSecKey, xmlSecKeyDestroy>;
using SecKeyData = core::CHandle<xmlSecKeyData, xmlSecKeyDataDestroy>;

}  // namespace garde::saml
