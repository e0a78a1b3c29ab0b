/* Incoming calls at a voicemail port (protocol.md §3.3, §3.6, §3.7, §4, §9.2): answering, the
 * mailbox choice, the media legs and their keys, caller digits, and hang-up both ways. */
#include "sccp_port_internal.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Mailbox choice (§3.3) */

static void call_desc_from_info(const struct sccp_port *p, const struct sccp_call_info *ci,
                                struct sccp_port_call_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->call_reference = ci->call_reference;
	d->call_type = ci->call_type;
	d->security_status = ci->call_security_status;
	port_strcpy(d->caller, sizeof(d->caller), ci->calling_party);
	port_strcpy(d->caller_name, sizeof(d->caller_name), ci->calling_party_name);
	port_strcpy(d->called, sizeof(d->called), ci->called_party);

	/* Forwarded: CallManager says so, or the first number dialled is neither our pilot nor the
	 * number that reached us (a direct call to the pilot has originalCalled = called = pilot). */
	const char *orig = ci->original_called_party;
	bool forwarded =
	    ci->call_type == SCCP_CALL_FORWARD ||
	    (orig[0] && strcmp(orig, p->cfg.pilot_number) != 0 && strcmp(orig, ci->called_party) != 0);
	if (!forwarded)
		return;

	/* First or last redirecting number: the CUC port-group setting "Use Last (Rather than First)
	 * Redirecting Number"; either one falls back to the other when CallManager left it empty. */
	const char *first = ci->original_called_party, *last = ci->last_redirecting_party;
	bool use_last = p->cfg.use_last_redirect ? last[0] != '\0' : first[0] == '\0';
	const char *box = use_last ? last : first;
	if (box[0] == '\0')
		return; /* forwarded from nowhere we can name: treat as a direct call */
	d->forwarded = true;
	port_strcpy(d->mailbox, sizeof(d->mailbox), box);
	d->redirect_reason = use_last ? ci->last_redirecting_reason : ci->original_cdpn_redirect_reason;
}

/* ---------------------------------------------------------------------------------------------
 * Call life */

static void call_remember_finished(struct sccp_port *p, uint32_t call_ref)
{
	p->has_last_call = true;
	p->last_call_reference = call_ref;
}

/* Messages about the call that just ended keep arriving for a while (CallManager's own
 * Close/Stop/CallState after our OnHook): they are expected, not news. */
static bool call_is_recent(const struct sccp_port *p, uint32_t call_ref)
{
	return p->has_last_call && p->last_call_reference == call_ref;
}

void port_call_finish(struct sccp_port *p, struct sccp_port_output *out, enum sccp_port_call_end reason)
{
	struct sccp_port_call *c = &p->call;
	port_disarm(p, SCCP_TIMER_ANSWER);
	if (p->state == SCCP_PORT_IN_CALL) {
		struct sccp_port_action *a;
		if (c->tx.active && (a = port_act(p, out, PORT_ACT_STOP_TX))) {
			a->u.leg.pass_through_party_id = c->tx.pass_through_party_id;
			a->u.leg.call_reference = c->call_reference;
		}
		if (c->rx.active && (a = port_act(p, out, PORT_ACT_CLOSE_RX))) {
			a->u.leg.pass_through_party_id = c->rx.pass_through_party_id;
			a->u.leg.call_reference = c->call_reference;
		}
		if ((a = port_act(p, out, PORT_ACT_CALL_ENDED))) {
			a->u.call_ended.call_reference = c->call_reference;
			a->u.call_ended.reason = reason;
		}
	}
	call_remember_finished(p, c->call_reference);
	memset(c, 0, sizeof(*c));
}

static void call_answer(struct sccp_port *p, struct sccp_port_output *out)
{
	struct sccp_msg *m = port_send(p, out, SCCP_OFFHOOK);
	if (m) {
		m->u.offhook.present = true;
		m->u.offhook.line_instance = p->call.line_instance;
		m->u.offhook.call_reference = p->call.call_reference;
	}
	port_disarm(p, SCCP_TIMER_ANSWER);
	p->stats.calls_answered++;
	p->state = SCCP_PORT_IN_CALL;
}

static void call_ring_in(struct sccp_port *p, const struct sccp_call_state *cs, uint64_t now_ms,
                         struct sccp_port_output *out)
{
	if (!p->cfg.answer_calls)
		return; /* CUC "Answer Calls" off: let CallManager hunt on */
	struct sccp_port_call *c = &p->call;
	bool early_info = c->info_seen && c->call_reference == cs->call_reference;
	if (!early_info)
		memset(c, 0, sizeof(*c));
	c->call_reference = cs->call_reference;
	c->line_instance = cs->line_instance ? cs->line_instance : 1;
	p->has_last_call = false;
	p->state = SCCP_PORT_RINGING;
	if (early_info)
		call_answer(p, out);
	else
		port_arm(p, SCCP_TIMER_ANSWER, now_ms + p->cfg.answer_without_info_ms);
}

void port_call_on_answer_timer(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	(void)now_ms;
	if (p->state != SCCP_PORT_RINGING)
		return;
	/* Better a direct-call greeting than a caller left ringing. */
	port_note(p, out, "no CallInfo for the ringing call: answered as a direct call", SCCP_CALL_INFO,
	          p->call.call_reference);
	p->call.desc.call_reference = p->call.call_reference;
	call_answer(p, out);
}

void port_call_on_call_state(struct sccp_port *p, const struct sccp_call_state *cs, uint64_t now_ms,
                             struct sccp_port_output *out)
{
	uint32_t ref = cs->call_reference;
	switch (p->state) {
	case SCCP_PORT_IDLE:
		if (cs->call_state == SCCP_CS_RINGIN)
			call_ring_in(p, cs, now_ms, out);
		/* Anything else while idle (the OnHook/Idle CallManager sends at registration, the tail
		 * of a finished call) changes nothing. */
		return;
	case SCCP_PORT_RINGING:
	case SCCP_PORT_IN_CALL:
		break;
	default:
		return;
	}

	if (ref != p->call.call_reference) {
		if (cs->call_state == SCCP_CS_RINGIN)
			port_note(p, out, "second call offered while busy: ignored", SCCP_CALL_STATE, ref);
		else if (!call_is_recent(p, ref))
			port_note(p, out, "CallState for another call", SCCP_CALL_STATE, ref);
		return;
	}
	/* OnHook is how CallManager clears the call; Idle is accepted as the same, for tolerance. */
	if (cs->call_state == SCCP_CS_ONHOOK || cs->call_state == SCCP_CS_IDLE) {
		port_call_finish(p, out, SCCP_CALL_END_REMOTE);
		port_became_idle(p, now_ms);
	}
	/* RingIn again, OffHook, Connected, ...: the call goes on. */
}

void port_call_on_call_info(struct sccp_port *p, const struct sccp_msg *m, uint64_t now_ms,
                            struct sccp_port_output *out)
{
	(void)now_ms;
	const struct sccp_call_info *ci = &m->u.call_info;
	struct sccp_port_call *c = &p->call;
	switch (p->state) {
	case SCCP_PORT_IDLE:
		/* CallInfo may come before RingIn: keep it for the RingIn that follows. */
		memset(c, 0, sizeof(*c));
		c->call_reference = ci->call_reference;
		c->info_seen = true;
		call_desc_from_info(p, ci, &c->desc);
		return;
	case SCCP_PORT_RINGING:
	case SCCP_PORT_IN_CALL:
		break;
	default:
		return; /* MWI calls and stragglers: nothing to learn */
	}
	if (ci->call_reference != c->call_reference) {
		if (!call_is_recent(p, ci->call_reference))
			port_note(p, out, "CallInfo for another call", m->id, ci->call_reference);
		return;
	}
	/* Updates are taken until the greeting starts; after that the mailbox is fixed. */
	if (!c->greeting_started) {
		call_desc_from_info(p, ci, &c->desc);
		c->info_seen = true;
	}
	if (p->state == SCCP_PORT_RINGING)
		call_answer(p, out);
}

/* ---------------------------------------------------------------------------------------------
 * Media (§4) */

static bool codec_supported(const struct sccp_port *p, uint32_t codec)
{
	for (size_t i = 0; i < p->cfg.n_codecs; i++)
		if (p->cfg.codecs[i] == codec)
			return true;
	return false;
}

/* Suites the media side implements: none, AES-CM-128 with 32- or 80-bit tags, AES-GCM. The F8
 * suites (3, 4) are not in libsrtp's usual builds. A suite without key bytes cannot work. */
static bool key_supported(const struct sccp_key_info *k)
{
	switch (k->algorithm) {
	case SCCP_ALG_NONE:
		return true;
	case SCCP_ALG_AES_CM_128_HMAC_SHA1_32:
	case SCCP_ALG_AES_CM_128_HMAC_SHA1_80:
	case SCCP_ALG_AEAD_AES_128_GCM:
	case SCCP_ALG_AEAD_AES_256_GCM:
		return k->key_len > 0;
	default:
		return false;
	}
}

static void send_orc_ack(struct sccp_port *p, struct sccp_port_output *out, uint32_t status,
                         const uint8_t ip[4], uint32_t port, uint32_t pass_through, uint32_t call_ref)
{
	struct sccp_msg *m = port_send(p, out, SCCP_OPEN_RECEIVE_CHANNEL_ACK);
	if (!m)
		return;
	struct sccp_open_receive_channel_ack *a = &m->u.orc_ack;
	a->status = status;
	a->ip.type = 0; /* IPv4 */
	memcpy(a->ip.addr, ip, 4);
	a->port = port;
	a->pass_through_party_id = pass_through;
	a->has_call_reference = true;
	a->call_reference = call_ref;
}

/* Media messages outside an answered call. The tail of the call that just ended (same callRef,
 * or no callRef to tell) and anything while unregistering are expected; the rest is noted. */
static void call_media_out_of_place(struct sccp_port *p, struct sccp_port_output *out, const char *what,
                                    uint32_t msg_id, bool has_ref, uint32_t call_ref, uint32_t value)
{
	if (p->state == SCCP_PORT_UNREGISTERING)
		return;
	if (has_ref ? call_is_recent(p, call_ref) : p->has_last_call)
		return;
	port_note(p, out, what, msg_id, value);
}

void port_call_on_open_receive_channel(struct sccp_port *p, const struct sccp_open_receive_channel *orc,
                                       struct sccp_port_output *out)
{
	struct sccp_port_call *c = &p->call;
	if (p->state != SCCP_PORT_IN_CALL) {
		call_media_out_of_place(p, out, "OpenReceiveChannel without an answered call: ignored",
		                        SCCP_OPEN_RECEIVE_CHANNEL, orc->call_reference != 0,
		                        orc->call_reference, orc->pass_through_party_id);
		return;
	}
	uint32_t pass = orc->pass_through_party_id;
	if (c->rx.active) {
		/* The same request again: repeat the answer if we have one. Another leg: we have one
		 * receive channel per call. */
		if (c->rx.pass_through_party_id == pass) {
			if (c->rx.acked)
				send_orc_ack(p, out, SCCP_MEDIA_OK, c->rx.ip, c->rx.port, pass,
				             c->call_reference);
			return;
		}
		port_note(p, out, "second OpenReceiveChannel while one is open: refused",
		          SCCP_OPEN_RECEIVE_CHANNEL, pass);
		send_orc_ack(p, out, SCCP_MEDIA_NOT_ENOUGH_CHANNELS, p->cfg.station_ip, 0, pass,
		             c->call_reference);
		return;
	}
	if (!codec_supported(p, orc->compression_type)) {
		port_note(p, out, "OpenReceiveChannel with a codec we did not offer",
		          SCCP_OPEN_RECEIVE_CHANNEL, orc->compression_type);
		send_orc_ack(p, out, SCCP_MEDIA_INVALID_CODEC, p->cfg.station_ip, 0, pass, c->call_reference);
		return;
	}
	/* Short CallManager 4.x bodies carry no key block: such a call is plain RTP. */
	if (orc->has_key && !key_supported(&orc->rx_key)) {
		port_note(p, out, "OpenReceiveChannel with an unsupported SRTP suite",
		          SCCP_OPEN_RECEIVE_CHANNEL, orc->rx_key.algorithm);
		send_orc_ack(p, out, SCCP_MEDIA_ENC_DEC_FAILED, p->cfg.station_ip, 0, pass,
		             c->call_reference);
		return;
	}
	if (orc->call_reference && orc->call_reference != c->call_reference)
		port_note(p, out, "OpenReceiveChannel names another callReference: accepted for our call",
		          SCCP_OPEN_RECEIVE_CHANNEL, orc->call_reference);

	struct sccp_port_action *a = port_act(p, out, PORT_ACT_OPEN_RX);
	if (!a)
		return;
	c->rx.active = true;
	c->rx.acked = false;
	c->rx.pass_through_party_id = pass;
	struct sccp_port_media *md = &a->u.media;
	md->pass_through_party_id = pass;
	md->call_reference = c->call_reference;
	md->codec = orc->compression_type;
	md->packet_ms = orc->packet_ms;
	md->rfc2833_payload_type = orc->rfc2833_payload_type;
	if (orc->has_key)
		md->key = orc->rx_key; /* the one copy; the port keeps none */
}

void port_call_on_rx_opened(struct sccp_port *p, const struct sccp_port_event *ev,
                            struct sccp_port_output *out)
{
	struct sccp_port_call *c = &p->call;
	uint32_t pass = ev->u.rx_opened.pass_through_party_id;
	if (p->state != SCCP_PORT_IN_CALL || !c->rx.active || c->rx.acked ||
	    c->rx.pass_through_party_id != pass) {
		port_note(p, out, "RX_OPENED for no pending OpenReceiveChannel", SCCP_NO_MSG_ID, pass);
		return;
	}
	uint32_t status = ev->u.rx_opened.status;
	send_orc_ack(p, out, status, ev->u.rx_opened.ip, ev->u.rx_opened.port, pass, c->call_reference);
	if (status != SCCP_MEDIA_OK) {
		c->rx.active = false; /* the program never opened it: nothing to close */
		return;
	}
	c->rx.acked = true;
	memcpy(c->rx.ip, ev->u.rx_opened.ip, 4);
	c->rx.port = ev->u.rx_opened.port;
}

static void send_smt_failure(struct sccp_port *p, struct sccp_port_output *out,
                             const struct sccp_start_media_transmission *smt, uint32_t status)
{
	struct sccp_port_call *c = &p->call;
	if (p->cfg.send_smt_ack) {
		struct sccp_msg *m = port_send(p, out, SCCP_START_MEDIA_TRANSMISSION_ACK);
		if (!m)
			return;
		struct sccp_start_media_transmission_ack *a = &m->u.smt_ack;
		a->conference_id = smt->conference_id;
		a->pass_through_party_id = smt->pass_through_party_id;
		a->call_reference = c->call_reference;
		memcpy(a->ip.addr, c->rx.ip, 4);
		a->port = c->rx.port;
		a->status = status;
		return;
	}
	struct sccp_msg *m = port_send(p, out, SCCP_MEDIA_TRANSMISSION_FAILURE);
	if (!m)
		return;
	struct sccp_media_transmission_failure *f = &m->u.mtf;
	f->conference_id = smt->conference_id;
	f->pass_through_party_id = smt->pass_through_party_id;
	f->remote_ip = smt->remote_ip;
	f->remote_port = smt->remote_port;
	f->call_reference = c->call_reference;
}

void port_call_on_start_media(struct sccp_port *p, const struct sccp_start_media_transmission *smt,
                              struct sccp_port_output *out)
{
	struct sccp_port_call *c = &p->call;
	uint32_t pass = smt->pass_through_party_id;
	if (p->state != SCCP_PORT_IN_CALL) {
		call_media_out_of_place(p, out, "StartMediaTransmission without an answered call: ignored",
		                        SCCP_START_MEDIA_TRANSMISSION, smt->call_reference != 0,
		                        smt->call_reference, pass);
		return;
	}
	/* CallManager names the port's media endpoint with the passThroughPartyId it gave in
	 * OpenReceiveChannel; any other id is not ours. */
	if (!c->rx.active || c->rx.pass_through_party_id != pass) {
		port_note(p, out, "StartMediaTransmission for an unknown passThroughPartyId: ignored",
		          SCCP_START_MEDIA_TRANSMISSION, pass);
		return;
	}
	if (c->tx.active) {
		port_note(p, out, "StartMediaTransmission while already transmitting: ignored",
		          SCCP_START_MEDIA_TRANSMISSION, pass);
		return;
	}
	if (!codec_supported(p, smt->compression_type)) {
		port_note(p, out, "StartMediaTransmission with a codec we did not offer",
		          SCCP_START_MEDIA_TRANSMISSION, smt->compression_type);
		send_smt_failure(p, out, smt, SCCP_MEDIA_INVALID_CODEC);
		return;
	}
	if ((smt->has_key && !key_supported(&smt->tx_key)) || smt->remote_ip.type != 0) {
		port_note(p, out, "StartMediaTransmission with an unsupported SRTP suite or address type",
		          SCCP_START_MEDIA_TRANSMISSION,
		          smt->has_key ? smt->tx_key.algorithm : smt->remote_ip.type);
		send_smt_failure(p, out, smt, SCCP_MEDIA_ENC_DEC_FAILED);
		return;
	}

	struct sccp_port_action *a = port_act(p, out, PORT_ACT_START_TX);
	if (!a)
		return;
	c->tx.active = true;
	c->tx.pass_through_party_id = pass;
	struct sccp_port_media *md = &a->u.media;
	md->pass_through_party_id = pass;
	md->call_reference = c->call_reference;
	md->codec = smt->compression_type;
	md->packet_ms = smt->packet_ms;
	md->rfc2833_payload_type = smt->rfc2833_payload_type;
	memcpy(md->remote_ip, smt->remote_ip.addr, 4);
	md->remote_port = smt->remote_port;
	md->precedence = smt->precedence;
	if (smt->has_key)
		md->key = smt->tx_key; /* the one copy; the port keeps none */

	if (p->cfg.send_smt_ack) {
		struct sccp_msg *m = port_send(p, out, SCCP_START_MEDIA_TRANSMISSION_ACK);
		if (m) {
			struct sccp_start_media_transmission_ack *k = &m->u.smt_ack;
			k->conference_id = smt->conference_id;
			k->pass_through_party_id = pass;
			k->call_reference = c->call_reference;
			memcpy(k->ip.addr, c->rx.ip, 4);
			k->port = c->rx.port;
			k->status = SCCP_MEDIA_OK;
		}
	}

	/* Media flows both ways now: time for the greeting, then the recording. */
	if (!c->greeting_started) {
		c->greeting_started = true;
		c->desc.call_reference = c->call_reference;
		if ((a = port_act(p, out, PORT_ACT_PLAY_GREETING)))
			a->u.call = c->desc;
		if ((a = port_act(p, out, PORT_ACT_RECORD)))
			a->u.call = c->desc;
	}
}

void port_call_on_stop_media(struct sccp_port *p, const struct sccp_msg *m, struct sccp_port_output *out)
{
	bool is_rx = m->id == SCCP_CLOSE_RECEIVE_CHANNEL;
	uint32_t pass = m->u.stop_media.pass_through_party_id;
	struct sccp_port_call *c = &p->call;
	struct sccp_port_leg *leg = is_rx ? &c->rx : &c->tx;
	if (p->state != SCCP_PORT_IN_CALL || !leg->active || leg->pass_through_party_id != pass) {
		if (p->state == SCCP_PORT_IN_CALL)
			port_note(p, out,
			          is_rx ? "CloseReceiveChannel for no open channel"
			                : "StopMediaTransmission for no transmission",
			          m->id, pass);
		else
			call_media_out_of_place(p, out, "media close without an answered call", m->id,
			                        m->u.stop_media.has_call_reference,
			                        m->u.stop_media.call_reference, pass);
		return;
	}
	struct sccp_port_action *a = port_act(p, out, is_rx ? PORT_ACT_CLOSE_RX : PORT_ACT_STOP_TX);
	if (!a)
		return;
	a->u.leg.pass_through_party_id = pass;
	a->u.leg.call_reference = c->call_reference;
	leg->active = false;
	leg->acked = false;
}

/* ---------------------------------------------------------------------------------------------
 * Caller digits (§3.6) */

static void emit_digit(struct sccp_port *p, struct sccp_port_output *out, char digit,
                       enum sccp_digit_source src)
{
	struct sccp_port_action *a = port_act(p, out, PORT_ACT_DIGIT);
	if (!a)
		return;
	a->u.digit.digit = digit;
	a->u.digit.source = src;
	a->u.digit.call_reference = p->call.call_reference;
}

/* C→D KeypadButton codes: 0x0–0x9 digits, 0x0B–0x0D B–D, 0x0E '*', 0x0F '#'. 0x0A is the
 * conflict: chan-sccp relays digit 0 as 0x0A (tone coding) while Wireshark's enum calls it 'A'.
 * A caller pressing 0 is far likelier than one pressing A, so 0x0A is '0' unless configured. */
static char keypad_digit(const struct sccp_port *p, uint32_t code)
{
	static const char map[] = "0123456789ABCD*#";
	if (code == 0x0A)
		return p->cfg.keypad_0a_is_a ? 'A' : '0';
	return code < 16 ? map[code] : '\0';
}

/* StartTone DTMF codes (WS-XML DeviceTone, chan-sccp SKINNY_TONE_DTMF*): 0x01–0x09, 0x0A = 0,
 * 0x0E '*', 0x0F '#', 0x10–0x13 A–D. Other tones (dial, ringback, ...) are not digits. */
static char tone_digit(uint32_t tone)
{
	if (tone >= 0x01 && tone <= 0x09)
		return (char)('0' + tone);
	switch (tone) {
	case 0x0A:
		return '0';
	case 0x0E:
		return '*';
	case 0x0F:
		return '#';
	case 0x10:
	case 0x11:
	case 0x12:
	case 0x13:
		return (char)('A' + (tone - 0x10));
	default:
		return '\0';
	}
}

void port_call_on_keypad(struct sccp_port *p, const struct sccp_keypad_button *kb,
                         struct sccp_port_output *out)
{
	if (p->state != SCCP_PORT_IN_CALL) {
		call_media_out_of_place(p, out, "KeypadButton without an answered call", SCCP_KEYPAD_BUTTON,
		                        kb->has_call, kb->call_reference, kb->button);
		return;
	}
	char d = keypad_digit(p, kb->button);
	if (!d) {
		port_note(p, out, "KeypadButton with an unknown code", SCCP_KEYPAD_BUTTON, kb->button);
		return;
	}
	emit_digit(p, out, d, SCCP_DIGIT_KEYPAD);
}

void port_call_on_start_tone(struct sccp_port *p, const struct sccp_start_tone *st,
                             struct sccp_port_output *out)
{
	char d = tone_digit(st->tone);
	if (p->state == SCCP_PORT_IN_CALL && d)
		emit_digit(p, out, d, SCCP_DIGIT_TONE);
}

static bool is_dtmf_char(char d)
{
	return (d >= '0' && d <= '9') || (d >= 'A' && d <= 'D') || d == '*' || d == '#';
}

void port_call_on_dtmf(struct sccp_port *p, char digit, struct sccp_port_output *out)
{
	if (p->state != SCCP_PORT_IN_CALL || !is_dtmf_char(digit)) {
		port_note(p, out, "RFC 2833 digit outside a call, or not a DTMF digit", SCCP_NO_MSG_ID,
		          (uint32_t)(uint8_t)digit);
		return;
	}
	emit_digit(p, out, digit, SCCP_DIGIT_RFC2833);
}

/* ---------------------------------------------------------------------------------------------
 * Local hang-up */

void port_call_on_hangup(struct sccp_port *p, uint32_t call_ref, uint64_t now_ms,
                         struct sccp_port_output *out)
{
	struct sccp_port_call *c = &p->call;
	if (p->state != SCCP_PORT_IN_CALL || (call_ref && call_ref != c->call_reference)) {
		port_note(p, out, "HANGUP with no such call up", SCCP_NO_MSG_ID, call_ref);
		return;
	}
	/* The call is finished here and now; CallManager's Close/Stop/CallState(OnHook) that follow
	 * are recognised as this call's tail. No timer is needed to wait for them. */
	port_send_onhook(p, out, true, c->line_instance, c->call_reference);
	port_call_finish(p, out, SCCP_CALL_END_LOCAL);
	port_became_idle(p, now_ms);
}
