/* labcm's configuration: defaults, device groups and explicit devices, and errors naming the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "labcm/labcm_config.h"

static struct labcm_config cfg;
static char err[512];

static int parse(const char *text)
{
	err[0] = '\0';
	return labcm_config_parse_string(&cfg, text, "lab.ini", err, sizeof(err));
}

static void expect_error(const char *text, const char *needle)
{
	assert_int_equal(parse(text), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
	assert_null(cfg.devices);
}

static void test_defaults_and_group(void **state)
{
	(void)state;
	assert_int_equal(parse("[devices]\nprefix = CiscoUM1-VI\ncount = 1000\nfirst_dn = 8001\n"), 0);
	assert_string_equal(cfg.listen, "127.0.0.1");
	assert_int_equal(cfg.sccp_port, 2000);
	assert_int_equal(cfg.tls_port, 2443);
	assert_int_equal(cfg.tftp_port, 69);
	assert_int_equal(cfg.keepalive_s, 30);
	assert_int_equal(cfg.max_protocol_version, 17);
	assert_int_equal(cfg.tls_mode, CM_SECURITY_ENCRYPTED);
	assert_string_equal(cfg.trust_dir, "/var/lib/vmport-labcm/CallManager-trust");
	assert_string_equal(cfg.caller_rtp_ip, "127.0.0.1");
	assert_int_equal(cfg.n_devices, 1000);
	assert_int_equal(cfg.max_connections, 1064);
	assert_string_equal(cfg.devices[0].name, "CiscoUM1-VI1");
	assert_string_equal(cfg.devices[0].dn, "8001");
	assert_int_equal(cfg.devices[0].security, CM_SECURITY_ENCRYPTED);
	assert_string_equal(cfg.devices[999].name, "CiscoUM1-VI1000");
	assert_string_equal(cfg.devices[999].dn, "9000");
	labcm_config_free(&cfg);
}

static void test_everything(void **state)
{
	(void)state;
	const char *text = "[labcm]\n"
	                   "name = benchcm\n"
	                   "listen = 10.1.2.3\n"
	                   "sccp_port = 0\n"
	                   "tls_port = 12443\n"
	                   "tftp_port = 1069\n"
	                   "tls_mode = authenticated\n"
	                   "state_dir = /tmp/x\n"
	                   "trust_dir = /tmp/trust\n"
	                   "mwi_on_number = *991\n"
	                   "mwi_off_number = *990\n"
	                   "keepalive = 5\n"
	                   "keepalive_grace_ms = 250\n"
	                   "max_protocol_version = 5\n"
	                   "register_timeout = 3\n"
	                   "ring_timeout = 7\n"
	                   "max_connections = 10\n"
	                   "caller_rtp_ip = 10.1.2.4\n"
	                   "caller_rtp_min = 5000\n"
	                   "caller_rtp_max = 5100\n"
	                   "[devices secure]\n"
	                   "prefix = CiscoUM2-VI\n"
	                   "first = 0\n"
	                   "count = 2\n"
	                   "first_dn = 0700\n"
	                   "security_mode = authenticated\n"
	                   "[devices]\n"
	                   "device = Plain1 5001 nonsecure\n"
	                   "device = Crypt1 5002 Encrypted\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.server_name, "benchcm");
	assert_string_equal(cfg.listen, "10.1.2.3");
	assert_int_equal(cfg.sccp_port, 0);
	assert_int_equal(cfg.tls_port, 12443);
	assert_int_equal(cfg.tftp_port, 1069);
	assert_int_equal(cfg.tls_mode, CM_SECURITY_AUTHENTICATED);
	assert_string_equal(cfg.trust_dir, "/tmp/trust");
	assert_string_equal(cfg.mwi_on, "*991");
	assert_int_equal(cfg.keepalive_s, 5);
	assert_int_equal(cfg.keepalive_grace_ms, 250);
	assert_int_equal(cfg.max_protocol_version, 5);
	assert_int_equal(cfg.register_timeout_s, 3);
	assert_int_equal(cfg.ring_timeout_s, 7);
	assert_int_equal(cfg.max_connections, 10);
	assert_string_equal(cfg.caller_rtp_ip, "10.1.2.4");
	assert_int_equal(cfg.n_devices, 4);
	/* Explicit devices come as they are read, groups after the file is read. */
	assert_string_equal(cfg.devices[0].name, "Plain1");
	assert_int_equal(cfg.devices[0].security, CM_SECURITY_NONSECURE);
	assert_int_equal(cfg.devices[1].security, CM_SECURITY_ENCRYPTED);
	assert_string_equal(cfg.devices[2].name, "CiscoUM2-VI0");
	assert_string_equal(cfg.devices[2].dn, "0700"); /* the width of first_dn is kept */
	assert_string_equal(cfg.devices[3].dn, "0701");
	assert_int_equal(cfg.devices[3].security, CM_SECURITY_AUTHENTICATED);
	char path[LABCM_PATH_MAX];
	labcm_control_path(&cfg, path, sizeof(path));
	assert_string_equal(path, "/tmp/x/labcm.sock");
	labcm_config_free(&cfg);
}

static void test_errors(void **state)
{
	(void)state;
	const char *group = "[devices]\nprefix = P\ncount = 2\nfirst_dn = 100\n";
	char text[512];
	expect_error("[labcm]\n", "no devices");
	expect_error("[nope]\nx = 1\n", "lab.ini:2: unknown section [nope]");
	snprintf(text, sizeof text, "[labcm]\nlisten = example.com\n%s", group);
	expect_error(text, "lab.ini:2: listen = 'example.com': must be an IPv4 address");
	snprintf(text, sizeof text, "[labcm]\nkeepalive = 0\n%s", group);
	expect_error(text, "keepalive = '0'");
	snprintf(text, sizeof text, "[labcm]\nmwi_on_number = 99a\n%s", group);
	expect_error(text, "mwi_on_number");
	snprintf(text, sizeof text, "[labcm]\nmwi_on_number = 1\nmwi_off_number = 1\n%s", group);
	expect_error(text, "the same");
	snprintf(text, sizeof text, "[labcm]\nsccp_port = 0\ntls_port = 0\n%s", group);
	expect_error(text, "nothing to listen on");
	snprintf(text, sizeof text, "[labcm]\ntls_mode = nonsecure\n%s", group);
	expect_error(text, "tls_mode");
	snprintf(text, sizeof text, "[labcm]\nbogus = 1\n%s", group);
	expect_error(text, "unknown key 'bogus' in [labcm]");
	snprintf(text, sizeof text, "[labcm]\nkeepalive = 5\nkeepalive = 6\n%s", group);
	expect_error(text, "given twice");
	expect_error("[devices]\nprefix = P\ncount = 2\n", "needs prefix, count and first_dn");
	expect_error("[devices]\nprefix = CiscoUM1-VI\ncount = 10000\nfirst_dn = 1\n", "count = '10000'");
	expect_error("[devices]\nprefix = CiscoUM1-VIXX\ncount = 200\nfirst_dn = 1\n", "longer than 15");
	expect_error("[devices]\ndevice = A 100 nonsecure\ndevice = A 101 nonsecure\n", "defined twice");
	expect_error("[devices]\ndevice = A 100 nonsecure\ndevice = B 100 nonsecure\n",
	             "DN 100 is given to both");
	expect_error("[devices]\ndevice = A 100\n", "NAME DN MODE");
	expect_error("[devices]\ndevice = A 100 weird\n", "mode 'weird'");
	expect_error("[devices]\nprefix = P\ncolour = red\n", "unknown key 'colour' in [devices]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_group),
	    cmocka_unit_test(test_everything),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
