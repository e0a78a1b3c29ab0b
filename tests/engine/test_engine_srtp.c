/* The engine's SRTP path against implementations we did not write:
 *  - a reference built here from RFC 3711 / RFC 7714 (own AES, wolfSSL HMAC-SHA1 and GCM),
 *    first checked against FIPS-197 and RFC 3711 Appendix B.2 (keystream) and B.3 (KDF);
 *  - libsrtp's published reference packets (test/srtp_driver.c);
 *  - a second, independently configured libsrtp context (raw API, specific SSRC).
 * Then the counters: a flipped bit is an authentication failure, a repeat is a replay. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "media_srtp.h"
#include "srtp_ref.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_hex(const uint8_t *got, const char *want)
{
	size_t n = strlen(want) / 2;
	uint8_t exp[256];
	hex(want, exp, n);
	assert_memory_equal(got, exp, n);
}

/* ---- the reference checks itself ---- */

static void test_ref_aes_fips197(void **state)
{
	(void)state;
	uint8_t key[32], pt[16], out[16];
	hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key, 32);
	hex("00112233445566778899aabbccddeeff", pt, 16);
	ref_aes_encrypt(key, 16, pt, out); /* FIPS-197 Appendix C.1 */
	assert_hex(out, "69c4e0d86a7b0430d8cdb78070b4c55a");
	ref_aes_encrypt(key, 32, pt, out); /* Appendix C.3 */
	assert_hex(out, "8ea2b7ca516745bfeafc49904b496089");
}

static void test_ref_rfc3711_b2_keystream(void **state)
{
	(void)state;
	/* RFC 3711 B.2: session key, salt, SSRC 0, index 0: IV = salt * 2^16. */
	uint8_t key[16], iv[16] = {0};
	static uint8_t ks[0xff02 * 16];
	hex("2B7E151628AED2A6ABF7158809CF4F3C", key, 16);
	hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", iv, 14);
	ref_aes_cm_keystream(key, 16, iv, ks, sizeof(ks));
	assert_hex(ks + 0x0000 * 16, "E03EAD0935C95E80E166B16DD92B4EB4");
	assert_hex(ks + 0x0001 * 16, "D23513162B02D0F72A43A2FE4A5F97AB");
	assert_hex(ks + 0x0002 * 16, "41E95B3BB0A2E8DD477901E4FCA894C0");
	assert_hex(ks + 0xfeff * 16, "EC8CDF7398607CB0F2D21675EA9EA1E4");
	assert_hex(ks + 0xff00 * 16, "362B7C3C6773516318A077D7FC5073AE");
	assert_hex(ks + 0xff01 * 16, "6A2CC3787889374FBEB4C81B17BA6C44");
}

static void test_ref_rfc3711_b3_kdf(void **state)
{
	(void)state;
	uint8_t mk[16], ms[14], out[20];
	hex("E1F97A0D3E018BE0D64FA32C06DE4139", mk, 16);
	hex("0EC675AD498AFEEBB6960B3AABE6", ms, 14);
	ref_kdf(mk, 16, ms, 0x00, out, 16);
	assert_hex(out, "C61E7A93744F39EE10734AFE3FF7A087");
	ref_kdf(mk, 16, ms, 0x02, out, 14);
	assert_hex(out, "30CBBC08863D8C85D49DB34A9AE1");
	ref_kdf(mk, 16, ms, 0x01, out, 20);
	assert_hex(out, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

/* ---- libsrtp's published packets: ours and the reference agree with them ---- */

static const char *kat_plain = "800f1234decafbadcafebabeabababababababababababababababab";

static void make_key(struct media_key *k, uint32_t alg, const uint8_t *key, size_t key_len,
                     const uint8_t *salt, size_t salt_len)
{
	memset(k, 0, sizeof(*k));
	k->algorithm = alg;
	k->key_len = (uint8_t)key_len;
	k->salt_len = (uint8_t)salt_len;
	memcpy(k->key, key, key_len);
	memcpy(k->salt, salt, salt_len);
}

static void check_kat(uint32_t alg, int gcm, const char *key_hex, size_t key_len, const char *salt_hex,
                      size_t salt_len, const char *cipher_hex)
{
	uint8_t key[32], salt[14], pkt[128], ref[128];
	struct media_key k;
	struct media_srtp tx;
	size_t len = 28;

	hex(key_hex, key, key_len);
	hex(salt_hex, salt, salt_len);
	make_key(&k, alg, key, key_len, salt, salt_len);
	assert_int_equal(media_srtp_create(&tx, &k, false), MEDIA_OK);
	hex(kat_plain, pkt, 28);
	assert_int_equal(media_srtp_protect(&tx, pkt, &len), MEDIA_SRTP_OK);
	assert_int_equal(len, strlen(cipher_hex) / 2);
	assert_hex(pkt, cipher_hex);
	media_srtp_destroy(&tx);

	struct ref_srtp r;
	ref_srtp_init(&r, gcm, key, key_len, salt, salt_len, gcm ? 16 : 10);
	hex(kat_plain, ref, 28);
	assert_int_equal(ref_srtp_protect(&r, ref, 28, 0), len);
	assert_memory_equal(ref, pkt, len);
}

static void test_libsrtp_published_packets(void **state)
{
	(void)state;
	/* srtp_validate(): the default policy, AES_CM_128_HMAC_SHA1_80 */
	check_kat(MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80, 0, "e1f97a0d3e018be0d64fa32c06de4139", 16,
	          "0ec675ad498afeebb6960b3aabe6", 14,
	          "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb");
	/* srtp_validate_gcm(): AEAD_AES_128_GCM */
	check_kat(MEDIA_CRYPTO_AEAD_AES_128_GCM, 1, "000102030405060708090a0b0c0d0e0f", 16,
	          "a0a1a2a3a4a5a6a7a8a9aaab", 12,
	          "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392");
}

/* ---- every suite, many packets, across a sequence wrap ---- */

struct suite {
	uint32_t alg;
	int gcm;
	size_t key_len, salt_len, tag_len;
};

static const struct suite suites[] = {
    {MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, 0, 16, 14, 4},
    {MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80, 0, 16, 14, 10},
    {MEDIA_CRYPTO_AEAD_AES_128_GCM, 1, 16, 12, 16},
    {MEDIA_CRYPTO_AEAD_AES_256_GCM, 1, 32, 12, 16},
};

static void build_rtp(uint8_t *pkt, uint16_t seq, uint32_t ts, uint32_t ssrc, unsigned salt)
{
	pkt[0] = 0x80;
	pkt[1] = 0x00;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[4] = (uint8_t)(ts >> 24);
	pkt[5] = (uint8_t)(ts >> 16);
	pkt[6] = (uint8_t)(ts >> 8);
	pkt[7] = (uint8_t)ts;
	pkt[8] = (uint8_t)(ssrc >> 24);
	pkt[9] = (uint8_t)(ssrc >> 16);
	pkt[10] = (uint8_t)(ssrc >> 8);
	pkt[11] = (uint8_t)ssrc;
	for (unsigned i = 0; i < 160; i++)
		pkt[12 + i] = (uint8_t)(i * 7 + salt);
}

static void test_all_suites_match_reference(void **state)
{
	(void)state;
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct suite *su = &suites[s];
		uint8_t key[32], salt[14];
		for (size_t i = 0; i < su->key_len; i++)
			key[i] = (uint8_t)(rand() & 0xff);
		for (size_t i = 0; i < su->salt_len; i++)
			salt[i] = (uint8_t)(rand() & 0xff);
		struct media_key k;
		struct media_srtp tx, rx;
		make_key(&k, su->alg, key, su->key_len, salt, su->salt_len);
		assert_int_equal(media_srtp_create(&tx, &k, false), MEDIA_OK);
		/* The key block is wiped by create. */
		struct media_key zero;
		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(&k, &zero, sizeof(k));
		make_key(&k, su->alg, key, su->key_len, salt, su->salt_len);
		assert_int_equal(media_srtp_create(&rx, &k, true), MEDIA_OK);
		struct ref_srtp r;
		ref_srtp_init(&r, su->gcm, key, su->key_len, salt, su->salt_len, su->tag_len);

		uint32_t ssrc = 0x1234abcdu, roc = 0;
		uint16_t seq = 65400;
		for (int n = 0; n < 300; n++, seq++) {
			if (seq == 0)
				roc++;
			uint8_t ours[256], theirs[256];
			build_rtp(ours, seq, 1000u + 160u * (uint32_t)n, ssrc, (unsigned)n);
			memcpy(theirs, ours, 172);
			size_t len = 172;
			assert_int_equal(media_srtp_protect(&tx, ours, &len), MEDIA_SRTP_OK);
			size_t rlen = ref_srtp_protect(&r, theirs, 172, roc);
			assert_int_equal(len, 172 + su->tag_len);
			assert_int_equal(rlen, len);
			assert_memory_equal(ours, theirs, len); /* byte for byte, ROC 1 included */
			/* Our receive side takes the reference's packet. */
			assert_int_equal(media_srtp_unprotect(&rx, theirs, &rlen), MEDIA_SRTP_OK);
			assert_int_equal(rlen, 172);
			build_rtp(ours, seq, 1000u + 160u * (uint32_t)n, ssrc, (unsigned)n);
			assert_memory_equal(theirs, ours, 172);
		}
		media_srtp_destroy(&tx);
		media_srtp_destroy(&rx);
	}
}

static void test_srtcp_matches_reference(void **state)
{
	(void)state;
	/* Suite 1: 32-bit tag on SRTP but 80-bit on SRTCP (protocol.md §4.5). */
	uint8_t key[16], salt[14];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0x40 + i);
	for (int i = 0; i < 14; i++)
		salt[i] = (uint8_t)(0x90 + i);
	struct media_key k;
	struct media_srtp tx;
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, key, 16, salt, 14);
	assert_int_equal(media_srtp_create(&tx, &k, false), MEDIA_OK);
	struct ref_srtp r;
	ref_srtp_init(&r, 0, key, 16, salt, 14, 4);
	for (uint32_t index = 1; index <= 3; index++) {
		/* An RR with no report blocks plus an SDES CNAME chunk. */
		uint8_t ours[128] = {0x80, 0xc9, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x81, 0xca, 0x00, 0x03,
		                     0xde, 0xad, 0xbe, 0xef, 0x01, 0x06, 'v',  'm',  'p',  'o',  'r',  't'};
		uint8_t theirs[128];
		memcpy(theirs, ours, 24);
		size_t len = 24;
		assert_int_equal(media_srtp_protect_rtcp(&tx, ours, &len), MEDIA_SRTP_OK);
		/* libsrtp numbers SRTCP packets from 1 (its published vector ends in 80000001). */
		size_t rlen = ref_srtcp_protect(&r, theirs, 24, index);
		assert_int_equal(len, 24 + 4 + 10);
		assert_int_equal(rlen, len);
		assert_memory_equal(ours, theirs, len);
	}
	media_srtp_destroy(&tx);
}

/* ---- an independent libsrtp context, set up with the raw API ---- */

static void test_independent_libsrtp_context(void **state)
{
	(void)state;
	uint8_t material[30];
	for (int i = 0; i < 30; i++)
		material[i] = (uint8_t)(i * 11 + 3);
	struct media_key k;
	struct media_srtp tx;
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, material, 16, material + 16, 14);
	assert_int_equal(media_srtp_create(&tx, &k, false), MEDIA_OK);

	srtp_policy_t p;
	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = ssrc_specific;
	p.ssrc.value = 0xcafef00d;
	p.key = material;
	p.window_size = 64;
	srtp_t peer;
	assert_int_equal(srtp_create(&peer, &p), srtp_err_status_ok);
	for (int n = 0; n < 10; n++) {
		uint8_t pkt[256], plain[256];
		build_rtp(pkt, (uint16_t)(100 + n), 160u * (uint32_t)n, 0xcafef00d, (unsigned)n);
		memcpy(plain, pkt, 172);
		size_t len = 172;
		assert_int_equal(media_srtp_protect(&tx, pkt, &len), MEDIA_SRTP_OK);
		assert_int_equal(len, 176);
		int l = (int)len;
		assert_int_equal(srtp_unprotect(peer, pkt, &l), srtp_err_status_ok);
		assert_int_equal(l, 172);
		assert_memory_equal(pkt, plain, 172);
	}
	srtp_dealloc(peer);
	media_srtp_destroy(&tx);
}

/* ---- what the engine counts ---- */

static void test_bit_flip_and_replay(void **state)
{
	(void)state;
	uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, salt[14] = {0};
	struct media_key k;
	struct media_srtp tx, rx;
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, key, 16, salt, 14);
	assert_int_equal(media_srtp_create(&tx, &k, false), MEDIA_OK);
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, key, 16, salt, 14);
	assert_int_equal(media_srtp_create(&rx, &k, true), MEDIA_OK);

	uint8_t pkt[256], bad[256];
	build_rtp(pkt, 7, 0, 42, 0);
	size_t len = 172;
	assert_int_equal(media_srtp_protect(&tx, pkt, &len), MEDIA_SRTP_OK);
	for (size_t bit = 0; bit < len * 8; bit += 37) {
		memcpy(bad, pkt, len);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		size_t bl = len;
		int r = media_srtp_unprotect(&rx, bad, &bl);
		/* A flipped bit in the first byte (version, CSRC count) may make it no RTP at all;
		 * anywhere else it fails the tag. */
		assert_true(r == MEDIA_SRTP_AUTH_FAIL || (bit < 8 && r == MEDIA_SRTP_BAD));
	}
	uint8_t copy[256];
	memcpy(copy, pkt, len);
	size_t l1 = len, l2 = len;
	assert_int_equal(media_srtp_unprotect(&rx, pkt, &l1), MEDIA_SRTP_OK);
	assert_int_equal(media_srtp_unprotect(&rx, copy, &l2), MEDIA_SRTP_REPLAY);
	media_srtp_destroy(&tx);
	media_srtp_destroy(&rx);
}

static void test_refused_keys(void **state)
{
	(void)state;
	struct media_key k;
	struct media_srtp s;
	uint8_t key[32] = {0}, salt[14] = {0};
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, key, 16, salt, 12); /* short salt */
	assert_int_equal(media_srtp_create(&s, &k, true), MEDIA_ERR_CRYPTO);
	make_key(&k, 3 /* F8_128_HMAC_SHA1_32: not implemented */, key, 16, salt, 14);
	assert_int_equal(media_srtp_create(&s, &k, true), MEDIA_ERR_CRYPTO);
	make_key(&k, MEDIA_CRYPTO_AEAD_AES_256_GCM, key, 16, salt, 12); /* 256-bit suite, 128-bit key */
	assert_int_equal(media_srtp_create(&s, &k, true), MEDIA_ERR_CRYPTO);
	make_key(&k, MEDIA_CRYPTO_NONE, key, 0, salt, 0);
	assert_int_equal(media_srtp_create(&s, &k, true), MEDIA_OK);
	assert_false(media_srtp_secure(&s));
}

/* The sentence the port's log gets for each refusal. */
static void test_refusal_reasons(void **state)
{
	(void)state;
	struct media_key k;
	uint8_t key[32] = {0}, salt[14] = {0};
	char why[160];
	make_key(&k, MEDIA_CRYPTO_AEAD_AES_256_GCM, key, 16, salt, 12);
	assert_int_equal(media_srtp_key_problem(&k, why, sizeof(why)), MEDIA_ERR_CRYPTO);
	assert_string_equal(why, "AEAD_AES_256_GCM needs a 32-byte master key, the key block has 16 (SCCP's "
	                         "key slot holds 16 bytes)");
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32, key, 16, salt, 12);
	assert_int_equal(media_srtp_key_problem(&k, why, sizeof(why)), MEDIA_ERR_CRYPTO);
	assert_string_equal(why, "AES_CM_128_HMAC_SHA1_32 needs a 14-byte master salt, the key block has 12");
	make_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80, key, 15, salt, 14);
	assert_int_equal(media_srtp_key_problem(&k, why, sizeof(why)), MEDIA_ERR_CRYPTO);
	assert_string_equal(why, "AES_CM_128_HMAC_SHA1_80 needs a 16-byte master key, the key block has 15");
	make_key(&k, 4, key, 16, salt, 14);
	assert_int_equal(media_srtp_key_problem(&k, why, sizeof(why)), MEDIA_ERR_CRYPTO);
	assert_string_equal(why,
	                    "SRTP suite 4 (F8_128_HMAC_SHA1_80) is not implemented (only 1, 2, 5 and 6 are)");
	make_key(&k, 77, key, 16, salt, 14);
	assert_int_equal(media_srtp_key_problem(&k, why, sizeof(why)), MEDIA_ERR_CRYPTO);
	assert_string_equal(why, "SRTP suite 77 (unknown) is not implemented (only 1, 2, 5 and 6 are)");
	make_key(&k, MEDIA_CRYPTO_AEAD_AES_128_GCM, key, 16, salt, 12);
	assert_int_equal(media_srtp_key_problem(&k, why, sizeof(why)), MEDIA_OK);
	assert_int_equal(media_srtp_check_key(&k), MEDIA_OK);
}

static void test_self_test(void **state)
{
	(void)state;
	char err[128] = "";
	assert_int_equal(media_srtp_self_test(err, sizeof(err)), 0);
}

int main(void)
{
	srand(12345);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ref_aes_fips197),
	    cmocka_unit_test(test_ref_rfc3711_b2_keystream),
	    cmocka_unit_test(test_ref_rfc3711_b3_kdf),
	    cmocka_unit_test(test_libsrtp_published_packets),
	    cmocka_unit_test(test_all_suites_match_reference),
	    cmocka_unit_test(test_srtcp_matches_reference),
	    cmocka_unit_test(test_independent_libsrtp_context),
	    cmocka_unit_test(test_bit_flip_and_replay),
	    cmocka_unit_test(test_refused_keys),
	    cmocka_unit_test(test_refusal_reasons),
	    cmocka_unit_test(test_self_test),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
