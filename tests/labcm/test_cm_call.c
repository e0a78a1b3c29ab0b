/* Lab CallManager, the test caller's call (protocol.md §3.3, §3.7, §4, §9.2): RingIn + CallInfo
 * forwarded from 1001, the port answers, receive channel and transmission with SRTP keys one per
 * direction, hang-up from either end, and the failure paths. */
#include "cm_bench.h"

#include <string.h>

#define REF 0x80000001u

static int setup_encrypted(void **state)
{
	b_setup(state);
	b_provision(B_DEVICE, B_DN, CM_SECURITY_ENCRYPTED);
	b_use_tls(B_DEVICE, true);
	b_connect();
	assert_true(cm_device_idle(&B.cm));
	return 0;
}

static int setup_nonsecure(void **state)
{
	b_setup(state);
	b_connect();
	assert_true(cm_device_idle(&B.cm));
	return 0;
}

static void expect_key(const struct sccp_key_info *k, uint8_t fill)
{
	struct sccp_key_info want = b_key(fill);
	assert_int_equal(k->algorithm, want.algorithm);
	assert_int_equal(k->key_len, 16);
	assert_int_equal(k->salt_len, 14);
	assert_memory_equal(k->key, want.key, 16);
	assert_memory_equal(k->salt, want.salt, 14);
}

static void expect_no_key(const struct sccp_key_info *k)
{
	static const struct sccp_key_info zero;
	assert_memory_equal(k, &zero, sizeof(zero));
}

/* The whole answered call: returns after media flows both ways. */
static void answered_call(bool srtp)
{
	b_mark();
	b_offer_call(REF, true, srtp);
	b_expect_trace(false, (uint32_t[]){SCCP_CALL_STATE, SCCP_CALL_INFO, SCCP_SET_RINGER, SCCP_SET_RINGER,
	                                   SCCP_CALL_STATE, SCCP_OPEN_RECEIVE_CHANNEL,
	                                   SCCP_START_MEDIA_TRANSMISSION, END_IDS});
	b_expect_trace(true, (uint32_t[]){SCCP_OFFHOOK, SCCP_OPEN_RECEIVE_CHANNEL_ACK, END_IDS});
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IN_CALL);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IN_CALL);
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ANSWERED)->u.answered.call_reference, REF);

	/* CallInfo: a call forwarded from 1001 (§3.3); the port picked mailbox 1001. */
	const struct sccp_call_info *ci = &B.last_call_info.u.call_info;
	assert_int_equal(B.last_call_info.id, SCCP_CALL_INFO);
	assert_int_equal(ci->call_type, SCCP_CALL_FORWARD);
	assert_string_equal(ci->calling_party, "2002");
	assert_string_equal(ci->calling_party_name, "Bench Caller");
	assert_string_equal(ci->original_called_party, "1001");
	assert_string_equal(ci->called_party, B_DN);
	assert_int_equal(ci->call_reference, REF);
	assert_int_equal(ci->original_cdpn_redirect_reason, 2);
	const struct sccp_port_action *g = b_find_port_act(PORT_ACT_PLAY_GREETING);
	assert_non_null(g);
	assert_true(g->u.call.forwarded);
	assert_string_equal(g->u.call.mailbox, "1001");
	assert_string_equal(g->u.call.caller, "2002");
	assert_int_equal(g->u.call.call_reference, REF);

	/* The channel messages: codec 4, 20 ms, the caller's RTP address, matching passThru. */
	const struct sccp_open_receive_channel *orc = &B.last_orc.u.orc;
	const struct sccp_start_media_transmission *smt = &B.last_smt.u.smt;
	assert_int_equal(orc->compression_type, 4);
	assert_int_equal(orc->packet_ms, 20);
	assert_int_equal(orc->call_reference, REF);
	assert_int_equal(orc->has_source, B.last_orc.hv >= SCCP_HV_V11); /* V11+ group */
	assert_int_equal(smt->pass_through_party_id, orc->pass_through_party_id);
	assert_int_equal(smt->compression_type, 4);
	assert_memory_equal(smt->remote_ip.addr, ((uint8_t[])B_CALLER_IP_INIT), 4);
	assert_int_equal(smt->remote_port, B_CALLER_PORT);
	assert_int_equal(smt->precedence, 0xB8);
	assert_int_equal(smt->has_party_direction, B.last_smt.hv >= SCCP_HV_V15); /* V15+ */

	const struct sccp_port_action *rx = b_find_port_act(PORT_ACT_OPEN_RX);
	const struct sccp_port_action *tx = b_find_port_act(PORT_ACT_START_TX);
	assert_non_null(rx);
	assert_non_null(tx);
	assert_memory_equal(tx->u.media.remote_ip, ((uint8_t[])B_CALLER_IP_INIT), 4);
	assert_int_equal(tx->u.media.remote_port, B_CALLER_PORT);

	/* The CM tells the caller where the port listens. */
	const struct cm_device_action *mr = b_find_cm_act(CM_ACT_MEDIA_READY);
	assert_non_null(mr);
	assert_int_equal(mr->u.media.call_reference, REF);
	assert_memory_equal(mr->u.media.device_ip, ((uint8_t[])B_PORT_IP_INIT), 4);
	assert_int_equal(mr->u.media.device_port, 20000);
	(void)srtp;
}

static void test_call_encrypted(void **state)
{
	(void)state;
	answered_call(true);
	assert_int_equal(B.last_call_info.u.call_info.call_security_status, 3);
	assert_true(b_find_cm_act(CM_ACT_MEDIA_READY)->u.media.encrypted);
	/* One key per direction (§4.5): the port decrypts with the caller's key, encrypts with the other. */
	expect_key(&b_find_port_act(PORT_ACT_OPEN_RX)->u.media.key, 0x11);
	expect_key(&b_find_port_act(PORT_ACT_START_TX)->u.media.key, 0x22);
	/* The CM keeps no copy once sent. */
	expect_no_key(&B.cm.call.key_to_device);
	expect_no_key(&B.cm.call.key_from_device);

	/* The caller hangs up. */
	b_mark();
	b_cm_event(&(struct cm_device_event){.type = CM_EV_HANGUP, .u.call_reference = REF});
	b_pump();
	b_expect_trace(false, (uint32_t[]){SCCP_STOP_MEDIA_TRANSMISSION, SCCP_CLOSE_RECEIVE_CHANNEL,
	                                   SCCP_CALL_STATE, END_IDS});
	b_expect_trace(true, (uint32_t[]){END_IDS});
	const struct cm_device_action *e = b_find_cm_act(CM_ACT_CALL_ENDED);
	assert_non_null(e);
	assert_int_equal(e->u.call_ended.reason, CM_CALL_END_CALLER_HANGUP);
	assert_int_equal(e->u.call_ended.call_reference, REF);
	const struct sccp_port_action *pe = b_find_port_act(PORT_ACT_CALL_ENDED);
	assert_non_null(pe);
	assert_int_equal(pe->u.call_ended.reason, SCCP_CALL_END_REMOTE);
	assert_int_equal(b_count_port_acts(PORT_ACT_STOP_TX), 1);
	assert_int_equal(b_count_port_acts(PORT_ACT_CLOSE_RX), 1);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	assert_int_equal(B.cm.stats.calls_answered, 1);
	b_expect_clean();

	/* A second call on the same registration works the same way. */
	b_mark();
	b_offer_call(REF + 1, true, true);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IN_CALL);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_HANGUP, .u.call_reference = REF + 1});
	b_pump();
	assert_int_equal(b_count_cm_acts(CM_ACT_CALL_ENDED), 1);
	b_expect_clean();
}

/* A non-secure device gets no keys even when the caller could do SRTP. */
static void test_call_nonsecure_no_keys(void **state)
{
	(void)state;
	answered_call(true);
	assert_int_equal(B.last_call_info.u.call_info.call_security_status, 1);
	assert_false(b_find_cm_act(CM_ACT_MEDIA_READY)->u.media.encrypted);
	expect_no_key(&B.last_orc.u.orc.rx_key);
	expect_no_key(&B.last_smt.u.smt.tx_key);
	assert_int_equal(b_find_port_act(PORT_ACT_OPEN_RX)->u.media.key.algorithm, 0);
	b_expect_clean();
}

/* Encrypted device, caller without SRTP: plain RTP, and CallInfo says so. */
static void test_call_encrypted_device_plain_caller(void **state)
{
	(void)state;
	answered_call(false);
	assert_int_equal(B.last_call_info.u.call_info.call_security_status, 2);
	assert_false(b_find_cm_act(CM_ACT_MEDIA_READY)->u.media.encrypted);
	expect_no_key(&B.last_orc.u.orc.rx_key);
	b_expect_clean();
}

/* The port hangs up (recording done): the CM tears the media down, the port is quiet about it. */
static void test_call_device_hangup(void **state)
{
	(void)state;
	answered_call(true);
	b_mark();
	b_port_event(&(struct sccp_port_event){.type = PORT_EV_HANGUP, .u.call_reference = REF});
	b_pump();
	b_expect_trace(true, (uint32_t[]){SCCP_ONHOOK, END_IDS});
	b_expect_trace(false, (uint32_t[]){SCCP_STOP_MEDIA_TRANSMISSION, SCCP_CLOSE_RECEIVE_CHANNEL,
	                                   SCCP_CALL_STATE, END_IDS});
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ENDED)->u.call_ended.reason, CM_CALL_END_DEVICE_HANGUP);
	assert_int_equal(b_find_port_act(PORT_ACT_CALL_ENDED)->u.call_ended.reason, SCCP_CALL_END_LOCAL);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	/* The caller's own hang-up arriving afterwards is not news. */
	b_cm_event(&(struct cm_device_event){.type = CM_EV_HANGUP, .u.call_reference = REF});
	assert_int_equal(B.cout.n_msgs, 0);
	b_expect_clean();
}

/* A port that does not answer: the call ends unanswered after ring_timeout_ms. */
static void test_call_no_answer(void **state)
{
	(void)state;
	B.pcfg.answer_calls = false;
	B.ccfg.ring_timeout_ms = 5000;
	b_reinit();
	b_connect();
	b_mark();
	b_offer_call(REF, true, false);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_RINGING);
	assert_false(cm_device_idle(&B.cm));
	b_run_for(4999);
	assert_int_equal(b_count_cm_acts(CM_ACT_CALL_ENDED), 0);
	b_run_for(1);
	const struct cm_device_action *e = b_find_cm_act(CM_ACT_CALL_ENDED);
	assert_non_null(e);
	assert_int_equal(e->u.call_ended.reason, CM_CALL_END_NO_ANSWER);
	assert_int_equal(b_count_msgs(false, SCCP_CLOSE_RECEIVE_CHANNEL), 0);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	b_expect_clean();
}

/* The caller gives up while it rings. */
static void test_call_caller_hangup_while_ringing(void **state)
{
	(void)state;
	B.pcfg.answer_calls = false;
	b_reinit();
	b_connect();
	b_offer_call(REF, true, false);
	b_mark();
	b_cm_event(&(struct cm_device_event){.type = CM_EV_HANGUP, .u.call_reference = REF});
	b_pump();
	b_expect_trace(false, (uint32_t[]){SCCP_SET_RINGER, SCCP_CALL_STATE, END_IDS});
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ENDED)->u.call_ended.reason, CM_CALL_END_CALLER_HANGUP);
	b_expect_clean();
}

/* The port cannot open its receive channel (out of sockets): the call fails cleanly. */
static void test_call_media_failure(void **state)
{
	(void)state;
	B.rx_open_status = 8;
	b_mark();
	b_offer_call(REF, true, true);
	const struct cm_device_action *e = b_find_cm_act(CM_ACT_CALL_ENDED);
	assert_non_null(e);
	assert_int_equal(e->u.call_ended.reason, CM_CALL_END_MEDIA_FAILED);
	assert_int_equal(b_count_msgs(false, SCCP_START_MEDIA_TRANSMISSION), 0);
	assert_int_equal(b_count_msgs(false, SCCP_CLOSE_RECEIVE_CHANNEL), 0);
	assert_int_equal(b_count_cm_acts(CM_ACT_MEDIA_READY), 0);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	assert_int_equal(b_count_port_acts(PORT_ACT_CALL_ENDED), 1);
	expect_no_key(&B.cm.call.key_from_device);
}

/* A second call while one is up is refused at once; so is one to an unregistered device. */
static void test_call_busy(void **state)
{
	(void)state;
	answered_call(false);
	b_mark();
	b_offer_call(REF + 7, true, false);
	const struct cm_device_action *e = b_find_cm_act(CM_ACT_CALL_ENDED);
	assert_non_null(e);
	assert_int_equal(e->u.call_ended.call_reference, REF + 7);
	assert_int_equal(e->u.call_ended.reason, CM_CALL_END_BUSY);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IN_CALL);
	assert_int_equal(B.cout.n_msgs, 0);

	struct cm_device fresh;
	assert_int_equal(cm_device_init(&fresh, &B.ccfg), 0);
	struct cm_call_offer o;
	memset(&o, 0, sizeof(o));
	o.call_reference = 5;
	struct cm_device_output out;
	memset(&out, 0, sizeof(out));
	cm_device_handle(&fresh, &(struct cm_device_event){.type = CM_EV_OFFER_CALL, .u.offer = &o}, 0, 0,
	                 &out);
	assert_int_equal(out.n_acts, 1);
	assert_int_equal(out.acts[0].type, CM_ACT_CALL_ENDED);
	assert_int_equal(out.acts[0].u.call_ended.reason, CM_CALL_END_BUSY);
}

/* The connection drops mid-call: the call ends as "device lost", the registration is over. */
static void test_call_connection_lost(void **state)
{
	(void)state;
	answered_call(true);
	b_mark();
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ENDED)->u.call_ended.reason, CM_CALL_END_DEVICE_LOST);
	assert_int_equal(b_count_cm_acts(CM_ACT_UNREGISTERED), 1);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
	expect_no_key(&B.cm.call.key_to_device);
}

/* Keepalives lost mid-call: the same, with reason 13. */
static void test_call_keepalive_lost(void **state)
{
	(void)state;
	answered_call(false);
	B.drop_to_cm_id = SCCP_KEEPALIVE;
	b_mark();
	b_run_for(70000);
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ENDED)->u.call_ended.reason, CM_CALL_END_DEVICE_LOST);
	assert_int_equal(b_find_cm_act(CM_ACT_CLOSE)->u.close.reason, CM_CLOSE_KEEPALIVE_TIMEOUT);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_DOWN);
	assert_int_equal(b_find_port_act(PORT_ACT_CALL_ENDED)->u.call_ended.reason,
	                 SCCP_CALL_END_SIGNALLING_LOST);
}

/* Unregister while a call is up is refused (NAK); the port's own shutdown hangs up first. */
static void test_unregister_during_call(void **state)
{
	(void)state;
	answered_call(false);
	b_mark();
	struct sccp_msg m;
	sccp_msg_init(&m, SCCP_UNREGISTER, 0x11);
	b_cm_message(&m);
	assert_int_equal(B.cout.n_msgs, 1);
	assert_int_equal(B.cout.msgs[0].id, SCCP_UNREGISTER_ACK);
	assert_int_equal(B.cout.msgs[0].u.unregister_ack.value, 2);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IN_CALL);
	B.n_to_port = 0; /* that NAK was the test's own, the port never asked */

	b_mark();
	b_port_event(&(struct sccp_port_event){.type = PORT_EV_UNREGISTER});
	b_pump();
	b_expect_trace(true, (uint32_t[]){SCCP_ONHOOK, SCCP_UNREGISTER, END_IDS});
	assert_int_equal(B.last_unregister_ack.u.unregister_ack.value, 0);
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ENDED)->u.call_ended.reason, CM_CALL_END_DEVICE_HANGUP);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_DOWN);
}

/* An old CallManager (V5): the same call on the basic layouts. */
static void test_call_basic_layouts(void **state)
{
	(void)state;
	b_setup(state);
	B.ccfg.max_protocol_version = 5;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_ENCRYPTED);
	b_use_tls(B_DEVICE, true);
	b_reinit();
	b_connect();
	answered_call(true);
	assert_int_equal(B.last_orc.hv, 0);
	assert_false(B.last_orc.u.orc.has_source); /* not in the basic layout */
	expect_key(&b_find_port_act(PORT_ACT_OPEN_RX)->u.media.key, 0x11);
	b_expect_clean();
}

/* A device asking for dynamic messages gets CallInfoV2 and reads the same mailbox from it. */
static void test_call_info_v2(void **state)
{
	(void)state;
	B.pcfg.phone_features |= SCCP_FEATURE_DYNAMIC_MESSAGES;
	b_reinit();
	b_connect();
	b_mark();
	b_offer_call(REF, true, false);
	assert_int_equal(b_count_msgs(false, SCCP_CALL_INFO_V2), 1);
	assert_int_equal(b_count_msgs(false, SCCP_CALL_INFO), 0);
	assert_string_equal(b_find_port_act(PORT_ACT_PLAY_GREETING)->u.call.mailbox, "1001");
	b_expect_clean();
}

/* A direct call (not forwarded): the port sees callType 1 and no mailbox. */
static void test_call_direct(void **state)
{
	(void)state;
	b_mark();
	b_offer_call(REF, false, false);
	assert_int_equal(B.last_call_info.u.call_info.call_type, SCCP_CALL_INBOUND);
	const struct sccp_port_action *g = b_find_port_act(PORT_ACT_PLAY_GREETING);
	assert_non_null(g);
	assert_false(g->u.call.forwarded);
	assert_string_equal(g->u.call.mailbox, "");
	b_expect_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_call_encrypted, setup_encrypted, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_nonsecure_no_keys, setup_nonsecure, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_encrypted_device_plain_caller, setup_encrypted,
	                                    b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_device_hangup, setup_encrypted, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_no_answer, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_caller_hangup_while_ringing, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_media_failure, setup_encrypted, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_busy, setup_nonsecure, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_connection_lost, setup_encrypted, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_keepalive_lost, setup_nonsecure, b_teardown),
	    cmocka_unit_test_setup_teardown(test_unregister_during_call, setup_nonsecure, b_teardown),
	    cmocka_unit_test_teardown(test_call_basic_layouts, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_info_v2, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_call_direct, setup_nonsecure, b_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
