/* libFuzzer target: one port state machine driven by a fuzzed script of events, well-formed
 * CallManager messages and raw PDUs (format: fuzz_sccp_port_ops.h).
 *
 * Oracles beyond "no crash, no sanitizer report", checked after every event:
 * - outputs stay within their bounds and nothing overflowed;
 * - every output message encodes, with header version 0 for Register and the port's own
 *   negotiated version for everything else;
 * - media legs balance: OPEN_RX/CLOSE_RX and START_TX/STOP_TX alternate per leg, and a call
 *   ends (CALL_ENDED) only after its legs are closed; a port whose transport is down holds none;
 * - MWI requests are conserved: accepted = reported done + queued + the one being dialled;
 * - after a timer event no deadline is left in the past. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_sccp_port_ops.h"
#include "sccp/sccp_msg.h"
#include "sccp/sccp_port.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond))                                                                                 \
			__builtin_trap();                                                                    \
	} while (0)

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd_u8(struct reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t rd_u16(struct reader *r)
{
	uint16_t lo = rd_u8(r);
	return (uint16_t)(lo | (rd_u8(r) << 8));
}

static struct {
	struct sccp_port port;
	struct sccp_port_output out;
	uint64_t now;
	bool rx_open, tx_open;
	uint32_t last_open_pass;
	uint32_t last_call_ref;
	uint64_t mwi_accepted, mwi_done;
} F;

static void check_output(const struct sccp_port_event *ev)
{
	const struct sccp_port_output *o = &F.out;
	CHECK(o->n_msgs <= SCCP_PORT_MAX_MSGS && o->n_acts <= SCCP_PORT_MAX_ACTS);
	CHECK(sccp_port_stats(&F.port)->output_overflow == 0);
	CHECK(o->next_deadline_ms == sccp_port_next_deadline(&F.port));

	static uint8_t buf[SCCP_MAX_PDU];
	bool rx_failed_ack = false;
	for (size_t i = 0; i < o->n_msgs; i++) {
		const struct sccp_msg *m = &o->msgs[i];
		CHECK(sccp_encode(m, buf, sizeof(buf)) > 0);
		CHECK(m->hv == (m->id == SCCP_REGISTER ? 0 : sccp_port_header_version(&F.port)));
		if (m->id == SCCP_OFFHOOK)
			F.last_call_ref = m->u.offhook.call_reference;
		if (m->id == SCCP_OPEN_RECEIVE_CHANNEL_ACK && m->u.orc_ack.status != 0)
			rx_failed_ack = true;
	}
	/* A failed RX_OPENED the port accepted ends that leg without a CLOSE_RX. */
	if (ev->type == PORT_EV_RX_OPENED && ev->u.rx_opened.status != 0 && rx_failed_ack &&
	    ev->u.rx_opened.pass_through_party_id == F.last_open_pass)
		F.rx_open = false;

	for (size_t i = 0; i < o->n_acts; i++) {
		const struct sccp_port_action *a = &o->acts[i];
		switch (a->type) {
		case PORT_ACT_OPEN_RX:
			CHECK(!F.rx_open);
			F.rx_open = true;
			F.last_open_pass = a->u.media.pass_through_party_id;
			break;
		case PORT_ACT_CLOSE_RX:
			CHECK(F.rx_open);
			F.rx_open = false;
			break;
		case PORT_ACT_START_TX:
			CHECK(!F.tx_open);
			F.tx_open = true;
			break;
		case PORT_ACT_STOP_TX:
			CHECK(F.tx_open);
			F.tx_open = false;
			break;
		case PORT_ACT_CALL_ENDED:
			CHECK(!F.rx_open && !F.tx_open);
			break;
		case PORT_ACT_MWI_DONE:
			F.mwi_done++;
			CHECK(strnlen(a->u.mwi_done.request.extension,
			              sizeof(a->u.mwi_done.request.extension)) <
			      sizeof(a->u.mwi_done.request.extension));
			break;
		case PORT_ACT_NOTE:
			CHECK(a->u.note.what != NULL);
			break;
		default:
			break;
		}
		CHECK(sccp_port_action_name(a->type)[0] != '?');
	}

	enum sccp_port_state s = sccp_port_state(&F.port);
	CHECK(sccp_port_state_name(s)[0] != '?');
	if (s == SCCP_PORT_DOWN || s == SCCP_PORT_CLOSING || s == SCCP_PORT_IDLE)
		CHECK(!F.rx_open && !F.tx_open);
	bool dialling = F.port.mwi.phase != SCCP_MWI_PHASE_NONE;
	CHECK(F.mwi_accepted == F.mwi_done + sccp_port_mwi_pending(&F.port) + (dialling ? 1 : 0));
	if (ev->type == PORT_EV_TIMER)
		CHECK(sccp_port_next_deadline(&F.port) >= F.now);
}

static void handle(const struct sccp_port_event *ev)
{
	if (ev->type == PORT_EV_MWI)
		F.mwi_accepted++;
	sccp_port_handle(&F.port, ev, F.now, &F.out);
	check_output(ev);
}

/* A message as the codec would deliver it: encoded with the port's header version, decoded. */
static void deliver(struct sccp_msg *m)
{
	static uint8_t buf[SCCP_MAX_PDU];
	static struct sccp_msg d;
	int n = sccp_encode(m, buf, sizeof(buf));
	if (n <= 0 || sccp_decode(buf, (size_t)n, &d) != SCCP_OK)
		return;
	handle(&(struct sccp_port_event){.type = PORT_EV_MESSAGE, .u.msg = &d});
}

static void fill_key(struct sccp_key_info *k, uint8_t alg, uint8_t len)
{
	k->algorithm = alg;
	k->key_len = len;
	k->salt_len = len > 14 ? 14 : len;
	memset(k->key, 0x5A, sizeof(k->key));
	memset(k->salt, 0xA5, sizeof(k->salt));
}

static void build_msg(uint8_t kind, const uint8_t b[8])
{
	static const uint32_t codecs[] = {2, 4, 11, 9};
	static const char *const numbers[] = {"", "1001", "1002", "8000", "2001"};
	static struct sccp_msg m;
	uint32_t ref = b[1] % 4;
	switch ((enum fuzz_port_msg)(kind % MSG_COUNT)) {
	case MSG_REGISTER_ACK:
		sccp_msg_init(&m, SCCP_REGISTER_ACK, 0);
		m.u.register_ack.keepalive = b[0];
		m.u.register_ack.max_protocol_ver = b[1];
		break;
	case MSG_CAPABILITIES_REQ:
		sccp_msg_init(&m, SCCP_CAPABILITIES_REQ, 0);
		break;
	case MSG_REGISTER_REJECT:
		sccp_msg_init(&m, SCCP_REGISTER_REJECT, 0);
		strcpy(m.u.register_reject.text, "Unknown Device");
		break;
	case MSG_KEEPALIVE_ACK:
		sccp_msg_init(&m, SCCP_KEEPALIVE_ACK, 0);
		break;
	case MSG_RESET:
		sccp_msg_init(&m, SCCP_RESET, 0);
		m.u.reset.value = b[0] % 5;
		break;
	case MSG_UNREGISTER_ACK:
		sccp_msg_init(&m, SCCP_UNREGISTER_ACK, 0);
		m.u.unregister_ack.value = b[0] % 3;
		break;
	case MSG_LINE_STAT_RES:
		sccp_msg_init(&m, SCCP_LINE_STAT_RES, 0);
		m.u.line_stat.line_number = b[0] % 3;
		strcpy(m.u.line_stat.dir_number, numbers[b[1] % 5]);
		break;
	case MSG_CALL_STATE:
		sccp_msg_init(&m, SCCP_CALL_STATE, 0);
		m.u.call_state.call_state = b[0] % 18;
		m.u.call_state.line_instance = 1;
		m.u.call_state.call_reference = ref;
		break;
	case MSG_CALL_INFO:
		sccp_msg_init(&m, (b[3] & 1) ? SCCP_CALL_INFO_V2 : SCCP_CALL_INFO, 0);
		m.u.call_info.call_type = b[0] % 4;
		m.u.call_info.call_reference = ref;
		m.u.call_info.line_instance = 1;
		strcpy(m.u.call_info.calling_party, numbers[4]);
		strcpy(m.u.call_info.called_party, numbers[3]);
		strcpy(m.u.call_info.original_called_party, numbers[b[2] % 5]);
		strcpy(m.u.call_info.last_redirecting_party, numbers[(b[2] / 5) % 5]);
		break;
	case MSG_OPEN_RX:
		sccp_msg_init(&m, SCCP_OPEN_RECEIVE_CHANNEL, 0);
		m.u.orc.pass_through_party_id = 10 + b[0] % 2;
		m.u.orc.compression_type = codecs[b[1] % 4];
		m.u.orc.packet_ms = 20;
		m.u.orc.call_reference = b[4] % 4;
		m.u.orc.has_key = !(b[5] & 1);
		fill_key(&m.u.orc.rx_key, b[2] % 8, b[3] % 17);
		break;
	case MSG_START_TX:
		sccp_msg_init(&m, SCCP_START_MEDIA_TRANSMISSION, 0);
		m.u.smt.pass_through_party_id = 10 + b[0] % 2;
		m.u.smt.compression_type = codecs[b[1] % 4];
		m.u.smt.packet_ms = 20;
		m.u.smt.remote_port = 30000;
		m.u.smt.call_reference = b[4] % 4;
		m.u.smt.has_key = !(b[5] & 1);
		fill_key(&m.u.smt.tx_key, b[2] % 8, b[3] % 17);
		break;
	case MSG_CLOSE_RX:
	case MSG_STOP_TX:
		sccp_msg_init(&m,
		              kind % MSG_COUNT == MSG_CLOSE_RX ? SCCP_CLOSE_RECEIVE_CHANNEL
		                                               : SCCP_STOP_MEDIA_TRANSMISSION,
		              0);
		m.u.stop_media.pass_through_party_id = 10 + b[0] % 2;
		m.u.stop_media.has_call_reference = true;
		m.u.stop_media.call_reference = ref;
		break;
	case MSG_KEYPAD:
		sccp_msg_init(&m, SCCP_KEYPAD_BUTTON, 0);
		m.u.keypad.button = b[0] % 0x12;
		break;
	case MSG_START_TONE:
		sccp_msg_init(&m, SCCP_START_TONE, 0);
		m.u.start_tone.tone = b[0] % 0x30;
		break;
	case MSG_SET_RINGER:
		sccp_msg_init(&m, SCCP_SET_RINGER, 0);
		break;
	case MSG_KEEPALIVE:
	case MSG_COUNT:
		sccp_msg_init(&m, SCCP_KEEPALIVE, 0);
		break;
	}
	/* CallManager speaks the negotiated version, except where chan-sccp keeps 0 (§1.2). */
	if (m.id != SCCP_REGISTER_ACK && m.id != SCCP_KEEPALIVE_ACK && m.id != SCCP_UNREGISTER_ACK)
		m.hv = sccp_port_header_version(&F.port);
	deliver(&m);
}

static void configure(uint16_t bits, struct sccp_port_config *cfg)
{
	sccp_port_config_defaults(cfg);
	strcpy(cfg->device_name, "CiscoUM1-VI1");
	strcpy(cfg->pilot_number, "8000");
	cfg->station_ip[0] = 10;
	cfg->mwi_dial = (bits & CFG_ENBLOC) ? SCCP_MWI_ENBLOC : SCCP_MWI_KEYPAD;
	cfg->use_last_redirect = bits & CFG_LAST_REDIRECT;
	cfg->send_smt_ack = bits & CFG_SMT_ACK;
	cfg->request_templates = !(bits & CFG_NO_TEMPLATES);
	cfg->keypad_0a_is_a = bits & CFG_KEYPAD_0A_IS_A;
	cfg->answer_calls = !(bits & CFG_NO_ANSWER);
	cfg->mwi_digit_gap_ms = (bits & CFG_DIGIT_GAP) ? 100 : 0;
	cfg->protocol_version = (bits & CFG_PROTOCOL_11) ? 11 : 17;
	if (bits & CFG_G729)
		cfg->codecs[cfg->n_codecs++] = 11;
	cfg->rng_seed = bits;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = {data, size};
	memset(&F, 0, sizeof(F));
	struct sccp_port_config cfg;
	configure(rd_u16(&r), &cfg);
	CHECK(sccp_port_init(&F.port, &cfg) == 0);
	F.now = 1000;

	int steps = 0;
	while (r.n > 0 && steps++ < 1024) {
		struct sccp_port_event ev = {0};
		uint8_t op = rd_u8(&r) % OP_COUNT;
		switch ((enum fuzz_port_op)op) {
		case OP_UP:
			ev.type = PORT_EV_TRANSPORT_UP;
			break;
		case OP_DOWN:
			ev.type = PORT_EV_TRANSPORT_DOWN;
			break;
		case OP_UNREGISTER:
			ev.type = PORT_EV_UNREGISTER;
			break;
		case OP_WAIT:
			F.now += (uint64_t)rd_u16(&r) * 10;
			ev.type = PORT_EV_TIMER;
			break;
		case OP_TIMER_DUE: {
			uint64_t due = sccp_port_next_deadline(&F.port);
			if (due != SCCP_PORT_NO_DEADLINE && due > F.now)
				F.now = due;
			ev.type = PORT_EV_TIMER;
			break;
		}
		case OP_MWI: {
			ev.type = PORT_EV_MWI;
			uint8_t n = rd_u8(&r);
			for (uint8_t i = 0; i < n; i++) {
				uint8_t c = rd_u8(&r);
				if (i < sizeof(ev.u.mwi.extension))
					ev.u.mwi.extension[i] = (char)c;
			}
			uint8_t m = rd_u8(&r);
			for (uint8_t i = 0; i < m; i++) {
				uint8_t c = rd_u8(&r);
				if (i < sizeof(ev.u.mwi.dial))
					ev.u.mwi.dial[i] = (char)c;
			}
			ev.u.mwi.on = rd_u8(&r) & 1;
			break;
		}
		case OP_RX_OPENED: {
			uint8_t sel = rd_u8(&r);
			ev.type = PORT_EV_RX_OPENED;
			ev.u.rx_opened.pass_through_party_id = (sel & 1) ? F.last_open_pass : sel;
			ev.u.rx_opened.status = rd_u8(&r) % 12;
			ev.u.rx_opened.ip[0] = 10;
			ev.u.rx_opened.port = 20000;
			break;
		}
		case OP_DTMF:
			ev.type = PORT_EV_DTMF;
			ev.u.digit = (char)rd_u8(&r);
			break;
		case OP_HANGUP: {
			uint8_t sel = rd_u8(&r);
			ev.type = PORT_EV_HANGUP;
			ev.u.call_reference = sel == 0 ? 0 : sel == 1 ? F.last_call_ref : sel;
			break;
		}
		case OP_RAW: {
			static uint8_t pdu[SCCP_MAX_PDU];
			static struct sccp_msg m;
			uint16_t n = rd_u16(&r);
			size_t got = 0;
			while (got < n && r.n > 0 && got < sizeof(pdu))
				pdu[got++] = rd_u8(&r);
			if (sccp_decode(pdu, got, &m) == SCCP_OK)
				handle(&(struct sccp_port_event){.type = PORT_EV_MESSAGE, .u.msg = &m});
			continue;
		}
		case OP_MSG: {
			uint8_t kind = rd_u8(&r);
			uint8_t b[8];
			for (int i = 0; i < 8; i++)
				b[i] = rd_u8(&r);
			build_msg(kind, b);
			continue;
		}
		case OP_COUNT:
			continue;
		}
		handle(&ev);
		/* A port whose transport went down holds no media. */
		if (ev.type == PORT_EV_TRANSPORT_DOWN)
			CHECK(!F.rx_open && !F.tx_open);
	}
	return 0;
}
