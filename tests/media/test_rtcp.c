/* RTCP reports and the RFC 3550 receiver statistics (A.1 sequence check, A.3 loss, A.8 jitter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtp/rtcp.h"

static struct rtcp_report sample_sr(void)
{
	struct rtcp_report r = {
	    .is_sender_report = true,
	    .ssrc = 0x11223344,
	    .sender = {.ntp_sec = 0xE1234567,
	               .ntp_frac = 0x89ABCDEF,
	               .rtp_timestamp = 160000,
	               .packet_count = 1000,
	               .octet_count = 160000},
	    .block_count = 2,
	    .blocks =
	        {
	            {.ssrc = 0xAABBCCDD,
	             .fraction_lost = 25,
	             .cumulative_lost = 10,
	             .highest_seq = 0x00010005,
	             .jitter = 37,
	             .lsr = 0x45678912,
	             .dlsr = 0x00018000},
	            {.ssrc = 0x01010101, .fraction_lost = 0, .cumulative_lost = -3, .highest_seq = 7},
	        },
	};
	return r;
}

/* The first 36 bytes of sample_sr() on the wire, written out from RFC 3550 §6.4.1. */
static const uint8_t sample_sr_wire[] = {
    0x82, 200,  0x00, 0x12,                         /* V=2 RC=2, SR, length (4+20+48)/4 = 19 words - 1 */
    0x11, 0x22, 0x33, 0x44,                         /* sender SSRC */
    0xE1, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, /* NTP */
    0x00, 0x02, 0x71, 0x00,                         /* RTP timestamp 160000 */
    0x00, 0x00, 0x03, 0xE8,                         /* packets */
    0x00, 0x02, 0x71, 0x00,                         /* octets */
    0xAA, 0xBB, 0xCC, 0xDD,                         /* block 1 SSRC */
    25,   0x00, 0x00, 0x0A,                         /* fraction lost, cumulative lost */
};

static void test_sender_report_wire_format_and_round_trip(void **state)
{
	(void)state;
	struct rtcp_report r = sample_sr();
	uint8_t out[256];
	int n = rtcp_build_report(&r, out, sizeof out);
	assert_int_equal(n, 8 + 20 + 2 * 24);
	assert_memory_equal(out, sample_sr_wire, sizeof sample_sr_wire);
	/* -3 as 24-bit two's complement. */
	assert_int_equal(out[8 + 20 + 24 + 5], 0xFF);
	assert_int_equal(out[8 + 20 + 24 + 7], 0xFD);

	struct rtcp_iter it;
	struct rtcp_chunk c;
	rtcp_iter_init(&it, out, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &c), 1);
	assert_int_equal(c.type, RTCP_SR);
	assert_int_equal(c.count, 2);
	struct rtcp_report back;
	assert_int_equal(rtcp_parse_report(&c, &back), RTP_OK);
	assert_true(back.is_sender_report);
	assert_int_equal(back.ssrc, r.ssrc);
	assert_memory_equal(&back.sender, &r.sender, sizeof r.sender);
	assert_int_equal(back.block_count, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(back.blocks[i].ssrc, r.blocks[i].ssrc);
		assert_int_equal(back.blocks[i].fraction_lost, r.blocks[i].fraction_lost);
		assert_int_equal(back.blocks[i].cumulative_lost, r.blocks[i].cumulative_lost);
		assert_int_equal(back.blocks[i].highest_seq, r.blocks[i].highest_seq);
		assert_int_equal(back.blocks[i].jitter, r.blocks[i].jitter);
		assert_int_equal(back.blocks[i].lsr, r.blocks[i].lsr);
		assert_int_equal(back.blocks[i].dlsr, r.blocks[i].dlsr);
	}
	assert_int_equal(rtcp_iter_next(&it, &c), 0);
}

static void test_receiver_report_round_trip_and_empty_rr(void **state)
{
	(void)state;
	struct rtcp_report r = {.ssrc = 42,
	                        .block_count = 1,
	                        .blocks = {{.ssrc = 7, .fraction_lost = 255, .cumulative_lost = 0x7FFFFF}}};
	uint8_t out[64];
	int n = rtcp_build_report(&r, out, sizeof out);
	assert_int_equal(n, 32);
	assert_int_equal(out[0], 0x81);
	assert_int_equal(out[1], RTCP_RR);
	struct rtcp_chunk c = {.type = out[1], .count = out[0] & 0x1F, .data = out, .len = (size_t)n};
	struct rtcp_report back;
	assert_int_equal(rtcp_parse_report(&c, &back), RTP_OK);
	assert_false(back.is_sender_report);
	assert_int_equal(back.blocks[0].fraction_lost, 255);
	assert_int_equal(back.blocks[0].cumulative_lost, 0x7FFFFF);

	/* An RR without blocks is 8 bytes: what a receiver sends before it has heard anyone. */
	r.block_count = 0;
	assert_int_equal(rtcp_build_report(&r, out, sizeof out), 8);
	assert_int_equal(rtcp_check_compound(out, 8), RTP_OK);
}

static void test_cumulative_lost_saturates(void **state)
{
	(void)state;
	struct rtcp_report r = {.block_count = 2,
	                        .blocks = {{.cumulative_lost = 50000000}, {.cumulative_lost = -50000000}}};
	uint8_t out[64];
	int n = rtcp_build_report(&r, out, sizeof out);
	struct rtcp_chunk c = {.type = RTCP_RR, .count = 2, .data = out, .len = (size_t)n};
	struct rtcp_report back;
	assert_int_equal(rtcp_parse_report(&c, &back), RTP_OK);
	assert_int_equal(back.blocks[0].cumulative_lost, RTCP_CUMULATIVE_LOST_MAX);
	assert_int_equal(back.blocks[1].cumulative_lost, RTCP_CUMULATIVE_LOST_MIN);
}

static void test_compound_sr_sdes_bye(void **state)
{
	(void)state;
	struct rtcp_report r = sample_sr();
	uint8_t out[512];
	size_t n = 0;
	int k = rtcp_build_report(&r, out, sizeof out);
	assert_true(k > 0);
	n += (size_t)k;
	k = rtcp_build_sdes_cname(r.ssrc, "vm1@10.0.0.5", 12, out + n, sizeof out - n);
	/* 4 header + 4 SSRC + 2 item header + 12 text + 1 end = 23, padded to 24. */
	assert_int_equal(k, 24);
	assert_int_equal(out[n + 8], 1);
	assert_int_equal(out[n + 9], 12);
	assert_memory_equal(out + n + 10, "vm1@10.0.0.5", 12);
	assert_int_equal(out[n + 22], 0);
	assert_int_equal(out[n + 23], 0);
	n += (size_t)k;
	k = rtcp_build_bye(r.ssrc, out + n, sizeof out - n);
	assert_int_equal(k, 8);
	n += (size_t)k;
	assert_int_equal(rtcp_check_compound(out, n), RTP_OK);

	uint8_t types[3];
	size_t count = 0;
	struct rtcp_iter it;
	struct rtcp_chunk c;
	rtcp_iter_init(&it, out, n);
	while (rtcp_iter_next(&it, &c) == 1 && count < 3)
		types[count++] = c.type;
	assert_int_equal(count, 3);
	assert_int_equal(types[0], RTCP_SR);
	assert_int_equal(types[1], RTCP_SDES);
	assert_int_equal(types[2], RTCP_BYE);

	/* A compound packet must not start with SDES. */
	assert_int_equal(rtcp_check_compound(out + 76, n - 76), RTP_ERR_COMPOUND);

	/* CNAME lengths: 1..255. */
	assert_int_equal(rtcp_build_sdes_cname(1, "", 0, out, sizeof out), RTP_ERR_INVALID);
	/* 4 header + 4 SSRC + 2 item header + 3 text + 1 end = 14, padded to 16. */
	assert_int_equal(rtcp_build_sdes_cname(1, "abc", 3, out, 15), RTP_ERR_NO_SPACE);
	assert_int_equal(rtcp_build_sdes_cname(1, "abc", 3, out, 16), 16);
	/* Text ending exactly on a word boundary still gets a full word of end markers. */
	assert_int_equal(rtcp_build_sdes_cname(1, "ab", 2, out, sizeof out), 16);
	assert_int_equal(out[15], 0);
}

static void test_padding_only_in_last_packet(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct rtcp_report rr = {.ssrc = 1};
	int a = rtcp_build_report(&rr, buf, sizeof buf);
	/* Append a BYE padded by 4 bytes: length covers SSRC + padding. */
	uint8_t *bye = buf + a;
	int b = rtcp_build_bye(9, bye, sizeof buf - (size_t)a);
	bye[0] |= 0x20;
	bye[3] = 2; /* 3 words: header, SSRC, padding */
	memset(bye + b, 0, 4);
	bye[b + 3] = 4;
	size_t total = (size_t)(a + b + 4);
	assert_int_equal(rtcp_check_compound(buf, total), RTP_OK);
	struct rtcp_iter it;
	struct rtcp_chunk c;
	rtcp_iter_init(&it, buf, total);
	assert_int_equal(rtcp_iter_next(&it, &c), 1);
	assert_int_equal(rtcp_iter_next(&it, &c), 1);
	assert_int_equal(c.len, 8); /* padding excluded */

	/* The same padding on the first packet is refused. */
	buf[0] |= 0x20;
	assert_int_equal(rtcp_check_compound(buf, total), RTP_ERR_COMPOUND);
	buf[0] &= (uint8_t)~0x20;
	/* A padding count larger than the packet. */
	bye[b + 3] = 13;
	assert_int_equal(rtcp_check_compound(buf, total), RTP_ERR_PADDING);
	bye[b + 3] = 0;
	assert_int_equal(rtcp_check_compound(buf, total), RTP_ERR_PADDING);
}

static void test_malformed_rtcp(void **state)
{
	(void)state;
	struct rtcp_report r = sample_sr();
	uint8_t out[256];
	int n = rtcp_build_report(&r, out, sizeof out);
	struct rtcp_iter it;
	struct rtcp_chunk c;

	/* Cut short: the length field points past the end. */
	for (int len = 1; len < n; len += 5) {
		rtcp_iter_init(&it, out, (size_t)len);
		assert_int_equal(rtcp_iter_next(&it, &c), RTP_ERR_TRUNCATED);
		assert_int_equal(rtcp_iter_next(&it, &c), 0); /* the walk is over */
	}
	assert_int_equal(rtcp_check_compound(out, 0), RTP_ERR_TRUNCATED);

	/* Version 1. */
	out[0] = (uint8_t)((out[0] & 0x3F) | 0x40);
	rtcp_iter_init(&it, out, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &c), RTP_ERR_VERSION);
	out[0] = (uint8_t)((out[0] & 0x3F) | 0x80);

	/* Report count says 3 blocks, length holds 2. */
	out[0] = (uint8_t)((out[0] & 0xE0) | 3);
	rtcp_iter_init(&it, out, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &c), 1);
	struct rtcp_report back;
	assert_int_equal(rtcp_parse_report(&c, &back), RTP_ERR_RTCP_LENGTH);

	/* Asking for a report from a BYE. */
	n = rtcp_build_bye(5, out, sizeof out);
	rtcp_iter_init(&it, out, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &c), 1);
	assert_int_equal(rtcp_parse_report(&c, &back), RTP_ERR_RTCP_TYPE);

	/* Building: too many blocks, too little room. */
	r.block_count = 32;
	assert_int_equal(rtcp_build_report(&r, out, sizeof out), RTP_ERR_INVALID);
	r.block_count = 2;
	assert_int_equal(rtcp_build_report(&r, out, 75), RTP_ERR_NO_SPACE);
	assert_int_equal(rtcp_build_bye(1, out, 7), RTP_ERR_NO_SPACE);
}

/* Feed seq numbers (timestamps advance 160 per seq, arrivals on time). */
static void feed(struct rtp_source_stats *s, const uint16_t *seqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rtp_source_on_packet(s, seqs[i], 160u * seqs[i], 160u * seqs[i] + 1000);
}

static void test_new_source_probation(void **state)
{
	(void)state;
	struct rtp_source_stats s;
	rtp_source_init(&s, 0xABCD);
	assert_int_equal(rtp_source_update_seq(&s, 100), RTP_SEQ_PROBATION);
	assert_int_equal(rtp_source_update_seq(&s, 101), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_update_seq(&s, 102), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_expected(&s), 2); /* counting starts at the confirming packet */
	assert_int_equal(rtp_source_lost(&s), 0);

	/* Out of order during probation restarts it. */
	rtp_source_init(&s, 1);
	assert_int_equal(rtp_source_update_seq(&s, 10), RTP_SEQ_PROBATION);
	assert_int_equal(rtp_source_update_seq(&s, 20), RTP_SEQ_PROBATION);
	assert_int_equal(rtp_source_update_seq(&s, 21), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_expected(&s), 1);

	/* Probation across the wrap. */
	rtp_source_init(&s, 1);
	assert_int_equal(rtp_source_update_seq(&s, 65535), RTP_SEQ_PROBATION);
	assert_int_equal(rtp_source_update_seq(&s, 0), RTP_SEQ_VALID);
}

static void test_loss_fraction_and_cumulative(void **state)
{
	(void)state;
	struct rtp_source_stats s;
	rtp_source_init(&s, 0x5555);
	uint16_t seqs[100];
	size_t n = 0;
	/* seq 0 is the probation packet; 1..100 expected, 10 of them (every 10th) lost. */
	seqs[n++] = 0;
	for (uint16_t q = 1; q <= 100; q++)
		if (q % 10 != 0)
			seqs[n++] = q;
	feed(&s, seqs, n);

	struct rtcp_report_block b;
	rtp_source_report_block(&s, 0, &b);
	assert_int_equal(b.ssrc, 0x5555);
	assert_int_equal(b.highest_seq, 99); /* 100 was lost */
	/* expected = 99 - 1 + 1 = 99, received 90: 9 lost; fraction 9 * 256 / 99 = 23. */
	assert_int_equal(b.cumulative_lost, 9);
	assert_int_equal(b.fraction_lost, (9 << 8) / 99);
	assert_int_equal(b.jitter, 0);
	assert_int_equal(b.lsr, 0);
	assert_int_equal(b.dlsr, 0);

	/* Next interval: 100..149 all arrive. 100 was never counted lost (the highest seen was
	 * 99), so the cumulative loss stays 9 and this interval's fraction is 0. */
	n = 0;
	for (uint16_t q = 100; q < 150; q++)
		seqs[n++] = q;
	feed(&s, seqs, n);
	rtp_source_report_block(&s, 0, &b);
	assert_int_equal(b.cumulative_lost, 9);
	assert_int_equal(b.fraction_lost, 0);
	assert_int_equal(b.highest_seq, 149);

	/* Duplicates make the interval's loss negative: reported as 0. */
	n = 0;
	for (uint16_t q = 150; q < 160; q++) {
		seqs[n++] = q;
		seqs[n++] = q;
	}
	feed(&s, seqs, n);
	rtp_source_report_block(&s, 0, &b);
	assert_int_equal(b.fraction_lost, 0);
	assert_int_equal(b.cumulative_lost, 9 - 10);
}

static void test_sequence_wrap_counts_cycles(void **state)
{
	(void)state;
	struct rtp_source_stats s;
	rtp_source_init(&s, 1);
	uint16_t q = 65530;
	for (int i = 0; i < 20; i++, q++)
		rtp_source_on_packet(&s, q, 160u * (uint32_t)i, 160u * (uint32_t)i);
	struct rtcp_report_block b;
	rtp_source_report_block(&s, 0, &b);
	assert_int_equal(b.highest_seq, 0x10000 + 13); /* one cycle, then 0..13 */
	assert_int_equal(b.cumulative_lost, 0);
	assert_int_equal(rtp_source_expected(&s), 19);
}

static void test_jump_then_restart(void **state)
{
	(void)state;
	struct rtp_source_stats s;
	rtp_source_init(&s, 1);
	assert_int_equal(rtp_source_update_seq(&s, 1000), RTP_SEQ_PROBATION);
	assert_int_equal(rtp_source_update_seq(&s, 1001), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_update_seq(&s, 1002), RTP_SEQ_VALID);
	/* A jump of 20000: ignored alone; a stray from far away does not reset anything. */
	assert_int_equal(rtp_source_update_seq(&s, 21000), RTP_SEQ_JUMP);
	assert_int_equal(rtp_source_update_seq(&s, 1003), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_extended_max(&s), 1003);
	/* Two in a row: the sender restarted. */
	assert_int_equal(rtp_source_update_seq(&s, 40000), RTP_SEQ_JUMP);
	assert_int_equal(rtp_source_update_seq(&s, 40001), RTP_SEQ_RESTARTED);
	assert_int_equal(rtp_source_extended_max(&s), 40001);
	assert_int_equal(rtp_source_expected(&s), 1);
	/* Reordered within MAX_MISORDER: counted, max unchanged. */
	assert_int_equal(rtp_source_update_seq(&s, 40002), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_update_seq(&s, 39990), RTP_SEQ_VALID);
	assert_int_equal(rtp_source_extended_max(&s), 40002);
}

static void test_lsr_dlsr_and_round_trip(void **state)
{
	(void)state;
	struct rtp_source_stats s;
	rtp_source_init(&s, 9);
	uint16_t seqs[] = {1, 2, 3};
	feed(&s, seqs, 3);
	struct rtcp_sender_info si = {.ntp_sec = 0xE1234567, .ntp_frac = 0x89AB0000};
	rtp_source_on_sender_report(&s, &si, 0xFFFF0000u); /* our clock, about to wrap */
	struct rtcp_report_block b;
	rtp_source_report_block(&s, 0x00008000u, &b); /* 1.5 s later, across the wrap */
	assert_int_equal(b.lsr, 0x456789AB);
	assert_int_equal(b.dlsr, 0x00018000);

	/* RFC 3550 §6.4.1's example: A = 0xb710:8000 (46864.5 s), LSR = 0xb705:2000 (46853.125),
	 * DLSR = 0x0005:4000 (5.25): RTT = 0x0006:2000 (6.125 s). */
	struct rtcp_report_block about_us = {.lsr = 0xB7052000, .dlsr = 0x00054000};
	assert_int_equal(rtcp_round_trip_q16(0xB7108000, &about_us), 0x00062000);
	about_us.lsr = 0;
	assert_int_equal(rtcp_round_trip_q16(0xB7108000, &about_us), -1);
	about_us = (struct rtcp_report_block){.lsr = 0xB7108000, .dlsr = 0x10000};
	assert_int_equal(rtcp_round_trip_q16(0xB7108000, &about_us), -1);
}

static void test_jitter_in_report_block(void **state)
{
	(void)state;
	struct rtp_source_stats s;
	rtp_source_init(&s, 9);
	/* Every other packet arrives 40 units late: |D| = 40 each step, J converges to 40. */
	for (uint16_t q = 0; q < 500; q++)
		rtp_source_on_packet(&s, q, 160u * q, 160u * q + (q % 2 ? 40 : 0));
	struct rtcp_report_block b;
	rtp_source_report_block(&s, 0, &b);
	assert_in_range(b.jitter, 39, 40);

	/* Sequence-only updates (RFC 4733 packets) do not touch the estimate. */
	uint32_t before = s.jitter.jitter_q4;
	rtp_source_update_seq(&s, 500);
	assert_int_equal(s.jitter.jitter_q4, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sender_report_wire_format_and_round_trip),
	    cmocka_unit_test(test_receiver_report_round_trip_and_empty_rr),
	    cmocka_unit_test(test_cumulative_lost_saturates),
	    cmocka_unit_test(test_compound_sr_sdes_bye),
	    cmocka_unit_test(test_padding_only_in_last_packet),
	    cmocka_unit_test(test_malformed_rtcp),
	    cmocka_unit_test(test_new_source_probation),
	    cmocka_unit_test(test_loss_fraction_and_cumulative),
	    cmocka_unit_test(test_sequence_wrap_counts_cycles),
	    cmocka_unit_test(test_jump_then_restart),
	    cmocka_unit_test(test_lsr_dlsr_and_round_trip),
	    cmocka_unit_test(test_jitter_in_report_block),
	};
	return cmocka_run_group_tests_name("rtcp", tests, NULL, NULL);
}
