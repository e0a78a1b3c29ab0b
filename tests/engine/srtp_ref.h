/* A second SRTP implementation, written for the tests from RFC 3711 and RFC 7714 alone: its
 * own AES block cipher (FIPS-197), wolfSSL's HMAC-SHA1 and AES-GCM. Slow and simple on purpose;
 * it shares no code with libsrtp, so agreement byte for byte means both follow the RFCs. It is
 * itself checked against FIPS-197 and the RFC 3711 Appendix B vectors before it judges. */
#ifndef VMPORT_TEST_SRTP_REF_H
#define VMPORT_TEST_SRTP_REF_H

#include <stddef.h>
#include <stdint.h>

/* AES encryption of one block with a 16- or 32-byte key. */
void ref_aes_encrypt(const uint8_t *key, size_t key_len, const uint8_t in[16], uint8_t out[16]);

/* AES counter-mode keystream as SRTP uses it: the 16-byte IV's last two bytes count blocks. */
void ref_aes_cm_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *out, size_t len);

/* RFC 3711 §4.3.1 key derivation with key_derivation_rate 0: n bytes for `label`. The salt is
 * 14 bytes (a 12-byte GCM salt is zero-padded to 14, as libsrtp and RFC 7714 §11 do). */
void ref_kdf(const uint8_t *master_key, size_t key_len, const uint8_t master_salt[14], uint8_t label,
             uint8_t *out, size_t n);

struct ref_srtp {
	int gcm;        /* 0: AES-CM + HMAC-SHA1, 1: AEAD AES-GCM */
	size_t key_len; /* 16 or 32 */
	size_t tag_len; /* 4 or 10 (HMAC), 16 (GCM) */
	uint8_t rtp_key[32], rtp_salt[14], rtp_auth[20];
	uint8_t rtcp_key[32], rtcp_salt[14], rtcp_auth[20];
};

/* Derive the session keys from a master key and salt (salt_len 14, or 12 for GCM). */
void ref_srtp_init(struct ref_srtp *s, int gcm, const uint8_t *key, size_t key_len, const uint8_t *salt,
                   size_t salt_len, size_t tag_len);

/* Protect the RTP packet in pkt (fixed 12-byte header) with rollover counter roc; returns the
 * new length (payload encrypted, tag appended). */
size_t ref_srtp_protect(const struct ref_srtp *s, uint8_t *pkt, size_t len, uint32_t roc);

/* Protect an RTCP compound packet (AES-CM + HMAC-SHA1-80 only) with SRTCP index `index`. */
size_t ref_srtcp_protect(const struct ref_srtp *s, uint8_t *pkt, size_t len, uint32_t index);

#endif
