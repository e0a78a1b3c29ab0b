/* NSS key log (lab only), so Wireshark/tshark can decrypt 2443:
 *   TLS 1.2: "CLIENT_RANDOM <client random> <master secret>", written once the handshake is done
 *            from the arrays wolfSSL keeps for us (both roles).
 *   TLS 1.3: "CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>" etc., from the per-connection
 *            secret callback (needs a wolfSSL built with HAVE_SECRET_CALLBACK; tls_ctx.c caps the
 *            version at 1.2 otherwise).
 * wolfSSL_CTX_set_keylog_callback is not used: in 5.5.4 it logs TLS 1.2 only on the client and its
 * return value overwrites a pending WANT_WRITE inside SendClientKeyExchange. Each line is one
 * write() on an O_APPEND descriptor, so several contexts and processes can share the file. */
#include "tls/tls_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int tls_keylog_open(const char *path, char *err, size_t err_cap)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		tls_fmt(err, err_cap, "tls_keylog %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		tls_fmt(err, err_cap, "tls_keylog %s: not a regular file", path);
		close(fd);
		return -1;
	}
	/* An existing file keeps its mode through O_CREAT: secrets are for the owner only. */
	if ((st.st_mode & 077) && fchmod(fd, 0600) != 0) {
		tls_fmt(err, err_cap, "tls_keylog %s: cannot make it private (mode 0600): %s", path,
		        strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void keylog_line(struct tls_conn *c, const char *label, const uint8_t *secret, size_t secret_len)
{
	uint8_t cr[32];
	if (secret_len == 0 || secret_len > 64 ||
	    wolfSSL_get_client_random(c->ssl, cr, sizeof cr) != sizeof cr)
		return;
	char line[64 + 2 * 32 + 2 * 64 + 4];
	char cr_hex[65], sec_hex[129];
	tls_hex(cr, sizeof cr, cr_hex);
	tls_hex(secret, secret_len, sec_hex);
	int n = snprintf(line, sizeof line, "%s %s %s\n", label, cr_hex, sec_hex);
	memset(sec_hex, 0, sizeof sec_hex);
	if (n > 0 && (size_t)n < sizeof line) {
		ssize_t w = write(c->ctx->keylog_fd, line, (size_t)n);
		if (w != n)
			LOGW(TLS_LOG, "%s: key log write failed: %s", c->label,
			     w < 0 ? strerror(errno) : "short write");
	}
	memset(line, 0, sizeof line);
}

#if defined(HAVE_SECRET_CALLBACK) && defined(WOLFSSL_TLS13)
static int tls13_secret_cb(WOLFSSL *ssl, int id, const unsigned char *secret, int secret_len, void *arg)
{
	(void)ssl;
	struct tls_conn *c = arg;
	const char *label = NULL;
	switch (id) {
	case CLIENT_EARLY_TRAFFIC_SECRET:
		label = "CLIENT_EARLY_TRAFFIC_SECRET";
		break;
	case CLIENT_HANDSHAKE_TRAFFIC_SECRET:
		label = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
		break;
	case SERVER_HANDSHAKE_TRAFFIC_SECRET:
		label = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
		break;
	case CLIENT_TRAFFIC_SECRET:
		label = "CLIENT_TRAFFIC_SECRET_0";
		break;
	case SERVER_TRAFFIC_SECRET:
		label = "SERVER_TRAFFIC_SECRET_0";
		break;
	case EARLY_EXPORTER_SECRET:
		label = "EARLY_EXPORTER_SECRET";
		break;
	case EXPORTER_SECRET:
		label = "EXPORTER_SECRET";
		break;
	default:
		return 0;
	}
	if (secret_len > 0)
		keylog_line(c, label, secret, (size_t)secret_len);
	return 0; /* never fail a handshake because of the lab log */
}
#endif

void tls_keylog_attach(struct tls_conn *c)
{
	/* Keep the randoms and the master secret past the handshake for the TLS 1.2 line. */
	wolfSSL_KeepArrays(c->ssl);
#if defined(HAVE_SECRET_CALLBACK) && defined(WOLFSSL_TLS13)
	wolfSSL_set_tls13_secret_cb(c->ssl, tls13_secret_cb, c);
#endif
}

void tls_keylog_after_handshake(struct tls_conn *c)
{
	if (c->ctx->keylog_fd < 0)
		return;
	if (wolfSSL_version(c->ssl) == TLS1_2_VERSION) {
		unsigned char *ms = NULL, *sr = NULL, *cr = NULL;
		unsigned int ms_len = 0, sr_len = 0, cr_len = 0;
		if (wolfSSL_get_keys(c->ssl, &ms, &ms_len, &sr, &sr_len, &cr, &cr_len) == WOLFSSL_SUCCESS &&
		    ms && ms_len == 48)
			keylog_line(c, "CLIENT_RANDOM", ms, ms_len);
		else
			LOGW(TLS_LOG, "%s: no master secret for the key log", c->label);
	}
	wolfSSL_FreeArrays(c->ssl);
}
