#include "media_srtp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>
#ifdef VMPORT_SRTP_NSS
#include <nss.h>
#endif
#ifdef VMPORT_SRTP_OPENSSL
#include "media_srtp_ossl.h"
#endif

static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static int srtp_init_result;
static const char *srtp_impl = "libsrtp's own AES-CM and HMAC-SHA1";
static bool srtp_glue;

static void srtp_init_once(void)
{
#ifdef VMPORT_SRTP_NSS
	/* libsrtp's NSS backend would call NSS_NoDB_Init(), which sets NSS_INIT_OPTIMIZESPACE: the
	 * softoken then keeps its keys and sessions in 32-bucket hash tables, and every packet's
	 * context creation walks chains that grow with the number of channels (measured: 38 us per
	 * protect+unprotect at 1000 channels instead of 18). Initialise it first, the same way but
	 * with the large tables. */
	if (!NSS_IsInitialized() &&
	    NSS_Initialize("", "", "", "",
	                   NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN |
	                       NSS_INIT_NOROOTINIT) != SECSuccess) {
		srtp_init_result = -EIO;
		return;
	}
#endif
	srtp_init_result = srtp_init() == srtp_err_status_ok ? 0 : -EIO;
#ifdef VMPORT_SRTP_OPENSSL
	srtp_glue = srtp_init_result == 0 && media_srtp_ossl_install() == 0;
	if (srtp_glue)
		srtp_impl = "AES-CM and HMAC-SHA1 without per-packet OpenSSL set-up (media_srtp_ossl.c)";
#endif
}

const char *media_srtp_implementation(void)
{
	pthread_once(&srtp_once, srtp_init_once);
	return srtp_impl;
}

bool media_srtp_cm_alloc_free(void)
{
	pthread_once(&srtp_once, srtp_init_once);
	return srtp_glue;
}

int media_srtp_global_init(void)
{
	pthread_once(&srtp_once, srtp_init_once);
	return srtp_init_result;
}

/* Master key and salt lengths each suite needs (RFC 3711 §8.2, RFC 7714 §12). */
static bool suite_lengths(uint32_t algorithm, unsigned *key_len, unsigned *salt_len)
{
	switch (algorithm) {
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32:
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80:
		*key_len = 16;
		*salt_len = 14;
		return true;
	case MEDIA_CRYPTO_AEAD_AES_128_GCM:
		*key_len = 16;
		*salt_len = 12;
		return true;
	case MEDIA_CRYPTO_AEAD_AES_256_GCM:
		*key_len = 32;
		*salt_len = 12;
		return true;
	default:
		return false;
	}
}

const char *media_crypto_name(uint32_t algorithm)
{
	switch (algorithm) {
	case MEDIA_CRYPTO_NONE:
		return "none";
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32:
		return "AES_CM_128_HMAC_SHA1_32";
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case 3:
		return "F8_128_HMAC_SHA1_32";
	case 4:
		return "F8_128_HMAC_SHA1_80";
	case MEDIA_CRYPTO_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	case MEDIA_CRYPTO_AEAD_AES_256_GCM:
		return "AEAD_AES_256_GCM";
	default:
		return "unknown";
	}
}

int media_srtp_key_problem(const struct media_key *key, char *why, size_t cap)
{
	unsigned kl, sl;
	const char *name = media_crypto_name(key->algorithm);
	if (key->algorithm == MEDIA_CRYPTO_NONE)
		return MEDIA_OK;
	if (!suite_lengths(key->algorithm, &kl, &sl)) {
		if (why)
			snprintf(why, cap, "SRTP suite %u (%s) is not implemented (only 1, 2, 5 and 6 are)",
			         (unsigned)key->algorithm, name);
		return MEDIA_ERR_CRYPTO;
	}
	if (key->key_len != kl) {
		/* SCCP's key slot is 16 bytes (protocol.md §4.1): an AES-256 key cannot arrive in it. */
		if (why)
			snprintf(why, cap, "%s needs a %u-byte master key, the key block has %u%s", name, kl,
			         key->key_len, kl > 16 ? " (SCCP's key slot holds 16 bytes)" : "");
		return MEDIA_ERR_CRYPTO;
	}
	if (key->salt_len != sl) {
		if (why)
			snprintf(why, cap, "%s needs a %u-byte master salt, the key block has %u", name, sl,
			         key->salt_len);
		return MEDIA_ERR_CRYPTO;
	}
	return MEDIA_OK;
}

int media_srtp_check_key(const struct media_key *key)
{
	return media_srtp_key_problem(key, NULL, 0);
}

static void set_policy(srtp_policy_t *p, uint32_t algorithm)
{
	switch (algorithm) {
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32:
		/* §4.5: 32-bit tag on SRTP, 80-bit on SRTCP (RFC 4568 §6.2.1). */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case MEDIA_CRYPTO_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	case MEDIA_CRYPTO_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	}
}

int media_srtp_create(struct media_srtp *s, struct media_key *key, bool inbound)
{
	/* libsrtp takes key || salt in one buffer. */
	uint8_t material[MEDIA_KEY_MAX + MEDIA_SALT_MAX];
	int status = MEDIA_OK;

	s->session = NULL;
	s->algorithm = key->algorithm;
	if (key->algorithm == MEDIA_CRYPTO_NONE)
		goto wipe;
	status = media_srtp_check_key(key);
	if (status != MEDIA_OK)
		goto wipe;
	if (media_srtp_global_init() != 0) {
		status = MEDIA_ERR_CRYPTO;
		goto wipe;
	}
	memcpy(material, key->key, key->key_len);
	memcpy(material + key->key_len, key->salt, key->salt_len);

	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	set_policy(&policy, key->algorithm);
	policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	policy.key = material;
	policy.window_size = 128;
	policy.allow_repeat_tx = 0;
	srtp_t session = NULL;
	if (srtp_create(&session, &policy) != srtp_err_status_ok) {
		status = MEDIA_ERR_CRYPTO;
		goto wipe;
	}
	s->session = session;
	explicit_bzero(&policy, sizeof(policy));

wipe:
	explicit_bzero(material, sizeof(material));
	explicit_bzero(key, sizeof(*key));
	return status;
}

void media_srtp_destroy(struct media_srtp *s)
{
	if (s->session != NULL)
		srtp_dealloc((srtp_t)s->session);
	s->session = NULL;
}

static int classify(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return MEDIA_SRTP_OK;
	case srtp_err_status_auth_fail:
		return MEDIA_SRTP_AUTH_FAIL;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return MEDIA_SRTP_REPLAY;
	default:
		return MEDIA_SRTP_BAD;
	}
}

int media_srtp_protect(struct media_srtp *s, uint8_t *pkt, size_t *len)
{
	if (s->session == NULL)
		return MEDIA_SRTP_OK;
	int l = (int)*len;
	if (srtp_protect((srtp_t)s->session, pkt, &l) != srtp_err_status_ok)
		return MEDIA_SRTP_BAD;
	*len = (size_t)l;
	return MEDIA_SRTP_OK;
}

int media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t *len)
{
	if (s->session == NULL)
		return MEDIA_SRTP_OK;
	int l = (int)*len;
	if (srtp_protect_rtcp((srtp_t)s->session, pkt, &l) != srtp_err_status_ok)
		return MEDIA_SRTP_BAD;
	*len = (size_t)l;
	return MEDIA_SRTP_OK;
}

int media_srtp_unprotect(struct media_srtp *s, uint8_t *pkt, size_t *len)
{
	if (s->session == NULL)
		return MEDIA_SRTP_OK;
	int l = (int)*len;
	int r = classify(srtp_unprotect((srtp_t)s->session, pkt, &l));
	if (r == MEDIA_SRTP_OK)
		*len = (size_t)l;
	return r;
}

int media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t *len)
{
	if (s->session == NULL)
		return MEDIA_SRTP_OK;
	int l = (int)*len;
	int r = classify(srtp_unprotect_rtcp((srtp_t)s->session, pkt, &l));
	if (r == MEDIA_SRTP_OK)
		*len = (size_t)l;
	return r;
}

/* ---- Known-answer self-test ---- */

/* libsrtp's reference packets (test/srtp_driver.c, srtp_validate and srtp_validate_gcm):
 * RTP seq 0x1234, ts 0xdecafbad, SSRC 0xcafebabe, 16 bytes of 0xab. */
static const uint8_t kat_plain[28] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_key_cm[30] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
    0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t kat_cipher_cm80[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
    0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
    0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t kat_key_gcm[28] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
    0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t kat_cipher_gcm128[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};

static int kat_one(const char *name, uint32_t algorithm, const uint8_t *material, unsigned key_len,
                   unsigned salt_len, const uint8_t *expect, size_t expect_len, char *err, size_t cap)
{
	struct media_key k = {
	    .algorithm = algorithm, .key_len = (uint8_t)key_len, .salt_len = (uint8_t)salt_len};
	struct media_srtp tx, rx;
	uint8_t pkt[sizeof(kat_plain) + MEDIA_SRTP_TRAILER];
	size_t len = sizeof(kat_plain);
	int rc = -1;

	memcpy(k.key, material, key_len);
	memcpy(k.salt, material + key_len, salt_len);
	if (media_srtp_create(&tx, &k, false) != MEDIA_OK) {
		snprintf(err, cap, "%s: libsrtp refused the policy", name);
		return -1;
	}
	memcpy(k.key, material, key_len);
	memcpy(k.salt, material + key_len, salt_len);
	k.algorithm = algorithm;
	k.key_len = (uint8_t)key_len;
	k.salt_len = (uint8_t)salt_len;
	if (media_srtp_create(&rx, &k, true) != MEDIA_OK) {
		media_srtp_destroy(&tx);
		snprintf(err, cap, "%s: libsrtp refused the inbound policy", name);
		return -1;
	}
	memcpy(pkt, kat_plain, sizeof(kat_plain));
	if (media_srtp_protect(&tx, pkt, &len) != MEDIA_SRTP_OK || len != expect_len ||
	    memcmp(pkt, expect, expect_len) != 0) {
		snprintf(err, cap, "%s: protect does not give the reference packet", name);
		goto out;
	}
	/* One flipped bit must fail authentication (before the good copy: a replay would be
	 * refused as a replay, not as a forgery). */
	uint8_t bad[sizeof(pkt)];
	size_t bad_len = len;
	memcpy(bad, pkt, len);
	bad[15] ^= 0x01;
	if (media_srtp_unprotect(&rx, bad, &bad_len) != MEDIA_SRTP_AUTH_FAIL) {
		snprintf(err, cap, "%s: a corrupted packet was not refused", name);
		goto out;
	}
	if (media_srtp_unprotect(&rx, pkt, &len) != MEDIA_SRTP_OK || len != sizeof(kat_plain) ||
	    memcmp(pkt, kat_plain, len) != 0) {
		snprintf(err, cap, "%s: unprotect does not give the plain packet back", name);
		goto out;
	}
	rc = 0;
out:
	media_srtp_destroy(&tx);
	media_srtp_destroy(&rx);
	return rc;
}

int media_srtp_self_test(char *err, size_t err_cap)
{
	if (media_srtp_global_init() != 0) {
		snprintf(err, err_cap, "srtp_init failed");
		return -1;
	}
	if (kat_one("AES_CM_128_HMAC_SHA1_80", MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80, kat_key_cm, 16, 14,
	            kat_cipher_cm80, sizeof(kat_cipher_cm80), err, err_cap) != 0)
		return -1;
	if (kat_one("AEAD_AES_128_GCM", MEDIA_CRYPTO_AEAD_AES_128_GCM, kat_key_gcm, 16, 12, kat_cipher_gcm128,
	            sizeof(kat_cipher_gcm128), err, err_cap) != 0)
		return -1;
	return 0;
}
