#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <string.h>

#include "ctl_test_pki.h"

static void copy_name(char *dst, const char *src)
{
	if (src != NULL) {
		strncpy(dst, src, CTC_NAME_SIZE - 1);
		dst[CTC_NAME_SIZE - 1] = '\0';
	}
}

int test_pki_make(struct test_id *out, int bits, const char *cn, const char *org, const char *unit,
                  const uint8_t *serial, size_t serial_len, const struct test_id *issuer)
{
	WC_RNG rng;
	RsaKey key, ikey;
	Cert cert;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = wc_InitRng(&rng)) != 0)
		return rc;
	wc_InitRsaKey(&key, NULL);
	wc_InitRsaKey(&ikey, NULL);
	if ((rc = wc_MakeRsaKey(&key, bits, WC_RSA_EXPONENT, &rng)) != 0)
		goto out;
	if ((rc = wc_RsaKeyToDer(&key, out->key, sizeof(out->key))) < 0)
		goto out;
	out->key_len = (size_t)rc;
	if ((rc = wc_RsaKeyToPublicDer_ex(&key, out->pub, sizeof(out->pub), 0)) < 0)
		goto out;
	out->pub_len = (size_t)rc;

	wc_InitCert(&cert);
	copy_name(cert.subject.country, "NZ");
	copy_name(cert.subject.org, org);
	copy_name(cert.subject.unit, unit);
	copy_name(cert.subject.commonName, cn);
	cert.sigType = CTC_SHA256wRSA;
	cert.daysValid = 365;
	memcpy(cert.serial, serial, serial_len);
	cert.serialSz = (int)serial_len;
	if (issuer == NULL) {
		rc = wc_MakeSelfCert(&cert, out->cert, sizeof(out->cert), &key, &rng);
	} else {
		word32 idx = 0;
		if ((rc = wc_RsaPrivateKeyDecode(issuer->key, &idx, &ikey, (word32)issuer->key_len)) != 0)
			goto out;
		if ((rc = wc_SetIssuerBuffer(&cert, issuer->cert, (int)issuer->cert_len)) != 0)
			goto out;
		if ((rc = wc_MakeCert(&cert, out->cert, sizeof(out->cert), &key, NULL, &rng)) < 0)
			goto out;
		rc = wc_SignCert(cert.bodySz, cert.sigType, out->cert, sizeof(out->cert), &ikey, NULL, &rng);
	}
	if (rc < 0)
		goto out;
	out->cert_len = (size_t)rc;
	rc = 0;
out:
	wc_FreeRsaKey(&key);
	wc_FreeRsaKey(&ikey);
	wc_FreeRng(&rng);
	return rc;
}

int test_pki_make_ec(uint8_t *der, size_t *der_len, uint8_t point[65], const char *cn,
                     const struct test_id *issuer)
{
	WC_RNG rng;
	ecc_key key;
	RsaKey ikey;
	Cert cert;
	word32 idx = 0, plen = 65;
	int rc;
	if ((rc = wc_InitRng(&rng)) != 0)
		return rc;
	wc_ecc_init(&key);
	wc_InitRsaKey(&ikey, NULL);
	if ((rc = wc_ecc_make_key(&rng, 32, &key)) != 0 || (rc = wc_ecc_export_x963(&key, point, &plen)) != 0)
		goto out;
	if ((rc = wc_RsaPrivateKeyDecode(issuer->key, &idx, &ikey, (word32)issuer->key_len)) != 0)
		goto out;
	wc_InitCert(&cert);
	copy_name(cert.subject.country, "NZ");
	copy_name(cert.subject.org, "vmport lab");
	copy_name(cert.subject.commonName, cn);
	cert.sigType = CTC_SHA256wRSA;
	cert.daysValid = 365;
	if ((rc = wc_SetIssuerBuffer(&cert, issuer->cert, (int)issuer->cert_len)) != 0)
		goto out;
	if ((rc = wc_MakeCert(&cert, der, 2048, NULL, &key, &rng)) < 0)
		goto out;
	rc = wc_SignCert(cert.bodySz, cert.sigType, der, 2048, &ikey, NULL, &rng);
	if (rc > 0) {
		*der_len = (size_t)rc;
		rc = 0;
	}
out:
	wc_ecc_free(&key);
	wc_FreeRsaKey(&ikey);
	wc_FreeRng(&rng);
	return rc;
}

static enum wc_HashType hash_type(unsigned digest)
{
	return digest == 1 ? WC_HASH_TYPE_SHA : digest == 2 ? WC_HASH_TYPE_SHA256 : WC_HASH_TYPE_SHA512;
}

int test_pki_sign(const struct test_id *id, unsigned digest, const uint8_t *data, size_t len, uint8_t *sig,
                  size_t sig_cap)
{
	WC_RNG rng;
	RsaKey key;
	word32 idx = 0, sl = (word32)sig_cap;
	int rc;
	if ((rc = wc_InitRng(&rng)) != 0)
		return rc;
	wc_InitRsaKey(&key, NULL);
	rc = wc_RsaPrivateKeyDecode(id->key, &idx, &key, (word32)id->key_len);
	if (rc == 0)
		rc = wc_SignatureGenerate(hash_type(digest), WC_SIGNATURE_TYPE_RSA_W_ENC, data, (word32)len,
		                          sig, &sl, &key, sizeof(key), &rng);
	wc_FreeRsaKey(&key);
	wc_FreeRng(&rng);
	return rc == 0 ? (int)sl : rc;
}

int test_pki_verify(const struct test_id *id, unsigned digest, const uint8_t *data, size_t len,
                    const uint8_t *sig, size_t sig_len)
{
	RsaKey key;
	word32 idx = 0;
	int rc;
	wc_InitRsaKey(&key, NULL);
	rc = wc_RsaPublicKeyDecode(id->pub, &idx, &key, (word32)id->pub_len);
	if (rc == 0)
		rc = wc_SignatureVerify(hash_type(digest), WC_SIGNATURE_TYPE_RSA_W_ENC, data, (word32)len,
		                        sig, (word32)sig_len, &key, sizeof(key));
	wc_FreeRsaKey(&key);
	return rc;
}
