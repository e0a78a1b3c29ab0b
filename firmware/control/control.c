#include "control.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int make_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static void client_done(struct vm_control_client *c)
{
	vm_loop_remove(c->ctl->loop, &c->h);
	close(c->h.fd);
	c->h.fd = -1;
	c->len = 0;
}

static void answer(struct vm_control_client *c)
{
	char *argv[16];
	int argc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(c->line, " \t\r\n", &save); tok && argc < 16;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	struct vm_control *ctl = c->ctl;
	/* Replies are small; a blocking write with a short send timeout keeps the loop simple. */
	int flags = fcntl(c->h.fd, F_GETFL);
	fcntl(c->h.fd, F_SETFL, flags & ~O_NONBLOCK);
	struct timeval tv = {.tv_sec = 1};
	setsockopt(c->h.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ctl->reply_fd = c->h.fd;
	if (argc == 0) {
		vm_control_reply(ctl, "error: empty request\n");
	} else if (ctl->handler(ctl->arg, ctl, argc, argv) < 0) {
		/* the handler wrote its own "error: ..." line */
	}
	ctl->reply_fd = -1;
	client_done(c);
}

static void on_client(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct vm_control_client *c = h->arg;
	ssize_t n = read(h->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_done(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	if (strchr(c->line, '\n') || c->len == sizeof(c->line) - 1)
		answer(c);
}

static void on_accept(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)events;
	struct vm_control *ctl = h->arg;
	int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < VM_CONTROL_MAX_CLIENTS; i++) {
		struct vm_control_client *c = &ctl->clients[i];
		if (c->h.fd >= 0)
			continue;
		c->h = (struct vm_fd){.fd = fd, .cb = on_client, .arg = c};
		c->ctl = ctl;
		c->len = 0;
		if (vm_loop_add(loop, &c->h, EPOLLIN) == 0)
			return;
		c->h.fd = -1;
		break;
	}
	static const char busy[] = "error: control socket busy, try again\n";
	ssize_t ignored = write(fd, busy, sizeof(busy) - 1);
	(void)ignored;
	close(fd);
}

int vm_control_open(struct vm_control *ctl, struct vm_loop *loop, const char *path,
                    vm_control_handler handler, void *arg, char *err, size_t err_cap)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->loop = loop;
	ctl->handler = handler;
	ctl->arg = arg;
	ctl->reply_fd = -1;
	ctl->listen.fd = -1;
	for (size_t i = 0; i < VM_CONTROL_MAX_CLIENTS; i++)
		ctl->clients[i].h.fd = -1;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	struct sockaddr_un sa;
	if (make_addr(&sa, path) < 0) {
		snprintf(err, err_cap, "control socket path too long: %.200s", path);
		return -ENAMETOOLONG;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_cap, "control socket: %s", strerror(errno));
		return -errno;
	}
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno == EADDRINUSE) {
		/* Someone listening? Then another instance runs on this state directory; otherwise
		 * the file was left by a run that crashed. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			close(fd);
			snprintf(err, err_cap, "another vmport is running with control socket %s", path);
			return -EADDRINUSE;
		}
		unlink(path);
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (rc < 0) {
		int e = errno;
		close(fd);
		snprintf(err, err_cap, "control socket %s: %s", path, strerror(e));
		return -e;
	}
	chmod(path, 0600);
	if (listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		snprintf(err, err_cap, "control socket %s: listen: %s", path, strerror(e));
		return -e;
	}
	ctl->listen = (struct vm_fd){.fd = fd, .cb = on_accept, .arg = ctl};
	rc = vm_loop_add(loop, &ctl->listen, EPOLLIN);
	if (rc < 0) {
		close(fd);
		ctl->listen.fd = -1;
		snprintf(err, err_cap, "control socket: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

void vm_control_close(struct vm_control *ctl)
{
	if (!ctl->loop)
		return; /* never opened */
	for (size_t i = 0; i < VM_CONTROL_MAX_CLIENTS; i++) {
		if (ctl->clients[i].h.fd >= 0)
			client_done(&ctl->clients[i]);
	}
	if (ctl->listen.fd >= 0) {
		vm_loop_remove(ctl->loop, &ctl->listen);
		close(ctl->listen.fd);
		ctl->listen.fd = -1;
		unlink(ctl->path);
	}
}

void vm_control_reply(struct vm_control *ctl, const char *fmt, ...)
{
	if (ctl->reply_fd < 0)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	for (size_t off = 0; off < len;) {
		ssize_t w = send(ctl->reply_fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the client went away or stalled: drop the rest */
		off += (size_t)w;
	}
}

int vm_control_request(const char *path, const char *request, int out_fd, int timeout_ms, char *err,
                       size_t err_cap)
{
	struct sockaddr_un sa;
	if (make_addr(&sa, path) < 0) {
		snprintf(err, err_cap, "control socket path too long: %.200s", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, err_cap, "no running vmport answers on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char line[VM_CONTROL_LINE];
	int n = snprintf(line, sizeof(line), "%s\n", request);
	if (n < 0 || (size_t)n >= sizeof(line) || write(fd, line, (size_t)n) != n) {
		snprintf(err, err_cap, "cannot send the request to %s", path);
		close(fd);
		return -1;
	}
	bool first = true, error = false;
	char buf[4096];
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, timeout_ms) <= 0) {
			snprintf(err, err_cap, "vmport on %s did not answer within %d s", path,
			         timeout_ms / 1000);
			close(fd);
			return -1;
		}
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		if (first && r >= 5 && !strncmp(buf, "error", 5))
			error = true;
		first = false;
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out_fd, buf + off, (size_t)(r - off));
			if (w <= 0)
				break;
			off += w;
		}
	}
	close(fd);
	return error ? 1 : 0;
}
