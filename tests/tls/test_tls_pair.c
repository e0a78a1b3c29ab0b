/* firmware/tls against itself in one process: the security-mode policy, context errors, many
 * non-blocking connections on one epoll thread over socketpairs, data and close_notify, refusals
 * seen from both ends, DER identities, and the key log file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "tls/tls.h"
#include "tls_test_util.h"

static const uint8_t keepalive[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t keepalive_ack[12] = {4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};

static struct tls_ctx *client_ctx(enum tls_mode mode, bool tls13)
{
	char err[300];
	struct tls_ctx *c = tt_ctx(TLS_ROLE_CLIENT, mode, "port.pem", "root.pem", "port.key", NULL, tls13,
	                           NULL, err, sizeof err);
	if (!c)
		fail_msg("client ctx: %s", err);
	return c;
}

static struct tls_ctx *server_ctx(enum tls_mode mode, bool tls13)
{
	char err[300];
	struct tls_ctx *c =
	    tt_ctx(TLS_ROLE_SERVER, mode, "cm.pem", NULL, "cm.key", "root.pem", tls13, NULL, err, sizeof err);
	if (!c)
		fail_msg("server ctx: %s", err);
	return c;
}

static void socket_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* --- policy --- */

static void test_no_context_for_nonsecure(void **state)
{
	(void)state;
	enum tls_mode m;
	assert_int_equal(tls_mode_from_security(VMPORT_NONSECURE, &m), -1);
	assert_int_equal(tls_mode_from_security(VMPORT_AUTHENTICATED, &m), 0);
	assert_int_equal(m, TLS_MODE_AUTHENTICATED);
	assert_int_equal(tls_mode_from_security(VMPORT_ENCRYPTED, &m), 0);
	assert_int_equal(m, TLS_MODE_ENCRYPTED);
	struct tls_ctx_config cfg;
	tls_ctx_config_init(&cfg, TLS_ROLE_CLIENT, (enum tls_mode)VMPORT_NONSECURE);
	cfg.cert_file = tt_path("port.pem");
	cfg.key_file = tt_path("port.key");
	char err[200];
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "only for the authenticated and encrypted"));
}

static void test_cipher_policy(void **state)
{
	(void)state;
	assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "ECDHE-RSA-AES256-GCM-SHA384"));
	assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "AES128-SHA"));
	assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "TLS13-AES128-GCM-SHA256"));
	assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "TLS_AES_256_GCM_SHA384"));
	assert_false(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "NULL-SHA256"));
	assert_false(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "NULL-SHA"));
	assert_false(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "ECDHE-ECDSA-NULL-SHA"));
	assert_false(tls_cipher_allowed(TLS_MODE_ENCRYPTED, "DES-CBC3-SHA"));
	assert_false(tls_cipher_allowed(TLS_MODE_ENCRYPTED, ""));
	assert_true(tls_cipher_allowed(TLS_MODE_AUTHENTICATED, "NULL-SHA256"));
	assert_true(tls_cipher_allowed(TLS_MODE_AUTHENTICATED, "NULL-SHA"));
	assert_false(tls_cipher_allowed(TLS_MODE_AUTHENTICATED, "AES128-SHA"));
	assert_false(tls_cipher_allowed(TLS_MODE_AUTHENTICATED, "TLS13-AES128-GCM-SHA256"));
	assert_null(strstr(tls_mode_cipher_list(TLS_MODE_ENCRYPTED), "NULL"));
	assert_string_equal(tls_mode_cipher_list(TLS_MODE_AUTHENTICATED), "NULL-SHA256:NULL-SHA");
	/* every suite the encrypted list names passes its own policy */
	char list[700];
	snprintf(list, sizeof list, "%s", tls_mode_cipher_list(TLS_MODE_ENCRYPTED));
	int n = 0;
	for (char *save = NULL, *s = strtok_r(list, ":", &save); s; s = strtok_r(NULL, ":", &save), n++)
		assert_true(tls_cipher_allowed(TLS_MODE_ENCRYPTED, s));
	assert_int_equal(n, 15); /* CUCM's 12 + 3 TLS 1.3 suites */
}

static void test_cipher_override_must_fit_the_mode(void **state)
{
	(void)state;
	char err[200];
	struct tls_ctx_config cfg;
	tls_ctx_config_init(&cfg, TLS_ROLE_CLIENT, TLS_MODE_ENCRYPTED);
	cfg.cert_file = tt_path("port.pem");
	cfg.key_file = tt_path("port.key");
	cfg.cipher_list = "AES128-SHA:NULL-SHA";
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "NULL-SHA is not allowed in encrypted mode"));
	tls_ctx_config_init(&cfg, TLS_ROLE_CLIENT, TLS_MODE_AUTHENTICATED);
	cfg.cert_file = tt_path("port.pem");
	cfg.key_file = tt_path("port.key");
	cfg.cipher_list = "AES128-SHA";
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "AES128-SHA is not allowed in authenticated mode"));
	TT_REQUIRE(authenticated, "NULL-SHA256/NULL-SHA suites");
	cfg.cipher_list = "NULL-SHA";
	struct tls_ctx *ok = tls_ctx_new(&cfg, err, sizeof err);
	assert_non_null(ok);
	tls_ctx_free(ok);
}

static void test_context_errors_name_the_problem(void **state)
{
	(void)state;
	char err[300];
	struct tls_ctx_config cfg;
	tls_ctx_config_init(&cfg, TLS_ROLE_CLIENT, TLS_MODE_ENCRYPTED);
	cfg.cert_file = "/nonexistent/port.pem";
	cfg.key_file = tt_path("port.key");
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/port.pem"));

	cfg.cert_file = tt_path("port.pem");
	cfg.key_file = tt_path("cm.key");
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "does not match"));

	cfg.key_file = NULL;
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "no private key"));

	tls_ctx_config_init(&cfg, TLS_ROLE_SERVER, TLS_MODE_ENCRYPTED);
	cfg.cert_file = tt_path("cm.pem");
	cfg.key_file = tt_path("cm.key");
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "CallManager-trust is empty"));
}

static void test_trust_dir_loads_every_pem(void **state)
{
	(void)state;
	char dir[] = "/tmp/vmport-trust-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[600];
	snprintf(cmd, sizeof cmd,
	         "cp %s %s/ROOT.pem && cp %s %s/other.pem && echo notes > %s/README && cp %s %s/x.der",
	         tt_path("root.pem"), dir, tt_path("other-root.pem"), dir, dir, tt_path("root.der"), dir);
	assert_int_equal(system(cmd), 0);
	struct tls_ctx_config cfg;
	tls_ctx_config_init(&cfg, TLS_ROLE_SERVER, TLS_MODE_ENCRYPTED);
	cfg.cert_file = tt_path("cm.pem");
	cfg.key_file = tt_path("cm.key");
	cfg.trust_dir = dir;
	char err[300];
	struct tls_ctx *ctx = tls_ctx_new(&cfg, err, sizeof err);
	if (!ctx)
		fail_msg("%s", err);
	assert_int_equal(tls_ctx_trust_count(ctx), 2);
	tls_ctx_free(ctx);
	/* a broken .pem is an error naming the file */
	snprintf(cmd, sizeof cmd, "echo garbage > %s/broken.pem", dir);
	assert_int_equal(system(cmd), 0);
	assert_null(tls_ctx_new(&cfg, err, sizeof err));
	assert_non_null(strstr(err, "broken.pem"));
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* --- many connections on one epoll thread --- */

#define NPAIRS 128 /* 256 connections: the ≥250-port target of protocol.md §7.7 */

struct end {
	struct tls_conn *c;
	int fd;
	bool server;
	int phase; /* 0 handshake, 1 exchange, 2 done, -1 failed */
	uint8_t buf[12];
	size_t have;
	bool sent;
	bool closed;
};

static uint32_t events_for(enum tls_status s)
{
	return s == TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN;
}

static void arm(int ep, struct end *e, enum tls_status s)
{
	struct epoll_event ev = {.events = events_for(s), .data.ptr = e};
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_MOD, e->fd, &ev), 0);
}

/* One step of an end's little script: handshake; client sends KeepAlive, server answers
 * KeepAliveAck; client sends close_notify and the server must read TLS_CLOSED. */
static void step(int ep, struct end *e, int *done)
{
	enum tls_status s;
	if (e->phase == 0) {
		s = tls_conn_handshake(e->c);
		if (s == TLS_DONE)
			e->phase = 1;
		else if (s == TLS_ERROR)
			fail_msg("%s handshake: %s", e->server ? "server" : "client", tls_conn_error(e->c));
		else
			return arm(ep, e, s);
	}
	if (e->phase == 1) {
		if (!e->server && !e->sent) {
			s = tls_conn_write(e->c, keepalive, sizeof keepalive);
			if (s != TLS_DONE)
				return arm(ep, e, s);
			e->sent = true;
		}
		while (e->have < 12) {
			size_t got;
			s = tls_conn_read(e->c, e->buf + e->have, 12 - e->have, &got);
			if (s == TLS_DONE) {
				e->have += got;
				continue;
			}
			if (s == TLS_WANT_READ || s == TLS_WANT_WRITE)
				return arm(ep, e, s);
			fail_msg("%s read: %d %s", e->server ? "server" : "client", s, tls_conn_error(e->c));
		}
		if (e->server) {
			assert_memory_equal(e->buf, keepalive, 12);
			s = tls_conn_write(e->c, keepalive_ack, sizeof keepalive_ack);
			if (s != TLS_DONE)
				return arm(ep, e, s);
			e->phase = 3; /* wait for close_notify */
		} else {
			assert_memory_equal(e->buf, keepalive_ack, 12);
			assert_int_equal(tls_conn_close(e->c), TLS_DONE);
			e->phase = 2;
			(*done)++;
			return;
		}
	}
	if (e->phase == 3) {
		uint8_t b[16];
		size_t got;
		s = tls_conn_read(e->c, b, sizeof b, &got);
		if (s == TLS_CLOSED) {
			e->phase = 2;
			(*done)++;
			return;
		}
		if (s == TLS_WANT_READ || s == TLS_WANT_WRITE)
			return arm(ep, e, s);
		fail_msg("server waiting for close_notify: %d %s", s, tls_conn_error(e->c));
	}
}

static void run_many(enum tls_mode mode, bool client13, bool server13, const char *want_version)
{
	struct tls_ctx *cc = client_ctx(mode, client13);
	struct tls_ctx *sc = server_ctx(mode, server13);
	uint8_t *pin = NULL;
	size_t pin_len = tt_read("cm.der", &pin);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	static struct end ends[2 * NPAIRS];
	memset(ends, 0, sizeof ends);
	for (int i = 0; i < NPAIRS; i++) {
		int sv[2];
		socket_pair(sv);
		struct end *cl = &ends[2 * i], *sr = &ends[2 * i + 1];
		char label[32];
		snprintf(label, sizeof label, "CiscoUM1-VI%d", i + 1);
		cl->c = tls_conn_new(
		    cc, sv[0],
		    &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len, .label = label});
		sr->c = tls_conn_new(sc, sv[1], NULL);
		assert_non_null(cl->c);
		assert_non_null(sr->c);
		cl->fd = sv[0];
		sr->fd = sv[1];
		sr->server = true;
		/* level-triggered; everyone starts by trying (clients write their hello) */
		struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = cl};
		assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, cl->fd, &ev), 0);
		ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = sr};
		assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, sr->fd, &ev), 0);
	}
	int done = 0, loops = 0;
	while (done < 2 * NPAIRS) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 2000);
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;
			if (e->phase != 2)
				step(ep, e, &done);
			if (e->phase == 2)
				epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL);
		}
		loops++;
		assert_true(loops < 100000);
	}
	for (int i = 0; i < 2 * NPAIRS; i++) {
		assert_string_equal(tls_conn_version(ends[i].c), want_version);
		assert_true(tls_cipher_allowed(mode, tls_conn_cipher(ends[i].c)));
		if (!ends[i].server)
			assert_string_equal(tls_conn_peer_fingerprint(ends[i].c),
			                    tls_conn_peer_fingerprint(ends[0].c));
	}
	print_message("    %d pairs, %s %s, %d epoll rounds\n", NPAIRS, tls_conn_version(ends[0].c),
	              tls_conn_cipher(ends[0].c), loops);
	uint8_t sha[32];
	assert_true(tls_conn_peer_sha256(ends[1].c, sha)); /* the server saw the port certificate */
	assert_non_null(strstr(tls_conn_peer_subject(ends[1].c), "CiscoUM1-VI1"));
	for (int i = 0; i < 2 * NPAIRS; i++) {
		tls_conn_free(ends[i].c);
		close(ends[i].fd);
	}
	close(ep);
	free(pin);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

static void test_many_pairs_tls13(void **state)
{
	(void)state;
	run_many(TLS_MODE_ENCRYPTED, true, true, "TLSv1.3");
}

static void test_many_pairs_tls12_server(void **state)
{
	(void)state;
	/* a CUCM without TLS 1.3: the port offers 1.3 and settles for 1.2 */
	run_many(TLS_MODE_ENCRYPTED, true, false, "TLSv1.2");
}

static void test_many_pairs_authenticated(void **state)
{
	(void)state;
	TT_REQUIRE(authenticated, "NULL-SHA256/NULL-SHA suites");
	run_many(TLS_MODE_AUTHENTICATED, true, true, "TLSv1.2");
}

/* --- refusals seen from both ends --- */

static void test_server_refuses_untrusted_client_pair(void **state)
{
	(void)state;
	for (int v = 0; v < 2; v++) {
		char err[300];
		struct tls_ctx *cc = tt_ctx(TLS_ROLE_CLIENT, TLS_MODE_ENCRYPTED, "other-port.pem", NULL,
		                            "other-port.key", NULL, v == 0, NULL, err, sizeof err);
		assert_non_null(cc);
		struct tls_ctx *sc = server_ctx(TLS_MODE_ENCRYPTED, true);
		uint8_t *pin = NULL;
		size_t pin_len = tt_read("cm.der", &pin);
		int sv[2];
		socket_pair(sv);
		struct tls_conn *c = tls_conn_new(
		    cc, sv[0], &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len});
		struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
		enum tls_status cs, ss;
		tt_handshake_pair(c, s, &cs, &ss);
		assert_int_equal(ss, TLS_ERROR);
		assert_int_equal(tls_conn_fail(s), TLS_FAIL_PEER_UNTRUSTED);
		if (cs == TLS_DONE) { /* TLS 1.3: the refusal arrives after the client's Finished */
			uint8_t b[8];
			size_t got;
			cs = tls_conn_read(c, b, sizeof b, &got);
		}
		assert_int_equal(cs, TLS_ERROR);
		print_message("    %s: server: %s\n    client: %s\n", v == 0 ? "TLS 1.3" : "TLS 1.2",
		              tls_conn_error(s), tls_conn_error(c));
		assert_int_equal(tls_conn_fail(c), TLS_FAIL_PEER_ALERT);
		assert_non_null(strstr(tls_conn_error(c), "upload ROOT.pem as CallManager-trust"));
		tls_conn_free(c);
		tls_conn_free(s);
		close(sv[0]);
		close(sv[1]);
		free(pin);
		tls_ctx_free(cc);
		tls_ctx_free(sc);
	}
}

static void test_client_refuses_wrong_server_pair(void **state)
{
	(void)state;
	struct tls_ctx *cc = client_ctx(TLS_MODE_ENCRYPTED, true);
	struct tls_ctx *sc = server_ctx(TLS_MODE_ENCRYPTED, true);
	uint8_t *pin = NULL;
	size_t pin_len = tt_read("cm2.der", &pin);
	int sv[2];
	socket_pair(sv);
	struct tls_conn *c =
	    tls_conn_new(cc, sv[0], &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len});
	struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
	enum tls_status cs, ss;
	tt_handshake_pair(c, s, &cs, &ss);
	assert_int_equal(cs, TLS_ERROR);
	assert_int_equal(tls_conn_fail(c), TLS_FAIL_PIN_MISMATCH);
	assert_int_equal(ss, TLS_ERROR);
	/* the server (a lab CallManager) learns why from our alert */
	print_message("    server: %s\n", tls_conn_error(s));
	assert_int_equal(tls_conn_fail(s), TLS_FAIL_PEER_ALERT);
	assert_false(tls_conn_established(c));
	tls_conn_free(c);
	tls_conn_free(s);
	close(sv[0]);
	close(sv[1]);
	free(pin);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* Identity given as DER buffers (cert, chain, key), as a CTL/pki module would hand them over. */
static void test_der_identity_buffers(void **state)
{
	(void)state;
	uint8_t *cert, *chain, *key, *trust, *pin;
	size_t cert_len = tt_read("port.der", &cert), chain_len = tt_read("root.der", &chain),
	       key_len = tt_read("port.key.der", &key), trust_len = tt_read("root.der", &trust),
	       pin_len = tt_read("cm.der", &pin);
	assert_true(cert_len && chain_len && key_len && trust_len && pin_len);
	struct tls_ctx_config cfg;
	tls_ctx_config_init(&cfg, TLS_ROLE_CLIENT, TLS_MODE_ENCRYPTED);
	cfg.cert = (struct tls_blob){cert, cert_len};
	cfg.chain = (struct tls_blob){chain, chain_len};
	cfg.key = (struct tls_blob){key, key_len};
	char err[300];
	struct tls_ctx *cc = tls_ctx_new(&cfg, err, sizeof err);
	if (!cc)
		fail_msg("%s", err);
	tls_ctx_config_init(&cfg, TLS_ROLE_SERVER, TLS_MODE_ENCRYPTED);
	cfg.cert_file = tt_path("cm.pem");
	cfg.key_file = tt_path("cm.key");
	cfg.trust = (struct tls_blob){trust, trust_len};
	struct tls_ctx *sc = tls_ctx_new(&cfg, err, sizeof err);
	if (!sc)
		fail_msg("%s", err);
	int sv[2];
	socket_pair(sv);
	struct tls_conn *c =
	    tls_conn_new(cc, sv[0], &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len});
	struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
	enum tls_status cs, ss;
	tt_handshake_pair(c, s, &cs, &ss);
	assert_int_equal(cs, TLS_DONE);
	assert_int_equal(ss, TLS_DONE);
	char fp[96];
	assert_int_equal(tt_openssl_fingerprint("port.pem", fp), 0);
	assert_string_equal(tls_conn_peer_fingerprint(s), fp);
	tls_conn_free(c);
	tls_conn_free(s);
	close(sv[0]);
	close(sv[1]);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
	free(cert);
	free(chain);
	free(key);
	free(trust);
	free(pin);
}

/* Larger than one record, read in small pieces: pending() tells what wolfSSL still holds. */
static void test_large_write_small_reads_and_truncation(void **state)
{
	(void)state;
	struct tls_ctx *cc = client_ctx(TLS_MODE_ENCRYPTED, true);
	struct tls_ctx *sc = server_ctx(TLS_MODE_ENCRYPTED, true);
	uint8_t *pin = NULL;
	size_t pin_len = tt_read("cm.der", &pin);
	int sv[2];
	socket_pair(sv);
	struct tls_conn *c =
	    tls_conn_new(cc, sv[0], &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len});
	struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
	enum tls_status cs, ss;
	tt_handshake_pair(c, s, &cs, &ss);
	assert_int_equal(cs, TLS_DONE);
	assert_int_equal(ss, TLS_DONE);
	static uint8_t big[40000], back[40000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	size_t have = 0;
	bool written = false;
	int rounds = 0;
	while (have < sizeof back && rounds++ < 10000) {
		if (!written) {
			enum tls_status w = tls_conn_write(c, big, sizeof big);
			assert_true(w == TLS_DONE || w == TLS_WANT_WRITE);
			written = w == TLS_DONE;
		}
		size_t got;
		enum tls_status r = tls_conn_read(s, back + have, 100, &got);
		if (r == TLS_DONE)
			have += got;
		else
			assert_int_equal(r, TLS_WANT_READ);
		if (r == TLS_DONE && got == 100)
			assert_true(tls_conn_pending(s) > 0 || have % 16384 == 0 || have == sizeof back);
	}
	assert_int_equal(have, sizeof big);
	assert_memory_equal(back, big, sizeof big);
	/* the peer vanishes without close_notify: an error, not a clean close */
	tls_conn_free(c);
	close(sv[0]);
	size_t got;
	uint8_t b[8];
	assert_int_equal(tls_conn_read(s, b, sizeof b, &got), TLS_ERROR);
	assert_int_equal(tls_conn_fail(s), TLS_FAIL_IO);
	assert_non_null(strstr(tls_conn_error(s), "without close_notify"));
	tls_conn_free(s);
	close(sv[1]);
	free(pin);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* --- key log --- */

static size_t count_lines(const char *text, const char *label, size_t secret_hex)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, label)) != NULL; p++) {
		if (p != text && p[-1] != '\n')
			continue;
		const char *q = p + strlen(label);
		if (*q != ' ' || strspn(q + 1, "0123456789abcdef") != 64 || q[65] != ' ' ||
		    strspn(q + 66, "0123456789abcdef") != secret_hex || q[66 + secret_hex] != '\n')
			continue;
		n++;
	}
	return n;
}

static void test_keylog_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/vmport-keylog-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/keys.log", dir);
	/* an existing, world-readable file is made private */
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	fchmod(fd, 0644);
	close(fd);
	char err[300];
	for (int v = 0; v < 2; v++) {
		struct tls_ctx *cc = tt_ctx(TLS_ROLE_CLIENT, TLS_MODE_ENCRYPTED, "port.pem", "root.pem",
		                            "port.key", NULL, v == 0, path, err, sizeof err);
		if (!cc)
			fail_msg("%s", err);
		struct tls_ctx *sc = tt_ctx(TLS_ROLE_SERVER, TLS_MODE_ENCRYPTED, "cm.pem", NULL, "cm.key",
		                            "root.pem", true, path, err, sizeof err);
		if (!sc)
			fail_msg("%s", err);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		uint8_t *pin = NULL;
		size_t pin_len = tt_read("cm.der", &pin);
		int sv[2];
		socket_pair(sv);
		struct tls_conn *c = tls_conn_new(
		    cc, sv[0], &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len});
		struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
		enum tls_status cs, ss;
		tt_handshake_pair(c, s, &cs, &ss);
		assert_int_equal(cs, TLS_DONE);
		assert_int_equal(ss, TLS_DONE);
		tls_conn_free(c);
		tls_conn_free(s);
		close(sv[0]);
		close(sv[1]);
		free(pin);
		tls_ctx_free(cc);
		tls_ctx_free(sc);
	}
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char text[16384];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	/* TLS 1.3 (SHA-384 suite first: 48-byte secrets), client and server each log; without the
	 * secret callback the context caps at TLS 1.2 and both sessions log CLIENT_RANDOM */
	struct tls_features feat;
	tls_features(&feat);
	if (feat.tls13_keylog) {
		assert_int_equal(count_lines(text, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 96), 2);
		assert_int_equal(count_lines(text, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 96), 2);
		assert_int_equal(count_lines(text, "CLIENT_TRAFFIC_SECRET_0", 96), 2);
		assert_int_equal(count_lines(text, "SERVER_TRAFFIC_SECRET_0", 96), 2);
		/* TLS 1.2: one CLIENT_RANDOM line from each end, the same line */
		assert_int_equal(count_lines(text, "CLIENT_RANDOM", 96), 2);
		const char *a = strstr(text, "CLIENT_RANDOM"), *b = a ? strstr(a + 1, "CLIENT_RANDOM") : NULL;
		assert_non_null(b);
		assert_memory_equal(a, b, 13 + 1 + 64 + 1 + 96);
	} else {
		assert_int_equal(count_lines(text, "CLIENT_RANDOM", 96), 4);
		assert_null(strstr(text, "TRAFFIC_SECRET"));
	}
	snprintf(err, sizeof err, "rm -rf %s", dir);
	assert_int_equal(system(err), 0);

	char warn[400];
	tls_keylog_warning(warn, sizeof warn, path);
	assert_non_null(strstr(warn, path));
	assert_non_null(strstr(warn, "Lab use only"));
}

static int group_setup(void **state)
{
	(void)state;
	vm_log_set_level(getenv("VMPORT_TLS_DEBUG") ? VM_LOG_DEBUG : VM_LOG_WARN);
	print_message("%s\n", tls_library_info());
	return tt_pki() ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_context_for_nonsecure),
	    cmocka_unit_test(test_cipher_policy),
	    cmocka_unit_test(test_cipher_override_must_fit_the_mode),
	    cmocka_unit_test(test_context_errors_name_the_problem),
	    cmocka_unit_test(test_trust_dir_loads_every_pem),
	    cmocka_unit_test(test_many_pairs_tls13),
	    cmocka_unit_test(test_many_pairs_tls12_server),
	    cmocka_unit_test(test_many_pairs_authenticated),
	    cmocka_unit_test(test_server_refuses_untrusted_client_pair),
	    cmocka_unit_test(test_client_refuses_wrong_server_pair),
	    cmocka_unit_test(test_der_identity_buffers),
	    cmocka_unit_test(test_large_write_small_reads_and_truncation),
	    cmocka_unit_test(test_keylog_file),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
