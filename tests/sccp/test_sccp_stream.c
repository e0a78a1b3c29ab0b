/* SCCP stream framer: PDUs out of arbitrary TCP chunks, unknown ids skipped, malformed PDUs
 * dropped without losing the stream, broken framing fatal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sccp/sccp_msg.h"
#include "sccp/sccp_stream.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A little conversation: CallState, SetLamp, KeepAliveAck, CallInfo, OpenReceiveChannel. */
static size_t build_conversation(uint8_t *out, size_t cap, uint32_t *ids)
{
	size_t len = 0;
	struct sccp_msg m;
	int n;

	sccp_msg_init(&m, SCCP_CALL_STATE, 0);
	m.u.call_state.call_state = SCCP_CS_RINGIN;
	m.u.call_state.line_instance = 1;
	m.u.call_state.call_reference = 0x100001f;
	n = sccp_encode(&m, out + len, cap - len);
	assert_true(n > 0);
	len += (size_t)n;
	ids[0] = SCCP_CALL_STATE;

	sccp_msg_init(&m, SCCP_SET_LAMP, 0);
	m.u.set_lamp = (struct sccp_set_lamp){SCCP_STIMULUS_VOICEMAIL, 0, SCCP_LAMP_ON};
	n = sccp_encode(&m, out + len, cap - len);
	assert_true(n > 0);
	len += (size_t)n;
	ids[1] = SCCP_SET_LAMP;

	sccp_msg_init(&m, SCCP_KEEPALIVE_ACK, 0);
	n = sccp_encode(&m, out + len, cap - len);
	assert_int_equal(n, 12);
	len += (size_t)n;
	ids[2] = SCCP_KEEPALIVE_ACK;

	sccp_msg_init(&m, SCCP_CALL_INFO, 0);
	strcpy(m.u.call_info.original_called_party, "2001");
	m.u.call_info.call_reference = 0x100001f;
	n = sccp_encode(&m, out + len, cap - len);
	assert_int_equal(n, 12 + 384);
	len += (size_t)n;
	ids[3] = SCCP_CALL_INFO;

	sccp_msg_init(&m, SCCP_OPEN_RECEIVE_CHANNEL, SCCP_HV_V17);
	m.u.orc.pass_through_party_id = 0x1000101;
	m.u.orc.has_key = true;
	m.u.orc.has_source = true;
	m.u.orc.source_port = 4000;
	n = sccp_encode(&m, out + len, cap - len);
	assert_true(n > 0);
	len += (size_t)n;
	ids[4] = SCCP_OPEN_RECEIVE_CHANNEL;
	return len;
}

static void test_byte_at_a_time(void **state)
{
	(void)state;
	static struct sccp_stream s;
	uint8_t bytes[2048];
	uint32_t ids[5];
	size_t len = build_conversation(bytes, sizeof(bytes), ids);
	sccp_stream_init(&s);
	size_t got = 0;
	struct sccp_msg m;
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(sccp_stream_feed(&s, bytes + i, 1), 1);
		int rc = sccp_stream_next(&s, &m);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			assert_int_equal(m.id, ids[got]);
			got++;
			/* A message completes exactly with its last byte. */
			assert_int_equal(sccp_stream_buffered(&s), 0);
		}
	}
	assert_int_equal(got, 5);
	assert_int_equal(m.u.orc.source_port, 4000);
	assert_int_equal(s.message_count, 5);
	assert_int_equal(sccp_stream_next(&s, &m), 0);
}

static void test_several_per_feed(void **state)
{
	(void)state;
	static struct sccp_stream s;
	uint8_t bytes[4096];
	uint32_t ids[5];
	size_t one = build_conversation(bytes, sizeof(bytes), ids);
	memcpy(bytes + one, bytes, one); /* the conversation twice */
	sccp_stream_init(&s);
	/* Chunks that cut through headers and bodies alike. */
	const size_t chunks[] = {5, 30, 500, 3, 700, 2 * one};
	size_t fed = 0, got = 0;
	struct sccp_msg m;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]) && fed < 2 * one; c++) {
		size_t n = chunks[c] < 2 * one - fed ? chunks[c] : 2 * one - fed;
		assert_int_equal(sccp_stream_feed(&s, bytes + fed, n), n);
		fed += n;
		int rc;
		while ((rc = sccp_stream_next(&s, &m)) == 1) {
			assert_int_equal(m.id, ids[got % 5]);
			got++;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 10);
	assert_int_equal(sccp_stream_buffered(&s), 0);
}

static void test_unknown_skipped(void **state)
{
	(void)state;
	static struct sccp_stream s;
	uint8_t bytes[64] = {0};
	/* An unknown id with a 12-byte body, then SetLamp. */
	put32(bytes, 16);
	put32(bytes + 4, SCCP_HV_V17);
	put32(bytes + 8, 0x0156);
	struct sccp_msg m;
	sccp_msg_init(&m, SCCP_SET_LAMP, 0);
	m.u.set_lamp = (struct sccp_set_lamp){9, 1, 2};
	int n = sccp_encode(&m, bytes + 24, sizeof(bytes) - 24);
	assert_int_equal(n, 24);
	sccp_stream_init(&s);
	assert_int_equal(sccp_stream_feed(&s, bytes, 48), 48);
	assert_int_equal(sccp_stream_next(&s, &m), 1);
	assert_int_equal(m.id, SCCP_SET_LAMP);
	assert_int_equal(m.u.set_lamp.lamp_mode, 2);
	assert_int_equal(s.unknown_count, 1);
	assert_int_equal(s.last_unknown_id, 0x0156);
	/* Two unknown PDUs back to back, and nothing after: both skipped, then "need more". */
	assert_int_equal(sccp_stream_feed(&s, bytes, 24), 24);
	assert_int_equal(sccp_stream_feed(&s, bytes, 24), 24);
	assert_int_equal(sccp_stream_next(&s, &m), 0);
	assert_int_equal(s.unknown_count, 3);
	assert_int_equal(sccp_stream_buffered(&s), 0);
}

static void test_malformed_dropped(void **state)
{
	(void)state;
	static struct sccp_stream s;
	uint8_t bytes[64] = {0};
	/* CallState with an 8-byte body (needs 12), then a good KeepAliveAck. */
	put32(bytes, 12);
	put32(bytes + 8, SCCP_CALL_STATE);
	put32(bytes + 20, 4);
	put32(bytes + 28, SCCP_KEEPALIVE_ACK);
	sccp_stream_init(&s);
	assert_int_equal(sccp_stream_feed(&s, bytes, 32), 32);
	struct sccp_msg m;
	int rc = sccp_stream_next(&s, &m);
	assert_int_equal(rc, SCCP_ERR_SHORT_BODY);
	assert_false(sccp_stream_is_fatal(rc));
	assert_int_equal(m.id, SCCP_CALL_STATE);
	assert_int_equal(s.malformed_count, 1);
	assert_int_equal(s.last_malformed_id, SCCP_CALL_STATE);
	assert_int_equal(sccp_stream_next(&s, &m), 1);
	assert_int_equal(m.id, SCCP_KEEPALIVE_ACK);
	assert_int_equal(sccp_stream_next(&s, &m), 0);
}

static void test_oversize_fatal(void **state)
{
	(void)state;
	static struct sccp_stream s;
	uint8_t bytes[16] = {0};
	put32(bytes, SCCP_MAX_PDU); /* PDU of 4104 bytes */
	put32(bytes + 8, SCCP_CALL_INFO);
	sccp_stream_init(&s);
	/* Known as soon as the length field is in: no need to wait for 4 KB. */
	assert_int_equal(sccp_stream_feed(&s, bytes, 8), 8);
	struct sccp_msg m;
	int rc = sccp_stream_next(&s, &m);
	assert_int_equal(rc, SCCP_ERR_OVERSIZE);
	assert_true(sccp_stream_is_fatal(rc));
	/* Sticky: nothing more is taken or returned. */
	assert_int_equal(sccp_stream_feed(&s, bytes, 8), 0);
	assert_int_equal(sccp_stream_next(&s, &m), SCCP_ERR_OVERSIZE);

	sccp_stream_init(&s);
	put32(bytes, 2); /* length below 4 */
	assert_int_equal(sccp_stream_feed(&s, bytes, 16), 16);
	rc = sccp_stream_next(&s, &m);
	assert_int_equal(rc, SCCP_ERR_BAD_LENGTH);
	assert_true(sccp_stream_is_fatal(rc));
}

static void test_full_buffer(void **state)
{
	(void)state;
	static struct sccp_stream s;
	static uint8_t bytes[3 * SCCP_MAX_PDU];
	/* Three maximum-size PDUs: more than the buffer holds at once. */
	for (int i = 0; i < 3; i++) {
		uint8_t *p = bytes + (size_t)i * SCCP_MAX_PDU;
		put32(p, SCCP_MAX_PDU - 8);
		put32(p + 4, 0);
		put32(p + 8, SCCP_CALL_INFO); /* a long tail after the 384 bytes is tolerated */
	}
	sccp_stream_init(&s);
	size_t fed = 0, got = 0;
	struct sccp_msg m;
	while (got < 3) {
		fed += sccp_stream_feed(&s, bytes + fed, sizeof(bytes) - fed);
		int rc;
		while ((rc = sccp_stream_next(&s, &m)) == 1)
			got++;
		assert_int_equal(rc, 0);
		assert_true(fed <= sizeof(bytes));
	}
	assert_int_equal(fed, sizeof(bytes));
	assert_int_equal(sccp_stream_buffered(&s), 0);
	assert_int_equal(sccp_stream_feed(&s, bytes, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_byte_at_a_time),  cmocka_unit_test(test_several_per_feed),
	    cmocka_unit_test(test_unknown_skipped), cmocka_unit_test(test_malformed_dropped),
	    cmocka_unit_test(test_oversize_fatal),  cmocka_unit_test(test_full_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
