/* RTP fixed header: parse/build round trips, CSRC list, extension, padding, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtp/rtp.h"

/* A PCMU packet as a phone sends it: V=2, no P/X/CC, marker, PT 0, seq 0x1234, ts 0xDEADBEEF,
 * SSRC 0x01020304, then 4 payload bytes. */
static const uint8_t pcmu_packet[] = {0x80, 0x80, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF,
                                      0x01, 0x02, 0x03, 0x04, 0xFF, 0x7F, 0x00, 0x80};

static void test_parse_plain_packet(void **state)
{
	(void)state;
	struct rtp_packet p;
	assert_int_equal(rtp_parse(pcmu_packet, sizeof pcmu_packet, &p), RTP_OK);
	assert_true(p.header.marker);
	assert_int_equal(p.header.payload_type, 0);
	assert_int_equal(p.header.seq, 0x1234);
	assert_int_equal(p.header.timestamp, 0xDEADBEEF);
	assert_int_equal(p.header.ssrc, 0x01020304);
	assert_int_equal(p.header.csrc_count, 0);
	assert_false(p.header.has_extension);
	assert_int_equal(p.payload_len, 4);
	assert_ptr_equal(p.payload, pcmu_packet + 12);
	assert_int_equal(p.padding_len, 0);
}

static void test_build_matches_wire_bytes(void **state)
{
	(void)state;
	struct rtp_header h = {
	    .marker = true, .payload_type = 0, .seq = 0x1234, .timestamp = 0xDEADBEEF, .ssrc = 0x01020304};
	uint8_t out[64];
	int n = rtp_build(&h, pcmu_packet + 12, 4, 0, out, sizeof out);
	assert_int_equal(n, sizeof pcmu_packet);
	assert_memory_equal(out, pcmu_packet, sizeof pcmu_packet);
}

static void test_round_trip_with_csrcs_extension_and_padding(void **state)
{
	(void)state;
	static const uint8_t ext[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t payload[5] = {9, 8, 7, 6, 5};
	struct rtp_header h = {.payload_type = 101,
	                       .seq = 65535,
	                       .timestamp = 160,
	                       .ssrc = 0xCAFEBABE,
	                       .csrc_count = 3,
	                       .csrc = {11, 22, 0xFFFFFFFF},
	                       .has_extension = true,
	                       .ext_profile = 0xBEDE,
	                       .ext_data = ext,
	                       .ext_len = sizeof ext};
	uint8_t out[128];
	int n = rtp_build(&h, payload, sizeof payload, 7, out, sizeof out);
	assert_int_equal(n, 12 + 12 + 4 + 8 + 5 + 7);
	assert_int_equal(rtp_header_len(&h), 36);
	assert_int_equal(out[0], 0x80 | 0x20 | 0x10 | 3);
	assert_int_equal(out[n - 1], 7);

	struct rtp_packet p;
	assert_int_equal(rtp_parse(out, (size_t)n, &p), RTP_OK);
	assert_false(p.header.marker);
	assert_int_equal(p.header.payload_type, 101);
	assert_int_equal(p.header.seq, 65535);
	assert_int_equal(p.header.csrc_count, 3);
	assert_int_equal(p.header.csrc[0], 11);
	assert_int_equal(p.header.csrc[2], 0xFFFFFFFF);
	assert_true(p.header.has_extension);
	assert_int_equal(p.header.ext_profile, 0xBEDE);
	assert_int_equal(p.header.ext_len, 8);
	assert_memory_equal(p.header.ext_data, ext, 8);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(p.payload, payload, 5);
	assert_int_equal(p.padding_len, 7);

	/* And back again: the same bytes. */
	uint8_t again[128];
	assert_int_equal(rtp_build(&p.header, p.payload, p.payload_len, p.padding_len, again, sizeof again),
	                 n);
	assert_memory_equal(again, out, (size_t)n);
}

static void test_build_with_payload_already_in_place(void **state)
{
	(void)state;
	struct rtp_header h = {.payload_type = 8, .seq = 1, .timestamp = 2, .ssrc = 3};
	uint8_t buf[12 + 160];
	for (int i = 0; i < 160; i++)
		buf[12 + i] = (uint8_t)i;
	assert_int_equal(rtp_build(&h, buf + 12, 160, 0, buf, sizeof buf), 172);
	struct rtp_packet p;
	assert_int_equal(rtp_parse(buf, sizeof buf, &p), RTP_OK);
	for (int i = 0; i < 160; i++)
		assert_int_equal(p.payload[i], i);

	/* Payload written at the start of the buffer moves up behind the header. */
	for (int i = 0; i < 160; i++)
		buf[i] = (uint8_t)(200 - i);
	assert_int_equal(rtp_build(&h, buf, 160, 0, buf, sizeof buf), 172);
	assert_int_equal(rtp_parse(buf, sizeof buf, &p), RTP_OK);
	for (int i = 0; i < 160; i++)
		assert_int_equal(p.payload[i], (uint8_t)(200 - i));
}

static void test_empty_extension_and_empty_payload(void **state)
{
	(void)state;
	struct rtp_header h = {.payload_type = 0, .has_extension = true, .ext_profile = 0x1000};
	uint8_t out[32];
	int n = rtp_build(&h, NULL, 0, 0, out, sizeof out);
	assert_int_equal(n, 16);
	struct rtp_packet p;
	assert_int_equal(rtp_parse(out, (size_t)n, &p), RTP_OK);
	assert_true(p.header.has_extension);
	assert_int_equal(p.header.ext_len, 0);
	assert_int_equal(p.payload_len, 0);
}

static void test_truncated_packets(void **state)
{
	(void)state;
	struct rtp_packet p;
	for (size_t len = 0; len < 12; len++)
		assert_int_equal(rtp_parse(pcmu_packet, len, &p), RTP_ERR_TRUNCATED);

	/* CC=2 needs 8 more bytes after the fixed header. */
	uint8_t csrc[19] = {0x82, 0x00};
	assert_int_equal(rtp_parse(csrc, sizeof csrc, &p), RTP_ERR_TRUNCATED);
	uint8_t csrc_ok[20] = {0x82, 0x00};
	assert_int_equal(rtp_parse(csrc_ok, sizeof csrc_ok, &p), RTP_OK); /* exactly enough */

	/* X set: the extension header itself is missing, then its body is. */
	uint8_t ext[24] = {0x90, 0x00};
	assert_int_equal(rtp_parse(ext, 14, &p), RTP_ERR_TRUNCATED);
	ext[14] = 0x00;
	ext[15] = 0x03; /* 12 bytes of extension, only 8 present */
	assert_int_equal(rtp_parse(ext, 24, &p), RTP_ERR_TRUNCATED);
	ext[15] = 0x02;
	assert_int_equal(rtp_parse(ext, 24, &p), RTP_OK);
}

static void test_bad_version(void **state)
{
	(void)state;
	uint8_t pkt[sizeof pcmu_packet];
	struct rtp_packet p;
	memcpy(pkt, pcmu_packet, sizeof pkt);
	for (unsigned v = 0; v < 4; v++) {
		pkt[0] = (uint8_t)((v << 6) | (pkt[0] & 0x3F));
		assert_int_equal(rtp_parse(pkt, sizeof pkt, &p), v == 2 ? RTP_OK : RTP_ERR_VERSION);
	}
}

static void test_bad_padding(void **state)
{
	(void)state;
	uint8_t pkt[sizeof pcmu_packet];
	struct rtp_packet p;
	memcpy(pkt, pcmu_packet, sizeof pkt);
	pkt[0] |= 0x20;
	pkt[15] = 0; /* count of zero */
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &p), RTP_ERR_PADDING);
	pkt[15] = 5; /* more than the 4 bytes after the header */
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &p), RTP_ERR_PADDING);
	pkt[15] = 4; /* the whole payload is padding */
	assert_int_equal(rtp_parse(pkt, sizeof pkt, &p), RTP_OK);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.padding_len, 4);
	/* P set but nothing after the header at all. */
	assert_int_equal(rtp_parse(pkt, 12, &p), RTP_ERR_PADDING);
}

static void test_build_refuses_what_the_format_cannot_carry(void **state)
{
	(void)state;
	uint8_t out[64];
	uint8_t ext[3] = {0};
	struct rtp_header h = {.payload_type = 128};
	assert_int_equal(rtp_build(&h, NULL, 0, 0, out, sizeof out), RTP_ERR_INVALID);
	h = (struct rtp_header){.csrc_count = 16};
	assert_int_equal(rtp_build_header(&h, out, sizeof out), RTP_ERR_INVALID);
	h = (struct rtp_header){.has_extension = true, .ext_data = ext, .ext_len = 3};
	assert_int_equal(rtp_build_header(&h, out, sizeof out), RTP_ERR_INVALID);
	h = (struct rtp_header){0};
	assert_int_equal(rtp_build(&h, NULL, 0, 256, out, sizeof out), RTP_ERR_INVALID);
	assert_int_equal(rtp_build_header(&h, out, 11), RTP_ERR_NO_SPACE);
	assert_int_equal(rtp_build(&h, out, 40, 0, out, 51), RTP_ERR_NO_SPACE);
	assert_int_equal(rtp_build(&h, out, 40, 13, out, 64), RTP_ERR_NO_SPACE);
	assert_int_equal(rtp_build(&h, out, 40, 12, out, 64), 64);
	assert_int_equal(rtp_build(&h, out, SIZE_MAX, 1, out, 64), RTP_ERR_NO_SPACE);
}

static void test_modular_differences(void **state)
{
	(void)state;
	assert_int_equal(rtp_seq_diff(0, 65535), 1);
	assert_int_equal(rtp_seq_diff(65535, 0), -1);
	assert_int_equal(rtp_seq_diff(100, 100), 0);
	assert_int_equal(rtp_seq_diff(0x8000, 0), -32768);
	assert_int_equal(rtp_ts_diff(5, 0xFFFFFFFB), 10);
	assert_int_equal(rtp_ts_diff(0xFFFFFFFB, 5), -10);
	assert_int_equal(rtp_ts_diff(0x80000000u, 0), INT32_MIN);
}

/* RFC 3550 A.8: with constant transit the estimate stays 0; with a transit that alternates by
 * D it converges to D (J += (|D| - J) / 16). */
static void test_jitter_estimate(void **state)
{
	(void)state;
	struct rtp_jitter j = {0};
	for (uint32_t i = 0; i < 100; i++)
		rtp_jitter_update(&j, 1000 + 160 * i, 50000 + 160 * i);
	assert_int_equal(rtp_jitter_value(&j), 0);

	j = (struct rtp_jitter){0};
	for (uint32_t i = 0; i < 400; i++)
		rtp_jitter_update(&j, 0xFFFFFF00u + 160 * i, 160 * i + (i % 2 ? 80 : 0));
	assert_in_range(rtp_jitter_value(&j), 79, 80);

	/* One step from 0 with D = 160: J = 160 / 16 = 10. */
	j = (struct rtp_jitter){0};
	rtp_jitter_update(&j, 0, 0);
	rtp_jitter_update(&j, 160, 320);
	assert_int_equal(rtp_jitter_value(&j), 10);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e >= RTP_ERR_CONFIG; e--)
		assert_string_not_equal(rtp_strerror(e), "unknown RTP error");
	assert_string_equal(rtp_strerror(-100), "unknown RTP error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_plain_packet),
	    cmocka_unit_test(test_build_matches_wire_bytes),
	    cmocka_unit_test(test_round_trip_with_csrcs_extension_and_padding),
	    cmocka_unit_test(test_build_with_payload_already_in_place),
	    cmocka_unit_test(test_empty_extension_and_empty_payload),
	    cmocka_unit_test(test_truncated_packets),
	    cmocka_unit_test(test_bad_version),
	    cmocka_unit_test(test_bad_padding),
	    cmocka_unit_test(test_build_refuses_what_the_format_cannot_carry),
	    cmocka_unit_test(test_modular_differences),
	    cmocka_unit_test(test_jitter_estimate),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests_name("rtp", tests, NULL, NULL);
}
