/* RTP (RFC 3550 §5.1): fixed header parse and build, the error codes shared by everything in
 * proto/rtp, and the modular arithmetic every RTP receiver needs.
 *
 * Parsing never copies: payload and extension pointers point into the caller's buffer. Building
 * writes the header in front of a payload that may already sit in the output buffer (the media
 * engine encodes G.711 straight into place), so a packet costs no extra copy. */
#ifndef VMPORT_RTP_H
#define VMPORT_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION 2
#define RTP_HEADER_LEN 12u /* fixed part, without CSRCs or extension */
#define RTP_MAX_CSRC 15
#define RTP_MAX_PT 127

/* Results of everything in proto/rtp: 0 or a positive byte count on success, one of these on
 * failure. */
enum rtp_err {
	RTP_OK = 0,
	RTP_ERR_TRUNCATED = -1,   /* fewer bytes than the headers or length fields say */
	RTP_ERR_VERSION = -2,     /* version field is not 2 */
	RTP_ERR_PADDING = -3,     /* padding count is 0 or longer than what follows the header */
	RTP_ERR_NO_SPACE = -4,    /* build: output buffer too small */
	RTP_ERR_INVALID = -5,     /* a value the format cannot carry (PT > 127, 16 CSRCs, ...) */
	RTP_ERR_RTCP_TYPE = -6,   /* RTCP packet is not the type asked for (SR/RR) */
	RTP_ERR_RTCP_LENGTH = -7, /* RTCP length field disagrees with the report count or buffer */
	RTP_ERR_COMPOUND = -8,    /* RTCP compound packet breaks RFC 3550 §6.1 (padding not last) */
	RTP_ERR_CONFIG = -9,      /* jitter buffer configuration or storage unusable */
};

const char *rtp_strerror(int err);

struct rtp_header {
	bool marker;
	uint8_t payload_type; /* 0..127 */
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint8_t csrc_count; /* 0..15 */
	uint32_t csrc[RTP_MAX_CSRC];
	/* Header extension (RFC 3550 §5.3.1): present when has_extension. ext_data holds ext_len
	 * bytes, a multiple of 4; parse points it into the packet, build copies from it. */
	bool has_extension;
	uint16_t ext_profile;
	const uint8_t *ext_data;
	size_t ext_len;
};

struct rtp_packet {
	struct rtp_header header;
	const uint8_t *payload; /* into the parsed buffer */
	size_t payload_len;
	size_t padding_len; /* 0 when the P bit is clear, otherwise the trailing count (1..255) */
};

/* Parse and bounds-check one RTP packet. 0 on success, a negative rtp_err otherwise; on failure
 * *out is unspecified. */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_packet *out);

/* Bytes the header of h takes on the wire (fixed part, CSRCs, extension). */
size_t rtp_header_len(const struct rtp_header *h);

/* Write the header of h at out. Returns its length or a negative rtp_err. */
int rtp_build_header(const struct rtp_header *h, uint8_t *out, size_t cap);

/* Write a whole packet: header, payload, then padding_len (0..255) bytes of RFC 3550 padding.
 * payload may point anywhere, including already at out + rtp_header_len(h). Returns the packet
 * length or a negative rtp_err. */
int rtp_build(const struct rtp_header *h, const uint8_t *payload, size_t payload_len, size_t padding_len,
              uint8_t *out, size_t cap);

/* Modular arithmetic: signed distance from b to a, for sequence numbers (16 bits) and
 * timestamps (32 bits). Positive when a is after b. */
int32_t rtp_seq_diff(uint16_t a, uint16_t b);
int32_t rtp_ts_diff(uint32_t a, uint32_t b);

/* One step of the interarrival jitter estimate (RFC 3550 §6.4.1, A.8), integer form: jitter_q4
 * holds 16 × J. `transit` keeps the previous relative transit time; `have_transit` is false
 * before the first packet. Times are in RTP timestamp units. Feed it packets that carry their
 * own sampling instant: not RFC 4733 events, which repeat one timestamp for a whole event. */
struct rtp_jitter {
	uint32_t jitter_q4;
	uint32_t transit;
	bool have_transit;
};
void rtp_jitter_update(struct rtp_jitter *j, uint32_t rtp_timestamp, uint32_t arrival);
/* The jitter value RTCP reports, in timestamp units. */
static inline uint32_t rtp_jitter_value(const struct rtp_jitter *j)
{
	return j->jitter_q4 >> 4;
}

#endif
