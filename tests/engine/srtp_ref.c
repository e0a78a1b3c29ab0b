/* Reference SRTP for the tests: see srtp_ref.h. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "srtp_ref.h"

#include <assert.h>
#include <string.h>

/* ---- AES (FIPS-197), byte-oriented, encryption only ---- */

static const uint8_t sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static uint8_t xtime(uint8_t x)
{
	return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0x00));
}

/* Key expansion (FIPS-197 §5.2): Nk = 4 or 8 words, Nr = 10 or 14 rounds. */
static int expand_key(const uint8_t *key, size_t key_len, uint8_t w[240])
{
	unsigned nk = (unsigned)(key_len / 4), nr = nk + 6;
	uint8_t rcon = 0x01;
	memcpy(w, key, key_len);
	for (unsigned i = nk; i < 4 * (nr + 1); i++) {
		uint8_t t[4];
		memcpy(t, w + 4 * (i - 1), 4);
		if (i % nk == 0) {
			uint8_t t0 = t[0];
			t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
			t[1] = sbox[t[2]];
			t[2] = sbox[t[3]];
			t[3] = sbox[t0];
			rcon = xtime(rcon);
		} else if (nk > 6 && i % nk == 4) {
			for (int j = 0; j < 4; j++)
				t[j] = sbox[t[j]];
		}
		for (int j = 0; j < 4; j++)
			w[4 * i + j] = (uint8_t)(w[4 * (i - nk) + j] ^ t[j]);
	}
	return (int)nr;
}

void ref_aes_encrypt(const uint8_t *key, size_t key_len, const uint8_t in[16], uint8_t out[16])
{
	uint8_t w[240], s[16];
	assert(key_len == 16 || key_len == 32);
	int nr = expand_key(key, key_len, w);
	for (int i = 0; i < 16; i++)
		s[i] = (uint8_t)(in[i] ^ w[i]);
	for (int round = 1; round <= nr; round++) {
		uint8_t t[16];
		/* SubBytes and ShiftRows: state is column-major, s[4c + r]. */
		for (int c = 0; c < 4; c++)
			for (int r = 0; r < 4; r++)
				t[4 * c + r] = sbox[s[4 * ((c + r) % 4) + r]];
		if (round != nr) { /* MixColumns */
			for (int c = 0; c < 4; c++) {
				uint8_t *col = t + 4 * c;
				uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
				uint8_t all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
				col[0] = (uint8_t)(a0 ^ all ^ xtime((uint8_t)(a0 ^ a1)));
				col[1] = (uint8_t)(a1 ^ all ^ xtime((uint8_t)(a1 ^ a2)));
				col[2] = (uint8_t)(a2 ^ all ^ xtime((uint8_t)(a2 ^ a3)));
				col[3] = (uint8_t)(a3 ^ all ^ xtime((uint8_t)(a3 ^ a0)));
			}
		}
		for (int i = 0; i < 16; i++)
			s[i] = (uint8_t)(t[i] ^ w[16 * round + i]);
	}
	memcpy(out, s, 16);
}

void ref_aes_cm_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *out, size_t len)
{
	uint8_t ctr[16], block[16];
	memcpy(ctr, iv, 16);
	uint16_t base = (uint16_t)((iv[14] << 8) | iv[15]);
	for (size_t off = 0, n = 0; off < len; off += 16, n++) {
		uint16_t c = (uint16_t)(base + n);
		ctr[14] = (uint8_t)(c >> 8);
		ctr[15] = (uint8_t)c;
		ref_aes_encrypt(key, key_len, ctr, block);
		size_t take = len - off < 16 ? len - off : 16;
		memcpy(out + off, block, take);
	}
}

void ref_kdf(const uint8_t *master_key, size_t key_len, const uint8_t master_salt[14], uint8_t label,
             uint8_t *out, size_t n)
{
	/* x = (label || r) XOR master_salt with r = index DIV kdr = 0 (48 bits): key_id is the
	 * 7 low-order bytes of the 14, so the label lands on byte 7. IV = x * 2^16. */
	uint8_t iv[16] = {0};
	memcpy(iv, master_salt, 14);
	iv[7] ^= label;
	ref_aes_cm_keystream(master_key, key_len, iv, out, n);
}

void ref_srtp_init(struct ref_srtp *s, int gcm, const uint8_t *key, size_t key_len, const uint8_t *salt,
                   size_t salt_len, size_t tag_len)
{
	uint8_t msalt[14] = {0};
	memset(s, 0, sizeof(*s));
	memcpy(msalt, salt, salt_len);
	s->gcm = gcm;
	s->key_len = key_len;
	s->tag_len = tag_len;
	size_t session_salt = gcm ? 12 : 14;
	ref_kdf(key, key_len, msalt, 0x00, s->rtp_key, key_len);
	ref_kdf(key, key_len, msalt, 0x01, s->rtp_auth, 20);
	ref_kdf(key, key_len, msalt, 0x02, s->rtp_salt, session_salt);
	ref_kdf(key, key_len, msalt, 0x03, s->rtcp_key, key_len);
	ref_kdf(key, key_len, msalt, 0x04, s->rtcp_auth, 20);
	ref_kdf(key, key_len, msalt, 0x05, s->rtcp_salt, session_salt);
}

static void hmac_sha1(const uint8_t key[20], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                      uint8_t out[20])
{
	Hmac h;
	int rc = wc_HmacInit(&h, NULL, INVALID_DEVID);
	rc |= wc_HmacSetKey(&h, WC_SHA, key, 20);
	rc |= wc_HmacUpdate(&h, a, (word32)alen);
	if (blen > 0)
		rc |= wc_HmacUpdate(&h, b, (word32)blen);
	rc |= wc_HmacFinal(&h, out);
	wc_HmacFree(&h);
	assert(rc == 0);
}

size_t ref_srtp_protect(const struct ref_srtp *s, uint8_t *pkt, size_t len, uint32_t roc)
{
	const size_t hdr = 12;
	uint16_t seq = (uint16_t)((pkt[2] << 8) | pkt[3]);
	uint8_t roc_be[4] = {(uint8_t)(roc >> 24), (uint8_t)(roc >> 16), (uint8_t)(roc >> 8), (uint8_t)roc};

	if (s->gcm) {
		/* RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = the header. */
		uint8_t iv[12] = {0};
		memcpy(iv + 2, pkt + 8, 4);
		memcpy(iv + 6, roc_be, 4);
		iv[10] = pkt[2];
		iv[11] = pkt[3];
		for (int i = 0; i < 12; i++)
			iv[i] ^= s->rtp_salt[i];
		Aes aes;
		uint8_t ct[1500];
		int rc = wc_AesInit(&aes, NULL, INVALID_DEVID);
		rc |= wc_AesGcmSetKey(&aes, s->rtp_key, (word32)s->key_len);
		rc |= wc_AesGcmEncrypt(&aes, ct, pkt + hdr, (word32)(len - hdr), iv, 12, pkt + len, 16, pkt,
		                       hdr);
		wc_AesFree(&aes);
		assert(rc == 0);
		memcpy(pkt + hdr, ct, len - hdr);
		return len + 16;
	}
	/* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC * 2^16 + SEQ. */
	uint8_t iv[16] = {0};
	memcpy(iv, s->rtp_salt, 14);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= pkt[8 + i];
	uint8_t index[6] = {roc_be[0], roc_be[1], roc_be[2], roc_be[3], (uint8_t)(seq >> 8), (uint8_t)seq};
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= index[i];
	uint8_t ks[1500];
	ref_aes_cm_keystream(s->rtp_key, s->key_len, iv, ks, len - hdr);
	for (size_t i = hdr; i < len; i++)
		pkt[i] ^= ks[i - hdr];
	/* §4.2: tag = HMAC-SHA1(k_a, packet || ROC), truncated. */
	uint8_t mac[20];
	hmac_sha1(s->rtp_auth, pkt, len, roc_be, 4, mac);
	memcpy(pkt + len, mac, s->tag_len);
	return len + s->tag_len;
}

size_t ref_srtcp_protect(const struct ref_srtp *s, uint8_t *pkt, size_t len, uint32_t index)
{
	assert(!s->gcm);
	/* §3.4: everything after the first 8 bytes is encrypted; IV as for SRTP with the SRTCP
	 * index (31 bits) in place of the packet index. */
	uint8_t iv[16] = {0};
	memcpy(iv, s->rtcp_salt, 14);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= pkt[4 + i];
	iv[10] ^= (uint8_t)(index >> 24);
	iv[11] ^= (uint8_t)(index >> 16);
	iv[12] ^= (uint8_t)(index >> 8);
	iv[13] ^= (uint8_t)index;
	uint8_t ks[1500];
	ref_aes_cm_keystream(s->rtcp_key, s->key_len, iv, ks, len - 8);
	for (size_t i = 8; i < len; i++)
		pkt[i] ^= ks[i - 8];
	uint32_t e_index = 0x80000000u | index;
	pkt[len] = (uint8_t)(e_index >> 24);
	pkt[len + 1] = (uint8_t)(e_index >> 16);
	pkt[len + 2] = (uint8_t)(e_index >> 8);
	pkt[len + 3] = (uint8_t)e_index;
	uint8_t mac[20];
	hmac_sha1(s->rtcp_auth, pkt, len + 4, NULL, 0, mac);
	memcpy(pkt + len + 4, mac, 10);
	return len + 4 + 10;
}
