/* The configuration file: the sample, defaults, and every kind of bad line named by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static const char sample[] = "[port_group]\n"
                             "name = PhoneSystem-1\n"
                             "device_name_prefix = CiscoUM1-VI\n"
                             "ports = 2\n"
                             "security_mode = encrypted        ; nonsecure | authenticated | encrypted\n"
                             "mwi_on_extension = 9999991\n"
                             "mwi_off_extension = 9999990\n"
                             "[servers]\n"
                             "cucm = 127.0.0.1:2443            ; host:port list in failover order\n"
                             "tftp = 127.0.0.1:69\n"
                             "[security]\n"
                             "state_dir = /var/lib/vmport\n"
                             "[media]\n"
                             "messages_dir = /var/lib/vmport/messages\n"
                             "greeting = /usr/share/vmport/greeting.wav   ; optional\n";

static void test_sample_parses(void **state)
{
	(void)state;
	struct vmport_config c;
	char err[256] = "";
	assert_int_equal(vmport_config_parse_string(&c, sample, "sample.ini", err, sizeof(err)), 0);
	assert_string_equal(c.group_name, "PhoneSystem-1");
	assert_string_equal(c.device_name_prefix, "CiscoUM1-VI");
	assert_int_equal(c.ports, 2);
	assert_int_equal(c.security_mode, VMPORT_ENCRYPTED);
	assert_string_equal(c.mwi_on_extension, "9999991");
	assert_string_equal(c.mwi_off_extension, "9999990");
	assert_int_equal(c.n_cucm, 1);
	assert_string_equal(c.cucm[0].host, "127.0.0.1");
	assert_int_equal(c.cucm[0].port, 2443);
	assert_int_equal(c.n_tftp, 1);
	assert_int_equal(c.tftp[0].port, 69);
	assert_string_equal(c.state_dir, "/var/lib/vmport");
	assert_string_equal(c.messages_dir, "/var/lib/vmport/messages");
	assert_string_equal(c.greeting, "/usr/share/vmport/greeting.wav");
	assert_int_equal(c.device_type, 80);
	assert_int_equal(c.protocol_version, 17);
	assert_int_equal(c.register_rate, 10);
	assert_true(c.ctl_verify);
	char name[16];
	vmport_config_device_name(&c, 2, name);
	assert_string_equal(name, "CiscoUM1-VI2");
}

static void test_server_lists_and_default_ports(void **state)
{
	(void)state;
	struct vmport_config c;
	char err[256] = "";
	const char *text = "[port_group]\nsecurity_mode = nonsecure\n[servers]\n"
	                   "cucm = 10.0.0.1, cm2.lab:2001 [::1]:2002 [fe80::1]\n";
	assert_int_equal(vmport_config_parse_string(&c, text, "t", err, sizeof(err)), 0);
	assert_int_equal(c.n_cucm, 4);
	assert_string_equal(c.cucm[0].host, "10.0.0.1");
	assert_int_equal(c.cucm[0].port, 2000); /* nonsecure default */
	assert_string_equal(c.cucm[1].host, "cm2.lab");
	assert_int_equal(c.cucm[1].port, 2001);
	assert_string_equal(c.cucm[2].host, "::1");
	assert_int_equal(c.cucm[2].port, 2002);
	assert_string_equal(c.cucm[3].host, "fe80::1");
	assert_string_equal(c.messages_dir, "/var/lib/vmport/messages"); /* from state_dir */
}

/* Each bad file must fail with the file name, the line, and the words that explain it. */
static void expect_error(const char *text, const char *expect_prefix, const char *expect_words)
{
	struct vmport_config c;
	char err[256] = "";
	assert_int_equal(vmport_config_parse_string(&c, text, "bad.ini", err, sizeof(err)), -1);
	if (strncmp(err, expect_prefix, strlen(expect_prefix)) || !strstr(err, expect_words)) {
		fprintf(stderr, "got error '%s', wanted prefix '%s' and '%s'\n", err, expect_prefix,
		        expect_words);
		fail();
	}
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	const char *head = "[port_group]\nports = 2\n";
	char text[512];
	snprintf(text, sizeof(text), "%sportz = 3\n", head);
	expect_error(text, "bad.ini:3:", "unknown key 'portz' in [port_group]");
	expect_error("[port_group]\n[radio]\nx = 1\n", "bad.ini:3:", "unknown section [radio]");
	expect_error("[port_group]\nports = 0\n", "bad.ini:2:", "from 1 to 1000");
	expect_error("[port_group]\nports = 12abc\n", "bad.ini:2:", "whole number");
	expect_error("[port_group]\nports = -1\n", "bad.ini:2:", "whole number");
	expect_error("[port_group]\nsecurity_mode = secret\n",
	             "bad.ini:2:", "nonsecure, authenticated or encrypted");
	expect_error("[port_group]\nmwi_on_extension = 99x\n", "bad.ini:2:", "only digits");
	expect_error("[port_group]\nports = 2\nports = 3\n", "bad.ini:3:", "given twice");
	expect_error("[servers]\ncucm = 1.2.3.4:99999\n", "bad.ini:2:", "bad port");
	expect_error("[servers]\ncucm = [::1:2000\n", "bad.ini:2:", "closing ']'");
	expect_error("[security]\nctl_verify = maybe\n", "bad.ini:2:", "yes or no");
	expect_error("[port_group]\njust words\n", "bad.ini:2:", "not an INI line");
	/* whole-file rules */
	expect_error("[port_group]\nports=1\n", "bad.ini:", "cucm is required");
	expect_error("[servers]\ncucm = 1.2.3.4\n", "bad.ini:", "tftp is required in encrypted mode");
	expect_error(
	    "[port_group]\ndevice_name_prefix = ABCDEFGHIJKLM\nports = 100\n[servers]\ncucm=a\ntftp=a\n",
	    "bad.ini:", "longer than 15 characters");
}

static void test_load_missing_file(void **state)
{
	(void)state;
	struct vmport_config c;
	char err[256] = "";
	assert_int_equal(vmport_config_load(&c, "/nonexistent/vmport.ini", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/vmport.ini: cannot open: No such file or directory"));
}

/* The shared file reader: a file of exactly the limit is read whole, one byte more is refused
 * with its name and the limit, an empty one is an empty string. */
static void test_read_text_file_limits(void **state)
{
	(void)state;
	char path[] = "/tmp/vmport-readtext-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char *text = NULL;
	char err[256] = "";
	assert_int_equal(vmport_read_text_file(path, 16, &text, err, sizeof(err)), 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(write(fd, "0123456789abcdef", 16), 16);
	assert_int_equal(vmport_read_text_file(path, 16, &text, err, sizeof(err)), 0);
	assert_string_equal(text, "0123456789abcdef");
	free(text);
	assert_int_equal(write(fd, "!", 1), 1);
	assert_int_equal(vmport_read_text_file(path, 2048, &text, err, sizeof(err)), 0);
	free(text);
	assert_int_equal(vmport_read_text_file(path, 16, &text, err, sizeof(err)), -1);
	assert_null(text);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ": larger than 16 bytes"));
	close(fd);
	unlink(path);
	/* A configuration over 1 MiB is refused before it is parsed. */
	strcpy(path, "/tmp/vmport-readtext-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VMPORT_CONFIG_MAX_BYTES + 1), 0);
	close(fd);
	struct vmport_config c;
	assert_int_equal(vmport_config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": larger than 1024 KiB"));
	unlink(path);
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/vmport-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, sample, strlen(sample)), (ssize_t)strlen(sample));
	close(fd);
	struct vmport_config c;
	char err[256] = "";
	assert_int_equal(vmport_config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.ports, 2);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample_parses),
	    cmocka_unit_test(test_server_lists_and_default_ports),
	    cmocka_unit_test(test_errors_name_the_line),
	    cmocka_unit_test(test_load_missing_file),
	    cmocka_unit_test(test_read_text_file_limits),
	    cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
