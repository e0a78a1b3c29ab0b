/* Incoming calls (protocol.md §3.3, §3.7, §9.2): mailbox choice, answering, media legs and keys,
 * DTMF in all its encodings, hang-up both ways, signalling loss, and nonsense in wrong states. */
#include "port_harness.h"

#include <stdio.h>
#include <string.h>

static int setup_registered(void **state)
{
	h_setup(state);
	h_register(17);
	return 0;
}

static void test_forwarded_call_first_redirect(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS}); /* waits for CallInfo */
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_RINGING);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "1002", H_CALL_REF);
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK, END_MSGS});
	const struct sccp_msg *off = h_find_msg(SCCP_OFFHOOK);
	assert_true(off->u.offhook.present);
	assert_int_equal(off->u.offhook.line_instance, 1);
	assert_int_equal(off->u.offhook.call_reference, H_CALL_REF);
	assert_int_equal(off->hv, 0x11);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IN_CALL);

	h_call_state(SCCP_CS_CONNECTED, H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_open_rx(H_PASS, 4, SCCP_ALG_AES_CM_128_HMAC_SHA1_32, H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS}); /* the ack waits for the socket */
	h_expect_acts((int[]){PORT_ACT_OPEN_RX, END_ACTS});
	const struct sccp_port_media *rx = &H.out.acts[0].u.media;
	assert_int_equal(rx->pass_through_party_id, H_PASS);
	assert_int_equal(rx->call_reference, H_CALL_REF);
	assert_int_equal(rx->codec, 4);
	assert_int_equal(rx->packet_ms, 20);
	assert_int_equal(rx->rfc2833_payload_type, 101);
	assert_int_equal(rx->key.algorithm, 1);
	assert_int_equal(rx->key.key_len, 16);
	assert_int_equal(rx->key.salt_len, 14);
	assert_int_equal(rx->key.key[0], 0x10);
	assert_int_equal(rx->key.salt[13], 0x10 + 0x40 + 13);

	h_rx_opened(H_PASS, 0);
	h_expect_msgs((uint32_t[]){SCCP_OPEN_RECEIVE_CHANNEL_ACK, END_MSGS});
	const struct sccp_open_receive_channel_ack *ack = &H.out.msgs[0].u.orc_ack;
	assert_int_equal(ack->status, 0);
	assert_memory_equal(ack->ip.addr, ((uint8_t[]){10, 0, 0, 5}), 4);
	assert_int_equal(ack->port, 20000);
	assert_int_equal(ack->pass_through_party_id, H_PASS);
	assert_int_equal(ack->call_reference, H_CALL_REF);
	assert_int_equal(H.out.msgs[0].hv, 0x11);
	assert_int_equal(h_encoded_len(&H.out.msgs[0]), 12 + 36); /* the V17 layout */

	h_start_tx(H_PASS, 4, SCCP_ALG_AES_CM_128_HMAC_SHA1_32, H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS}); /* no StartMediaTransmissionAck by default */
	h_expect_acts((int[]){PORT_ACT_START_TX, PORT_ACT_PLAY_GREETING, PORT_ACT_RECORD, END_ACTS});
	const struct sccp_port_media *tx = &H.out.acts[0].u.media;
	assert_memory_equal(tx->remote_ip, ((uint8_t[]){10, 0, 0, 9}), 4);
	assert_int_equal(tx->remote_port, 0x4CC6);
	assert_int_equal(tx->precedence, 0xB8);
	assert_int_equal(tx->key.algorithm, 1);
	assert_int_equal(tx->key.key[0], 0x80);
	const struct sccp_port_call_desc *d = &H.out.acts[1].u.call;
	assert_true(d->forwarded);
	assert_string_equal(d->mailbox, "1001");
	assert_string_equal(d->caller, "2001");
	assert_string_equal(d->caller_name, "Alice");
	assert_int_equal(d->redirect_reason, 2);
	assert_int_equal(d->security_status, 3);
	assert_int_equal(d->call_reference, H_CALL_REF);
	assert_string_equal(H.out.acts[2].u.call.mailbox, "1001");
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
}

static void test_forwarded_call_last_redirect(void **state)
{
	(void)state;
	H.cfg.use_last_redirect = true;
	h_reinit();
	h_register(17);
	h_call_with_media();
	const struct sccp_port_action *g = h_find_act(PORT_ACT_PLAY_GREETING);
	assert_string_equal(g->u.call.mailbox, "1002");
	assert_int_equal(g->u.call.redirect_reason, 1);
}

static void test_last_redirect_falls_back_to_first(void **state)
{
	(void)state;
	H.cfg.use_last_redirect = true;
	h_reinit();
	h_register(17);
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	h_open_rx(H_PASS, 4, 0, H_CALL_REF);
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 4, 0, H_CALL_REF);
	assert_string_equal(h_find_act(PORT_ACT_PLAY_GREETING)->u.call.mailbox, "1001");
}

static void test_call_info_before_ring_in(void **state)
{
	(void)state;
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "1002", H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK, END_MSGS});
	h_open_rx(H_PASS, 4, 0, H_CALL_REF);
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 4, 0, H_CALL_REF);
	assert_string_equal(h_find_act(PORT_ACT_PLAY_GREETING)->u.call.mailbox, "1001");
}

static void test_direct_call(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_INBOUND, "2001", "8000", "8000", "", H_CALL_REF);
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK, END_MSGS});
	h_open_rx(H_PASS, 2, 0, H_CALL_REF); /* A-law */
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 2, 0, H_CALL_REF);
	const struct sccp_port_action *g = h_find_act(PORT_ACT_PLAY_GREETING);
	assert_false(g->u.call.forwarded);
	assert_string_equal(g->u.call.mailbox, "");
	assert_string_equal(g->u.call.caller, "2001");
	assert_int_equal(h_find_act(PORT_ACT_START_TX)->u.media.key.algorithm, 0);
}

static void test_inbound_with_foreign_original_called_is_forwarded(void **state)
{
	(void)state;
	/* callType 1 but the first number dialled is neither the pilot nor us: forwarded (§3.3). */
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_INBOUND, "2001", "8000", "1003", "", H_CALL_REF);
	h_open_rx(H_PASS, 4, 0, H_CALL_REF);
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 4, 0, H_CALL_REF);
	const struct sccp_port_action *g = h_find_act(PORT_ACT_PLAY_GREETING);
	assert_true(g->u.call.forwarded);
	assert_string_equal(g->u.call.mailbox, "1003");
}

static void test_call_info_v2(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	struct sccp_msg m = h_msg(SCCP_CALL_INFO_V2);
	struct sccp_call_info *ci = &m.u.call_info;
	ci->line_instance = 1;
	ci->call_reference = H_CALL_REF;
	ci->call_type = SCCP_CALL_FORWARD;
	strcpy(ci->calling_party, "2002");
	strcpy(ci->called_party, "8000");
	strcpy(ci->original_called_party, "1005");
	strcpy(ci->last_redirecting_party, "1006");
	strcpy(ci->calling_party_name, "Bob With A Long Name That Does Not Fit Forty Bytes At All");
	h_deliver(&m);
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK, END_MSGS});
	h_open_rx(H_PASS, 4, 0, H_CALL_REF);
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 4, 0, H_CALL_REF);
	const struct sccp_port_action *g = h_find_act(PORT_ACT_PLAY_GREETING);
	assert_string_equal(g->u.call.mailbox, "1005");
	assert_string_equal(g->u.call.caller_name,
	                    "Bob With A Long Name That Does Not Fit Forty Bytes At All");
}

static void test_ring_without_call_info_answers_after_timeout(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	assert_int_equal(H.out.next_deadline_ms, H.now + H.cfg.answer_without_info_ms);
	H.now += H.cfg.answer_without_info_ms;
	h_timer();
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK, END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	/* A CallInfo that comes late still names the mailbox, up to the greeting. */
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_open_rx(H_PASS, 4, 0, H_CALL_REF);
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 4, 0, H_CALL_REF);
	assert_string_equal(h_find_act(PORT_ACT_PLAY_GREETING)->u.call.mailbox, "1001");
}

static void test_answer_calls_off(void **state)
{
	(void)state;
	H.cfg.answer_calls = false;
	h_reinit();
	h_register(17);
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS});
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
}

static void test_caller_abandons_while_ringing(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
	h_expect_acts((int[]){END_ACTS}); /* never answered: no CALL_ENDED */
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
	assert_int_equal(H.out.next_deadline_ms, sccp_port_next_deadline(&H.port));
	H.now += H.cfg.answer_without_info_ms;
	h_timer();
	h_expect_msgs((uint32_t[]){END_MSGS}); /* the answer timer died with the call */
}

static void test_media_key_algorithms(void **state)
{
	(void)state;
	const uint32_t ok[] = {0, 1, 2, 5, 6};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		h_setup(state);
		h_register(17);
		h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
		h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
		h_open_rx(H_PASS, 4, ok[i], H_CALL_REF);
		h_expect_acts((int[]){PORT_ACT_OPEN_RX, END_ACTS});
		assert_int_equal(H.out.acts[0].u.media.key.algorithm, ok[i]);
		h_rx_opened(H_PASS, 0);
		h_start_tx(H_PASS, 4, ok[i], H_CALL_REF);
		assert_int_equal(h_find_act(PORT_ACT_START_TX)->u.media.key.algorithm, ok[i]);
	}
	const uint32_t bad[] = {3, 4, 7, 0xFFFFFFFF};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h_setup(state);
		h_register(17);
		h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
		h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
		h_open_rx(H_PASS, 4, bad[i], H_CALL_REF);
		h_expect_msgs((uint32_t[]){SCCP_OPEN_RECEIVE_CHANNEL_ACK, END_MSGS});
		assert_int_equal(H.out.msgs[0].u.orc_ack.status, 9); /* EncDecFailed */
		assert_int_equal(H.out.msgs[0].u.orc_ack.pass_through_party_id, H_PASS);
		assert_null(h_find_act(PORT_ACT_OPEN_RX));
		/* Nothing opened, so nothing to close when the call ends. */
		h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
		h_expect_acts((int[]){PORT_ACT_CALL_ENDED, END_ACTS});
	}
}

static void test_key_alg_without_key_bytes_refused(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	struct sccp_msg m = h_msg(SCCP_OPEN_RECEIVE_CHANNEL);
	m.u.orc.pass_through_party_id = H_PASS;
	m.u.orc.compression_type = 4;
	m.u.orc.has_key = true;
	m.u.orc.call_reference = H_CALL_REF;
	m.u.orc.rx_key.algorithm = 1; /* but key_len 0 */
	h_deliver(&m);
	assert_int_equal(h_find_msg(SCCP_OPEN_RECEIVE_CHANNEL_ACK)->u.orc_ack.status, 9);
}

static void test_unknown_codec(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	h_open_rx(H_PASS, 11, 1, H_CALL_REF); /* G.729: not offered */
	h_expect_msgs((uint32_t[]){SCCP_OPEN_RECEIVE_CHANNEL_ACK, END_MSGS});
	assert_int_equal(H.out.msgs[0].u.orc_ack.status, 6);
	assert_null(h_find_act(PORT_ACT_OPEN_RX));
	h_open_rx(H_PASS, 4, 1, H_CALL_REF); /* CallManager tries again with µ-law */
	h_expect_acts((int[]){PORT_ACT_OPEN_RX, END_ACTS});
	h_rx_opened(H_PASS, 0);
	h_start_tx(H_PASS, 9, 1, H_CALL_REF); /* and then transmits G.723: refused */
	h_expect_msgs((uint32_t[]){SCCP_MEDIA_TRANSMISSION_FAILURE, END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
}

static void test_teardown_by_callmanager(void **state)
{
	(void)state;
	h_call_with_media();
	h_stop_media(SCCP_CLOSE_RECEIVE_CHANNEL, H_PASS, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_CLOSE_RX, END_ACTS});
	assert_int_equal(H.out.acts[0].u.leg.pass_through_party_id, H_PASS);
	h_stop_media(SCCP_STOP_MEDIA_TRANSMISSION, H_PASS, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_STOP_TX, END_ACTS});
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_CALL_ENDED, END_ACTS});
	assert_int_equal(H.out.acts[0].u.call_ended.reason, SCCP_CALL_END_REMOTE);
	assert_int_equal(H.out.acts[0].u.call_ended.call_reference, H_CALL_REF);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
	h_send_empty(SCCP_CLEAR_PROMPT_STATUS);
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
}

static void test_teardown_callmanager_onhook_first(void **state)
{
	(void)state;
	h_call_with_media();
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF); /* media still open: closed for the program */
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED, END_ACTS});
	h_stop_media(SCCP_CLOSE_RECEIVE_CHANNEL, H_PASS, H_CALL_REF); /* late: quiet */
	h_stop_media(SCCP_STOP_MEDIA_TRANSMISSION, H_PASS, H_CALL_REF);
	h_expect_acts((int[]){END_ACTS});
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
}

static void test_teardown_by_port(void **state)
{
	(void)state;
	h_call_with_media();
	h_hangup(0);
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, END_MSGS});
	const struct sccp_msg *on = &H.out.msgs[0];
	assert_true(on->u.offhook.present);
	assert_int_equal(on->u.offhook.line_instance, 1);
	assert_int_equal(on->u.offhook.call_reference, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED, END_ACTS});
	assert_int_equal(H.out.acts[2].u.call_ended.reason, SCCP_CALL_END_LOCAL);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
	/* CallManager's side of the teardown is recognised as the old call's tail. */
	h_stop_media(SCCP_CLOSE_RECEIVE_CHANNEL, H_PASS, H_CALL_REF);
	h_stop_media(SCCP_STOP_MEDIA_TRANSMISSION, H_PASS, H_CALL_REF);
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){END_ACTS});
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
	/* A stale HANGUP, and one for another call, are noted. */
	h_hangup(0);
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
}

static void test_hangup_names_the_call(void **state)
{
	(void)state;
	h_call_with_media();
	h_hangup(H_CALL_REF + 7);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_hangup(H_CALL_REF);
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, END_MSGS});
}

static void test_transport_down_mid_call(void **state)
{
	(void)state;
	h_call_with_media();
	h_down();
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED, END_ACTS});
	assert_int_equal(H.out.acts[2].u.call_ended.reason, SCCP_CALL_END_SIGNALLING_LOST);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_DOWN);
	assert_int_equal(H.out.next_deadline_ms, SCCP_PORT_NO_DEADLINE);
	h_down(); /* twice: nothing */
	h_expect_acts((int[]){END_ACTS});
	h_register(17); /* and back */
}

static void test_keepalive_lost_mid_call(void **state)
{
	(void)state;
	h_call_with_media();
	for (int i = 0; i < 3; i++)
		h_advance_to_deadline();
	h_advance_to_deadline();
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED,
	                      PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
}

static void test_reset_mid_call(void **state)
{
	(void)state;
	h_call_with_media();
	h_send_u32(SCCP_RESET, 1);
	h_expect_msgs((uint32_t[]){SCCP_UNREGISTER, END_MSGS}); /* no OnHook: CallManager resets us */
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED, END_ACTS});
	assert_int_equal(H.out.acts[2].u.call_ended.reason, SCCP_CALL_END_UNREGISTERED);
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF); /* tail while unregistering: quiet */
	h_expect_acts((int[]){END_ACTS});
}

static void test_unregister_mid_call_and_nak(void **state)
{
	(void)state;
	h_call_with_media();
	h_unregister();
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, SCCP_UNREGISTER, END_MSGS});
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED, END_ACTS});
	h_send_u32(SCCP_UNREGISTER_ACK, 2); /* NAK: CallManager still saw the call */
	h_expect_acts((int[]){PORT_ACT_NOTE, PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
	assert_int_equal(H.out.acts[0].u.note.value, 2);
	assert_int_equal(H.out.acts[1].u.close.reason, SCCP_CLOSE_UNREGISTERED);
}

static void test_dtmf_keypad_both_zero_encodings(void **state)
{
	(void)state;
	h_call_with_media();
	const struct {
		uint32_t code;
		char digit;
	} cases[] = {{0x00, '0'}, {0x0A, '0'}, {0x01, '1'}, {0x09, '9'},
	             {0x0B, 'B'}, {0x0D, 'D'}, {0x0E, '*'}, {0x0F, '#'}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sccp_msg m = h_msg(SCCP_KEYPAD_BUTTON);
		m.u.keypad.button = cases[i].code;
		m.u.keypad.has_call = true;
		m.u.keypad.line_instance = 1;
		m.u.keypad.call_reference = H_CALL_REF;
		h_deliver(&m);
		h_expect_acts((int[]){PORT_ACT_DIGIT, END_ACTS});
		assert_int_equal(H.out.acts[0].u.digit.digit, cases[i].digit);
		assert_int_equal(H.out.acts[0].u.digit.source, SCCP_DIGIT_KEYPAD);
		assert_int_equal(H.out.acts[0].u.digit.call_reference, H_CALL_REF);
	}
	struct sccp_msg m = h_msg(SCCP_KEYPAD_BUTTON); /* short body, '+' (not a DTMF digit) */
	m.u.keypad.button = 0x10;
	h_deliver(&m);
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
}

static void test_dtmf_keypad_0a_configured_as_a(void **state)
{
	(void)state;
	H.cfg.keypad_0a_is_a = true;
	h_reinit();
	h_register(17);
	h_call_with_media();
	struct sccp_msg m = h_msg(SCCP_KEYPAD_BUTTON);
	m.u.keypad.button = 0x0A;
	h_deliver(&m);
	assert_int_equal(h_find_act(PORT_ACT_DIGIT)->u.digit.digit, 'A');
}

static void test_dtmf_start_tone(void **state)
{
	(void)state;
	h_call_with_media();
	const struct {
		uint32_t tone;
		char digit;
	} cases[] = {{0x0A, '0'}, {0x05, '5'}, {0x0E, '*'}, {0x0F, '#'},
	             {0x10, 'A'}, {0x13, 'D'}, {0x21, 0},   {0x24, 0}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sccp_msg m = h_msg(SCCP_START_TONE);
		m.u.start_tone.tone = cases[i].tone;
		m.u.start_tone.line_instance = 1;
		m.u.start_tone.call_reference = H_CALL_REF;
		h_deliver(&m);
		if (cases[i].digit) {
			h_expect_acts((int[]){PORT_ACT_DIGIT, END_ACTS});
			assert_int_equal(H.out.acts[0].u.digit.digit, cases[i].digit);
			assert_int_equal(H.out.acts[0].u.digit.source, SCCP_DIGIT_TONE);
		} else {
			h_expect_acts((int[]){END_ACTS}); /* dial tone, alerting: not digits, not news */
		}
	}
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
}

static void test_rfc2833_digits(void **state)
{
	(void)state;
	h_dtmf('5'); /* no call */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_call_with_media();
	h_dtmf('#');
	h_expect_acts((int[]){PORT_ACT_DIGIT, END_ACTS});
	assert_int_equal(H.out.acts[0].u.digit.digit, '#');
	assert_int_equal(H.out.acts[0].u.digit.source, SCCP_DIGIT_RFC2833);
	h_dtmf('x');
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
}

static void test_second_open_receive_channel(void **state)
{
	(void)state;
	h_call_with_media();
	h_open_rx(H_PASS, 4, 1, H_CALL_REF); /* repeated: same answer again */
	h_expect_msgs((uint32_t[]){SCCP_OPEN_RECEIVE_CHANNEL_ACK, END_MSGS});
	assert_int_equal(H.out.msgs[0].u.orc_ack.status, 0);
	assert_int_equal(H.out.msgs[0].u.orc_ack.port, 20000);
	h_expect_acts((int[]){END_ACTS});
	h_open_rx(H_PASS + 1, 4, 1, H_CALL_REF); /* another leg: one per call */
	assert_int_equal(h_find_msg(SCCP_OPEN_RECEIVE_CHANNEL_ACK)->u.orc_ack.status, 2);
	assert_null(h_find_act(PORT_ACT_OPEN_RX));
	/* Close, then a new leg (e.g. after a media renegotiation) is fine. */
	h_stop_media(SCCP_CLOSE_RECEIVE_CHANNEL, H_PASS, H_CALL_REF);
	h_stop_media(SCCP_STOP_MEDIA_TRANSMISSION, H_PASS, H_CALL_REF);
	h_open_rx(H_PASS + 1, 4, 1, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_OPEN_RX, END_ACTS});
	h_rx_opened(H_PASS + 1, 0);
	h_start_tx(H_PASS + 1, 4, 1, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_START_TX, END_ACTS}); /* the greeting started already */
}

static void test_rx_open_failure(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	h_open_rx(H_PASS, 4, 1, H_CALL_REF);
	h_rx_opened(H_PASS, 8); /* out of sockets */
	h_expect_msgs((uint32_t[]){SCCP_OPEN_RECEIVE_CHANNEL_ACK, END_MSGS});
	assert_int_equal(H.out.msgs[0].u.orc_ack.status, 8);
	h_start_tx(H_PASS, 4, 1, H_CALL_REF); /* no receive leg any more */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_CALL_ENDED, END_ACTS});
}

static void test_smt_ack_when_configured(void **state)
{
	(void)state;
	H.cfg.send_smt_ack = true;
	h_reinit();
	h_register(17);
	h_call_with_media();
	const struct sccp_msg *a = h_find_msg(SCCP_START_MEDIA_TRANSMISSION_ACK);
	assert_non_null(a);
	assert_int_equal(a->u.smt_ack.status, 0);
	assert_int_equal(a->u.smt_ack.pass_through_party_id, H_PASS);
	assert_int_equal(a->u.smt_ack.call_reference, H_CALL_REF);
	assert_int_equal(a->u.smt_ack.port, 20000);
}

static void test_keys_wiped_from_output_by_next_call(void **state)
{
	(void)state;
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF);
	h_open_rx(H_PASS, 4, 1, H_CALL_REF);
	assert_int_equal(H.out.acts[0].u.media.key.key[1], 0x11);
	h_rx_opened(H_PASS, 0);
	static const uint8_t zero[sizeof(struct sccp_key_info)];
	assert_memory_equal(&H.out.acts[0].u.media.key, zero, sizeof(zero));
	/* And the port keeps no copy of its own. */
	const uint8_t *raw = (const uint8_t *)&H.port;
	for (size_t i = 0; i + 4 <= sizeof(H.port); i++)
		assert_false(raw[i] == 0x10 && raw[i + 1] == 0x11 && raw[i + 2] == 0x12 &&
		             raw[i + 3] == 0x13);
}

/* A real CallManager 4.x ringing an SCCP phone, then the answer and media: frames of the cm_call_*
 * scenarios in tests/vectors/cucm-frames.json (no CallInfo was captured; the short media bodies
 * carry no key block). */
static void deliver_hex(const char *hex)
{
	uint8_t pdu[256];
	size_t n = strlen(hex) / 2;
	assert_true(n <= sizeof(pdu));
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		pdu[i] = (uint8_t)v;
	}
	struct sccp_msg m;
	assert_int_equal(sccp_decode(pdu, n, &m), SCCP_OK);
	h_event(&(struct sccp_port_event){.type = PORT_EV_MESSAGE, .u.msg = &m});
}

static void test_callmanager_4x_call_replayed(void **state)
{
	(void)state;
	h_register(5); /* 4.x: basic layouts */
	static const char *const ringing[] = {
	    "1c000000000000001101000004000000010000001f000001000000000400000000000000", /* CallState RingIn */
	    "140000000000000010010000010000001f00000103000000ffffffff",                 /* SelectSoftKeys */
	    "300000000000000012010000000000008017313030330000000000000000000000000000000000000000000000000000"
	    "010000001f000001", /* DisplayPromptStatus */
	    "2c00000000000000200100000a0000000500000080173130303300000000000000000000000000000000000000000000"
	    "00000000",                                                 /* DisplayPriNotify */
	    "100000000000000086000000090000000100000005000000",         /* SetLamp */
	    "1400000000000000850000000200000001000000010000001f000001", /* SetRinger */
	};
	for (size_t i = 0; i < sizeof(ringing) / sizeof(ringing[0]); i++) {
		deliver_hex(ringing[i]);
		h_expect_msgs((uint32_t[]){END_MSGS});
	}
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_RINGING);
	h_advance_to_deadline(); /* no CallInfo in the capture: answered as a direct call */
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK, END_MSGS});
	assert_int_equal(H.out.msgs[0].u.offhook.call_reference, 0x0100001F);
	assert_int_equal(H.out.msgs[0].hv, 0);

	static const char *const answered[] = {
	    "14000000000000008500000001000000010000000000000000000000",                 /* SetRinger off */
	    "08000000000000008800000001000000",                                         /* SetSpeakerMode */
	    "100000000000000086000000090000000100000002000000",                         /* SetLamp */
	    "1c000000000000001101000001000000010000001f000001000000000400000000000000", /* CallState OffHook
	                                                                                 */
	    "08000000000000001601000001000000",         /* ActivateCallPlane */
	    "0c0000000000000083000000010000001f000001", /* StopTone */
	    "1c000000000000001101000005000000010000001f000001000000000400000000000000", /* Connected */
	    "140000000000000010010000010000001f00000101000000fffdffff",                 /* SelectSoftKeys */
	};
	for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++) {
		deliver_hex(answered[i]);
		h_expect_msgs((uint32_t[]){END_MSGS});
		h_expect_acts((int[]){END_ACTS});
	}
	deliver_hex("4800000000000000050100001f00000101010001140000000400000000000000000000001f00000100000000"
	            "000000000000000000000000000000000000000000000000000000000000000000000000");
	h_expect_acts((int[]){PORT_ACT_OPEN_RX, END_ACTS});
	const struct sccp_port_media *rx = &H.out.acts[0].u.media;
	assert_int_equal(rx->key.algorithm, 0); /* no key block: plain RTP */
	assert_int_equal(rx->codec, 4);
	assert_int_equal(rx->pass_through_party_id, 0x01000101);
	h_rx_opened(0x01000101, 0);
	const struct sccp_msg *ack = h_find_msg(SCCP_OPEN_RECEIVE_CHANNEL_ACK);
	assert_int_equal(ack->hv, 0);
	assert_int_equal(h_encoded_len(ack), 12 + 20);
	deliver_hex("58000000000000008a0000001f000001010100010a66db1b1aeb00001400000004000000b800000000000000"
	            "00000000000000001f0000010000000000000000000000000000000000000000000000000000000000000000"
	            "0000000000000000");
	h_expect_acts((int[]){PORT_ACT_START_TX, PORT_ACT_PLAY_GREETING, PORT_ACT_RECORD, END_ACTS});
	const struct sccp_port_media *tx = &H.out.acts[0].u.media;
	assert_memory_equal(tx->remote_ip, ((uint8_t[]){10, 102, 219, 27}), 4);
	assert_int_equal(tx->remote_port, 0xEB1A);
	assert_int_equal(tx->precedence, 0xB8);
	assert_int_equal(tx->key.algorithm, 0);
	assert_false(H.out.acts[1].u.call.forwarded);
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 1); /* the "no CallInfo" note */
}

static void test_nonsense_in_wrong_states(void **state)
{
	(void)state;
	uint32_t before = sccp_port_stats(&H.port)->ignored;
	h_open_rx(H_PASS, 4, 1, H_CALL_REF); /* idle */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_start_tx(H_PASS, 4, 1, H_CALL_REF); /* idle */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_rx_opened(H_PASS, 0); /* nothing pending */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_hangup(0); /* no call */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});

	h_call_with_media();
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF + 1); /* a second call while busy */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_call_info(SCCP_CALL_FORWARD, "9", "8000", "1", "", H_CALL_REF + 1);
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_call_state(SCCP_CS_CONNECTED, H_CALL_REF + 1);
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_start_tx(H_PASS + 9, 4, 1, H_CALL_REF); /* unknown passThru */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_start_tx(H_PASS, 4, 1, H_CALL_REF); /* already transmitting */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_stop_media(SCCP_CLOSE_RECEIVE_CHANNEL, H_PASS + 9, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_stop_media(SCCP_STOP_MEDIA_TRANSMISSION, H_PASS + 9, H_CALL_REF);
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_send_empty(SCCP_CAPABILITIES_REQ); /* asked again mid-call: answered */
	h_expect_msgs((uint32_t[]){SCCP_CAPABILITIES_RES, END_MSGS});
	h_register_ack(30, 17); /* repeated: absorbed */
	h_expect_acts((int[]){END_ACTS});
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IN_CALL);
	assert_int_equal(sccp_port_stats(&H.port)->ignored - before, 11);
	/* The call still works. */
	h_hangup(0);
	h_expect_acts((int[]){PORT_ACT_STOP_TX, PORT_ACT_CLOSE_RX, PORT_ACT_CALL_ENDED, END_ACTS});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_forwarded_call_first_redirect, setup_registered),
	    cmocka_unit_test_setup(test_forwarded_call_last_redirect, h_setup),
	    cmocka_unit_test_setup(test_last_redirect_falls_back_to_first, h_setup),
	    cmocka_unit_test_setup(test_call_info_before_ring_in, setup_registered),
	    cmocka_unit_test_setup(test_direct_call, setup_registered),
	    cmocka_unit_test_setup(test_inbound_with_foreign_original_called_is_forwarded, setup_registered),
	    cmocka_unit_test_setup(test_call_info_v2, setup_registered),
	    cmocka_unit_test_setup(test_ring_without_call_info_answers_after_timeout, setup_registered),
	    cmocka_unit_test_setup(test_answer_calls_off, h_setup),
	    cmocka_unit_test_setup(test_caller_abandons_while_ringing, setup_registered),
	    cmocka_unit_test(test_media_key_algorithms),
	    cmocka_unit_test_setup(test_key_alg_without_key_bytes_refused, setup_registered),
	    cmocka_unit_test_setup(test_unknown_codec, setup_registered),
	    cmocka_unit_test_setup(test_teardown_by_callmanager, setup_registered),
	    cmocka_unit_test_setup(test_teardown_callmanager_onhook_first, setup_registered),
	    cmocka_unit_test_setup(test_teardown_by_port, setup_registered),
	    cmocka_unit_test_setup(test_hangup_names_the_call, setup_registered),
	    cmocka_unit_test_setup(test_transport_down_mid_call, setup_registered),
	    cmocka_unit_test_setup(test_keepalive_lost_mid_call, setup_registered),
	    cmocka_unit_test_setup(test_reset_mid_call, setup_registered),
	    cmocka_unit_test_setup(test_unregister_mid_call_and_nak, setup_registered),
	    cmocka_unit_test_setup(test_dtmf_keypad_both_zero_encodings, setup_registered),
	    cmocka_unit_test_setup(test_dtmf_keypad_0a_configured_as_a, h_setup),
	    cmocka_unit_test_setup(test_dtmf_start_tone, setup_registered),
	    cmocka_unit_test_setup(test_rfc2833_digits, setup_registered),
	    cmocka_unit_test_setup(test_second_open_receive_channel, setup_registered),
	    cmocka_unit_test_setup(test_rx_open_failure, setup_registered),
	    cmocka_unit_test_setup(test_smt_ack_when_configured, h_setup),
	    cmocka_unit_test_setup(test_keys_wiped_from_output_by_next_call, setup_registered),
	    cmocka_unit_test_setup(test_callmanager_4x_call_replayed, h_setup),
	    cmocka_unit_test_setup(test_nonsense_in_wrong_states, setup_registered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
