/* Lab CallManager, MWI (protocol.md §5.2, §9.3): the port dials the MWI On/Off number as the
 * subscriber (OffHookWithCgpn + KeypadButtons or EnblocCall); the CM sets that extension's lamp
 * and clears the call. Any other number gets InvalidNumber and reorder tone. */
#include "cm_bench.h"

#include <string.h>

static int setup_registered(void **state)
{
	b_setup(state);
	b_connect();
	return 0;
}

static void port_mwi(const char *ext, const char *dial, bool on)
{
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	strcpy(ev.u.mwi.extension, ext);
	strcpy(ev.u.mwi.dial, dial);
	ev.u.mwi.on = on;
	b_port_event(&ev);
	b_pump();
}

static void expect_lamp(const char *ext, bool on)
{
	assert_int_equal(b_count_cm_acts(CM_ACT_LAMP), 1);
	const struct cm_device_action *l = b_find_cm_act(CM_ACT_LAMP);
	assert_string_equal(l->u.lamp.extension, ext);
	assert_int_equal(l->u.lamp.on, on);
	const struct sccp_port_action *d = b_find_port_act(PORT_ACT_MWI_DONE);
	assert_non_null(d);
	assert_int_equal(d->u.mwi_done.result, SCCP_MWI_DIALLED);
	assert_string_equal(d->u.mwi_done.request.extension, ext);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
}

static void test_mwi_on_off_keypad(void **state)
{
	(void)state;
	b_mark();
	port_mwi("1001", B_MWI_ON, true);
	expect_lamp("1001", true);
	uint32_t port_ids[16] = {SCCP_OFFHOOK_WITH_CGPN};
	for (int i = 0; i < 7; i++)
		port_ids[1 + i] = SCCP_KEYPAD_BUTTON;
	port_ids[8] = SCCP_ONHOOK;
	port_ids[9] = END_IDS;
	b_expect_trace(true, port_ids);
	b_expect_trace(false, (uint32_t[]){SCCP_CALL_STATE, SCCP_START_TONE, SCCP_STOP_TONE,
	                                   SCCP_DIALED_NUMBER, SCCP_CALL_STATE, SCCP_CALL_STATE, END_IDS});
	assert_int_equal(B.cm.stats.lamps_on, 1);
	assert_int_equal(B.cm.stats.calls_dialled, 1);
	b_expect_clean();

	b_mark();
	port_mwi("1001", B_MWI_OFF, false);
	expect_lamp("1001", false);
	assert_int_equal(B.cm.stats.lamps_off, 1);
	/* Device-originated calls get their own references. */
	assert_int_equal(B.last_call_state.u.call_state.call_reference, 0x02000002u);
	b_expect_clean();
}

static void test_mwi_enbloc(void **state)
{
	(void)state;
	b_setup(state);
	B.pcfg.mwi_dial = SCCP_MWI_ENBLOC;
	b_reinit();
	b_connect();
	b_mark();
	port_mwi("1002", B_MWI_OFF, false);
	expect_lamp("1002", false);
	b_expect_trace(true, (uint32_t[]){SCCP_OFFHOOK_WITH_CGPN, SCCP_ENBLOC_CALL, SCCP_ONHOOK, END_IDS});
	b_expect_clean();
}

/* Several extensions in a row, queued at the port: one lamp each, in order. */
static void test_mwi_queue(void **state)
{
	(void)state;
	b_mark();
	static const char *exts[] = {"1001", "1002", "1003", "1004"};
	for (int i = 0; i < 4; i++) {
		struct sccp_port_event ev = {.type = PORT_EV_MWI};
		strcpy(ev.u.mwi.extension, exts[i]);
		strcpy(ev.u.mwi.dial, i % 2 ? B_MWI_OFF : B_MWI_ON);
		ev.u.mwi.on = i % 2 == 0;
		b_port_event(&ev);
	}
	b_pump();
	b_run_for(5000);
	assert_int_equal(b_count_cm_acts(CM_ACT_LAMP), 4);
	size_t k = 0;
	for (size_t i = 0; i < B.n_cm_acts; i++) {
		if (B.cm_acts[i].type != CM_ACT_LAMP)
			continue;
		assert_string_equal(B.cm_acts[i].u.lamp.extension, exts[k]);
		assert_int_equal(B.cm_acts[i].u.lamp.on, k % 2 == 0);
		k++;
	}
	assert_int_equal(b_count_port_acts(PORT_ACT_MWI_DONE), 4);
	b_expect_clean();
}

/* A number that is not an MWI number: InvalidNumber + reorder; the port hangs up, the CM clears. */
static void test_mwi_wrong_number(void **state)
{
	(void)state;
	b_mark();
	port_mwi("1001", "5555", true);
	assert_int_equal(b_count_cm_acts(CM_ACT_LAMP), 0);
	const struct sccp_port_action *d = b_find_port_act(PORT_ACT_MWI_DONE);
	assert_non_null(d);
	assert_int_equal(d->u.mwi_done.result, SCCP_MWI_REFUSED);
	assert_int_equal(d->u.mwi_done.last_call_state, SCCP_CS_INVALID_NUMBER);
	/* Refused at the first digit that matches nothing. */
	b_expect_trace(false, (uint32_t[]){SCCP_CALL_STATE, SCCP_START_TONE, SCCP_STOP_TONE, SCCP_CALL_STATE,
	                                   SCCP_START_TONE, SCCP_STOP_TONE, SCCP_CALL_STATE, END_IDS});
	assert_int_equal(B.cm.stats.invalid_numbers, 1);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	b_expect_clean();
}

/* MWI numbers where one is the start of the other: "123" waits for the inter-digit timer. */
static void test_mwi_prefix_waits_for_timer(void **state)
{
	(void)state;
	b_setup(state);
	strcpy(B.ccfg.mwi_on, "123");
	strcpy(B.ccfg.mwi_off, "1234");
	B.ccfg.digit_timeout_ms = 1000; /* shorter than the port's 3 s wait for progress */
	b_reinit();
	b_connect();
	b_mark();
	port_mwi("1001", "123", true);
	assert_int_equal(b_count_cm_acts(CM_ACT_LAMP), 0);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DIALLING);
	b_run_for(999);
	assert_int_equal(b_count_cm_acts(CM_ACT_LAMP), 0);
	b_run_for(1);
	expect_lamp("1001", true);
	b_mark();
	port_mwi("1001", "1234", false); /* the longer one matches at once */
	expect_lamp("1001", false);
	b_expect_clean();
}

/* Off hook and silence: reorder after the first-digit timeout, cleared after the reorder timeout. */
static void test_offhook_no_digits(void **state)
{
	(void)state;
	b_mark();
	struct sccp_msg m;
	sccp_msg_init(&m, SCCP_OFFHOOK, 0x11);
	b_cm_message(&m);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DIALLING);
	assert_int_equal(B.cout.n_msgs, 2); /* CallState OffHook, StartTone dial */
	assert_int_equal(B.cout.msgs[1].u.start_tone.tone, 0x21);
	uint32_t ref = B.cout.msgs[0].u.call_state.call_reference;
	B.now += 15000;
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TIMER});
	assert_int_equal(B.cout.msgs[1].u.call_state.call_state, SCCP_CS_INVALID_NUMBER);
	assert_int_equal(B.cout.msgs[2].u.start_tone.tone, 0x25);
	B.now += 10000;
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TIMER});
	assert_int_equal(B.cout.n_msgs, 2); /* StopTone, CallState OnHook */
	assert_int_equal(B.cout.msgs[0].id, SCCP_STOP_TONE);
	assert_int_equal(B.cout.msgs[0].u.stop_tone.tone, 0x25);
	assert_int_equal(B.cout.msgs[1].u.call_state.call_state, SCCP_CS_ONHOOK);
	assert_int_equal(B.cout.msgs[1].u.call_state.call_reference, ref);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	/* The device's OnHook for it afterwards is not news. */
	sccp_msg_init(&m, SCCP_ONHOOK, 0x11);
	m.u.offhook.present = true;
	m.u.offhook.line_instance = 1;
	m.u.offhook.call_reference = ref;
	b_cm_message(&m);
	assert_int_equal(B.cout.n_msgs, 0);
	assert_int_equal(b_count_cm_acts(CM_ACT_NOTE), 0);
}

/* SetLamp towards the device: a voicemail port ignores it quietly. */
static void test_set_lamp_event(void **state)
{
	(void)state;
	b_mark();
	b_cm_event(&(struct cm_device_event){.type = CM_EV_SET_LAMP, .u.lamp_on = true});
	b_pump();
	b_expect_trace(false, (uint32_t[]){SCCP_SET_LAMP, END_IDS});
	assert_true(B.cm.lamp_on);
	b_expect_clean();
}

/* A call offered while the port dials MWI is refused as busy; the MWI completes. */
static void test_offer_while_dialling(void **state)
{
	(void)state;
	B.pcfg.mwi_digit_gap_ms = 100;
	b_reinit();
	b_connect();
	b_mark();
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	strcpy(ev.u.mwi.extension, "1001");
	strcpy(ev.u.mwi.dial, B_MWI_ON);
	ev.u.mwi.on = true;
	b_port_event(&ev);
	b_pump();
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DIALLING);
	b_offer_call(0x80000009u, true, false);
	assert_int_equal(b_find_cm_act(CM_ACT_CALL_ENDED)->u.call_ended.reason, CM_CALL_END_BUSY);
	b_run_for(2000);
	expect_lamp("1001", true);
	b_expect_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mwi_on_off_keypad, setup_registered, b_teardown),
	    cmocka_unit_test_teardown(test_mwi_enbloc, b_teardown),
	    cmocka_unit_test_setup_teardown(test_mwi_queue, setup_registered, b_teardown),
	    cmocka_unit_test_setup_teardown(test_mwi_wrong_number, setup_registered, b_teardown),
	    cmocka_unit_test_teardown(test_mwi_prefix_waits_for_timer, b_teardown),
	    cmocka_unit_test_setup_teardown(test_offhook_no_digits, setup_registered, b_teardown),
	    cmocka_unit_test_setup_teardown(test_set_lamp_event, setup_registered, b_teardown),
	    cmocka_unit_test_setup_teardown(test_offer_while_dialling, b_setup, b_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
