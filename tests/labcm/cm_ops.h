/* Arbitrary event sequences for the lab CallManager's device state machine, with its contracts
 * checked after every step (cm_device.h): outputs never overflow; every message encodes and
 * decodes as itself with the header version the device uses (RegisterAck, RegisterReject,
 * KeepAliveAck, UnregisterAck: 0); the deadline is the device's; REGISTERED and UNREGISTERED
 * alternate; a session closes once; every offered call ends exactly once; no key stays in the
 * device after its call. A violated contract aborts with a message.
 *
 * Used by tests/fuzz/fuzz_cm_device.c (libFuzzer bytes) and tests/labcm/test_cm_random.c
 * (a seeded PRNG). Header-only: both include it once. */
#ifndef VMPORT_TEST_CM_OPS_H
#define VMPORT_TEST_CM_OPS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sccp/cm_device.h"
#include "sccp/sccp_msg.h"

#define CM_OPS_MAX_OFFERS 16

struct cm_ops {
	struct cm_device d;
	struct cm_device_output out;
	uint64_t now;
	bool registered;
	bool closed; /* CLOSE seen in this session */
	uint32_t outstanding[CM_OPS_MAX_OFFERS];
	size_t n_outstanding;
	uint32_t next_ref;
	uint32_t last_offer;
	unsigned steps, registrations, calls_ended;
};

/* Over all runs: how far the sequences got (the random test checks they reach the states). */
static struct {
	unsigned runs, steps, registrations, calls_answered, calls_ended, lamps, rejects;
} cm_ops_totals;

static void cm_ops_fail(const char *what, uint32_t value)
{
	fprintf(stderr, "cm_ops: contract broken: %s (%u)\n", what, value);
	abort();
}

static enum cm_lookup_result cm_ops_lookup(void *ctx, const char *name, struct cm_provision *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	snprintf(out->dn, sizeof(out->dn), "8001");
	if (!strncmp(name, "Dup", 3))
		return CM_LOOKUP_DUPLICATE;
	if (strncmp(name, "CiscoUM1-VI", 11) != 0)
		return CM_LOOKUP_UNKNOWN;
	out->security =
	    (enum cm_security)((name[11] - '1') % 3); /* VI1 nonsecure, VI2 authenticated, VI3 encrypted */
	return CM_LOOKUP_OK;
}

static void cm_ops_init(struct cm_ops *o)
{
	memset(o, 0, sizeof(*o));
	struct cm_device_config cfg;
	cm_device_config_defaults(&cfg);
	cfg.lookup = cm_ops_lookup;
	snprintf(cfg.mwi_on, sizeof(cfg.mwi_on), "9999991");
	snprintf(cfg.mwi_off, sizeof(cfg.mwi_off), "9999990");
	cfg.keepalive_s = 2;
	cfg.ring_timeout_ms = 3000;
	if (cm_device_init(&o->d, &cfg) != 0)
		cm_ops_fail("init", 0);
	o->now = 1000;
	o->next_ref = 0x80000000u;
}

static bool cm_ops_basic_hv(uint32_t id)
{
	return id == SCCP_REGISTER_ACK || id == SCCP_REGISTER_REJECT || id == SCCP_KEEPALIVE_ACK ||
	       id == SCCP_UNREGISTER_ACK;
}

static void cm_ops_check(struct cm_ops *o)
{
	const struct cm_device_output *out = &o->out;
	if (o->d.stats.output_overflow)
		cm_ops_fail("output overflow", (uint32_t)o->d.stats.output_overflow);
	if (out->n_msgs > CM_DEVICE_MAX_MSGS || out->n_acts > CM_DEVICE_MAX_ACTS)
		cm_ops_fail("output counts", (uint32_t)out->n_msgs);
	if (out->next_deadline_ms != cm_device_next_deadline(&o->d))
		cm_ops_fail("deadline", 0);
	for (size_t i = 0; i < out->n_msgs; i++) {
		const struct sccp_msg *m = &out->msgs[i];
		uint8_t buf[SCCP_MAX_PDU];
		int n = sccp_encode(m, buf, sizeof(buf));
		if (n <= 0)
			cm_ops_fail("message does not encode", m->id);
		struct sccp_msg back;
		if (sccp_decode(buf, (size_t)n, &back) != SCCP_OK || back.id != m->id)
			cm_ops_fail("message does not decode as itself", m->id);
		uint32_t want = cm_ops_basic_hv(m->id) ? 0 : cm_device_header_version(&o->d);
		if (m->hv != want)
			cm_ops_fail("header version", m->id);
	}
	for (size_t i = 0; i < out->n_acts; i++) {
		const struct cm_device_action *a = &out->acts[i];
		switch (a->type) {
		case CM_ACT_REGISTERED:
			if (o->registered)
				cm_ops_fail("REGISTERED twice", 0);
			o->registered = true;
			o->registrations++;
			break;
		case CM_ACT_UNREGISTERED:
			if (!o->registered)
				cm_ops_fail("UNREGISTERED without REGISTERED", 0);
			o->registered = false;
			break;
		case CM_ACT_REJECTED:
			cm_ops_totals.rejects++;
			break;
		case CM_ACT_CLOSE:
			if (o->closed)
				cm_ops_fail("CLOSE twice in a session", 0);
			o->closed = true;
			break;
		case CM_ACT_CALL_ENDED: {
			size_t k = 0;
			while (k < o->n_outstanding && o->outstanding[k] != a->u.call_ended.call_reference)
				k++;
			if (k == o->n_outstanding)
				cm_ops_fail("CALL_ENDED for no outstanding offer",
				            a->u.call_ended.call_reference);
			o->outstanding[k] = o->outstanding[--o->n_outstanding];
			o->calls_ended++;
			break;
		}
		default:
			break;
		}
	}
	if (o->registered != cm_device_registered(&o->d))
		cm_ops_fail("registered flag", 0);
	enum cm_device_state st = cm_device_state(&o->d);
	bool in_test_call = st == CM_DEV_RINGING || st == CM_DEV_IN_CALL;
	if (o->n_outstanding > (in_test_call ? 1u : 0u))
		cm_ops_fail("offers outstanding without a call", (uint32_t)o->n_outstanding);
	static const struct sccp_key_info zero;
	if (!in_test_call && (memcmp(&o->d.call.key_to_device, &zero, sizeof(zero)) ||
	                      memcmp(&o->d.call.key_from_device, &zero, sizeof(zero))))
		cm_ops_fail("a key outlived its call", 0);
}

static void cm_ops_event(struct cm_ops *o, const struct cm_device_event *ev)
{
	cm_device_handle(&o->d, ev, o->now, 1772368496789ull + o->now, &o->out);
	cm_ops_check(o);
	o->steps++;
}

/* Where the bytes come from: a buffer (the fuzzer), or a generator that knows whether it is asked
 * for an operation or for an argument (the random test weights the operations). Zeros once the
 * input is used up. */
struct cm_ops_in {
	const uint8_t *p;
	size_t left;
	uint8_t (*gen)(bool op); /* when set, p is unused and left counts the remaining draws */
};

static uint8_t cm_ops_draw(struct cm_ops_in *in, bool op)
{
	if (!in->left)
		return 0;
	in->left--;
	return in->gen ? in->gen(op) : *in->p++;
}

static uint8_t cm_ops_byte(struct cm_ops_in *in)
{
	return cm_ops_draw(in, false);
}

static const uint32_t cm_ops_ids[] = {
    SCCP_KEEPALIVE,
    SCCP_REGISTER,
    SCCP_KEYPAD_BUTTON,
    SCCP_ENBLOC_CALL,
    SCCP_STIMULUS,
    SCCP_OFFHOOK,
    SCCP_ONHOOK,
    SCCP_FORWARD_STAT_REQ,
    SCCP_LINE_STAT_REQ,
    SCCP_CONFIG_STAT_REQ,
    SCCP_TIME_DATE_REQ,
    SCCP_BUTTON_TEMPLATE_REQ,
    SCCP_VERSION_REQ,
    SCCP_CAPABILITIES_RES,
    SCCP_OPEN_RECEIVE_CHANNEL_ACK,
    SCCP_CONNECTION_STATISTICS_RES,
    SCCP_OFFHOOK_WITH_CGPN,
    SCCP_SOFTKEY_SET_REQ,
    SCCP_SOFTKEY_EVENT,
    SCCP_UNREGISTER,
    SCCP_SOFTKEY_TEMPLATE_REQ,
    SCCP_REGISTER_TOKEN_REQ,
    SCCP_MEDIA_TRANSMISSION_FAILURE,
    SCCP_REGISTER_AVAILABLE_LINES,
    SCCP_START_MEDIA_TRANSMISSION_ACK,
    SCCP_CALL_STATE, /* a C→D message from a confused device */
};

/* A plausible message: mostly well-formed values the state machine reacts to. */
static void cm_ops_plausible(struct cm_ops *o, struct cm_ops_in *in, struct sccp_msg *m)
{
	uint8_t pick = cm_ops_byte(in);
	uint8_t v = cm_ops_byte(in); /* variations, independent of the case that pick chose */
	uint32_t hv = cm_device_header_version(&o->d);
	uint32_t ref = (v & 1) ? o->d.call.call_reference : o->last_offer;
	switch (pick % 12) {
	case 0: {
		uint8_t b = cm_ops_byte(in);
		sccp_msg_init(m, SCCP_REGISTER, 0);
		snprintf(m->u.reg.device_name, sizeof(m->u.reg.device_name), "%s",
		         (const char *[]){"CiscoUM1-VI1", "CiscoUM1-VI1", "CiscoUM1-VI2", "CiscoUM1-VI3",
		                          "Dup1", "Other"}[b % 6]);
		m->u.reg.has_ext = !(b & 0x40);
		m->u.reg.protocol_ver = (uint8_t)(cm_ops_byte(in) % 23);
		m->u.reg.phone_features = (b & 0x80) ? 0x80 : 0;
		return;
	}
	case 1:
		sccp_msg_init(m, SCCP_KEEPALIVE, hv);
		return;
	case 2:
		sccp_msg_init(m, SCCP_OFFHOOK, hv);
		m->u.offhook.present = v & 2;
		m->u.offhook.line_instance = 1;
		m->u.offhook.call_reference = ref;
		return;
	case 3:
		sccp_msg_init(m, SCCP_ONHOOK, hv);
		m->u.offhook.present = v & 2;
		m->u.offhook.line_instance = 1;
		m->u.offhook.call_reference = ref;
		return;
	case 4:
		sccp_msg_init(m, SCCP_OFFHOOK_WITH_CGPN, hv);
		snprintf(m->u.offhook_cgpn.calling_party, sizeof(m->u.offhook_cgpn.calling_party), "10%02u",
		         v % 100);
		m->u.offhook_cgpn.line_instance = 1;
		return;
	case 5:
		sccp_msg_init(m, SCCP_KEYPAD_BUTTON, hv);
		m->u.keypad.button = cm_ops_byte(in) % 18;
		m->u.keypad.has_call = v & 2;
		m->u.keypad.line_instance = 1;
		m->u.keypad.call_reference = o->d.call.call_reference;
		return;
	case 6:
		sccp_msg_init(m, SCCP_ENBLOC_CALL, hv);
		snprintf(m->u.enbloc.called_party, sizeof(m->u.enbloc.called_party), "%s",
		         (const char *[]){"9999991", "9999990", "5555", "999999"}[v % 4]);
		return;
	case 7:
		sccp_msg_init(m, SCCP_OPEN_RECEIVE_CHANNEL_ACK, hv);
		m->u.orc_ack.status = (v & 2) ? 0 : 8;
		m->u.orc_ack.ip.addr[0] = 127;
		m->u.orc_ack.port = 20000;
		m->u.orc_ack.pass_through_party_id = ~o->d.call.call_reference;
		m->u.orc_ack.has_call_reference = true;
		m->u.orc_ack.call_reference = ref;
		return;
	case 8:
		sccp_msg_init(m, SCCP_UNREGISTER, hv);
		return;
	case 9:
		sccp_msg_init(m, SCCP_SOFTKEY_EVENT, hv);
		m->u.softkey_event.event = (uint32_t[]){2, 9, 11, 4}[v % 4];
		m->u.softkey_event.line_instance = 1;
		m->u.softkey_event.call_reference = ref;
		return;
	case 10:
		sccp_msg_init(m, SCCP_MEDIA_TRANSMISSION_FAILURE, hv);
		m->u.mtf.pass_through_party_id = ~o->d.call.call_reference;
		return;
	default:
		sccp_msg_init(m,
		              (uint32_t[]){SCCP_LINE_STAT_REQ, SCCP_TIME_DATE_REQ, SCCP_CAPABILITIES_RES,
		                           SCCP_BUTTON_TEMPLATE_REQ}[v % 4],
		              hv);
		m->u.capabilities.count = v % 3;
		m->u.capabilities.caps[0].payload = (v & 8) ? 4 : 11;
		return;
	}
}

static void cm_ops_message(struct cm_ops *o, const struct sccp_msg *m)
{
	/* Through the codec, as the stream would hand it over. */
	uint8_t buf[SCCP_MAX_PDU];
	int n = sccp_encode(m, buf, sizeof(buf));
	if (n <= 0)
		return;
	struct sccp_msg d;
	if (sccp_decode(buf, (size_t)n, &d) != SCCP_OK)
		return;
	cm_ops_event(o, &(struct cm_device_event){.type = CM_EV_MESSAGE, .u.msg = &d});
}

static void cm_ops_run_from(struct cm_ops_in in)
{
	static struct cm_ops o; /* large; one run at a time */
	cm_ops_init(&o);
	while (in.left) {
		uint8_t op = cm_ops_draw(&in, true);
		switch (op % 12) {
		case 0: {
			struct cm_device_event ev = {.type = CM_EV_TRANSPORT_UP};
			uint8_t b = cm_ops_byte(&in);
			ev.u.transport.tls = b & 1;
			ev.u.transport.encrypting = b & 2;
			snprintf(ev.u.transport.peer_name, sizeof(ev.u.transport.peer_name), "%s",
			         (b & 4) ? "CiscoUM1-VI3" : "CiscoUM1-VI2");
			o.closed = false;
			cm_ops_event(&o, &ev);
			break;
		}
		case 1:
			cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
			o.closed = false;
			break;
		case 2: { /* raw bytes as one PDU of a D→C id */
			uint8_t pdu[SCCP_HEADER_LEN + 256];
			size_t body = cm_ops_byte(&in);
			uint32_t id =
			    cm_ops_ids[cm_ops_byte(&in) % (sizeof(cm_ops_ids) / sizeof(cm_ops_ids[0]))];
			uint32_t hv = (uint32_t[]){0, 0x0B, 0x0F, 0x10, 0x11, 0x12}[cm_ops_byte(&in) % 6];
			uint32_t lenf = (uint32_t)body + 4;
			memcpy(pdu, &lenf, 4); /* the test hosts are little-endian, as the wire is */
			memcpy(pdu + 4, &hv, 4);
			memcpy(pdu + 8, &id, 4);
			for (size_t i = 0; i < body; i++)
				pdu[SCCP_HEADER_LEN + i] = cm_ops_byte(&in);
			struct sccp_msg m;
			if (sccp_decode(pdu, SCCP_HEADER_LEN + body, &m) == SCCP_OK)
				cm_ops_event(&o,
				             &(struct cm_device_event){.type = CM_EV_MESSAGE, .u.msg = &m});
			break;
		}
		case 3:
		case 4:
		case 5: {
			struct sccp_msg m;
			cm_ops_plausible(&o, &in, &m);
			cm_ops_message(&o, &m);
			break;
		}
		case 6: { /* offer a test call */
			struct cm_call_offer offer;
			memset(&offer, 0, sizeof(offer));
			offer.call_reference = ++o.next_ref;
			offer.call_type = (cm_ops_byte(&in) & 1) ? SCCP_CALL_FORWARD : SCCP_CALL_INBOUND;
			snprintf(offer.calling, sizeof(offer.calling), "2002");
			snprintf(offer.original_called, sizeof(offer.original_called), "1001");
			offer.srtp = true;
			offer.key_to_device.algorithm = offer.key_from_device.algorithm = 1;
			offer.key_to_device.key_len = offer.key_from_device.key_len = 16;
			memset(offer.key_to_device.key, 0x11, 16);
			memset(offer.key_from_device.key, 0x22, 16);
			if (o.n_outstanding == CM_OPS_MAX_OFFERS)
				break;
			o.outstanding[o.n_outstanding++] = offer.call_reference;
			o.last_offer = offer.call_reference;
			cm_ops_event(&o,
			             &(struct cm_device_event){.type = CM_EV_OFFER_CALL, .u.offer = &offer});
			break;
		}
		case 7:
			cm_ops_event(
			    &o, &(struct cm_device_event){.type = CM_EV_HANGUP,
			                                  .u.call_reference = (cm_ops_byte(&in) & 1)
			                                                          ? o.last_offer
			                                                          : o.d.call.call_reference});
			break;
		case 8:
			cm_ops_event(&o,
			             &(struct cm_device_event){.type = CM_EV_SET_LAMP, .u.lamp_on = op & 16});
			break;
		case 9:
			cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_RESET, .u.reset_type = 2});
			break;
		case 10: /* time passes a little */
			o.now += (uint64_t)cm_ops_byte(&in) * 50u;
			cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_TIMER});
			break;
		default: { /* to the next deadline */
			uint64_t d = cm_device_next_deadline(&o.d);
			if (d != CM_DEVICE_NO_DEADLINE && d > o.now)
				o.now = d;
			cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_TIMER});
			break;
		}
		}
	}
	/* The session ends: every offer is answered with its CALL_ENDED, the registration is over. */
	cm_ops_event(&o, &(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
	if (o.n_outstanding || o.registered)
		cm_ops_fail("after TRANSPORT_DOWN: offers or a registration left", (uint32_t)o.n_outstanding);
	cm_ops_totals.runs++;
	cm_ops_totals.steps += o.steps;
	cm_ops_totals.registrations += o.registrations;
	cm_ops_totals.calls_answered += o.d.stats.calls_answered;
	cm_ops_totals.calls_ended += o.calls_ended;
	cm_ops_totals.lamps += o.d.stats.lamps_on + o.d.stats.lamps_off;
}

static void cm_ops_run(const uint8_t *data, size_t len)
{
	cm_ops_run_from((struct cm_ops_in){.p = data, .left = len});
}

#endif
