/* TLS for SCCP on 2443 (protocol.md §7.2-§7.4, §6.5, §9.1): wolfSSL contexts per role and security
 * mode, and non-blocking connections that one epoll thread steps by the hundred.
 *
 * - Client (a port): presents its certificate chain (port certificate + vmport root) and accepts
 *   the server only if its certificate byte-equals the CTL's CallManager certificate pinned for
 *   that server, or chains to it with that certificate as the only CA. No web PKI, no host names.
 * - Server (the lab CallManager): requires a client certificate issued by a certificate in its
 *   CallManager-trust directory.
 * - There is no plaintext path: a context exists only for Authenticated (NULL-SHA256/NULL-SHA,
 *   TLS 1.2) or Encrypted (CUCM's SCCP suite list + TLS 1.3) mode, and the suite a handshake
 *   negotiated is checked against the mode before the connection counts as established.
 *
 * Every refusal leaves a precise reason (tls_conn_error) and a category (tls_conn_fail); the
 * caller logs it with the port and what happens next. Nothing here blocks or sleeps. */
#ifndef VMPORT_TLS_H
#define VMPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum tls_role { TLS_ROLE_CLIENT, TLS_ROLE_SERVER };

/* The two secure modes only; values match enum vmport_security_mode. */
enum tls_mode { TLS_MODE_AUTHENTICATED = VMPORT_AUTHENTICATED, TLS_MODE_ENCRYPTED = VMPORT_ENCRYPTED };

/* Result of every stepping call. TLS_WANT_READ / TLS_WANT_WRITE: arm EPOLLIN / EPOLLOUT and call
 * again when the socket is ready (a write must be repeated with the same bytes). */
enum tls_status { TLS_DONE = 0, TLS_WANT_READ, TLS_WANT_WRITE, TLS_CLOSED, TLS_ERROR };

/* Why a connection failed; tls_conn_error() has the sentence. */
enum tls_fail {
	TLS_FAIL_NONE = 0,
	TLS_FAIL_NO_PIN,       /* client: no CTL CallManager certificate for this server */
	TLS_FAIL_PIN_MISMATCH, /* client: server certificate is not (and does not chain to) the pinned one */
	TLS_FAIL_CERT_EXPIRED, /* the peer's certificate is past notAfter */
	TLS_FAIL_CERT_NOT_YET_VALID, /* the peer's certificate is before notBefore (clocks: NTP) */
	TLS_FAIL_PEER_UNTRUSTED,     /* server: client certificate not issued by CallManager-trust */
	TLS_FAIL_NO_PEER_CERT,       /* the peer sent no certificate */
	TLS_FAIL_PEER_ALERT,         /* the peer sent a fatal alert (tls_conn_alert_received) */
	TLS_FAIL_CIPHER_POLICY,      /* the negotiated suite does not match the security mode */
	TLS_FAIL_IO,                 /* socket error, reset or close */
	TLS_FAIL_PROTOCOL,           /* any other TLS failure */
};

enum tls_dir { TLS_DIR_IN, TLS_DIR_OUT };

/* A certificate, key or trust blob in memory: PEM (detected by "-----BEGIN") or DER. */
struct tls_blob {
	const void *data;
	size_t len;
};

struct tls_ctx_config {
	enum tls_role role;
	enum tls_mode mode;
	/* Own identity. Certificate: a PEM file/buffer may hold the whole chain, leaf first; `chain`
	 * adds certificates after it (the port's chain = port certificate + vmport root). Each item is
	 * a file or a buffer (the buffer wins when both are set). */
	const char *cert_file;
	struct tls_blob cert;
	const char *chain_file;
	struct tls_blob chain;
	const char *key_file;
	struct tls_blob key;
	/* Server only: CallManager-trust = every *.pem in trust_dir plus `trust`. At least one
	 * certificate is required. */
	const char *trust_dir;
	struct tls_blob trust;
	/* Lab only: append NSS key-log lines (CLIENT_RANDOM, TLS 1.3 traffic secrets) to this file,
	 * created 0600 and opened O_APPEND. The caller logs tls_keylog_warning() at start. */
	const char *keylog_file;
	bool allow_tls13; /* Encrypted mode: offer/accept TLS 1.3 (default true) */
	/* There is no session resumption, on purpose: a resumed session skips the certificate checks
	 * (CTL pin, CallManager-trust) that make a connection acceptable. */
	/* Restrict the suites (OpenSSL names, ':'-separated), e.g. for a benchmark. Every name must
	 * be one the mode allows; NULL = the mode's full list. */
	const char *cipher_list;
};

struct tls_conn_opts {
	/* Client: the CTL's CallManager certificate (DER) for the server this socket reaches
	 * (protocol.md §6.5). Copied. Absent → the handshake is refused ("no pinned certificate"). */
	const uint8_t *pinned_der;
	size_t pinned_len;
	const char *sni;   /* client: optional server_name extension */
	const char *label; /* port or peer name for debug log lines */
	/* Optional: sees every byte written to / read from the socket (captures, tests). */
	void (*tap)(void *arg, enum tls_dir dir, const uint8_t *bytes, size_t len);
	void *tap_arg;
};

struct tls_ctx;
struct tls_conn;

/* Defaults: role, mode, allow_tls13 = true, everything else empty. */
void tls_ctx_config_init(struct tls_ctx_config *cfg, enum tls_role role, enum tls_mode mode);

/* Build a context. Returns NULL with the reason in err (which file, what failed). */
struct tls_ctx *tls_ctx_new(const struct tls_ctx_config *cfg, char *err, size_t err_cap);
void tls_ctx_free(struct tls_ctx *ctx);
enum tls_role tls_ctx_role(const struct tls_ctx *ctx);
enum tls_mode tls_ctx_mode(const struct tls_ctx *ctx);
/* Server: how many CallManager-trust certificates were loaded. */
unsigned tls_ctx_trust_count(const struct tls_ctx *ctx);

/* A connection on a connected, non-blocking stream socket. The caller keeps the fd (registers it
 * with the loop, closes it after tls_conn_free). I/O goes through vmport's own callbacks on the fd:
 * see README.md. Returns NULL with errno EINVAL (blocking or invalid fd) or ENOMEM. */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const struct tls_conn_opts *opts);
void tls_conn_free(struct tls_conn *c);

/* Step the handshake: TLS_DONE once established and the peer and suite passed the checks. */
enum tls_status tls_conn_handshake(struct tls_conn *c);
/* Read application bytes: TLS_DONE with *got > 0; TLS_CLOSED after the peer's close_notify. */
enum tls_status tls_conn_read(struct tls_conn *c, void *buf, size_t cap, size_t *got);
/* Write all of buf: TLS_DONE when wolfSSL took it; on TLS_WANT_* repeat with the same bytes. */
enum tls_status tls_conn_write(struct tls_conn *c, const void *buf, size_t len);
/* Send close_notify (does not wait for the peer's): TLS_DONE when it is on the wire. */
enum tls_status tls_conn_close(struct tls_conn *c);
/* Decrypted bytes buffered inside wolfSSL (read them before waiting for EPOLLIN again). */
size_t tls_conn_pending(struct tls_conn *c);

int tls_conn_fd(const struct tls_conn *c);
bool tls_conn_established(const struct tls_conn *c);
const char *tls_conn_version(const struct tls_conn *c); /* "TLSv1.2", "TLSv1.3"; "" before */
const char *tls_conn_cipher(const struct tls_conn *c);  /* OpenSSL-style name; "" before */
/* SHA-256 of the peer's leaf certificate (DER) once it was presented. */
bool tls_conn_peer_sha256(const struct tls_conn *c, uint8_t out[32]);
const char *tls_conn_peer_fingerprint(const struct tls_conn *c); /* "AA:BB:..."; "" if none */
const char *tls_conn_peer_subject(const struct tls_conn *c);     /* "/O=.../CN=..."; "" if none */
const char *tls_conn_error(const struct tls_conn *c);            /* last failure; "" if none */
enum tls_fail tls_conn_fail(const struct tls_conn *c);
int tls_conn_alert_received(const struct tls_conn *c); /* last fatal alert from the peer, or -1 */

/* --- helpers --- */
/* TLS_MODE_* for a port's security mode; -1 for Non-secure (there is no TLS context for it). */
int tls_mode_from_security(enum vmport_security_mode mode, enum tls_mode *out);
const char *tls_mode_name(enum tls_mode mode);
/* The suites a mode offers, OpenSSL-style names joined by ':' (TLS 1.3 suites first). */
const char *tls_mode_cipher_list(enum tls_mode mode);
/* Whether a negotiated suite (OpenSSL-style name) is acceptable in a mode. */
bool tls_cipher_allowed(enum tls_mode mode, const char *name);
/* "certificate_unknown", "unknown_ca", ... or "alert <n>". */
const char *tls_alert_name(int code);
/* SHA-256 of der as "AA:BB:..." (95 characters + NUL). Returns 0 or -1. */
int tls_fingerprint(const uint8_t *der, size_t len, char out[96]);
/* The warning the caller logs when a key log is configured. */
int tls_keylog_warning(char *buf, size_t cap, const char *path);
/* One line for the start-up log: wolfSSL version and the features this layer uses. */
const char *tls_library_info(void);

/* What the wolfSSL build can do. Debian's package has no static-RSA suites (so no NULL-SHA*
 * either: Authenticated mode is impossible) and no secret callback (no TLS 1.3 key log). */
struct tls_features {
	bool static_rsa;    /* AES128-SHA, AES256-SHA256, ... */
	bool authenticated; /* NULL-SHA256 / NULL-SHA: static RSA + NULL cipher */
	bool tls13;
	bool tls13_keylog; /* the TLS 1.3 secret callback */
};
void tls_features(struct tls_features *f);

#endif
