/* One device connection of the lab CallManager: socket (or TLS) bytes → sccp_stream → cm_device,
 * and the device's output back: messages encoded into a fixed transmit buffer, actions carried out
 * (directory, lamps, the test caller), its deadline on a loop timer. */
#include "labcm/labcm_internal.h"

#include "log.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock/hal_clock.h"

#define LOG_COMP "labcm"
#define READS_PER_EVENT 8 /* then let the other connections have the loop */

uint64_t labcm_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *conn_name(const struct labcm_conn *c)
{
	const char *n = cm_device_name(&c->cm);
	return n[0] ? n : "(no Register yet)";
}

/* ---------------------------------------------------------------------------------------------
 * Slots */

static struct labcm_conn *slot_take(struct labcm *lab)
{
	struct labcm_conn *c = lab->free_head;
	if (!c)
		return NULL;
	lab->free_head = c->next_free;
	if (!lab->free_head)
		lab->free_tail = NULL;
	c->next_free = NULL;
	lab->conns_in_use++;
	return c;
}

/* FIFO: a slot freed now is reused last, so an event still queued in this epoll batch for the old
 * socket practically never meets a new one; and if it does, handlers only try I/O (EAGAIN). */
static void slot_give(struct labcm *lab, struct labcm_conn *c)
{
	c->in_use = false;
	c->next_free = NULL;
	if (lab->free_tail)
		lab->free_tail->next_free = c;
	else
		lab->free_head = c;
	lab->free_tail = c;
	lab->conns_in_use--;
}

/* ---------------------------------------------------------------------------------------------
 * Output side */

static void conn_close(struct labcm_conn *c, const char *why);
static void conn_read(struct labcm_conn *c);

static void update_events(struct labcm_conn *c)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP;
	if (c->want_write)
		ev |= EPOLLOUT;
	if (vm_loop_modify(&c->lab->loop, &c->h, ev) < 0)
		LOGW(LOG_COMP, "%s %s: epoll modify failed", c->peer, conn_name(c));
}

/* Drop the first n bytes of the transmit buffer; the freed tail is wiped (it held keys). */
static void tx_consume(struct labcm_conn *c, size_t n)
{
	memmove(c->tx, c->tx + n, c->tx_len - n);
	explicit_bzero(c->tx + c->tx_len - n, n);
	c->tx_len -= n;
}

/* Write what the buffer holds. Returns 0, or -1 when the connection failed (caller closes). */
static int conn_flush(struct labcm_conn *c)
{
	while (c->tx_len > 0) {
		if (c->tls) {
			/* A write that wanted more I/O must be repeated with exactly the same bytes, even
			 * if more were queued behind them meanwhile. */
			size_t len = c->tls_inflight ? c->tls_inflight : c->tx_len;
			enum tls_status st = tls_conn_write(c->tls, c->tx, len);
			if (st == TLS_DONE) {
				c->tls_inflight = 0;
				tx_consume(c, len);
				continue;
			}
			if (st == TLS_WANT_WRITE || st == TLS_WANT_READ) {
				c->tls_inflight = len;
				if (c->want_write != (st == TLS_WANT_WRITE)) {
					c->want_write = st == TLS_WANT_WRITE;
					update_events(c);
				}
				return 0; /* retried on the next event, readable or writable */
			}
			return -1;
		}
		ssize_t n = send(c->h.fd, c->tx, c->tx_len, MSG_NOSIGNAL);
		if (n > 0) {
			tx_consume(c, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->want_write) {
				c->want_write = true;
				update_events(c);
			}
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
	if (c->want_write) {
		c->want_write = false;
		update_events(c);
	}
	return 0;
}

static void arm_timer(struct labcm_conn *c)
{
	uint64_t due = cm_device_next_deadline(&c->cm);
	if (due == CM_DEVICE_NO_DEADLINE)
		vm_timer_cancel(&c->lab->loop, &c->timer);
	else if (!c->timer.armed || c->timer.due_ms != due)
		vm_timer_arm_at(&c->lab->loop, &c->timer, due);
}

static void log_registered(struct labcm_conn *c, const struct cm_device_action *a)
{
	const struct labcm_device *d = c->dev;
	if (c->tls)
		LOGI(LOG_COMP, "%s registered from %s: DN %s, %s, protocol %u, %s %s", d->def.name, c->peer,
		     d->def.dn, cm_security_name(a->u.registered.security), a->u.registered.protocol_version,
		     tls_conn_version(c->tls), tls_conn_cipher(c->tls));
	else
		LOGI(LOG_COMP, "%s registered from %s: DN %s, %s, protocol %u, plain TCP", d->def.name,
		     c->peer, d->def.dn, cm_security_name(a->u.registered.security),
		     a->u.registered.protocol_version);
}

/* An MWI number was dialled: set the lamp, tell a registered device with that DN, log it. */
static void apply_lamp(struct labcm_conn *c, const char *ext, bool on)
{
	struct labcm *lab = c->lab;
	struct labcm_lamp *l = labcm_lamp_set(lab, ext, on, labcm_unix_ms());
	LOGI(LOG_COMP, "SetLamp 0x0F %s for %s (%s dialled %s)", on ? "on" : "off", ext, conn_name(c),
	     on ? lab->cfg.mwi_on : lab->cfg.mwi_off);
	if (!l)
		LOGW(LOG_COMP, "lamp table full (%d extensions): %s not kept for status", LABCM_MAX_LAMPS,
		     ext);
	struct labcm_device *target = labcm_dir_by_dn(lab, ext);
	if (target && target->conn && target->conn != c) {
		struct cm_device_event ev = {.type = CM_EV_SET_LAMP, .u.lamp_on = on};
		labcm_conn_event(target->conn, &ev);
	}
}

static void apply_action(struct labcm_conn *c, const struct cm_device_action *a, bool *close_after)
{
	struct labcm *lab = c->lab;
	switch (a->type) {
	case CM_ACT_REGISTERED: {
		struct labcm_device *d = labcm_dir_by_name(lab, cm_device_name(&c->cm));
		if (!d) { /* cannot happen: the lookup found it a moment ago */
			*close_after = true;
			return;
		}
		d->conn = c;
		d->registrations++;
		d->registered_unix_ms = labcm_unix_ms();
		d->last_event[0] = '\0';
		c->dev = d;
		lab->registered++;
		lab->stats.registrations++;
		log_registered(c, a);
		return;
	}
	case CM_ACT_REJECTED: {
		lab->stats.rejects++;
		LOGW(LOG_COMP, "%s from %s: RegisterReject \"%s\"; closing", conn_name(c), c->peer,
		     a->u.rejected.text);
		struct labcm_device *d = labcm_dir_by_name(lab, cm_device_name(&c->cm));
		if (d)
			snprintf(d->last_event, sizeof(d->last_event), "rejected: %s", a->u.rejected.text);
		return;
	}
	case CM_ACT_UNREGISTERED:
		if (c->dev) {
			if (!lab->stopping)
				LOGI(LOG_COMP, "%s unregistered (%s): %s, reason %u", c->dev->def.name,
				     c->peer, cm_close_reason_text(a->u.close.reason),
				     cm_close_reason_code(a->u.close.reason));
			snprintf(c->dev->last_event, sizeof(c->dev->last_event), "%s (%u)",
			         cm_close_reason_text(a->u.close.reason),
			         cm_close_reason_code(a->u.close.reason));
			c->dev->conn = NULL;
			c->dev = NULL;
			lab->registered--;
		}
		if (a->u.close.reason == CM_CLOSE_KEEPALIVE_TIMEOUT)
			lab->stats.keepalive_timeouts++;
		return;
	case CM_ACT_CLOSE:
		if (a->u.close.reason != CM_CLOSE_REJECTED && a->u.close.reason != CM_CLOSE_UNREGISTERED)
			LOGW(LOG_COMP, "%s %s: closing: %s", c->peer, conn_name(c),
			     cm_close_reason_text(a->u.close.reason));
		*close_after = true;
		return;
	case CM_ACT_CALL_ANSWERED:
		if (c->dev)
			c->dev->calls++;
		labcm_call_on_answered(lab, a->u.answered.call_reference);
		return;
	case CM_ACT_MEDIA_READY:
		labcm_call_on_media(lab, a->u.media.call_reference, a->u.media.device_ip,
		                    a->u.media.device_port, a->u.media.encrypted);
		return;
	case CM_ACT_CALL_ENDED:
		labcm_call_on_ended(lab, a->u.call_ended.call_reference, a->u.call_ended.reason);
		return;
	case CM_ACT_LAMP:
		apply_lamp(c, a->u.lamp.extension, a->u.lamp.on);
		return;
	case CM_ACT_NOTE:
		LOGD(LOG_COMP, "%s %s: %s (message 0x%04X, %u)", c->peer, conn_name(c), a->u.note.what,
		     a->u.note.msg_id == CM_NO_MSG_ID ? 0u : a->u.note.msg_id, a->u.note.value);
		return;
	}
}

void labcm_conn_event(struct labcm_conn *c, const struct cm_device_event *ev)
{
	struct labcm *lab = c->lab;
	struct cm_device_output *out = &lab->out;
	cm_device_handle(&c->cm, ev, hal_clock_now_ms(), labcm_unix_ms(), out);

	/* Messages first, in order: a RegisterReject must be on its way before the close. */
	bool close_after = false;
	for (size_t i = 0; i < out->n_msgs; i++) {
		if (!c->in_use || c->h.fd < 0)
			break; /* already closed: TRANSPORT_DOWN's output has nothing to send */
		int n = sccp_encode(&out->msgs[i], c->tx + c->tx_len, sizeof(c->tx) - c->tx_len);
		if (n < 0) {
			LOGW(LOG_COMP, "%s %s: cannot queue %s (%s): the device does not read; closing",
			     c->peer, conn_name(c), sccp_msg_name(out->msgs[i].id), sccp_strerror(n));
			close_after = true;
			break;
		}
		c->tx_len += (size_t)n;
	}
	explicit_bzero(out->msgs, out->n_msgs * sizeof(out->msgs[0])); /* keys */
	out->n_msgs = 0;

	/* Actions may feed other connections (a lamp), which reuses the shared output: copy them. */
	struct cm_device_action acts[CM_DEVICE_MAX_ACTS];
	size_t n_acts = out->n_acts;
	memcpy(acts, out->acts, n_acts * sizeof(acts[0]));
	out->n_acts = 0;
	for (size_t i = 0; i < n_acts; i++)
		apply_action(c, &acts[i], &close_after);

	if (!c->in_use || c->h.fd < 0)
		return;
	arm_timer(c);
	if (!c->handshaking && conn_flush(c) < 0) {
		conn_close(c, "write failed");
		return;
	}
	if (close_after)
		conn_close(c, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * Close */

/* Close the socket and tell the device (its UNREGISTERED / CALL_ENDED actions run here). The slot
 * goes back to the pool. `why` is logged when not NULL. */
static void conn_close(struct labcm_conn *c, const char *why)
{
	if (!c->in_use || c->h.fd < 0)
		return;
	struct labcm *lab = c->lab;
	if (why)
		LOGI(LOG_COMP, "%s %s: connection closed: %s", c->peer, conn_name(c), why);
	if (c->tls) {
		if (!c->handshaking)
			(void)tls_conn_close(c->tls); /* best effort close_notify */
		tls_conn_free(c->tls);
		c->tls = NULL;
	}
	vm_loop_remove(&lab->loop, &c->h);
	close(c->h.fd);
	c->h.fd = -1;
	vm_timer_cancel(&lab->loop, &c->timer);
	explicit_bzero(c->tx, c->tx_len);
	c->tx_len = 0;
	/* The device learns the connection is gone: a call ends, the registration is over. */
	struct cm_device_event ev = {.type = CM_EV_TRANSPORT_DOWN};
	labcm_conn_event(c, &ev);
	explicit_bzero(&c->rx, sizeof(c->rx));
	slot_give(lab, c);
}

void labcm_conn_close_all(struct labcm *lab)
{
	for (size_t i = 0; i < lab->n_conns; i++)
		if (lab->conns[i].in_use)
			conn_close(&lab->conns[i], NULL);
}

/* ---------------------------------------------------------------------------------------------
 * Input side */

static void conn_feed(struct labcm_conn *c, const uint8_t *data, size_t len)
{
	while (len > 0 && c->in_use && c->h.fd >= 0) {
		size_t took = sccp_stream_feed(&c->rx, data, len);
		data += took;
		len -= took;
		for (;;) {
			struct sccp_msg m;
			int rc = sccp_stream_next(&c->rx, &m);
			if (rc == 0)
				break;
			if (rc == 1) {
				struct cm_device_event ev = {.type = CM_EV_MESSAGE, .u.msg = &m};
				labcm_conn_event(c, &ev);
				explicit_bzero(&m, sizeof(m));
				if (!c->in_use || c->h.fd < 0)
					return;
				continue;
			}
			if (sccp_stream_is_fatal(rc)) {
				c->lab->stats.protocol_errors++;
				LOGW(LOG_COMP, "%s %s: SCCP stream broken (%s); closing", c->peer,
				     conn_name(c), sccp_strerror(rc));
				conn_close(c, NULL);
				return;
			}
			LOGD(LOG_COMP, "%s %s: malformed %s dropped (%s)", c->peer, conn_name(c),
			     sccp_msg_name(m.id) ? sccp_msg_name(m.id) : "message", sccp_strerror(rc));
		}
		if (took == 0 && sccp_stream_buffered(&c->rx) >= sizeof(c->rx.buf)) {
			conn_close(c, "input buffer stuck");
			return;
		}
	}
}

static void transport_info(struct labcm_conn *c, struct cm_transport *t)
{
	memset(t, 0, sizeof(*t));
	if (!c->tls)
		return;
	t->tls = true;
	t->encrypting = c->lab->cfg.tls_mode == CM_SECURITY_ENCRYPTED;
	/* The subject's CN: "/O=vmport/CN=CiscoUM1-VI1" → "CiscoUM1-VI1". */
	const char *subj = tls_conn_peer_subject(c->tls);
	const char *cn = strstr(subj, "CN=");
	if (cn) {
		cn += 3;
		size_t n = strcspn(cn, "/,");
		if (n >= sizeof(t->peer_name))
			n = sizeof(t->peer_name) - 1;
		memcpy(t->peer_name, cn, n);
		t->peer_name[n] = '\0';
	}
}

static void conn_up(struct labcm_conn *c)
{
	c->handshaking = false;
	struct cm_device_event ev = {.type = CM_EV_TRANSPORT_UP};
	transport_info(c, &ev.u.transport);
	if (c->tls)
		LOGD(LOG_COMP, "%s: TLS up, %s %s, client %s", c->peer, tls_conn_version(c->tls),
		     tls_conn_cipher(c->tls), ev.u.transport.peer_name);
	labcm_conn_event(c, &ev);
}

static void conn_handshake(struct labcm_conn *c)
{
	enum tls_status st = tls_conn_handshake(c->tls);
	switch (st) {
	case TLS_DONE:
		conn_up(c);
		/* The client's first SCCP bytes may have come with its Finished: already inside
		 * wolfSSL, so epoll will not announce them. */
		if (c->in_use && c->h.fd >= 0)
			conn_read(c);
		return;
	case TLS_WANT_READ:
	case TLS_WANT_WRITE:
		if (c->want_write != (st == TLS_WANT_WRITE)) {
			c->want_write = st == TLS_WANT_WRITE;
			update_events(c);
		}
		return;
	case TLS_CLOSED:
	case TLS_ERROR: {
		char why[512];
		snprintf(why, sizeof(why), "TLS handshake failed: %s", tls_conn_error(c->tls));
		LOGW(LOG_COMP, "%s: %s", c->peer, why);
		conn_close(c, NULL);
		return;
	}
	}
}

static void conn_read(struct labcm_conn *c)
{
	uint8_t buf[4096];
	/* Bounded for fairness, except for bytes wolfSSL already decrypted: epoll cannot see those. */
	for (int i = 0;
	     c->in_use && c->h.fd >= 0 && (i < READS_PER_EVENT || (c->tls && tls_conn_pending(c->tls)));
	     i++) {
		size_t got = 0;
		if (c->tls) {
			enum tls_status st = tls_conn_read(c->tls, buf, sizeof(buf), &got);
			if (st == TLS_WANT_READ || st == TLS_WANT_WRITE)
				return;
			if (st == TLS_CLOSED) {
				conn_close(c, "peer closed (close_notify)");
				return;
			}
			if (st != TLS_DONE) {
				conn_close(c, tls_conn_error(c->tls));
				return;
			}
		} else {
			ssize_t n = recv(c->h.fd, buf, sizeof(buf), 0);
			if (n == 0) {
				conn_close(c, "peer closed");
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return;
				conn_close(c, strerror(errno));
				return;
			}
			got = (size_t)n;
		}
		conn_feed(c, buf, got);
		explicit_bzero(buf, got);
	}
}

/* Whatever the event bits say, only I/O is attempted: a stale event from a closed socket whose
 * slot was reused finds EAGAIN and does nothing. */
static void on_conn_io(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct labcm_conn *c = h->arg;
	if (c->handshaking) {
		conn_handshake(c);
		return;
	}
	if (c->tx_len && conn_flush(c) < 0) {
		conn_close(c, "write failed");
		return;
	}
	conn_read(c);
}

static void on_conn_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	struct labcm_conn *c = t->arg;
	if (!c->in_use || c->h.fd < 0)
		return;
	if (c->handshaking) {
		LOGW(LOG_COMP, "%s: no TLS handshake within %u s; closing", c->peer,
		     c->lab->cfg.register_timeout_s);
		conn_close(c, NULL);
		return;
	}
	struct cm_device_event ev = {.type = CM_EV_TIMER};
	labcm_conn_event(c, &ev);
}

void labcm_conn_accept(struct labcm *lab, int fd, bool tls_port, const char *peer)
{
	struct labcm_conn *c = slot_take(lab);
	if (!c) {
		lab->stats.refused++;
		LOGW(LOG_COMP, "%s: refused: all %zu connection slots in use (max_connections)", peer,
		     lab->n_conns);
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->in_use = true;
	c->tls_port = tls_port;
	c->handshaking = false;
	c->want_write = false;
	c->tls_inflight = 0;
	c->tls = NULL;
	c->dev = NULL;
	c->tx_len = 0;
	c->accepted_ms = hal_clock_now_ms();
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->h = (struct vm_fd){.fd = fd, .cb = on_conn_io, .arg = c};
	c->timer = (struct vm_timer){.cb = on_conn_timer, .arg = c};
	sccp_stream_init(&c->rx);
	struct cm_device_config cfg = lab->cm_cfg;
	cfg.call_ref_base = (c->index + 1u) << 16; /* below LABCM_TEST_CALL_REF for every slot */
	if (cm_device_init(&c->cm, &cfg) < 0) {
		LOGE(LOG_COMP, "%s: device configuration refused", peer);
		close(fd);
		c->h.fd = -1;
		slot_give(lab, c);
		return;
	}
	if (vm_loop_add(&lab->loop, &c->h, EPOLLIN | EPOLLRDHUP) < 0) {
		LOGE(LOG_COMP, "%s: epoll add failed", peer);
		close(fd);
		c->h.fd = -1;
		slot_give(lab, c);
		return;
	}
	lab->stats.accepted++;
	if (tls_port) {
		struct tls_conn_opts opts = {.label = c->peer};
		c->tls = tls_conn_new(lab->tls_ctx, fd, &opts);
		if (!c->tls) {
			LOGE(LOG_COMP, "%s: TLS connection refused: %s", peer, strerror(errno));
			vm_loop_remove(&lab->loop, &c->h);
			close(fd);
			c->h.fd = -1;
			slot_give(lab, c);
			return;
		}
		c->handshaking = true;
		/* A client that connects and never finishes the handshake must not keep the slot. */
		vm_timer_arm_at(&lab->loop, &c->timer,
		                c->accepted_ms + lab->cfg.register_timeout_s * 1000ull);
		conn_handshake(c);
		return;
	}
	conn_up(c);
}
