/* Port life cycle: registration (protocol.md §2.7), header-version negotiation, keepalives and
 * their spread, failure detection (§8), Reset, Unregister, configuration checks. */
#include "port_harness.h"

#include <string.h>

static void test_registration_sequence(void **state)
{
	(void)state;
	h_up();
	h_expect_msgs((uint32_t[]){SCCP_REGISTER, END_MSGS});
	const struct sccp_msg *m = h_find_msg(SCCP_REGISTER);
	const struct sccp_register *r = &m->u.reg;
	assert_int_equal(m->hv, 0);
	assert_string_equal(r->device_name, "CiscoUM1-VI1");
	assert_int_equal(r->instance, 1);
	assert_int_equal(r->device_type, 80);
	assert_memory_equal(r->station_ip, ((uint8_t[]){10, 0, 0, 5}), 4);
	assert_true(r->has_ext);
	assert_true(r->has_full);
	assert_int_equal(r->protocol_ver, 17);
	assert_true(r->phone_features & SCCP_FEATURE_RFC2833);
	assert_false(r->phone_features & SCCP_FEATURE_DYNAMIC_MESSAGES);
	assert_memory_equal(r->mac, ((uint8_t[]){0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0, 0, 0, 0, 0}), 12);
	assert_int_equal(r->max_lines, 1);
	assert_int_equal(h_encoded_len(m), 12 + 124); /* the full form of §2.2 */
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_REGISTERING);
	assert_int_equal(H.out.next_deadline_ms, H.now + H.cfg.register_timeout_ms);

	h_register_ack(30, 17);
	h_expect_msgs((uint32_t[]){END_MSGS});
	assert_int_equal(sccp_port_header_version(&H.port), 0x11);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_REGISTERING);

	h_send_empty(SCCP_CAPABILITIES_REQ);
	h_expect_msgs((uint32_t[]){SCCP_CAPABILITIES_RES, SCCP_BUTTON_TEMPLATE_REQ, SCCP_SOFTKEY_TEMPLATE_REQ,
	                           SCCP_SOFTKEY_SET_REQ, SCCP_CONFIG_STAT_REQ, SCCP_LINE_STAT_REQ,
	                           SCCP_REGISTER_AVAILABLE_LINES, SCCP_TIME_DATE_REQ, END_MSGS});
	for (size_t i = 0; i < H.out.n_msgs; i++)
		assert_int_equal(H.out.msgs[i].hv, 0x11);
	const struct sccp_capabilities_res *caps = &h_find_msg(SCCP_CAPABILITIES_RES)->u.capabilities;
	assert_int_equal(caps->count, 2);
	assert_int_equal(caps->caps[0].payload, 4);
	assert_int_equal(caps->caps[1].payload, 2);
	assert_int_equal(caps->caps[0].max_frames_per_packet, 20);
	assert_int_equal(h_find_msg(SCCP_LINE_STAT_REQ)->u.line_stat_req.value, 1);
	assert_int_equal(h_find_msg(SCCP_REGISTER_AVAILABLE_LINES)->u.register_available_lines.value, 1);
	h_expect_acts((int[]){PORT_ACT_REGISTERED, END_ACTS});
	const struct sccp_port_action *a = h_find_act(PORT_ACT_REGISTERED);
	assert_int_equal(a->u.registered.protocol_version, 17);
	assert_int_equal(a->u.registered.hv, 0x11);
	assert_int_equal(a->u.registered.keepalive_s, 30);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
	/* Only the keepalive is pending now: the registration timeout is gone. */
	assert_true(H.out.next_deadline_ms <= H.now + 30000);
	assert_true(H.out.next_deadline_ms >= H.now + 22500);

	/* Answers arrive later, in any order; the port learns its number from LineStatRes. */
	struct sccp_msg ls = h_msg(SCCP_LINE_STAT_RES);
	ls.u.line_stat.line_number = 1;
	strcpy(ls.u.line_stat.dir_number, "5001");
	h_deliver(&ls);
	h_send_empty(SCCP_DEFINE_TIME_DATE);
	struct sccp_msg bt = h_msg(SCCP_BUTTON_TEMPLATE_RES);
	h_deliver(&bt);
	struct sccp_msg cs = h_msg(SCCP_CONFIG_STAT_RES);
	strcpy(cs.u.config_stat.device_name, "CiscoUM1-VI1");
	h_deliver(&cs);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){END_ACTS});
	assert_string_equal(sccp_port_directory_number(&H.port), "5001");
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
	assert_int_equal(sccp_port_stats(&H.port)->registrations, 1);
}

static void test_capabilities_before_register_ack(void **state)
{
	(void)state;
	h_up();
	h_send_empty(SCCP_CAPABILITIES_REQ);
	h_expect_msgs((uint32_t[]){SCCP_CAPABILITIES_RES, END_MSGS});
	assert_int_equal(H.out.msgs[0].hv, 0); /* nothing negotiated yet */
	h_expect_acts((int[]){END_ACTS});
	h_register_ack(30, 16);
	h_expect_acts((int[]){PORT_ACT_REGISTERED, END_ACTS});
	assert_int_equal(H.out.n_msgs, 7);
	assert_int_equal(H.out.msgs[0].hv, 0x10);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
}

static void test_minimal_requests_and_g729(void **state)
{
	(void)state;
	H.cfg.request_templates = false;
	H.cfg.codecs[2] = 11; /* G.729, only because configured */
	H.cfg.n_codecs = 3;
	h_reinit();
	h_up();
	h_register_ack(30, 17);
	h_send_empty(SCCP_CAPABILITIES_REQ);
	h_expect_msgs((uint32_t[]){SCCP_CAPABILITIES_RES, SCCP_LINE_STAT_REQ, SCCP_REGISTER_AVAILABLE_LINES,
	                           SCCP_TIME_DATE_REQ, END_MSGS});
	const struct sccp_capabilities_res *caps = &h_find_msg(SCCP_CAPABILITIES_RES)->u.capabilities;
	assert_int_equal(caps->count, 3);
	assert_int_equal(caps->caps[2].payload, 11);
}

static void test_old_server_version_5_uses_basic_layouts(void **state)
{
	(void)state;
	h_register(5);
	assert_int_equal(sccp_port_header_version(&H.port), 0);
	for (size_t i = 0; i < H.out.n_msgs; i++)
		assert_int_equal(H.out.msgs[i].hv, 0);
	assert_int_equal(h_find_act(PORT_ACT_REGISTERED)->u.registered.protocol_version, 5);

	/* In a call the media answers take their basic forms too: a 20-byte OpenReceiveChannelAck. */
	h_call_with_media();
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF + 1);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "", H_CALL_REF + 1);
	h_open_rx(H_PASS + 1, 4, 0, H_CALL_REF + 1);
	h_rx_opened(H_PASS + 1, 0);
	const struct sccp_msg *ack = h_find_msg(SCCP_OPEN_RECEIVE_CHANNEL_ACK);
	assert_non_null(ack);
	assert_int_equal(ack->hv, 0);
	assert_int_equal(h_encoded_len(ack), 12 + 20);
}

static void test_version_between_11_and_ours(void **state)
{
	(void)state;
	H.cfg.protocol_version = 15;
	h_reinit();
	h_register(22); /* a newer CallManager: ours is the lower */
	assert_int_equal(sccp_port_header_version(&H.port), 15);
	h_up(); /* and one that says 10: basic */
	h_register_ack(30, 10);
	assert_int_equal(sccp_port_header_version(&H.port), 0);
}

static void test_register_reject(void **state)
{
	(void)state;
	h_up();
	struct sccp_msg m = h_msg(SCCP_REGISTER_REJECT);
	strcpy(m.u.register_reject.text, "Unknown Device");
	h_deliver(&m);
	h_expect_acts((int[]){PORT_ACT_REJECTED, PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
	assert_string_equal(h_find_act(PORT_ACT_REJECTED)->u.rejected.text, "Unknown Device");
	assert_int_equal(h_find_act(PORT_ACT_CLOSE_TRANSPORT)->u.close.reason, SCCP_CLOSE_REJECTED);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_CLOSING);
	assert_int_equal(H.out.next_deadline_ms, SCCP_PORT_NO_DEADLINE);
	h_send_empty(SCCP_CAPABILITIES_REQ); /* in flight when we closed: swallowed */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_down();
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_DOWN);
	h_up(); /* the program may try again (e.g. the next server) */
	h_expect_msgs((uint32_t[]){SCCP_REGISTER, END_MSGS});
}

static void test_register_timeout(void **state)
{
	(void)state;
	h_up();
	h_register_ack(30, 17); /* but never a CapabilitiesReq */
	H.now += H.cfg.register_timeout_ms - 1;
	h_timer(); /* a keepalive may fire on the way: fine; not the timeout yet */
	assert_null(h_find_act(PORT_ACT_CLOSE_TRANSPORT));
	H.now += 1;
	h_timer();
	assert_int_equal(h_find_act(PORT_ACT_CLOSE_TRANSPORT)->u.close.reason, SCCP_CLOSE_REGISTER_TIMEOUT);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_CLOSING);
}

static void test_keepalive_spread_within_three_quarters_and_one(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 20; seed++) {
		H.cfg.rng_seed = seed;
		h_reinit();
		h_register(17);
		uint64_t lo = UINT64_MAX, hi = 0;
		for (int i = 0; i < 200; i++) {
			uint64_t sent_at = H.now;
			uint64_t due = sccp_port_next_deadline(&H.port);
			uint64_t delay = due - sent_at;
			assert_true(delay >= 22500 && delay <= 30000);
			lo = delay < lo ? delay : lo;
			hi = delay > hi ? delay : hi;
			H.now = due;
			h_timer();
			h_expect_msgs((uint32_t[]){SCCP_KEEPALIVE, END_MSGS});
			h_send_empty(SCCP_KEEPALIVE_ACK);
		}
		assert_true(hi - lo > 3000); /* really spread, not a constant */
	}
	/* An odd interval (7 s): [5250, 7000]. */
	h_reinit();
	h_up();
	h_register_ack(7, 17);
	h_send_empty(SCCP_CAPABILITIES_REQ);
	for (int i = 0; i < 500; i++) {
		uint64_t delay = sccp_port_next_deadline(&H.port) - H.now;
		assert_true(delay * 4 >= 7000u * 3 && delay <= 7000);
		H.now += delay;
		h_timer();
		h_send_empty(SCCP_KEEPALIVE_ACK);
	}
}

static void test_keepalive_zero_interval_uses_default(void **state)
{
	(void)state;
	h_up();
	h_register_ack(0, 17);
	h_send_empty(SCCP_CAPABILITIES_REQ);
	assert_int_equal(h_find_act(PORT_ACT_REGISTERED)->u.registered.keepalive_s, 30);
}

static void test_three_missed_keepalives_close(void **state)
{
	(void)state;
	h_register(17);
	for (int i = 0; i < 3; i++) {
		h_advance_to_deadline();
		h_expect_msgs((uint32_t[]){SCCP_KEEPALIVE, END_MSGS});
		h_expect_acts((int[]){END_ACTS});
	}
	h_advance_to_deadline();
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
	assert_int_equal(H.out.acts[0].u.close.reason, SCCP_CLOSE_KEEPALIVE_LOST);
	assert_string_equal(sccp_port_close_reason_text(SCCP_CLOSE_KEEPALIVE_LOST), "keepalive lost");
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_CLOSING);
	h_down();
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_DOWN);
	assert_int_equal(sccp_port_header_version(&H.port), 0);
}

static void test_keepalive_ack_resets_the_count(void **state)
{
	(void)state;
	h_register(17);
	h_advance_to_deadline();
	h_advance_to_deadline();
	h_send_empty(SCCP_KEEPALIVE_ACK);
	for (int i = 0; i < 3; i++) {
		h_advance_to_deadline();
		h_expect_msgs((uint32_t[]){SCCP_KEEPALIVE, END_MSGS});
	}
	h_advance_to_deadline();
	assert_non_null(h_find_act(PORT_ACT_CLOSE_TRANSPORT));
	assert_int_equal(sccp_port_stats(&H.port)->keepalive_acks, 1);
}

static void test_early_and_repeated_timer_events_are_harmless(void **state)
{
	(void)state;
	h_register(17);
	uint64_t due = sccp_port_next_deadline(&H.port);
	h_timer();
	h_timer();
	h_expect_msgs((uint32_t[]){END_MSGS});
	assert_int_equal(sccp_port_next_deadline(&H.port), due);
}

static void test_reset_unregisters_then_closes(void **state)
{
	(void)state;
	h_register(17);
	h_send_u32(SCCP_RESET, 2);
	h_expect_msgs((uint32_t[]){SCCP_UNREGISTER, END_MSGS});
	h_expect_acts((int[]){END_ACTS});
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_UNREGISTERING);
	h_send_u32(SCCP_UNREGISTER_ACK, 0);
	h_expect_acts((int[]){PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
	assert_int_equal(H.out.acts[0].u.close.reason, SCCP_CLOSE_RESET);
	assert_string_equal(sccp_port_close_reason_text(SCCP_CLOSE_RESET), "reset by CallManager");
}

static void test_reset_types_and_before_registration(void **state)
{
	(void)state;
	for (uint32_t type = 1; type <= 3; type++) {
		h_reinit();
		h_register(17);
		h_send_u32(SCCP_RESET, type);
		h_expect_msgs((uint32_t[]){SCCP_UNREGISTER, END_MSGS});
		/* No answer: the unregister timeout closes anyway. */
		h_advance_to_deadline();
		assert_int_equal(h_find_act(PORT_ACT_CLOSE_TRANSPORT)->u.close.reason, SCCP_CLOSE_RESET);
	}
	h_reinit();
	h_up();
	h_send_u32(SCCP_RESET, 1); /* before RegisterAck there is nothing to unregister */
	h_expect_msgs((uint32_t[]){END_MSGS});
	assert_int_equal(h_find_act(PORT_ACT_CLOSE_TRANSPORT)->u.close.reason, SCCP_CLOSE_RESET);
}

static void test_unregister_with_ack(void **state)
{
	(void)state;
	h_register(17);
	h_unregister();
	h_expect_msgs((uint32_t[]){SCCP_UNREGISTER, END_MSGS});
	assert_int_equal(H.out.msgs[0].hv, 0x11);
	assert_int_equal(H.out.next_deadline_ms, H.now + H.cfg.unregister_timeout_ms); /* keepalive stopped */
	h_unregister(); /* twice: nothing more */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_send_u32(SCCP_UNREGISTER_ACK, 0);
	h_expect_acts((int[]){PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
	assert_int_equal(H.out.acts[0].u.close.reason, SCCP_CLOSE_UNREGISTERED);
	h_down();
	h_unregister(); /* down: nothing to do */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){END_ACTS});
}

static void test_unregister_timeout(void **state)
{
	(void)state;
	h_register(17);
	h_unregister();
	H.now += H.cfg.unregister_timeout_ms;
	h_timer();
	h_expect_acts((int[]){PORT_ACT_NOTE, PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
	assert_int_equal(h_find_act(PORT_ACT_CLOSE_TRANSPORT)->u.close.reason, SCCP_CLOSE_UNREGISTERED);
}

static void test_unregister_while_registering(void **state)
{
	(void)state;
	h_up();
	h_unregister();
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_CLOSE_TRANSPORT, END_ACTS});
}

static void test_transport_up_twice_starts_over(void **state)
{
	(void)state;
	h_register(17);
	h_up();
	h_expect_msgs((uint32_t[]){SCCP_REGISTER, END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_REGISTERING);
	assert_int_equal(sccp_port_header_version(&H.port), 0);
}

static void test_init_rejects_bad_config(void **state)
{
	(void)state;
	struct sccp_port_config c = H.cfg;
	c.device_name[0] = '\0';
	assert_int_not_equal(sccp_port_init(&H.port, &c), 0);
	c = H.cfg;
	memset(c.device_name, 'A', sizeof(c.device_name)); /* 16 characters: no room for the NUL */
	assert_int_not_equal(sccp_port_init(&H.port, &c), 0);
	c = H.cfg;
	c.n_codecs = 0;
	assert_int_not_equal(sccp_port_init(&H.port, &c), 0);
	c = H.cfg;
	c.n_codecs = SCCP_PORT_MAX_CODECS + 1;
	assert_int_not_equal(sccp_port_init(&H.port, &c), 0);
	c = H.cfg;
	c.keepalive_max_missed = 0;
	assert_int_not_equal(sccp_port_init(&H.port, &c), 0);
	c = H.cfg;
	assert_int_equal(sccp_port_init(&H.port, &c), 0);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_DOWN);
	assert_int_equal(sccp_port_next_deadline(&H.port), SCCP_PORT_NO_DEADLINE);
}

static void test_names(void **state)
{
	(void)state;
	for (int s = SCCP_PORT_DOWN; s <= SCCP_PORT_CLOSING; s++)
		assert_string_not_equal(sccp_port_state_name((enum sccp_port_state)s), "?");
	for (int t = PORT_ACT_OPEN_RX; t <= PORT_ACT_NOTE; t++)
		assert_string_not_equal(sccp_port_action_name((enum sccp_port_action_type)t), "?");
	for (int r = SCCP_CALL_END_REMOTE; r <= SCCP_CALL_END_UNREGISTERED; r++)
		assert_string_not_equal(sccp_port_call_end_text((enum sccp_port_call_end)r), "?");
	for (int r = SCCP_MWI_DIALLED; r <= SCCP_MWI_DROPPED; r++)
		assert_string_not_equal(sccp_port_mwi_result_text((enum sccp_port_mwi_result)r), "?");
	assert_string_equal(sccp_port_state_name(SCCP_PORT_IN_CALL), "in-call");
}

static void test_messages_in_wrong_states(void **state)
{
	(void)state;
	h_send_empty(SCCP_KEEPALIVE_ACK); /* no transport at all */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_up();
	h_call_state(SCCP_CS_RINGIN, 5); /* not registered yet */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_send_u32(SCCP_UNREGISTER_ACK, 0); /* never asked */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_send_empty(SCCP_KEEPALIVE); /* a device message coming our way */
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_event(&(struct sccp_port_event){.type = (enum sccp_port_event_type)99});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 5);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_REGISTERING);
}

static void test_secure_wipe(void **state)
{
	(void)state;
	uint8_t key[32];
	memset(key, 0xA5, sizeof(key));
	sccp_secure_wipe(key, sizeof(key));
	for (size_t i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_registration_sequence, h_setup),
	    cmocka_unit_test_setup(test_capabilities_before_register_ack, h_setup),
	    cmocka_unit_test_setup(test_minimal_requests_and_g729, h_setup),
	    cmocka_unit_test_setup(test_old_server_version_5_uses_basic_layouts, h_setup),
	    cmocka_unit_test_setup(test_version_between_11_and_ours, h_setup),
	    cmocka_unit_test_setup(test_register_reject, h_setup),
	    cmocka_unit_test_setup(test_register_timeout, h_setup),
	    cmocka_unit_test_setup(test_keepalive_spread_within_three_quarters_and_one, h_setup),
	    cmocka_unit_test_setup(test_keepalive_zero_interval_uses_default, h_setup),
	    cmocka_unit_test_setup(test_three_missed_keepalives_close, h_setup),
	    cmocka_unit_test_setup(test_keepalive_ack_resets_the_count, h_setup),
	    cmocka_unit_test_setup(test_early_and_repeated_timer_events_are_harmless, h_setup),
	    cmocka_unit_test_setup(test_reset_unregisters_then_closes, h_setup),
	    cmocka_unit_test_setup(test_reset_types_and_before_registration, h_setup),
	    cmocka_unit_test_setup(test_unregister_with_ack, h_setup),
	    cmocka_unit_test_setup(test_unregister_timeout, h_setup),
	    cmocka_unit_test_setup(test_unregister_while_registering, h_setup),
	    cmocka_unit_test_setup(test_transport_up_twice_starts_over, h_setup),
	    cmocka_unit_test_setup(test_init_rejects_bad_config, h_setup),
	    cmocka_unit_test_setup(test_names, h_setup),
	    cmocka_unit_test_setup(test_messages_in_wrong_states, h_setup),
	    cmocka_unit_test_setup(test_secure_wipe, h_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
