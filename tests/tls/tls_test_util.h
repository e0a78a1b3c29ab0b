/* Helpers for the TLS tests: the test PKI (openssl CLI, made per run), openssl s_server/s_client
 * as child processes, free loopback ports, handshake pumps, and a pcap writer for tapped bytes. */
#ifndef VMPORT_TLS_TEST_UTIL_H
#define VMPORT_TLS_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tls/tls.h"

/* The PKI directory (made on first call by mkcerts.sh, removed at exit); NULL on failure. */
const char *tt_pki(void);
/* "<pki>/<name>" in a static rotating buffer. */
const char *tt_path(const char *name);
/* Read a PKI file into *data (malloc'd). Returns its length, 0 on failure. */
size_t tt_read(const char *name, uint8_t **data);
/* SHA-256 fingerprint as the openssl CLI prints it ("AA:BB:..."), for an independent check. */
int tt_openssl_fingerprint(const char *pem_name, char out[96]);

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to 0). */
int tt_free_port(void);
/* Blocking connect to 127.0.0.1:port, then O_NONBLOCK. -1 on failure. */
int tt_connect(int port);
/* A listening socket on 127.0.0.1 (port 0 = any); *port receives the port. */
int tt_listen(int *port);

struct tt_proc {
	pid_t pid;
	int out;         /* child's stdout+stderr */
	int in;          /* child's stdin */
	char log[16384]; /* what it printed so far */
	size_t log_len;
	bool exited;
	int status; /* wait status once exited */
};
/* Start argv (argv[0] is looked up in PATH) with pipes. Returns 0. */
int tt_spawn(struct tt_proc *p, char *const argv[]);
/* Read output until `needle` appears or timeout_ms passes; true when seen. */
bool tt_wait_output(struct tt_proc *p, const char *needle, int timeout_ms);
/* Collect output for up to timeout_ms or until the child exits. */
void tt_drain(struct tt_proc *p, int timeout_ms);
/* SIGTERM, reap, close pipes. Returns the exit status (or -signal). */
int tt_stop(struct tt_proc *p);
/* Wait up to timeout_ms for exit; returns the status or INT32_MIN on timeout. */
int tt_wait_exit(struct tt_proc *p, int timeout_ms);

/* openssl s_server on a free port with extra arguments (NULL-terminated); waits for ACCEPT.
 * Returns the port or -1. */
int tt_s_server(struct tt_proc *p, const char *cert, const char *key, const char *const *extra);

/* Step one connection with poll() until it is not WANT_*; timeout → TLS_ERROR. */
enum tls_status tt_handshake(struct tls_conn *c, int timeout_ms);
/* Read with poll() until n bytes or not WANT_*. */
enum tls_status tt_read_exact(struct tls_conn *c, void *buf, size_t n, int timeout_ms);
/* Write with poll() until done. */
enum tls_status tt_write_all(struct tls_conn *c, const void *buf, size_t n, int timeout_ms);
/* Step a client and a server (same process, e.g. a socketpair) until both are done or failed. */
void tt_handshake_pair(struct tls_conn *client, struct tls_conn *server, enum tls_status *cs,
                       enum tls_status *ss);

/* Captured TLS bytes of one TCP connection, written as a pcap with synthetic IPv4/TCP headers. */
struct tt_capture {
	struct tt_seg {
		enum tls_dir dir;
		uint8_t *bytes;
		size_t len;
	} * segs;
	size_t n, cap;
};
void tt_capture_tap(void *arg, enum tls_dir dir, const uint8_t *bytes, size_t len);
/* `local` is the side the tap ran on; ports as seen on the wire. Returns 0. */
int tt_capture_write_pcap(const struct tt_capture *cap, const char *path, uint16_t local_port,
                          uint16_t remote_port);
void tt_capture_free(struct tt_capture *cap);

/* cmocka skip() with a note when this wolfSSL build lacks a feature (Debian's package). */
#define TT_REQUIRE(feature, what)                                                                            \
	do {                                                                                                 \
		struct tls_features f_;                                                                      \
		tls_features(&f_);                                                                           \
		if (!f_.feature) {                                                                           \
			print_message("    skipped: this wolfSSL build has no %s\n", what);                  \
			skip();                                                                              \
		}                                                                                            \
	} while (0)

/* A PKI-based context: role/mode with cert+key (and chain / trust) from PKI file names. */
struct tls_ctx *tt_ctx(enum tls_role role, enum tls_mode mode, const char *cert, const char *chain,
                       const char *key, const char *trust, bool tls13, const char *keylog, char *err,
                       size_t err_cap);

#endif
