/* firmware/tls against an implementation we did not write: OpenSSL's s_server standing in for
 * CUCM on 2443 (it holds the CTL-pinned CallManager certificate and requires our port
 * certificate), and s_client standing in for a port against our server side. The PKI is made by
 * the openssl CLI for each run (mkcerts.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "tls/tls.h"
#include "tls_test_util.h"

static const uint8_t keepalive[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t keepalive_ack[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};

struct run {
	enum tls_status hs;   /* handshake result */
	enum tls_status post; /* first read after it (TLS 1.3 client-certificate refusals land here) */
	enum tls_fail fail;
	int alert;
	char version[16];
	char cipher[64];
	char reason[400];
	char fp[96];
	char server_log[16384];
};

/* Our client (port.pem + root as its chain) against s_server holding srv_cert. */
static void run_client(struct run *r, enum tls_mode mode, bool tls13, const char *pin_der,
                       const char *srv_cert, const char *srv_key, const char *const *extra)
{
	memset(r, 0, sizeof *r);
	struct tt_proc srv;
	int port = tt_s_server(&srv, srv_cert, srv_key, extra);
	assert_true(port > 0);
	char err[300];
	struct tls_ctx *ctx = tt_ctx(TLS_ROLE_CLIENT, mode, "port.pem", "root.pem", "port.key", NULL, tls13,
	                             NULL, err, sizeof err);
	if (!ctx)
		fail_msg("client ctx: %s", err);
	int fd = tt_connect(port);
	assert_true(fd >= 0);
	uint8_t *pin = NULL;
	size_t pin_len = pin_der ? tt_read(pin_der, &pin) : 0;
	struct tls_conn_opts o = {
	    .pinned_der = pin, .pinned_len = pin_len, .sni = "cucm-pub", .label = "CiscoUM1-VI1"};
	struct tls_conn *c = tls_conn_new(ctx, fd, &o);
	assert_non_null(c);
	r->hs = tt_handshake(c, 5000);
	r->post = r->hs;
	if (r->hs == TLS_DONE) {
		assert_int_equal(tt_write_all(c, keepalive, sizeof keepalive, 2000), TLS_DONE);
		/* Give the server time to refuse us after our Finished (TLS 1.3). */
		uint8_t buf[64];
		size_t got = 0;
		r->post = TLS_WANT_READ;
		for (int i = 0; i < 6 && r->post == TLS_WANT_READ; i++) {
			r->post = tls_conn_read(c, buf, sizeof buf, &got);
			if (r->post == TLS_WANT_READ) {
				struct pollfd pfd = {.fd = fd, .events = POLLIN};
				poll(&pfd, 1, 50);
			}
		}
		if (r->post == TLS_WANT_READ)
			tls_conn_close(c);
	}
	r->fail = tls_conn_fail(c);
	r->alert = tls_conn_alert_received(c);
	snprintf(r->version, sizeof r->version, "%s", tls_conn_version(c));
	snprintf(r->cipher, sizeof r->cipher, "%s", tls_conn_cipher(c));
	snprintf(r->reason, sizeof r->reason, "%s", tls_conn_error(c));
	snprintf(r->fp, sizeof r->fp, "%s", tls_conn_peer_fingerprint(c));
	tls_conn_free(c);
	close(fd);
	tls_ctx_free(ctx);
	free(pin);
	tt_drain(&srv, 300);
	snprintf(r->server_log, sizeof r->server_log, "%s", srv.log);
	tt_stop(&srv);
	print_message("    -> hs=%d post=%d %s %s fail=%d alert=%d reason: %s\n", r->hs, r->post, r->version,
	              r->cipher, r->fail, r->alert, r->reason);
}

static const char *const verify_by_root[] = {"-Verify", "1", NULL};

static const char *const *args(const char *const *base, ...)
{
	/* base with the CAfile filled in, then extra words */
	static const char *v[24];
	size_t n = 0;
	for (; base[n]; n++)
		v[n] = base[n];
	va_list ap;
	va_start(ap, base);
	const char *w;
	while ((w = va_arg(ap, const char *)) != NULL && n < 23)
		v[n++] = w;
	va_end(ap);
	v[n] = NULL;
	return v;
}

/* (a) Encrypted mode against s_server: TLS 1.3 when both offer it, a listed suite, the pinned
 * certificate's fingerprint as OpenSSL computes it. */
static void test_encrypted_tls13_against_s_server(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_DONE);
	assert_int_equal(r.post, TLS_WANT_READ);
	assert_string_equal(r.version, "TLSv1.3");
	assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, r.cipher));
	char fp[96];
	assert_int_equal(tt_openssl_fingerprint("cm.pem", fp), 0);
	assert_string_equal(r.fp, fp);
	/* s_server saw our port certificate chain verify against vmport's root */
	assert_non_null(strstr(r.server_log, "CiscoUM1-VI1"));
}

static void test_encrypted_tls12_against_s_server(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), "-tls1_2", NULL));
	assert_int_equal(r.hs, TLS_DONE);
	assert_int_equal(r.post, TLS_WANT_READ);
	assert_string_equal(r.version, "TLSv1.2");
	assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, r.cipher));
	assert_null(strstr(r.cipher, "NULL"));
	/* the first suite of CUCM's list that both have */
	assert_string_equal(r.cipher, "ECDHE-RSA-AES256-GCM-SHA384");
}

/* The static-RSA suite CUCM lists (needs the tuned wolfSSL: Debian's lacks it). */
static void test_static_rsa_aes128_sha(void **state)
{
	(void)state;
	TT_REQUIRE(static_rsa, "static-RSA suites");
	struct run r;
	run_client(
	    &r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm.pem", "cm.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-tls1_2", "-cipher", "AES128-SHA", NULL));
	assert_int_equal(r.hs, TLS_DONE);
	assert_string_equal(r.version, "TLSv1.2");
	assert_string_equal(r.cipher, "AES128-SHA");
}

/* (b) Another certificate than the CTL's: refused, both fingerprints named. */
static void test_pin_mismatch_names_both_fingerprints(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm2.pem", "cm2.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_PIN_MISMATCH);
	char ctl_fp[96], presented_fp[96];
	assert_int_equal(tt_openssl_fingerprint("cm.pem", ctl_fp), 0);
	assert_int_equal(tt_openssl_fingerprint("cm2.pem", presented_fp), 0);
	char expect[400];
	snprintf(expect, sizeof expect,
	         "server certificate differs from the CTL's CallManager certificate (CTL SHA-256 %s, "
	         "presented %s)",
	         ctl_fp, presented_fp);
	assert_non_null(strstr(r.reason, expect));
	/* we told the server why (an alert), rather than just dropping the connection */
	assert_non_null(strstr(r.server_log, "alert"));
}

static void test_pin_mismatch_tls12(void **state)
{
	(void)state;
	TT_REQUIRE(static_rsa, "static-RSA suites");
	struct run r;
	run_client(
	    &r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm2.pem", "cm2.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-tls1_2", "-cipher", "AES128-SHA", NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_PIN_MISMATCH);
}

static void test_no_pin_refused(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, NULL, "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_NO_PIN);
	assert_non_null(strstr(r.reason, "no pinned certificate"));
}

/* A CA-signed CallManager certificate: pinning the CA (chains to it) or the leaf itself (byte
 * equal, with the CA sent along) both work; an unrelated CA does not. */
static void test_pin_chains(void **state)
{
	(void)state;
	struct run r;
	run_client(
	    &r, TLS_MODE_ENCRYPTED, true, "cmca.der", "cm-leaf.pem", "cm-leaf.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-cert_chain", tt_path("cmca.pem"), NULL));
	assert_int_equal(r.hs, TLS_DONE);
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cmca.der", "cm-leaf.pem", "cm-leaf.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_DONE);
	run_client(
	    &r, TLS_MODE_ENCRYPTED, true, "cm-leaf.der", "cm-leaf.pem", "cm-leaf.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-cert_chain", tt_path("cmca.pem"), NULL));
	assert_int_equal(r.hs, TLS_DONE);
	run_client(
	    &r, TLS_MODE_ENCRYPTED, true, "root.der", "cm-leaf.pem", "cm-leaf.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-cert_chain", tt_path("cmca.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_PIN_MISMATCH);
	/* the server sends the pinned CA itself, but another leaf signed by something else */
	run_client(
	    &r, TLS_MODE_ENCRYPTED, true, "cmca.der", "cm2.pem", "cm2.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-cert_chain", tt_path("cmca.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_PIN_MISMATCH);
}

static void test_pinned_but_expired_or_not_yet_valid(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm-expired.der", "cm-expired.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_CERT_EXPIRED);
	assert_non_null(strstr(r.reason, "certificate expired (notAfter 2021-01-01 00:00:00 UTC)"));
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm-future.der", "cm-future.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_CERT_NOT_YET_VALID);
	assert_non_null(strstr(r.reason, "not yet valid (notBefore 2090-01-01 00:00:00 UTC"));
}

/* (c) CUCM that does not trust vmport's root: its alert is named, with the fix. (s_server only
 * logs a failed client verification unless -verify_return_error; CUCM refuses.) */
static void check_unknown_ca(const struct run *r)
{
	assert_int_equal(r->fail, TLS_FAIL_PEER_ALERT);
	assert_int_equal(r->alert, 48);
	assert_non_null(strstr(r->reason, "unknown_ca"));
	assert_non_null(
	    strstr(r->reason, "CUCM does not trust vmport's root; upload ROOT.pem as CallManager-trust"));
}

static void test_untrusted_by_server_tls12(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("other-root.pem"), "-verify_return_error",
	                "-tls1_2", NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	check_unknown_ca(&r);
}

static void test_untrusted_by_server_tls13(void **state)
{
	(void)state;
	struct run r;
	/* TLS 1.3: the client's handshake ends with its Finished; the refusal arrives on the first read. */
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("other-root.pem"), "-verify_return_error", NULL));
	assert_int_equal(r.post, TLS_ERROR);
	check_unknown_ca(&r);
}

/* (d) Authenticated mode negotiates a NULL suite; Encrypted refuses a NULL-only server. */
static void test_authenticated_negotiates_null(void **state)
{
	(void)state;
	TT_REQUIRE(authenticated, "NULL-SHA256/NULL-SHA suites");
	struct run r;
	run_client(&r, TLS_MODE_AUTHENTICATED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), "-cipher",
	                "NULL-SHA256:NULL-SHA@SECLEVEL=0", NULL));
	assert_int_equal(r.hs, TLS_DONE);
	assert_int_equal(r.post, TLS_WANT_READ);
	assert_string_equal(r.version, "TLSv1.2");
	assert_string_equal(r.cipher, "NULL-SHA256");
	/* s_server received our KeepAlive (it prints what it reads; NULs show as '.') */
	assert_non_null(strstr(r.server_log, "\x04..........."));
	run_client(
	    &r, TLS_MODE_AUTHENTICATED, true, "cm.der", "cm.pem", "cm.key",
	    args(verify_by_root, "-CAfile", tt_path("root.pem"), "-cipher", "NULL-SHA@SECLEVEL=0", NULL));
	assert_int_equal(r.hs, TLS_DONE);
	assert_string_equal(r.cipher, "NULL-SHA");
}

static void test_encrypted_refuses_null_only_server(void **state)
{
	(void)state;
	struct run r;
	run_client(&r, TLS_MODE_ENCRYPTED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), "-tls1_2", "-cipher",
	                "NULL-SHA256:NULL-SHA@SECLEVEL=0", NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_PEER_ALERT);
	assert_int_equal(r.alert, 40);
	assert_non_null(strstr(r.reason, "no cipher suite in common"));
	assert_string_equal(r.cipher, "");
}

static void test_authenticated_refuses_encrypting_server(void **state)
{
	(void)state;
	TT_REQUIRE(authenticated, "NULL-SHA256/NULL-SHA suites");
	struct run r;
	run_client(&r, TLS_MODE_AUTHENTICATED, true, "cm.der", "cm.pem", "cm.key",
	           args(verify_by_root, "-CAfile", tt_path("root.pem"), NULL));
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_PEER_ALERT);
	assert_int_equal(r.alert, 40);
}

/* (e) Our server side against s_client presenting a port certificate. */
struct srv_run {
	enum tls_status hs;
	enum tls_fail fail;
	char reason[400];
	char fp[96];
	char subject[160];
	char version[16];
	char client_log[16384];
};

static void run_server(struct srv_run *r, enum tls_mode mode, const char *client_cert, const char *client_key,
                       const char *const *extra)
{
	memset(r, 0, sizeof *r);
	char err[300];
	struct tls_ctx *ctx =
	    tt_ctx(TLS_ROLE_SERVER, mode, "cm.pem", NULL, "cm.key", "root.pem", true, NULL, err, sizeof err);
	if (!ctx)
		fail_msg("server ctx: %s", err);
	assert_int_equal(tls_ctx_trust_count(ctx), 1);
	int port = 0;
	int lfd = tt_listen(&port);
	assert_true(lfd >= 0);
	char connect[32];
	snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
	const char *argv[24] = {"openssl", "s_client",        "-connect", connect,
	                        "-CAfile", tt_path("cm.pem"), "-ign_eof"};
	size_t n = 7;
	if (client_cert) {
		argv[n++] = "-cert";
		argv[n++] = tt_path(client_cert);
		argv[n++] = "-key";
		argv[n++] = tt_path(client_key);
	}
	for (size_t i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	struct tt_proc cli;
	assert_int_equal(tt_spawn(&cli, (char *const *)argv), 0);
	struct pollfd pfd = {.fd = lfd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	struct tls_conn *c = tls_conn_new(ctx, fd, &(struct tls_conn_opts){.label = "labcm"});
	assert_non_null(c);
	r->hs = tt_handshake(c, 5000);
	if (r->hs == TLS_DONE) {
		assert_int_equal(tt_write_all(c, keepalive_ack, sizeof keepalive_ack, 2000), TLS_DONE);
		tt_wait_output(&cli, "Verify return code", 2000);
		tls_conn_close(c);
	}
	r->fail = tls_conn_fail(c);
	snprintf(r->reason, sizeof r->reason, "%s", tls_conn_error(c));
	snprintf(r->fp, sizeof r->fp, "%s", tls_conn_peer_fingerprint(c));
	snprintf(r->subject, sizeof r->subject, "%s", tls_conn_peer_subject(c));
	snprintf(r->version, sizeof r->version, "%s", tls_conn_version(c));
	tls_conn_free(c);
	close(fd);
	close(lfd);
	tls_ctx_free(ctx);
	tt_drain(&cli, 500);
	snprintf(r->client_log, sizeof r->client_log, "%s", cli.log);
	tt_stop(&cli);
	print_message("    -> hs=%d %s fail=%d peer %s reason: %s\n", r->hs, r->version, r->fail, r->subject,
	              r->reason);
}

static void test_server_accepts_trusted_port(void **state)
{
	(void)state;
	struct srv_run r;
	const char *const tls12[] = {"-tls1_2", NULL};
	for (int v = 0; v < 2; v++) {
		run_server(&r, TLS_MODE_ENCRYPTED, "port.pem", "port.key", v ? tls12 : NULL);
		assert_int_equal(r.hs, TLS_DONE);
		assert_string_equal(r.version, v ? "TLSv1.2" : "TLSv1.3");
		char fp[96];
		assert_int_equal(tt_openssl_fingerprint("port.pem", fp), 0);
		assert_string_equal(r.fp, fp);
		assert_non_null(strstr(r.subject, "CN=CiscoUM1-VI1"));
		/* and s_client, pinning our CallManager certificate as its CA, was satisfied too */
		assert_non_null(strstr(r.client_log, "Verify return code: 0 (ok)"));
	}
}

static void test_server_authenticated_mode(void **state)
{
	(void)state;
	TT_REQUIRE(authenticated, "NULL-SHA256/NULL-SHA suites");
	struct srv_run r;
	run_server(&r, TLS_MODE_AUTHENTICATED, "port.pem", "port.key",
	           (const char *const[]){"-cipher", "NULL-SHA256@SECLEVEL=0", NULL});
	assert_int_equal(r.hs, TLS_DONE);
	assert_string_equal(r.version, "TLSv1.2");
	assert_non_null(strstr(r.client_log, "NULL-SHA256"));
	/* an s_client that offers only encrypting suites gets no session */
	run_server(&r, TLS_MODE_AUTHENTICATED, "port.pem", "port.key", NULL);
	assert_int_equal(r.hs, TLS_ERROR);
	assert_non_null(strstr(r.reason, "no cipher suite in common"));
}

static void test_server_refuses_untrusted_port(void **state)
{
	(void)state;
	struct srv_run r;
	const char *const tls12[] = {"-tls1_2", NULL};
	for (int v = 0; v < 2; v++) {
		run_server(&r, TLS_MODE_ENCRYPTED, "other-port.pem", "other-port.key", v ? tls12 : NULL);
		assert_int_equal(r.hs, TLS_ERROR);
		assert_int_equal(r.fail, TLS_FAIL_PEER_UNTRUSTED);
		assert_non_null(strstr(r.reason, "is not issued by a CallManager-trust certificate"));
		assert_non_null(strstr(r.reason, "Other Root"));
	}
	run_server(&r, TLS_MODE_ENCRYPTED, NULL, NULL, tls12);
	assert_int_equal(r.hs, TLS_ERROR);
	assert_int_equal(r.fail, TLS_FAIL_NO_PEER_CERT);
}

static int group_setup(void **state)
{
	(void)state;
	vm_log_set_level(getenv("VMPORT_TLS_DEBUG") ? VM_LOG_DEBUG : VM_LOG_WARN);
	return tt_pki() ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encrypted_tls13_against_s_server),
	    cmocka_unit_test(test_encrypted_tls12_against_s_server),
	    cmocka_unit_test(test_static_rsa_aes128_sha),
	    cmocka_unit_test(test_pin_mismatch_names_both_fingerprints),
	    cmocka_unit_test(test_pin_mismatch_tls12),
	    cmocka_unit_test(test_no_pin_refused),
	    cmocka_unit_test(test_pin_chains),
	    cmocka_unit_test(test_pinned_but_expired_or_not_yet_valid),
	    cmocka_unit_test(test_untrusted_by_server_tls12),
	    cmocka_unit_test(test_untrusted_by_server_tls13),
	    cmocka_unit_test(test_authenticated_negotiates_null),
	    cmocka_unit_test(test_encrypted_refuses_null_only_server),
	    cmocka_unit_test(test_authenticated_refuses_encrypting_server),
	    cmocka_unit_test(test_server_accepts_trusted_port),
	    cmocka_unit_test(test_server_authenticated_mode),
	    cmocka_unit_test(test_server_refuses_untrusted_port),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
