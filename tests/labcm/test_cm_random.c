/* The lab CallManager's device state machine under long random event sequences (cm_ops.h checks
 * its contracts after every step). Seeded: a failure reproduces. The same interpreter is the
 * libFuzzer target tests/fuzz/fuzz_cm_device.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cm_ops.h"

static uint32_t rng = 0x1234567u;

static uint8_t next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (uint8_t)(rng >> 7);
}

/* Operations weighted towards what builds sessions up (cm_ops_run_from's numbering): transport
 * up 6 %, down 2 %, raw PDU 8 %, plausible message 48 %, offer 8 %, hang-up 6 %, lamp and reset
 * 4 %, short and long time steps 18 %. Arguments are uniform. */
static uint8_t forced[8];
static size_t n_forced, i_forced;

static uint8_t weighted(bool op)
{
	if (i_forced < n_forced)
		return forced[i_forced++];
	uint8_t b = next_byte();
	if (!op)
		return b;
	static const uint8_t table[50] = {0, 0, 0, 1, 2, 2, 2, 2,  3,  3,  3,  3,  3,  3,  3,  3, 4,
	                                  4, 4, 4, 4, 4, 4, 4, 5,  5,  5,  5,  5,  5,  5,  5,  6, 6,
	                                  6, 6, 7, 7, 7, 8, 9, 10, 10, 10, 10, 10, 11, 11, 11, 11};
	return table[b % 50];
}

static void test_random_sequences(void **state)
{
	(void)state;
	unsigned runs = 20000;
	for (unsigned r = 0; r < runs; r++) {
		/* Most runs start registered: transport up (plain TCP), Register CiscoUM1-VI1 at V17. */
		static const uint8_t prefix[] = {0, 0, 3, 0, 0, 0, 17};
		memcpy(forced, prefix, sizeof(prefix));
		n_forced = r % 8 ? sizeof(prefix) : 0;
		i_forced = 0;
		cm_ops_run_from((struct cm_ops_in){.gen = weighted, .left = 100 + next_byte() * 8u});
	}
	print_message(
	    "%u runs, %u steps: %u registrations, %u rejects, %u calls answered, %u ended, %u lamps\n",
	    cm_ops_totals.runs, cm_ops_totals.steps, cm_ops_totals.registrations, cm_ops_totals.rejects,
	    cm_ops_totals.calls_answered, cm_ops_totals.calls_ended, cm_ops_totals.lamps);
	assert_true(cm_ops_totals.registrations > runs / 2);
	assert_true(cm_ops_totals.rejects > 100);
	assert_true(cm_ops_totals.calls_answered > 100);
	assert_true(cm_ops_totals.lamps > 10);
}

/* Raw bytes, as the fuzzer gives them: no contract may break either. */
static void test_raw_bytes(void **state)
{
	(void)state;
	static uint8_t buf[4096];
	for (unsigned r = 0; r < 2000; r++) {
		size_t len = 64 + next_byte() * 15u;
		for (size_t i = 0; i < len; i++)
			buf[i] = next_byte();
		cm_ops_run(buf, len);
	}
}

/* A scripted sequence that goes through the important states, so the random test is known to
 * reach them: register, offer, answer, media, hang-up, MWI. */
static void test_scripted_through_the_states(void **state)
{
	(void)state;
	static struct cm_ops o;
	cm_ops_init(&o);
	struct cm_device_event up = {.type = CM_EV_TRANSPORT_UP};
	cm_ops_event(&o, &up);
	struct sccp_msg m;
	sccp_msg_init(&m, SCCP_REGISTER, 0);
	snprintf(m.u.reg.device_name, sizeof(m.u.reg.device_name), "CiscoUM1-VI1");
	m.u.reg.has_ext = true;
	m.u.reg.protocol_ver = 17;
	cm_ops_message(&o, &m);
	assert_true(cm_device_idle(&o.d));
	struct cm_call_offer offer = {.call_reference = 0x80000001u, .call_type = SCCP_CALL_FORWARD};
	o.outstanding[o.n_outstanding++] = offer.call_reference;
	cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_OFFER_CALL, .u.offer = &offer});
	sccp_msg_init(&m, SCCP_OFFHOOK, 0x11);
	cm_ops_message(&o, &m);
	assert_int_equal(cm_device_state(&o.d), CM_DEV_IN_CALL);
	cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_HANGUP, .u.call_reference = 0x80000001u});
	assert_int_equal(o.calls_ended, 1);
	sccp_msg_init(&m, SCCP_OFFHOOK_WITH_CGPN, 0x11);
	snprintf(m.u.offhook_cgpn.calling_party, sizeof(m.u.offhook_cgpn.calling_party), "1001");
	cm_ops_message(&o, &m);
	sccp_msg_init(&m, SCCP_ENBLOC_CALL, 0x11);
	snprintf(m.u.enbloc.called_party, sizeof(m.u.enbloc.called_party), "9999991");
	cm_ops_message(&o, &m);
	assert_int_equal(o.d.stats.lamps_on, 1);
	cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
	assert_false(o.registered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scripted_through_the_states),
	    cmocka_unit_test(test_random_sequences),
	    cmocka_unit_test(test_raw_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
