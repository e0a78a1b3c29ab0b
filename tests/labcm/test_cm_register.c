/* Lab CallManager, registration side: the port registers against it (protocol.md §2.7), the
 * provisioning check rejects what CUCM would (§7.2, §7.3), keepalives are supervised (§8),
 * Unregister and Reset work, and DefineTimeDate tells the time. */
#include "cm_bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void expect_registered(uint8_t version, uint32_t hv)
{
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_IDLE);
	assert_true(cm_device_registered(&B.cm));
	assert_true(cm_device_idle(&B.cm));
	assert_string_equal(cm_device_name(&B.cm), B_DEVICE);
	assert_int_equal(cm_device_header_version(&B.cm), hv);
	assert_int_equal(sccp_port_header_version(&B.port), hv);
	const struct cm_device_action *a = b_find_cm_act(CM_ACT_REGISTERED);
	assert_non_null(a);
	assert_int_equal(a->u.registered.protocol_version, version);
	assert_int_equal(a->u.registered.hv, hv);
	const struct sccp_port_action *p = b_find_port_act(PORT_ACT_REGISTERED);
	assert_non_null(p);
	assert_int_equal(p->u.registered.protocol_version, version);
	assert_int_equal(p->u.registered.keepalive_s, 30);
	/* The port learnt its DN from LineStatRes. */
	assert_string_equal(sccp_port_directory_number(&B.port), B_DN);
}

static void test_register_v17(void **state)
{
	(void)state;
	b_mark();
	b_connect();
	expect_registered(17, 0x11);
	b_expect_trace(true, (uint32_t[]){SCCP_REGISTER, SCCP_CAPABILITIES_RES, SCCP_BUTTON_TEMPLATE_REQ,
	                                  SCCP_SOFTKEY_TEMPLATE_REQ, SCCP_SOFTKEY_SET_REQ,
	                                  SCCP_CONFIG_STAT_REQ, SCCP_LINE_STAT_REQ,
	                                  SCCP_REGISTER_AVAILABLE_LINES, SCCP_TIME_DATE_REQ, END_IDS});
	b_expect_trace(false,
	               (uint32_t[]){SCCP_REGISTER_ACK, SCCP_CAPABILITIES_REQ, SCCP_BUTTON_TEMPLATE_RES,
	                            SCCP_SOFTKEY_TEMPLATE_RES, SCCP_SOFTKEY_SET_RES, SCCP_CONFIG_STAT_RES,
	                            SCCP_LINE_STAT_RES, SCCP_DEFINE_TIME_DATE, END_IDS});
	const struct sccp_register_ack *ack = &B.last_register_ack.u.register_ack;
	assert_int_equal(B.last_register_ack.hv, 0);
	assert_int_equal(ack->keepalive, 30);
	assert_int_equal(ack->secondary_keepalive, 60);
	assert_int_equal(ack->max_protocol_ver, 17);
	assert_string_equal(ack->date_template, "M/D/Y");
	const struct sccp_line_stat_res *ls = &B.last_line_stat.u.line_stat;
	assert_int_equal(ls->line_number, 1);
	assert_string_equal(ls->dir_number, B_DN);
	assert_string_equal(ls->fq_display_name, "Voicemail " B_DEVICE);
	assert_true(ls->has_display_options);
	/* The CM learnt the port's codecs. */
	assert_int_equal(B.cm.n_codecs, 2);
	assert_int_equal(B.cm.codecs[0], 4);
	assert_int_equal(B.lookups, 1);
	b_expect_clean();
}

/* An old CallManager (maxProtocolVer 5): everything runs on the basic layouts, hv 0. */
static void test_register_old_server(void **state)
{
	(void)state;
	B.ccfg.max_protocol_version = 5;
	b_reinit();
	b_mark();
	b_connect();
	expect_registered(5, 0);
	assert_int_equal(B.last_register_ack.u.register_ack.max_protocol_ver, 5);
	b_expect_clean();
}

/* A device that says V11: the CM follows it down. */
static void test_register_device_v11(void **state)
{
	(void)state;
	B.pcfg.protocol_version = 11;
	b_reinit();
	b_mark();
	b_connect();
	expect_registered(11, 0x0B);
	b_expect_clean();
}

static void expect_rejected(const char *text)
{
	const struct cm_device_action *r = b_find_cm_act(CM_ACT_REJECTED);
	assert_non_null(r);
	assert_string_equal(r->u.rejected.text, text);
	const struct cm_device_action *c = b_find_cm_act(CM_ACT_CLOSE);
	assert_non_null(c);
	assert_int_equal(c->u.close.reason, CM_CLOSE_REJECTED);
	assert_int_equal(b_count_cm_acts(CM_ACT_REGISTERED), 0);
	assert_int_equal(b_count_cm_acts(CM_ACT_UNREGISTERED), 0);
	const struct sccp_port_action *p = b_find_port_act(PORT_ACT_REJECTED);
	assert_non_null(p);
	assert_string_equal(p->u.rejected.text, text);
	assert_string_equal(B.last_reject.u.register_reject.text, text);
	assert_int_equal(B.last_reject.hv, 0);
	/* Both ends closed the connection and are down again. */
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_DOWN);
	assert_false(cm_device_registered(&B.cm));
	b_expect_trace(false, (uint32_t[]){SCCP_REGISTER_REJECT, END_IDS});
}

static void test_reject_unknown_device(void **state)
{
	(void)state;
	B.n_provs = 0;
	b_provision("CiscoUM1-VI2", "8002", CM_SECURITY_NONSECURE);
	b_mark();
	b_connect();
	expect_rejected(CM_REJECT_UNKNOWN);
	assert_string_equal(CM_REJECT_UNKNOWN, "Unknown Device");
}

static void test_reject_duplicate(void **state)
{
	(void)state;
	B.provs[0].registered_elsewhere = true;
	b_mark();
	b_connect();
	expect_rejected(CM_REJECT_DUPLICATE);
}

/* Provisioned Encrypted, connecting on plain TCP 2000 (§7.2). */
static void test_reject_secure_device_on_tcp(void **state)
{
	(void)state;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_ENCRYPTED);
	b_mark();
	b_connect();
	expect_rejected(CM_REJECT_SECURITY);
}

/* Provisioned Non-secure, arriving over TLS. */
static void test_reject_nonsecure_device_on_tls(void **state)
{
	(void)state;
	b_use_tls(B_DEVICE, true);
	b_mark();
	b_connect();
	expect_rejected(CM_REJECT_SECURITY);
}

/* Encrypted needs a cipher that encrypts: a NULL suite (Authenticated) is not enough. */
static void test_reject_encrypted_on_null_cipher(void **state)
{
	(void)state;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_ENCRYPTED);
	b_use_tls(B_DEVICE, false);
	b_mark();
	b_connect();
	expect_rejected(CM_REJECT_SECURITY);
}

/* The TLS client certificate must name the device (§7.3). */
static void test_reject_certificate_name(void **state)
{
	(void)state;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_AUTHENTICATED);
	b_use_tls("CiscoUM1-VI9", true);
	b_mark();
	b_connect();
	expect_rejected(CM_REJECT_CERTIFICATE);
}

static void test_register_tls_modes(void **state)
{
	(void)state;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_AUTHENTICATED);
	b_use_tls(B_DEVICE, false); /* a NULL cipher is fine for Authenticated */
	b_mark();
	b_connect();
	expect_registered(17, 0x11);
	assert_int_equal(b_find_cm_act(CM_ACT_REGISTERED)->u.registered.security, CM_SECURITY_AUTHENTICATED);
	assert_true(b_find_cm_act(CM_ACT_REGISTERED)->u.registered.tls);
	b_expect_clean();
}

/* The port keeps its keepalives within the interval: hours pass, the registration holds. */
static void test_keepalive_supervision_holds(void **state)
{
	(void)state;
	b_connect();
	b_mark();
	b_run_for(3600u * 1000u);
	assert_true(cm_device_registered(&B.cm));
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_IDLE);
	size_t n = b_count_msgs(true, SCCP_KEEPALIVE);
	assert_true(n >= 120 && n <= 160); /* every ¾..1 × 30 s */
	assert_int_equal(b_count_msgs(false, SCCP_KEEPALIVE_ACK), n);
	assert_int_equal(B.cm.stats.keepalives, n);
	assert_int_equal(b_count_cm_acts(CM_ACT_CLOSE), 0);
	b_expect_clean();
}

/* KeepAlives stop reaching the CM: after 2 × 30 s + 5 s it drops the device, reason 13. */
static void test_keepalive_loss(void **state)
{
	(void)state;
	b_connect();
	uint64_t registered_at = B.now;
	B.drop_to_cm_id = SCCP_KEEPALIVE;
	b_mark();
	b_run_for(120u * 1000u);
	const struct cm_device_action *c = b_find_cm_act(CM_ACT_CLOSE);
	assert_non_null(c);
	assert_int_equal(c->u.close.reason, CM_CLOSE_KEEPALIVE_TIMEOUT);
	assert_int_equal(cm_close_reason_code(c->u.close.reason), 13);
	assert_string_equal(cm_close_reason_text(c->u.close.reason), "KeepAliveTimeout");
	const struct cm_device_action *u = b_find_cm_act(CM_ACT_UNREGISTERED);
	assert_non_null(u);
	assert_int_equal(u->u.close.reason, CM_CLOSE_KEEPALIVE_TIMEOUT);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
	/* The port lost its connection with it. */
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_DOWN);
	assert_int_equal(b_count_port_acts(PORT_ACT_CLOSE_TRANSPORT), 0);
	(void)registered_at;
}

/* The drop happens at 2 × interval + grace after the last KeepAlive, not earlier. */
static void test_keepalive_deadline_exact(void **state)
{
	(void)state;
	B.pcfg.keepalive_max_missed = 100; /* the port never gives up on its own */
	b_reinit();
	b_connect();
	b_run_for(10000);
	B.drop_to_cm_id = SCCP_KEEPALIVE;
	/* Feed one KeepAlive by hand so the last one is known exactly. */
	struct sccp_msg ka;
	sccp_msg_init(&ka, SCCP_KEEPALIVE, 0x11);
	b_cm_message(&ka);
	uint64_t last = B.now;
	b_pump();
	b_mark();
	b_run_until(last + 65000 - 1);
	assert_int_equal(b_count_cm_acts(CM_ACT_CLOSE), 0);
	b_run_until(last + 65000);
	assert_int_equal(b_count_cm_acts(CM_ACT_CLOSE), 1);
}

static void test_unregister(void **state)
{
	(void)state;
	b_connect();
	b_mark();
	b_port_event(&(struct sccp_port_event){.type = PORT_EV_UNREGISTER});
	b_pump();
	b_expect_trace(true, (uint32_t[]){SCCP_UNREGISTER, END_IDS});
	b_expect_trace(false, (uint32_t[]){SCCP_UNREGISTER_ACK, END_IDS});
	assert_int_equal(B.last_unregister_ack.u.unregister_ack.value, 0);
	const struct cm_device_action *u = b_find_cm_act(CM_ACT_UNREGISTERED);
	assert_non_null(u);
	assert_int_equal(u->u.close.reason, CM_CLOSE_UNREGISTERED);
	assert_int_equal(cm_close_reason_code(u->u.close.reason), 10);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_DOWN);
	b_expect_clean();
	/* And registers again on a new connection. */
	b_mark();
	b_connect();
	expect_registered(17, 0x11);
	assert_int_equal(B.lookups, 2);
}

/* Reset from the CM: the port unregisters and comes back on a new connection. */
static void test_reset(void **state)
{
	(void)state;
	b_connect();
	b_mark();
	b_cm_event(&(struct cm_device_event){.type = CM_EV_RESET, .u.reset_type = 2});
	b_pump();
	b_expect_trace(false, (uint32_t[]){SCCP_RESET, SCCP_UNREGISTER_ACK, END_IDS});
	b_expect_trace(true, (uint32_t[]){SCCP_UNREGISTER, END_IDS});
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
	assert_int_equal(sccp_port_state(&B.port), SCCP_PORT_DOWN);
	b_expect_clean();
}

static void test_register_timeout(void **state)
{
	(void)state;
	B.up = true;
	struct cm_device_event ev = {.type = CM_EV_TRANSPORT_UP};
	ev.u.transport = B.transport;
	b_mark();
	b_cm_event(&ev); /* the device connects and says nothing */
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_AWAIT_REGISTER);
	assert_int_equal(cm_device_next_deadline(&B.cm), B.now + 10000);
	/* Messages before Register are noted, not answered. */
	struct sccp_msg ka;
	sccp_msg_init(&ka, SCCP_KEEPALIVE, 0);
	b_cm_message(&ka);
	assert_int_equal(B.cout.n_msgs, 0);
	assert_int_equal(b_count_cm_acts(CM_ACT_NOTE), 1);
	B.now += 10000;
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TIMER});
	const struct cm_device_action *c = b_find_cm_act(CM_ACT_CLOSE);
	assert_non_null(c);
	assert_int_equal(c->u.close.reason, CM_CLOSE_REGISTER_TIMEOUT);
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_CLOSING);
	assert_int_equal(b_count_cm_acts(CM_ACT_UNREGISTERED), 0);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);
}

/* A connection that drops: registered once, unregistered once. */
static void test_transport_down(void **state)
{
	(void)state;
	b_connect();
	b_mark();
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
	assert_int_equal(b_count_cm_acts(CM_ACT_UNREGISTERED), 1);
	assert_int_equal(b_find_cm_act(CM_ACT_UNREGISTERED)->u.close.reason, CM_CLOSE_TRANSPORT);
	assert_int_equal(cm_device_next_deadline(&B.cm), CM_DEVICE_NO_DEADLINE);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
	assert_int_equal(b_count_cm_acts(CM_ACT_UNREGISTERED), 1);
}

static void test_time_date(void **state)
{
	(void)state;
	b_connect();
	const struct sccp_define_time_date *td = &B.last_time_date.u.time_date;
	uint64_t unix_ms = B.unix_ms + 1000; /* B.now was 1000 when it was asked */
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	assert_int_equal(td->year, tm.tm_year + 1900);
	assert_int_equal(td->month, tm.tm_mon + 1);
	assert_int_equal(td->day, tm.tm_mday);
	assert_int_equal(td->day_of_week, tm.tm_wday);
	assert_int_equal(td->hour, tm.tm_hour);
	assert_int_equal(td->minute, tm.tm_min);
	assert_int_equal(td->second, tm.tm_sec);
	assert_int_equal(td->milliseconds, 789);
	assert_int_equal(td->system_time, (uint32_t)secs);
	assert_int_equal(td->year, 2026);
	assert_int_equal(td->month, 3);
	assert_int_equal(td->day, 1);

	/* Across many dates, leap years included. */
	for (uint64_t s = 0; s < 4102444800ull; s += 86400ull * 37 + 3671) {
		struct sccp_define_time_date t;
		cm_time_date_from_unix_ms(s * 1000 + 5, &t);
		time_t ts = (time_t)s;
		gmtime_r(&ts, &tm);
		if (t.year != (uint32_t)tm.tm_year + 1900 || t.month != (uint32_t)tm.tm_mon + 1 ||
		    t.day != (uint32_t)tm.tm_mday || t.day_of_week != (uint32_t)tm.tm_wday ||
		    t.hour != (uint32_t)tm.tm_hour || t.minute != (uint32_t)tm.tm_min ||
		    t.second != (uint32_t)tm.tm_sec)
			fail_msg("unix %llu: %u-%u-%u", (unsigned long long)s, t.year, t.month, t.day);
	}
}

static void test_config_checks(void **state)
{
	(void)state;
	struct cm_device d;
	struct cm_device_config c = B.ccfg;
	c.lookup = NULL;
	assert_int_equal(cm_device_init(&d, &c), -22);
	c = B.ccfg;
	strcpy(c.mwi_off, c.mwi_on);
	assert_int_equal(cm_device_init(&d, &c), -22);
	c = B.ccfg;
	strcpy(c.mwi_on, "12x");
	assert_int_equal(cm_device_init(&d, &c), -22);
	c = B.ccfg;
	c.keepalive_s = 0;
	assert_int_equal(cm_device_init(&d, &c), -22);
	c = B.ccfg;
	c.mwi_on[0] = c.mwi_off[0] = '\0'; /* no MWI numbers is allowed */
	assert_int_equal(cm_device_init(&d, &c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_v17, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_register_old_server, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_register_device_v11, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reject_unknown_device, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reject_duplicate, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reject_secure_device_on_tcp, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reject_nonsecure_device_on_tls, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reject_encrypted_on_null_cipher, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reject_certificate_name, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_register_tls_modes, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_supervision_holds, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_loss, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_deadline_exact, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_unregister, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_reset, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_register_timeout, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_transport_down, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_time_date, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_config_checks, b_setup, b_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
