#include "tls_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef VMPORT_TLS_MKCERTS
#error "VMPORT_TLS_MKCERTS must name tests/tls/mkcerts.sh"
#endif

static char pki_dir[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void pki_cleanup(void)
{
	if (pki_dir[0] && !getenv("VMPORT_TLS_KEEP"))
		nftw(pki_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tt_pki(void)
{
	if (pki_dir[0])
		return pki_dir;
	char tmpl[] = "/tmp/vmport-tls-XXXXXX";
	if (!mkdtemp(tmpl))
		return NULL;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "%s %s", VMPORT_TLS_MKCERTS, tmpl);
	if (system(cmd) != 0) {
		fprintf(stderr, "mkcerts failed: %s\n", cmd);
		return NULL;
	}
	snprintf(pki_dir, sizeof pki_dir, "%s", tmpl);
	atexit(pki_cleanup);
	return pki_dir;
}

const char *tt_path(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, 512, "%s/%s", tt_pki(), name);
	return b;
}

size_t tt_read(const char *name, uint8_t **data)
{
	*data = NULL;
	FILE *f = fopen(tt_path(name), "rb");
	if (!f)
		return 0;
	uint8_t *buf = malloc(1 << 16);
	size_t n = buf ? fread(buf, 1, 1 << 16, f) : 0;
	fclose(f);
	if (n == 0) {
		free(buf);
		return 0;
	}
	*data = buf;
	return n;
}

int tt_openssl_fingerprint(const char *pem_name, char out[96])
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "openssl x509 -in %s -noout -fingerprint -sha256", tt_path(pem_name));
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[256] = "";
	char *ok = fgets(line, sizeof line, p);
	pclose(p);
	char *eq = ok ? strchr(line, '=') : NULL;
	if (!eq)
		return -1;
	snprintf(out, 96, "%s", eq + 1);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

int tt_listen(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int tt_free_port(void)
{
	int port = 0;
	int fd = tt_listen(&port);
	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

int tt_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int tt_spawn(struct tt_proc *p, char *const argv[])
{
	memset(p, 0, sizeof *p);
	int out[2], in[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(in, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(in[0]);
	p->pid = pid;
	p->out = out[0];
	p->in = in[1];
	fcntl(p->out, F_SETFL, fcntl(p->out, F_GETFL) | O_NONBLOCK);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read what is there; false at EOF. */
static bool read_some(struct tt_proc *p, int wait_ms)
{
	struct pollfd pfd = {.fd = p->out, .events = POLLIN};
	if (poll(&pfd, 1, wait_ms) <= 0)
		return true;
	char buf[4096];
	ssize_t n = read(p->out, buf, sizeof buf);
	if (n <= 0)
		return n < 0 && errno == EAGAIN;
	size_t room = sizeof p->log - 1 - p->log_len;
	size_t take = (size_t)n < room ? (size_t)n : room;
	/* Keep it a C string for strstr: binary bytes become '.'. */
	for (size_t i = 0; i < take; i++)
		p->log[p->log_len + i] = buf[i] ? buf[i] : '.';
	p->log_len += take;
	p->log[p->log_len] = '\0';
	return true;
}

bool tt_wait_output(struct tt_proc *p, const char *needle, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	while (!strstr(p->log, needle)) {
		long left = end - now_ms();
		if (left <= 0 || !read_some(p, (int)(left < 50 ? left : 50)))
			return strstr(p->log, needle) != NULL;
	}
	return true;
}

static bool reap(struct tt_proc *p, int flags)
{
	if (p->exited)
		return true;
	int st;
	if (p->pid > 0 && waitpid(p->pid, &st, flags) == p->pid) {
		p->exited = true;
		p->status = st;
		while (read_some(p, 0)) {
			struct pollfd pfd = {.fd = p->out, .events = POLLIN};
			if (poll(&pfd, 1, 0) <= 0 || p->log_len >= sizeof p->log - 1)
				break;
		}
	}
	return p->exited;
}

void tt_drain(struct tt_proc *p, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	while (now_ms() < end && !reap(p, WNOHANG) && read_some(p, 20))
		;
}

int tt_wait_exit(struct tt_proc *p, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	while (!reap(p, WNOHANG)) {
		if (now_ms() >= end)
			return INT32_MIN;
		read_some(p, 20);
	}
	return p->status;
}

int tt_stop(struct tt_proc *p)
{
	if (p->pid > 0 && !reap(p, WNOHANG)) {
		kill(p->pid, SIGTERM);
		reap(p, 0);
	}
	if (p->out >= 0)
		close(p->out);
	if (p->in >= 0)
		close(p->in);
	p->out = p->in = -1;
	p->pid = 0;
	return p->status;
}

int tt_s_server(struct tt_proc *p, const char *cert, const char *key, const char *const *extra)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int port = tt_free_port();
		char accept[32];
		snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
		const char *argv[40] = {"openssl", "s_server",   "-accept",  accept, "-cert",   tt_path(cert),
		                        "-key",    tt_path(key), "-naccept", "1",    "-ign_eof"};
		int n = 11;
		for (size_t i = 0; extra && extra[i] && n < 38; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		if (tt_spawn(p, (char *const *)argv) != 0)
			return -1;
		if (tt_wait_output(p, "ACCEPT", 5000))
			return port;
		fprintf(stderr, "s_server did not start (attempt %d): %s\n", attempt + 1, p->log);
		tt_stop(p);
	}
	return -1;
}

static enum tls_status wait_io(struct tls_conn *c, enum tls_status s, long end)
{
	struct pollfd pfd = {.fd = tls_conn_fd(c), .events = s == TLS_WANT_WRITE ? POLLOUT : POLLIN};
	long left = end - now_ms();
	if (left <= 0)
		return TLS_ERROR;
	poll(&pfd, 1, (int)left);
	return s;
}

enum tls_status tt_handshake(struct tls_conn *c, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	for (;;) {
		enum tls_status s = tls_conn_handshake(c);
		if (s != TLS_WANT_READ && s != TLS_WANT_WRITE)
			return s;
		if (wait_io(c, s, end) == TLS_ERROR)
			return TLS_ERROR;
	}
}

enum tls_status tt_read_exact(struct tls_conn *c, void *buf, size_t n, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	size_t have = 0;
	while (have < n) {
		size_t got = 0;
		enum tls_status s = tls_conn_read(c, (uint8_t *)buf + have, n - have, &got);
		if (s == TLS_DONE) {
			have += got;
			continue;
		}
		if (s != TLS_WANT_READ && s != TLS_WANT_WRITE)
			return s;
		if (wait_io(c, s, end) == TLS_ERROR)
			return TLS_ERROR;
	}
	return TLS_DONE;
}

enum tls_status tt_write_all(struct tls_conn *c, const void *buf, size_t n, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	for (;;) {
		enum tls_status s = tls_conn_write(c, buf, n);
		if (s != TLS_WANT_READ && s != TLS_WANT_WRITE)
			return s;
		if (wait_io(c, s, end) == TLS_ERROR)
			return TLS_ERROR;
	}
}

void tt_handshake_pair(struct tls_conn *client, struct tls_conn *server, enum tls_status *cs,
                       enum tls_status *ss)
{
	*cs = *ss = TLS_WANT_READ;
	for (int i = 0; i < 200; i++) {
		bool c_busy = *cs == TLS_WANT_READ || *cs == TLS_WANT_WRITE;
		bool s_busy = *ss == TLS_WANT_READ || *ss == TLS_WANT_WRITE;
		if (!c_busy && !s_busy)
			return;
		if (c_busy)
			*cs = tls_conn_handshake(client);
		if (s_busy)
			*ss = tls_conn_handshake(server);
		/* one side failed: the other needs one more step to see it (alert or close) */
		if (*cs == TLS_ERROR || *ss == TLS_ERROR) {
			if (*cs == TLS_WANT_READ || *cs == TLS_WANT_WRITE)
				*cs = tls_conn_handshake(client);
			if (*ss == TLS_WANT_READ || *ss == TLS_WANT_WRITE)
				*ss = tls_conn_handshake(server);
			return;
		}
	}
}

void tt_capture_tap(void *arg, enum tls_dir dir, const uint8_t *bytes, size_t len)
{
	struct tt_capture *cap = arg;
	if (cap->n == cap->cap) {
		size_t ncap = cap->cap ? cap->cap * 2 : 32;
		struct tt_seg *s = realloc(cap->segs, ncap * sizeof *s);
		if (!s)
			return;
		cap->segs = s;
		cap->cap = ncap;
	}
	uint8_t *copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, bytes, len);
	cap->segs[cap->n++] = (struct tt_seg){dir, copy, len};
}

void tt_capture_free(struct tt_capture *cap)
{
	for (size_t i = 0; i < cap->n; i++)
		free(cap->segs[i].bytes);
	free(cap->segs);
	memset(cap, 0, sizeof *cap);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct pcap_side {
	uint16_t port;
	uint32_t ip;
	uint32_t seq;
};

static void write_packet(FILE *f, struct pcap_side *from, const struct pcap_side *to, uint8_t flags,
                         const uint8_t *data, size_t len, uint32_t t)
{
	uint8_t pkt[40 + 1460];
	size_t total = 40 + len;
	memset(pkt, 0, 40);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)total);
	pkt[8] = 64;
	pkt[9] = 6;
	put32(pkt + 12, from->ip);
	put32(pkt + 16, to->ip);
	put16(pkt + 10, ip_checksum(pkt, 20));
	put16(pkt + 20, from->port);
	put16(pkt + 22, to->port);
	put32(pkt + 24, from->seq);
	put32(pkt + 28, (flags & 0x10) ? to->seq : 0);
	pkt[32] = 5 << 4;
	pkt[33] = flags;
	put16(pkt + 34, 65535);
	if (len)
		memcpy(pkt + 40, data, len);
	/* pcap record header, in host order like the file header */
	uint32_t hdr[4] = {t / 1000, (t % 1000) * 1000, (uint32_t)total, (uint32_t)total};
	fwrite(hdr, sizeof hdr, 1, f);
	fwrite(pkt, total, 1, f);
	from->seq += (uint32_t)len + ((flags & 0x03) ? 1 : 0); /* SYN/FIN take one */
}

int tt_capture_write_pcap(const struct tt_capture *cap, const char *path, uint16_t local_port,
                          uint16_t remote_port)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101 /* LINKTYPE_RAW: IPv4 */};
	fwrite(gh, sizeof gh, 1, f);
	struct pcap_side local = {local_port, 0x7f000001, 1000}, remote = {remote_port, 0x7f000001, 5000};
	uint32_t t = 1000;
	write_packet(f, &local, &remote, 0x02, NULL, 0, t++); /* SYN */
	write_packet(f, &remote, &local, 0x12, NULL, 0, t++); /* SYN-ACK */
	write_packet(f, &local, &remote, 0x10, NULL, 0, t++); /* ACK */
	for (size_t i = 0; i < cap->n; i++) {
		const struct tt_seg *s = &cap->segs[i];
		struct pcap_side *from = s->dir == TLS_DIR_OUT ? &local : &remote;
		struct pcap_side *to = s->dir == TLS_DIR_OUT ? &remote : &local;
		for (size_t off = 0; off < s->len; off += 1400) {
			size_t n = s->len - off < 1400 ? s->len - off : 1400;
			write_packet(f, from, to, 0x18, s->bytes + off, n, t++);
		}
	}
	fclose(f);
	return 0;
}

struct tls_ctx *tt_ctx(enum tls_role role, enum tls_mode mode, const char *cert, const char *chain,
                       const char *key, const char *trust, bool tls13, const char *keylog, char *err,
                       size_t err_cap)
{
	struct tls_ctx_config cfg;
	tls_ctx_config_init(&cfg, role, mode);
	cfg.cert_file = cert ? tt_path(cert) : NULL;
	cfg.chain_file = chain ? tt_path(chain) : NULL;
	cfg.key_file = key ? tt_path(key) : NULL;
	uint8_t *trust_data = NULL;
	if (trust) {
		size_t n = tt_read(trust, &trust_data);
		cfg.trust = (struct tls_blob){trust_data, n};
	}
	cfg.allow_tls13 = tls13;
	cfg.keylog_file = keylog;
	struct tls_ctx *ctx = tls_ctx_new(&cfg, err, err_cap);
	free(trust_data);
	return ctx;
}
