/* (f) The key log lets tshark decrypt 2443. A session against OpenSSL is tapped at the socket
 * (every byte our I/O callbacks moved), written as a pcap with synthetic IPv4/TCP headers, and
 * tshark (`-o tls.keylog_file:`) must find the SCCP KeepAlive / KeepAliveAck inside. No live
 * capture is needed, so nothing here depends on capture permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "tls/tls.h"
#include "tls_test_util.h"

static const uint8_t keepalive[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t keepalive_ack[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};

static char workdir[64];

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* tshark's skinny.messageId values (one per line) for the pcap, with or without the key log. */
static void tshark_ids(const char *pcap, const char *keylog, int port, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "%s -r %s %s%s -d tcp.port==%d,tls -d tls.port==%d,skinny -Y skinny -T fields -e "
	         "skinny.messageId "
	         "2>&1 | grep -v 'Running as user'",
	         VMPORT_TSHARK, pcap, keylog ? "-o tls.keylog_file:" : "", keylog ? keylog : "", port, port);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	pclose(p);
}

/* Whether tshark printed this message id (decimal) on a line of its own. */
static bool has_id(const char *ids, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = ids; (p = strstr(p, id)) != NULL; p++) {
		if ((p == ids || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* Our client against s_server: handshake, send a KeepAlive, close; then judge with tshark. */
static void client_session(const char *name, enum tls_mode mode, const char *const *server_args,
                           const char *want_cipher)
{
	char keylog[128], pcap[128];
	snprintf(keylog, sizeof keylog, "%s/%s.keys", workdir, name);
	snprintf(pcap, sizeof pcap, "%s/%s.pcap", workdir, name);
	struct tt_proc srv;
	int port = tt_s_server(&srv, "cm.pem", "cm.key", server_args);
	assert_true(port > 0);
	char err[300];
	struct tls_ctx *ctx = tt_ctx(TLS_ROLE_CLIENT, mode, "port.pem", "root.pem", "port.key", NULL, true,
	                             keylog, err, sizeof err);
	if (!ctx)
		fail_msg("%s", err);
	uint8_t *pin = NULL;
	size_t pin_len = tt_read("cm.der", &pin);
	int fd = tt_connect(port);
	assert_true(fd >= 0);
	struct tt_capture cap = {0};
	struct tls_conn *c = tls_conn_new(
	    ctx, fd,
	    &(struct tls_conn_opts){
	        .pinned_der = pin, .pinned_len = pin_len, .tap = tt_capture_tap, .tap_arg = &cap});
	assert_non_null(c);
	enum tls_status hs = tt_handshake(c, 5000);
	if (hs != TLS_DONE)
		fail_msg("handshake: %s", tls_conn_error(c));
	print_message("    %s: %s %s\n", name, tls_conn_version(c), tls_conn_cipher(c));
	if (want_cipher)
		assert_string_equal(tls_conn_cipher(c), want_cipher);
	assert_int_equal(tt_write_all(c, keepalive, sizeof keepalive, 2000), TLS_DONE);
	/* s_server prints what it decrypted: our 12 bytes arrive (NULs show as '.') */
	assert_true(tt_wait_output(&srv, "\x04...........", 3000));
	tls_conn_close(c);
	tls_conn_free(c);
	uint16_t lport = local_port(fd);
	close(fd);
	tls_ctx_free(ctx);
	free(pin);
	tt_stop(&srv);

	assert_int_equal(tt_capture_write_pcap(&cap, pcap, lport, (uint16_t)port), 0);
	tt_capture_free(&cap);
	char ids[4096];
	tshark_ids(pcap, keylog, port, ids, sizeof ids);
	print_message("    tshark with the key log: %s", ids);
	assert_true(has_id(ids, "0")); /* KeepAliveMessage */
	if (mode == TLS_MODE_ENCRYPTED && !strcmp(name, "tls13")) {
		/* and without it, nothing: the bytes really were encrypted (one control is enough) */
		tshark_ids(pcap, NULL, port, ids, sizeof ids);
		assert_false(has_id(ids, "0"));
	}
}

static void test_keylog_tls13(void **state)
{
	(void)state;
	TT_REQUIRE(tls13_keylog, "TLS 1.3 secret callback");
	client_session("tls13", TLS_MODE_ENCRYPTED,
	               (const char *const[]){"-Verify", "1", "-CAfile", tt_path("root.pem"), NULL}, NULL);
}

static void test_keylog_tls12_ecdhe_gcm(void **state)
{
	(void)state;
	client_session("tls12-ecdhe", TLS_MODE_ENCRYPTED,
	               (const char *const[]){"-Verify", "1", "-CAfile", tt_path("root.pem"), "-tls1_2",
	                                     "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", NULL},
	               "ECDHE-RSA-AES128-GCM-SHA256");
}

static void test_keylog_tls12_static_rsa(void **state)
{
	(void)state;
	TT_REQUIRE(static_rsa, "static-RSA suites");
	client_session("tls12-rsa", TLS_MODE_ENCRYPTED,
	               (const char *const[]){"-Verify", "1", "-CAfile", tt_path("root.pem"), "-tls1_2",
	                                     "-cipher", "AES128-SHA", NULL},
	               "AES128-SHA");
}

static void test_keylog_authenticated_null(void **state)
{
	(void)state;
	TT_REQUIRE(authenticated, "NULL-SHA256/NULL-SHA suites");
	client_session("null", TLS_MODE_AUTHENTICATED,
	               (const char *const[]){"-Verify", "1", "-CAfile", tt_path("root.pem"), "-cipher",
	                                     "NULL-SHA256@SECLEVEL=0", NULL},
	               "NULL-SHA256");
}

/* Our server side (the lab CallManager) keys a log too: s_client connects, we send KeepAliveAck. */
static void server_session(const char *name, const char *version_flag)
{
	char keylog[128], pcap[128];
	snprintf(keylog, sizeof keylog, "%s/%s.keys", workdir, name);
	snprintf(pcap, sizeof pcap, "%s/%s.pcap", workdir, name);
	char err[300];
	struct tls_ctx *ctx = tt_ctx(TLS_ROLE_SERVER, TLS_MODE_ENCRYPTED, "cm.pem", NULL, "cm.key",
	                             "root.pem", true, keylog, err, sizeof err);
	if (!ctx)
		fail_msg("%s", err);
	int port = 0;
	int lfd = tt_listen(&port);
	assert_true(lfd >= 0);
	char connect[32];
	snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
	const char *argv[] = {"openssl",  "s_client",          "-connect", connect,
	                      "-cert",    tt_path("port.pem"), "-key",     tt_path("port.key"),
	                      "-ign_eof", version_flag,        NULL};
	struct tt_proc cli;
	assert_int_equal(tt_spawn(&cli, (char *const *)argv), 0);
	struct pollfd pfd = {.fd = lfd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	struct tt_capture cap = {0};
	struct tls_conn *c =
	    tls_conn_new(ctx, fd, &(struct tls_conn_opts){.tap = tt_capture_tap, .tap_arg = &cap});
	enum tls_status hs = tt_handshake(c, 5000);
	if (hs != TLS_DONE)
		fail_msg("handshake: %s", tls_conn_error(c));
	print_message("    %s: %s %s\n", name, tls_conn_version(c), tls_conn_cipher(c));
	assert_int_equal(tt_write_all(c, keepalive_ack, sizeof keepalive_ack, 2000), TLS_DONE);
	assert_true(tt_wait_output(&cli, "\x04........\x01..", 3000));
	tls_conn_close(c);
	tls_conn_free(c);
	close(fd);
	close(lfd);
	tls_ctx_free(ctx);
	tt_stop(&cli);
	assert_int_equal(tt_capture_write_pcap(&cap, pcap, (uint16_t)port, 40000), 0);
	tt_capture_free(&cap);
	char ids[4096];
	tshark_ids(pcap, keylog, port, ids, sizeof ids);
	print_message("    tshark with the key log: %s", ids);
	assert_true(has_id(ids, "256")); /* KeepAliveAckMessage 0x0100 */
}

static void test_server_keylog_tls13(void **state)
{
	(void)state;
	TT_REQUIRE(tls13_keylog, "TLS 1.3 secret callback");
	server_session("server-tls13", "-tls1_3");
}

static void test_server_keylog_tls12(void **state)
{
	(void)state;
	server_session("server-tls12", "-tls1_2");
}

static int group_setup(void **state)
{
	(void)state;
	vm_log_set_level(VM_LOG_WARN);
	snprintf(workdir, sizeof workdir, "/tmp/vmport-tshark-XXXXXX");
	if (!mkdtemp(workdir))
		return -1;
	return tt_pki() ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (!getenv("VMPORT_TLS_KEEP")) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", workdir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keylog_tls13),
	    cmocka_unit_test(test_keylog_tls12_ecdhe_gcm),
	    cmocka_unit_test(test_keylog_tls12_static_rsa),
	    cmocka_unit_test(test_keylog_authenticated_null),
	    cmocka_unit_test(test_server_keylog_tls13),
	    cmocka_unit_test(test_server_keylog_tls12),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
