#include "cm_bench.h"

#include <stdio.h>
#include <string.h>

struct bench B;

static size_t mark_trace, mark_cm_acts, mark_port_acts;

static enum cm_lookup_result b_lookup(void *ctx, const char *name, struct cm_provision *out)
{
	struct bench *b = ctx;
	b->lookups++;
	for (size_t i = 0; i < b->n_provs; i++) {
		if (strcmp(b->provs[i].name, name) != 0)
			continue;
		*out = b->provs[i].prov;
		return b->provs[i].registered_elsewhere ? CM_LOOKUP_DUPLICATE : CM_LOOKUP_OK;
	}
	return CM_LOOKUP_UNKNOWN;
}

void b_provision(const char *name, const char *dn, enum cm_security sec)
{
	for (size_t i = 0; i < B.n_provs; i++) {
		if (!strcmp(B.provs[i].name, name)) {
			strcpy(B.provs[i].prov.dn, dn);
			B.provs[i].prov.security = sec;
			return;
		}
	}
	assert_true(B.n_provs < B_MAX_PROV);
	struct b_prov *p = &B.provs[B.n_provs++];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	strcpy(p->prov.dn, dn);
	snprintf(p->prov.display_name, sizeof(p->prov.display_name), "Voicemail %s", name);
	p->prov.security = sec;
}

void b_use_tls(const char *peer_name, bool encrypting)
{
	memset(&B.transport, 0, sizeof(B.transport));
	B.transport.tls = true;
	B.transport.encrypting = encrypting;
	snprintf(B.transport.peer_name, sizeof(B.transport.peer_name), "%s", peer_name);
}

int b_setup(void **state)
{
	(void)state;
	memset(&B, 0, sizeof(B));
	sccp_port_config_defaults(&B.pcfg);
	strcpy(B.pcfg.device_name, B_DEVICE);
	memcpy(B.pcfg.station_ip, (uint8_t[])B_PORT_IP_INIT, 4);
	memcpy(B.pcfg.mac, (uint8_t[]){0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, 6);
	strcpy(B.pcfg.pilot_number, "8000");
	B.pcfg.rng_seed = 7;
	cm_device_config_defaults(&B.ccfg);
	B.ccfg.lookup = b_lookup;
	B.ccfg.lookup_ctx = &B;
	strcpy(B.ccfg.mwi_on, B_MWI_ON);
	strcpy(B.ccfg.mwi_off, B_MWI_OFF);
	B.ccfg.call_ref_base = 0x02000000u;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_NONSECURE);
	B.now = 1000;
	B.unix_ms = 1772368496789ull; /* 2026-03-01T12:34:56.789Z */
	B.drop_to_cm_id = UINT32_MAX;
	b_reinit();
	return 0;
}

int b_teardown(void **state)
{
	(void)state;
	sccp_secure_wipe(&B, sizeof(B)); /* keys went through it */
	return 0;
}

void b_reinit(void)
{
	assert_int_equal(sccp_port_init(&B.port, &B.pcfg), 0);
	assert_int_equal(cm_device_init(&B.cm, &B.ccfg), 0);
}

/* ---------------------------------------------------------------------------------------------
 * Recording */

static void record_trace(bool to_cm, const struct sccp_msg *m)
{
	assert_true(B.n_trace < B_MAX_LOG);
	B.trace[B.n_trace++] = (struct b_trace){.to_cm = to_cm, .id = m->id, .hv = m->hv};
	struct sccp_msg *keep = NULL;
	switch (m->id) {
	case SCCP_CALL_INFO:
	case SCCP_CALL_INFO_V2:
		keep = &B.last_call_info;
		break;
	case SCCP_OPEN_RECEIVE_CHANNEL:
		keep = &B.last_orc;
		break;
	case SCCP_START_MEDIA_TRANSMISSION:
		keep = &B.last_smt;
		break;
	case SCCP_REGISTER_ACK:
		keep = &B.last_register_ack;
		break;
	case SCCP_LINE_STAT_RES:
		keep = &B.last_line_stat;
		break;
	case SCCP_DEFINE_TIME_DATE:
		keep = &B.last_time_date;
		break;
	case SCCP_CALL_STATE:
		keep = &B.last_call_state;
		break;
	case SCCP_REGISTER_REJECT:
		keep = &B.last_reject;
		break;
	case SCCP_UNREGISTER_ACK:
		keep = &B.last_unregister_ack;
		break;
	default:
		break;
	}
	if (keep)
		*keep = *m;
}

/* Encode, check, queue for the other side. */
static void send_pdu(bool to_cm, const struct sccp_msg *m, uint32_t want_hv)
{
	uint8_t buf[SCCP_MAX_PDU];
	int n = sccp_encode(m, buf, sizeof(buf));
	if (n <= 0)
		fail_msg("%s message 0x%04x does not encode: %s", to_cm ? "port" : "CM", m->id,
		         sccp_strerror(n));
	if (m->hv != want_hv)
		fail_msg("%s sent 0x%04x with hv %u, expected %u", to_cm ? "port" : "CM", m->id, m->hv,
		         want_hv);
	struct sccp_msg back;
	int rc = sccp_decode(buf, (size_t)n, &back);
	if (rc != SCCP_OK)
		fail_msg("%s message 0x%04x does not decode: %s", to_cm ? "port" : "CM", m->id,
		         sccp_strerror(rc));
	assert_int_equal(back.id, m->id);
	record_trace(to_cm, &back);
	sccp_secure_wipe(&back, sizeof(back));
	if (to_cm) {
		if (B.port_closed || B.cm_closed || m->id == B.drop_to_cm_id)
			return;
		assert_true(B.n_to_cm < B_MAX_QUEUE);
		if (B.tap)
			B.tap(true, buf, (size_t)n);
		memcpy(B.to_cm[B.n_to_cm].pdu, buf, (size_t)n);
		B.to_cm[B.n_to_cm++].len = (size_t)n;
	} else {
		if (B.cm_closed || B.port_closed)
			return;
		assert_true(B.n_to_port < B_MAX_QUEUE);
		if (B.tap)
			B.tap(false, buf, (size_t)n);
		memcpy(B.to_port[B.n_to_port].pdu, buf, (size_t)n);
		B.to_port[B.n_to_port++].len = (size_t)n;
	}
}

static void cm_output(void)
{
	assert_int_equal(B.cm.stats.output_overflow, 0);
	assert_true(B.cout.n_msgs <= CM_DEVICE_MAX_MSGS);
	assert_true(B.cout.n_acts <= CM_DEVICE_MAX_ACTS);
	assert_int_equal(B.cout.next_deadline_ms, cm_device_next_deadline(&B.cm));
	for (size_t i = 0; i < B.cout.n_msgs; i++) {
		const struct sccp_msg *m = &B.cout.msgs[i];
		bool basic = m->id == SCCP_REGISTER_ACK || m->id == SCCP_REGISTER_REJECT ||
		             m->id == SCCP_KEEPALIVE_ACK || m->id == SCCP_UNREGISTER_ACK;
		send_pdu(false, m, basic ? 0 : cm_device_header_version(&B.cm));
	}
	for (size_t i = 0; i < B.cout.n_acts; i++) {
		const struct cm_device_action *a = &B.cout.acts[i];
		assert_true(B.n_cm_acts < B_MAX_LOG);
		B.cm_acts[B.n_cm_acts++] = *a;
		if (a->type == CM_ACT_CLOSE) {
			B.cm_closed = true;
			B.n_to_cm = 0;
			B.cm_down_due = true;
		}
	}
}

static void port_output(void)
{
	assert_int_equal(B.port.stats.output_overflow, 0);
	assert_int_equal(B.pout.next_deadline_ms, sccp_port_next_deadline(&B.port));
	for (size_t i = 0; i < B.pout.n_msgs; i++) {
		const struct sccp_msg *m = &B.pout.msgs[i];
		send_pdu(true, m, m->id == SCCP_REGISTER ? 0 : sccp_port_header_version(&B.port));
	}
	/* Copy first: answering OPEN_RX below overwrites the output. */
	size_t first = B.n_port_acts, n = B.pout.n_acts;
	for (size_t i = 0; i < n; i++) {
		assert_true(B.n_port_acts < B_MAX_LOG);
		B.port_acts[B.n_port_acts++] = B.pout.acts[i];
	}
	for (size_t i = first; i < first + n; i++) {
		const struct sccp_port_action *a = &B.port_acts[i];
		if (a->type == PORT_ACT_CLOSE_TRANSPORT) {
			B.port_closed = true;
			B.n_to_port = 0;
			B.port_down_due = true;
		} else if (a->type == PORT_ACT_OPEN_RX) {
			struct sccp_port_event ev = {.type = PORT_EV_RX_OPENED};
			ev.u.rx_opened.pass_through_party_id = a->u.media.pass_through_party_id;
			ev.u.rx_opened.status = B.rx_open_status;
			memcpy(ev.u.rx_opened.ip, (uint8_t[])B_PORT_IP_INIT, 4);
			ev.u.rx_opened.port = 20000;
			b_port_event(&ev);
		}
	}
}

void b_cm_event(const struct cm_device_event *ev)
{
	cm_device_handle(&B.cm, ev, B.now, B.unix_ms + B.now, &B.cout);
	cm_output();
}

void b_port_event(const struct sccp_port_event *ev)
{
	sccp_port_handle(&B.port, ev, B.now, &B.pout);
	port_output();
}

void b_cm_message(struct sccp_msg *m)
{
	uint8_t buf[SCCP_MAX_PDU];
	int n = sccp_encode(m, buf, sizeof(buf));
	assert_true(n > 0);
	struct sccp_msg d;
	assert_int_equal(sccp_decode(buf, (size_t)n, &d), SCCP_OK);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_MESSAGE, .u.msg = &d});
}

/* ---------------------------------------------------------------------------------------------
 * Running */

static bool pop(bool to_cm, struct sccp_msg *out)
{
	size_t *n = to_cm ? &B.n_to_cm : &B.n_to_port;
	if (*n == 0)
		return false;
	if (to_cm) {
		assert_int_equal(sccp_decode(B.to_cm[0].pdu, B.to_cm[0].len, out), SCCP_OK);
		memmove(&B.to_cm[0], &B.to_cm[1], (*n - 1) * sizeof(B.to_cm[0]));
	} else {
		assert_int_equal(sccp_decode(B.to_port[0].pdu, B.to_port[0].len, out), SCCP_OK);
		memmove(&B.to_port[0], &B.to_port[1], (*n - 1) * sizeof(B.to_port[0]));
	}
	(*n)--;
	return true;
}

void b_pump(void)
{
	struct sccp_msg m;
	for (int guard = 0; guard < 10000; guard++) {
		if (B.cm_down_due) {
			B.cm_down_due = false;
			b_cm_event(&(struct cm_device_event){.type = CM_EV_TRANSPORT_DOWN});
			continue;
		}
		if (B.port_down_due) {
			B.port_down_due = false;
			b_port_event(&(struct sccp_port_event){.type = PORT_EV_TRANSPORT_DOWN});
			continue;
		}
		if (pop(true, &m)) {
			b_cm_event(&(struct cm_device_event){.type = CM_EV_MESSAGE, .u.msg = &m});
			sccp_secure_wipe(&m, sizeof(m));
			continue;
		}
		if (pop(false, &m)) {
			b_port_event(&(struct sccp_port_event){.type = PORT_EV_MESSAGE, .u.msg = &m});
			sccp_secure_wipe(&m, sizeof(m));
			continue;
		}
		/* A side that closed: the other hears the end once it has read everything. */
		if (B.up && B.cm_closed && !B.port_closed) {
			B.port_closed = true;
			B.port_down_due = true;
			continue;
		}
		if (B.up && B.port_closed && !B.cm_closed) {
			B.cm_closed = true;
			B.cm_down_due = true;
			continue;
		}
		if (B.up && B.port_closed && B.cm_closed)
			B.up = false;
		return;
	}
	fail_msg("the two state machines never went quiet");
}

void b_connect(void)
{
	B.up = true;
	B.cm_closed = B.port_closed = false;
	B.n_to_cm = B.n_to_port = 0;
	struct cm_device_event ev = {.type = CM_EV_TRANSPORT_UP};
	ev.u.transport = B.transport;
	b_cm_event(&ev);
	b_port_event(&(struct sccp_port_event){.type = PORT_EV_TRANSPORT_UP});
	b_pump();
}

void b_run_until(uint64_t until)
{
	for (int guard = 0; guard < 100000; guard++) {
		uint64_t dp = sccp_port_next_deadline(&B.port), dc = cm_device_next_deadline(&B.cm);
		uint64_t next = dp < dc ? dp : dc;
		if (next > until)
			break;
		if (next > B.now)
			B.now = next;
		if (dc <= B.now)
			b_cm_event(&(struct cm_device_event){.type = CM_EV_TIMER});
		if (sccp_port_next_deadline(&B.port) <= B.now)
			b_port_event(&(struct sccp_port_event){.type = PORT_EV_TIMER});
		b_pump();
	}
	if (until > B.now)
		B.now = until;
}

void b_run_for(uint64_t ms)
{
	b_run_until(B.now + ms);
}

struct sccp_key_info b_key(uint8_t fill)
{
	struct sccp_key_info k;
	memset(&k, 0, sizeof(k));
	k.algorithm = SCCP_ALG_AES_CM_128_HMAC_SHA1_32;
	k.key_len = 16;
	k.salt_len = 14;
	memset(k.key, fill, 16);
	memset(k.salt, fill ^ 0xFF, 14);
	return k;
}

void b_offer_call(uint32_t call_ref, bool forwarded, bool srtp)
{
	struct cm_call_offer o;
	memset(&o, 0, sizeof(o));
	o.call_reference = call_ref;
	strcpy(o.calling, "2002");
	strcpy(o.calling_name, "Bench Caller");
	if (forwarded) {
		o.call_type = SCCP_CALL_FORWARD;
		strcpy(o.called, B_DN);
		strcpy(o.original_called, "1001");
		strcpy(o.last_redirecting, "1001");
		o.redirect_reason = 2;
	} else {
		o.call_type = SCCP_CALL_INBOUND;
		strcpy(o.called, "8000");
	}
	memcpy(o.caller_ip, (uint8_t[])B_CALLER_IP_INIT, 4);
	o.caller_port = B_CALLER_PORT;
	o.srtp = srtp;
	o.key_to_device = b_key(0x11);
	o.key_from_device = b_key(0x22);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_OFFER_CALL, .u.offer = &o});
	sccp_secure_wipe(&o, sizeof(o));
	b_pump();
}

/* ---------------------------------------------------------------------------------------------
 * Looking */

void b_mark(void)
{
	mark_trace = B.n_trace;
	mark_cm_acts = B.n_cm_acts;
	mark_port_acts = B.n_port_acts;
}

size_t b_count_cm_acts(enum cm_action_type t)
{
	size_t n = 0;
	for (size_t i = mark_cm_acts; i < B.n_cm_acts; i++)
		n += B.cm_acts[i].type == t;
	return n;
}

size_t b_count_port_acts(enum sccp_port_action_type t)
{
	size_t n = 0;
	for (size_t i = mark_port_acts; i < B.n_port_acts; i++)
		n += B.port_acts[i].type == t;
	return n;
}

const struct cm_device_action *b_find_cm_act(enum cm_action_type t)
{
	for (size_t i = mark_cm_acts; i < B.n_cm_acts; i++)
		if (B.cm_acts[i].type == t)
			return &B.cm_acts[i];
	return NULL;
}

const struct sccp_port_action *b_find_port_act(enum sccp_port_action_type t)
{
	for (size_t i = mark_port_acts; i < B.n_port_acts; i++)
		if (B.port_acts[i].type == t)
			return &B.port_acts[i];
	return NULL;
}

size_t b_count_msgs(bool to_cm, uint32_t id)
{
	size_t n = 0;
	for (size_t i = mark_trace; i < B.n_trace; i++)
		n += B.trace[i].to_cm == to_cm && B.trace[i].id == id;
	return n;
}

void b_expect_trace(bool to_cm, const uint32_t *ids)
{
	size_t k = 0;
	for (size_t i = mark_trace; i < B.n_trace; i++) {
		if (B.trace[i].to_cm != to_cm)
			continue;
		if (ids[k] == END_IDS)
			fail_msg("%s sent extra message 0x%04x (%s) at position %zu", to_cm ? "port" : "CM",
			         B.trace[i].id, sccp_msg_name(B.trace[i].id), k);
		if (B.trace[i].id != ids[k])
			fail_msg("%s message %zu: 0x%04x (%s), expected 0x%04x (%s)", to_cm ? "port" : "CM",
			         k, B.trace[i].id, sccp_msg_name(B.trace[i].id), ids[k],
			         sccp_msg_name(ids[k]));
		k++;
	}
	if (ids[k] != END_IDS)
		fail_msg("%s never sent 0x%04x (%s), message %zu", to_cm ? "port" : "CM", ids[k],
		         sccp_msg_name(ids[k]), k);
}

void b_expect_clean(void)
{
	for (size_t i = 0; i < B.n_cm_acts; i++)
		if (B.cm_acts[i].type == CM_ACT_NOTE)
			fail_msg("CM noted: %s (msg 0x%04x, value %u)", B.cm_acts[i].u.note.what,
			         B.cm_acts[i].u.note.msg_id, B.cm_acts[i].u.note.value);
	for (size_t i = 0; i < B.n_port_acts; i++)
		if (B.port_acts[i].type == PORT_ACT_NOTE)
			fail_msg("port noted: %s (msg 0x%04x, value %u)", B.port_acts[i].u.note.what,
			         B.port_acts[i].u.note.msg_id, B.port_acts[i].u.note.value);
	assert_int_equal(B.cm.stats.ignored, 0);
	assert_int_equal(B.port.stats.ignored, 0);
	assert_int_equal(B.cm.stats.output_overflow, 0);
	assert_int_equal(B.port.stats.output_overflow, 0);
}
