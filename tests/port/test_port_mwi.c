/* MWI by dialling (protocol.md §5.2, §9.3): OffHookWithCgpn as the subscriber, the MWI number as
 * KeypadButtons or one EnblocCall, hang-up on progress or timeout, and the queue. */
#include "port_harness.h"

#include <stdio.h>
#include <string.h>

#define MWI_REF 0x02000002u

static int setup_registered(void **state)
{
	h_setup(state);
	h_register(17);
	return 0;
}

static void expect_offhook_with_cgpn(const char *ext)
{
	h_expect_msgs((uint32_t[]){SCCP_OFFHOOK_WITH_CGPN, END_MSGS});
	const struct sccp_offhook_with_cgpn *o = &H.out.msgs[0].u.offhook_cgpn;
	assert_string_equal(o->calling_party, ext);
	assert_string_equal(o->cgpn_voice_mailbox, ext);
	assert_int_equal(o->line_instance, 1);
	assert_int_equal(H.out.msgs[0].hv, 0x11);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_MWI);
}

static void test_mwi_keypad(void **state)
{
	(void)state;
	h_mwi("1001", "*99", true);
	expect_offhook_with_cgpn("1001");
	assert_int_equal(H.out.next_deadline_ms, H.now + H.cfg.mwi_dial_delay_ms);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	h_expect_msgs((uint32_t[]){SCCP_KEYPAD_BUTTON, SCCP_KEYPAD_BUTTON, SCCP_KEYPAD_BUTTON, END_MSGS});
	const uint32_t codes[] = {0x0E, 9, 9};
	for (int i = 0; i < 3; i++) {
		const struct sccp_keypad_button *k = &H.out.msgs[i].u.keypad;
		assert_int_equal(k->button, codes[i]);
		assert_true(k->has_call);
		assert_int_equal(k->line_instance, 1);
		assert_int_equal(k->call_reference, MWI_REF);
	}
	h_call_state(SCCP_CS_PROCEED, MWI_REF);
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, END_MSGS});
	assert_int_equal(H.out.msgs[0].u.offhook.call_reference, MWI_REF);
	h_expect_acts((int[]){PORT_ACT_MWI_DONE, END_ACTS});
	const struct sccp_port_action *a = &H.out.acts[0];
	assert_string_equal(a->u.mwi_done.request.extension, "1001");
	assert_true(a->u.mwi_done.request.on);
	assert_int_equal(a->u.mwi_done.result, SCCP_MWI_DIALLED);
	assert_int_equal(a->u.mwi_done.last_call_state, SCCP_CS_PROCEED);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
	/* CallManager's own clearing of that call afterwards is not news. */
	h_call_state(SCCP_CS_ONHOOK, MWI_REF);
	h_expect_acts((int[]){END_ACTS});
	assert_int_equal(sccp_port_stats(&H.port)->ignored, 0);
}

static void test_mwi_enbloc_with_timers(void **state)
{
	(void)state;
	H.cfg.mwi_dial = SCCP_MWI_ENBLOC;
	h_reinit();
	h_register(17);
	h_mwi("1001", "5999", false);
	expect_offhook_with_cgpn("1001");
	H.now += H.cfg.mwi_dial_delay_ms; /* no CallState at all: dial anyway */
	h_timer();
	h_expect_msgs((uint32_t[]){SCCP_ENBLOC_CALL, END_MSGS});
	assert_string_equal(H.out.msgs[0].u.enbloc.called_party, "5999");
	assert_true(H.out.msgs[0].u.enbloc.has_line_instance);
	assert_int_equal(H.out.next_deadline_ms, H.now + H.cfg.mwi_hangup_ms);
	H.now += H.cfg.mwi_hangup_ms;
	h_timer();
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, END_MSGS});
	assert_false(H.out.msgs[0].u.offhook.present); /* no callRef was ever learnt */
	h_expect_acts((int[]){PORT_ACT_MWI_DONE, END_ACTS});
	assert_int_equal(H.out.acts[0].u.mwi_done.result, SCCP_MWI_NO_ANSWER);
	assert_false(H.out.acts[0].u.mwi_done.request.on);
}

static void test_mwi_cleared_by_callmanager_and_refused(void **state)
{
	(void)state;
	h_mwi("1001", "5999", true);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	h_call_state(SCCP_CS_ONHOOK, MWI_REF); /* CallManager cleared it after the digits */
	h_expect_msgs((uint32_t[]){END_MSGS});
	assert_int_equal(h_find_act(PORT_ACT_MWI_DONE)->u.mwi_done.result, SCCP_MWI_DIALLED);

	h_mwi("1002", "5999", true);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF + 1);
	h_call_state(SCCP_CS_BUSY, MWI_REF + 1);
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, END_MSGS});
	assert_int_equal(h_find_act(PORT_ACT_MWI_DONE)->u.mwi_done.result, SCCP_MWI_REFUSED);
}

static void test_mwi_long_number_and_digit_gap(void **state)
{
	(void)state;
	const char *dial = "123456789012345678901234"; /* 24 digits: three outputs back to back */
	h_mwi("1001", dial, true);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	size_t sent = 0;
	char got[32] = {0};
	for (int round = 0; round < 10 && sent < 24; round++) {
		if (round)
			h_timer(); /* the rest is due at once */
		for (size_t i = 0; i < H.out.n_msgs; i++) {
			assert_int_equal(H.out.msgs[i].id, SCCP_KEYPAD_BUTTON);
			uint32_t b = H.out.msgs[i].u.keypad.button;
			got[sent++] = (char)('0' + b);
		}
	}
	assert_int_equal(sent, 24);
	assert_string_equal(got, dial);
	assert_int_equal(sccp_port_next_deadline(&H.port), H.now + H.cfg.mwi_hangup_ms);

	/* With a gap: one digit per timer event. */
	H.cfg.mwi_digit_gap_ms = 150;
	h_reinit();
	h_register(17);
	h_mwi("1001", "42", true);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	h_expect_msgs((uint32_t[]){SCCP_KEYPAD_BUTTON, END_MSGS});
	assert_int_equal(H.out.next_deadline_ms, H.now + 150);
	H.now += 150;
	h_timer();
	h_expect_msgs((uint32_t[]){SCCP_KEYPAD_BUTTON, END_MSGS});
	assert_int_equal(H.out.msgs[0].u.keypad.button, 2);
}

static void test_mwi_queued_during_call(void **state)
{
	(void)state;
	h_call_with_media();
	h_mwi("1001", "5999", true);
	h_mwi("1002", "5998", false);
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){END_ACTS});
	assert_int_equal(sccp_port_mwi_pending(&H.port), 2);
	h_call_state(SCCP_CS_ONHOOK, H_CALL_REF);
	assert_non_null(h_find_act(PORT_ACT_CALL_ENDED));
	assert_null(h_find_msg(SCCP_OFFHOOK_WITH_CGPN));
	assert_int_equal(H.out.next_deadline_ms, H.now); /* the queue starts at the next timer event */
	h_timer();
	expect_offhook_with_cgpn("1001");
	assert_int_equal(sccp_port_mwi_pending(&H.port), 1);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	h_call_state(SCCP_CS_RINGOUT, MWI_REF);
	assert_non_null(h_find_act(PORT_ACT_MWI_DONE));
	h_advance_to_deadline();
	expect_offhook_with_cgpn("1002");
	assert_int_equal(sccp_port_mwi_pending(&H.port), 0);
}

static void test_mwi_queued_before_registration(void **state)
{
	(void)state;
	h_mwi("1001", "5999", true);
	h_expect_msgs((uint32_t[]){END_MSGS});
	assert_int_equal(sccp_port_mwi_pending(&H.port), 1);
	h_register(17);
	assert_int_equal(H.out.n_msgs, 8); /* the registration burst, then the MWI */
	h_timer();
	expect_offhook_with_cgpn("1001");
}

static void test_mwi_survives_signalling_loss(void **state)
{
	(void)state;
	h_mwi("1001", "5999", true);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	h_down();
	h_expect_acts((int[]){END_ACTS}); /* not done: back in the queue */
	assert_int_equal(sccp_port_mwi_pending(&H.port), 1);
	h_register(17);
	h_timer();
	expect_offhook_with_cgpn("1001");
}

static void test_mwi_unregister_hangs_up_and_keeps_request(void **state)
{
	(void)state;
	h_mwi("1001", "5999", true);
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF);
	h_unregister();
	h_expect_msgs((uint32_t[]){SCCP_ONHOOK, SCCP_UNREGISTER, END_MSGS});
	assert_int_equal(sccp_port_mwi_pending(&H.port), 1);
}

static void test_mwi_invalid_full_and_superseded(void **state)
{
	(void)state;
	h_mwi("", "5999", true);
	h_expect_acts((int[]){PORT_ACT_MWI_DONE, END_ACTS});
	assert_int_equal(H.out.acts[0].u.mwi_done.result, SCCP_MWI_INVALID);
	h_mwi("1001", "59x9", true);
	assert_int_equal(h_find_act(PORT_ACT_MWI_DONE)->u.mwi_done.result, SCCP_MWI_INVALID);
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	strcpy(ev.u.mwi.extension, "1001");
	memset(ev.u.mwi.dial, '1', sizeof(ev.u.mwi.dial)); /* fills the array: no NUL */
	h_event(&ev);
	h_expect_acts((int[]){PORT_ACT_MWI_DONE, END_ACTS});
	assert_int_equal(H.out.acts[0].u.mwi_done.result, SCCP_MWI_INVALID);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);

	h_call_with_media(); /* busy: everything queues */
	h_mwi("1001", "5999", true);
	h_mwi("1001", "5998", false); /* the newer lamp state replaces the queued one */
	h_expect_acts((int[]){PORT_ACT_MWI_DONE, END_ACTS});
	assert_int_equal(H.out.acts[0].u.mwi_done.result, SCCP_MWI_DROPPED);
	assert_true(H.out.acts[0].u.mwi_done.request.on);
	assert_int_equal(sccp_port_mwi_pending(&H.port), 1);
	char ext[8];
	for (int i = 0; i < SCCP_PORT_MWI_QUEUE - 1; i++) {
		snprintf(ext, sizeof(ext), "2%03d", i);
		h_mwi(ext, "5999", true);
		h_expect_acts((int[]){END_ACTS});
	}
	assert_int_equal(sccp_port_mwi_pending(&H.port), SCCP_PORT_MWI_QUEUE);
	h_mwi("3000", "5999", true);
	h_expect_acts((int[]){PORT_ACT_MWI_DONE, END_ACTS});
	assert_int_equal(H.out.acts[0].u.mwi_done.result, SCCP_MWI_DROPPED);
	assert_string_equal(H.out.acts[0].u.mwi_done.request.extension, "3000");
	/* The first queued one runs first, with the replaced lamp state. */
	h_hangup(0);
	h_timer();
	expect_offhook_with_cgpn("1001");
}

static void test_mwi_ring_in_while_dialling(void **state)
{
	(void)state;
	h_mwi("1001", "5999", true);
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF); /* before CallManager named the MWI call */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
	h_call_state(SCCP_CS_OFFHOOK, MWI_REF); /* the MWI call proceeds as ours */
	assert_int_equal(h_count_msgs(SCCP_KEYPAD_BUTTON), 4);
	h_open_rx(H_PASS, 4, 1, MWI_REF); /* no media on an MWI call */
	h_expect_msgs((uint32_t[]){END_MSGS});
	h_expect_acts((int[]){PORT_ACT_NOTE, END_ACTS});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_mwi_keypad, setup_registered),
	    cmocka_unit_test_setup(test_mwi_enbloc_with_timers, h_setup),
	    cmocka_unit_test_setup(test_mwi_cleared_by_callmanager_and_refused, setup_registered),
	    cmocka_unit_test_setup(test_mwi_long_number_and_digit_gap, setup_registered),
	    cmocka_unit_test_setup(test_mwi_queued_during_call, setup_registered),
	    cmocka_unit_test_setup(test_mwi_queued_before_registration, h_setup),
	    cmocka_unit_test_setup(test_mwi_survives_signalling_loss, setup_registered),
	    cmocka_unit_test_setup(test_mwi_unregister_hangs_up_and_keeps_request, setup_registered),
	    cmocka_unit_test_setup(test_mwi_invalid_full_and_superseded, setup_registered),
	    cmocka_unit_test_setup(test_mwi_ring_in_while_dialling, setup_registered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
