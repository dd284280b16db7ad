#!/bin/sh
# Regenerates the assertion-encryption fixtures with the xmlsec1 command-line tool (Debian xmlsec1),
# an encrypter independent of garde's code: the tests decrypt these with garde.
#   cd tests/data/saml/encryption && ./make_fixtures.sh
# Test keys only: recipient.key.pem is public in this repository and protects nothing.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f recipient.key.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout recipient.key.pem -out recipient.crt.pem \
    -days 36500 -subj "/CN=garde encryption test recipient" 2>/dev/null
fi

XENC=http://www.w3.org/2001/04/xmlenc#
# template <content algorithm> <key transport algorithm> <digest element or empty>
template() {
  cat <<T
<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element">
  <xenc:EncryptionMethod Algorithm="$1"/>
  <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <xenc:EncryptedKey>
      <xenc:EncryptionMethod Algorithm="$2">$3</xenc:EncryptionMethod>
      <xenc:CipherData><xenc:CipherValue/></xenc:CipherData>
    </xenc:EncryptedKey>
  </ds:KeyInfo>
  <xenc:CipherData><xenc:CipherValue/></xenc:CipherData>
</xenc:EncryptedData></saml:EncryptedAssertion>
T
}
GCM=http://www.w3.org/2009/xmlenc11#aes256-gcm
CBC=${XENC}aes256-cbc
OAEP=${XENC}rsa-oaep-mgf1p
SHA1='<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>'
template "$GCM" "$OAEP" "$SHA1" > "$tmp/gcm.xml"
template "$CBC" "$OAEP" "" > "$tmp/cbc.xml"
template "$GCM" "${XENC}rsa-1_5" "" > "$tmp/rsa15.xml"

# Encrypts the Assertion of response-plain.xml in place (its saml prefix is declared on the
# Response, so the plaintext relies on an ancestor's declaration, as real IdPs produce).
sed 's|<saml:Assertion |<saml:EncryptedAssertion><saml:Assertion |; s|</saml:Assertion>|</saml:Assertion></saml:EncryptedAssertion>|' \
  response-plain.xml > "$tmp/plain-wrapped.xml"

encrypt() {  # <template> <session key> <output>
  xmlsec1 --encrypt --pubkey-cert-pem recipient.crt.pem --session-key "$2" \
    --xml-data "$tmp/plain-wrapped.xml" --node-id _a7d1c0ffee \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
    --output "$tmp/out.xml" "$1"
  # The template's own EncryptedAssertion wrapper is dropped: the one in the Response stays.
  sed -e 's|^<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">||' \
      -e 's|</xenc:EncryptedData></saml:EncryptedAssertion>$|</xenc:EncryptedData>|' "$tmp/out.xml" > "$3"
}
encrypt "$tmp/gcm.xml" aes-256 response-xmlsec1-gcm.xml
encrypt "$tmp/cbc.xml" aes-256 response-xmlsec1-cbc.xml
encrypt "$tmp/rsa15.xml" aes-256 response-rsa15.xml

# Arbitrary plaintexts, encrypted as bytes under a Type=Element EncryptedData.
encrypt_bytes() {  # <plaintext> <output>
  printf '%s' "$1" > "$tmp/plain.txt"
  xmlsec1 --encrypt --pubkey-cert-pem recipient.crt.pem --session-key aes-256 \
    --binary-data "$tmp/plain.txt" --output "$2" "$tmp/gcm.xml"
}
encrypt_bytes '<!DOCTYPE saml:Assertion [<!ENTITY x "x">]><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_d0c" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">&x;</saml:Assertion>' \
  encrypted-doctype.xml
encrypt_bytes '<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example.org</saml:Issuer>' \
  encrypted-not-assertion.xml
