/* Keys and certificates through wolfCrypt's certificate API (certgen, keygen, certext): RSA-2048
 * keys, SHA-256 signatures, explicit validity dates, random positive 16-byte serials, and the
 * checks that decide whether a stored pair is still sound. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock/hal_clock.h"
#include "pki/pki_internal.h"

#define SERIAL_LEN 16

int pki_rsa_generate(uint8_t *der, size_t cap, size_t *len, double *ms, char *err, size_t errcap)
{
	WC_RNG rng;
	RsaKey key;
	int rc = wc_InitRng(&rng);
	if (rc != 0)
		return pki_errf(err, errcap, -EIO, "wc_InitRng failed (%d)", rc);
	if ((rc = wc_InitRsaKey(&key, NULL)) != 0) {
		wc_FreeRng(&rng);
		return pki_errf(err, errcap, -ENOMEM, "wc_InitRsaKey failed (%d)", rc);
	}
	uint64_t t0 = hal_clock_now_ns();
	rc = wc_MakeRsaKey(&key, PKI_RSA_BITS, WC_RSA_EXPONENT, &rng);
	*ms = (double)(hal_clock_now_ns() - t0) / 1e6;
	if (rc != 0) {
		rc = pki_errf(err, errcap, -EIO, "wc_MakeRsaKey(%d) failed (%d)", PKI_RSA_BITS, rc);
	} else {
		int n = wc_RsaKeyToDer(&key, der, (word32)cap);
		if (n <= 0)
			rc = pki_errf(err, errcap, -EIO, "wc_RsaKeyToDer failed (%d)", n);
		else
			*len = (size_t)n;
	}
	wc_FreeRsaKey(&key);
	wc_FreeRng(&rng);
	return rc;
}

static int decode_private(const uint8_t *der, size_t len, RsaKey *key)
{
	word32 idx = 0;
	if (wc_InitRsaKey(key, NULL) != 0)
		return -ENOMEM;
	if (wc_RsaPrivateKeyDecode(der, &idx, key, (word32)len) != 0) {
		wc_FreeRsaKey(key);
		return -EBADMSG;
	}
	return 0;
}

static int decode_public(const struct pki_span *spki, RsaKey *key)
{
	word32 idx = 0;
	if (wc_InitRsaKey(key, NULL) != 0)
		return -ENOMEM;
	if (wc_RsaPublicKeyDecode(spki->p, &idx, key, (word32)spki->len) != 0) {
		wc_FreeRsaKey(key);
		return -EBADMSG;
	}
	return 0;
}

int pki_rsa_check(const uint8_t *key_der, size_t key_len)
{
	RsaKey key;
	if (decode_private(key_der, key_len, &key))
		return -EBADMSG;
	int bits = wc_RsaEncryptSize(&key) * 8;
	wc_FreeRsaKey(&key);
	return bits >= PKI_RSA_BITS ? 0 : -EBADMSG;
}

static int same_public(RsaKey *a, RsaKey *b)
{
	uint8_t ea[8], eb[8], na[1024], nb[1024];
	word32 eal = sizeof(ea), ebl = sizeof(eb), nal = sizeof(na), nbl = sizeof(nb);
	if (wc_RsaFlattenPublicKey(a, ea, &eal, na, &nal) != 0 ||
	    wc_RsaFlattenPublicKey(b, eb, &ebl, nb, &nbl) != 0)
		return -EBADMSG;
	return eal == ebl && nal == nbl && !memcmp(ea, eb, eal) && !memcmp(na, nb, nal);
}

/* Same modulus and exponent, then a signature by the private key that the certificate's public
 * key verifies: a key file whose private half is damaged fails the second step. */
int pki_key_matches_cert(const uint8_t *key_der, size_t key_len, const struct pki_cert_view *cert)
{
	RsaKey priv, pub;
	int rc;
	if ((rc = decode_private(key_der, key_len, &priv)) != 0)
		return rc;
	if ((rc = decode_public(&cert->spki, &pub)) != 0) {
		wc_FreeRsaKey(&priv);
		return rc;
	}
	rc = same_public(&priv, &pub);
	if (rc == 1) {
		static const uint8_t probe[] = "vmport key pairing probe";
		uint8_t sig[512];
		word32 sig_len = sizeof(sig);
		WC_RNG rng;
		if (wc_InitRng(&rng) != 0) {
			rc = -EIO;
		} else {
			int s = wc_SignatureGenerate(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_RSA_W_ENC, probe,
			                             sizeof(probe), sig, &sig_len, &priv, sizeof(priv), &rng);
			rc = s == 0 &&
			     wc_SignatureVerify(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_RSA_W_ENC, probe,
			                        sizeof(probe), sig, sig_len, &pub, sizeof(pub)) == 0;
			wc_FreeRng(&rng);
		}
	}
	wc_FreeRsaKey(&priv);
	wc_FreeRsaKey(&pub);
	return rc;
}

int pki_cert_signed_by(const uint8_t *cert, size_t cert_len, const uint8_t *issuer, size_t issuer_len)
{
	struct pki_cert_view c, i;
	if (pki_cert_view(cert, cert_len, &c) || pki_cert_view(issuer, issuer_len, &i))
		return -EBADMSG;
	if (c.issuer.len != i.subject.len || memcmp(c.issuer.p, i.subject.p, c.issuer.len))
		return 0;
	return wc_CheckCertSigPubKey(cert, (word32)cert_len, NULL, i.spki.p, (word32)i.spki.len, RSAk) == 0;
}

int pki_root_common_name(char out[48])
{
	uint8_t u[16];
	int rc = hal_random_bytes(u, sizeof(u));
	if (rc)
		return rc;
	u[6] = (uint8_t)((u[6] & 0x0F) | 0x40); /* version 4: random */
	u[8] = (uint8_t)((u[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	snprintf(out, 48,
	         PKI_ROOT_CN_PREFIX "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	         u[14], u[15]);
	return 0;
}

static void set_name_field(char *field, const char *value)
{
	snprintf(field, CTC_NAME_SIZE, "%s", value);
}

static int set_fields(Cert *cert, const struct pki_issue_req *req, RsaKey *key, char *err, size_t errcap)
{
	int rc;
	set_name_field(cert->subject.org, PKI_ORG);
	set_name_field(cert->subject.commonName, req->common_name);
	cert->sigType = CTC_SHA256wRSA;
	cert->isCA = req->is_ca;
	cert->basicConstSet = 1; /* end entities say CA:FALSE explicitly */

	/* Random, positive, and exactly 16 bytes in DER: top bit clear, first byte non-zero. */
	if ((rc = hal_random_bytes(cert->serial, SERIAL_LEN)) != 0)
		return pki_errf(err, errcap, rc, "no random bytes for the serial (errno %d)", -rc);
	cert->serial[0] &= 0x7F;
	if (cert->serial[0] == 0)
		cert->serial[0] = 0x01;
	cert->serialSz = SERIAL_LEN;

	/* Explicit dates (wolfSSL would otherwise read its own clock); UTCTime or GeneralizedTime by year. */
	int nb = pki_der_time_encode(req->not_before, cert->beforeDate);
	int na = pki_der_time_encode(req->not_after, cert->afterDate);
	if (nb < 0 || na < 0)
		return pki_errf(err, errcap, -EINVAL, "validity %lld..%lld cannot be encoded",
		                (long long)req->not_before, (long long)req->not_after);
	cert->beforeDateSz = nb;
	cert->afterDateSz = na;

	if ((rc = wc_SetSubjectKeyIdFromPublicKey(cert, key, NULL)) != 0)
		return pki_errf(err, errcap, -EIO, "wc_SetSubjectKeyIdFromPublicKey failed (%d)", rc);
	if ((rc = wc_SetKeyUsage(cert, req->key_usage)) != 0)
		return pki_errf(err, errcap, -EIO, "wc_SetKeyUsage(\"%s\") failed (%d)", req->key_usage, rc);
	if (req->ext_key_usage && (rc = wc_SetExtKeyUsage(cert, req->ext_key_usage)) != 0)
		return pki_errf(err, errcap, -EIO, "wc_SetExtKeyUsage(\"%s\") failed (%d)",
		                req->ext_key_usage, rc);
	if (req->issuer_cert) {
		if ((rc = wc_SetIssuerBuffer(cert, req->issuer_cert, (int)req->issuer_cert_len)) != 0)
			return pki_errf(err, errcap, -EIO, "wc_SetIssuerBuffer failed (%d)", rc);
		if ((rc = wc_SetAuthKeyIdFromCert(cert, req->issuer_cert, (int)req->issuer_cert_len)) != 0)
			return pki_errf(err, errcap, -EIO, "wc_SetAuthKeyIdFromCert failed (%d)", rc);
	}
	return 0;
}

int pki_issue(const struct pki_issue_req *req, uint8_t *out, size_t cap, size_t *out_len, char *err,
              size_t errcap)
{
	Cert *cert = calloc(1, sizeof(*cert));
	RsaKey key, issuer_key;
	WC_RNG rng;
	int rc;
	if (!cert)
		return pki_errf(err, errcap, -ENOMEM, "no memory for a certificate");
	if ((rc = wc_InitRng(&rng)) != 0) {
		rc = pki_errf(err, errcap, -EIO, "wc_InitRng failed (%d)", rc);
		goto out_cert;
	}
	if (decode_private(req->key, req->key_len, &key)) {
		rc = pki_errf(err, errcap, -EBADMSG, "the subject key of %s cannot be decoded",
		              req->common_name);
		goto out_rng;
	}
	RsaKey *signer = &key;
	if (req->issuer_cert) {
		if (decode_private(req->issuer_key, req->issuer_key_len, &issuer_key)) {
			rc = pki_errf(err, errcap, -EBADMSG, "the issuer key cannot be decoded");
			goto out_key;
		}
		signer = &issuer_key;
	}
	if ((rc = wc_InitCert(cert)) != 0) {
		rc = pki_errf(err, errcap, -EIO, "wc_InitCert failed (%d)", rc);
		goto out_issuer;
	}
	if ((rc = set_fields(cert, req, &key, err, errcap)) != 0)
		goto out_issuer;
	int n = wc_MakeCert(cert, out, (word32)cap, &key, NULL, &rng);
	if (n <= 0) {
		rc = pki_errf(err, errcap, -EIO, "wc_MakeCert for %s failed (%d)", req->common_name, n);
		goto out_issuer;
	}
	size_t body = (size_t)n;
	if (req->is_ca) {
		static const uint8_t oid_basic_constraints[] = {0x55, 0x1D, 0x13};
		if ((rc = pki_der_make_ext_critical(out, &body, cap, oid_basic_constraints, 3)) != 0) {
			rc = pki_errf(err, errcap, -EIO, "cannot mark basicConstraints critical (%d)", rc);
			goto out_issuer;
		}
	}
	n = wc_SignCert((int)body, cert->sigType, out, (word32)cap, signer, NULL, &rng);
	if (n <= 0) {
		rc = pki_errf(err, errcap, -EIO, "wc_SignCert for %s failed (%d)", req->common_name, n);
		goto out_issuer;
	}
	*out_len = (size_t)n;
	rc = 0;
out_issuer:
	if (signer != &key)
		wc_FreeRsaKey(&issuer_key);
out_key:
	wc_FreeRsaKey(&key);
out_rng:
	wc_FreeRng(&rng);
out_cert:
	pki_wipe(cert, sizeof(*cert));
	free(cert);
	return rc;
}
