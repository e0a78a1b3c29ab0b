/* AES-ICM and HMAC-SHA1 for libsrtp, on OpenSSL, without OpenSSL's per-packet set-up.
 *
 * libsrtp's OpenSSL backend (aes_icm_ossl.c, hmac_ossl.c) re-initialises an OpenSSL 3 context
 * for every packet: EVP_EncryptInit_ex to load the new counter, and EVP_MAC_init to restart the
 * HMAC, whose HMAC_Init_ex and HMAC_Final each duplicate a digest context (a malloc and a free:
 * the 4 allocations per protect+unprotect). Through OpenSSL's provider layers (parameter lookups
 * by name, context copies) that set-up costs more than the AES and SHA-1 work of a G.711 packet,
 * and much more once the kernel's UDP path has pushed it out of the caches between packets
 * (perf of the media thread at 1000 streams: srtp_hmac_start 7%, set_iv 6%, HMAC_Final 4% of its
 * CPU).
 *
 * libsrtp lets an application replace a cipher or authentication implementation by id
 * (srtp_replace_cipher_type, srtp_replace_auth_type); it first runs the new implementation's
 * known-answer tests and the ones of the implementation it replaces, and keeps its own if any
 * fails. These do the same arithmetic with the set-up done once per key:
 *  - AES-ICM (RFC 3711 §4.1.1): an AES-ECB context keyed once; per packet the counter blocks are
 *    laid out here, encrypted by one EVP_EncryptUpdate and XORed into the data. The counter is
 *    incremented over all 128 bits, as OpenSSL's CTR mode (which libsrtp's backend uses) does.
 *  - HMAC-SHA1 (RFC 2104): the SHA-1 states after the inner and the outer padded key are made
 *    once; a packet starts from a copy of the inner one: a struct copy, no allocation.
 * OpenSSL still does every AES and SHA-1 block, with the CPU's AES and SHA instructions. */
#include "media_srtp_ossl.h"

#include <endian.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The SHA-1 block functions are deprecated in OpenSSL 3 in favour of EVP, whose per-message
 * context copies are what this file avoids; they are still built unless OpenSSL is configured
 * with no-deprecated, in which case libsrtp keeps its own implementation. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#ifndef OPENSSL_NO_DEPRECATED_3_0

/* ---- AES-ICM ---- */

#define ICM_SALT_LEN 14
#define ICM_BLOCK 16
/* Counter blocks encrypted per EVP call: a 20 ms G.711 payload (160 bytes) in one. */
#define ICM_BATCH 16

struct icm {
	EVP_CIPHER_CTX *ecb;
	int key_size;               /* AES key octets: 16, 24 or 32 */
	uint8_t offset[ICM_BLOCK];  /* the salt, last two octets zero */
	uint8_t counter[ICM_BLOCK]; /* the next keystream block's */
	uint8_t ks[ICM_BLOCK];      /* keystream of a block only partly used */
	unsigned ks_used;           /* octets of ks used; ICM_BLOCK: none left */
};

static const srtp_cipher_type_t icm_128, icm_192, icm_256;

static srtp_err_status_t icm_alloc(srtp_cipher_t **out, int key_len, int tag_len)
{
	(void)tag_len;
	const srtp_cipher_type_t *type;
	int key_size;
	switch (key_len) {
	case SRTP_AES_ICM_128_KEY_LEN_WSALT:
		type = &icm_128;
		key_size = 16;
		break;
	case SRTP_AES_ICM_192_KEY_LEN_WSALT:
		type = &icm_192;
		key_size = 24;
		break;
	case SRTP_AES_ICM_256_KEY_LEN_WSALT:
		type = &icm_256;
		key_size = 32;
		break;
	default:
		return srtp_err_status_bad_param;
	}
	srtp_cipher_t *c = calloc(1, sizeof(*c));
	struct icm *icm = calloc(1, sizeof(*icm));
	if (c == NULL || icm == NULL || (icm->ecb = EVP_CIPHER_CTX_new()) == NULL) {
		free(c);
		free(icm);
		return srtp_err_status_alloc_fail;
	}
	icm->key_size = key_size;
	icm->ks_used = ICM_BLOCK;
	c->type = type;
	c->state = icm;
	c->key_len = key_len;
	c->algorithm = type->id;
	*out = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
	if (c == NULL)
		return srtp_err_status_bad_param;
	struct icm *icm = c->state;
	if (icm != NULL) {
		EVP_CIPHER_CTX_free(icm->ecb); /* wipes the key schedule */
		explicit_bzero(icm, sizeof(*icm));
		free(icm);
	}
	explicit_bzero(c, sizeof(*c));
	free(c);
	return srtp_err_status_ok;
}

static const EVP_CIPHER *icm_ecb(int key_size)
{
	switch (key_size) {
	case 16:
		return EVP_aes_128_ecb();
	case 24:
		return EVP_aes_192_ecb();
	default:
		return EVP_aes_256_ecb();
	}
}

/* key is the AES key followed by the 14-octet salt. */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *icm = state;
	memset(icm->offset, 0, sizeof(icm->offset));
	memcpy(icm->offset, key + icm->key_size, ICM_SALT_LEN);
	memcpy(icm->counter, icm->offset, sizeof(icm->counter));
	icm->ks_used = ICM_BLOCK;
	EVP_CIPHER_CTX_reset(icm->ecb);
	if (EVP_EncryptInit_ex(icm->ecb, icm_ecb(icm->key_size), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(icm->ecb, 0) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	(void)dir;
	struct icm *icm = state;
	for (unsigned i = 0; i < ICM_BLOCK; i++)
		icm->counter[i] = icm->offset[i] ^ iv[i];
	icm->ks_used = ICM_BLOCK;
	return srtp_err_status_ok;
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static void store_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/* The next `blocks` keystream blocks into ks. The counter is carried in two words rather than
 * bumped byte by byte in memory: copying a block that was just stored a byte at a time stalls
 * on store forwarding (perf showed it). */
static bool icm_keystream(struct icm *icm, uint8_t *ks, unsigned blocks)
{
	uint8_t ctr[ICM_BATCH * ICM_BLOCK];
	uint64_t hi = load_be64(icm->counter), lo = load_be64(icm->counter + 8);
	for (unsigned b = 0; b < blocks; b++) {
		store_be64(ctr + b * ICM_BLOCK, hi);
		store_be64(ctr + b * ICM_BLOCK + 8, lo);
		if (++lo == 0)
			hi++;
	}
	store_be64(icm->counter, hi);
	store_be64(icm->counter + 8, lo);
	int len = (int)(blocks * ICM_BLOCK), out = 0;
	return EVP_EncryptUpdate(icm->ecb, ks, &out, ctr, len) == 1 && out == len;
}

/* dst ^= src, a word at a time. */
static void xor_into(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i = 0;
	for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
		uint64_t a, b;
		memcpy(&a, dst + i, sizeof(a));
		memcpy(&b, src + i, sizeof(b));
		a ^= b;
		memcpy(dst + i, &a, sizeof(a));
	}
	for (; i < n; i++)
		dst[i] ^= src[i];
}

/* In place, continuing the keystream where the last call on this IV stopped. */
static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm *icm = state;
	uint8_t ks[ICM_BATCH * ICM_BLOCK];
	unsigned n = *len, done = 0;
	srtp_err_status_t rc = srtp_err_status_ok;

	while (done < n && icm->ks_used < ICM_BLOCK)
		buf[done++] ^= icm->ks[icm->ks_used++];
	while (n - done >= ICM_BLOCK) {
		unsigned blocks = (n - done) / ICM_BLOCK;
		if (blocks > ICM_BATCH)
			blocks = ICM_BATCH;
		if (!icm_keystream(icm, ks, blocks)) {
			rc = srtp_err_status_cipher_fail;
			goto out;
		}
		xor_into(buf + done, ks, blocks * ICM_BLOCK);
		done += blocks * ICM_BLOCK;
	}
	if (done < n) {
		if (!icm_keystream(icm, icm->ks, 1)) {
			rc = srtp_err_status_cipher_fail;
			goto out;
		}
		icm->ks_used = 0;
		while (done < n)
			buf[done++] ^= icm->ks[icm->ks_used++];
	}
out:
	explicit_bzero(ks, sizeof(ks));
	return rc;
}

/* RFC 3711 B.2 (AES-128) and RFC 6188 §7 (AES-192, AES-256): key || salt, counter from index 0,
 * 32 octets of keystream (libsrtp's own self-test vectors). */
static const uint8_t icm_zero_iv[ICM_BLOCK], icm_zero_pt[32];
static const uint8_t icm_128_key[30] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_128_ct[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const uint8_t icm_192_key[38] = {
    0xea, 0xb2, 0x34, 0x76, 0x4e, 0x51, 0x7b, 0x2d, 0x3d, 0x16, 0x0d, 0x58, 0x7d,
    0x8c, 0x86, 0x21, 0x97, 0x40, 0xf6, 0x5f, 0x99, 0xb6, 0xbc, 0xf7, 0xf0, 0xf1,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_192_ct[32] = {
    0x35, 0x09, 0x6c, 0xba, 0x46, 0x10, 0x02, 0x8d, 0xc1, 0xb5, 0x75, 0x03, 0x80, 0x4c, 0xe3, 0x7c,
    0x5d, 0xe9, 0x86, 0x29, 0x1d, 0xcc, 0xe1, 0x61, 0xd5, 0x16, 0x5e, 0xc4, 0x56, 0x8f, 0x5c, 0x9a,
};
static const uint8_t icm_256_key[46] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_256_ct[32] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
};

#define ICM_TEST(k, c)                                                                                       \
	{                                                                                                    \
		.key_length_octets = sizeof(k), .key = k, .idx = (uint8_t *)icm_zero_iv,                     \
		.plaintext_length_octets = sizeof(icm_zero_pt), .plaintext = icm_zero_pt,                    \
		.ciphertext_length_octets = sizeof(c), .ciphertext = c,                                      \
	}
static const srtp_cipher_test_case_t icm_128_test = ICM_TEST(icm_128_key, icm_128_ct);
static const srtp_cipher_test_case_t icm_192_test = ICM_TEST(icm_192_key, icm_192_ct);
static const srtp_cipher_test_case_t icm_256_test = ICM_TEST(icm_256_key, icm_256_ct);

#define ICM_TYPE(test, descr, type_id)                                                                       \
	{                                                                                                    \
		.alloc = icm_alloc, .dealloc = icm_dealloc, .init = icm_init, .encrypt = icm_encrypt,        \
		.decrypt = icm_encrypt, .set_iv = icm_set_iv, .description = descr, .test_data = &test,      \
		.id = type_id,                                                                               \
	}
static const srtp_cipher_type_t icm_128 =
    ICM_TYPE(icm_128_test, "AES-128 counter mode (vmport, OpenSSL ECB)", SRTP_AES_ICM_128);
static const srtp_cipher_type_t icm_192 =
    ICM_TYPE(icm_192_test, "AES-192 counter mode (vmport, OpenSSL ECB)", SRTP_AES_ICM_192);
static const srtp_cipher_type_t icm_256 =
    ICM_TYPE(icm_256_test, "AES-256 counter mode (vmport, OpenSSL ECB)", SRTP_AES_ICM_256);

/* ---- HMAC-SHA1 ---- */

#define SHA1_LEN 20
#define SHA1_BLOCK 64

struct hmac {
	SHA_CTX inner; /* after K ^ ipad */
	SHA_CTX outer; /* after K ^ opad */
	SHA_CTX work;  /* the message being authenticated */
};

static const srtp_auth_type_t hmac_sha1;

static srtp_err_status_t hmac_alloc(srtp_auth_t **out, int key_len, int out_len)
{
	if (out_len < 0 || out_len > SHA1_LEN || key_len < 0)
		return srtp_err_status_bad_param;
	srtp_auth_t *a = calloc(1, sizeof(*a));
	struct hmac *h = calloc(1, sizeof(*h));
	if (a == NULL || h == NULL) {
		free(a);
		free(h);
		return srtp_err_status_alloc_fail;
	}
	a->type = &hmac_sha1;
	a->state = h;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	*out = a;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
	if (a == NULL)
		return srtp_err_status_bad_param;
	if (a->state != NULL) {
		explicit_bzero(a->state, sizeof(struct hmac));
		free(a->state);
	}
	explicit_bzero(a, sizeof(*a));
	free(a);
	return srtp_err_status_ok;
}

static bool sha1_padded(SHA_CTX *ctx, const uint8_t k[SHA1_BLOCK], uint8_t pad)
{
	uint8_t block[SHA1_BLOCK];
	for (unsigned i = 0; i < SHA1_BLOCK; i++)
		block[i] = k[i] ^ pad;
	bool ok = SHA1_Init(ctx) == 1 && SHA1_Update(ctx, block, sizeof(block)) == 1;
	explicit_bzero(block, sizeof(block));
	return ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac *h = state;
	uint8_t k[SHA1_BLOCK] = {0};
	bool ok = key_len >= 0;
	if (ok && key_len > SHA1_BLOCK) { /* a long key is hashed first (RFC 2104 §2) */
		SHA_CTX kc;
		ok = SHA1_Init(&kc) == 1 && SHA1_Update(&kc, key, (size_t)key_len) == 1 &&
		     SHA1_Final(k, &kc) == 1;
		explicit_bzero(&kc, sizeof(kc));
	} else if (ok) {
		memcpy(k, key, (size_t)key_len);
	}
	ok = ok && sha1_padded(&h->inner, k, 0x36) && sha1_padded(&h->outer, k, 0x5c);
	explicit_bzero(k, sizeof(k));
	return ok ? srtp_err_status_ok : srtp_err_status_init_fail;
}

static srtp_err_status_t hmac_start(void *state)
{
	struct hmac *h = state;
	h->work = h->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *msg, int len)
{
	struct hmac *h = state;
	if (len < 0 || SHA1_Update(&h->work, msg, (size_t)len) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *msg, int len, int tag_len, uint8_t *tag)
{
	struct hmac *h = state;
	uint8_t digest[SHA1_LEN];
	SHA_CTX outer;
	if (tag_len < 0 || tag_len > SHA1_LEN || len < 0)
		return srtp_err_status_bad_param;
	outer = h->outer;
	bool ok = SHA1_Update(&h->work, msg, (size_t)len) == 1 && SHA1_Final(digest, &h->work) == 1 &&
	          SHA1_Update(&outer, digest, sizeof(digest)) == 1 && SHA1_Final(digest, &outer) == 1;
	if (ok)
		memcpy(tag, digest, (size_t)tag_len);
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(&outer, sizeof(outer));
	return ok ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

/* RFC 2202 §3 test cases 1 (libsrtp's own self-test) and 6 (a key longer than a block). */
static const uint8_t hmac_key_1[20] = {
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_data_1[] = "Hi There";
static const uint8_t hmac_tag_1[20] = {
    0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
    0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac_key_6[80] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t hmac_data_6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const uint8_t hmac_tag_6[20] = {
    0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0, 0x0e, 0x95, 0x70,
    0x56, 0x37, 0xce, 0x8a, 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12,
};
static const srtp_auth_test_case_t hmac_test_6 = {
    .key_length_octets = sizeof(hmac_key_6),
    .key = hmac_key_6,
    .data_length_octets = sizeof(hmac_data_6) - 1,
    .data = hmac_data_6,
    .tag_length_octets = sizeof(hmac_tag_6),
    .tag = hmac_tag_6,
};
static const srtp_auth_test_case_t hmac_test_1 = {
    .key_length_octets = sizeof(hmac_key_1),
    .key = hmac_key_1,
    .data_length_octets = sizeof(hmac_data_1) - 1,
    .data = hmac_data_1,
    .tag_length_octets = sizeof(hmac_tag_1),
    .tag = hmac_tag_1,
    .next_test_case = &hmac_test_6,
};

static const srtp_auth_type_t hmac_sha1 = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1 (vmport, OpenSSL SHA-1, pads precomputed)",
    .test_data = &hmac_test_1,
    .id = SRTP_HMAC_SHA1,
};

int media_srtp_ossl_install(void)
{
	/* Each replacement runs the known-answer tests first and leaves libsrtp's own in place
	 * if they fail: a failure here costs speed, never correctness. */
	int failed = 0;
	failed += srtp_replace_cipher_type(&icm_128, SRTP_AES_ICM_128) != srtp_err_status_ok;
	failed += srtp_replace_cipher_type(&icm_192, SRTP_AES_ICM_192) != srtp_err_status_ok;
	failed += srtp_replace_cipher_type(&icm_256, SRTP_AES_ICM_256) != srtp_err_status_ok;
	failed += srtp_replace_auth_type(&hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok;
	return failed == 0 ? 0 : -1;
}

#else /* OpenSSL without its deprecated API: libsrtp's own implementation stays. */

int media_srtp_ossl_install(void)
{
	return -1;
}

#endif
