/* Test identities (RSA key + X.509 certificate), generated when the tests run with wolfSSL's
 * key and certificate generation, so no fixed certificate can expire. */
#ifndef VMPORT_CTL_TEST_PKI_H
#define VMPORT_CTL_TEST_PKI_H

#include <stddef.h>
#include <stdint.h>

struct test_id {
	uint8_t key[2560]; /* RSA private key, PKCS#1 DER */
	size_t key_len;
	uint8_t pub[600]; /* RSA public key, PKCS#1 RSAPublicKey DER (what a CTL PUBLIC_KEY holds) */
	size_t pub_len;
	uint8_t cert[2048];
	size_t cert_len;
};

/* Make an RSA identity. issuer NULL = self-signed. Returns 0 or a wolfCrypt error. */
int test_pki_make(struct test_id *out, int bits, const char *cn, const char *org, const char *unit,
                  const uint8_t *serial, size_t serial_len, const struct test_id *issuer);

/* An ECDSA P-256 certificate issued by an RSA identity. point gets the X9.62 uncompressed public key
 * (65 bytes). Returns 0 or a wolfCrypt error. */
int test_pki_make_ec(uint8_t *cert, size_t *cert_len, uint8_t point[65], const char *cn,
                     const struct test_id *issuer);

/* PKCS#1 v1.5 signature with wolfCrypt's one-shot signature API (independent of proto/ctl). digest is
 * 1/2/3 as in the CTL. Returns the signature length or a negative error. */
int test_pki_sign(const struct test_id *id, unsigned digest, const uint8_t *data, size_t len, uint8_t *sig,
                  size_t sig_cap);

/* Verify such a signature with the identity's public key. Returns 0 when it verifies. */
int test_pki_verify(const struct test_id *id, unsigned digest, const uint8_t *data, size_t len,
                    const uint8_t *sig, size_t sig_len);

#endif
