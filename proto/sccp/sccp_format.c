/* One-line rendering of decoded SCCP messages. Everything a field engineer needs to follow a call
 * (device, call reference, media leg, addresses, codec, numbers) and nothing secret: the SRTP
 * master key and salt never reach a log line, only the suite and the lengths. */
#include "sccp_format.h"

#include <stdarg.h>
#include <stdio.h>

struct out {
	char *buf;
	size_t cap;
	size_t len; /* length the line needs so far; may run past cap */
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *dst = o->len < o->cap ? o->buf + o->len : NULL;
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* key="value", with quotes, backslashes and non-printable bytes escaped (CallManager puts label
 * codes such as "\x80\x13" and stray bytes in its strings). */
static void put_str(struct out *o, const char *key, const char *s)
{
	put(o, " %s=\"", key);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7F)
			put(o, "\\x%02X", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

/* A string field worth showing only when set. */
static void put_str_nonempty(struct out *o, const char *key, const char *s)
{
	if (s[0])
		put_str(o, key, s);
}

static void put_ipv4(struct out *o, const char *key, const uint8_t *a)
{
	put(o, " %s=%u.%u.%u.%u", key, a[0], a[1], a[2], a[3]);
}

static void put_ip_port(struct out *o, const char *key, const struct sccp_ip *ip, uint32_t port)
{
	if (ip->type == 0) {
		put_ipv4(o, key, ip->addr);
	} else {
		put(o, " %s=[", key);
		for (int i = 0; i < 16; i += 2)
			put(o, "%s%x", i ? ":" : "", (unsigned)(ip->addr[i] << 8 | ip->addr[i + 1]));
		put(o, "]");
	}
	put(o, ":%u", port);
}

static const char *codec_name(uint32_t id)
{
	switch (id) {
	case 2:
		return "G711A";
	case 3:
		return "G711A-56k";
	case 4:
		return "G711U";
	case 5:
		return "G711U-56k";
	case 6:
		return "G722";
	case 9:
		return "G7231";
	case 11:
		return "G729";
	case 12:
		return "G729A";
	case 15:
		return "G729B";
	case 16:
		return "G729AB";
	case 40:
		return "G7221-32k";
	case 41:
		return "G7221-24k";
	case 86:
		return "iLBC";
	case 89:
		return "iSAC";
	case 90:
		return "Opus";
	case 257:
		return "RFC2833";
	default:
		return "?";
	}
}

static void put_codec(struct out *o, uint32_t codec, uint32_t ms)
{
	put(o, " codec=%u(%s) ms=%u", codec, codec_name(codec), ms);
}

static const char *alg_name(uint32_t alg)
{
	static const char *const names[] = {
	    "NONE",
	    "AES_CM_128_HMAC_SHA1_32",
	    "AES_CM_128_HMAC_SHA1_80",
	    "F8_128_HMAC_SHA1_32",
	    "F8_128_HMAC_SHA1_80",
	    "AEAD_AES_128_GCM",
	    "AEAD_AES_256_GCM",
	};
	return alg < sizeof(names) / sizeof(names[0]) ? names[alg] : "?";
}

/* The suite and lengths only: key and salt bytes are secrets. */
static void put_key(struct out *o, bool has_key, const struct sccp_key_info *k)
{
	if (!has_key) {
		put(o, " key=absent");
		return;
	}
	put(o, " alg=%u(%s)", k->algorithm, alg_name(k->algorithm));
	if (k->algorithm != SCCP_ALG_NONE)
		put(o, " keylen=%u saltlen=%u", k->key_len, k->salt_len);
}

static const char *call_state_name(uint32_t s)
{
	static const char *const names[] = {
	    "Idle",          "OffHook",
	    "OnHook",        "RingOut",
	    "RingIn",        "Connected",
	    "Busy",          "Congestion",
	    "Hold",          "CallWaiting",
	    "CallTransfer",  "CallPark",
	    "Proceed",       "CallRemoteMultiline",
	    "InvalidNumber", "HoldRevert",
	    "Whisper",       "RemoteHold",
	};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static void put_line_ref(struct out *o, uint32_t line, uint32_t ref)
{
	put(o, " line=%u callRef=0x%X", line, ref);
}

static void format_call_info(struct out *o, const struct sccp_call_info *i)
{
	put_line_ref(o, i->line_instance, i->call_reference);
	put(o, " type=%u", i->call_type);
	put_str(o, "calling", i->calling_party);
	put_str_nonempty(o, "callingName", i->calling_party_name);
	put_str_nonempty(o, "altCalling", i->alternate_calling_party);
	put_str(o, "called", i->called_party);
	put_str_nonempty(o, "calledName", i->called_party_name);
	put_str(o, "origCalled", i->original_called_party);
	put_str_nonempty(o, "origCalledName", i->original_called_party_name);
	put_str(o, "lastRedirect", i->last_redirecting_party);
	put_str_nonempty(o, "lastRedirectName", i->last_redirecting_party_name);
	put(o, " origReason=%u lastReason=%u", i->original_cdpn_redirect_reason, i->last_redirecting_reason);
	put_str_nonempty(o, "cgpnVM", i->cgpn_voice_mailbox);
	put_str_nonempty(o, "cdpnVM", i->cdpn_voice_mailbox);
	put_str_nonempty(o, "origCdpnVM", i->original_cdpn_voice_mailbox);
	put_str_nonempty(o, "lastRedirectVM", i->last_redirecting_voice_mailbox);
	put(o, " callInstance=%u security=%u pi=0x%X", i->call_instance, i->call_security_status,
	    i->party_pi_restriction_bits);
	put_str_nonempty(o, "huntPilot", i->hunt_pilot_number);
	put_str_nonempty(o, "huntPilotName", i->hunt_pilot_name);
}

static void format_registration(struct out *o, const struct sccp_msg *m)
{
	const struct sccp_register *r = &m->u.reg;
	put_str(o, "device", r->device_name);
	put(o, " instance=%u", r->instance);
	put_ipv4(o, "ip", r->station_ip);
	put(o, " type=%u maxStreams=%u", r->device_type, r->max_streams);
	if (r->has_ext)
		put(o, " protocolVer=%u features=0x%04X maxConferences=%u", r->protocol_ver,
		    r->phone_features, r->max_conferences);
	if (r->has_full) {
		put(o, " mac=%02x%02x%02x%02x%02x%02x maxLines=%u", r->mac[0], r->mac[1], r->mac[2],
		    r->mac[3], r->mac[4], r->mac[5], r->max_lines);
		put_str(o, "firmware", r->firmware);
	}
	if (r->has_config_stamp)
		put_str(o, "configStamp", r->config_stamp);
}

static void format_body(struct out *o, const struct sccp_msg *m)
{
	const void *u = &m->u;
	switch (m->id) {
	case SCCP_REGISTER:
		format_registration(o, m);
		break;
	case SCCP_REGISTER_ACK: {
		const struct sccp_register_ack *a = u;
		put(o, " keepalive=%u secondaryKeepalive=%u", a->keepalive, a->secondary_keepalive);
		put_str(o, "dateTemplate", a->date_template);
		put(o, " maxProtocolVer=%u features=0x%04X", a->max_protocol_ver, a->features);
		break;
	}
	case SCCP_REGISTER_REJECT:
		put_str(o, "text", m->u.register_reject.text);
		break;
	case SCCP_CAPABILITIES_RES: {
		const struct sccp_capabilities_res *c = u;
		put(o, " count=%u caps=", c->count);
		for (uint32_t i = 0; i < c->count && i < SCCP_MAX_CAPS; i++)
			put(o, "%s%u(%s)/%u", i ? "," : "", c->caps[i].payload,
			    codec_name(c->caps[i].payload), c->caps[i].max_frames_per_packet);
		break;
	}
	case SCCP_BUTTON_TEMPLATE_RES: {
		const struct sccp_button_template_res *b = u;
		put(o, " offset=%u count=%u total=%u buttons=", b->offset, b->count, b->total);
		for (uint32_t i = 0; i < b->count && i < SCCP_MAX_BUTTONS; i++)
			put(o, "%s%u:0x%02X", i ? "," : "", b->buttons[i].instance, b->buttons[i].definition);
		break;
	}
	case SCCP_SOFTKEY_TEMPLATE_RES: {
		const struct sccp_softkey_template_res *t = u;
		put(o, " offset=%u count=%u total=%u", t->offset, t->count, t->total);
		for (uint32_t i = 0; i < t->count && i < SCCP_SOFTKEY_TEMPLATE_ENTRIES; i++) {
			char key[16];
			snprintf(key, sizeof(key), "key%u", t->keys[i].event);
			put_str(o, key, t->keys[i].label);
		}
		break;
	}
	case SCCP_SOFTKEY_SET_RES: {
		const struct sccp_softkey_set_res *s = u;
		put(o, " offset=%u count=%u total=%u", s->offset, s->count, s->total);
		break;
	}
	case SCCP_SELECT_SOFTKEYS: {
		const struct sccp_select_softkeys *s = u;
		put_line_ref(o, s->line_instance, s->call_reference);
		put(o, " set=%u mask=0x%08X", s->softkey_set_index, s->valid_key_mask);
		break;
	}
	case SCCP_LINE_STAT_REQ:
	case SCCP_FORWARD_STAT_REQ:
		put(o, " line=%u", m->u.line_stat_req.value);
		break;
	case SCCP_LINE_STAT_RES: {
		const struct sccp_line_stat_res *l = u;
		put(o, " line=%u", l->line_number);
		put_str(o, "dn", l->dir_number);
		put_str(o, "name", l->fq_display_name);
		put_str(o, "label", l->text_label);
		if (l->has_display_options)
			put(o, " displayOptions=0x%X", l->display_options);
		break;
	}
	case SCCP_CONFIG_STAT_RES: {
		const struct sccp_config_stat_res *c = u;
		put_str(o, "device", c->device_name);
		put(o, " instance=%u", c->instance);
		put_str(o, "user", c->user_name);
		put_str(o, "server", c->server_name);
		put(o, " lines=%u speedDials=%u", c->number_lines, c->number_speed_dials);
		break;
	}
	case SCCP_DEFINE_TIME_DATE: {
		const struct sccp_define_time_date *t = u;
		put(o, " date=%04u-%02u-%02u time=%02u:%02u:%02u.%03u dayOfWeek=%u systemTime=%u", t->year,
		    t->month, t->day, t->hour, t->minute, t->second, t->milliseconds, t->day_of_week,
		    t->system_time);
		break;
	}
	case SCCP_VERSION:
		put_str(o, "version", m->u.version.text);
		break;
	case SCCP_REGISTER_AVAILABLE_LINES:
		put(o, " maxLines=%u", m->u.register_available_lines.value);
		break;
	case SCCP_UNREGISTER:
		if (m->u.unregister.has_reason)
			put(o, " reason=%u", m->u.unregister.reason);
		break;
	case SCCP_UNREGISTER_ACK:
		put(o, " status=%u", m->u.unregister_ack.value);
		break;
	case SCCP_RESET:
		put(o, " resetType=%u", m->u.reset.value);
		break;
	case SCCP_REGISTER_TOKEN_REQ: {
		const struct sccp_register_token_req *t = u;
		put_str(o, "device", t->device_name);
		put(o, " instance=%u", t->instance);
		put_ipv4(o, "ip", t->station_ip);
		put(o, " type=%u", t->device_type);
		break;
	}
	case SCCP_REGISTER_TOKEN_REJECT:
		put(o, " waitTime=%u", m->u.register_token_reject.value);
		break;
	case SCCP_CALL_STATE: {
		const struct sccp_call_state *s = u;
		put(o, " state=%u(%s)", s->call_state, call_state_name(s->call_state));
		put_line_ref(o, s->line_instance, s->call_reference);
		if (s->has_privacy)
			put(o, " privacy=%u precedence=%u/%u", s->privacy, s->precedence_level,
			    s->precedence_domain);
		break;
	}
	case SCCP_CALL_INFO:
	case SCCP_CALL_INFO_V2:
		format_call_info(o, u);
		break;
	case SCCP_DISPLAY_PROMPT_STATUS:
	case SCCP_DISPLAY_PROMPT_STATUS_V2: {
		const struct sccp_display_prompt_status *d = u;
		put(o, " timeout=%u", d->timeout);
		put_str(o, "text", d->text);
		put_line_ref(o, d->line_instance, d->call_reference);
		break;
	}
	case SCCP_CLEAR_PROMPT_STATUS:
		put_line_ref(o, m->u.clear_prompt.line_instance, m->u.clear_prompt.call_reference);
		break;
	case SCCP_DISPLAY_PRI_NOTIFY: {
		const struct sccp_display_pri_notify *d = u;
		put(o, " timeout=%u priority=%u", d->timeout, d->priority);
		put_str(o, "text", d->text);
		break;
	}
	case SCCP_FEATURE_STAT_RES: {
		const struct sccp_feature_stat_res *f = u;
		put(o, " instance=%u type=%u status=%u", f->instance, f->type, f->status);
		put_str(o, "label", f->text_label);
		break;
	}
	case SCCP_SET_RINGER: {
		const struct sccp_set_ringer *r = u;
		put(o, " mode=%u duration=%u", r->ring_mode, r->ring_duration);
		put_line_ref(o, r->line_instance, r->call_reference);
		break;
	}
	case SCCP_SET_LAMP: {
		const struct sccp_set_lamp *l = u;
		put(o, " stimulus=0x%02X instance=%u mode=%u", l->stimulus, l->stimulus_instance,
		    l->lamp_mode);
		break;
	}
	case SCCP_SET_SPEAKER_MODE:
		put(o, " mode=%u", m->u.set_speaker_mode.value);
		break;
	case SCCP_ACTIVATE_CALL_PLANE:
	case SCCP_DEACTIVATE_CALL_PLANE:
		put(o, " line=%u", m->u.activate_call_plane.value);
		break;
	case SCCP_DIALED_NUMBER: {
		const struct sccp_dialed_number *d = u;
		put_str(o, "number", d->number);
		put_line_ref(o, d->line_instance, d->call_reference);
		break;
	}
	case SCCP_START_TONE: {
		const struct sccp_start_tone *t = u;
		put(o, " tone=0x%02X direction=%u", t->tone, t->direction);
		put_line_ref(o, t->line_instance, t->call_reference);
		break;
	}
	case SCCP_STOP_TONE: {
		const struct sccp_stop_tone *t = u;
		put_line_ref(o, t->line_instance, t->call_reference);
		if (t->has_tone)
			put(o, " tone=0x%02X", t->tone);
		break;
	}
	case SCCP_OFFHOOK:
	case SCCP_ONHOOK:
		if (m->u.offhook.present)
			put_line_ref(o, m->u.offhook.line_instance, m->u.offhook.call_reference);
		break;
	case SCCP_OFFHOOK_WITH_CGPN: {
		const struct sccp_offhook_with_cgpn *c = u;
		put_str(o, "calling", c->calling_party);
		put_str_nonempty(o, "cgpnVM", c->cgpn_voice_mailbox);
		put(o, " line=%u", c->line_instance);
		break;
	}
	case SCCP_ENBLOC_CALL:
		put_str(o, "called", m->u.enbloc.called_party);
		if (m->u.enbloc.has_line_instance)
			put(o, " line=%u", m->u.enbloc.line_instance);
		break;
	case SCCP_KEYPAD_BUTTON: {
		const struct sccp_keypad_button *k = u;
		put(o, " button=0x%02X", k->button);
		if (k->has_call)
			put_line_ref(o, k->line_instance, k->call_reference);
		break;
	}
	case SCCP_STIMULUS: {
		const struct sccp_stimulus *s = u;
		put(o, " stimulus=0x%02X", s->stimulus);
		put_line_ref(o, s->line_instance, s->call_reference);
		put(o, " status=%u", s->status);
		break;
	}
	case SCCP_SOFTKEY_EVENT: {
		const struct sccp_softkey_event *e = u;
		put(o, " event=%u", e->event);
		put_line_ref(o, e->line_instance, e->call_reference);
		break;
	}
	case SCCP_NOTIFY_DTMF_TONE:
	case SCCP_SEND_DTMF_TONE: {
		const struct sccp_dtmf_tone *d = u;
		put(o, " tone=0x%02X conference=0x%X passThru=0x%X", d->tone, d->conference_id,
		    d->pass_through_party_id);
		break;
	}
	case SCCP_OPEN_RECEIVE_CHANNEL: {
		const struct sccp_open_receive_channel *r = u;
		put(o, " conference=0x%X passThru=0x%X callRef=0x%X", r->conference_id,
		    r->pass_through_party_id, r->call_reference);
		put_codec(o, r->compression_type, r->packet_ms);
		put_key(o, r->has_key, &r->rx_key);
		if (r->has_key)
			put(o, " rfc2833PT=%u dtmfType=%u", r->rfc2833_payload_type, r->dtmf_type);
		if (r->has_source)
			put_ip_port(o, "source", &r->source_ip, r->source_port);
		break;
	}
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK: {
		const struct sccp_open_receive_channel_ack *a = u;
		put(o, " status=%u", a->status);
		put_ip_port(o, "rtp", &a->ip, a->port);
		put(o, " passThru=0x%X", a->pass_through_party_id);
		if (a->has_call_reference)
			put(o, " callRef=0x%X", a->call_reference);
		break;
	}
	case SCCP_START_MEDIA_TRANSMISSION: {
		const struct sccp_start_media_transmission *s = u;
		put(o, " conference=0x%X passThru=0x%X callRef=0x%X", s->conference_id,
		    s->pass_through_party_id, s->call_reference);
		put_ip_port(o, "remote", &s->remote_ip, s->remote_port);
		put_codec(o, s->compression_type, s->packet_ms);
		put(o, " precedence=0x%02X", s->precedence);
		put_key(o, s->has_key, &s->tx_key);
		if (s->has_key)
			put(o, " rfc2833PT=%u dtmfType=%u", s->rfc2833_payload_type, s->dtmf_type);
		break;
	}
	case SCCP_START_MEDIA_TRANSMISSION_ACK: {
		const struct sccp_start_media_transmission_ack *a = u;
		put(o, " conference=0x%X passThru=0x%X callRef=0x%X", a->conference_id,
		    a->pass_through_party_id, a->call_reference);
		put_ip_port(o, "transmit", &a->ip, a->port);
		put(o, " status=%u", a->status);
		break;
	}
	case SCCP_MEDIA_TRANSMISSION_FAILURE: {
		const struct sccp_media_transmission_failure *f = u;
		put(o, " conference=0x%X passThru=0x%X callRef=0x%X", f->conference_id,
		    f->pass_through_party_id, f->call_reference);
		put_ip_port(o, "remote", &f->remote_ip, f->remote_port);
		break;
	}
	case SCCP_STOP_MEDIA_TRANSMISSION:
	case SCCP_CLOSE_RECEIVE_CHANNEL: {
		const struct sccp_stop_media *s = u;
		put(o, " conference=0x%X passThru=0x%X", s->conference_id, s->pass_through_party_id);
		if (s->has_call_reference)
			put(o, " callRef=0x%X", s->call_reference);
		if (s->has_port_handling)
			put(o, " portHandling=%u", s->port_handling_flag);
		break;
	}
	case SCCP_CONNECTION_STATISTICS_REQ: {
		const struct sccp_connection_statistics_req *r = u;
		put_str(o, "dn", r->dir_number);
		put(o, " callRef=0x%X mode=%u", r->call_reference, r->processing_mode);
		break;
	}
	case SCCP_CONNECTION_STATISTICS_RES: {
		const struct sccp_connection_statistics_res *r = u;
		put_str(o, "dn", r->dir_number);
		put(o, " callRef=0x%X sent=%u/%u received=%u/%u lost=%u jitter=%u latency=%u",
		    r->call_reference, r->packets_sent, r->octets_sent, r->packets_received,
		    r->octets_received, r->packets_lost, r->jitter, r->latency);
		break;
	}
	default: /* empty bodies (KeepAlive, the *Req messages, ...) */
		break;
	}
}

int sccp_msg_format(const struct sccp_msg *m, char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap, .len = 0};
	if (cap > 0)
		buf[0] = '\0';
	const char *name = sccp_msg_name(m->id);
	put(&o, "%s(0x%04X) hv=%u", name ? name : "Unknown", m->id, m->hv);
	if (name)
		format_body(&o, m);
	return o.len > (size_t)INT32_MAX ? INT32_MAX : (int)o.len;
}
