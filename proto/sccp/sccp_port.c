/* The port's life cycle: registration (protocol.md §2.7), keepalives and failure detection (§8),
 * Reset and Unregister, and the event dispatch. Calls live in sccp_port_call.c, MWI dialling in
 * sccp_port_mwi.c. */
#include "sccp_port_internal.h"

#include <errno.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Small shared helpers */

void sccp_secure_wipe(void *p, size_t n)
{
	/* Through a volatile pointer: a plain memset of memory that is not read again may be removed. */
	volatile uint8_t *b = p;
	while (n--)
		*b++ = 0;
}

void port_strcpy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

struct sccp_msg *port_send(struct sccp_port *p, struct sccp_port_output *out, uint32_t id)
{
	if (out->n_msgs >= SCCP_PORT_MAX_MSGS) {
		p->stats.output_overflow++;
		return NULL;
	}
	struct sccp_msg *m = &out->msgs[out->n_msgs++];
	sccp_msg_init(m, id, p->hv);
	return m;
}

struct sccp_port_action *port_act(struct sccp_port *p, struct sccp_port_output *out,
                                  enum sccp_port_action_type type)
{
	if (out->n_acts >= SCCP_PORT_MAX_ACTS) {
		p->stats.output_overflow++;
		return NULL;
	}
	struct sccp_port_action *a = &out->acts[out->n_acts++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

void port_note(struct sccp_port *p, struct sccp_port_output *out, const char *what, uint32_t msg_id,
               uint32_t value)
{
	p->stats.ignored++;
	struct sccp_port_action *a = port_act(p, out, PORT_ACT_NOTE);
	if (!a)
		return;
	a->u.note.what = what;
	a->u.note.msg_id = msg_id;
	a->u.note.value = value;
}

void port_arm(struct sccp_port *p, enum sccp_port_timer t, uint64_t due_ms)
{
	p->deadline[t] = due_ms;
}

void port_disarm(struct sccp_port *p, enum sccp_port_timer t)
{
	p->deadline[t] = SCCP_PORT_NO_DEADLINE;
}

static void port_disarm_all(struct sccp_port *p)
{
	for (int t = 0; t < SCCP_TIMER_COUNT; t++)
		p->deadline[t] = SCCP_PORT_NO_DEADLINE;
}

bool port_is_registered(const struct sccp_port *p)
{
	return p->state == SCCP_PORT_IDLE || p->state == SCCP_PORT_RINGING || p->state == SCCP_PORT_IN_CALL ||
	       p->state == SCCP_PORT_MWI;
}

void port_became_idle(struct sccp_port *p, uint64_t now_ms)
{
	p->state = SCCP_PORT_IDLE;
	/* Not started right here: the output that ends a call or completes registration may be full,
	 * and a short pause lets CallManager finish tearing down the previous call. */
	if (p->mwi_count > 0)
		port_arm(p, SCCP_TIMER_MWI, now_ms);
}

void port_send_onhook(struct sccp_port *p, struct sccp_port_output *out, bool has_ref, uint32_t line,
                      uint32_t call_ref)
{
	struct sccp_msg *m = port_send(p, out, SCCP_ONHOOK);
	if (!m || !has_ref)
		return;
	m->u.offhook.present = true;
	m->u.offhook.line_instance = line;
	m->u.offhook.call_reference = call_ref;
}

/* xorshift32: tiny, deterministic, good enough to spread keepalives. */
static uint32_t port_random(struct sccp_port *p)
{
	uint32_t x = p->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	p->rng = x;
	return x;
}

/* A keepalive delay drawn from [¾, 1] × interval, as chan-sccp does (§2.7): hundreds of ports
 * registering together must not keep their keepalives in lock step. */
static uint64_t port_keepalive_delay_ms(struct sccp_port *p)
{
	uint64_t interval = (uint64_t)p->keepalive_s * 1000u;
	uint64_t quarter = interval / 4;
	return interval - quarter + (quarter ? port_random(p) % (quarter + 1) : 0);
}

/* ---------------------------------------------------------------------------------------------
 * Names */

const char *sccp_port_state_name(enum sccp_port_state s)
{
	switch (s) {
	case SCCP_PORT_DOWN:
		return "down";
	case SCCP_PORT_REGISTERING:
		return "registering";
	case SCCP_PORT_IDLE:
		return "idle";
	case SCCP_PORT_RINGING:
		return "ringing";
	case SCCP_PORT_IN_CALL:
		return "in-call";
	case SCCP_PORT_MWI:
		return "dialling-mwi";
	case SCCP_PORT_UNREGISTERING:
		return "unregistering";
	case SCCP_PORT_CLOSING:
		return "closing";
	}
	return "?";
}

const char *sccp_port_action_name(enum sccp_port_action_type t)
{
	switch (t) {
	case PORT_ACT_OPEN_RX:
		return "open-rx";
	case PORT_ACT_START_TX:
		return "start-tx";
	case PORT_ACT_STOP_TX:
		return "stop-tx";
	case PORT_ACT_CLOSE_RX:
		return "close-rx";
	case PORT_ACT_PLAY_GREETING:
		return "play-greeting";
	case PORT_ACT_RECORD:
		return "record";
	case PORT_ACT_DIGIT:
		return "digit";
	case PORT_ACT_CLOSE_TRANSPORT:
		return "close-transport";
	case PORT_ACT_REGISTERED:
		return "registered";
	case PORT_ACT_REJECTED:
		return "rejected";
	case PORT_ACT_CALL_ENDED:
		return "call-ended";
	case PORT_ACT_MWI_DONE:
		return "mwi-done";
	case PORT_ACT_NOTE:
		return "note";
	}
	return "?";
}

const char *sccp_port_close_reason_text(enum sccp_port_close_reason r)
{
	switch (r) {
	case SCCP_CLOSE_REJECTED:
		return "registration rejected by CallManager";
	case SCCP_CLOSE_REGISTER_TIMEOUT:
		return "registration timed out";
	case SCCP_CLOSE_KEEPALIVE_LOST:
		return "keepalive lost";
	case SCCP_CLOSE_RESET:
		return "reset by CallManager";
	case SCCP_CLOSE_UNREGISTERED:
		return "unregistered";
	}
	return "?";
}

const char *sccp_port_call_end_text(enum sccp_port_call_end r)
{
	switch (r) {
	case SCCP_CALL_END_REMOTE:
		return "CallManager cleared the call";
	case SCCP_CALL_END_LOCAL:
		return "port hung up";
	case SCCP_CALL_END_SIGNALLING_LOST:
		return "signalling lost, call finished locally";
	case SCCP_CALL_END_UNREGISTERED:
		return "port unregistered";
	}
	return "?";
}

const char *sccp_port_mwi_result_text(enum sccp_port_mwi_result r)
{
	switch (r) {
	case SCCP_MWI_DIALLED:
		return "dialled";
	case SCCP_MWI_NO_ANSWER:
		return "dialled, no call progress before hang-up";
	case SCCP_MWI_REFUSED:
		return "refused by CallManager";
	case SCCP_MWI_INVALID:
		return "invalid request";
	case SCCP_MWI_DROPPED:
		return "dropped (queue full or superseded)";
	}
	return "?";
}

/* ---------------------------------------------------------------------------------------------
 * Configuration and accessors */

void sccp_port_config_defaults(struct sccp_port_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->device_type = 80;
	cfg->instance = 1;
	cfg->protocol_version = 17;
	cfg->max_streams = 2;
	cfg->phone_features = SCCP_FEATURE_RFC2833;
	cfg->codecs[0] = 4; /* G.711 µ-law 64k */
	cfg->codecs[1] = 2; /* G.711 A-law 64k */
	cfg->n_codecs = 2;
	cfg->packet_ms = 20;
	cfg->request_templates = true;
	cfg->answer_calls = true;
	cfg->answer_without_info_ms = 1000;
	cfg->mwi_dial = SCCP_MWI_KEYPAD;
	cfg->mwi_dial_delay_ms = 1000;
	cfg->mwi_digit_gap_ms = 0;
	cfg->mwi_hangup_ms = 3000;
	cfg->register_timeout_ms = 10000;
	cfg->unregister_timeout_ms = 3000;
	cfg->keepalive_default_s = 30;
	cfg->keepalive_max_missed = 3;
	cfg->rng_seed = 1;
}

static bool terminated(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

int sccp_port_init(struct sccp_port *p, const struct sccp_port_config *cfg)
{
	if (!terminated(cfg->device_name, sizeof(cfg->device_name)) || cfg->device_name[0] == '\0')
		return -EINVAL;
	if (!terminated(cfg->firmware_load_name, sizeof(cfg->firmware_load_name)) ||
	    strnlen(cfg->pilot_number, sizeof(cfg->pilot_number)) > SCCP_DN_LEN)
		return -EINVAL;
	if (cfg->n_codecs == 0 || cfg->n_codecs > SCCP_PORT_MAX_CODECS)
		return -EINVAL;
	if (cfg->register_timeout_ms == 0 || cfg->unregister_timeout_ms == 0 ||
	    cfg->keepalive_default_s == 0 || cfg->keepalive_max_missed == 0)
		return -EINVAL;

	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->state = SCCP_PORT_DOWN;
	port_disarm_all(p);
	/* Mix the seed so that neighbouring seeds (port numbers) start far apart; xorshift needs ≠ 0. */
	uint32_t x = cfg->rng_seed * 2654435761u ^ 0x9E3779B9u;
	p->rng = x ? x : 1;
	return 0;
}

enum sccp_port_state sccp_port_state(const struct sccp_port *p)
{
	return p->state;
}

uint64_t sccp_port_next_deadline(const struct sccp_port *p)
{
	uint64_t next = SCCP_PORT_NO_DEADLINE;
	for (int t = 0; t < SCCP_TIMER_COUNT; t++)
		if (p->deadline[t] < next)
			next = p->deadline[t];
	return next;
}

const char *sccp_port_directory_number(const struct sccp_port *p)
{
	return p->dn;
}

uint32_t sccp_port_header_version(const struct sccp_port *p)
{
	return p->hv;
}

size_t sccp_port_mwi_pending(const struct sccp_port *p)
{
	return p->mwi_count;
}

const struct sccp_port_stats *sccp_port_stats(const struct sccp_port *p)
{
	return &p->stats;
}

/* ---------------------------------------------------------------------------------------------
 * Session teardown */

/* Whatever the session was doing ends here: the call is finished locally (its recording kept),
 * an MWI being dialled goes back to the queue, every timer stops. The queue itself survives: it
 * runs after the next registration, on this CallManager or the next. */
static void port_drop_session(struct sccp_port *p, struct sccp_port_output *out, enum sccp_port_call_end why)
{
	if (p->state == SCCP_PORT_IN_CALL || p->state == SCCP_PORT_RINGING)
		port_call_finish(p, out, why);
	if (p->state == SCCP_PORT_MWI)
		port_mwi_abort(p, out, false);
	port_disarm_all(p);
	p->hv = 0;
	p->protocol_version = 0;
	p->got_register_ack = false;
	p->answered_capabilities = false;
	p->keepalives_unanswered = 0;
}

static enum sccp_port_call_end call_end_for_close(enum sccp_port_close_reason r)
{
	return r == SCCP_CLOSE_RESET || r == SCCP_CLOSE_UNREGISTERED ? SCCP_CALL_END_UNREGISTERED
	                                                             : SCCP_CALL_END_SIGNALLING_LOST;
}

/* Ask the program to close the transport; the port waits in CLOSING for TRANSPORT_DOWN. */
static void port_close(struct sccp_port *p, struct sccp_port_output *out, enum sccp_port_close_reason why)
{
	port_drop_session(p, out, call_end_for_close(why));
	struct sccp_port_action *a = port_act(p, out, PORT_ACT_CLOSE_TRANSPORT);
	if (a)
		a->u.close.reason = why;
	p->state = SCCP_PORT_CLOSING;
}

/* Send Unregister and wait for UnregisterAck (or the timeout), then close with `why`. A call in
 * progress is finished first; `hang_up` also tells CallManager with OnHook (not after a Reset,
 * when CallManager is already tearing the device down). */
static void port_start_unregister(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out,
                                  enum sccp_port_close_reason why, bool hang_up)
{
	if (p->state == SCCP_PORT_IN_CALL && hang_up)
		port_send_onhook(p, out, true, p->call.line_instance, p->call.call_reference);
	if (p->state == SCCP_PORT_IN_CALL || p->state == SCCP_PORT_RINGING)
		port_call_finish(p, out, SCCP_CALL_END_UNREGISTERED);
	if (p->state == SCCP_PORT_MWI)
		port_mwi_abort(p, out, hang_up);
	port_disarm_all(p);
	port_send(p, out, SCCP_UNREGISTER);
	p->unregister_reason = why;
	p->state = SCCP_PORT_UNREGISTERING;
	port_arm(p, SCCP_TIMER_UNREGISTER, now_ms + p->cfg.unregister_timeout_ms);
}

/* ---------------------------------------------------------------------------------------------
 * Registration (§2.2–§2.7) */

static void port_send_register(struct sccp_port *p, struct sccp_port_output *out)
{
	/* Register always travels with header version 0 and states the protocol version in its body,
	 * as phones and chan-sccp do: nothing is negotiated yet. */
	struct sccp_msg *m = port_send(p, out, SCCP_REGISTER);
	if (!m)
		return;
	m->hv = SCCP_HV_BASIC;
	struct sccp_register *r = &m->u.reg;
	port_strcpy(r->device_name, sizeof(r->device_name), p->cfg.device_name);
	r->instance = p->cfg.instance;
	memcpy(r->station_ip, p->cfg.station_ip, 4);
	r->device_type = p->cfg.device_type;
	r->max_streams = p->cfg.max_streams;
	/* The full 124-byte form (§2.2): CallManager reads protocolVer and features only when the
	 * body is longer than 52 bytes, and a consistent, complete tail avoids older short layouts. */
	r->has_ext = true;
	r->protocol_ver = p->cfg.protocol_version;
	r->phone_features = p->cfg.phone_features;
	r->has_full = true;
	memcpy(r->mac, p->cfg.mac, 6);
	r->max_lines = 1;
	port_strcpy(r->firmware, sizeof(r->firmware), p->cfg.firmware_load_name);
}

static void port_on_transport_up(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	if (p->state != SCCP_PORT_DOWN) {
		port_note(p, out, "transport up while a session was open: old session dropped",
		          SCCP_NO_MSG_ID, p->state);
		port_drop_session(p, out, SCCP_CALL_END_SIGNALLING_LOST);
	}
	p->dn[0] = '\0';
	p->state = SCCP_PORT_REGISTERING;
	port_send_register(p, out);
	port_arm(p, SCCP_TIMER_REGISTER, now_ms + p->cfg.register_timeout_ms);
}

static void port_on_transport_down(struct sccp_port *p, struct sccp_port_output *out)
{
	if (p->state == SCCP_PORT_DOWN)
		return;
	port_drop_session(p, out, SCCP_CALL_END_SIGNALLING_LOST);
	p->state = SCCP_PORT_DOWN;
}

static void port_send_capabilities(struct sccp_port *p, struct sccp_port_output *out)
{
	struct sccp_msg *m = port_send(p, out, SCCP_CAPABILITIES_RES);
	if (!m)
		return;
	struct sccp_capabilities_res *c = &m->u.capabilities;
	c->count = (uint32_t)p->cfg.n_codecs;
	for (size_t i = 0; i < p->cfg.n_codecs; i++) {
		c->caps[i].payload = p->cfg.codecs[i];
		c->caps[i].max_frames_per_packet = p->cfg.packet_ms;
	}
}

static void port_send_u32(struct sccp_port *p, struct sccp_port_output *out, uint32_t id, uint32_t value)
{
	struct sccp_msg *m = port_send(p, out, id);
	if (m)
		m->u.line_stat_req.value = value; /* every sccp_u32 body has the same layout */
}

/* RegisterAck and the capabilities exchange are both done (in either order): the port is
 * registered. Then the station requests of §2.7, answers to which are taken as they come. */
static void port_complete_registration(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	port_disarm(p, SCCP_TIMER_REGISTER);
	p->stats.registrations++;
	struct sccp_port_action *a = port_act(p, out, PORT_ACT_REGISTERED);
	if (a) {
		a->u.registered.protocol_version = p->protocol_version;
		a->u.registered.hv = p->hv;
		a->u.registered.keepalive_s = p->keepalive_s;
	}
	if (p->cfg.request_templates) {
		port_send(p, out, SCCP_BUTTON_TEMPLATE_REQ);
		port_send(p, out, SCCP_SOFTKEY_TEMPLATE_REQ);
		port_send(p, out, SCCP_SOFTKEY_SET_REQ);
		port_send(p, out, SCCP_CONFIG_STAT_REQ);
	}
	port_send_u32(p, out, SCCP_LINE_STAT_REQ, 1);
	port_send_u32(p, out, SCCP_REGISTER_AVAILABLE_LINES, 1);
	port_send(p, out, SCCP_TIME_DATE_REQ);
	port_became_idle(p, now_ms);
}

static void port_on_register_ack(struct sccp_port *p, const struct sccp_register_ack *ack, uint64_t now_ms,
                                 struct sccp_port_output *out)
{
	if (p->state != SCCP_PORT_REGISTERING && !port_is_registered(p)) {
		port_note(p, out, "RegisterAck while not registering", SCCP_REGISTER_ACK, p->state);
		return;
	}
	p->keepalive_s = ack->keepalive ? ack->keepalive : p->cfg.keepalive_default_s;
	/* The effective version is the lower of ours and CallManager's (§2.3). Below V11 the layouts
	 * are the basic ones, sent with header version 0 (an old CallManager answering 5 gets them). */
	uint8_t v =
	    p->cfg.protocol_version < ack->max_protocol_ver ? p->cfg.protocol_version : ack->max_protocol_ver;
	p->protocol_version = v;
	p->hv = v >= SCCP_HV_V11 ? v : SCCP_HV_BASIC;
	p->keepalives_unanswered = 0;
	port_arm(p, SCCP_TIMER_KEEPALIVE, now_ms + port_keepalive_delay_ms(p));
	bool first = !p->got_register_ack;
	p->got_register_ack = true;
	if (first && p->state == SCCP_PORT_REGISTERING && p->answered_capabilities)
		port_complete_registration(p, now_ms, out);
}

static void port_on_capabilities_req(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	/* Answered whenever asked, even before RegisterAck (then with header version 0). */
	port_send_capabilities(p, out);
	bool first = !p->answered_capabilities;
	p->answered_capabilities = true;
	if (first && p->state == SCCP_PORT_REGISTERING && p->got_register_ack)
		port_complete_registration(p, now_ms, out);
}

static void port_on_register_reject(struct sccp_port *p, const struct sccp_text32 *text,
                                    struct sccp_port_output *out)
{
	struct sccp_port_action *a = port_act(p, out, PORT_ACT_REJECTED);
	if (a)
		a->u.rejected = *text;
	port_close(p, out, SCCP_CLOSE_REJECTED);
}

static void port_on_line_stat(struct sccp_port *p, const struct sccp_line_stat_res *ls)
{
	/* Only line 1 exists on a voicemail port; a CallManager 3.x may leave lineNumber at 0. */
	if (ls->line_number <= 1)
		port_strcpy(p->dn, sizeof(p->dn), ls->dir_number);
}

/* ---------------------------------------------------------------------------------------------
 * Keepalive (§2.7, §8) */

static void port_on_keepalive_timer(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	if (p->keepalives_unanswered >= p->cfg.keepalive_max_missed) {
		port_close(p, out, SCCP_CLOSE_KEEPALIVE_LOST);
		return;
	}
	if (port_send(p, out, SCCP_KEEPALIVE)) {
		p->keepalives_unanswered++;
		p->stats.keepalives_sent++;
	}
	port_arm(p, SCCP_TIMER_KEEPALIVE, now_ms + port_keepalive_delay_ms(p));
}

/* ---------------------------------------------------------------------------------------------
 * Reset and Unregister */

static void port_on_reset(struct sccp_port *p, const struct sccp_u32 *reset, uint64_t now_ms,
                          struct sccp_port_output *out)
{
	/* Every reset type (1 reset, 2 restart, 3 apply config) means the same to a voicemail port:
	 * leave and register again, which picks up any new configuration. */
	if (reset->value < 1 || reset->value > 3)
		port_note(p, out, "Reset of an unknown type: treated as a reset", SCCP_RESET, reset->value);
	if (p->state == SCCP_PORT_UNREGISTERING)
		return;
	if (!p->got_register_ack)
		port_close(p, out, SCCP_CLOSE_RESET);
	else
		port_start_unregister(p, now_ms, out, SCCP_CLOSE_RESET, false);
}

static void port_on_unregister_ack(struct sccp_port *p, const struct sccp_u32 *ack,
                                   struct sccp_port_output *out)
{
	if (p->state != SCCP_PORT_UNREGISTERING) {
		port_note(p, out, "UnregisterAck without an Unregister", SCCP_UNREGISTER_ACK, ack->value);
		return;
	}
	/* chan-sccp refuses (NAK, 2) while it still sees a call on the device; the port hung up its
	 * call just before, so that is a race, and the port leaves anyway: the closed connection
	 * unregisters it on CallManager's side. */
	if (ack->value != 0)
		port_note(p, out, "UnregisterAck refused (call still active at CallManager?): closing anyway",
		          SCCP_UNREGISTER_ACK, ack->value);
	port_close(p, out, p->unregister_reason);
}

static void port_on_unregister_event(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	switch (p->state) {
	case SCCP_PORT_DOWN:
	case SCCP_PORT_CLOSING:
	case SCCP_PORT_UNREGISTERING:
		return;
	case SCCP_PORT_REGISTERING:
		if (!p->got_register_ack) {
			port_close(p, out, SCCP_CLOSE_UNREGISTERED);
			return;
		}
		break;
	default:
		break;
	}
	port_start_unregister(p, now_ms, out, SCCP_CLOSE_UNREGISTERED, true);
}

/* ---------------------------------------------------------------------------------------------
 * Dispatch */

static bool port_call_messages_allowed(struct sccp_port *p)
{
	/* During UNREGISTERING the call is already finished; its stragglers are absorbed quietly. */
	return port_is_registered(p) || p->state == SCCP_PORT_UNREGISTERING;
}

static void port_on_message(struct sccp_port *p, const struct sccp_msg *m, uint64_t now_ms,
                            struct sccp_port_output *out)
{
	if (p->state == SCCP_PORT_CLOSING)
		return; /* what was in flight when we asked to close */
	if (p->state == SCCP_PORT_DOWN) {
		port_note(p, out, "message without a transport", m->id, 0);
		return;
	}

	switch (m->id) {
	case SCCP_REGISTER_ACK:
		port_on_register_ack(p, &m->u.register_ack, now_ms, out);
		return;
	case SCCP_CAPABILITIES_REQ:
		if (p->state == SCCP_PORT_UNREGISTERING)
			return;
		port_on_capabilities_req(p, now_ms, out);
		return;
	case SCCP_REGISTER_REJECT:
		port_on_register_reject(p, &m->u.register_reject, out);
		return;
	case SCCP_KEEPALIVE_ACK:
		p->keepalives_unanswered = 0;
		p->stats.keepalive_acks++;
		return;
	case SCCP_RESET:
		port_on_reset(p, &m->u.reset, now_ms, out);
		return;
	case SCCP_UNREGISTER_ACK:
		port_on_unregister_ack(p, &m->u.unregister_ack, out);
		return;
	case SCCP_LINE_STAT_RES:
		port_on_line_stat(p, &m->u.line_stat);
		return;

	/* Answers to our requests and station decoration a voicemail port has no use for (§3.4). */
	case SCCP_BUTTON_TEMPLATE_RES:
	case SCCP_SOFTKEY_TEMPLATE_RES:
	case SCCP_SOFTKEY_SET_RES:
	case SCCP_CONFIG_STAT_RES:
	case SCCP_DEFINE_TIME_DATE:
	case SCCP_VERSION:
	case SCCP_FEATURE_STAT_RES:
	case SCCP_SET_RINGER:
	case SCCP_SET_LAMP:
	case SCCP_SET_SPEAKER_MODE:
	case SCCP_SELECT_SOFTKEYS:
	case SCCP_DISPLAY_PROMPT_STATUS:
	case SCCP_DISPLAY_PROMPT_STATUS_V2:
	case SCCP_CLEAR_PROMPT_STATUS:
	case SCCP_DISPLAY_PRI_NOTIFY:
	case SCCP_ACTIVATE_CALL_PLANE:
	case SCCP_DEACTIVATE_CALL_PLANE:
	case SCCP_DIALED_NUMBER:
	case SCCP_STOP_TONE:
	case SCCP_CONNECTION_STATISTICS_REQ:
	case SCCP_REGISTER_TOKEN_ACK:
	case SCCP_REGISTER_TOKEN_REJECT:
	/* NotifyDtmfTone / SendDtmfTone: not mapped to digits, so that a CallManager that sends them
	 * next to StartTone or KeypadButton cannot double a caller's digit. */
	case SCCP_NOTIFY_DTMF_TONE:
	case SCCP_SEND_DTMF_TONE:
		return;
	default:
		break;
	}

	if (!port_call_messages_allowed(p)) {
		port_note(p, out, "call message before registration completed", m->id, p->state);
		return;
	}
	switch (m->id) {
	case SCCP_CALL_STATE:
		if (p->state == SCCP_PORT_MWI)
			port_mwi_on_call_state(p, &m->u.call_state, now_ms, out);
		else
			port_call_on_call_state(p, &m->u.call_state, now_ms, out);
		return;
	case SCCP_CALL_INFO:
	case SCCP_CALL_INFO_V2:
		port_call_on_call_info(p, m, now_ms, out);
		return;
	case SCCP_OPEN_RECEIVE_CHANNEL:
		port_call_on_open_receive_channel(p, &m->u.orc, out);
		return;
	case SCCP_START_MEDIA_TRANSMISSION:
		port_call_on_start_media(p, &m->u.smt, out);
		return;
	case SCCP_STOP_MEDIA_TRANSMISSION:
	case SCCP_CLOSE_RECEIVE_CHANNEL:
		port_call_on_stop_media(p, m, out);
		return;
	case SCCP_KEYPAD_BUTTON: /* C→D: CallManager relaying a caller's digit (§3.6) */
		port_call_on_keypad(p, &m->u.keypad, out);
		return;
	case SCCP_START_TONE:
		port_call_on_start_tone(p, &m->u.start_tone, out);
		return;
	default:
		port_note(p, out, "message not expected by a voicemail port", m->id, 0);
		return;
	}
}

static void port_on_timer(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	/* Each due timer fires once; a handler may stop the others (e.g. closing clears them all). */
	for (int t = 0; t < SCCP_TIMER_COUNT; t++) {
		if (p->deadline[t] > now_ms)
			continue;
		port_disarm(p, (enum sccp_port_timer)t);
		switch ((enum sccp_port_timer)t) {
		case SCCP_TIMER_REGISTER:
			if (p->state == SCCP_PORT_REGISTERING)
				port_close(p, out, SCCP_CLOSE_REGISTER_TIMEOUT);
			break;
		case SCCP_TIMER_KEEPALIVE:
			port_on_keepalive_timer(p, now_ms, out);
			break;
		case SCCP_TIMER_UNREGISTER:
			if (p->state == SCCP_PORT_UNREGISTERING) {
				port_note(p, out, "no UnregisterAck: closing anyway", SCCP_UNREGISTER,
				          p->cfg.unregister_timeout_ms);
				port_close(p, out, p->unregister_reason);
			}
			break;
		case SCCP_TIMER_ANSWER:
			port_call_on_answer_timer(p, now_ms, out);
			break;
		case SCCP_TIMER_MWI:
			port_mwi_on_timer(p, now_ms, out);
			break;
		case SCCP_TIMER_COUNT:
			break;
		}
	}
}

void sccp_port_handle(struct sccp_port *p, const struct sccp_port_event *ev, uint64_t now_ms,
                      struct sccp_port_output *out)
{
	/* The previous output may still hold keys the program has not wiped. Only the key slots,
	 * and without reading the output first: it may be fresh, uninitialised memory. */
	for (size_t i = 0; i < SCCP_PORT_MAX_ACTS; i++)
		sccp_secure_wipe(&out->acts[i].u.media.key, sizeof(out->acts[i].u.media.key));
	out->n_msgs = 0;
	out->n_acts = 0;

	switch (ev->type) {
	case PORT_EV_TRANSPORT_UP:
		port_on_transport_up(p, now_ms, out);
		break;
	case PORT_EV_TRANSPORT_DOWN:
		port_on_transport_down(p, out);
		break;
	case PORT_EV_MESSAGE:
		if (ev->u.msg)
			port_on_message(p, ev->u.msg, now_ms, out);
		break;
	case PORT_EV_TIMER:
		port_on_timer(p, now_ms, out);
		break;
	case PORT_EV_MWI:
		port_mwi_submit(p, &ev->u.mwi, now_ms, out);
		break;
	case PORT_EV_RX_OPENED:
		port_call_on_rx_opened(p, ev, out);
		break;
	case PORT_EV_DTMF:
		port_call_on_dtmf(p, ev->u.digit, out);
		break;
	case PORT_EV_HANGUP:
		port_call_on_hangup(p, ev->u.call_reference, now_ms, out);
		break;
	case PORT_EV_UNREGISTER:
		port_on_unregister_event(p, now_ms, out);
		break;
	default:
		port_note(p, out, "unknown event type", SCCP_NO_MSG_ID, (uint32_t)ev->type);
		break;
	}
	out->next_deadline_ms = sccp_port_next_deadline(p);
}
