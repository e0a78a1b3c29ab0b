/* SRTP for one direction of one channel, on libsrtp2. Maps SCCP's algorithm ids to libsrtp
 * policies (protocol.md §4.5), builds contexts from a key exactly once and wipes every copy of
 * the key it made, and sorts libsrtp's results into the counters the engine keeps.
 *
 * Inbound contexts accept any SSRC (ssrc_any_inbound): SCCP never tells us the peer's SSRC.
 * libsrtp clones its template stream (one allocation) on the first authenticated packet of each
 * new SSRC; every later packet of the stream allocates nothing in libsrtp itself. */
#ifndef VMPORT_MEDIA_SRTP_H
#define VMPORT_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media.h"

/* Room protect needs after the packet: the longest tag (16) plus SRTCP's index (4). */
#define MEDIA_SRTP_TRAILER 32

struct media_srtp {
	void *session; /* srtp_t; NULL: plain RTP */
	uint32_t algorithm;
};

enum media_srtp_result {
	MEDIA_SRTP_OK = 0,
	MEDIA_SRTP_AUTH_FAIL = -1, /* tag did not verify: drop, count */
	MEDIA_SRTP_REPLAY = -2,    /* seen before or too old: drop, count */
	MEDIA_SRTP_BAD = -3,       /* anything else libsrtp refused (too short, no stream, ...) */
};

/* srtp_init once per process (thread-safe). 0 or -EIO. */
int media_srtp_global_init(void);
/* Which AES-CM and HMAC-SHA1 libsrtp runs in this process (for logs and benchmarks). */
const char *media_srtp_implementation(void);
/* True when they are media_srtp_ossl.c's: protecting and unprotecting with the AES-CM suites
 * then allocates nothing (libsrtp's OpenSSL 3 backend allocates twice per HMAC). */
bool media_srtp_cm_alloc_free(void);

/* MEDIA_OK when the key block is one this engine implements (algorithm 0 always is), else
 * MEDIA_ERR_CRYPTO. Lengths must match the suite exactly. */
int media_srtp_check_key(const struct media_key *key);
/* The same check, and when refused a sentence for the log in why (if not NULL), e.g.
 * "AEAD_AES_256_GCM needs a 32-byte master key, the key block has 16 (SCCP's key slot holds 16
 * bytes)". */
int media_srtp_key_problem(const struct media_key *key, char *why, size_t cap);
/* The suite's name as SCCP numbers it ("AES_CM_128_HMAC_SHA1_32"; "unknown"). */
const char *media_crypto_name(uint32_t algorithm);

/* Build a context for `key`: inbound (unprotect, any SSRC) or outbound (protect, any SSRC). With
 * algorithm 0, s->session stays NULL and packets pass in the clear. The key block is wiped
 * whatever the result. Returns MEDIA_OK or MEDIA_ERR_CRYPTO. */
int media_srtp_create(struct media_srtp *s, struct media_key *key, bool inbound);
void media_srtp_destroy(struct media_srtp *s);

static inline bool media_srtp_secure(const struct media_srtp *s)
{
	return s->session != NULL;
}

/* In place. *len grows by the tag (RTP) or index + tag (RTCP); the buffer must hold *len +
 * MEDIA_SRTP_TRAILER. MEDIA_SRTP_OK or MEDIA_SRTP_BAD. */
int media_srtp_protect(struct media_srtp *s, uint8_t *pkt, size_t *len);
int media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t *len);
/* In place; *len shrinks to the plain packet. One of enum media_srtp_result. */
int media_srtp_unprotect(struct media_srtp *s, uint8_t *pkt, size_t *len);
int media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *pkt, size_t *len);

/* Known-answer test of the suites against libsrtp's published reference packets (AES-CM with
 * HMAC-SHA1-80 and AES-128-GCM, from libsrtp's test/srtp_driver.c), through the same code path
 * the engine uses. 0, or -1 with a description in err. */
int media_srtp_self_test(char *err, size_t err_cap);

#endif
