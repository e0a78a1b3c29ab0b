/* RTCP (RFC 3550 §6): sender and receiver reports, the SDES CNAME and BYE packets a compound
 * packet needs, a walker over received compound packets, and the receiver statistics that fill
 * a report block (sequence validation A.1, loss A.3, interarrival jitter A.8).
 *
 * Everything is pure: times are arguments. `now_q16` / `arrival_q16` are any monotonic clock in
 * units of 1/65536 s (the DLSR unit); only differences are used, so it may wrap. */
#ifndef VMPORT_RTCP_H
#define VMPORT_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
};

#define RTCP_HEADER_LEN 4u
#define RTCP_SENDER_INFO_LEN 20u
#define RTCP_REPORT_BLOCK_LEN 24u
#define RTCP_MAX_REPORT_BLOCKS 31 /* the 5-bit report count */
#define RTCP_CUMULATIVE_LOST_MAX 0x7FFFFF
#define RTCP_CUMULATIVE_LOST_MIN (-0x800000)

/* One reception report block (§6.4.1). */
struct rtcp_report_block {
	uint32_t ssrc;           /* the source this block is about */
	uint8_t fraction_lost;   /* lost / expected since the previous report, in 1/256 */
	int32_t cumulative_lost; /* 24-bit signed on the wire; duplicates can make it negative */
	uint32_t highest_seq;    /* extended: sequence cycles in the top 16 bits */
	uint32_t jitter;         /* interarrival jitter, timestamp units */
	uint32_t lsr;            /* middle 32 bits of the last SR's NTP time, 0 when none seen */
	uint32_t dlsr;           /* delay since that SR arrived, 1/65536 s, 0 when none */
};

struct rtcp_sender_info {
	uint32_t ntp_sec;  /* NTP timestamp: seconds since 1900 */
	uint32_t ntp_frac; /* and the fraction, 1/2^32 s */
	uint32_t rtp_timestamp;
	uint32_t packet_count;
	uint32_t octet_count;
};

/* A sender report (is_sender_report, with sender info) or a receiver report. */
struct rtcp_report {
	bool is_sender_report;
	uint32_t ssrc; /* of the packet's sender */
	struct rtcp_sender_info sender;
	uint8_t block_count;
	struct rtcp_report_block blocks[RTCP_MAX_REPORT_BLOCKS];
};

/* Middle 32 bits of an NTP timestamp: the LSR/DLSR time base. */
static inline uint32_t rtcp_ntp_middle(uint32_t ntp_sec, uint32_t ntp_frac)
{
	return (ntp_sec << 16) | (ntp_frac >> 16);
}

/* Builders: each writes one RTCP packet and returns its length or a negative rtp_err. Chain them
 * into one buffer for a compound packet: report first, then SDES CNAME (§6.1), BYE last. */
int rtcp_build_report(const struct rtcp_report *r, uint8_t *out, size_t cap);
/* cname: 1..255 bytes of text (conventionally user@host), need not be NUL-terminated. */
int rtcp_build_sdes_cname(uint32_t ssrc, const char *cname, size_t cname_len, uint8_t *out, size_t cap);
int rtcp_build_bye(uint32_t ssrc, uint8_t *out, size_t cap);

/* One packet inside a compound packet. */
struct rtcp_chunk {
	uint8_t type;        /* packet type (enum rtcp_type or anything else) */
	uint8_t count;       /* the 5-bit count field (report or source count, APP subtype) */
	const uint8_t *data; /* whole packet, header included */
	size_t len;          /* its length, padding excluded */
};

struct rtcp_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* Next packet: 1 with *out filled, 0 at the end, or a negative rtp_err (version, length, padding
 * anywhere but in the last packet). After an error the walk is over. */
int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_chunk *out);

/* RFC 3550 A.2 validity of a whole compound packet: every packet well framed, padding only in the
 * last, and the first one an SR or RR. 0 or a negative rtp_err. */
int rtcp_check_compound(const uint8_t *buf, size_t len);

/* Decode an SR or RR chunk. Extra bytes after the report blocks (profile extensions) are
 * allowed and ignored. 0 or a negative rtp_err (RTP_ERR_RTCP_TYPE for any other type). */
int rtcp_parse_report(const struct rtcp_chunk *c, struct rtcp_report *out);

/* Round-trip time from a report block about our stream (§6.4.1): arrival time of the report as
 * an NTP middle-32 value, minus LSR, minus DLSR. In 1/65536 s, or -1 when the block carries no
 * LSR (the peer has not seen our SR yet) or the result would be negative (clock mismatch). */
int64_t rtcp_round_trip_q16(uint32_t arrival_ntp_middle, const struct rtcp_report_block *b);

/* ---- Receiver statistics for one remote source (RFC 3550 A.1, A.3, A.8) ---- */

/* What the sequence check (A.1) concluded about a packet. */
enum rtp_seq_verdict {
	RTP_SEQ_VALID,     /* counted */
	RTP_SEQ_PROBATION, /* new source not yet confirmed by MIN_SEQUENTIAL packets in order */
	RTP_SEQ_JUMP,      /* very large jump: ignored until the next packet confirms it */
	RTP_SEQ_RESTARTED, /* the jump was confirmed: statistics restarted at this packet (counted) */
};

struct rtp_source_stats {
	uint32_t ssrc;
	bool started;
	uint16_t max_seq;   /* highest sequence number seen */
	uint32_t cycles;    /* sequence wraps, shifted left 16 */
	uint32_t base_seq;  /* first sequence number counted */
	uint32_t bad_seq;   /* the sequence number that would confirm a jump */
	uint32_t probation; /* packets still needed before the source is valid */
	uint32_t received;
	uint32_t expected_prior; /* at the previous report block */
	uint32_t received_prior;
	struct rtp_jitter jitter;
	bool have_sr;
	uint32_t last_sr_ntp_middle;
	uint32_t last_sr_arrival_q16;
};

void rtp_source_init(struct rtp_source_stats *s, uint32_t ssrc);
/* Sequence bookkeeping only (A.1); use this for packets whose timestamp says nothing about
 * arrival timing, such as RFC 4733 telephone events. */
enum rtp_seq_verdict rtp_source_update_seq(struct rtp_source_stats *s, uint16_t seq);
/* A media packet: sequence bookkeeping, then the jitter estimate (A.8) when the packet counts.
 * arrival is the arrival time converted to timestamp units (samples at 8 kHz). */
enum rtp_seq_verdict rtp_source_on_packet(struct rtp_source_stats *s, uint16_t seq, uint32_t rtp_timestamp,
                                          uint32_t arrival);
/* A sender report from this source arrived at arrival_q16: remembered for LSR/DLSR. */
void rtp_source_on_sender_report(struct rtp_source_stats *s, const struct rtcp_sender_info *si,
                                 uint32_t arrival_q16);

/* Extended highest sequence number, packets expected and lost so far (A.3). lost may be
 * negative when duplicates arrived. */
uint32_t rtp_source_extended_max(const struct rtp_source_stats *s);
int64_t rtp_source_expected(const struct rtp_source_stats *s);
int64_t rtp_source_lost(const struct rtp_source_stats *s);

/* Fill a report block about this source as of now_q16 (A.3), and start the next reporting
 * interval: the fraction lost covers the packets since the previous call. */
void rtp_source_report_block(struct rtp_source_stats *s, uint32_t now_q16, struct rtcp_report_block *out);

#endif
