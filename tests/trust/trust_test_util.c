#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "trust_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef VMPORT_IN_TFTPD
#define VMPORT_IN_TFTPD "/usr/sbin/in.tftpd"
#endif

static void copy_name(char *dst, const char *src)
{
	if (src != NULL) {
		strncpy(dst, src, CTC_NAME_SIZE - 1);
		dst[CTC_NAME_SIZE - 1] = '\0';
	}
}

int tt_make_id(struct tt_id *out, int bits, const char *cn, const char *unit, uint32_t serial)
{
	WC_RNG rng;
	RsaKey key;
	Cert cert;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = wc_InitRng(&rng)) != 0)
		return rc;
	wc_InitRsaKey(&key, NULL);
	if ((rc = wc_MakeRsaKey(&key, bits, WC_RSA_EXPONENT, &rng)) != 0)
		goto out;
	if ((rc = wc_RsaKeyToDer(&key, out->key, sizeof(out->key))) < 0)
		goto out;
	out->key_len = (size_t)rc;
	wc_InitCert(&cert);
	copy_name(cert.subject.country, "NZ");
	copy_name(cert.subject.org, "vmport trust test");
	copy_name(cert.subject.unit, unit);
	copy_name(cert.subject.commonName, cn);
	cert.sigType = CTC_SHA256wRSA;
	cert.daysValid = 365;
	for (int i = 0; i < 4; i++)
		cert.serial[i] = (uint8_t)(serial >> (24 - 8 * i));
	cert.serial[0] |= 0x10; /* positive, four bytes, no leading zero */
	cert.serial[0] &= 0x7f;
	cert.serialSz = 4;
	if ((rc = wc_MakeSelfCert(&cert, out->cert, sizeof(out->cert), &key, &rng)) < 0)
		goto out;
	out->cert_len = (size_t)rc;
	rc = 0;
out:
	wc_FreeRsaKey(&key);
	wc_FreeRng(&rng);
	return rc;
}

size_t tt_build_ctl(uint8_t *out, size_t cap, const struct tt_id *signer, const struct ctl_build_record *recs,
                    size_t n, uint32_t timestamp)
{
	struct ctl_build_params p = {
	    .sast_key = signer->key,
	    .sast_key_len = signer->key_len,
	    .sast_cert = signer->cert,
	    .sast_cert_len = signer->cert_len,
	    .records = recs,
	    .n_records = n,
	    .digest = CTL_DIGEST_SHA256,
	    .timestamp = timestamp,
	};
	struct ctl_error err;
	size_t len = 0;
	enum ctl_err rc = ctl_build(&p, out, cap, &len, &err);
	if (rc != CTL_OK) {
		char text[300];
		fprintf(stderr, "tt_build_ctl: %s\n", ctl_error_format(&err, text, sizeof(text)));
		return 0;
	}
	return len;
}

int tt_write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (fp == NULL)
		return -1;
	size_t w = fwrite(data, 1, len, fp);
	int rc = fclose(fp);
	if (w != len || rc != 0)
		return -1;
	return chmod(path, 0644);
}

uint8_t *tt_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	size_t cap = 4096, n = 0, got;
	uint8_t *buf = malloc(cap + 1);
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, 2 * cap + 1);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(fp);
	if (buf != NULL) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

int tt_mkdtemp(char *out, size_t cap, const char *tag)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(out, cap, "%s/vmport-%s-XXXXXX", base, tag);
	if (mkdtemp(out) == NULL)
		return -1;
	return chmod(out, 0755);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tt_rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

uint16_t tt_free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	uint16_t port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

const char *tt_tftpd_path(void)
{
	return access(VMPORT_IN_TFTPD, X_OK) == 0 ? VMPORT_IN_TFTPD : NULL;
}

/* in.tftpd is bound once we can no longer bind the port ourselves. */
static bool port_taken(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool taken = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno == EADDRINUSE;
	if (fd >= 0)
		close(fd);
	return taken;
}

int tt_tftpd_start(struct tt_tftpd *d, const char *root)
{
	const char *path = tt_tftpd_path();
	memset(d, 0, sizeof(*d));
	if (path == NULL)
		return -1;
	for (int attempt = 0; attempt < 5; attempt++) {
		uint16_t port = tt_free_udp_port();
		char addr[32];
		snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
			}
			execl(path, path, "-L", "-s", root, "-a", addr, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) { /* up to 2 s */
			int status;
			if (waitpid(pid, &status, WNOHANG) == pid)
				break; /* exited: port raced away or cannot start */
			if (port_taken(port)) {
				d->pid = pid;
				d->port = port;
				return 0;
			}
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

void tt_tftpd_stop(struct tt_tftpd *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
	}
	d->pid = 0;
}

static int saved_fd = -1;
static FILE *capture_file;

void tt_capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	saved_fd = dup(2);
	if (capture_file != NULL && saved_fd >= 0)
		dup2(fileno(capture_file), 2);
}

char *tt_capture_end(void)
{
	fflush(stderr);
	if (saved_fd >= 0) {
		dup2(saved_fd, 2);
		close(saved_fd);
		saved_fd = -1;
	}
	if (capture_file == NULL)
		return strdup("");
	long n = ftell(capture_file);
	char *text = malloc(n > 0 ? (size_t)n + 1 : 1);
	size_t got = 0;
	if (text != NULL && n > 0) {
		rewind(capture_file);
		got = fread(text, 1, (size_t)n, capture_file);
	}
	if (text != NULL)
		text[got] = '\0';
	fclose(capture_file);
	capture_file = NULL;
	if (text != NULL)
		fputs(text, stderr);
	return text ? text : strdup("");
}
