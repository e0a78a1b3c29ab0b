/* SCCP codec: every message round-trips at hv 0 and hv V17, the byte layouts protocol.md quotes
 * decode at the quoted offsets, and bad input is refused with the right error and no overread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sccp/sccp_codec_internal.h"
#include "sccp/sccp_format.h"
#include "sccp/sccp_msg.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* A PDU header for a body of body_len bytes. */
static void put_header(uint8_t *pdu, uint32_t body_len, uint32_t hv, uint32_t id)
{
	put32(pdu, body_len + 4);
	put32(pdu + 4, hv);
	put32(pdu + 8, id);
}

static void fill_ip(struct sccp_ip *ip, uint32_t hv, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(ip, 0, sizeof(*ip));
	ip->addr[0] = a;
	ip->addr[1] = b;
	ip->addr[2] = c;
	ip->addr[3] = d;
	if (hv >= SCCP_HV_V17) {
		/* V17 carries the whole 16-byte area: show that every byte survives. */
		ip->type = 2;
		for (int i = 4; i < 16; i++)
			ip->addr[i] = (uint8_t)(0xA0 + i);
	}
}

static void fill_key(struct sccp_key_info *k, uint8_t seed)
{
	k->algorithm = SCCP_ALG_AES_CM_128_HMAC_SHA1_32;
	k->key_len = 16;
	k->salt_len = 14;
	for (int i = 0; i < 16; i++) {
		k->key[i] = (uint8_t)(seed + i);
		k->salt[i] = i < 14 ? (uint8_t)(seed ^ (0x55 + i)) : 0;
	}
	k->mki_present = 0;
	k->key_derivation_rate = 0;
}

/* Non-trivial values for every message, limited to what the layout at hv can carry. Returns
 * false for an id it does not know, so a new table entry without a case fails the test. */
static bool fill_msg(struct sccp_msg *m, uint32_t id, uint32_t hv)
{
	sccp_msg_init(m, id, hv);
	bool v17 = hv >= SCCP_HV_V17;
	switch (id) {
	case SCCP_KEEPALIVE:
	case SCCP_CONFIG_STAT_REQ:
	case SCCP_TIME_DATE_REQ:
	case SCCP_BUTTON_TEMPLATE_REQ:
	case SCCP_VERSION_REQ:
	case SCCP_SOFTKEY_SET_REQ:
	case SCCP_SOFTKEY_TEMPLATE_REQ:
	case SCCP_CAPABILITIES_REQ:
	case SCCP_KEEPALIVE_ACK:
	case SCCP_REGISTER_TOKEN_ACK:
		return true;
	case SCCP_REGISTER: {
		struct sccp_register *r = &m->u.reg;
		strcpy(r->device_name, "CiscoUM1-VI1");
		r->user_id = 7;
		r->instance = 1;
		memcpy(r->station_ip, ((const uint8_t[]){10, 20, 30, 40}), 4);
		r->device_type = 80;
		r->max_streams = 2;
		r->has_ext = true;
		r->active_streams = 1;
		r->protocol_ver = 17;
		r->unknown = 0x20;
		r->phone_features = 0x8572;
		r->max_conferences = 1;
		r->has_full = true;
		r->active_conferences = 3;
		memcpy(r->mac, ((const uint8_t[]){0x00, 0x1b, 0x54, 0xaa, 0xbb, 0xcc}), 6);
		r->ipv4_scope = 3;
		r->max_lines = 1;
		r->ipv6_addr[0] = 0xfe;
		r->ipv6_addr[15] = 0x01;
		r->ipv6_scope = 4;
		strcpy(r->firmware, "vmport-0.1.0");
		r->has_config_stamp = true;
		strcpy(r->config_stamp, "{2f1c-config-stamp}");
		return true;
	}
	case SCCP_REGISTER_ACK: {
		struct sccp_register_ack *a = &m->u.register_ack;
		a->keepalive = 30;
		strcpy(a->date_template, "M/D/Y");
		a->secondary_keepalive = 60;
		a->max_protocol_ver = 17;
		a->unknown = 0x20;
		a->features = 0xFEF1;
		return true;
	}
	case SCCP_REGISTER_REJECT:
		strcpy(m->u.register_reject.text, "Unknown device CiscoUM1-VI9");
		return true;
	case SCCP_CAPABILITIES_RES: {
		struct sccp_capabilities_res *c = &m->u.capabilities;
		c->count = 3;
		const uint32_t codecs[] = {4, 2, 11};
		for (int i = 0; i < 3; i++) {
			c->caps[i].payload = codecs[i];
			c->caps[i].max_frames_per_packet = 20 + 10 * (uint32_t)i;
			c->caps[i].params[0] = (uint8_t)(i + 1);
			c->caps[i].params[7] = 0x7F;
		}
		return true;
	}
	case SCCP_BUTTON_TEMPLATE_RES: {
		struct sccp_button_template_res *b = &m->u.button_template;
		b->offset = 0;
		b->count = 5;
		b->total = 5;
		for (uint8_t i = 0; i < 5; i++) {
			b->buttons[i].instance = (uint8_t)(i + 1);
			b->buttons[i].definition = i == 0 ? 0x09 : 0x02;
		}
		return true;
	}
	case SCCP_SOFTKEY_TEMPLATE_RES: {
		struct sccp_softkey_template_res *t = &m->u.softkey_template;
		t->offset = 0;
		t->count = 4;
		t->total = 4;
		const char *labels[] = {"Redial", "NewCall", "EndCall", "\x80\x0b"};
		const uint32_t events[] = {1, 2, 9, 11};
		for (int i = 0; i < 4; i++) {
			strcpy(t->keys[i].label, labels[i]);
			t->keys[i].event = events[i];
		}
		return true;
	}
	case SCCP_SOFTKEY_SET_RES: {
		struct sccp_softkey_set_res *s = &m->u.softkey_set;
		s->offset = 0;
		s->count = 2;
		s->total = 12;
		for (int i = 0; i < 2; i++)
			for (int k = 0; k < 16; k++) {
				s->sets[i].template_index[k] = (uint8_t)(i * 16 + k);
				s->sets[i].info_index[k] = (uint16_t)(300 + i * 16 + k);
			}
		return true;
	}
	case SCCP_SELECT_SOFTKEYS:
		m->u.select_softkeys = (struct sccp_select_softkeys){1, 0x0100001f, 3, 0xFFFFFFFF};
		return true;
	case SCCP_LINE_STAT_REQ:
	case SCCP_FORWARD_STAT_REQ:
	case SCCP_REGISTER_AVAILABLE_LINES:
	case SCCP_UNREGISTER_ACK:
	case SCCP_RESET:
	case SCCP_REGISTER_TOKEN_REJECT:
	case SCCP_SET_SPEAKER_MODE:
	case SCCP_ACTIVATE_CALL_PLANE:
	case SCCP_DEACTIVATE_CALL_PLANE:
		m->u.reset.value = 0x01020304u + id; /* every sccp_u32 body shares this layout */
		return true;
	case SCCP_LINE_STAT_RES: {
		struct sccp_line_stat_res *l = &m->u.line_stat;
		l->line_number = 1;
		strcpy(l->dir_number, "8000");
		strcpy(l->fq_display_name, "Voicemail Port 1");
		strcpy(l->text_label, "VM 8000");
		l->has_display_options = true;
		l->display_options = 0xF;
		return true;
	}
	case SCCP_CONFIG_STAT_RES: {
		struct sccp_config_stat_res *s = &m->u.config_stat;
		strcpy(s->device_name, "CiscoUM1-VI1");
		s->reserved = 0;
		s->instance = 1;
		strcpy(s->user_name, "unity");
		strcpy(s->server_name, "cucm-pub.example.net");
		s->number_lines = 1;
		s->number_speed_dials = 0;
		return true;
	}
	case SCCP_DEFINE_TIME_DATE:
		m->u.time_date = (struct sccp_define_time_date){2026, 6, 5, 5, 23, 18, 47, 123, 1780701527};
		return true;
	case SCCP_VERSION:
		strcpy(m->u.version.text, "SCCP41.8-5-3S");
		return true;
	case SCCP_UNREGISTER:
		m->u.unregister.has_reason = true;
		m->u.unregister.reason = 1;
		return true;
	case SCCP_REGISTER_TOKEN_REQ: {
		struct sccp_register_token_req *t = &m->u.register_token_req;
		strcpy(t->device_name, "CiscoUM1-VI2");
		t->instance = 1;
		memcpy(t->station_ip, ((const uint8_t[]){192, 168, 1, 50}), 4);
		t->device_type = 80;
		t->ipv6_addr[0] = 0x20;
		t->ipv6_addr[1] = 0x01;
		t->unknown = 1;
		return true;
	}
	case SCCP_CALL_STATE:
		m->u.call_state.call_state = SCCP_CS_RINGIN;
		m->u.call_state.line_instance = 1;
		m->u.call_state.call_reference = 0x0100001f;
		m->u.call_state.has_privacy = true;
		m->u.call_state.privacy = 1;
		m->u.call_state.precedence_level = 4;
		m->u.call_state.precedence_domain = 2;
		return true;
	case SCCP_CALL_INFO:
	case SCCP_CALL_INFO_V2: {
		struct sccp_call_info *i = &m->u.call_info;
		bool v2 = id == SCCP_CALL_INFO_V2;
		strcpy(i->calling_party_name,
		       v2 ? "A caller whose display name is far longer than forty bytes" : "Alice Example");
		strcpy(i->calling_party, v2 ? "+4930123456789012345678" : "5551234");
		strcpy(i->called_party_name, "Voicemail");
		strcpy(i->called_party, "8000");
		i->line_instance = 1;
		i->call_reference = 0x0100001f;
		i->call_type = SCCP_CALL_FORWARD;
		strcpy(i->original_called_party_name, "Bob");
		strcpy(i->original_called_party, "2001");
		strcpy(i->last_redirecting_party_name, "Carol");
		strcpy(i->last_redirecting_party, "2002");
		i->original_cdpn_redirect_reason = 2;
		i->last_redirecting_reason = 15;
		strcpy(i->cgpn_voice_mailbox, "5551234");
		strcpy(i->cdpn_voice_mailbox, "8000");
		strcpy(i->original_cdpn_voice_mailbox, "2001");
		strcpy(i->last_redirecting_voice_mailbox, "2002");
		i->call_instance = 1;
		i->call_security_status = 3;
		i->party_pi_restriction_bits = 0x03;
		if (v2) {
			strcpy(i->alternate_calling_party, "+15551234");
			if (v17) {
				strcpy(i->hunt_pilot_number, "8000");
				strcpy(i->hunt_pilot_name, "VM Pilot");
			}
		}
		return true;
	}
	case SCCP_DISPLAY_PROMPT_STATUS:
	case SCCP_DISPLAY_PROMPT_STATUS_V2:
		m->u.display_prompt.timeout = 10;
		strcpy(m->u.display_prompt.text, "\x80\x17"
		                                 "8000");
		m->u.display_prompt.line_instance = 1;
		m->u.display_prompt.call_reference = 0x0100001f;
		return true;
	case SCCP_CLEAR_PROMPT_STATUS:
		m->u.clear_prompt.line_instance = 1;
		m->u.clear_prompt.call_reference = 0x0100001f;
		return true;
	case SCCP_DISPLAY_PRI_NOTIFY:
		m->u.display_pri_notify.timeout = 10;
		m->u.display_pri_notify.priority = 5;
		strcpy(m->u.display_pri_notify.text, "You Have Voicemail");
		return true;
	case SCCP_FEATURE_STAT_RES:
		m->u.feature_stat.instance = 1;
		m->u.feature_stat.type = 3;
		m->u.feature_stat.status = 2;
		strcpy(m->u.feature_stat.text_label, "Privacy");
		return true;
	case SCCP_SET_RINGER:
		m->u.set_ringer = (struct sccp_set_ringer){2, 1, 1, 0x0100001f};
		return true;
	case SCCP_SET_LAMP:
		m->u.set_lamp = (struct sccp_set_lamp){SCCP_STIMULUS_VOICEMAIL, 0, SCCP_LAMP_ON};
		return true;
	case SCCP_DIALED_NUMBER:
		/* 25 digits fit only the V18 size; 24 elsewhere. */
		strcpy(m->u.dialed_number.number, hv >= SCCP_HV_V18 ? "1234567890123456789012345" : "8001");
		m->u.dialed_number.line_instance = 1;
		m->u.dialed_number.call_reference = 0x0100001f;
		return true;
	case SCCP_START_TONE:
		m->u.start_tone = (struct sccp_start_tone){0x21, 0, 1, 0x0100001f};
		return true;
	case SCCP_STOP_TONE:
		m->u.stop_tone.line_instance = 1;
		m->u.stop_tone.call_reference = 0x0100001f;
		m->u.stop_tone.has_tone = hv >= SCCP_HV_V11;
		m->u.stop_tone.tone = hv >= SCCP_HV_V11 ? 0x21 : 0;
		return true;
	case SCCP_OFFHOOK:
	case SCCP_ONHOOK:
		m->u.offhook.present = true;
		m->u.offhook.line_instance = 1;
		m->u.offhook.call_reference = 0x0100001f;
		return true;
	case SCCP_OFFHOOK_WITH_CGPN:
		strcpy(m->u.offhook_cgpn.calling_party, "2001");
		strcpy(m->u.offhook_cgpn.cgpn_voice_mailbox, "2001");
		m->u.offhook_cgpn.line_instance = 1;
		return true;
	case SCCP_ENBLOC_CALL:
		strcpy(m->u.enbloc.called_party, "9999");
		m->u.enbloc.has_line_instance = true;
		m->u.enbloc.line_instance = 1;
		return true;
	case SCCP_KEYPAD_BUTTON:
		m->u.keypad.button = 0x0E;
		m->u.keypad.has_call = true;
		m->u.keypad.line_instance = 1;
		m->u.keypad.call_reference = 0x0100001f;
		return true;
	case SCCP_STIMULUS:
		m->u.stimulus = (struct sccp_stimulus){0x0F, 1, 0x0100001f, 1};
		return true;
	case SCCP_SOFTKEY_EVENT:
		m->u.softkey_event = (struct sccp_softkey_event){11, 1, 0x0100001f};
		return true;
	case SCCP_NOTIFY_DTMF_TONE:
	case SCCP_SEND_DTMF_TONE:
		m->u.dtmf_tone = (struct sccp_dtmf_tone){0x0A, 0x0100001f, 0x01000101};
		return true;
	case SCCP_OPEN_RECEIVE_CHANNEL: {
		struct sccp_open_receive_channel *o = &m->u.orc;
		o->conference_id = 0x0100001f;
		o->pass_through_party_id = 0x01000101;
		o->packet_ms = 20;
		o->compression_type = 4;
		o->ec_value = 1;
		o->codec_params = 0x01020304;
		o->has_key = true;
		o->call_reference = 0x0100001f;
		fill_key(&o->rx_key, 0x10);
		o->stream_pass_through_id = 5;
		o->associated_stream_id = 6;
		o->rfc2833_payload_type = 101;
		o->dtmf_type = 10;
		if (hv >= SCCP_HV_V11) {
			o->has_source = true;
			o->mixing_mode = 1;
			o->party_direction = 2;
			fill_ip(&o->source_ip, hv, 10, 102, 10, 209);
			o->source_port = 4000;
		}
		if (hv >= SCCP_HV_V16) {
			o->has_requested_ip_type = true;
			o->requested_ip_type = 0;
		}
		if (v17) {
			o->has_audio_level = true;
			o->audio_level_adjustment = -6;
		}
		return true;
	}
	case SCCP_OPEN_RECEIVE_CHANNEL_ACK: {
		struct sccp_open_receive_channel_ack *a = &m->u.orc_ack;
		a->status = 0;
		fill_ip(&a->ip, hv, 10, 102, 10, 209);
		a->port = 0x4000;
		a->pass_through_party_id = 0x01000101;
		a->has_call_reference = true;
		a->call_reference = 0x0100001f;
		return true;
	}
	case SCCP_START_MEDIA_TRANSMISSION: {
		struct sccp_start_media_transmission *s = &m->u.smt;
		s->conference_id = 0x0100001f;
		s->pass_through_party_id = 0x01000101;
		fill_ip(&s->remote_ip, hv, 10, 102, 219, 27);
		s->remote_port = 0xeb1a;
		s->packet_ms = 20;
		s->compression_type = 4;
		s->precedence = 0xB8;
		s->silence_suppression = 1;
		s->max_frames_per_packet = 3;
		s->codec_params = 0x0A0B0C0D;
		s->has_key = true;
		s->call_reference = 0x0100001f;
		fill_key(&s->tx_key, 0x40);
		s->stream_pass_through_id = 7;
		s->associated_stream_id = 8;
		s->rfc2833_payload_type = 101;
		s->dtmf_type = 10;
		s->mixing_mode = 1;
		if (hv >= SCCP_HV_V15) {
			s->has_party_direction = true;
			s->party_direction = 2;
		}
		return true;
	}
	case SCCP_START_MEDIA_TRANSMISSION_ACK: {
		struct sccp_start_media_transmission_ack *a = &m->u.smt_ack;
		a->conference_id = 0x0100001f;
		a->pass_through_party_id = 0x01000101;
		a->call_reference = 0x0100001f;
		fill_ip(&a->ip, hv, 10, 102, 10, 209);
		a->port = 0x4002;
		a->status = 0;
		return true;
	}
	case SCCP_MEDIA_TRANSMISSION_FAILURE: {
		struct sccp_media_transmission_failure *f = &m->u.mtf;
		f->conference_id = 0x0100001f;
		f->pass_through_party_id = 0x01000101;
		fill_ip(&f->remote_ip, hv, 10, 102, 219, 27);
		f->remote_port = 0xeb1a;
		f->call_reference = 0x0100001f;
		return true;
	}
	case SCCP_STOP_MEDIA_TRANSMISSION:
	case SCCP_CLOSE_RECEIVE_CHANNEL:
		m->u.stop_media.conference_id = 0x0100001f;
		m->u.stop_media.pass_through_party_id = 0x01000101;
		m->u.stop_media.has_call_reference = true;
		m->u.stop_media.call_reference = 0x0100001f;
		m->u.stop_media.has_port_handling = true;
		m->u.stop_media.port_handling_flag = 1;
		return true;
	case SCCP_CONNECTION_STATISTICS_REQ:
		strcpy(m->u.stats_req.dir_number, "8000");
		m->u.stats_req.call_reference = 0x0100001f;
		m->u.stats_req.processing_mode = 1;
		return true;
	case SCCP_CONNECTION_STATISTICS_RES: {
		struct sccp_connection_statistics_res *r = &m->u.stats_res;
		strcpy(r->dir_number, "8000");
		r->call_reference = 0x0100001f;
		r->processing_mode = 1;
		r->packets_sent = 1500;
		r->octets_sent = 240000;
		r->packets_received = 1499;
		r->octets_received = 239840;
		r->packets_lost = 1;
		r->jitter = 3;
		r->latency = 20;
		return true;
	}
	default:
		return false;
	}
}

static void round_trip_all_at(uint32_t hv)
{
	size_t n;
	const struct sccp_msg_def *defs = sccp_msg_defs(&n);
	assert_true(n >= 60);
	for (size_t i = 0; i < n; i++) {
		struct sccp_msg in, out;
		uint8_t pdu[SCCP_MAX_PDU];
		if (!fill_msg(&in, defs[i].id, hv))
			fail_msg("no test values for %s (0x%04X)", defs[i].name, defs[i].id);
		int len = sccp_encode(&in, pdu, sizeof(pdu));
		if (len < 0)
			fail_msg("encode %s hv=%u: %s", defs[i].name, hv, sccp_strerror(len));
		assert_int_equal(len % 4, 0);
		assert_int_equal(sccp_frame_len(pdu, (size_t)len), len);
		int rc = sccp_decode(pdu, (size_t)len, &out);
		if (rc != SCCP_OK)
			fail_msg("decode %s hv=%u: %s", defs[i].name, hv, sccp_strerror(rc));
		assert_int_equal(out.id, defs[i].id);
		assert_int_equal(out.hv, hv);
		/* Both sides started from a zeroed struct and set only members (never whole structs,
		 * whose padding a copy may fill with garbage), so every field and flag must match. */
		if (memcmp(&in, &out, sizeof(in)) != 0)
			fail_msg("%s hv=0x%X does not round-trip", defs[i].name, hv);
		/* And the line renders. */
		char line[512];
		assert_true(sccp_msg_format(&out, line, sizeof(line)) > 0);
		assert_non_null(strstr(line, defs[i].name));
	}
}

static void test_round_trip_basic(void **state)
{
	(void)state;
	round_trip_all_at(SCCP_HV_BASIC);
}

static void test_round_trip_v17(void **state)
{
	(void)state;
	round_trip_all_at(SCCP_HV_V17);
}

static void test_round_trip_other_versions(void **state)
{
	(void)state;
	round_trip_all_at(SCCP_HV_V11);
	round_trip_all_at(SCCP_HV_V15);
	round_trip_all_at(SCCP_HV_V16);
	round_trip_all_at(SCCP_HV_V18);
}

/* Encode fill_msg's message and decode it back; returns the PDU length. */
static int encode_decode(struct sccp_msg *in, struct sccp_msg *out, uint8_t *pdu, size_t cap)
{
	int len = sccp_encode(in, pdu, cap);
	assert_true(len > 0);
	assert_int_equal(sccp_decode(pdu, (size_t)len, out), SCCP_OK);
	return len;
}

static void test_field_checks(void **state)
{
	(void)state;
	struct sccp_msg in, out;
	uint8_t pdu[SCCP_MAX_PDU];

	fill_msg(&in, SCCP_CALL_STATE, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 24);
	assert_int_equal(out.u.call_state.call_state, SCCP_CS_RINGIN);
	assert_int_equal(out.u.call_state.line_instance, 1);
	assert_int_equal(out.u.call_state.call_reference, 0x0100001f);
	assert_true(out.u.call_state.has_privacy);
	assert_int_equal(out.u.call_state.precedence_level, 4);

	fill_msg(&in, SCCP_CALL_INFO, SCCP_HV_V18);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)),
	                 12 + 384); /* 24-byte numbers even at V18 */
	assert_string_equal(out.u.call_info.original_called_party, "2001");
	assert_string_equal(out.u.call_info.last_redirecting_party, "2002");
	assert_int_equal(out.u.call_info.call_type, SCCP_CALL_FORWARD);
	assert_int_equal(out.u.call_info.call_security_status, 3);
	assert_int_equal(pdu[12 + 180], '2'); /* originalCalledParty at body offset 180 */
	assert_int_equal(pdu[12 + 376], 3);   /* callSecurityStatus at 376 */

	fill_msg(&in, SCCP_CALL_INFO_V2, SCCP_HV_V17);
	encode_decode(&in, &out, pdu, sizeof(pdu));
	assert_string_equal(out.u.call_info.calling_party, "+4930123456789012345678");
	assert_string_equal(out.u.call_info.alternate_calling_party, "+15551234");
	assert_string_equal(out.u.call_info.hunt_pilot_name, "VM Pilot");
	assert_memory_equal(pdu + 12 + 32,
	                    "+4930123456789012345678\0+15551234\0"
	                    "8000\0"
	                    "2001\0",
	                    34 + 10);

	/* V2 prompt: the string is last, after line and callRef. */
	fill_msg(&in, SCCP_DISPLAY_PROMPT_STATUS_V2, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 20);
	assert_int_equal(pdu[12 + 4], 1);
	assert_memory_equal(pdu + 12 + 12,
	                    "\x80\x17"
	                    "8000",
	                    7);
	assert_string_equal(out.u.display_prompt.text, "\x80\x17"
	                                               "8000");

	/* Fixed DisplayPromptStatus: 44 bytes, prompt at 4, line at 36. */
	fill_msg(&in, SCCP_DISPLAY_PROMPT_STATUS, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 44);
	assert_int_equal(pdu[12 + 36], 1);

	/* DialedNumber and OffHookWithCgpn switch to 25-byte numbers at V18. */
	fill_msg(&in, SCCP_DIALED_NUMBER, SCCP_HV_V18);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 36); /* 25 + 8, padded */
	assert_int_equal(pdu[12 + 25], 1);
	assert_string_equal(out.u.dialed_number.number, "1234567890123456789012345");
	fill_msg(&in, SCCP_OFFHOOK_WITH_CGPN, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 52);
	assert_int_equal(pdu[12 + 48], 1);
	fill_msg(&in, SCCP_OFFHOOK_WITH_CGPN, SCCP_HV_V18);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 56);
	assert_int_equal(pdu[12 + 50], 1);
	assert_string_equal(out.u.offhook_cgpn.cgpn_voice_mailbox, "2001");

	/* StopTone carries the tone only from V11. */
	fill_msg(&in, SCCP_STOP_TONE, SCCP_HV_V11);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 12);
	assert_true(out.u.stop_tone.has_tone);
	assert_int_equal(out.u.stop_tone.tone, 0x21);
	in.hv = 0;
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 8);
	assert_false(out.u.stop_tone.has_tone);

	/* FeatureStatRes: label before status, as Wireshark and chan-sccp lay it out. */
	fill_msg(&in, SCCP_FEATURE_STAT_RES, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 52);
	assert_memory_equal(pdu + 12 + 8, "Privacy", 7);
	assert_int_equal(pdu[12 + 48], 2);

	/* Arrays: exactly `count` capabilities; button slots padded to 42; soft keys to 32 and 16. */
	fill_msg(&in, SCCP_CAPABILITIES_RES, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 4 + 3 * 16);
	assert_int_equal(out.u.capabilities.caps[2].payload, 11);
	assert_int_equal(out.u.capabilities.caps[1].max_frames_per_packet, 30);
	fill_msg(&in, SCCP_BUTTON_TEMPLATE_RES, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 12 + 84);
	assert_int_equal(out.u.button_template.buttons[0].definition, 0x09);
	fill_msg(&in, SCCP_SOFTKEY_TEMPLATE_RES, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 652);
	assert_string_equal(out.u.softkey_template.keys[2].label, "EndCall");
	assert_int_equal(out.u.softkey_template.keys[2].event, 9);
	fill_msg(&in, SCCP_SOFTKEY_SET_RES, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 12 + 16 * 48);
	assert_int_equal(out.u.softkey_set.sets[1].info_index[15], 331);

	/* Unregister: the reason is optional; an empty body decodes with has_reason false. */
	sccp_msg_init(&in, SCCP_UNREGISTER, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12);
	assert_false(out.u.unregister.has_reason);

	/* DeactivateCallPlane stays empty unless a line is given. */
	sccp_msg_init(&in, SCCP_DEACTIVATE_CALL_PLANE, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12);

	/* The 16-byte Version goes into the text32 struct. */
	fill_msg(&in, SCCP_VERSION, 0);
	assert_int_equal(encode_decode(&in, &out, pdu, sizeof(pdu)), 12 + 16);
	assert_string_equal(out.u.version.text, "SCCP41.8-5-3S");
}

/* protocol.md §2.2: the 7941's V17 Register, 124-byte body. */
static void test_layout_register_v17(void **state)
{
	(void)state;
	uint8_t pdu[12 + 124] = {0};
	uint8_t *b = pdu + 12;
	put_header(pdu, 124, SCCP_HV_V17, SCCP_REGISTER);
	memcpy(b, "SEP001B54AABBCC", 15);
	put32(b + 20, 0);
	memcpy(b + 24, ((const uint8_t[]){10, 1, 2, 3}), 4);
	put32(b + 28, 115);
	put32(b + 32, 5);
	put32(b + 36, 0);
	b[40] = 17;
	b[41] = 0;
	put16(b + 42, 0x8572);
	put32(b + 44, 1);
	put32(b + 48, 0);
	memcpy(b + 52, ((const uint8_t[]){0x00, 0x1b, 0x54, 0xaa, 0xbb, 0xcc}), 6);
	put32(b + 64, 3);
	put32(b + 68, 2);
	put32(b + 88, 0);
	memcpy(b + 92, "SCCP41.8-5-3S", 13);
	assert_int_equal(pdu[0], 0x80); /* length 128 */

	struct sccp_msg m;
	assert_int_equal(sccp_decode(pdu, sizeof(pdu), &m), SCCP_OK);
	const struct sccp_register *r = &m.u.reg;
	assert_string_equal(r->device_name, "SEP001B54AABBCC");
	assert_memory_equal(r->station_ip, ((uint8_t[]){10, 1, 2, 3}), 4);
	assert_int_equal(r->device_type, 115);
	assert_int_equal(r->max_streams, 5);
	assert_true(r->has_ext);
	assert_int_equal(r->protocol_ver, 17);
	assert_int_equal(r->phone_features, 0x8572);
	assert_int_equal(r->max_conferences, 1);
	assert_true(r->has_full);
	assert_int_equal(r->mac[2], 0x54);
	assert_int_equal(r->ipv4_scope, 3);
	assert_int_equal(r->max_lines, 2);
	assert_string_equal(r->firmware, "SCCP41.8-5-3S");
	assert_false(r->has_config_stamp);

	uint8_t again[sizeof(pdu)];
	assert_int_equal(sccp_encode(&m, again, sizeof(again)), (int)sizeof(pdu));
	assert_memory_equal(again, pdu, sizeof(pdu));

	/* The 7960's 68-byte body: the extension group is read, the differently packed rest is not. */
	put_header(pdu, 68, SCCP_HV_BASIC, SCCP_REGISTER);
	assert_int_equal(sccp_decode(pdu, 12 + 68, &m), SCCP_OK);
	assert_true(m.u.reg.has_ext);
	assert_false(m.u.reg.has_full);
	/* The bare 36-byte body of the oldest phones. */
	put_header(pdu, 36, SCCP_HV_BASIC, SCCP_REGISTER);
	assert_int_equal(sccp_decode(pdu, 12 + 36, &m), SCCP_OK);
	assert_false(m.u.reg.has_ext);
	assert_int_equal(m.u.reg.max_streams, 5);
}

static void put_key_block(uint8_t *k)
{
	put32(k, 1);
	put16(k + 4, 16);
	put16(k + 6, 14);
	for (int i = 0; i < 16; i++)
		k[8 + i] = (uint8_t)(0xC0 + i);
	for (int i = 0; i < 14; i++)
		k[24 + i] = (uint8_t)(0x30 + i);
}

/* protocol.md §4.1: the V17 OpenReceiveChannel, length 0x84, 128-byte body. */
static void test_layout_orc_v17(void **state)
{
	(void)state;
	uint8_t pdu[12 + 128] = {0};
	uint8_t *b = pdu + 12;
	put_header(pdu, 128, SCCP_HV_V17, SCCP_OPEN_RECEIVE_CHANNEL);
	put32(b + 0, 0x2000001);
	put32(b + 4, 0x3000002);
	put32(b + 8, 20);
	put32(b + 12, 4);
	put32(b + 16, 0);
	put32(b + 24, 0x2000001);
	put_key_block(b + 28);
	put32(b + 84, 101);
	put32(b + 88, 10);
	put32(b + 100, 0);
	memcpy(b + 104, ((const uint8_t[]){10, 0, 0, 5}), 4);
	put32(b + 120, 4000);
	put32(b + 124, 0);
	assert_int_equal(pdu[0], 0x84);

	struct sccp_msg m;
	assert_int_equal(sccp_decode(pdu, sizeof(pdu), &m), SCCP_OK);
	const struct sccp_open_receive_channel *o = &m.u.orc;
	assert_int_equal(o->pass_through_party_id, 0x3000002);
	assert_int_equal(o->packet_ms, 20);
	assert_int_equal(o->compression_type, 4);
	assert_int_equal(o->call_reference, 0x2000001);
	assert_true(o->has_key);
	assert_int_equal(o->rx_key.algorithm, SCCP_ALG_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(o->rx_key.key_len, 16);
	assert_int_equal(o->rx_key.salt_len, 14);
	assert_int_equal(o->rx_key.key[15], 0xCF);
	assert_int_equal(o->rx_key.salt[13], 0x3D);
	assert_int_equal(o->rfc2833_payload_type, 101);
	assert_int_equal(o->dtmf_type, 10);
	assert_true(o->has_source);
	assert_int_equal(o->source_ip.type, 0);
	assert_memory_equal(o->source_ip.addr, ((uint8_t[]){10, 0, 0, 5}), 4);
	assert_int_equal(o->source_port, 4000);
	assert_true(o->has_requested_ip_type);
	assert_false(o->has_audio_level); /* only when length > 132 */

	uint8_t again[sizeof(pdu)];
	assert_int_equal(sccp_encode(&m, again, sizeof(again)), (int)sizeof(pdu));
	assert_memory_equal(again, pdu, sizeof(pdu));

	/* The format line shows the suite, never key or salt bytes. */
	char line[512];
	sccp_msg_format(&m, line, sizeof(line));
	assert_non_null(strstr(line, "passThru=0x3000002"));
	assert_non_null(strstr(line, "AES_CM_128_HMAC_SHA1_32"));
	assert_non_null(strstr(line, "source=10.0.0.5:4000"));
	assert_null(strstr(line, "c0"));
	assert_null(strstr(line, "C0"));
	assert_null(strstr(line, "c1c2"));
}

/* protocol.md §4.3: the V17 StartMediaTransmission, length 0x88, 132-byte body. */
static void test_layout_smt_v17(void **state)
{
	(void)state;
	uint8_t pdu[12 + 132] = {0};
	uint8_t *b = pdu + 12;
	put_header(pdu, 132, SCCP_HV_V17, SCCP_START_MEDIA_TRANSMISSION);
	put32(b + 0, 0x2000001);
	put32(b + 4, 0x3000002);
	put32(b + 8, 0);
	memcpy(b + 12, ((const uint8_t[]){10, 0, 0, 9}), 4);
	put32(b + 28, 0x4CC6);
	put32(b + 32, 20);
	put32(b + 36, 4);
	put32(b + 40, 0xB8);
	put32(b + 44, 0);
	put16(b + 48, 1);
	put32(b + 56, 0x2000001);
	put_key_block(b + 60);
	put32(b + 116, 0);
	put32(b + 120, 10);
	put32(b + 128, 1);
	assert_int_equal(pdu[0], 0x88);

	struct sccp_msg m;
	assert_int_equal(sccp_decode(pdu, sizeof(pdu), &m), SCCP_OK);
	const struct sccp_start_media_transmission *s = &m.u.smt;
	assert_int_equal(s->pass_through_party_id, 0x3000002);
	assert_memory_equal(s->remote_ip.addr, ((uint8_t[]){10, 0, 0, 9}), 4);
	assert_int_equal(s->remote_port, 0x4CC6);
	assert_int_equal(s->packet_ms, 20);
	assert_int_equal(s->compression_type, 4);
	assert_int_equal(s->precedence, 0xB8);
	assert_int_equal(s->max_frames_per_packet, 1);
	assert_int_equal(s->call_reference, 0x2000001);
	assert_true(s->has_key);
	assert_int_equal(s->tx_key.key_len, 16);
	assert_int_equal(s->dtmf_type, 10);
	assert_true(s->has_party_direction);
	assert_int_equal(s->party_direction, 1);

	uint8_t again[sizeof(pdu)];
	assert_int_equal(sccp_encode(&m, again, sizeof(again)), (int)sizeof(pdu));
	assert_memory_equal(again, pdu, sizeof(pdu));
}

static void test_framing_errors(void **state)
{
	(void)state;
	struct sccp_msg m;
	uint8_t pdu[SCCP_MAX_PDU + 16] = {0};

	/* Truncated: not even a header; a header promising more than is there. */
	put_header(pdu, 8, 0, SCCP_SET_LAMP);
	assert_int_equal(sccp_decode(pdu, 6, &m), SCCP_ERR_TRUNCATED);
	assert_int_equal(sccp_decode(pdu, 12 + 7, &m), SCCP_ERR_TRUNCATED);
	assert_int_equal(sccp_frame_len(pdu, 12 + 7), 0);
	assert_int_equal(sccp_frame_len(pdu, 7), 0);

	/* Length field below 4: no room for the id. */
	put32(pdu, 3);
	assert_int_equal(sccp_decode(pdu, 12, &m), SCCP_ERR_BAD_LENGTH);
	assert_int_equal(sccp_frame_len(pdu, 12), SCCP_ERR_BAD_LENGTH);
	put32(pdu, 0);
	assert_int_equal(sccp_decode(pdu, 8, &m), SCCP_ERR_BAD_LENGTH);

	/* Oversize: a PDU of 4097 bytes, even with every byte present. */
	put_header(pdu, SCCP_MAX_PDU - 12 + 1, 0, SCCP_CALL_INFO);
	assert_int_equal(sccp_decode(pdu, sizeof(pdu), &m), SCCP_ERR_OVERSIZE);
	assert_int_equal(sccp_frame_len(pdu, sizeof(pdu)), SCCP_ERR_OVERSIZE);
	put32(pdu, 0xFFFFFFFF);
	assert_int_equal(sccp_frame_len(pdu, 8), SCCP_ERR_OVERSIZE);
	/* Exactly 4096 is allowed (the body is then longer than CallInfo needs: a tolerated tail). */
	put_header(pdu, SCCP_MAX_PDU - 12, 0, SCCP_CALL_INFO);
	assert_int_equal(sccp_frame_len(pdu, SCCP_MAX_PDU), (int)SCCP_MAX_PDU);
	assert_int_equal(sccp_decode(pdu, SCCP_MAX_PDU, &m), SCCP_OK);

	/* Unknown ids: reported with the id and hv set. */
	memset(pdu, 0, 32);
	put_header(pdu, 4, SCCP_HV_V17, 0x9999);
	assert_int_equal(sccp_decode(pdu, 16, &m), SCCP_ERR_UNKNOWN_ID);
	assert_int_equal(m.id, 0x9999);
	assert_int_equal(m.hv, SCCP_HV_V17);
	sccp_msg_init(&m, 0x9999, 0);
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_UNKNOWN_ID);
	assert_null(sccp_msg_name(0x9999));
}

static void test_short_bodies(void **state)
{
	(void)state;
	static const struct {
		uint32_t id;
		uint32_t hv;
		uint32_t body; /* one byte (or one field) short of the mandatory part */
	} cases[] = {
	    {SCCP_CALL_STATE, 0, 8},
	    {SCCP_CALL_STATE, 0, 11},
	    {SCCP_SET_LAMP, 0, 8},
	    {SCCP_SET_RINGER, 0, 12},
	    {SCCP_CALL_INFO, 0, 371},
	    {SCCP_REGISTER, 0, 35},
	    {SCCP_REGISTER_ACK, 0, 12},
	    {SCCP_LINE_STAT_RES, 0, 67},
	    {SCCP_CONFIG_STAT_RES, 0, 108},
	    {SCCP_DEFINE_TIME_DATE, 0, 32},
	    {SCCP_DIALED_NUMBER, SCCP_HV_V18, 32},
	    {SCCP_OFFHOOK_WITH_CGPN, 0, 51},
	    {SCCP_SELECT_SOFTKEYS, 0, 12},
	    {SCCP_FEATURE_STAT_RES, 0, 48},
	    {SCCP_DISPLAY_PROMPT_STATUS, 0, 40},
	    {SCCP_DISPLAY_PRI_NOTIFY, 0, 39},
	    {SCCP_OPEN_RECEIVE_CHANNEL, 0, 20},
	    {SCCP_START_MEDIA_TRANSMISSION, SCCP_HV_V17, 30},
	    {SCCP_RESET, 0, 0},
	    {SCCP_KEYPAD_BUTTON, 0, 3},
	    {SCCP_ENBLOC_CALL, 0, 23},
	    {SCCP_STOP_TONE, 0, 4},
	    {SCCP_CALL_INFO_V2, 0, 31},
	    {SCCP_SOFTKEY_EVENT, 0, 8},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t pdu[12 + 400];
		memset(pdu, 0x31, sizeof(pdu)); /* no NULs: strings must stop at their field size */
		put_header(pdu, cases[i].body, cases[i].hv, cases[i].id);
		struct sccp_msg m;
		int rc = sccp_decode(pdu, 12 + cases[i].body, &m);
		if (rc != SCCP_ERR_SHORT_BODY)
			fail_msg("0x%04X with a %u-byte body: %s", cases[i].id, cases[i].body,
			         sccp_strerror(rc));
		assert_int_equal(m.id, cases[i].id);
	}

	/* Capability and array counts past the wire array: invalid, never an overread. */
	uint8_t pdu[12 + 800] = {0};
	struct sccp_msg m;
	put_header(pdu, 4 + 18 * 16, 0, SCCP_CAPABILITIES_RES);
	put32(pdu + 12, 19);
	assert_int_equal(sccp_decode(pdu, 12 + 4 + 18 * 16, &m), SCCP_ERR_INVALID);
	put32(pdu + 12, 18);
	assert_int_equal(sccp_decode(pdu, 12 + 4 + 18 * 16, &m), SCCP_OK);
	put32(pdu + 12, 4); /* count 4 but room for 3 */
	put_header(pdu, 4 + 3 * 16, 0, SCCP_CAPABILITIES_RES);
	assert_int_equal(sccp_decode(pdu, 12 + 4 + 3 * 16, &m), SCCP_ERR_SHORT_BODY);
	put_header(pdu, 12 + 84, 0, SCCP_BUTTON_TEMPLATE_RES);
	put32(pdu + 16, 57);
	assert_int_equal(sccp_decode(pdu, 12 + 12 + 84, &m), SCCP_ERR_INVALID);
	put_header(pdu, 652, 0, SCCP_SOFTKEY_TEMPLATE_RES);
	put32(pdu + 16, 33);
	assert_int_equal(sccp_decode(pdu, 12 + 652, &m), SCCP_ERR_INVALID);
	put_header(pdu, 780, 0, SCCP_SOFTKEY_SET_RES);
	put32(pdu + 16, 17);
	assert_int_equal(sccp_decode(pdu, 12 + 780, &m), SCCP_ERR_INVALID);

	/* Optional tails tolerated: LineStatRes of CallManager 3.1 (68 bytes) and 3.3 (108). */
	memset(pdu, 0, sizeof(pdu));
	put_header(pdu, 68, 0, SCCP_LINE_STAT_RES);
	memcpy(pdu + 16, "1003", 4);
	assert_int_equal(sccp_decode(pdu, 12 + 68, &m), SCCP_OK);
	assert_string_equal(m.u.line_stat.dir_number, "1003");
	assert_false(m.u.line_stat.has_display_options);
	put_header(pdu, 108, 0, SCCP_LINE_STAT_RES);
	assert_int_equal(sccp_decode(pdu, 12 + 108, &m), SCCP_OK);
	assert_false(m.u.line_stat.has_display_options);
	/* RegisterAck without the protocol-version tail. */
	put_header(pdu, 16, 0, SCCP_REGISTER_ACK);
	put32(pdu + 12, 30);
	assert_int_equal(sccp_decode(pdu, 12 + 16, &m), SCCP_OK);
	assert_int_equal(m.u.register_ack.keepalive, 30);
	assert_int_equal(m.u.register_ack.max_protocol_ver, 0);
	/* CallState without privacy/precedence. */
	put_header(pdu, 12, 0, SCCP_CALL_STATE);
	assert_int_equal(sccp_decode(pdu, 12 + 12, &m), SCCP_OK);
	assert_false(m.u.call_state.has_privacy);
	/* OffHook from an old phone: empty body. */
	put_header(pdu, 0, 0, SCCP_OFFHOOK);
	assert_int_equal(sccp_decode(pdu, 12, &m), SCCP_OK);
	assert_false(m.u.offhook.present);
}

static void test_encode_errors(void **state)
{
	(void)state;
	struct sccp_msg m;
	uint8_t pdu[SCCP_MAX_PDU];

	/* Strings longer than their wire field are refused, never cut. */
	fill_msg(&m, SCCP_REGISTER, 0);
	/* 17 characters and no NUL in the 17-byte field: one more than the wire's 16. */
	memset(m.u.reg.device_name, 'A', sizeof(m.u.reg.device_name));
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);
	fill_msg(&m, SCCP_REGISTER, 0);
	strcpy(m.u.reg.device_name, "CiscoUM1-VI12345"); /* exactly 16: fits, no NUL on the wire */
	int len = sccp_encode(&m, pdu, sizeof(pdu));
	assert_true(len > 0);
	struct sccp_msg back;
	assert_int_equal(sccp_decode(pdu, (size_t)len, &back), SCCP_OK);
	assert_string_equal(back.u.reg.device_name, "CiscoUM1-VI12345");

	fill_msg(&m, SCCP_OFFHOOK_WITH_CGPN, 0);
	strcpy(m.u.offhook_cgpn.calling_party, "1234567890123456789012345"); /* 25: V18 only */
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);
	m.hv = SCCP_HV_V18;
	assert_true(sccp_encode(&m, pdu, sizeof(pdu)) > 0);

	fill_msg(&m, SCCP_CALL_INFO, 0);
	strcpy(m.u.call_info.calling_party_name,
	       "A caller whose display name is far longer than forty bytes");
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);
	fill_msg(&m, SCCP_CALL_INFO_V2, 0);
	/* 26 digits and no NUL in the 26-byte field: one more than the V18 wire's 25. */
	memset(m.u.call_info.called_party, '1', sizeof(m.u.call_info.called_party));
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);

	/* Counts the arrays cannot hold. */
	fill_msg(&m, SCCP_CAPABILITIES_RES, 0);
	m.u.capabilities.count = 19;
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);
	fill_msg(&m, SCCP_BUTTON_TEMPLATE_RES, 0);
	m.u.button_template.count = 57;
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);

	/* Key lengths above the 16-byte slots. */
	fill_msg(&m, SCCP_START_MEDIA_TRANSMISSION, 0);
	m.u.smt.tx_key.key_len = 17;
	assert_int_equal(sccp_encode(&m, pdu, sizeof(pdu)), SCCP_ERR_INVALID);

	/* Output buffer too small: for the header, and for the body. */
	fill_msg(&m, SCCP_CALL_STATE, 0);
	assert_int_equal(sccp_encode(&m, pdu, 8), SCCP_ERR_NO_SPACE);
	assert_int_equal(sccp_encode(&m, pdu, 12 + 20), SCCP_ERR_NO_SPACE);
	assert_int_equal(sccp_encode(&m, pdu, 12 + 24), 12 + 24);
}

static void test_decode_key_and_v2_errors(void **state)
{
	(void)state;
	struct sccp_msg m;
	uint8_t pdu[SCCP_MAX_PDU];

	/* key_len > 16 in a received key block. */
	fill_msg(&m, SCCP_OPEN_RECEIVE_CHANNEL, 0);
	int len = sccp_encode(&m, pdu, sizeof(pdu));
	assert_true(len > 0);
	put16(pdu + 12 + 28 + 4, 17);
	assert_int_equal(sccp_decode(pdu, (size_t)len, &m), SCCP_ERR_INVALID);
	put16(pdu + 12 + 28 + 4, 16);
	put16(pdu + 12 + 28 + 6, 200);
	assert_int_equal(sccp_decode(pdu, (size_t)len, &m), SCCP_ERR_INVALID);

	/* V2 strings: the last one without its NUL runs off the body. */
	fill_msg(&m, SCCP_CALL_INFO_V2, 0);
	memset(&m.u.call_info, 0, sizeof(m.u.call_info));
	strcpy(m.u.call_info.last_redirecting_party_name, "ABC"); /* the last string: 32+12+4 = 48 bytes */
	len = sccp_encode(&m, pdu, sizeof(pdu));
	assert_int_equal(len, 12 + 48);
	assert_int_equal(sccp_decode(pdu, (size_t)len, &m), SCCP_OK);
	assert_string_equal(m.u.call_info.last_redirecting_party_name, "ABC");
	pdu[12 + 47] = 'D'; /* the NUL */
	assert_int_equal(sccp_decode(pdu, (size_t)len, &m), SCCP_ERR_SHORT_BODY);
	/* A number with no NUL within 26 bytes is longer than any number can be. */
	memset(pdu + 12 + 32, '7', 40);
	put_header(pdu, 32 + 40, 0, SCCP_CALL_INFO_V2);
	assert_int_equal(sccp_decode(pdu, 12 + 72, &m), SCCP_ERR_INVALID);
	/* Strings stop at the end of the body. */
	put_header(pdu, 32 + 5, 0, SCCP_CALL_INFO_V2);
	memcpy(pdu + 12 + 32,
	       "12\0"
	       "3\0",
	       5);
	assert_int_equal(sccp_decode(pdu, 12 + 37, &m), SCCP_ERR_SHORT_BODY);
	/* DisplayPromptStatusV2 without NUL. */
	put_header(pdu, 16, 0, SCCP_DISPLAY_PROMPT_STATUS_V2);
	memcpy(pdu + 24, "Ring", 4);
	assert_int_equal(sccp_decode(pdu, 12 + 16, &m), SCCP_ERR_SHORT_BODY);

	/* CallInfoV2 at V17 without the hunt-pilot strings, and with only pad bytes: accepted. */
	fill_msg(&m, SCCP_CALL_INFO_V2, 0);
	len = sccp_encode(&m, pdu, sizeof(pdu));
	put32(pdu + 4, SCCP_HV_V17);
	assert_int_equal(sccp_decode(pdu, (size_t)len, &m), SCCP_OK);
	assert_string_equal(m.u.call_info.hunt_pilot_number, "");
	assert_string_equal(m.u.call_info.last_redirecting_party_name, "Carol");
}

static void test_format(void **state)
{
	(void)state;
	struct sccp_msg m;
	char line[256];

	fill_msg(&m, SCCP_CALL_STATE, 0);
	int n = sccp_msg_format(&m, line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_string_equal(line, "CallState(0x0111) hv=0 state=4(RingIn) line=1 callRef=0x100001F privacy=1 "
	                          "precedence=4/2");

	fill_msg(&m, SCCP_REGISTER, SCCP_HV_V17);
	sccp_msg_format(&m, line, sizeof(line));
	assert_non_null(strstr(line, "RegisterReq(0x0001) hv=17 device=\"CiscoUM1-VI1\""));
	assert_non_null(strstr(line, "ip=10.20.30.40"));
	assert_non_null(strstr(line, "protocolVer=17"));

	fill_msg(&m, SCCP_START_MEDIA_TRANSMISSION, SCCP_HV_BASIC);
	sccp_msg_format(&m, line, sizeof(line));
	assert_non_null(strstr(line, "remote=10.102.219.27:60186"));
	assert_non_null(strstr(line, "codec=4(G711U) ms=20"));
	assert_non_null(strstr(line, "keylen=16 saltlen=14"));
	assert_null(strstr(line, "key=0x"));

	/* Escaped label codes. */
	fill_msg(&m, SCCP_DISPLAY_PROMPT_STATUS, 0);
	sccp_msg_format(&m, line, sizeof(line));
	assert_non_null(strstr(line, "text=\"\\x80\\x178000\""));

	/* Cut short: NUL-terminated, the return says what the whole line needs. */
	char small[16];
	fill_msg(&m, SCCP_CALL_STATE, 0);
	n = sccp_msg_format(&m, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_true(n > (int)sizeof(small));
	assert_int_equal(sccp_msg_format(&m, NULL, 0), n);

	sccp_msg_init(&m, 0x4242, 3);
	sccp_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "Unknown(0x4242) hv=3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_basic),
	    cmocka_unit_test(test_round_trip_v17),
	    cmocka_unit_test(test_round_trip_other_versions),
	    cmocka_unit_test(test_field_checks),
	    cmocka_unit_test(test_layout_register_v17),
	    cmocka_unit_test(test_layout_orc_v17),
	    cmocka_unit_test(test_layout_smt_v17),
	    cmocka_unit_test(test_framing_errors),
	    cmocka_unit_test(test_short_bodies),
	    cmocka_unit_test(test_encode_errors),
	    cmocka_unit_test(test_decode_key_and_v2_errors),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
