#include "port_harness.h"

#include <string.h>

struct harness H;

static void check_output(void)
{
	assert_int_equal(H.port.stats.output_overflow, 0);
	assert_true(H.out.n_msgs <= SCCP_PORT_MAX_MSGS);
	assert_true(H.out.n_acts <= SCCP_PORT_MAX_ACTS);
	for (size_t i = 0; i < H.out.n_msgs; i++) {
		const struct sccp_msg *m = &H.out.msgs[i];
		uint8_t buf[SCCP_MAX_PDU];
		int n = sccp_encode(m, buf, sizeof(buf));
		if (n <= 0)
			fail_msg("output message 0x%04x does not encode: %s", m->id, sccp_strerror(n));
		uint32_t want_hv = m->id == SCCP_REGISTER ? 0 : sccp_port_header_version(&H.port);
		if (m->hv != want_hv)
			fail_msg("message 0x%04x sent with hv %u, port uses %u", m->id, m->hv, want_hv);
		/* What we send must also read back as itself. */
		struct sccp_msg back;
		assert_int_equal(sccp_decode(buf, (size_t)n, &back), SCCP_OK);
		assert_int_equal(back.id, m->id);
	}
	assert_int_equal(H.out.next_deadline_ms, sccp_port_next_deadline(&H.port));
}

int h_setup(void **state)
{
	(void)state;
	memset(&H, 0, sizeof(H));
	sccp_port_config_defaults(&H.cfg);
	strcpy(H.cfg.device_name, "CiscoUM1-VI1");
	memcpy(H.cfg.station_ip, (uint8_t[]){10, 0, 0, 5}, 4);
	memcpy(H.cfg.mac, (uint8_t[]){0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, 6);
	strcpy(H.cfg.pilot_number, "8000");
	H.cfg.rng_seed = 7;
	H.now = 1000;
	H.cm_hv = 0;
	h_reinit();
	return 0;
}

void h_reinit(void)
{
	assert_int_equal(sccp_port_init(&H.port, &H.cfg), 0);
}

void h_event(const struct sccp_port_event *ev)
{
	sccp_port_handle(&H.port, ev, H.now, &H.out);
	check_output();
}

void h_up(void)
{
	h_event(&(struct sccp_port_event){.type = PORT_EV_TRANSPORT_UP});
}

void h_down(void)
{
	h_event(&(struct sccp_port_event){.type = PORT_EV_TRANSPORT_DOWN});
}

void h_timer(void)
{
	h_event(&(struct sccp_port_event){.type = PORT_EV_TIMER});
}

void h_advance_to_deadline(void)
{
	uint64_t d = sccp_port_next_deadline(&H.port);
	assert_true(d != SCCP_PORT_NO_DEADLINE);
	if (d > H.now)
		H.now = d;
	h_timer();
}

void h_deliver(struct sccp_msg *m)
{
	uint8_t buf[SCCP_MAX_PDU];
	int n = sccp_encode(m, buf, sizeof(buf));
	if (n <= 0)
		fail_msg("test message 0x%04x does not encode: %s", m->id, sccp_strerror(n));
	struct sccp_msg d;
	assert_int_equal(sccp_decode(buf, (size_t)n, &d), SCCP_OK);
	h_event(&(struct sccp_port_event){.type = PORT_EV_MESSAGE, .u.msg = &d});
	sccp_secure_wipe(&d, sizeof(d));
}

void h_rx_opened(uint32_t pass, uint32_t status)
{
	struct sccp_port_event ev = {.type = PORT_EV_RX_OPENED};
	ev.u.rx_opened.pass_through_party_id = pass;
	ev.u.rx_opened.status = status;
	memcpy(ev.u.rx_opened.ip, (uint8_t[]){10, 0, 0, 5}, 4);
	ev.u.rx_opened.port = 20000;
	h_event(&ev);
}

void h_hangup(uint32_t call_ref)
{
	h_event(&(struct sccp_port_event){.type = PORT_EV_HANGUP, .u.call_reference = call_ref});
}

void h_dtmf(char digit)
{
	h_event(&(struct sccp_port_event){.type = PORT_EV_DTMF, .u.digit = digit});
}

void h_mwi(const char *ext, const char *dial, bool on)
{
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	strncpy(ev.u.mwi.extension, ext, sizeof(ev.u.mwi.extension) - 1);
	strncpy(ev.u.mwi.dial, dial, sizeof(ev.u.mwi.dial) - 1);
	ev.u.mwi.on = on;
	h_event(&ev);
}

void h_unregister(void)
{
	h_event(&(struct sccp_port_event){.type = PORT_EV_UNREGISTER});
}

struct sccp_msg h_msg(uint32_t id)
{
	struct sccp_msg m;
	sccp_msg_init(&m, id, H.cm_hv);
	return m;
}

void h_send_empty(uint32_t id)
{
	struct sccp_msg m = h_msg(id);
	h_deliver(&m);
}

void h_send_u32(uint32_t id, uint32_t value)
{
	struct sccp_msg m = h_msg(id);
	m.u.reset.value = value;
	h_deliver(&m);
}

void h_register_ack(uint32_t keepalive_s, uint8_t max_protocol)
{
	struct sccp_msg m = h_msg(SCCP_REGISTER_ACK);
	m.hv = 0; /* chan-sccp sends RegisterAck with hv 0 */
	m.u.register_ack.keepalive = keepalive_s;
	strcpy(m.u.register_ack.date_template, "M/D/Y");
	m.u.register_ack.secondary_keepalive = 60;
	m.u.register_ack.max_protocol_ver = max_protocol;
	h_deliver(&m);
	uint8_t v = max_protocol < H.cfg.protocol_version ? max_protocol : H.cfg.protocol_version;
	H.cm_hv = v >= 11 ? v : 0;
}

void h_call_state(uint32_t state, uint32_t call_ref)
{
	struct sccp_msg m = h_msg(SCCP_CALL_STATE);
	m.u.call_state.call_state = state;
	m.u.call_state.line_instance = 1;
	m.u.call_state.call_reference = call_ref;
	m.u.call_state.has_privacy = true;
	h_deliver(&m);
}

void h_call_info(uint32_t call_type, const char *calling, const char *called, const char *orig,
                 const char *last, uint32_t call_ref)
{
	struct sccp_msg m = h_msg(SCCP_CALL_INFO);
	struct sccp_call_info *ci = &m.u.call_info;
	strcpy(ci->calling_party, calling);
	strcpy(ci->calling_party_name, "Alice");
	strcpy(ci->called_party, called);
	strcpy(ci->original_called_party, orig);
	strcpy(ci->last_redirecting_party, last);
	ci->original_cdpn_redirect_reason = 2;
	ci->last_redirecting_reason = 1;
	ci->line_instance = 1;
	ci->call_reference = call_ref;
	ci->call_type = call_type;
	ci->call_security_status = 3;
	h_deliver(&m);
}

static void fill_key(struct sccp_key_info *k, uint32_t alg, uint8_t seed)
{
	k->algorithm = alg;
	k->key_len = alg ? 16 : 0;
	k->salt_len = alg ? 14 : 0;
	for (int i = 0; i < 16; i++) {
		k->key[i] = alg ? (uint8_t)(seed + i) : 0;
		k->salt[i] = alg && i < 14 ? (uint8_t)(seed + 0x40 + i) : 0;
	}
}

void h_open_rx(uint32_t pass, uint32_t codec, uint32_t alg, uint32_t call_ref)
{
	struct sccp_msg m = h_msg(SCCP_OPEN_RECEIVE_CHANNEL);
	struct sccp_open_receive_channel *o = &m.u.orc;
	o->conference_id = call_ref;
	o->pass_through_party_id = pass;
	o->packet_ms = 20;
	o->compression_type = codec;
	o->has_key = true;
	o->call_reference = call_ref;
	fill_key(&o->rx_key, alg, 0x10);
	o->rfc2833_payload_type = 101;
	o->dtmf_type = 10;
	h_deliver(&m);
}

void h_start_tx(uint32_t pass, uint32_t codec, uint32_t alg, uint32_t call_ref)
{
	struct sccp_msg m = h_msg(SCCP_START_MEDIA_TRANSMISSION);
	struct sccp_start_media_transmission *s = &m.u.smt;
	s->conference_id = call_ref;
	s->pass_through_party_id = pass;
	memcpy(s->remote_ip.addr, (uint8_t[]){10, 0, 0, 9}, 4);
	s->remote_port = 0x4CC6;
	s->packet_ms = 20;
	s->compression_type = codec;
	s->precedence = 0xB8;
	s->has_key = true;
	s->call_reference = call_ref;
	fill_key(&s->tx_key, alg, 0x80);
	s->rfc2833_payload_type = 101;
	s->dtmf_type = 10;
	h_deliver(&m);
}

void h_stop_media(uint32_t id, uint32_t pass, uint32_t call_ref)
{
	struct sccp_msg m = h_msg(id);
	m.u.stop_media.conference_id = call_ref;
	m.u.stop_media.pass_through_party_id = pass;
	m.u.stop_media.has_call_reference = true;
	m.u.stop_media.call_reference = call_ref;
	h_deliver(&m);
}

void h_register(uint8_t max_protocol)
{
	h_up();
	h_register_ack(30, max_protocol);
	h_send_empty(SCCP_CAPABILITIES_REQ);
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IDLE);
	assert_non_null(h_find_act(PORT_ACT_REGISTERED));
}

void h_call_with_media(void)
{
	h_call_state(SCCP_CS_RINGIN, H_CALL_REF);
	h_call_info(SCCP_CALL_FORWARD, "2001", "8000", "1001", "1002", H_CALL_REF);
	assert_non_null(h_find_msg(SCCP_OFFHOOK));
	h_call_state(SCCP_CS_CONNECTED, H_CALL_REF);
	h_open_rx(H_PASS, 4, SCCP_ALG_AES_CM_128_HMAC_SHA1_32, H_CALL_REF);
	assert_non_null(h_find_act(PORT_ACT_OPEN_RX));
	h_rx_opened(H_PASS, 0);
	assert_non_null(h_find_msg(SCCP_OPEN_RECEIVE_CHANNEL_ACK));
	h_start_tx(H_PASS, 4, SCCP_ALG_AES_CM_128_HMAC_SHA1_32, H_CALL_REF);
	assert_non_null(h_find_act(PORT_ACT_START_TX));
	assert_int_equal(sccp_port_state(&H.port), SCCP_PORT_IN_CALL);
}

const struct sccp_msg *h_find_msg(uint32_t id)
{
	for (size_t i = 0; i < H.out.n_msgs; i++)
		if (H.out.msgs[i].id == id)
			return &H.out.msgs[i];
	return NULL;
}

size_t h_count_msgs(uint32_t id)
{
	size_t n = 0;
	for (size_t i = 0; i < H.out.n_msgs; i++)
		n += H.out.msgs[i].id == id;
	return n;
}

const struct sccp_port_action *h_find_act(enum sccp_port_action_type t)
{
	for (size_t i = 0; i < H.out.n_acts; i++)
		if (H.out.acts[i].type == t)
			return &H.out.acts[i];
	return NULL;
}

size_t h_count_acts(enum sccp_port_action_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < H.out.n_acts; i++)
		n += H.out.acts[i].type == t;
	return n;
}

void h_expect_msgs(const uint32_t *ids)
{
	size_t n = 0;
	while (ids[n] != END_MSGS)
		n++;
	for (size_t i = 0; i < n && i < H.out.n_msgs; i++)
		if (H.out.msgs[i].id != ids[i])
			fail_msg("message %zu: got 0x%04x (%s), want 0x%04x (%s)", i, H.out.msgs[i].id,
			         sccp_msg_name(H.out.msgs[i].id), ids[i], sccp_msg_name(ids[i]));
	if (H.out.n_msgs != n)
		fail_msg("got %zu messages, want %zu", H.out.n_msgs, n);
}

void h_expect_acts(const int *types)
{
	size_t n = 0;
	while (types[n] != END_ACTS)
		n++;
	for (size_t i = 0; i < n && i < H.out.n_acts; i++)
		if ((int)H.out.acts[i].type != types[i])
			fail_msg("action %zu: got %s, want %s", i, sccp_port_action_name(H.out.acts[i].type),
			         sccp_port_action_name((enum sccp_port_action_type)types[i]));
	if (H.out.n_acts != n) {
		for (size_t i = 0; i < H.out.n_acts; i++)
			print_message("  action %zu: %s %s\n", i, sccp_port_action_name(H.out.acts[i].type),
			              H.out.acts[i].type == PORT_ACT_NOTE ? H.out.acts[i].u.note.what : "");
		fail_msg("got %zu actions, want %zu", H.out.n_acts, n);
	}
}

int h_encoded_len(const struct sccp_msg *m)
{
	uint8_t buf[SCCP_MAX_PDU];
	return sccp_encode(m, buf, sizeof(buf));
}
