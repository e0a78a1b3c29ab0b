/* Handshake rate of firmware/tls: N mutual-auth RSA-2048 handshakes, client and server in one
 * process over socketpairs, with vmport's suites, pinning and CallManager-trust checks, stepped
 * non-blocking exactly as the event loop does. Built against the tuned wolfSSL by CMake, and
 * against Debian's libwolfssl too by scripts/bench-tls-compare.sh.
 *
 * usage: bench_handshake [-n N] [-d PKI_DIR] [-c SUITES] [-m encrypted|authenticated]
 *   -d  a directory made by tests/tls/mkcerts.sh (default: make one in /tmp and remove it)
 *   -c  restrict the suites (OpenSSL names); without a TLS13- suite the session is TLS 1.2 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tls/tls.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: the rate per CPU second is steadier on a shared machine. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(1 << 16);
	*len = buf ? fread(buf, 1, 1 << 16, f) : 0;
	fclose(f);
	return buf;
}

static int step(struct tls_conn *c, enum tls_status *s)
{
	if (*s == TLS_WANT_READ || *s == TLS_WANT_WRITE)
		*s = tls_conn_handshake(c);
	return *s == TLS_WANT_READ || *s == TLS_WANT_WRITE;
}

int main(int argc, char **argv)
{
	long n = 500;
	const char *dir = NULL, *suites = NULL;
	enum tls_mode mode = TLS_MODE_ENCRYPTED;
	int opt;
	while ((opt = getopt(argc, argv, "n:d:c:m:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'c':
			suites = optarg;
			break;
		case 'm':
			mode = strcmp(optarg, "authenticated") ? TLS_MODE_ENCRYPTED : TLS_MODE_AUTHENTICATED;
			break;
		default:
			fprintf(stderr,
			        "usage: %s [-n N] [-d PKI_DIR] [-c SUITES] [-m encrypted|authenticated]\n",
			        argv[0]);
			return 2;
		}
	}
	vm_log_set_level(VM_LOG_WARN);
	char tmp[] = "/tmp/vmport-bench-XXXXXX";
	bool own_dir = false;
	if (!dir) {
#ifdef VMPORT_TLS_MKCERTS
		if (!mkdtemp(tmp))
			return 1;
		char cmd[512];
		snprintf(cmd, sizeof cmd, "%s %s", VMPORT_TLS_MKCERTS, tmp);
		if (system(cmd) != 0) {
			fprintf(stderr, "mkcerts failed\n");
			return 1;
		}
		dir = tmp;
		own_dir = true;
#else
		fprintf(stderr, "-d PKI_DIR is required (tests/tls/mkcerts.sh DIR)\n");
		return 2;
#endif
	}
	char p[8][512];
	const char *names[] = {"port.pem", "root.pem", "port.key", "cm.pem", "cm.key", "cm.der", "root.pem"};
	for (int i = 0; i < 7; i++)
		snprintf(p[i], sizeof p[i], "%s/%s", dir, names[i]);
	size_t pin_len = 0, trust_len = 0;
	uint8_t *pin = read_all(p[5], &pin_len);
	uint8_t *trust = read_all(p[6], &trust_len);
	if (!pin || !trust) {
		fprintf(stderr, "%s: missing cm.der or root.pem\n", dir);
		return 1;
	}

	struct tls_ctx_config cc, sc;
	tls_ctx_config_init(&cc, TLS_ROLE_CLIENT, mode);
	cc.cert_file = p[0];
	cc.chain_file = p[1];
	cc.key_file = p[2];
	tls_ctx_config_init(&sc, TLS_ROLE_SERVER, mode);
	sc.cert_file = p[3];
	sc.key_file = p[4];
	sc.trust = (struct tls_blob){trust, trust_len};
	if (suites) {
		cc.cipher_list = sc.cipher_list = suites;
		cc.allow_tls13 = sc.allow_tls13 = strstr(suites, "TLS13") != NULL;
	}
	char err[400];
	struct tls_ctx *client = tls_ctx_new(&cc, err, sizeof err);
	if (!client) {
		fprintf(stderr, "client context: %s\n", err);
		return 1;
	}
	struct tls_ctx *server = tls_ctx_new(&sc, err, sizeof err);
	if (!server) {
		fprintf(stderr, "server context: %s\n", err);
		return 1;
	}

	char version[16] = "", cipher[64] = "";
	double t0 = now_s(), c0 = cpu_s();
	for (long i = 0; i < n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
			perror("socketpair");
			return 1;
		}
		struct tls_conn *c = tls_conn_new(
		    client, sv[0], &(struct tls_conn_opts){.pinned_der = pin, .pinned_len = pin_len});
		struct tls_conn *s = tls_conn_new(server, sv[1], NULL);
		if (!c || !s) {
			fprintf(stderr, "tls_conn_new: %s\n", strerror(errno));
			return 1;
		}
		enum tls_status cs = TLS_WANT_WRITE, ss = TLS_WANT_READ;
		for (int round = 0; round < 100; round++) {
			int busy = step(c, &cs);
			busy |= step(s, &ss);
			if (!busy)
				break;
		}
		if (cs != TLS_DONE || ss != TLS_DONE) {
			fprintf(stderr, "handshake %ld failed: client: %s | server: %s\n", i,
			        tls_conn_error(c), tls_conn_error(s));
			return 1;
		}
		if (i == 0) {
			snprintf(version, sizeof version, "%s", tls_conn_version(c));
			snprintf(cipher, sizeof cipher, "%s", tls_conn_cipher(c));
		}
		tls_conn_free(c);
		tls_conn_free(s);
		close(sv[0]);
		close(sv[1]);
	}
	double dt = now_s() - t0, dc = cpu_s() - c0;
	printf("%s\n", tls_library_info());
	printf("%ld mutual-auth RSA-2048 handshakes (%s mode, %s %s), client+server in one process: "
	       "%.1f handshakes/s (%.1f per CPU second)\n",
	       n, tls_mode_name(mode), version, cipher, (double)n / dt, dc > 0 ? (double)n / dc : 0.0);
	tls_ctx_free(client);
	tls_ctx_free(server);
	free(pin);
	free(trust);
	if (own_dir) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
