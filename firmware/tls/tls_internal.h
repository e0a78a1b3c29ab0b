/* Shared by the firmware/tls sources only. */
#ifndef VMPORT_TLS_INTERNAL_H
#define VMPORT_TLS_INTERNAL_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <stdarg.h>
#include <time.h>

#include "tls/tls.h"

#define TLS_LOG "tls"
#define TLS_REASON_MAX 400

struct tls_ctx {
	WOLFSSL_CTX *ssl_ctx;
	enum tls_role role;
	enum tls_mode mode;
	bool tls13;
	unsigned trust_count;
	int keylog_fd; /* -1: off */
};

struct tls_conn {
	struct tls_ctx *ctx;
	WOLFSSL *ssl;
	int fd;
	uint8_t *pinned; /* client: the CTL's CallManager certificate, DER */
	size_t pinned_len;
	char label[48];
	void (*tap)(void *arg, enum tls_dir dir, const uint8_t *bytes, size_t len);
	void *tap_arg;

	bool established;
	bool failed;
	bool peer_verified; /* our verify callback accepted the peer's leaf certificate */
	bool closing;
	enum tls_fail fail;
	int alert_rx;
	int io_errno; /* last socket error seen by the I/O callbacks (0: none) */
	bool io_eof;  /* the peer closed its side of the TCP connection */
	/* A send that failed with EPIPE/ECONNRESET: the peer refused us and closed, and its alert
	 * is usually still waiting to be read. Sends are swallowed until a read shows it (or the
	 * end of the stream); the errno is reported only if no alert came. */
	int send_errno_deferred;

	bool have_peer;
	uint8_t peer_sha256[32];
	char peer_fp[96];
	char peer_subject[160];
	char version[16];
	char cipher[64];
	char reason[TLS_REASON_MAX];
};

/* tls_conn.c */
void tls_conn_set_reason(struct tls_conn *c, enum tls_fail fail, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* tls_verify.c */
int tls_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store);
/* Validity of a DER certificate: 0 valid, 1 expired, -1 not yet valid, -2 unreadable. `when`
 * receives the notAfter (expired) or notBefore (not yet valid) date as text. */
int tls_cert_validity(const uint8_t *der, size_t len, time_t now, char *when, size_t when_cap);
/* "/O=.../CN=..." of a DER certificate's subject (issuer when `issuer`), "" when unreadable. */
void tls_cert_name(const uint8_t *der, size_t len, bool issuer, char *out, size_t cap);

/* tls_keylog.c */
int tls_keylog_open(const char *path, char *err, size_t err_cap);
void tls_keylog_attach(struct tls_conn *c);
void tls_keylog_after_handshake(struct tls_conn *c);

/* tls_util.c */
void tls_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tls_hex(const uint8_t *in, size_t len, char *out); /* lower-case, out holds 2*len+1 */

#endif
