/* Fuzz the RTP, RTCP and RFC 4733 parsers with one input. Beyond "no crash", it checks that
 * whatever parses rebuilds to the same bytes, and that parsed lengths stay inside the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rfc2833.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broke: say which before aborting, so a crash file explains itself. */
#define check(ok)                                                                                            \
	do {                                                                                                 \
		if (!(ok)) {                                                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #ok);           \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static void fuzz_rtp_packet(const uint8_t *data, size_t size)
{
	struct rtp_packet p;
	if (rtp_parse(data, size, &p) != RTP_OK)
		return;
	check(p.payload >= data && p.payload + p.payload_len + p.padding_len == data + size);
	check(rtp_header_len(&p.header) + p.payload_len + p.padding_len == size);

	/* Rebuild: header and payload must come back byte for byte (padding bytes before the
	 * count are zero in ours and arbitrary in the input, so compare only up to there). */
	static uint8_t out[65536 + 512];
	if (size > sizeof out)
		return;
	int n = rtp_build(&p.header, p.payload, p.payload_len, p.padding_len, out, sizeof out);
	check(n == (int)size);
	check(memcmp(out, data, size - p.padding_len) == 0);
	check(p.padding_len == 0 || out[size - 1] == data[size - 1]);

	/* The payload as a telephone event, through the decoder. */
	struct rfc2833_decoder dec;
	struct rfc2833_digit digits[2];
	rfc2833_decoder_init(&dec);
	int k = rfc2833_decoder_feed(&dec, p.header.timestamp, p.payload, p.payload_len, digits);
	check(k <= 2);
	k = rfc2833_decoder_feed(&dec, p.header.timestamp, p.payload, p.payload_len, digits);
	check(k <= 0); /* the same packet again never yields a digit */
}

/* A sequence of telephone-event packets: each 8 bytes is a timestamp delta (3 bytes), a spare
 * byte and a payload. Retransmissions must never repeat a digit: two reports with the same
 * timestamp need a packet with another timestamp between them (a new event; the decoder may take
 * a far jump back and forth as the sender restarting its timestamps). */
static void fuzz_rfc2833_stream(const uint8_t *data, size_t size)
{
	struct rfc2833_decoder dec;
	rfc2833_decoder_init(&dec);
	uint32_t ts = 0;
	uint32_t last_reported_ts = 0;
	int reported_any = 0, other_ts_since_report = 0;
	for (size_t off = 0; off + 8 <= size; off += 8) {
		ts += (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 8 | data[off + 2];
		if (reported_any && ts != last_reported_ts)
			other_ts_since_report = 1;
		struct rfc2833_digit d[2];
		int k = rfc2833_decoder_feed(&dec, ts, data + off + 4, 4, d);
		check(k >= 0 && k <= 2);
		for (int i = 0; i < k; i++) {
			check(rfc2833_event_to_digit(d[i].event) == d[i].digit && d[i].digit != '\0');
			check(!reported_any || d[i].timestamp != last_reported_ts || other_ts_since_report);
			last_reported_ts = d[i].timestamp;
			reported_any = 1;
		}
		/* This packet itself counts as "another timestamp" for what was just reported. */
		if (k > 0)
			other_ts_since_report = ts != last_reported_ts;
		/* Two digits from one packet: the first is the earlier event, never the same one. */
		check(k < 2 || d[0].timestamp != d[1].timestamp);
	}
	struct rfc2833_digit d;
	int k = rfc2833_decoder_flush(&dec, &d);
	check(k == 0 || k == 1);
	check(rfc2833_decoder_flush(&dec, &d) == 0);
}

static void fuzz_rtcp_compound(const uint8_t *data, size_t size)
{
	(void)rtcp_check_compound(data, size);
	struct rtcp_iter it;
	struct rtcp_chunk c;
	rtcp_iter_init(&it, data, size);
	size_t packets = 0;
	while (rtcp_iter_next(&it, &c) == 1) {
		check(c.data >= data && c.data + c.len <= data + size && c.len >= 4);
		check(++packets <= size / 4);
		struct rtcp_report r;
		if (rtcp_parse_report(&c, &r) != RTP_OK)
			continue;
		/* Rebuild the report: the fixed part and the blocks must match the input. */
		uint8_t out[8 + 20 + 31 * 24];
		int n = rtcp_build_report(&r, out, sizeof out);
		check(n > 0 && (size_t)n <= c.len);
		check(memcmp(out + 1, c.data + 1, 1) == 0);
		check(memcmp(out + 4, c.data + 4, (size_t)n - 4) == 0);
		struct rtcp_report_block *b = &r.blocks[0];
		if (r.block_count)
			(void)rtcp_round_trip_q16(0x12345678, b);
	}
}

/* Receiver statistics over the input read as 16-bit sequence numbers. */
static void fuzz_source_stats(const uint8_t *data, size_t size)
{
	struct rtp_source_stats s;
	rtp_source_init(&s, 1);
	for (size_t off = 0; off + 2 <= size; off += 2) {
		uint16_t seq = (uint16_t)(data[off] << 8 | data[off + 1]);
		rtp_source_on_packet(&s, seq, (uint32_t)off * 80u, (uint32_t)off * 81u);
	}
	struct rtcp_report_block b;
	rtp_source_report_block(&s, 0, &b);
	check(b.cumulative_lost >= RTCP_CUMULATIVE_LOST_MIN && b.cumulative_lost <= RTCP_CUMULATIVE_LOST_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rtp_packet(data, size);
	fuzz_rtcp_compound(data, size);
	fuzz_rfc2833_stream(data, size);
	fuzz_source_stats(data, size);
	return 0;
}
