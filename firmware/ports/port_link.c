/* One port's connection to a CallManager: non-blocking TCP connect, the TLS handshake in
 * authenticated/encrypted mode, and SCCP bytes in and out. Failures are logged with the port,
 * the server and the reason, then handed to the group, which decides what happens next. */
#include "port_internal.h"

#include "log.h"
#include "tls/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_io(struct vm_loop *loop, struct vm_fd *h, uint32_t events);

static const struct vmport_config *cfg_of(const struct vm_port *p)
{
	return &p->group->cfg;
}

static bool secure(const struct vm_port *p)
{
	return cfg_of(p)->security_mode != VMPORT_NONSECURE;
}

static void set_events(struct vm_port *p, uint32_t events)
{
	if (p->io.fd >= 0)
		vm_loop_modify(p->group->loop, &p->io, events);
}

static void fail(struct vm_port *p, const char *what)
{
	size_t n = strnlen(what, sizeof(p->last_error) - 1); /* a long reason is cut, not an error */
	memcpy(p->last_error, what, n);
	p->last_error[n] = '\0';
	vm_port_link_close(p, what);
	vm_port_transport_down(p, true);
}

void vm_port_link_connect(struct vm_port *p)
{
	struct vm_port_group *g = p->group;
	struct vm_server_addr *srv = &g->servers[p->server];
	if (!srv->resolved) {
		snprintf(p->last_error, sizeof(p->last_error), "server %s has no usable address", srv->text);
		vm_port_transport_down(p, true);
		return;
	}
	int fd = socket(srv->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		snprintf(p->last_error, sizeof(p->last_error), "socket: %s", strerror(errno));
		LOGE("port", "%s: cannot create a socket for %s: %s; retrying", p->device_name, srv->text,
		     strerror(errno));
		vm_port_transport_down(p, true);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Signalling is marked CS3 (DSCP 24), as Cisco marks call control. */
	int tos = 24 << 2;
	if (srv->sa.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));

	p->io.fd = fd;
	p->link = VM_LINK_CONNECTING;
	p->connect_started_ms = vm_loop_now(g->loop);
	p->out_len = 0;
	sccp_stream_init(&p->in);
	p->tls_version[0] = p->tls_cipher[0] = '\0';
	int rc = connect(fd, (struct sockaddr *)&srv->sa, srv->len);
	if (rc < 0 && errno != EINPROGRESS) {
		char why[200];
		snprintf(why, sizeof(why), "connect to %s: %s", srv->text, strerror(errno));
		close(fd);
		p->io.fd = -1;
		p->link = VM_LINK_IDLE;
		snprintf(p->last_error, sizeof(p->last_error), "%s", why);
		LOGW("port", "%s: %s", p->device_name, why);
		vm_port_transport_down(p, true);
		return;
	}
	if (vm_loop_add(g->loop, &p->io, EPOLLOUT) < 0) {
		close(fd);
		p->io.fd = -1;
		p->link = VM_LINK_IDLE;
		snprintf(p->last_error, sizeof(p->last_error), "event loop refused the socket");
		vm_port_transport_down(p, true);
		return;
	}
	vm_port_connect_started(p);
}

void vm_port_link_close(struct vm_port *p, const char *why)
{
	if (p->io.fd < 0)
		return;
	if (p->tls) {
		if (p->link == VM_LINK_UP)
			tls_conn_close(p->tls); /* close_notify, best effort */
		tls_conn_free(p->tls);
		p->tls = NULL;
	}
	vm_loop_remove(p->group->loop, &p->io);
	close(p->io.fd);
	p->io.fd = -1;
	LOGD("port", "%s: connection to %s closed (%s)", p->device_name, p->group->servers[p->server].text,
	     why);
	p->link = VM_LINK_IDLE;
	p->out_len = 0;
}

static void start_tls(struct vm_port *p)
{
	struct vm_port_group *g = p->group;
	const char *server = g->servers[p->server].text;
	const uint8_t *der = NULL;
	size_t der_len = 0;
	if (!g->svc.server_cert || g->svc.server_cert(g->svc.arg, p->server, &der, &der_len) < 0) {
		/* The trust layer logged why (not in the CTL, no CTL yet): no TLS without a pin. */
		fail(p, "no CTL CallManager certificate for this server: registration cannot proceed");
		return;
	}
	struct tls_ctx *ctx = g->svc.port_tls ? g->svc.port_tls(g->svc.arg, p->index) : NULL;
	if (!ctx) {
		fail(p, "no TLS identity for this port (see the certificate errors above)");
		return;
	}
	struct tls_conn_opts opts = {.pinned_der = der, .pinned_len = der_len, .label = p->device_name};
	p->tls = tls_conn_new(ctx, p->io.fd, &opts);
	if (!p->tls) {
		fail(p, "cannot create a TLS connection (out of memory)");
		return;
	}
	p->link = VM_LINK_HANDSHAKING;
	LOGD("port", "%s: TCP connected to %s, TLS handshake", p->device_name, server);
	set_events(p, EPOLLIN);
}

static void handshake_step(struct vm_port *p)
{
	struct vm_port_group *g = p->group;
	enum tls_status st = tls_conn_handshake(p->tls);
	if (st == TLS_WANT_READ) {
		set_events(p, EPOLLIN);
		return;
	}
	if (st == TLS_WANT_WRITE) {
		set_events(p, EPOLLIN | EPOLLOUT);
		return;
	}
	if (st != TLS_DONE) {
		char why[220];
		snprintf(why, sizeof(why), "TLS refused: %s", tls_conn_error(p->tls));
		LOGE("port", "%s: server %s: %s; will retry", p->device_name, g->servers[p->server].text,
		     tls_conn_error(p->tls));
		enum tls_fail f = tls_conn_fail(p->tls);
		if ((f == TLS_FAIL_PIN_MISMATCH || f == TLS_FAIL_NO_PIN) && g->svc.server_cert_refused)
			g->svc.server_cert_refused(g->svc.arg, p->server);
		fail(p, why);
		return;
	}
	snprintf(p->tls_version, sizeof(p->tls_version), "%s", tls_conn_version(p->tls));
	snprintf(p->tls_cipher, sizeof(p->tls_cipher), "%s", tls_conn_cipher(p->tls));
	LOGI("port", "%s: TLS up with %s (%s, %s)", p->device_name, g->servers[p->server].text,
	     p->tls_version, p->tls_cipher);
	p->link = VM_LINK_UP;
	set_events(p, EPOLLIN);
	vm_port_transport_up(p);
}

static void connect_done(struct vm_port *p)
{
	int err = 0;
	socklen_t len = sizeof(err);
	getsockopt(p->io.fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		char why[220];
		snprintf(why, sizeof(why), "connect to %s: %s", p->group->servers[p->server].text,
		         strerror(err));
		LOGW("port", "%s: %s", p->device_name, why);
		fail(p, why);
		return;
	}
	if (secure(p)) {
		start_tls(p);
		if (p->tls)
			handshake_step(p);
		return;
	}
	p->link = VM_LINK_UP;
	set_events(p, EPOLLIN);
	LOGD("port", "%s: TCP connected to %s", p->device_name, p->group->servers[p->server].text);
	vm_port_transport_up(p);
}

/* Raw bytes from the socket or TLS. Returns bytes read, 0 for "nothing now", -1 closed/failed. */
static ssize_t link_read(struct vm_port *p, uint8_t *buf, size_t cap, const char **why)
{
	if (p->tls) {
		size_t got = 0;
		enum tls_status st = tls_conn_read(p->tls, buf, cap, &got);
		if (st == TLS_DONE)
			return (ssize_t)got;
		if (st == TLS_WANT_READ || st == TLS_WANT_WRITE)
			return 0;
		*why = st == TLS_CLOSED ? "server closed the TLS session" : tls_conn_error(p->tls);
		return -1;
	}
	ssize_t n = recv(p->io.fd, buf, cap, 0);
	if (n > 0)
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	*why = n == 0 ? "server closed the connection" : strerror(errno);
	return -1;
}

static void drain_messages(struct vm_port *p)
{
	struct sccp_msg m;
	int rc;
	while (p->link == VM_LINK_UP && (rc = sccp_stream_next(&p->in, &m)) != 0) {
		if (rc == 1) {
			struct sccp_port_event ev = {.type = PORT_EV_MESSAGE, .u.msg = &m};
			vm_port_feed_event(p, &ev);
			sccp_secure_wipe(&m, sizeof(m)); /* media keys travel in some */
		} else if (sccp_stream_is_fatal(rc)) {
			char text[200];
			snprintf(text, sizeof(text), "unusable SCCP stream from the server: %s",
			         sccp_strerror(rc));
			LOGE("port", "%s: %s; reconnecting", p->device_name, text);
			fail(p, text);
		} else {
			LOGW("port", "%s: dropped a malformed %s (0x%04X) from %s: %s", p->device_name,
			     sccp_msg_name(m.id) ? sccp_msg_name(m.id) : "message", m.id,
			     p->group->servers[p->server].text, sccp_strerror(rc));
		}
	}
}

/* Read until the socket (and wolfSSL's buffer) has nothing more: with level-triggered epoll a
 * record already decrypted inside wolfSSL would otherwise wait for the next packet. */
static void read_messages(struct vm_port *p)
{
	uint8_t buf[4096];
	while (p->link == VM_LINK_UP) {
		const char *why = NULL;
		ssize_t n = link_read(p, buf, sizeof(buf), &why);
		if (n < 0) {
			char text[220];
			snprintf(text, sizeof(text), "%s", why ? why : "connection lost");
			if (p->stopping)
				LOGD("port", "%s: %s (%s)", p->device_name, text,
				     p->group->servers[p->server].text);
			else
				LOGW("port", "%s: %s (%s)", p->device_name, text,
				     p->group->servers[p->server].text);
			fail(p, text);
			return;
		}
		if (n == 0)
			return;
		/* The stream buffer holds two maximum PDUs, so draining always makes room. */
		for (size_t off = 0; off < (size_t)n && p->link == VM_LINK_UP;) {
			off += sccp_stream_feed(&p->in, buf + off, (size_t)n - off);
			drain_messages(p);
		}
	}
}

void vm_port_link_flush(struct vm_port *p)
{
	while (p->out_len > 0 && p->link == VM_LINK_UP) {
		ssize_t n;
		if (p->tls) {
			enum tls_status st = tls_conn_write(p->tls, p->out, p->out_len);
			if (st == TLS_WANT_READ || st == TLS_WANT_WRITE) {
				set_events(p, EPOLLIN | EPOLLOUT);
				return;
			}
			if (st != TLS_DONE) {
				char text[220];
				snprintf(text, sizeof(text), "TLS write failed: %s", tls_conn_error(p->tls));
				fail(p, text);
				return;
			}
			n = (ssize_t)p->out_len;
		} else {
			n = send(p->io.fd, p->out, p->out_len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					set_events(p, EPOLLIN | EPOLLOUT);
					return;
				}
				char text[200];
				snprintf(text, sizeof(text), "send: %s", strerror(errno));
				fail(p, text);
				return;
			}
		}
		memmove(p->out, p->out + n, p->out_len - (size_t)n);
		p->out_len -= (size_t)n;
	}
	if (p->link == VM_LINK_UP)
		set_events(p, EPOLLIN);
}

int vm_port_link_send(struct vm_port *p, const struct sccp_msg *m)
{
	if (p->link != VM_LINK_UP)
		return -1;
	int n = sccp_encode(m, p->out + p->out_len, sizeof(p->out) - p->out_len);
	if (n < 0) {
		LOGE("port", "%s: cannot encode %s: %s (message dropped)", p->device_name,
		     sccp_msg_name(m->id) ? sccp_msg_name(m->id) : "?", sccp_strerror(n));
		return -1;
	}
	p->out_len += (size_t)n;
	return 0;
}

static void on_io(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	struct vm_port *p = h->arg;
	switch (p->link) {
	case VM_LINK_CONNECTING:
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			connect_done(p);
		return;
	case VM_LINK_HANDSHAKING:
		handshake_step(p);
		return;
	case VM_LINK_UP:
		if (events & EPOLLOUT)
			vm_port_link_flush(p);
		if (p->link == VM_LINK_UP && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			read_messages(p);
		return;
	default:
		return;
	}
}

void vm_port_link_init(struct vm_port *p)
{
	p->io = (struct vm_fd){.fd = -1, .cb = on_io, .arg = p};
	p->link = VM_LINK_IDLE;
}
