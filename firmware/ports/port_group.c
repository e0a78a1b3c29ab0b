/* The port group: pacing, failover and fallback between CallManagers, and the glue between each
 * port's state machine and the rest of the program. */
#include "port_internal.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A server that failed is left alone this long before ports fail back to it. */
#define SERVER_HOLDOFF_MS 5000u
/* After every server in the list failed in a row, wait before the next round. */
#define ALL_FAILED_RETRY_MS 5000u
/* RegisterReject is a configuration problem: do not hammer the server. */
#define REJECT_RETRY_MS 30000u
/* TCP connect plus TLS handshake must finish within this, or the server counts as failed: a
 * hung CallManager accepts connections and never answers. */
#define CONNECT_TIMEOUT_MS 5000u
/* How often idle ports on a lower-order server look for a recovered higher-order one. */
#define FALLBACK_CHECK_MS 2000u

const char *vm_link_state_name(enum vm_link_state s)
{
	switch (s) {
	case VM_LINK_IDLE:
		return "idle";
	case VM_LINK_CONNECTING:
		return "connecting";
	case VM_LINK_HANDSHAKING:
		return "tls-handshake";
	case VM_LINK_UP:
		return "up";
	case VM_LINK_CLOSED:
		return "stopped";
	}
	return "?";
}

static int resolve_server(struct vm_server_addr *out, const struct vmport_server *s, char *err, size_t cap)
{
	snprintf(out->text, sizeof(out->text), strchr(s->host, ':') ? "[%s]:%u" : "%s:%u", s->host, s->port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", s->port);
	int rc = getaddrinfo(s->host, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, cap, "cannot resolve CallManager %s: %s", out->text, gai_strerror(rc));
		return -1;
	}
	memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	out->resolved = true;
	freeaddrinfo(res);
	return 0;
}

static void on_sm_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	struct vm_port *p = t->arg;
	struct sccp_port_event ev = {.type = PORT_EV_TIMER};
	vm_port_feed_event(p, &ev);
}

static void on_retry_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	struct vm_port *p = t->arg;
	struct vm_port_group *g = p->group;
	if (p->link == VM_LINK_CONNECTING || p->link == VM_LINK_HANDSHAKING) {
		/* The same timer guards the attempt in progress. */
		char why[200];
		snprintf(why, sizeof(why), "%.120s did not answer within %u s (%s)",
		         g->servers[p->server].text, CONNECT_TIMEOUT_MS / 1000,
		         p->link == VM_LINK_CONNECTING ? "TCP connect" : "TLS handshake");
		LOGW("port", "%s: %s", p->device_name, why);
		snprintf(p->last_error, sizeof(p->last_error), "%s", why);
		vm_port_link_close(p, why);
		vm_port_transport_down(p, true);
		return;
	}
	if (g->shutting_down || g->suspended || p->link != VM_LINK_IDLE || p->queued)
		return;
	p->queued = true;
	g->pace_queue[(g->pace_head + g->pace_len++) % g->n_ports] = p->index;
	if (!g->pace_timer.armed)
		vm_timer_arm_at(g->loop, &g->pace_timer, vm_loop_now(g->loop));
}

/* One connection attempt per tick, register_rate ticks per second. */
static void on_pace_timer(struct vm_loop *loop, struct vm_timer *t)
{
	struct vm_port_group *g = t->arg;
	while (g->pace_len > 0 && !g->shutting_down && !g->suspended) {
		struct vm_port *p = &g->ports[g->pace_queue[g->pace_head]];
		g->pace_head = (g->pace_head + 1) % g->n_ports;
		g->pace_len--;
		p->queued = false;
		if (p->link != VM_LINK_IDLE)
			continue;
		vm_port_link_connect(p);
		break;
	}
	if (g->pace_len > 0 && !g->shutting_down)
		vm_timer_arm_at(loop, t, vm_loop_now(loop) + 1000u / g->cfg.register_rate);
}

void vm_port_schedule_connect(struct vm_port *p, uint64_t delay_ms)
{
	vm_timer_arm_at(p->group->loop, &p->retry_timer, vm_loop_now(p->group->loop) + delay_ms);
}

static size_t first_usable_server(const struct vm_port_group *g, size_t from, uint64_t now)
{
	for (size_t i = 0; i < g->cfg.n_cucm; i++) {
		size_t s = (from + i) % g->cfg.n_cucm;
		if (g->servers[s].down_until_ms <= now)
			return s;
	}
	return from % g->cfg.n_cucm;
}

static void check_all_stopped(struct vm_port_group *g)
{
	for (size_t i = 0; i < g->n_ports; i++) {
		if (g->ports[i].link != VM_LINK_CLOSED)
			return;
	}
	if (g->svc.all_stopped)
		g->svc.all_stopped(g->svc.arg);
}

static void status_changed(struct vm_port_group *g)
{
	if (g->svc.status_changed)
		g->svc.status_changed(g->svc.arg);
}

static bool sm_registered(const struct vm_port *p)
{
	enum sccp_port_state s = sccp_port_state(&p->sm);
	return s == SCCP_PORT_IDLE || s == SCCP_PORT_RINGING || s == SCCP_PORT_IN_CALL || s == SCCP_PORT_MWI;
}

/* The link is gone. `failed`: it broke (connect refused, TLS refused, peer closed) rather than
 * being closed on the state machine's request. Decide where and when to connect next. */
static void after_link_down(struct vm_port *p, bool failed, int close_reason)
{
	struct vm_port_group *g = p->group;
	uint64_t now = vm_loop_now(g->loop);
	if (g->shutting_down || p->stopping) {
		p->link = VM_LINK_CLOSED;
		check_all_stopped(g);
		return;
	}
	if (g->suspended)
		return; /* out of service until the network returns */
	uint64_t delay = 0;
	size_t next = p->server;
	if (p->has_pending_config) {
		p->has_pending_config = false;
		sccp_port_init(&p->sm, &p->pending_config);
		snprintf(p->device_name, sizeof(p->device_name), "%s", p->pending_config.device_name);
		LOGI("port", "%s: registering again with the new configuration", p->device_name);
		p->server = first_usable_server(g, 0, now);
		vm_port_schedule_connect(p, 0);
		return;
	}
	if (close_reason == SCCP_CLOSE_REJECTED) {
		delay = REJECT_RETRY_MS;
	} else if (close_reason == SCCP_CLOSE_RESET) {
		delay = 0;
	} else if (close_reason == SCCP_CLOSE_UNREGISTERED && p->want_higher) {
		p->want_higher = false;
		next = 0;
	} else if (failed || close_reason == SCCP_CLOSE_KEEPALIVE_LOST ||
	           close_reason == SCCP_CLOSE_REGISTER_TIMEOUT) {
		if (g->fallback_port == p->index + 1)
			g->fallback_port = 0; /* the higher server is not back after all (held off here) */
		g->servers[p->server].down_until_ms = now + SERVER_HOLDOFF_MS;
		p->consecutive_failures++;
		next = first_usable_server(g, p->server + 1, now);
		if (p->consecutive_failures >= g->cfg.n_cucm) {
			/* Every server failed in a row: pause, then start again from the top. */
			delay = ALL_FAILED_RETRY_MS;
			next = first_usable_server(g, 0, now + ALL_FAILED_RETRY_MS);
			p->consecutive_failures = 0;
		}
		if (next != p->server)
			LOGW("port", "%s: failing over from %s to %s", p->device_name,
			     g->servers[p->server].text, g->servers[next].text);
	}
	p->server = next;
	vm_port_schedule_connect(p, delay);
}

void vm_port_connect_started(struct vm_port *p)
{
	vm_port_schedule_connect(p, CONNECT_TIMEOUT_MS); /* the retry timer doubles as the deadline */
}

void vm_port_transport_up(struct vm_port *p)
{
	vm_timer_cancel(p->group->loop, &p->retry_timer);
	/* Register carries the address the CallManager sees us on. */
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	if (getsockname(p->io.fd, (struct sockaddr *)&local, &len) == 0 && local.ss_family == AF_INET)
		memcpy(p->sm.cfg.station_ip, &((struct sockaddr_in *)&local)->sin_addr, 4);
	struct sccp_port_event ev = {.type = PORT_EV_TRANSPORT_UP};
	vm_port_feed_event(p, &ev);
}

static void uncount_registered(struct vm_port *p)
{
	if (!p->counted_registered)
		return;
	p->counted_registered = false;
	p->group->registered--;
	status_changed(p->group);
}

void vm_port_transport_down(struct vm_port *p, bool failed)
{
	if (sccp_port_state(&p->sm) != SCCP_PORT_DOWN) {
		struct sccp_port_event ev = {.type = PORT_EV_TRANSPORT_DOWN};
		vm_port_feed_event(p, &ev);
	}
	uncount_registered(p);
	after_link_down(p, failed, -1);
}

/* The lamps the group believes it set: MWI gives no answer from CallManager (protocol.md §5.2),
 * so a dialled request counts. */
static void note_lamp(struct vm_port_group *g, const char *ext, bool on)
{
	size_t i = 0;
	while (i < g->n_lamps_on && strcmp(g->lamps_on[i], ext))
		i++;
	if (on && i == g->n_lamps_on && i < sizeof(g->lamps_on) / sizeof(g->lamps_on[0])) {
		snprintf(g->lamps_on[g->n_lamps_on++], sizeof(g->lamps_on[0]), "%s", ext);
		status_changed(g);
	} else if (!on && i < g->n_lamps_on) {
		memmove(g->lamps_on[i], g->lamps_on[i + 1], (g->n_lamps_on - i - 1) * sizeof(g->lamps_on[0]));
		g->n_lamps_on--;
		status_changed(g);
	}
}

bool vm_port_group_any_mwi(const struct vm_port_group *g)
{
	return g->n_lamps_on > 0;
}

static void log_note(const struct vm_port *p, const struct sccp_port_action *a)
{
	const char *name = a->u.note.msg_id != UINT32_MAX ? sccp_msg_name(a->u.note.msg_id) : NULL;
	LOGD("port", "%s: %s%s%s (0x%X)", p->device_name, a->u.note.what, name ? ": " : "", name ? name : "",
	     a->u.note.value);
}

/* Carry out one action of the state machine. Returns the close reason when it asked for the
 * transport to close, else -1. */
static int apply_action(struct vm_port *p, const struct sccp_port_action *a)
{
	struct vm_port_group *g = p->group;
	switch (a->type) {
	case PORT_ACT_REGISTERED:
		if (g->fallback_port == p->index + 1)
			g->fallback_port = 0; /* the higher server works: the next port may follow */
		if (!p->counted_registered) {
			p->counted_registered = true;
			g->registered++;
		}
		p->consecutive_failures = 0;
		p->last_error[0] = '\0';
		LOGI("port", "%s: registered with %s (protocol %u, keepalive %u s)", p->device_name,
		     g->servers[p->server].text, a->u.registered.protocol_version,
		     a->u.registered.keepalive_s);
		status_changed(g);
		g->mwi_flush_due = g->n_mwi_pending > 0;
		return -1;
	case PORT_ACT_REJECTED:
		snprintf(p->last_error, sizeof(p->last_error), "RegisterReject: %s", a->u.rejected.text);
		LOGE("port", "%s: %s refused registration: \"%s\"; retrying in %u s", p->device_name,
		     g->servers[p->server].text, a->u.rejected.text, REJECT_RETRY_MS / 1000);
		return -1;
	case PORT_ACT_CLOSE_TRANSPORT:
		if (a->u.close.reason != SCCP_CLOSE_UNREGISTERED &&
		    a->u.close.reason != SCCP_CLOSE_REJECTED) {
			snprintf(p->last_error, sizeof(p->last_error), "%s",
			         sccp_port_close_reason_text(a->u.close.reason));
			LOGW("port", "%s: closing the connection to %s: %s", p->device_name,
			     g->servers[p->server].text, sccp_port_close_reason_text(a->u.close.reason));
		}
		return (int)a->u.close.reason;
	case PORT_ACT_PLAY_GREETING:
		p->calls++;
		p->in_call = true;
		LOGI("port", "%s: answered call %u from '%s' for mailbox '%s'%s", p->device_name,
		     a->u.call.call_reference, a->u.call.caller, a->u.call.mailbox,
		     a->u.call.forwarded ? " (forwarded)" : " (direct)");
		break;
	case PORT_ACT_CALL_ENDED:
		p->in_call = false;
		LOGI("port", "%s: call %u ended: %s", p->device_name, a->u.call_ended.call_reference,
		     sccp_port_call_end_text(a->u.call_ended.reason));
		break;
	case PORT_ACT_DIGIT:
		LOGD("port", "%s: caller pressed %c", p->device_name, a->u.digit.digit);
		break;
	case PORT_ACT_MWI_DONE:
		if (a->u.mwi_done.result == SCCP_MWI_DIALLED || a->u.mwi_done.result == SCCP_MWI_NO_ANSWER)
			note_lamp(g, a->u.mwi_done.request.extension, a->u.mwi_done.request.on);
		LOGI("port", "%s: MWI %s for %s via %s: %s", p->device_name,
		     a->u.mwi_done.request.on ? "on" : "off", a->u.mwi_done.request.extension,
		     a->u.mwi_done.request.dial, sccp_port_mwi_result_text(a->u.mwi_done.result));
		return -1;
	case PORT_ACT_NOTE:
		log_note(p, a);
		return -1;
	default:
		break;
	}
	if (g->svc.media_action)
		g->svc.media_action(g->svc.arg, p->index, a);
	return -1;
}

void vm_port_feed_event(struct vm_port *p, const struct sccp_port_event *ev)
{
	struct vm_port_group *g = p->group;
	/* On the stack: a media service may answer OPEN_RX synchronously, which feeds the same port
	 * again before this output is done. */
	struct sccp_port_output out;
	sccp_port_handle(&p->sm, ev, vm_loop_now(g->loop), &out);
	for (size_t i = 0; i < out.n_msgs; i++)
		vm_port_link_send(p, &out.msgs[i]);
	if (out.n_msgs)
		vm_port_link_flush(p);
	int close_reason = -1;
	for (size_t i = 0; i < out.n_acts; i++) {
		int r = apply_action(p, &out.acts[i]);
		if (r >= 0)
			close_reason = r;
	}
	/* Keys travel only in OPEN_RX / START_TX actions: wipe those slots, not the whole output. */
	for (size_t i = 0; i < out.n_acts; i++)
		sccp_secure_wipe(&out.acts[i].u.media.key, sizeof(out.acts[i].u.media.key));
	uint64_t deadline = sccp_port_next_deadline(&p->sm);
	if (deadline == SCCP_PORT_NO_DEADLINE)
		vm_timer_cancel(g->loop, &p->sm_timer);
	else
		vm_timer_arm_at(g->loop, &p->sm_timer, deadline);
	if (g->mwi_flush_due && !g->shutting_down) {
		g->mwi_flush_due = false;
		size_t n = g->n_mwi_pending;
		__typeof__(g->mwi_pending) waiting;
		memcpy(waiting, g->mwi_pending, sizeof(waiting));
		g->n_mwi_pending = 0;
		for (size_t i = 0; i < n; i++)
			vm_port_group_mwi(g, waiting[i].ext, waiting[i].on);
	}
	if (close_reason < 0 && p->has_pending_config && p->link == VM_LINK_UP &&
	    sccp_port_state(&p->sm) == SCCP_PORT_IDLE && !g->shutting_down) {
		struct sccp_port_event unreg = {.type = PORT_EV_UNREGISTER};
		vm_port_feed_event(p, &unreg);
		return;
	}
	if (close_reason >= 0 && p->link != VM_LINK_IDLE && p->link != VM_LINK_CLOSED) {
		vm_port_link_close(p, sccp_port_close_reason_text((enum sccp_port_close_reason)close_reason));
		struct sccp_port_event down = {.type = PORT_EV_TRANSPORT_DOWN};
		vm_port_feed_event(p, &down);
		uncount_registered(p);
		after_link_down(p, false, close_reason);
	}
}

static void on_fallback_timer(struct vm_loop *loop, struct vm_timer *t)
{
	struct vm_port_group *g = t->arg;
	uint64_t now = vm_loop_now(loop);
	if (g->shutting_down)
		return;
	vm_timer_arm_at(loop, t, now + FALLBACK_CHECK_MS);
	if (g->servers[0].down_until_ms > now)
		return;
	if (g->fallback_port)
		return; /* one port at a time: it probes the higher server for the rest */
	for (size_t i = 0; i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		if (p->server == 0 || p->link != VM_LINK_UP || sccp_port_state(&p->sm) != SCCP_PORT_IDLE)
			continue;
		LOGI("port", "%s: moving back to higher-order CallManager %s", p->device_name,
		     g->servers[0].text);
		p->want_higher = true;
		g->fallback_port = p->index + 1;
		struct sccp_port_event ev = {.type = PORT_EV_UNREGISTER};
		vm_port_feed_event(p, &ev);
		return;
	}
}

static void port_config(const struct vm_port_group *g, unsigned index, struct sccp_port_config *pc)
{
	sccp_port_config_defaults(pc);
	vmport_config_device_name(&g->cfg, index + 1, pc->device_name);
	pc->device_type = g->cfg.device_type;
	pc->protocol_version = g->cfg.protocol_version;
	pc->use_last_redirect = g->cfg.use_last_redirecting;
	pc->mwi_dial = g->cfg.mwi_dial == VMPORT_MWI_ENBLOC ? SCCP_MWI_ENBLOC : SCCP_MWI_KEYPAD;
	/* A locally administered MAC per port: stable across restarts. */
	pc->mac[0] = 0x02;
	pc->mac[1] = 0x56;
	pc->mac[2] = 0x4D;
	pc->mac[3] = (uint8_t)(index >> 16);
	pc->mac[4] = (uint8_t)(index >> 8);
	pc->mac[5] = (uint8_t)index;
	pc->rng_seed = 0x9E3779B9u * (index + 1) ^ (uint32_t)vm_loop_now(g->loop);
}

int vm_port_group_new(struct vm_port_group **out, const struct vmport_config *cfg, struct vm_loop *loop,
                      const struct vm_port_services *svc, char *err, size_t err_cap)
{
	struct vm_port_group *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	g->cfg = *cfg;
	g->loop = loop;
	if (svc)
		g->svc = *svc;
	g->n_ports = cfg->ports;
	g->ports = calloc(g->n_ports, sizeof(*g->ports));
	g->pace_queue = calloc(g->n_ports, sizeof(*g->pace_queue));
	if (!g->ports || !g->pace_queue) {
		snprintf(err, err_cap, "out of memory for %zu ports", g->n_ports);
		vm_port_group_free(g);
		return -ENOMEM;
	}
	size_t usable = 0;
	for (size_t i = 0; i < cfg->n_cucm; i++) {
		char why[200];
		if (resolve_server(&g->servers[i], &cfg->cucm[i], why, sizeof(why)) == 0)
			usable++;
		else
			LOGE("port", "%s; that server is skipped", why);
	}
	if (usable == 0) {
		snprintf(err, err_cap, "no CallManager in [servers] cucm has a usable address");
		vm_port_group_free(g);
		return -EINVAL;
	}
	for (unsigned i = 0; i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		p->group = g;
		p->index = i;
		struct sccp_port_config pc;
		port_config(g, i, &pc);
		snprintf(p->device_name, sizeof(p->device_name), "%s", pc.device_name);
		if (sccp_port_init(&p->sm, &pc) != 0) {
			snprintf(err, err_cap, "port %s: the SCCP settings are not usable", pc.device_name);
			vm_port_group_free(g);
			return -EINVAL;
		}
		vm_port_link_init(p);
		p->sm_timer = (struct vm_timer){.cb = on_sm_timer, .arg = p};
		p->retry_timer = (struct vm_timer){.cb = on_retry_timer, .arg = p};
		p->server = first_usable_server(g, 0, 0);
		while (!g->servers[p->server].resolved)
			p->server = (p->server + 1) % cfg->n_cucm;
	}
	for (size_t i = 0; i < cfg->n_cucm; i++) {
		if (!g->servers[i].resolved)
			g->servers[i].down_until_ms = UINT64_MAX;
	}
	g->pace_timer = (struct vm_timer){.cb = on_pace_timer, .arg = g};
	g->fallback_timer = (struct vm_timer){.cb = on_fallback_timer, .arg = g};
	*out = g;
	return 0;
}

void vm_port_group_free(struct vm_port_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; g->ports && i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		vm_port_link_close(p, "shutdown");
		vm_timer_cancel(g->loop, &p->sm_timer);
		vm_timer_cancel(g->loop, &p->retry_timer);
	}
	vm_timer_cancel(g->loop, &g->pace_timer);
	vm_timer_cancel(g->loop, &g->fallback_timer);
	free(g->ports);
	free(g->pace_queue);
	free(g);
}

void vm_port_group_start(struct vm_port_group *g)
{
	for (unsigned i = 0; i < g->n_ports; i++) {
		g->ports[i].queued = true;
		g->pace_queue[(g->pace_head + g->pace_len++) % g->n_ports] = i;
	}
	vm_timer_arm_at(g->loop, &g->pace_timer, vm_loop_now(g->loop));
	if (g->cfg.reconnect_to_higher_order && g->cfg.n_cucm > 1)
		vm_timer_arm_at(g->loop, &g->fallback_timer, vm_loop_now(g->loop) + FALLBACK_CHECK_MS);
}

void vm_port_group_shutdown(struct vm_port_group *g)
{
	g->shutting_down = true;
	g->pace_len = 0;
	vm_timer_cancel(g->loop, &g->pace_timer);
	vm_timer_cancel(g->loop, &g->fallback_timer);
	for (size_t i = 0; i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		p->stopping = true;
		p->queued = false;
		vm_timer_cancel(g->loop, &p->retry_timer);
		if (p->link == VM_LINK_UP && sccp_port_state(&p->sm) != SCCP_PORT_DOWN) {
			struct sccp_port_event ev = {.type = PORT_EV_UNREGISTER};
			vm_port_feed_event(p, &ev);
		} else if (p->link != VM_LINK_CLOSED) {
			vm_port_link_close(p, "shutdown");
			p->link = VM_LINK_CLOSED;
		}
	}
	check_all_stopped(g);
}

void vm_port_group_suspend(struct vm_port_group *g, const char *why)
{
	if (g->suspended || g->shutting_down)
		return;
	g->suspended = true;
	g->pace_len = 0;
	vm_timer_cancel(g->loop, &g->pace_timer);
	LOGW("port", "%s: all %zu ports out of service until it returns", why, g->n_ports);
	for (size_t i = 0; i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		p->queued = false;
		vm_timer_cancel(g->loop, &p->retry_timer);
		if (p->link == VM_LINK_IDLE || p->link == VM_LINK_CLOSED)
			continue;
		/* No Unregister: the network that would carry it is gone. A call in progress is
		 * finished locally and its message kept (the state machine's TRANSPORT_DOWN). */
		vm_port_link_close(p, why);
		vm_port_transport_down(p, false);
	}
}

void vm_port_group_resume(struct vm_port_group *g)
{
	if (!g->suspended || g->shutting_down)
		return;
	g->suspended = false;
	LOGI("port", "network back: registering %zu ports again, %u per second", g->n_ports,
	     g->cfg.register_rate);
	for (size_t i = 0; i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		p->consecutive_failures = 0;
		p->server = first_usable_server(g, 0, vm_loop_now(g->loop));
		if (p->link == VM_LINK_IDLE && !p->queued) {
			p->queued = true;
			g->pace_queue[(g->pace_head + g->pace_len++) % g->n_ports] = p->index;
		}
	}
	if (g->pace_len && !g->pace_timer.armed)
		vm_timer_arm_at(g->loop, &g->pace_timer, vm_loop_now(g->loop));
}

static bool same_registration(const struct sccp_port_config *a, const struct sccp_port_config *b)
{
	return !strcmp(a->device_name, b->device_name) && a->device_type == b->device_type &&
	       a->protocol_version == b->protocol_version;
}

static bool same_server(const struct vmport_server *a, const struct vmport_server *b)
{
	return !strcmp(a->host, b->host) && a->port == b->port;
}

void vm_port_group_reload(struct vm_port_group *g, const struct vmport_config *fresh)
{
	if (fresh->ports != g->cfg.ports)
		LOGW("run", "SIGHUP: ports changed from %u to %u: that takes a restart; keeping %u",
		     g->cfg.ports, fresh->ports, g->cfg.ports);
	if (fresh->security_mode != g->cfg.security_mode)
		LOGW("run", "SIGHUP: security_mode changed to %s: that takes a restart; keeping %s",
		     vmport_security_mode_name(fresh->security_mode),
		     vmport_security_mode_name(g->cfg.security_mode));
	struct vmport_config next = *fresh;
	next.ports = g->cfg.ports;
	next.security_mode = g->cfg.security_mode;

	/* Which servers keep their place in the list: ports on the others move. */
	bool server_moved[VMPORT_MAX_SERVERS] = {false};
	for (size_t i = 0; i < g->cfg.n_cucm; i++)
		server_moved[i] = i >= next.n_cucm || !same_server(&g->cfg.cucm[i], &next.cucm[i]);
	for (size_t i = 0; i < next.n_cucm; i++) {
		if (i < g->cfg.n_cucm && !server_moved[i])
			continue;
		char why[200];
		memset(&g->servers[i], 0, sizeof(g->servers[i]));
		if (resolve_server(&g->servers[i], &next.cucm[i], why, sizeof(why)) < 0) {
			LOGE("port", "SIGHUP: %s; that server is skipped", why);
			g->servers[i].down_until_ms = UINT64_MAX;
		}
	}
	g->cfg = next;
	unsigned changed = 0;
	for (unsigned i = 0; i < g->n_ports; i++) {
		struct vm_port *p = &g->ports[i];
		struct sccp_port_config pc;
		port_config(g, i, &pc);
		/* Run-time settings change in place: they do not touch the registration. */
		p->sm.cfg.use_last_redirect = pc.use_last_redirect;
		p->sm.cfg.mwi_dial = pc.mwi_dial;
		bool moved = p->server >= g->cfg.n_cucm || server_moved[p->server];
		if (same_registration(&p->sm.cfg, &pc) && !moved)
			continue;
		pc.rng_seed = p->sm.cfg.rng_seed;
		p->pending_config = pc;
		p->has_pending_config = true;
		changed++;
		if (p->link == VM_LINK_UP && sccp_port_state(&p->sm) == SCCP_PORT_IDLE) {
			struct sccp_port_event unreg = {.type = PORT_EV_UNREGISTER};
			vm_port_feed_event(p, &unreg);
		} else if (p->link != VM_LINK_UP && p->link != VM_LINK_CLOSED) {
			/* Not registered: take the new settings before the next attempt. */
			vm_port_link_close(p, "configuration changed");
			p->has_pending_config = false;
			sccp_port_init(&p->sm, &pc);
			snprintf(p->device_name, sizeof(p->device_name), "%s", pc.device_name);
			p->server = first_usable_server(g, 0, vm_loop_now(g->loop));
			vm_port_schedule_connect(p, 0);
		}
		/* In a call or registering: re-registered when idle (vm_port_feed_event). */
	}
	LOGI("run", "SIGHUP: configuration re-read; %u of %zu ports register again", changed, g->n_ports);
}

static struct vm_port *port_at(struct vm_port_group *g, unsigned port)
{
	return port < g->n_ports ? &g->ports[port] : NULL;
}

void vm_port_group_rx_opened(struct vm_port_group *g, unsigned port, uint32_t pass_through_party_id,
                             uint32_t status, const uint8_t ip[4], uint16_t udp_port)
{
	struct vm_port *p = port_at(g, port);
	if (!p)
		return;
	struct sccp_port_event ev = {.type = PORT_EV_RX_OPENED};
	ev.u.rx_opened.pass_through_party_id = pass_through_party_id;
	ev.u.rx_opened.status = status;
	memcpy(ev.u.rx_opened.ip, ip, 4);
	ev.u.rx_opened.port = udp_port;
	vm_port_feed_event(p, &ev);
}

void vm_port_group_dtmf(struct vm_port_group *g, unsigned port, char digit)
{
	struct vm_port *p = port_at(g, port);
	if (!p)
		return;
	struct sccp_port_event ev = {.type = PORT_EV_DTMF, .u.digit = digit};
	vm_port_feed_event(p, &ev);
}

void vm_port_group_hangup(struct vm_port_group *g, unsigned port)
{
	struct vm_port *p = port_at(g, port);
	if (!p)
		return;
	struct sccp_port_event ev = {.type = PORT_EV_HANGUP};
	vm_port_feed_event(p, &ev);
}

void vm_port_group_message_saved(struct vm_port_group *g, unsigned port, const char *ext)
{
	struct vm_port *p = port_at(g, port);
	if (p)
		p->messages++;
	if (ext && ext[0])
		vm_port_group_mwi(g, ext, true);
}

int vm_port_group_mwi(struct vm_port_group *g, const char *ext, bool on)
{
	const char *dial = on ? g->cfg.mwi_on_extension : g->cfg.mwi_off_extension;
	if (!dial[0]) {
		LOGE("mwi", "cannot turn MWI %s for %s: mwi_%s_extension is not configured",
		     on ? "on" : "off", ext, on ? "on" : "off");
		return -EINVAL;
	}
	if (strlen(ext) > SCCP_DN_LEN) {
		LOGE("mwi", "cannot turn MWI %s for '%s': longer than %d digits", on ? "on" : "off", ext,
		     SCCP_DN_LEN);
		return -EINVAL;
	}
	/* An idle registered port first; else any registered port (it queues the request). */
	struct vm_port *chosen = NULL;
	for (int pass = 0; pass < 2 && !chosen; pass++) {
		for (size_t i = 0; i < g->n_ports; i++) {
			struct vm_port *p = &g->ports[(g->mwi_rr + i) % g->n_ports];
			enum sccp_port_state s = sccp_port_state(&p->sm);
			if (pass == 0 ? s == SCCP_PORT_IDLE : sm_registered(p)) {
				chosen = p;
				g->mwi_rr = (unsigned)((p->index + 1) % g->n_ports);
				break;
			}
		}
	}
	if (!chosen) {
		/* Keep it (the newest request per extension wins) until a port registers. */
		size_t i = 0;
		while (i < g->n_mwi_pending && strcmp(g->mwi_pending[i].ext, ext))
			i++;
		if (i == sizeof(g->mwi_pending) / sizeof(g->mwi_pending[0])) {
			LOGE("mwi",
			     "cannot turn MWI %s for %s: no port is registered and 64 requests already wait",
			     on ? "on" : "off", ext);
			return -EAGAIN;
		}
		snprintf(g->mwi_pending[i].ext, sizeof(g->mwi_pending[i].ext), "%s", ext);
		g->mwi_pending[i].on = on;
		if (i == g->n_mwi_pending)
			g->n_mwi_pending++;
		LOGW("mwi", "no port is registered: MWI %s for %s waits for one", on ? "on" : "off", ext);
		return 0;
	}
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	snprintf(ev.u.mwi.extension, sizeof(ev.u.mwi.extension), "%s", ext);
	snprintf(ev.u.mwi.dial, sizeof(ev.u.mwi.dial), "%s", dial);
	ev.u.mwi.on = on;
	LOGI("mwi", "%s: dialling %s as %s to turn the lamp %s", chosen->device_name, dial, ext,
	     on ? "on" : "off");
	vm_port_feed_event(chosen, &ev);
	return 0;
}

void vm_port_group_local_ip(const struct vm_port_group *g, unsigned port, uint8_t ip[4])
{
	memset(ip, 0, 4);
	if (port < g->n_ports)
		memcpy(ip, g->ports[port].sm.cfg.station_ip, 4);
}

size_t vm_port_group_count(const struct vm_port_group *g)
{
	return g->n_ports;
}

size_t vm_port_group_registered(const struct vm_port_group *g)
{
	return g->registered;
}

void vm_port_group_status(const struct vm_port_group *g, unsigned port, struct vm_port_status *st)
{
	memset(st, 0, sizeof(*st));
	if (port >= g->n_ports)
		return;
	const struct vm_port *p = &g->ports[port];
	snprintf(st->device_name, sizeof(st->device_name), "%s", p->device_name);
	st->state = sccp_port_state_name(sccp_port_state(&p->sm));
	st->link = vm_link_state_name(p->link);
	snprintf(st->server, sizeof(st->server), "%s", g->servers[p->server].text);
	snprintf(st->tls_version, sizeof(st->tls_version), "%s", p->tls_version);
	snprintf(st->tls_cipher, sizeof(st->tls_cipher), "%s", p->tls_cipher);
	st->security = vmport_security_mode_name(g->cfg.security_mode);
	snprintf(st->dn, sizeof(st->dn), "%s", sccp_port_directory_number(&p->sm));
	const struct sccp_port_stats *s = sccp_port_stats(&p->sm);
	st->registrations = s->registrations;
	st->calls = p->calls;
	st->messages = p->messages;
	st->mwi_done = s->mwi_done;
	snprintf(st->last_error, sizeof(st->last_error), "%s", p->last_error);
}
