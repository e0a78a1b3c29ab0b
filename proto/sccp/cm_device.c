/* The CallManager side of one device connection (see cm_device.h): registration with the
 * provisioning check (protocol.md §2.7, §7.2, §7.3), the station requests, keepalive supervision
 * (§2.7, §8), the test caller's call to the device (§3.7, §4, §9.2) and calls the device makes
 * itself to the MWI On/Off numbers (§5.2, §9.3). */
#include "cm_device.h"

#include <errno.h>
#include <string.h>

/* Media status "OK" and the device tones (WS-XML DeviceTone, protocol.md §3.6). */
#define CM_MEDIA_OK 0u
#define CM_TONE_INSIDE_DIAL 0x21u
#define CM_TONE_REORDER 0x25u
#define CM_RING_OFF 1u
#define CM_RING_OUTSIDE 3u
#define CM_RING_NORMAL 1u
#define CM_SOFTKEY_NEWCALL 2u
#define CM_SOFTKEY_ENDCALL 9u
#define CM_SOFTKEY_ANSWER 11u
#define CM_DTMF_TYPE 10u /* dtmfType in both CS-H channel dumps */
#define CM_REGISTER_ACK_UNKNOWN 0x20u
#define CM_REGISTER_ACK_FEATURES 0xFEF1u /* chan-sccp's bytes F1 FE (§10 #18) */
#define CM_SECURITY_STATUS_NOT_AUTHENTICATED 1u
#define CM_SECURITY_STATUS_AUTHENTICATED 2u
#define CM_SECURITY_STATUS_ENCRYPTED 3u

/* ---------------------------------------------------------------------------------------------
 * Small helpers */

static void cm_wipe(void *p, size_t n)
{
	volatile uint8_t *b = p; /* a plain memset of memory not read again may be dropped */
	while (n--)
		*b++ = 0;
}

static void cm_strcpy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool fits(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

static struct sccp_msg *dev_send_hv(struct cm_device *d, struct cm_device_output *out, uint32_t id,
                                    uint32_t hv)
{
	if (out->n_msgs >= CM_DEVICE_MAX_MSGS) {
		d->stats.output_overflow++;
		return NULL;
	}
	struct sccp_msg *m = &out->msgs[out->n_msgs++];
	sccp_msg_init(m, id, hv);
	return m;
}

/* At the negotiated header version. RegisterAck, RegisterReject, KeepAliveAck and
 * UnregisterAck go with hv 0 instead, as chan-sccp sends them (protocol.md §1.2). */
static struct sccp_msg *dev_send(struct cm_device *d, struct cm_device_output *out, uint32_t id)
{
	return dev_send_hv(d, out, id, d->hv);
}

static struct cm_device_action *dev_act(struct cm_device *d, struct cm_device_output *out,
                                        enum cm_action_type type)
{
	if (out->n_acts >= CM_DEVICE_MAX_ACTS) {
		d->stats.output_overflow++;
		return NULL;
	}
	struct cm_device_action *a = &out->acts[out->n_acts++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

static void dev_note(struct cm_device *d, struct cm_device_output *out, const char *what, uint32_t msg_id,
                     uint32_t value)
{
	d->stats.ignored++;
	struct cm_device_action *a = dev_act(d, out, CM_ACT_NOTE);
	if (!a)
		return;
	a->u.note.what = what;
	a->u.note.msg_id = msg_id;
	a->u.note.value = value;
}

static void dev_arm(struct cm_device *d, enum cm_device_timer t, uint64_t due_ms)
{
	d->deadline[t] = due_ms;
}

static void dev_disarm(struct cm_device *d, enum cm_device_timer t)
{
	d->deadline[t] = CM_DEVICE_NO_DEADLINE;
}

static void dev_disarm_all(struct cm_device *d)
{
	for (int t = 0; t < CM_TIMER_COUNT; t++)
		d->deadline[t] = CM_DEVICE_NO_DEADLINE;
}

static bool dev_is_registered_state(const struct cm_device *d)
{
	return d->state == CM_DEV_IDLE || d->state == CM_DEV_RINGING || d->state == CM_DEV_IN_CALL ||
	       d->state == CM_DEV_DIALLING;
}

static bool dev_has_call(const struct cm_device *d)
{
	return d->state == CM_DEV_RINGING || d->state == CM_DEV_IN_CALL || d->state == CM_DEV_DIALLING;
}

static void dev_arm_keepalive(struct cm_device *d, uint64_t now_ms)
{
	dev_arm(d, CM_TIMER_KEEPALIVE,
	        now_ms + 2u * (uint64_t)d->cfg.keepalive_s * 1000u + d->cfg.keepalive_grace_ms);
}

/* ---------------------------------------------------------------------------------------------
 * Names */

const char *cm_device_state_name(enum cm_device_state s)
{
	switch (s) {
	case CM_DEV_DOWN:
		return "down";
	case CM_DEV_AWAIT_REGISTER:
		return "connected";
	case CM_DEV_IDLE:
		return "idle";
	case CM_DEV_RINGING:
		return "ringing";
	case CM_DEV_IN_CALL:
		return "in-call";
	case CM_DEV_DIALLING:
		return "dialling";
	case CM_DEV_CLOSING:
		return "closing";
	}
	return "?";
}

const char *cm_action_name(enum cm_action_type t)
{
	switch (t) {
	case CM_ACT_REGISTERED:
		return "registered";
	case CM_ACT_REJECTED:
		return "rejected";
	case CM_ACT_UNREGISTERED:
		return "unregistered";
	case CM_ACT_CLOSE:
		return "close";
	case CM_ACT_CALL_ANSWERED:
		return "call-answered";
	case CM_ACT_MEDIA_READY:
		return "media-ready";
	case CM_ACT_CALL_ENDED:
		return "call-ended";
	case CM_ACT_LAMP:
		return "lamp";
	case CM_ACT_NOTE:
		return "note";
	}
	return "?";
}

const char *cm_security_name(enum cm_security s)
{
	switch (s) {
	case CM_SECURITY_NONSECURE:
		return "nonsecure";
	case CM_SECURITY_AUTHENTICATED:
		return "authenticated";
	case CM_SECURITY_ENCRYPTED:
		return "encrypted";
	}
	return "?";
}

const char *cm_close_reason_text(enum cm_close_reason r)
{
	switch (r) {
	case CM_CLOSE_REJECTED:
		return "registration rejected";
	case CM_CLOSE_REGISTER_TIMEOUT:
		return "no Register in time";
	case CM_CLOSE_KEEPALIVE_TIMEOUT:
		return "KeepAliveTimeout";
	case CM_CLOSE_UNREGISTERED:
		return "DeviceUnregistered";
	case CM_CLOSE_TRANSPORT:
		return "ConnectivityError";
	case CM_CLOSE_PROTOCOL_ERROR:
		return "protocol error";
	}
	return "?";
}

uint32_t cm_close_reason_code(enum cm_close_reason r)
{
	switch (r) {
	case CM_CLOSE_KEEPALIVE_TIMEOUT:
		return 13;
	case CM_CLOSE_UNREGISTERED:
		return 10;
	case CM_CLOSE_TRANSPORT:
	case CM_CLOSE_PROTOCOL_ERROR:
		return 6;
	case CM_CLOSE_REJECTED:
	case CM_CLOSE_REGISTER_TIMEOUT:
		return 1;
	}
	return 1;
}

const char *cm_call_end_text(enum cm_call_end r)
{
	switch (r) {
	case CM_CALL_END_CALLER_HANGUP:
		return "caller hung up";
	case CM_CALL_END_DEVICE_HANGUP:
		return "device hung up";
	case CM_CALL_END_NO_ANSWER:
		return "no answer";
	case CM_CALL_END_BUSY:
		return "device busy or not registered";
	case CM_CALL_END_MEDIA_FAILED:
		return "media setup failed";
	case CM_CALL_END_DEVICE_LOST:
		return "device lost";
	}
	return "?";
}

/* ---------------------------------------------------------------------------------------------
 * Configuration and accessors */

void cm_device_config_defaults(struct cm_device_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->keepalive_s = 30;
	cfg->secondary_keepalive_s = 60;
	cfg->max_protocol_version = 17;
	cm_strcpy(cfg->date_template, sizeof(cfg->date_template), "M/D/Y");
	cfg->register_timeout_ms = 10000;
	cfg->keepalive_grace_ms = 5000;
	cfg->ring_timeout_ms = 30000;
	cfg->codec = 4;
	cfg->packet_ms = 20;
	cfg->rfc2833_payload_type = 101;
	cfg->precedence = 0xB8;
	cfg->first_digit_timeout_ms = 15000;
	cfg->digit_timeout_ms = 3000;
	cfg->reorder_timeout_ms = 10000;
	cm_strcpy(cfg->server_name, sizeof(cfg->server_name), "vmport-labcm");
	cfg->require_cert_name = true;
	cfg->call_ref_base = 0x01000000u;
}

/* D→C KeypadButton codes (protocol.md §3.6): 0x0–0x9, A–D 0x0A–0x0D, '*' 0x0E, '#' 0x0F, '+' 0x10. */
static char keypad_char(uint32_t code)
{
	static const char map[] = "0123456789ABCD*#+";
	return code < sizeof(map) - 1 ? map[code] : '\0';
}

static bool dialable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap || n > SCCP_DN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789ABCD*#+", s[i]))
			return false;
	return true;
}

int cm_device_init(struct cm_device *d, const struct cm_device_config *cfg)
{
	if (!cfg->lookup || cfg->keepalive_s == 0 || cfg->register_timeout_ms == 0 ||
	    cfg->ring_timeout_ms == 0 || cfg->first_digit_timeout_ms == 0 || cfg->digit_timeout_ms == 0 ||
	    cfg->reorder_timeout_ms == 0 || cfg->packet_ms == 0)
		return -EINVAL;
	if (!dialable(cfg->mwi_on, sizeof(cfg->mwi_on)) || !dialable(cfg->mwi_off, sizeof(cfg->mwi_off)))
		return -EINVAL;
	if (cfg->mwi_on[0] && !strcmp(cfg->mwi_on, cfg->mwi_off))
		return -EINVAL;
	if (!fits(cfg->date_template, sizeof(cfg->date_template)) ||
	    !fits(cfg->server_name, sizeof(cfg->server_name)))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->state = CM_DEV_DOWN;
	dev_disarm_all(d);
	return 0;
}

enum cm_device_state cm_device_state(const struct cm_device *d)
{
	return d->state;
}

bool cm_device_registered(const struct cm_device *d)
{
	return d->registered;
}

bool cm_device_idle(const struct cm_device *d)
{
	return d->registered && d->state == CM_DEV_IDLE;
}

const char *cm_device_name(const struct cm_device *d)
{
	return d->name;
}

uint64_t cm_device_next_deadline(const struct cm_device *d)
{
	uint64_t next = CM_DEVICE_NO_DEADLINE;
	for (int t = 0; t < CM_TIMER_COUNT; t++)
		if (d->deadline[t] < next)
			next = d->deadline[t];
	return next;
}

uint32_t cm_device_header_version(const struct cm_device *d)
{
	return d->hv;
}

const struct cm_device_stats *cm_device_stats(const struct cm_device *d)
{
	return &d->stats;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian; Howard Hinnant's algorithm). */
void cm_time_date_from_unix_ms(uint64_t unix_ms, struct sccp_define_time_date *td)
{
	uint64_t secs = unix_ms / 1000u;
	uint64_t days = secs / 86400u;
	uint32_t sod = (uint32_t)(secs % 86400u);
	uint64_t z = days + 719468u;
	uint64_t era = z / 146097u;
	uint64_t doe = z - era * 146097u;
	uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	uint64_t mp = (5u * doy + 2u) / 153u;
	uint32_t day = (uint32_t)(doy - (153u * mp + 2u) / 5u + 1u);
	uint32_t month = (uint32_t)(mp < 10u ? mp + 3u : mp - 9u);
	uint64_t year = yoe + era * 400u + (month <= 2u ? 1u : 0u);

	memset(td, 0, sizeof(*td));
	td->year = (uint32_t)year;
	td->month = month;
	td->day_of_week = (uint32_t)((days + 4u) % 7u); /* 1970-01-01 was a Thursday */
	td->day = day;
	td->hour = sod / 3600u;
	td->minute = sod / 60u % 60u;
	td->second = sod % 60u;
	td->milliseconds = (uint32_t)(unix_ms % 1000u);
	td->system_time = (uint32_t)secs;
}

/* ---------------------------------------------------------------------------------------------
 * Call messages shared by both kinds of call */

static void send_call_state(struct cm_device *d, struct cm_device_output *out, uint32_t state, uint32_t line,
                            uint32_t call_ref)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_CALL_STATE);
	if (!m)
		return;
	m->u.call_state.call_state = state;
	m->u.call_state.line_instance = line;
	m->u.call_state.call_reference = call_ref;
	/* The 24-byte form: Wireshark reads privacy and precedence at every hv (tests/wire). */
	m->u.call_state.has_privacy = true;
}

static void send_set_ringer(struct cm_device *d, struct cm_device_output *out, uint32_t mode, uint32_t line,
                            uint32_t call_ref)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_SET_RINGER);
	if (!m)
		return;
	m->u.set_ringer.ring_mode = mode;
	m->u.set_ringer.ring_duration = CM_RING_NORMAL;
	m->u.set_ringer.line_instance = line;
	m->u.set_ringer.call_reference = call_ref;
}

static void send_start_tone(struct cm_device *d, struct cm_device_output *out, uint32_t tone)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_START_TONE);
	if (!m)
		return;
	m->u.start_tone.tone = tone;
	m->u.start_tone.direction = 0; /* to the user */
	m->u.start_tone.line_instance = d->call.line_instance;
	m->u.start_tone.call_reference = d->call.call_reference;
	d->call.tone_on = true;
}

static void stop_tone(struct cm_device *d, struct cm_device_output *out, uint32_t tone)
{
	if (!d->call.tone_on)
		return;
	d->call.tone_on = false;
	struct sccp_msg *m = dev_send(d, out, SCCP_STOP_TONE);
	if (!m)
		return;
	m->u.stop_tone.line_instance = d->call.line_instance;
	m->u.stop_tone.call_reference = d->call.call_reference;
	m->u.stop_tone.has_tone = true; /* read by hv from V11: always the full form */
	m->u.stop_tone.tone = tone;
}

/* The call is over on our side: remember its reference so the device's stragglers (its OnHook
 * after we cleared, late digits) are recognised, wipe the call (and any unsent key). */
static void call_forget(struct cm_device *d)
{
	d->has_last_call = true;
	d->last_call_reference = d->call.call_reference;
	cm_wipe(&d->call, sizeof(d->call));
	dev_disarm(d, CM_TIMER_CALL);
	if (dev_is_registered_state(d))
		d->state = CM_DEV_IDLE;
}

static bool call_is_recent(const struct cm_device *d, uint32_t call_ref)
{
	return d->has_last_call && d->last_call_reference == call_ref;
}

static void call_ended(struct cm_device *d, struct cm_device_output *out, uint32_t call_ref,
                       enum cm_call_end reason)
{
	struct cm_device_action *a = dev_act(d, out, CM_ACT_CALL_ENDED);
	if (!a)
		return;
	a->u.call_ended.call_reference = call_ref;
	a->u.call_ended.reason = reason;
}

/* ---------------------------------------------------------------------------------------------
 * Session end */

/* Whatever the session was doing ends without a word to the device (it is gone, or about to be
 * disconnected): a test call ends as "device lost", a registration is reported over. */
static void dev_drop_session(struct cm_device *d, struct cm_device_output *out, enum cm_close_reason why)
{
	if (d->state == CM_DEV_RINGING || d->state == CM_DEV_IN_CALL)
		call_ended(d, out, d->call.call_reference, CM_CALL_END_DEVICE_LOST);
	if (dev_has_call(d))
		call_forget(d);
	if (d->registered) {
		d->registered = false;
		struct cm_device_action *a = dev_act(d, out, CM_ACT_UNREGISTERED);
		if (a)
			a->u.close.reason = why;
	}
	dev_disarm_all(d);
}

static void dev_close(struct cm_device *d, struct cm_device_output *out, enum cm_close_reason why)
{
	dev_drop_session(d, out, why);
	struct cm_device_action *a = dev_act(d, out, CM_ACT_CLOSE);
	if (a)
		a->u.close.reason = why;
	d->state = CM_DEV_CLOSING;
}

static void dev_on_transport_up(struct cm_device *d, const struct cm_transport *t, uint64_t now_ms,
                                struct cm_device_output *out)
{
	if (d->state != CM_DEV_DOWN) {
		dev_note(d, out, "transport up while a session was open: old session dropped", CM_NO_MSG_ID,
		         d->state);
		dev_drop_session(d, out, CM_CLOSE_TRANSPORT);
	}
	d->transport = *t;
	d->transport.peer_name[sizeof(d->transport.peer_name) - 1] = '\0';
	d->name[0] = '\0';
	memset(&d->prov, 0, sizeof(d->prov));
	d->hv = SCCP_HV_BASIC;
	d->protocol_version = 0;
	d->n_codecs = 0;
	d->has_last_call = false;
	d->lamp_on = false;
	d->state = CM_DEV_AWAIT_REGISTER;
	dev_arm(d, CM_TIMER_REGISTER, now_ms + d->cfg.register_timeout_ms);
}

static void dev_on_transport_down(struct cm_device *d, struct cm_device_output *out)
{
	if (d->state == CM_DEV_DOWN)
		return;
	dev_drop_session(d, out, CM_CLOSE_TRANSPORT);
	d->state = CM_DEV_DOWN;
}

/* ---------------------------------------------------------------------------------------------
 * Registration (§2.2, §2.3, §2.7, §7.2, §7.3) */

static void dev_reject(struct cm_device *d, struct cm_device_output *out, const char *text)
{
	struct sccp_msg *m = dev_send_hv(d, out, SCCP_REGISTER_REJECT, SCCP_HV_BASIC);
	if (m)
		cm_strcpy(m->u.register_reject.text, sizeof(m->u.register_reject.text), text);
	struct cm_device_action *a = dev_act(d, out, CM_ACT_REJECTED);
	if (a)
		cm_strcpy(a->u.rejected.text, sizeof(a->u.rejected.text), text);
	dev_close(d, out, CM_CLOSE_REJECTED);
}

/* CUCM checks the device's security profile against how it connected: a non-secure device on
 * TCP 2000, an authenticated or encrypted one on TLS 2443 (an encrypted one with a cipher that
 * encrypts), and a TLS client certificate naming the device. */
static const char *security_check(const struct cm_device *d, const char *name)
{
	const struct cm_transport *t = &d->transport;
	bool wants_tls = d->prov.security != CM_SECURITY_NONSECURE;
	if (wants_tls != t->tls)
		return CM_REJECT_SECURITY;
	if (d->prov.security == CM_SECURITY_ENCRYPTED && !t->encrypting)
		return CM_REJECT_SECURITY;
	if (t->tls && d->cfg.require_cert_name && strcmp(t->peer_name, name) != 0)
		return CM_REJECT_CERTIFICATE;
	return NULL;
}

static void dev_on_register(struct cm_device *d, const struct sccp_register *reg, uint64_t now_ms,
                            struct cm_device_output *out)
{
	const char *name = reg->device_name;
	/* Kept even when refused: the program's log names who was turned away. */
	cm_strcpy(d->name, sizeof(d->name), name);
	if (!name[0]) {
		dev_reject(d, out, CM_REJECT_UNKNOWN);
		return;
	}
	struct cm_provision prov;
	memset(&prov, 0, sizeof(prov));
	enum cm_lookup_result r = d->cfg.lookup(d->cfg.lookup_ctx, name, &prov);
	if (r != CM_LOOKUP_OK) {
		dev_reject(d, out, r == CM_LOOKUP_DUPLICATE ? CM_REJECT_DUPLICATE : CM_REJECT_UNKNOWN);
		return;
	}
	prov.dn[sizeof(prov.dn) - 1] = '\0';
	prov.display_name[sizeof(prov.display_name) - 1] = '\0';
	d->prov = prov;
	const char *why = security_check(d, name);
	if (why) {
		dev_reject(d, out, why);
		return;
	}

	d->device_type = reg->device_type;
	d->phone_features = reg->has_ext ? reg->phone_features : 0;
	/* A Register without the protocol byte comes from a basic (pre-V5) station. The effective
	 * version is the lower of the two (§2.3); below V11 the basic layouts go with hv 0. */
	d->device_protocol_version = reg->has_ext ? reg->protocol_ver : 0;
	uint8_t v = d->device_protocol_version < d->cfg.max_protocol_version ? d->device_protocol_version
	                                                                     : d->cfg.max_protocol_version;
	d->protocol_version = v;

	struct sccp_msg *m = dev_send_hv(d, out, SCCP_REGISTER_ACK, SCCP_HV_BASIC);
	if (m) {
		struct sccp_register_ack *ack = &m->u.register_ack;
		ack->keepalive = d->cfg.keepalive_s;
		cm_strcpy(ack->date_template, sizeof(ack->date_template), d->cfg.date_template);
		ack->secondary_keepalive = d->cfg.secondary_keepalive_s;
		ack->max_protocol_ver = v;
		ack->unknown = CM_REGISTER_ACK_UNKNOWN;
		ack->features = CM_REGISTER_ACK_FEATURES;
	}
	d->hv = v >= SCCP_HV_V11 ? v : SCCP_HV_BASIC;
	dev_send(d, out, SCCP_CAPABILITIES_REQ);

	d->registered = true;
	d->state = CM_DEV_IDLE;
	struct cm_device_action *a = dev_act(d, out, CM_ACT_REGISTERED);
	if (a) {
		a->u.registered.protocol_version = v;
		a->u.registered.hv = d->hv;
		a->u.registered.security = d->prov.security;
		a->u.registered.tls = d->transport.tls;
	}
	dev_disarm(d, CM_TIMER_REGISTER);
	dev_arm_keepalive(d, now_ms);
}

static void dev_on_capabilities(struct cm_device *d, const struct sccp_capabilities_res *caps)
{
	size_t n = caps->count < SCCP_MAX_CAPS ? caps->count : SCCP_MAX_CAPS;
	for (size_t i = 0; i < n; i++)
		d->codecs[i] = caps->caps[i].payload;
	d->n_codecs = n;
}

static void send_button_template(struct cm_device *d, struct cm_device_output *out)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_BUTTON_TEMPLATE_RES);
	if (!m)
		return;
	struct sccp_button_template_res *b = &m->u.button_template;
	b->count = b->total = 1;
	b->buttons[0].instance = 1;
	b->buttons[0].definition = 0x09; /* Line */
}

static void send_softkey_template(struct cm_device *d, struct cm_device_output *out)
{
	static const struct {
		const char *label;
		uint32_t event;
	} keys[] = {{"Redial", 1},  {"NewCall", 2}, {"Hold", 3},    {"Trnsfer", 4},
	            {"CFwdAll", 5}, {"EndCall", 9}, {"Resume", 10}, {"Answer", 11}};
	struct sccp_msg *m = dev_send(d, out, SCCP_SOFTKEY_TEMPLATE_RES);
	if (!m)
		return;
	struct sccp_softkey_template_res *t = &m->u.softkey_template;
	size_t n = sizeof(keys) / sizeof(keys[0]);
	t->count = t->total = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		cm_strcpy(t->keys[i].label, sizeof(t->keys[i].label), keys[i].label);
		t->keys[i].event = keys[i].event;
	}
}

static void send_softkey_sets(struct cm_device *d, struct cm_device_output *out)
{
	/* Sets by index (§2.5: 0 OnHook, 1 Connected, 2 OnHold, 3 RingIn, 4 OffHook); entries are
	 * 1-based positions in the template above. */
	static const uint8_t sets[5][3] = {{2, 1, 0}, {3, 6, 4}, {7, 2, 0}, {8, 0, 0}, {1, 6, 0}};
	struct sccp_msg *m = dev_send(d, out, SCCP_SOFTKEY_SET_RES);
	if (!m)
		return;
	struct sccp_softkey_set_res *s = &m->u.softkey_set;
	s->count = s->total = 5;
	for (size_t i = 0; i < 5; i++)
		for (size_t k = 0; k < 3; k++)
			s->sets[i].template_index[k] = sets[i][k];
}

static void send_config_stat(struct cm_device *d, struct cm_device_output *out)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_CONFIG_STAT_RES);
	if (!m)
		return;
	struct sccp_config_stat_res *c = &m->u.config_stat;
	cm_strcpy(c->device_name, sizeof(c->device_name), d->name);
	c->instance = 1;
	cm_strcpy(c->server_name, sizeof(c->server_name), d->cfg.server_name);
	c->number_lines = 1;
}

static void send_line_stat(struct cm_device *d, struct cm_device_output *out, uint32_t line)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_LINE_STAT_RES);
	if (!m)
		return;
	struct sccp_line_stat_res *l = &m->u.line_stat;
	l->line_number = line;
	l->has_display_options = true;
	if (line > 1)
		return; /* a voicemail port has one line: the others are empty */
	cm_strcpy(l->dir_number, sizeof(l->dir_number), d->prov.dn);
	cm_strcpy(l->fq_display_name, sizeof(l->fq_display_name),
	          d->prov.display_name[0] ? d->prov.display_name : d->name);
	cm_strcpy(l->text_label, sizeof(l->text_label), d->prov.dn);
	l->display_options = 0x0F;
}

static void send_time_date(struct cm_device *d, struct cm_device_output *out, uint64_t unix_ms)
{
	struct sccp_msg *m = dev_send(d, out, SCCP_DEFINE_TIME_DATE);
	if (m)
		cm_time_date_from_unix_ms(unix_ms, &m->u.time_date);
}

static void dev_on_unregister(struct cm_device *d, struct cm_device_output *out)
{
	struct sccp_msg *m = dev_send_hv(d, out, SCCP_UNREGISTER_ACK, SCCP_HV_BASIC);
	if (dev_has_call(d)) {
		/* chan-sccp refuses while the device has a call (NAK, 2): it must hang up first. */
		if (m)
			m->u.unregister_ack.value = 2;
		dev_note(d, out, "Unregister during a call: refused (NAK)", SCCP_UNREGISTER,
		         d->call.call_reference);
		return;
	}
	if (m)
		m->u.unregister_ack.value = 0;
	dev_close(d, out, CM_CLOSE_UNREGISTERED);
}

/* ---------------------------------------------------------------------------------------------
 * The test caller's call to the device (§3.3, §3.7, §4, §9.2) */

static uint32_t security_status(const struct cm_device *d, bool encrypted)
{
	if (encrypted)
		return CM_SECURITY_STATUS_ENCRYPTED;
	return d->transport.tls ? CM_SECURITY_STATUS_AUTHENTICATED : CM_SECURITY_STATUS_NOT_AUTHENTICATED;
}

static bool offer_valid(const struct cm_call_offer *o)
{
	return fits(o->calling, sizeof(o->calling)) && fits(o->calling_name, sizeof(o->calling_name)) &&
	       fits(o->called, sizeof(o->called)) && fits(o->original_called, sizeof(o->original_called)) &&
	       fits(o->last_redirecting, sizeof(o->last_redirecting)) && o->call_reference != 0;
}

static void send_call_info(struct cm_device *d, struct cm_device_output *out, const struct cm_call_offer *o)
{
	/* The fixed 0x008F form unless the device asked for dynamic messages (§3.3, §10 #16). */
	bool v2 = (d->phone_features & 0x0080u) != 0;
	struct sccp_msg *m = dev_send(d, out, v2 ? SCCP_CALL_INFO_V2 : SCCP_CALL_INFO);
	if (!m)
		return;
	struct sccp_call_info *ci = &m->u.call_info;
	cm_strcpy(ci->calling_party_name, sizeof(ci->calling_party_name), o->calling_name);
	cm_strcpy(ci->calling_party, sizeof(ci->calling_party), o->calling);
	cm_strcpy(ci->called_party, sizeof(ci->called_party), o->called);
	ci->line_instance = d->call.line_instance;
	ci->call_reference = o->call_reference;
	ci->call_type = o->call_type;
	cm_strcpy(ci->original_called_party, sizeof(ci->original_called_party), o->original_called);
	cm_strcpy(ci->last_redirecting_party, sizeof(ci->last_redirecting_party), o->last_redirecting);
	if (o->original_called[0]) {
		ci->original_cdpn_redirect_reason = o->redirect_reason;
		ci->last_redirecting_reason = o->redirect_reason;
	}
	cm_strcpy(ci->cgpn_voice_mailbox, sizeof(ci->cgpn_voice_mailbox), o->calling);
	cm_strcpy(ci->original_cdpn_voice_mailbox, sizeof(ci->original_cdpn_voice_mailbox),
	          o->original_called);
	cm_strcpy(ci->last_redirecting_voice_mailbox, sizeof(ci->last_redirecting_voice_mailbox),
	          o->last_redirecting);
	ci->call_instance = 1;
	ci->call_security_status = security_status(d, d->call.encrypted);
}

static void dev_on_offer(struct cm_device *d, const struct cm_call_offer *o, uint64_t now_ms,
                         struct cm_device_output *out)
{
	if (!o)
		return;
	if (!offer_valid(o)) {
		dev_note(d, out, "call offer with an empty reference or over-long number: refused",
		         CM_NO_MSG_ID, o->call_reference);
		call_ended(d, out, o->call_reference, CM_CALL_END_BUSY);
		return;
	}
	if (d->state != CM_DEV_IDLE) {
		call_ended(d, out, o->call_reference, CM_CALL_END_BUSY);
		return;
	}
	struct cm_device_call *c = &d->call;
	cm_wipe(c, sizeof(*c));
	c->call_reference = o->call_reference;
	c->line_instance = 1;
	c->pass_through_party_id = ~o->call_reference; /* its own number, derived from the call */
	memcpy(c->caller_ip, o->caller_ip, 4);
	c->caller_port = o->caller_port;
	/* SRTP only when every hop allows it (§4.5): the caller, the device's security profile and a
	 * TLS cipher that hides the keys in transit. */
	c->encrypted = o->srtp && d->prov.security == CM_SECURITY_ENCRYPTED && d->transport.tls &&
	               d->transport.encrypting;
	if (c->encrypted) {
		c->key_to_device = o->key_to_device;
		c->key_from_device = o->key_from_device;
	}
	d->has_last_call = false;
	d->stats.calls_offered++;
	send_call_state(d, out, SCCP_CS_RINGIN, c->line_instance, c->call_reference);
	send_call_info(d, out, o);
	send_set_ringer(d, out, CM_RING_OUTSIDE, c->line_instance, c->call_reference);
	d->state = CM_DEV_RINGING;
	dev_arm(d, CM_TIMER_CALL, now_ms + d->cfg.ring_timeout_ms);
}

static bool codec_offered(const struct cm_device *d, uint32_t codec)
{
	for (size_t i = 0; i < d->n_codecs; i++)
		if (d->codecs[i] == codec)
			return true;
	return false;
}

/* The configured codec, unless the device's capabilities leave it out: then the other G.711. */
static uint32_t call_codec(const struct cm_device *d)
{
	if (d->n_codecs == 0 || codec_offered(d, d->cfg.codec))
		return d->cfg.codec;
	if (codec_offered(d, 4))
		return 4;
	if (codec_offered(d, 2))
		return 2;
	return d->cfg.codec; /* the device will refuse it, and the call ends as a media failure */
}

static void send_open_receive_channel(struct cm_device *d, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	struct sccp_msg *m = dev_send(d, out, SCCP_OPEN_RECEIVE_CHANNEL);
	if (!m)
		return;
	struct sccp_open_receive_channel *o = &m->u.orc;
	o->conference_id = c->call_reference;
	o->pass_through_party_id = c->pass_through_party_id;
	o->packet_ms = d->cfg.packet_ms;
	o->compression_type = call_codec(d);
	o->has_key = true; /* the key block is in every layout from V5 (§4.5); zeros for RTP */
	o->call_reference = c->call_reference;
	if (c->encrypted)
		o->rx_key = c->key_to_device;
	o->rfc2833_payload_type = d->cfg.rfc2833_payload_type;
	o->dtmf_type = CM_DTMF_TYPE;
	/* Full forms from V11 and V16: Wireshark reads these groups by hv (tests/wire). */
	o->has_source = true;
	memcpy(o->source_ip.addr, c->caller_ip, 4);
	o->source_port = c->caller_port;
	o->has_requested_ip_type = true;
	cm_wipe(&c->key_to_device, sizeof(c->key_to_device));
	c->rx_open = true;
}

static void dev_answer(struct cm_device *d, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	send_set_ringer(d, out, CM_RING_OFF, c->line_instance, c->call_reference);
	send_call_state(d, out, SCCP_CS_CONNECTED, c->line_instance, c->call_reference);
	send_open_receive_channel(d, out);
	dev_disarm(d, CM_TIMER_CALL);
	d->stats.calls_answered++;
	d->state = CM_DEV_IN_CALL;
	struct cm_device_action *a = dev_act(d, out, CM_ACT_CALL_ANSWERED);
	if (a)
		a->u.answered.call_reference = c->call_reference;
}

/* Clear the test call from our side: media down, CallState(OnHook) (§3.7 "hang-up by the
 * caller"; the same when the device hung up, so its view ends the same way). */
static void call_teardown(struct cm_device *d, struct cm_device_output *out, enum cm_call_end reason)
{
	struct cm_device_call *c = &d->call;
	if (c->tx_started) {
		struct sccp_msg *m = dev_send(d, out, SCCP_STOP_MEDIA_TRANSMISSION);
		if (m) {
			m->u.stop_media.conference_id = c->call_reference;
			m->u.stop_media.pass_through_party_id = c->pass_through_party_id;
			m->u.stop_media.has_call_reference = true;
			m->u.stop_media.call_reference = c->call_reference;
			m->u.stop_media.has_port_handling = true;
		}
	}
	if (c->rx_open) {
		struct sccp_msg *m = dev_send(d, out, SCCP_CLOSE_RECEIVE_CHANNEL);
		if (m) {
			m->u.stop_media.conference_id = c->call_reference;
			m->u.stop_media.pass_through_party_id = c->pass_through_party_id;
			m->u.stop_media.has_call_reference = true;
			m->u.stop_media.call_reference = c->call_reference;
			m->u.stop_media.has_port_handling = true;
		}
	}
	if (d->state == CM_DEV_RINGING)
		send_set_ringer(d, out, CM_RING_OFF, c->line_instance, c->call_reference);
	send_call_state(d, out, SCCP_CS_ONHOOK, c->line_instance, c->call_reference);
	call_ended(d, out, c->call_reference, reason);
	call_forget(d);
}

static void dev_on_orc_ack(struct cm_device *d, const struct sccp_open_receive_channel_ack *ack,
                           struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	if (d->state != CM_DEV_IN_CALL || !c->rx_open ||
	    c->pass_through_party_id != ack->pass_through_party_id) {
		if (!(ack->has_call_reference && call_is_recent(d, ack->call_reference)))
			dev_note(d, out, "OpenReceiveChannelAck for no open channel: ignored",
			         SCCP_OPEN_RECEIVE_CHANNEL_ACK, ack->pass_through_party_id);
		return;
	}
	if (c->rx_acked) {
		dev_note(d, out, "second OpenReceiveChannelAck: ignored", SCCP_OPEN_RECEIVE_CHANNEL_ACK,
		         ack->status);
		return;
	}
	if (ack->status != CM_MEDIA_OK || ack->ip.type != 0) {
		dev_note(d, out, "device could not open its receive channel", SCCP_OPEN_RECEIVE_CHANNEL_ACK,
		         ack->status);
		c->rx_open = false; /* never opened: nothing to close */
		call_teardown(d, out, CM_CALL_END_MEDIA_FAILED);
		return;
	}
	c->rx_acked = true;
	struct cm_device_action *a = dev_act(d, out, CM_ACT_MEDIA_READY);
	if (a) {
		a->u.media.call_reference = c->call_reference;
		memcpy(a->u.media.device_ip, ack->ip.addr, 4);
		a->u.media.device_port = (uint16_t)ack->port;
		a->u.media.encrypted = c->encrypted;
	}

	struct sccp_msg *m = dev_send(d, out, SCCP_START_MEDIA_TRANSMISSION);
	if (m) {
		struct sccp_start_media_transmission *s = &m->u.smt;
		s->conference_id = c->call_reference;
		s->pass_through_party_id = c->pass_through_party_id;
		memcpy(s->remote_ip.addr, c->caller_ip, 4);
		s->remote_port = c->caller_port;
		s->packet_ms = d->cfg.packet_ms;
		s->compression_type = call_codec(d);
		s->precedence = d->cfg.precedence;
		s->max_frames_per_packet = 1;
		s->has_key = true;
		s->call_reference = c->call_reference;
		if (c->encrypted)
			s->tx_key = c->key_from_device;
		s->rfc2833_payload_type = d->cfg.rfc2833_payload_type;
		s->dtmf_type = CM_DTMF_TYPE;
		s->has_party_direction = true; /* read by hv from V15 (tests/wire) */
		c->tx_started = true;
	}
	cm_wipe(&c->key_from_device, sizeof(c->key_from_device));
}

static void dev_on_media_failure(struct cm_device *d, uint32_t msg_id, uint32_t pass, uint32_t status,
                                 struct cm_device_output *out)
{
	if (d->state != CM_DEV_IN_CALL || d->call.pass_through_party_id != pass) {
		if (d->state == CM_DEV_IN_CALL || !d->has_last_call)
			dev_note(d, out, "media report for no channel: ignored", msg_id, pass);
		return;
	}
	if (msg_id == SCCP_START_MEDIA_TRANSMISSION_ACK && status == CM_MEDIA_OK)
		return; /* optional positive ack (§4.4) */
	dev_note(d, out, "device could not start its transmission", msg_id, status);
	call_teardown(d, out, CM_CALL_END_MEDIA_FAILED);
}

static void dev_on_hangup_event(struct cm_device *d, uint32_t call_ref, struct cm_device_output *out)
{
	if ((d->state == CM_DEV_RINGING || d->state == CM_DEV_IN_CALL) &&
	    d->call.call_reference == call_ref) {
		call_teardown(d, out, CM_CALL_END_CALLER_HANGUP);
		return;
	}
	if (!call_is_recent(d, call_ref))
		dev_note(d, out, "hang-up for a call this device does not have", CM_NO_MSG_ID, call_ref);
}

/* ---------------------------------------------------------------------------------------------
 * Calls the device makes: MWI On/Off numbers (§5.2, §9.3) */

static uint32_t next_call_reference(struct cm_device *d)
{
	d->call_ref_seq = d->call_ref_seq % 0xFFFFu + 1u;
	return d->cfg.call_ref_base + d->call_ref_seq;
}

static void dial_start(struct cm_device *d, const char *calling, uint32_t line, uint64_t now_ms,
                       struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	cm_wipe(c, sizeof(*c));
	c->call_reference = next_call_reference(d);
	c->line_instance = line ? line : 1;
	c->phase = CM_DIAL_TONE;
	/* OffHookWithCgpn names the subscriber whose lamp is meant; a plain OffHook calls as the
	 * port's own number. */
	cm_strcpy(c->calling, sizeof(c->calling), calling[0] ? calling : d->prov.dn);
	d->has_last_call = false;
	d->stats.calls_dialled++;
	d->state = CM_DEV_DIALLING;
	send_call_state(d, out, SCCP_CS_OFFHOOK, c->line_instance, c->call_reference);
	send_start_tone(d, out, CM_TONE_INSIDE_DIAL);
	dev_arm(d, CM_TIMER_CALL, now_ms + d->cfg.first_digit_timeout_ms);
}

/* CallManager clears the device's own call: tone off, CallState(OnHook). */
static void dial_clear(struct cm_device *d, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	stop_tone(d, out, c->phase == CM_DIAL_REORDER ? CM_TONE_REORDER : CM_TONE_INSIDE_DIAL);
	send_call_state(d, out, SCCP_CS_ONHOOK, c->line_instance, c->call_reference);
	call_forget(d);
}

static void dial_refuse(struct cm_device *d, uint64_t now_ms, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	d->stats.invalid_numbers++;
	stop_tone(d, out, CM_TONE_INSIDE_DIAL);
	send_call_state(d, out, SCCP_CS_INVALID_NUMBER, c->line_instance, c->call_reference);
	send_start_tone(d, out, CM_TONE_REORDER);
	c->phase = CM_DIAL_REORDER;
	dev_arm(d, CM_TIMER_CALL, now_ms + d->cfg.reorder_timeout_ms);
}

/* The MWI number was reached: CallManager applies it to the calling number's lamp, and the
 * feature completes at once (call progress, then cleared). */
static void dial_mwi(struct cm_device *d, bool on, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	struct cm_device_action *a = dev_act(d, out, CM_ACT_LAMP);
	if (a) {
		cm_strcpy(a->u.lamp.extension, sizeof(a->u.lamp.extension), c->calling);
		a->u.lamp.on = on;
	}
	if (on)
		d->stats.lamps_on++;
	else
		d->stats.lamps_off++;
	stop_tone(d, out, CM_TONE_INSIDE_DIAL);
	struct sccp_msg *m = dev_send(d, out, SCCP_DIALED_NUMBER);
	if (m) {
		cm_strcpy(m->u.dialed_number.number, sizeof(m->u.dialed_number.number), c->digits);
		m->u.dialed_number.line_instance = c->line_instance;
		m->u.dialed_number.call_reference = c->call_reference;
	}
	send_call_state(d, out, SCCP_CS_PROCEED, c->line_instance, c->call_reference);
	send_call_state(d, out, SCCP_CS_ONHOOK, c->line_instance, c->call_reference);
	call_forget(d);
}

/* Match the digits so far against the MWI numbers. `complete`: no more digits will come (enbloc,
 * or the inter-digit timer ran out). A number that is also the start of a longer one waits for
 * the timer. */
static void dial_evaluate(struct cm_device *d, bool complete, uint64_t now_ms, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	const char *numbers[2] = {d->cfg.mwi_on, d->cfg.mwi_off};
	int exact = -1;
	bool longer = false;
	for (int i = 0; i < 2; i++) {
		const char *n = numbers[i];
		size_t len = strlen(n);
		if (len == 0)
			continue;
		if (len == c->n_digits && !memcmp(n, c->digits, len))
			exact = i;
		else if (len > c->n_digits && !memcmp(n, c->digits, c->n_digits))
			longer = true;
	}
	if (longer && !complete) {
		dev_arm(d, CM_TIMER_CALL, now_ms + d->cfg.digit_timeout_ms);
		return;
	}
	if (exact >= 0)
		dial_mwi(d, exact == 0, out);
	else
		dial_refuse(d, now_ms, out);
}

static void dial_add_digit(struct cm_device *d, char digit, uint64_t now_ms, struct cm_device_output *out)
{
	struct cm_device_call *c = &d->call;
	if (c->phase == CM_DIAL_REORDER)
		return; /* digits after the refusal change nothing */
	stop_tone(d, out, CM_TONE_INSIDE_DIAL);
	if (c->n_digits >= SCCP_DN_LEN) {
		dial_refuse(d, now_ms, out);
		return;
	}
	c->digits[c->n_digits++] = digit;
	c->digits[c->n_digits] = '\0';
	c->phase = CM_DIAL_DIGITS;
	dial_evaluate(d, false, now_ms, out);
}

static void dev_on_keypad(struct cm_device *d, const struct sccp_keypad_button *kb, uint64_t now_ms,
                          struct cm_device_output *out)
{
	if (d->state != CM_DEV_DIALLING ||
	    (kb->has_call && kb->call_reference && kb->call_reference != d->call.call_reference)) {
		if (!(kb->has_call && call_is_recent(d, kb->call_reference)))
			dev_note(d, out, "KeypadButton outside a dialling call: ignored", SCCP_KEYPAD_BUTTON,
			         kb->button);
		return;
	}
	char digit = keypad_char(kb->button);
	if (!digit) {
		dev_note(d, out, "KeypadButton with an unknown code", SCCP_KEYPAD_BUTTON, kb->button);
		return;
	}
	dial_add_digit(d, digit, now_ms, out);
}

static void dev_on_enbloc(struct cm_device *d, const struct sccp_enbloc_call *e, uint64_t now_ms,
                          struct cm_device_output *out)
{
	if (d->state == CM_DEV_IDLE)
		dial_start(d, "", e->has_line_instance ? e->line_instance : 1, now_ms, out);
	if (d->state != CM_DEV_DIALLING) {
		dev_note(d, out, "EnblocCall while busy: ignored", SCCP_ENBLOC_CALL, d->state);
		return;
	}
	struct cm_device_call *c = &d->call;
	if (c->phase == CM_DIAL_REORDER)
		return;
	stop_tone(d, out, CM_TONE_INSIDE_DIAL);
	if (!dialable(e->called_party, sizeof(e->called_party)) || !e->called_party[0]) {
		dial_refuse(d, now_ms, out);
		return;
	}
	cm_strcpy(c->digits, sizeof(c->digits), e->called_party);
	c->n_digits = strlen(c->digits);
	c->phase = CM_DIAL_DIGITS;
	dial_evaluate(d, true, now_ms, out);
}

/* ---------------------------------------------------------------------------------------------
 * Hook state from the device */

static void dev_on_offhook(struct cm_device *d, bool has_ref, uint32_t call_ref, uint32_t line,
                           const char *calling, uint32_t msg_id, uint64_t now_ms,
                           struct cm_device_output *out)
{
	switch (d->state) {
	case CM_DEV_RINGING:
		if (has_ref && call_ref && call_ref != d->call.call_reference) {
			dev_note(d, out, "OffHook for another call while ringing: ignored", msg_id, call_ref);
			return;
		}
		dev_answer(d, out);
		return;
	case CM_DEV_IDLE:
		if (has_ref && call_ref && call_is_recent(d, call_ref))
			return; /* answering the call that was just cleared */
		dial_start(d, calling, line, now_ms, out);
		return;
	default:
		dev_note(d, out, "OffHook while already off hook: ignored", msg_id, d->state);
		return;
	}
}

static void dev_on_onhook(struct cm_device *d, bool has_ref, uint32_t call_ref, uint32_t msg_id,
                          struct cm_device_output *out)
{
	/* An idle device hanging up a call we already cleared (its answer to our OnHook), or just
	 * confirming it is on hook: not news. */
	if (!dev_has_call(d))
		return;
	if (has_ref && call_ref && call_ref != d->call.call_reference) {
		if (!call_is_recent(d, call_ref))
			dev_note(d, out, "OnHook for another call: ignored", msg_id, call_ref);
		return;
	}
	if (d->state == CM_DEV_DIALLING)
		dial_clear(d, out);
	else
		call_teardown(d, out, CM_CALL_END_DEVICE_HANGUP);
}

static void dev_on_softkey(struct cm_device *d, const struct sccp_softkey_event *sk, uint64_t now_ms,
                           struct cm_device_output *out)
{
	switch (sk->event) {
	case CM_SOFTKEY_ANSWER:
		if (d->state == CM_DEV_RINGING)
			dev_on_offhook(d, true, sk->call_reference, sk->line_instance, "", SCCP_SOFTKEY_EVENT,
			               now_ms, out);
		return;
	case CM_SOFTKEY_ENDCALL:
		dev_on_onhook(d, true, sk->call_reference, SCCP_SOFTKEY_EVENT, out);
		return;
	case CM_SOFTKEY_NEWCALL:
		if (d->state == CM_DEV_IDLE)
			dial_start(d, "", sk->line_instance, now_ms, out);
		return;
	default:
		dev_note(d, out, "soft key without meaning here: ignored", SCCP_SOFTKEY_EVENT, sk->event);
		return;
	}
}

/* ---------------------------------------------------------------------------------------------
 * Dispatch */

static void dev_on_registered_message(struct cm_device *d, const struct sccp_msg *m, uint64_t now_ms,
                                      uint64_t unix_ms, struct cm_device_output *out)
{
	switch (m->id) {
	case SCCP_KEEPALIVE:
		dev_send_hv(d, out, SCCP_KEEPALIVE_ACK, SCCP_HV_BASIC);
		d->stats.keepalives++;
		dev_arm_keepalive(d, now_ms);
		return;
	case SCCP_REGISTER:
		dev_note(d, out, "Register while registered: ignored", m->id, 0);
		return;
	case SCCP_CAPABILITIES_RES:
		dev_on_capabilities(d, &m->u.capabilities);
		return;
	case SCCP_BUTTON_TEMPLATE_REQ:
		send_button_template(d, out);
		return;
	case SCCP_SOFTKEY_TEMPLATE_REQ:
		send_softkey_template(d, out);
		return;
	case SCCP_SOFTKEY_SET_REQ:
		send_softkey_sets(d, out);
		return;
	case SCCP_CONFIG_STAT_REQ:
		send_config_stat(d, out);
		return;
	case SCCP_LINE_STAT_REQ:
		send_line_stat(d, out, m->u.line_stat_req.value);
		return;
	case SCCP_TIME_DATE_REQ:
		send_time_date(d, out, unix_ms);
		return;
	case SCCP_VERSION_REQ: {
		struct sccp_msg *v = dev_send(d, out, SCCP_VERSION);
		if (v)
			cm_strcpy(v->u.version.text, 16 + 1, "vmport-labcm");
		return;
	}
	case SCCP_UNREGISTER:
		dev_on_unregister(d, out);
		return;
	case SCCP_REGISTER_AVAILABLE_LINES:
	case SCCP_FORWARD_STAT_REQ:
	case SCCP_CONNECTION_STATISTICS_RES:
	case SCCP_STIMULUS:
		return;
	case SCCP_OFFHOOK:
		dev_on_offhook(d, m->u.offhook.present, m->u.offhook.call_reference,
		               m->u.offhook.line_instance, "", m->id, now_ms, out);
		return;
	case SCCP_OFFHOOK_WITH_CGPN:
		dev_on_offhook(d, false, 0, m->u.offhook_cgpn.line_instance, m->u.offhook_cgpn.calling_party,
		               m->id, now_ms, out);
		return;
	case SCCP_ONHOOK:
		dev_on_onhook(d, m->u.offhook.present, m->u.offhook.call_reference, m->id, out);
		return;
	case SCCP_SOFTKEY_EVENT:
		dev_on_softkey(d, &m->u.softkey_event, now_ms, out);
		return;
	case SCCP_KEYPAD_BUTTON:
		dev_on_keypad(d, &m->u.keypad, now_ms, out);
		return;
	case SCCP_ENBLOC_CALL:
		dev_on_enbloc(d, &m->u.enbloc, now_ms, out);
		return;
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK:
		dev_on_orc_ack(d, &m->u.orc_ack, out);
		return;
	case SCCP_START_MEDIA_TRANSMISSION_ACK:
		dev_on_media_failure(d, m->id, m->u.smt_ack.pass_through_party_id, m->u.smt_ack.status, out);
		return;
	case SCCP_MEDIA_TRANSMISSION_FAILURE:
		dev_on_media_failure(d, m->id, m->u.mtf.pass_through_party_id, 1, out);
		return;
	default:
		dev_note(d, out, "message not expected from a device: ignored", m->id, 0);
		return;
	}
}

static void dev_on_message(struct cm_device *d, const struct sccp_msg *m, uint64_t now_ms, uint64_t unix_ms,
                           struct cm_device_output *out)
{
	switch (d->state) {
	case CM_DEV_CLOSING:
		return; /* what was in flight when we asked to close */
	case CM_DEV_DOWN:
		dev_note(d, out, "message without a connection", m->id, 0);
		return;
	case CM_DEV_AWAIT_REGISTER:
		if (m->id == SCCP_REGISTER)
			dev_on_register(d, &m->u.reg, now_ms, out);
		else
			dev_note(d, out, "message before Register: ignored", m->id, 0);
		return;
	default:
		dev_on_registered_message(d, m, now_ms, unix_ms, out);
		return;
	}
}

static void dev_on_call_timer(struct cm_device *d, uint64_t now_ms, struct cm_device_output *out)
{
	switch (d->state) {
	case CM_DEV_RINGING:
		call_teardown(d, out, CM_CALL_END_NO_ANSWER);
		return;
	case CM_DEV_DIALLING:
		switch (d->call.phase) {
		case CM_DIAL_TONE:
			dial_refuse(d, now_ms, out);
			return;
		case CM_DIAL_DIGITS:
			dial_evaluate(d, true, now_ms, out);
			return;
		case CM_DIAL_REORDER:
			dial_clear(d, out);
			return;
		}
		return;
	default:
		return;
	}
}

static void dev_on_timer(struct cm_device *d, uint64_t now_ms, struct cm_device_output *out)
{
	for (int t = 0; t < CM_TIMER_COUNT; t++) {
		if (d->deadline[t] > now_ms)
			continue;
		dev_disarm(d, (enum cm_device_timer)t);
		switch ((enum cm_device_timer)t) {
		case CM_TIMER_REGISTER:
			if (d->state == CM_DEV_AWAIT_REGISTER)
				dev_close(d, out, CM_CLOSE_REGISTER_TIMEOUT);
			break;
		case CM_TIMER_KEEPALIVE:
			if (dev_is_registered_state(d))
				dev_close(d, out, CM_CLOSE_KEEPALIVE_TIMEOUT);
			break;
		case CM_TIMER_CALL:
			dev_on_call_timer(d, now_ms, out);
			break;
		case CM_TIMER_COUNT:
			break;
		}
	}
}

void cm_device_handle(struct cm_device *d, const struct cm_device_event *ev, uint64_t now_ms,
                      uint64_t unix_ms, struct cm_device_output *out)
{
	/* The previous output's messages may carry keys (OpenReceiveChannel, StartMediaTransmission).
	 * Only those are wiped (a never-used output with a wild count is wiped whole). */
	size_t used = out->n_msgs <= CM_DEVICE_MAX_MSGS ? out->n_msgs : CM_DEVICE_MAX_MSGS;
	cm_wipe(out->msgs, used * sizeof(out->msgs[0]));
	out->n_msgs = 0;
	out->n_acts = 0;

	switch (ev->type) {
	case CM_EV_TRANSPORT_UP:
		dev_on_transport_up(d, &ev->u.transport, now_ms, out);
		break;
	case CM_EV_TRANSPORT_DOWN:
		dev_on_transport_down(d, out);
		break;
	case CM_EV_MESSAGE:
		if (ev->u.msg)
			dev_on_message(d, ev->u.msg, now_ms, unix_ms, out);
		break;
	case CM_EV_TIMER:
		dev_on_timer(d, now_ms, out);
		break;
	case CM_EV_OFFER_CALL:
		if (!d->registered) {
			if (ev->u.offer)
				call_ended(d, out, ev->u.offer->call_reference, CM_CALL_END_BUSY);
			break;
		}
		dev_on_offer(d, ev->u.offer, now_ms, out);
		break;
	case CM_EV_HANGUP:
		dev_on_hangup_event(d, ev->u.call_reference, out);
		break;
	case CM_EV_SET_LAMP:
		if (!d->registered) {
			dev_note(d, out, "SetLamp for an unregistered device: ignored", SCCP_SET_LAMP, 0);
			break;
		} else {
			struct sccp_msg *m = dev_send(d, out, SCCP_SET_LAMP);
			if (m) {
				m->u.set_lamp.stimulus = SCCP_STIMULUS_VOICEMAIL;
				m->u.set_lamp.stimulus_instance = 0; /* device-level lamp (§5.3) */
				m->u.set_lamp.lamp_mode = ev->u.lamp_on ? SCCP_LAMP_ON : SCCP_LAMP_OFF;
			}
			d->lamp_on = ev->u.lamp_on;
		}
		break;
	case CM_EV_RESET:
		if (!d->registered) {
			dev_note(d, out, "Reset for an unregistered device: ignored", SCCP_RESET, 0);
			break;
		} else {
			struct sccp_msg *m = dev_send(d, out, SCCP_RESET);
			if (m)
				m->u.reset.value = ev->u.reset_type;
		}
		break;
	default:
		dev_note(d, out, "unknown event type", CM_NO_MSG_ID, (uint32_t)ev->type);
		break;
	}
	out->next_deadline_ms = cm_device_next_deadline(d);
}
