/* Non-blocking TLS connections: one per port, hundreds stepped by one epoll thread (the
 * per-connection state machine of wolfSSL's tls/client-tls-perf.c). wolfSSL reads and writes the
 * socket through the I/O callbacks below, never by itself. */
#include "tls/tls_internal.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

int tls_conn_io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg);
int tls_conn_io_send(WOLFSSL *ssl, char *buf, int sz, void *arg);

/* --- I/O callbacks: the socket errno survives into the reason, SIGPIPE never fires, and a tap
 * can see the bytes (see README.md). --- */
int tls_conn_io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	(void)ssl;
	struct tls_conn *c = arg;
	for (;;) {
		ssize_t n = recv(c->fd, buf, (size_t)sz, 0);
		if (n > 0) {
			if (c->tap)
				c->tap(c->tap_arg, TLS_DIR_IN, (const uint8_t *)buf, (size_t)n);
			return (int)n;
		}
		if (n == 0) {
			c->io_eof = true;
			return WOLFSSL_CBIO_ERR_CONN_CLOSE;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return WOLFSSL_CBIO_ERR_WANT_READ;
		c->io_errno = errno;
		return errno == ECONNRESET ? WOLFSSL_CBIO_ERR_CONN_RST : WOLFSSL_CBIO_ERR_GENERAL;
	}
}

int tls_conn_io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	(void)ssl;
	struct tls_conn *c = arg;
	for (;;) {
		ssize_t n = send(c->fd, buf, (size_t)sz, MSG_NOSIGNAL);
		if (n >= 0) {
			if (c->tap && n > 0)
				c->tap(c->tap_arg, TLS_DIR_OUT, (const uint8_t *)buf, (size_t)n);
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return WOLFSSL_CBIO_ERR_WANT_WRITE;
		if (errno == EPIPE || errno == ECONNRESET) {
			/* The peer refused us and closed; its alert is usually still waiting to be
			 * read (TLS 1.3 refuses a client certificate after our Finished, so even an
			 * established session meets this on its first write). Swallow the bytes: the
			 * next read shows the alert, or the reset. */
			c->send_errno_deferred = errno;
			return sz;
		}
		c->io_errno = errno;
		if (errno == EPIPE)
			return WOLFSSL_CBIO_ERR_CONN_CLOSE;
		return errno == ECONNRESET ? WOLFSSL_CBIO_ERR_CONN_RST : WOLFSSL_CBIO_ERR_GENERAL;
	}
}

void tls_conn_set_reason(struct tls_conn *c, enum tls_fail fail, const char *fmt, ...)
{
	c->fail = fail;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const struct tls_conn_opts *opts)
{
	/* A blocking socket would stall every port on the loop: refuse it. */
	int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (!ctx || fl < 0 || !(fl & O_NONBLOCK)) {
		errno = EINVAL;
		return NULL;
	}
	struct tls_conn *c = calloc(1, sizeof *c);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->ctx = ctx;
	c->fd = fd;
	c->alert_rx = -1;
	tls_fmt(c->label, sizeof c->label, "%s fd %d", ctx->role == TLS_ROLE_CLIENT ? "client" : "server",
	        fd);
	if (opts) {
		if (opts->label && *opts->label)
			tls_fmt(c->label, sizeof c->label, "%s", opts->label);
		c->tap = opts->tap;
		c->tap_arg = opts->tap_arg;
		if (opts->pinned_der && opts->pinned_len) {
			c->pinned = malloc(opts->pinned_len);
			if (!c->pinned)
				goto nomem;
			memcpy(c->pinned, opts->pinned_der, opts->pinned_len);
			c->pinned_len = opts->pinned_len;
		}
	}
	c->ssl = wolfSSL_new(ctx->ssl_ctx);
	if (!c->ssl)
		goto nomem;
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	wolfSSL_SetCertCbCtx(c->ssl, c); /* reaches the verify callback as store->userCtx */
	if (ctx->role == TLS_ROLE_CLIENT) {
		/* An empty store of our own: wolfSSL adds the CA certificates a server sends along to the
		 * store it verifies with. They must die with this connection, not accumulate in the
		 * shared context. Our verify callback decides against the pinned certificate. */
		WOLFSSL_X509_STORE *store = wolfSSL_X509_STORE_new();
		if (!store || wolfSSL_set0_verify_cert_store(c->ssl, store) != WOLFSSL_SUCCESS) {
			if (store)
				wolfSSL_X509_STORE_free(store);
			goto nomem;
		}
#ifdef HAVE_SNI
		if (opts && opts->sni && *opts->sni &&
		    wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, opts->sni,
		                   (unsigned short)strlen(opts->sni)) != WOLFSSL_SUCCESS)
			goto nomem;
#endif
	}
	if (ctx->keylog_fd >= 0)
		tls_keylog_attach(c);
	return c;
nomem:
	tls_conn_free(c);
	errno = ENOMEM;
	return NULL;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	if (c->ssl)
		wolfSSL_free(c->ssl);
	free(c->pinned);
	free(c);
}

/* Hints for what a CallManager's alert means to a port (protocol.md §7.3). */
static const char *client_alert_hint(int code)
{
	switch (code) {
	case 48: /* unknown_ca */
		return "CUCM does not trust vmport's root; upload ROOT.pem as CallManager-trust";
	case 42: /* bad_certificate */
	case 43: /* unsupported_certificate */
	case 46: /* certificate_unknown */
		return "CUCM refused vmport's port certificate; check that ROOT.pem is uploaded as "
		       "CallManager-trust "
		       "and the Cisco CallManager service was restarted";
	case 45: /* certificate_expired */
		return "CUCM says vmport's port certificate is expired or not yet valid; check both clocks "
		       "(NTP)";
	case 41:  /* no_certificate */
	case 116: /* certificate_required */
		return "CUCM requires a client certificate and got none";
	case 40: /* handshake_failure */
	case 71: /* insufficient_security */
		return "no cipher suite in common: check that the CUCM device security mode matches the "
		       "port's";
	case 70: /* protocol_version */
		return "no TLS version in common: vmport speaks TLS 1.2 and 1.3 (CUCM `set tls min-version`)";
	case 51: /* decrypt_error */
		return "CUCM could not verify vmport's handshake signature";
	default:
		return NULL;
	}
}

static const char *server_alert_hint(int code)
{
	switch (code) {
	case 48:
	case 42:
	case 46:
		return "the port does not accept this CallManager's certificate (is it the one in the CTL?)";
	case 40:
	case 71:
		return "no cipher suite in common: check the port's security mode";
	default:
		return NULL;
	}
}

/* Set the reason for a failed wolfSSL call, unless the verify callback already gave a better one. */
static void fail_from_error(struct tls_conn *c, int err, const char *during)
{
	c->failed = true;
	WOLFSSL_ALERT_HISTORY h;
	memset(&h, 0, sizeof h);
	h.last_rx.code = -1;
	wolfSSL_get_alert_history(c->ssl, &h);
	if (h.last_rx.code > 0)
		c->alert_rx = h.last_rx.code;
	if (c->fail != TLS_FAIL_NONE)
		return;
	bool client = c->ctx->role == TLS_ROLE_CLIENT;
	if (h.last_rx.code > 0) {
		const char *hint =
		    client ? client_alert_hint(h.last_rx.code) : server_alert_hint(h.last_rx.code);
		tls_conn_set_reason(c, TLS_FAIL_PEER_ALERT, "%s sent alert %s (%d) during the %s%s%s",
		                    client ? "server" : "client", tls_alert_name(h.last_rx.code),
		                    h.last_rx.code, during, hint ? ": " : "", hint ? hint : "");
		return;
	}
	if (c->io_errno || c->send_errno_deferred) {
		tls_conn_set_reason(c, TLS_FAIL_IO, "socket error during the %s: %s", during,
		                    strerror(c->io_errno ? c->io_errno : c->send_errno_deferred));
		return;
	}
	if (c->io_eof) {
		tls_conn_set_reason(c, TLS_FAIL_IO,
		                    "peer closed the TCP connection during the %s without a TLS alert",
		                    during);
		return;
	}
	switch (err) {
	case MATCH_SUITE_ERROR:
		tls_conn_set_reason(
		    c, TLS_FAIL_PROTOCOL,
		    "no cipher suite in common with the %s (vmport offers the %s-mode suites: %s)",
		    client ? "server" : "client", tls_mode_name(c->ctx->mode),
		    tls_mode_cipher_list(c->ctx->mode));
		return;
	case VERSION_ERROR:
		tls_conn_set_reason(c, TLS_FAIL_PROTOCOL,
		                    "no TLS version in common (vmport needs TLS 1.2 or later)");
		return;
	case NO_PEER_CERT:
		tls_conn_set_reason(c, TLS_FAIL_NO_PEER_CERT,
		                    "the %s sent no certificate (mutual authentication is "
		                    "mandatory on 2443)",
		                    client ? "server" : "client");
		return;
	default: {
		char text[WOLFSSL_MAX_ERROR_SZ];
		wolfSSL_ERR_error_string_n((unsigned long)err, text, sizeof text);
		tls_conn_set_reason(c, TLS_FAIL_PROTOCOL, "TLS error during the %s: %s (%d)", during, text,
		                    err);
		if (h.last_tx.code > 0) {
			size_t used = strlen(c->reason);
			tls_fmt(c->reason + used, sizeof c->reason - used, "; vmport sent alert %s",
			        tls_alert_name(h.last_tx.code));
		}
	}
	}
}

/* After wolfSSL says the handshake is complete: the peer must have passed our verify callback and
 * the suite must suit the mode. */
static enum tls_status finish_handshake(struct tls_conn *c)
{
	const char *v = wolfSSL_get_version(c->ssl);
	const char *name = wolfSSL_get_cipher_name(c->ssl);
	tls_fmt(c->version, sizeof c->version, "%s", v ? v : "");
	tls_fmt(c->cipher, sizeof c->cipher, "%s", name ? name : "");
	bool client = c->ctx->role == TLS_ROLE_CLIENT;
	if (!c->peer_verified) {
		/* Fail closed: a handshake that never showed us a certificate (resumption, a build without
		 * WOLFSSL_ALWAYS_VERIFY_CB) is not authenticated. */
		tls_conn_set_reason(c, TLS_FAIL_NO_PEER_CERT,
		                    "the %s's certificate was never checked by vmport",
		                    client ? "server" : "client");
		goto refuse;
	}
	if (!tls_cipher_allowed(c->ctx->mode, c->cipher)) {
		bool is_null = strstr(c->cipher, "NULL") != NULL;
		tls_conn_set_reason(
		    c, TLS_FAIL_CIPHER_POLICY,
		    "negotiated %s with %s, which is %s: not acceptable in %s mode", c->cipher, c->version,
		    is_null ? "a NULL (unencrypted) suite" : "an encrypting or unlisted suite",
		    tls_mode_name(c->ctx->mode));
		goto refuse;
	}
	tls_keylog_after_handshake(c);
	c->established = true;
	LOGD(TLS_LOG, "%s: established %s %s, peer %s", c->label, c->version, c->cipher, c->peer_fp);
	return TLS_DONE;
refuse:
	c->failed = true;
	wolfSSL_shutdown(c->ssl); /* best effort close_notify; the caller closes the socket */
	return TLS_ERROR;
}

enum tls_status tls_conn_handshake(struct tls_conn *c)
{
	if (c->established)
		return TLS_DONE;
	if (c->failed)
		return TLS_ERROR;
	int ret = c->ctx->role == TLS_ROLE_CLIENT ? wolfSSL_connect(c->ssl) : wolfSSL_accept(c->ssl);
	if (ret == WOLFSSL_SUCCESS)
		return finish_handshake(c);
	int err = wolfSSL_get_error(c->ssl, ret);
	if (err == WOLFSSL_ERROR_WANT_READ)
		return TLS_WANT_READ;
	if (err == WOLFSSL_ERROR_WANT_WRITE)
		return TLS_WANT_WRITE;
	fail_from_error(c, err, "handshake");
	LOGD(TLS_LOG, "%s: handshake failed: %s", c->label, c->reason);
	return TLS_ERROR;
}

enum tls_status tls_conn_read(struct tls_conn *c, void *buf, size_t cap, size_t *got)
{
	*got = 0;
	if (c->failed)
		return TLS_ERROR;
	if (!c->established) {
		enum tls_status s = tls_conn_handshake(c);
		if (s != TLS_DONE)
			return s;
	}
	if (cap > 0x7fffffff)
		cap = 0x7fffffff;
	int n = wolfSSL_read(c->ssl, buf, (int)cap);
	if (n > 0) {
		*got = (size_t)n;
		return TLS_DONE;
	}
	int err = wolfSSL_get_error(c->ssl, n);
	if (err == WOLFSSL_ERROR_WANT_READ)
		return TLS_WANT_READ;
	if (err == WOLFSSL_ERROR_WANT_WRITE)
		return TLS_WANT_WRITE;
	if (err == WOLFSSL_ERROR_ZERO_RETURN)
		return TLS_CLOSED; /* the peer's close_notify: not an error */
	if (c->io_eof && c->io_errno == 0 && c->fail == TLS_FAIL_NONE) {
		WOLFSSL_ALERT_HISTORY h;
		memset(&h, 0, sizeof h);
		h.last_rx.code = -1;
		wolfSSL_get_alert_history(c->ssl, &h);
		if (h.last_rx.code <= 0) {
			c->failed = true;
			tls_conn_set_reason(c, TLS_FAIL_IO,
			                    "peer closed the TCP connection without close_notify");
			return TLS_ERROR;
		}
	}
	fail_from_error(c, err, "session");
	return TLS_ERROR;
}

enum tls_status tls_conn_write(struct tls_conn *c, const void *buf, size_t len)
{
	if (c->failed)
		return TLS_ERROR;
	if (!c->established) {
		enum tls_status s = tls_conn_handshake(c);
		if (s != TLS_DONE)
			return s;
	}
	if (len == 0)
		return TLS_DONE;
	if (len > 0x7fffffff)
		return TLS_ERROR;
	int n = wolfSSL_write(c->ssl, buf, (int)len);
	if (n == (int)len)
		return TLS_DONE;
	int err = wolfSSL_get_error(c->ssl, n);
	if (err == WOLFSSL_ERROR_WANT_WRITE)
		return TLS_WANT_WRITE;
	if (err == WOLFSSL_ERROR_WANT_READ)
		return TLS_WANT_READ;
	fail_from_error(c, err, "session");
	return TLS_ERROR;
}

enum tls_status tls_conn_close(struct tls_conn *c)
{
	if (c->failed)
		return TLS_ERROR;
	c->closing = true;
	int ret = wolfSSL_shutdown(c->ssl);
	if (ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE)
		return TLS_DONE; /* ours is sent; SCCP does not wait for the peer's */
	int err = wolfSSL_get_error(c->ssl, ret);
	if (err == WOLFSSL_ERROR_WANT_WRITE)
		return TLS_WANT_WRITE;
	if (err == WOLFSSL_ERROR_WANT_READ)
		return TLS_WANT_READ;
	if (err == WOLFSSL_ERROR_ZERO_RETURN)
		return TLS_DONE;
	fail_from_error(c, err, "close");
	return TLS_ERROR;
}

size_t tls_conn_pending(struct tls_conn *c)
{
	int n = wolfSSL_pending(c->ssl);
	return n > 0 ? (size_t)n : 0;
}

int tls_conn_fd(const struct tls_conn *c)
{
	return c->fd;
}

bool tls_conn_established(const struct tls_conn *c)
{
	return c->established && !c->failed;
}

const char *tls_conn_version(const struct tls_conn *c)
{
	return c->version;
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	return c->cipher;
}

bool tls_conn_peer_sha256(const struct tls_conn *c, uint8_t out[32])
{
	if (!c->have_peer)
		return false;
	memcpy(out, c->peer_sha256, 32);
	return true;
}

const char *tls_conn_peer_fingerprint(const struct tls_conn *c)
{
	return c->peer_fp;
}

const char *tls_conn_peer_subject(const struct tls_conn *c)
{
	return c->peer_subject;
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c->fail != TLS_FAIL_NONE || c->failed ? c->reason : "";
}

enum tls_fail tls_conn_fail(const struct tls_conn *c)
{
	return c->fail;
}

int tls_conn_alert_received(const struct tls_conn *c)
{
	return c->alert_rx;
}
