/* RFC 4733 telephone events: payload format, and digits reported exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtp/rfc2833.h"
#include "rtp/rtp.h"

static void test_payload_wire_format(void **state)
{
	(void)state;
	struct rfc2833_event e = {.event = 5, .end = true, .volume = 10, .duration = 800};
	uint8_t out[4];
	assert_int_equal(rfc2833_build(&e, out, sizeof out), 4);
	static const uint8_t wire[4] = {0x05, 0x8A, 0x03, 0x20};
	assert_memory_equal(out, wire, 4);

	struct rfc2833_event back;
	assert_int_equal(rfc2833_parse(out, 4, &back), RTP_OK);
	assert_int_equal(back.event, 5);
	assert_true(back.end);
	assert_int_equal(back.volume, 10);
	assert_int_equal(back.duration, 800);

	/* The reserved R bit is ignored on receipt. */
	static const uint8_t with_r[4] = {0x0B, 0x40 | 0x3F, 0xFF, 0xFF};
	assert_int_equal(rfc2833_parse(with_r, 4, &back), RTP_OK);
	assert_false(back.end);
	assert_int_equal(back.volume, 63);
	assert_int_equal(back.duration, 0xFFFF);

	/* Truncated payloads, too-loud volume, no room. */
	for (size_t len = 0; len < 4; len++)
		assert_int_equal(rfc2833_parse(wire, len, &back), RTP_ERR_TRUNCATED);
	e.volume = 64;
	assert_int_equal(rfc2833_build(&e, out, sizeof out), RTP_ERR_INVALID);
	e.volume = 0;
	assert_int_equal(rfc2833_build(&e, out, 3), RTP_ERR_NO_SPACE);
}

static void test_event_digit_mapping(void **state)
{
	(void)state;
	const char *digits = "0123456789*#ABCD";
	for (int i = 0; i < 16; i++) {
		assert_int_equal(rfc2833_event_to_digit((uint8_t)i), digits[i]);
		assert_int_equal(rfc2833_digit_to_event(digits[i]), i);
	}
	assert_int_equal(rfc2833_event_to_digit(16), '\0'); /* flash */
	assert_int_equal(rfc2833_event_to_digit(255), '\0');
	assert_int_equal(rfc2833_digit_to_event('c'), 14);
	assert_true(rfc2833_digit_to_event('E') < 0);
	assert_true(rfc2833_digit_to_event('\0') < 0);
}

/* A test harness: feed packets, collect digits in order. */
struct collector {
	struct rfc2833_decoder dec;
	char digits[32];
	struct rfc2833_digit last[32];
	size_t n;
};

static void send_event(struct collector *c, uint32_t ts, uint8_t event, bool end, uint16_t duration)
{
	struct rfc2833_event e = {.event = event, .end = end, .volume = 10, .duration = duration};
	uint8_t payload[4];
	assert_int_equal(rfc2833_build(&e, payload, sizeof payload), 4);
	struct rfc2833_digit out[2];
	int k = rfc2833_decoder_feed(&c->dec, ts, payload, sizeof payload, out);
	assert_in_range(k, 0, 2);
	for (int i = 0; i < k; i++) {
		c->last[c->n] = out[i];
		c->digits[c->n++] = out[i].digit;
	}
	c->digits[c->n] = '\0';
}

/* What a phone sends for one key press: updates every 50 ms, then the end packet three times. */
static void press(struct collector *c, uint32_t ts, char digit, unsigned updates)
{
	uint8_t event = (uint8_t)rfc2833_digit_to_event(digit);
	uint16_t duration = 0;
	for (unsigned i = 0; i < updates; i++) {
		duration = (uint16_t)(400 * (i + 1));
		send_event(c, ts, event, false, duration);
	}
	for (int i = 0; i < 3; i++)
		send_event(c, ts, event, true, (uint16_t)(duration + 160));
}

static void collector_init(struct collector *c)
{
	memset(c, 0, sizeof *c);
	rfc2833_decoder_init(&c->dec);
}

static void test_retransmitted_ends_give_each_digit_once(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	press(&c, 8000, '1', 3);
	press(&c, 16000, '2', 2);
	press(&c, 24000, '2', 4); /* the same key again: a new timestamp, a new digit */
	press(&c, 32000, '#', 1);
	assert_string_equal(c.digits, "122#");
	for (size_t i = 0; i < c.n; i++)
		assert_true(c.last[i].end_seen);
	assert_int_equal(c.last[0].timestamp, 8000);
	assert_int_equal(c.last[0].duration, 1200 + 160);
	assert_int_equal(c.last[0].volume, 10);
	assert_int_equal(c.last[3].event, 11);
}

static void test_lost_end_packets_report_on_next_event(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 1000, 5, false, 400);
	send_event(&c, 1000, 5, false, 800);
	assert_string_equal(c.digits, "");
	/* '6' begins: '5' is reported, without its end, and only once. */
	send_event(&c, 3000, 6, false, 400);
	assert_string_equal(c.digits, "5");
	assert_false(c.last[0].end_seen);
	assert_int_equal(c.last[0].duration, 800);
	/* A straggling end packet of '5' changes nothing. */
	send_event(&c, 1000, 5, true, 960);
	send_event(&c, 3000, 6, true, 960);
	assert_string_equal(c.digits, "56");
	assert_true(c.last[1].end_seen);
}

static void test_only_end_packets_seen(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 500, 9, true, 960);
	send_event(&c, 500, 9, true, 960);
	send_event(&c, 500, 9, true, 960);
	assert_string_equal(c.digits, "9");
	/* Next event's first packet is already an end, while the previous had ended: one digit. */
	send_event(&c, 2500, 0, true, 640);
	assert_string_equal(c.digits, "90");
}

static void test_both_digits_in_one_feed(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 100, 3, false, 400); /* '3' never ends */
	send_event(&c, 900, 4, true, 400);  /* '4' seen only by its end */
	assert_string_equal(c.digits, "34");
	assert_false(c.last[0].end_seen);
	assert_true(c.last[1].end_seen);
}

static void test_reordered_update_after_end(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 100, 7, false, 400);
	send_event(&c, 100, 7, true, 1200);
	send_event(&c, 100, 7, false, 800); /* arrived late */
	send_event(&c, 100, 7, true, 1200);
	assert_string_equal(c.digits, "7");
	assert_int_equal(c.last[0].duration, 1200);
}

static void test_timestamp_wrap(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	press(&c, 0xFFFFFE00u, '*', 2);
	press(&c, 0x00000300u, 'D', 2);
	/* A straggler from before the wrap is still old. */
	send_event(&c, 0xFFFFFE00u, 14, true, 960);
	assert_string_equal(c.digits, "*D");
}

/* RFC 4733 §2.5.2.3: an event longer than 0xFFFF units continues in a new segment whose
 * timestamp is the old one plus 0xFFFF. Still one digit, with the total duration. */
static void test_long_event_segments(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 1000, 8, false, 30000);
	send_event(&c, 1000, 8, false, 0xFFFF);
	send_event(&c, 1000 + 0xFFFF, 8, false, 4000);
	send_event(&c, 1000 + 0xFFFF, 8, true, 8000);
	send_event(&c, 1000 + 0xFFFF, 8, true, 8000);
	assert_string_equal(c.digits, "8");
	assert_int_equal(c.last[0].timestamp, 1000);
	assert_int_equal(c.last[0].duration, 0xFFFF + 8000);

	/* Three segments (over 16 s), then a straggler from the first: further behind the current
	 * segment than the straggler window, but still part of this event. */
	collector_init(&c);
	send_event(&c, 1000, 9, false, 0xFFFF);
	send_event(&c, 1000 + 0xFFFF, 9, false, 0xFFFF);
	send_event(&c, 1000 + 2 * 0xFFFF, 9, true, 100);
	send_event(&c, 1000, 9, false, 0xFFFF);
	send_event(&c, 1000 + 0xFFFF, 9, false, 0xFFFF);
	assert_string_equal(c.digits, "9");
	assert_int_equal(c.last[0].duration, 2 * 0xFFFF + 100);
}

static void test_non_dtmf_events_separate_but_are_not_reported(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 100, 1, false, 400);  /* '1' never ends */
	send_event(&c, 900, 16, false, 400); /* flash: ends '1', is not a digit */
	send_event(&c, 900, 16, true, 800);
	send_event(&c, 1700, 2, true, 800);
	assert_string_equal(c.digits, "12");
	assert_int_equal(c.dec.ignored, 2);
}

static void test_poll_timeout_and_flush(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	struct rfc2833_digit d;
	send_event(&c, 1000, 4, false, 800);
	/* Heard until 1800; 800 units of grace. */
	assert_int_equal(rfc2833_decoder_poll(&c.dec, 2000, 800, &d), 0);
	assert_int_equal(rfc2833_decoder_poll(&c.dec, 2600, 800, &d), 0);
	assert_int_equal(rfc2833_decoder_poll(&c.dec, 2601, 800, &d), 1);
	assert_int_equal(d.digit, '4');
	assert_false(d.end_seen);
	assert_int_equal(rfc2833_decoder_poll(&c.dec, 9000, 800, &d), 0);
	assert_int_equal(rfc2833_decoder_flush(&c.dec, &d), 0);
	/* Its end packets arriving afterwards do not repeat it. */
	send_event(&c, 1000, 4, true, 960);
	assert_string_equal(c.digits, "");

	send_event(&c, 5000, 12, false, 400);
	assert_int_equal(rfc2833_decoder_flush(&c.dec, &d), 1);
	assert_int_equal(d.digit, 'A');
	assert_int_equal(rfc2833_decoder_flush(&c.dec, &d), 0);

	rfc2833_decoder_init(&c.dec);
	assert_int_equal(rfc2833_decoder_flush(&c.dec, &d), 0);
	assert_int_equal(rfc2833_decoder_poll(&c.dec, 100, 0, &d), 0);
}

static void test_malformed_payload_leaves_state(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	send_event(&c, 100, 3, false, 400);
	struct rfc2833_digit out[2];
	static const uint8_t short_payload[3] = {3, 0x80, 0};
	assert_int_equal(rfc2833_decoder_feed(&c.dec, 100, short_payload, 3, out), RTP_ERR_TRUNCATED);
	assert_int_equal(rfc2833_decoder_feed(&c.dec, 900, short_payload, 3, out), RTP_ERR_TRUNCATED);
	send_event(&c, 100, 3, true, 800);
	assert_string_equal(c.digits, "3");
}

static void test_sender_restarting_timestamps(void **state)
{
	(void)state;
	struct collector c;
	collector_init(&c);
	press(&c, 5000000, '1', 1);
	/* Far older than any straggler could be: the sender's timestamps restarted. */
	press(&c, 1000, '2', 1);
	assert_string_equal(c.digits, "12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_payload_wire_format),
	    cmocka_unit_test(test_event_digit_mapping),
	    cmocka_unit_test(test_retransmitted_ends_give_each_digit_once),
	    cmocka_unit_test(test_lost_end_packets_report_on_next_event),
	    cmocka_unit_test(test_only_end_packets_seen),
	    cmocka_unit_test(test_both_digits_in_one_feed),
	    cmocka_unit_test(test_reordered_update_after_end),
	    cmocka_unit_test(test_timestamp_wrap),
	    cmocka_unit_test(test_long_event_segments),
	    cmocka_unit_test(test_non_dtmf_events_separate_but_are_not_reported),
	    cmocka_unit_test(test_poll_timeout_and_flush),
	    cmocka_unit_test(test_malformed_payload_leaves_state),
	    cmocka_unit_test(test_sender_restarting_timestamps),
	};
	return cmocka_run_group_tests_name("rfc2833", tests, NULL, NULL);
}
