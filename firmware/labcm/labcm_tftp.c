/* The lab CallManager's read-only TFTP server (RFC 1350; protocol.md §6.5, §7.1): RRQ in octet
 * mode, 512-byte blocks, lock-step DATA/ACK from a fresh port per transfer (the transfer ID),
 * retransmission after 1 s, five tries. It serves the regular files of <state_dir>/tftp/ only
 * (the CTL), read into memory at start: nothing else on the disk can be named. Anything else gets
 * ERROR 1 "File not found"; WRQ gets ERROR 2. All on the event loop. */
#include "labcm/labcm_internal.h"

#include "log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock/hal_clock.h"

#define LOG_COMP "labcm"
#define TFTP_MAX_FILES 8
#define TFTP_MAX_TRANSFERS 32
#define TFTP_BLOCK 512
#define TFTP_TIMEOUT_MS 1000
#define TFTP_TRIES 5
#define TFTP_MAX_FILE (65535u * TFTP_BLOCK - 1u) /* block numbers do not wrap */

enum { OP_RRQ = 1, OP_WRQ = 2, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5 };
enum { ERR_UNDEFINED = 0, ERR_NOT_FOUND = 1, ERR_ACCESS = 2, ERR_ILLEGAL = 4, ERR_UNKNOWN_TID = 5 };

struct tftp_file {
	char name[64];
	uint8_t *data;
	size_t len;
};

struct tftp_xfer {
	struct vm_fd h;
	struct vm_timer timer;
	struct labcm_tftp *srv;
	bool in_use;
	const struct tftp_file *file;
	uint16_t block; /* the block in flight */
	unsigned tries;
	char peer[48];
};

struct labcm_tftp {
	struct labcm *lab;
	struct vm_fd h;
	struct tftp_file files[TFTP_MAX_FILES];
	size_t n_files;
	struct tftp_xfer xfers[TFTP_MAX_TRANSFERS];
	uint64_t served, not_found, failed;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void send_error(int fd, const struct sockaddr_in *to, uint16_t code, const char *msg)
{
	uint8_t pkt[128];
	put16(pkt, OP_ERROR);
	put16(pkt + 2, code);
	size_t n = strlen(msg);
	if (n > sizeof(pkt) - 5)
		n = sizeof(pkt) - 5;
	memcpy(pkt + 4, msg, n);
	pkt[4 + n] = '\0';
	if (to)
		sendto(fd, pkt, 5 + n, MSG_NOSIGNAL, (const struct sockaddr *)to, sizeof(*to));
	else
		send(fd, pkt, 5 + n, MSG_NOSIGNAL);
}

/* ---------------------------------------------------------------------------------------------
 * A transfer */

static void xfer_end(struct tftp_xfer *x)
{
	struct labcm *lab = x->srv->lab;
	vm_timer_cancel(&lab->loop, &x->timer);
	vm_loop_remove(&lab->loop, &x->h);
	close(x->h.fd);
	x->h.fd = -1;
	x->in_use = false;
}

static void xfer_send_block(struct tftp_xfer *x)
{
	uint8_t pkt[4 + TFTP_BLOCK];
	size_t off = (size_t)(x->block - 1) * TFTP_BLOCK;
	size_t n = x->file->len - off < TFTP_BLOCK ? x->file->len - off : TFTP_BLOCK;
	put16(pkt, OP_DATA);
	put16(pkt + 2, x->block);
	memcpy(pkt + 4, x->file->data + off, n);
	send(x->h.fd, pkt, 4 + n, MSG_NOSIGNAL); /* a lost or refused send is retried by the timer */
	x->tries++;
	vm_timer_arm_in(&x->srv->lab->loop, &x->timer, TFTP_TIMEOUT_MS);
}

static bool xfer_last_block(const struct tftp_xfer *x)
{
	/* A file of a whole number of blocks ends with an empty one. */
	return (size_t)x->block * TFTP_BLOCK > x->file->len;
}

static void on_xfer_io(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct tftp_xfer *x = h->arg;
	uint8_t pkt[TFTP_BLOCK + 4];
	for (;;) {
		if (!x->in_use)
			return;
		ssize_t n = recv(h->fd, pkt, sizeof(pkt), 0);
		if (n < 0)
			return; /* EAGAIN, or an ICMP error from a client that left: the timer decides */
		if (n < 4)
			continue;
		uint16_t op = get16(pkt), num = get16(pkt + 2);
		if (op == OP_ERROR) {
			x->srv->failed++;
			LOGW(LOG_COMP, "TFTP %s %s: the client sent ERROR %u; transfer abandoned", x->peer,
			     x->file->name, num);
			xfer_end(x);
			return;
		}
		if (op != OP_ACK) {
			send_error(h->fd, NULL, ERR_ILLEGAL, "Illegal TFTP operation");
			continue;
		}
		if (num != x->block)
			continue; /* a duplicate ACK: never answered (Sorcerer's Apprentice) */
		if (xfer_last_block(x)) {
			x->srv->served++;
			LOGI(LOG_COMP, "TFTP %s: sent %s (%zu bytes, %u blocks)", x->peer, x->file->name,
			     x->file->len, x->block);
			xfer_end(x);
			return;
		}
		x->block++;
		x->tries = 0;
		xfer_send_block(x);
	}
}

static void on_xfer_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	struct tftp_xfer *x = t->arg;
	if (!x->in_use)
		return;
	if (x->tries >= TFTP_TRIES) {
		x->srv->failed++;
		LOGW(LOG_COMP, "TFTP %s %s: no ACK for block %u after %d tries; transfer abandoned", x->peer,
		     x->file->name, x->block, TFTP_TRIES);
		xfer_end(x);
		return;
	}
	xfer_send_block(x);
}

static void xfer_start(struct labcm_tftp *srv, const struct tftp_file *f, const struct sockaddr_in *client,
                       const char *peer)
{
	struct labcm *lab = srv->lab;
	struct tftp_xfer *x = NULL;
	for (size_t i = 0; i < TFTP_MAX_TRANSFERS && !x; i++)
		if (!srv->xfers[i].in_use)
			x = &srv->xfers[i];
	if (!x) {
		send_error(srv->h.fd, client, ERR_UNDEFINED, "Server busy, try again");
		return;
	}
	/* A new socket, a new port: the server's transfer ID (RFC 1350 §4). */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = lab->listen_addr};
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    connect(fd, (const struct sockaddr *)client, sizeof(*client)) < 0) {
		LOGW(LOG_COMP, "TFTP %s: cannot open a transfer socket: %s", peer, strerror(errno));
		if (fd >= 0)
			close(fd);
		send_error(srv->h.fd, client, ERR_UNDEFINED, "Server out of sockets");
		return;
	}
	memset(x, 0, sizeof(*x));
	x->srv = srv;
	x->in_use = true;
	x->file = f;
	x->block = 1;
	snprintf(x->peer, sizeof(x->peer), "%s", peer);
	x->h = (struct vm_fd){.fd = fd, .cb = on_xfer_io, .arg = x};
	x->timer = (struct vm_timer){.cb = on_xfer_timer, .arg = x};
	if (vm_loop_add(&lab->loop, &x->h, EPOLLIN) < 0) {
		close(fd);
		x->in_use = false;
		return;
	}
	xfer_send_block(x);
}

/* ---------------------------------------------------------------------------------------------
 * Requests on the well-known port */

static const struct tftp_file *find_file(const struct labcm_tftp *srv, const char *name)
{
	if (name[0] == '/') /* some clients ask for "/CTLFile.tlv" */
		name++;
	for (size_t i = 0; i < srv->n_files; i++)
		if (!strcmp(srv->files[i].name, name))
			return &srv->files[i];
	return NULL;
}

static void on_request(struct labcm_tftp *srv, const uint8_t *pkt, size_t len, const struct sockaddr_in *from)
{
	char peer[48], ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &from->sin_addr, ip, sizeof(ip));
	snprintf(peer, sizeof(peer), "%s:%u", ip, ntohs(from->sin_port));
	uint16_t op = len >= 2 ? get16(pkt) : 0;
	if (op == OP_WRQ) {
		LOGW(LOG_COMP, "TFTP %s: write request refused (read-only server)", peer);
		send_error(srv->h.fd, from, ERR_ACCESS, "Access violation: read-only server");
		return;
	}
	if (op != OP_RRQ) {
		send_error(srv->h.fd, from, ERR_ILLEGAL, "Illegal TFTP operation");
		return;
	}
	/* filename NUL mode NUL [option NUL value NUL ...]: options (RFC 2347) are not acknowledged,
	 * so the client falls back to RFC 1350's 512-byte blocks. */
	const char *name = (const char *)pkt + 2;
	size_t name_len = strnlen(name, len - 2);
	if (name_len == 0 || name_len == len - 2) {
		send_error(srv->h.fd, from, ERR_ILLEGAL, "Malformed request");
		return;
	}
	const char *mode = name + name_len + 1;
	size_t mode_max = len - 2 - name_len - 1;
	size_t mode_len = strnlen(mode, mode_max);
	if (mode_len == mode_max) {
		send_error(srv->h.fd, from, ERR_ILLEGAL, "Malformed request");
		return;
	}
	const struct tftp_file *f = find_file(srv, name);
	if (!f) {
		srv->not_found++;
		LOGI(LOG_COMP, "TFTP %s: RRQ %.64s: File not found", peer, name);
		send_error(srv->h.fd, from, ERR_NOT_FOUND, "File not found");
		return;
	}
	if (strcasecmp(mode, "octet") != 0) {
		/* netascii would rewrite line ends in a binary CTL: tftp-hpa's client wants `-m binary`. */
		LOGI(LOG_COMP, "TFTP %s: RRQ %s in mode '%.16s' refused: octet only", peer, f->name, mode);
		send_error(srv->h.fd, from, ERR_UNDEFINED, "Only octet (binary) mode is served");
		return;
	}
	xfer_start(srv, f, from, peer);
}

static void on_listen(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct labcm_tftp *srv = h->arg;
	for (int i = 0; i < 32; i++) {
		uint8_t pkt[TFTP_BLOCK + 4];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(h->fd, pkt, sizeof(pkt) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		pkt[n] = '\0';
		on_request(srv, pkt, (size_t)n, &from);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Set-up */

static int load_files(struct labcm_tftp *srv, const char *dir, char *err, size_t cap)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, cap, "TFTP directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL && srv->n_files < TFTP_MAX_FILES) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(srv->files[0].name))
			continue;
		char path[LABCM_PATH_MAX + 80];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue; /* cannot be opened by that name */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (size_t)st.st_size > TFTP_MAX_FILE) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		struct tftp_file *f = &srv->files[srv->n_files];
		f->data = malloc(st.st_size ? (size_t)st.st_size : 1);
		ssize_t got = f->data ? read(fd, f->data, (size_t)st.st_size) : -1;
		close(fd);
		if (got != (ssize_t)st.st_size) {
			free(f->data);
			f->data = NULL;
			continue;
		}
		memcpy(f->name, e->d_name, strlen(e->d_name) + 1); /* length checked above */
		f->len = (size_t)st.st_size;
		srv->n_files++;
	}
	closedir(d);
	return 0;
}

int labcm_tftp_open(struct labcm *lab, char *err, size_t cap)
{
	struct labcm_tftp *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	srv->lab = lab;
	srv->h.fd = -1;
	for (size_t i = 0; i < TFTP_MAX_TRANSFERS; i++)
		srv->xfers[i].h.fd = -1;
	lab->tftp = srv;
	char dir[LABCM_PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/tftp", lab->cfg.state_dir);
	int rc = load_files(srv, dir, err, cap);
	if (rc < 0)
		return rc;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(lab->cfg.tftp_port),
	                         .sin_addr.s_addr = lab->listen_addr};
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, cap, "TFTP %s:%u: %s", lab->cfg.listen, lab->cfg.tftp_port, strerror(e));
		return -e;
	}
	srv->h = (struct vm_fd){.fd = fd, .cb = on_listen, .arg = srv};
	if ((rc = vm_loop_add(&lab->loop, &srv->h, EPOLLIN)) < 0) {
		snprintf(err, cap, "TFTP: epoll: %s", strerror(-rc));
		return rc;
	}
	char names[TFTP_MAX_FILES * 66] = "";
	for (size_t i = 0; i < srv->n_files; i++) {
		strcat(names, i ? ", " : "");
		strcat(names, srv->files[i].name);
	}
	LOGI(LOG_COMP, "TFTP (read-only) on %s:%u serving %s", lab->cfg.listen, lab->cfg.tftp_port,
	     srv->n_files ? names : "nothing");
	return 0;
}

void labcm_tftp_close(struct labcm *lab)
{
	struct labcm_tftp *srv = lab->tftp;
	if (!srv)
		return;
	for (size_t i = 0; i < TFTP_MAX_TRANSFERS; i++)
		if (srv->xfers[i].in_use)
			xfer_end(&srv->xfers[i]);
	if (srv->h.fd >= 0) {
		vm_loop_remove(&lab->loop, &srv->h);
		close(srv->h.fd);
	}
	for (size_t i = 0; i < srv->n_files; i++)
		free(srv->files[i].data);
	free(srv);
	lab->tftp = NULL;
}

void labcm_tftp_stats(const struct labcm *lab, uint64_t *served, uint64_t *not_found, uint64_t *failed)
{
	const struct labcm_tftp *srv = lab->tftp;
	*served = srv ? srv->served : 0;
	*not_found = srv ? srv->not_found : 0;
	*failed = srv ? srv->failed : 0;
}
