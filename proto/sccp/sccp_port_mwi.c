/* Message-waiting indication by dialling (protocol.md §5.2, §9.3; the sequence is UNCONFIRMED):
 * the port goes off hook *as the subscriber* (OffHookWithCgpn, calling party = extension), dials
 * the port group's MWI On or Off number, and hangs up once CallManager shows call progress or a
 * timer runs out. Requests that arrive while the line is busy wait in a small queue. */
#include "sccp_port_internal.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Queue (a ring of SCCP_PORT_MWI_QUEUE requests) */

static struct sccp_port_mwi_request *queue_at(struct sccp_port *p, size_t i)
{
	return &p->mwi_queue[(p->mwi_head + i) % SCCP_PORT_MWI_QUEUE];
}

static void queue_push_back(struct sccp_port *p, const struct sccp_port_mwi_request *req)
{
	*queue_at(p, p->mwi_count) = *req;
	p->mwi_count++;
}

static void queue_push_front(struct sccp_port *p, const struct sccp_port_mwi_request *req)
{
	p->mwi_head = (p->mwi_head + SCCP_PORT_MWI_QUEUE - 1) % SCCP_PORT_MWI_QUEUE;
	p->mwi_queue[p->mwi_head] = *req;
	p->mwi_count++;
}

static void queue_pop_front(struct sccp_port *p, struct sccp_port_mwi_request *req)
{
	*req = p->mwi_queue[p->mwi_head];
	p->mwi_head = (p->mwi_head + 1) % SCCP_PORT_MWI_QUEUE;
	p->mwi_count--;
}

/* ---------------------------------------------------------------------------------------------
 * Helpers */

static void mwi_report(struct sccp_port *p, struct sccp_port_output *out,
                       const struct sccp_port_mwi_request *req, enum sccp_port_mwi_result result,
                       uint32_t last_call_state)
{
	p->stats.mwi_done++;
	struct sccp_port_action *a = port_act(p, out, PORT_ACT_MWI_DONE);
	if (!a)
		return;
	/* Field by field: an invalid request may hold strings without their NUL. */
	port_strcpy(a->u.mwi_done.request.extension, sizeof(a->u.mwi_done.request.extension), req->extension);
	port_strcpy(a->u.mwi_done.request.dial, sizeof(a->u.mwi_done.request.dial), req->dial);
	a->u.mwi_done.request.on = req->on;
	a->u.mwi_done.result = result;
	a->u.mwi_done.last_call_state = last_call_state;
}

/* D→C KeypadButton codes (§3.6): 0x0–0x9, A–D 0x0A–0x0D, '*' 0x0E, '#' 0x0F, '+' 0x10.
 * Returns -1 for a character no key carries. */
static int keypad_code(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'D')
		return 0x0A + (c - 'A');
	switch (c) {
	case '*':
		return 0x0E;
	case '#':
		return 0x0F;
	case '+':
		return 0x10;
	default:
		return -1;
	}
}

/* 1–24 dialable characters: 24 is the number field at every header version below V18. */
static bool dialable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == 0 || n > SCCP_DN_LEN || n == cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (keypad_code(s[i]) < 0)
			return false;
	return true;
}

/* ---------------------------------------------------------------------------------------------
 * The MWI call */

static void mwi_start_next(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	queue_pop_front(p, &p->mwi.req);
	p->mwi.phase = SCCP_MWI_PHASE_OFFHOOK;
	p->mwi.has_call_reference = false;
	p->mwi.call_reference = 0;
	p->mwi.next_digit = 0;
	p->mwi.last_call_state = 0;
	p->state = SCCP_PORT_MWI;

	/* The subscriber's extension as calling party: CallManager applies the MWI On/Off number to
	 * the line whose number calls it (§5.2). It also goes in cgpnVoiceMailbox, as the mailbox. */
	struct sccp_msg *m = port_send(p, out, SCCP_OFFHOOK_WITH_CGPN);
	if (m) {
		port_strcpy(m->u.offhook_cgpn.calling_party, sizeof(m->u.offhook_cgpn.calling_party),
		            p->mwi.req.extension);
		port_strcpy(m->u.offhook_cgpn.cgpn_voice_mailbox,
		            sizeof(m->u.offhook_cgpn.cgpn_voice_mailbox), p->mwi.req.extension);
		m->u.offhook_cgpn.line_instance = 1;
	}
	port_arm(p, SCCP_TIMER_MWI, now_ms + p->cfg.mwi_dial_delay_ms);
}

static void mwi_wait_progress(struct sccp_port *p, uint64_t now_ms)
{
	p->mwi.phase = SCCP_MWI_PHASE_PROGRESS;
	port_arm(p, SCCP_TIMER_MWI, now_ms + p->cfg.mwi_hangup_ms);
}

/* KeypadButtons, one per digit: back to back when mwi_digit_gap_ms is 0 (as many as the output
 * holds; the rest at the next timer event), else one per gap. */
static void mwi_send_digits(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	const char *dial = p->mwi.req.dial;
	size_t len = strnlen(dial, sizeof(p->mwi.req.dial));
	while (p->mwi.next_digit < len) {
		if (out->n_msgs >= SCCP_PORT_MAX_MSGS) {
			port_arm(p, SCCP_TIMER_MWI, now_ms);
			return;
		}
		struct sccp_msg *m = port_send(p, out, SCCP_KEYPAD_BUTTON);
		if (!m)
			return;
		m->u.keypad.button = (uint32_t)keypad_code(dial[p->mwi.next_digit]);
		m->u.keypad.has_call = p->mwi.has_call_reference;
		m->u.keypad.line_instance = 1;
		m->u.keypad.call_reference = p->mwi.call_reference;
		p->mwi.next_digit++;
		if (p->cfg.mwi_digit_gap_ms && p->mwi.next_digit < len) {
			port_arm(p, SCCP_TIMER_MWI, now_ms + p->cfg.mwi_digit_gap_ms);
			return;
		}
	}
	mwi_wait_progress(p, now_ms);
}

static void mwi_dial(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	if (p->cfg.mwi_dial == SCCP_MWI_ENBLOC) {
		struct sccp_msg *m = port_send(p, out, SCCP_ENBLOC_CALL);
		if (m) {
			port_strcpy(m->u.enbloc.called_party, sizeof(m->u.enbloc.called_party),
			            p->mwi.req.dial);
			m->u.enbloc.has_line_instance = true;
			m->u.enbloc.line_instance = 1;
		}
		mwi_wait_progress(p, now_ms);
		return;
	}
	p->mwi.phase = SCCP_MWI_PHASE_DIGITS;
	mwi_send_digits(p, now_ms, out);
}

static void mwi_remember_call(struct sccp_port *p)
{
	if (!p->mwi.has_call_reference)
		return;
	p->has_last_call = true;
	p->last_call_reference = p->mwi.call_reference;
}

static void mwi_finish(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out,
                       enum sccp_port_mwi_result result, bool send_onhook)
{
	if (send_onhook)
		port_send_onhook(p, out, p->mwi.has_call_reference, 1, p->mwi.call_reference);
	mwi_report(p, out, &p->mwi.req, result, p->mwi.last_call_state);
	mwi_remember_call(p);
	p->mwi.phase = SCCP_MWI_PHASE_NONE;
	port_disarm(p, SCCP_TIMER_MWI);
	port_became_idle(p, now_ms);
}

/* ---------------------------------------------------------------------------------------------
 * Entry points */

void port_mwi_submit(struct sccp_port *p, const struct sccp_port_mwi_request *req, uint64_t now_ms,
                     struct sccp_port_output *out)
{
	if (!dialable(req->extension, sizeof(req->extension)) || !dialable(req->dial, sizeof(req->dial))) {
		mwi_report(p, out, req, SCCP_MWI_INVALID, 0);
		return;
	}
	/* Only the latest lamp state of an extension matters: a newer request replaces a queued one. */
	for (size_t i = 0; i < p->mwi_count; i++) {
		struct sccp_port_mwi_request *q = queue_at(p, i);
		if (strcmp(q->extension, req->extension) == 0) {
			mwi_report(p, out, q, SCCP_MWI_DROPPED, 0);
			*q = *req;
			return;
		}
	}
	if (p->mwi_count == SCCP_PORT_MWI_QUEUE) {
		mwi_report(p, out, req, SCCP_MWI_DROPPED, 0);
		return;
	}
	queue_push_back(p, req);
	if (p->state == SCCP_PORT_IDLE)
		mwi_start_next(p, now_ms, out);
}

void port_mwi_on_timer(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out)
{
	switch (p->mwi.phase) {
	case SCCP_MWI_PHASE_NONE:
		if (p->state == SCCP_PORT_IDLE && p->mwi_count > 0)
			mwi_start_next(p, now_ms, out);
		return;
	case SCCP_MWI_PHASE_OFFHOOK:
		mwi_dial(p, now_ms, out); /* no CallState(OffHook) came: dial anyway */
		return;
	case SCCP_MWI_PHASE_DIGITS:
		mwi_send_digits(p, now_ms, out);
		return;
	case SCCP_MWI_PHASE_PROGRESS:
		mwi_finish(p, now_ms, out, SCCP_MWI_NO_ANSWER, true);
		return;
	}
}

void port_mwi_on_call_state(struct sccp_port *p, const struct sccp_call_state *cs, uint64_t now_ms,
                            struct sccp_port_output *out)
{
	uint32_t ref = cs->call_reference;
	if (p->has_last_call && ref == p->last_call_reference)
		return; /* the tail of the call before */
	if (cs->call_state == SCCP_CS_RINGIN) {
		port_note(p, out, "call offered while dialling MWI: ignored", SCCP_CALL_STATE, ref);
		return;
	}
	if (!p->mwi.has_call_reference) {
		if (ref == 0)
			return; /* line-level state, not our call */
		p->mwi.has_call_reference = true;
		p->mwi.call_reference = ref;
	} else if (ref != p->mwi.call_reference) {
		return;
	}
	p->mwi.last_call_state = cs->call_state;

	bool dialled = p->mwi.phase != SCCP_MWI_PHASE_OFFHOOK;
	switch (cs->call_state) {
	case SCCP_CS_OFFHOOK:
		if (!dialled)
			mwi_dial(p, now_ms, out);
		return;
	case SCCP_CS_RINGOUT:
	case SCCP_CS_PROCEED:
	case SCCP_CS_CONNECTED:
		if (dialled)
			mwi_finish(p, now_ms, out, SCCP_MWI_DIALLED, true);
		return;
	case SCCP_CS_BUSY:
	case SCCP_CS_CONGESTION:
	case SCCP_CS_INVALID_NUMBER:
		mwi_finish(p, now_ms, out, SCCP_MWI_REFUSED, true);
		return;
	case SCCP_CS_ONHOOK:
	case SCCP_CS_IDLE:
		/* CallManager cleared the call itself: after dialling that is how an MWI number may end. */
		mwi_finish(p, now_ms, out, dialled ? SCCP_MWI_DIALLED : SCCP_MWI_REFUSED, false);
		return;
	default:
		return;
	}
}

void port_mwi_abort(struct sccp_port *p, struct sccp_port_output *out, bool send_onhook)
{
	if (p->mwi.phase == SCCP_MWI_PHASE_NONE)
		return;
	if (send_onhook)
		port_send_onhook(p, out, p->mwi.has_call_reference, 1, p->mwi.call_reference);
	mwi_remember_call(p);
	if (p->mwi_count < SCCP_PORT_MWI_QUEUE)
		queue_push_front(p, &p->mwi.req);
	else
		mwi_report(p, out, &p->mwi.req, SCCP_MWI_DROPPED, p->mwi.last_call_state);
	p->mwi.phase = SCCP_MWI_PHASE_NONE;
	port_disarm(p, SCCP_TIMER_MWI);
}
