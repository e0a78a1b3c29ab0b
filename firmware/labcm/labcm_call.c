/* The test caller: `vmport labcm call --from 2002 --to 1001 --forward-to-voicemail` rings a free
 * port with a forwarded CallInfo (protocol.md §3.3), gives both directions fresh SRTP keys when
 * the port is Encrypted (§4.5), hangs up after the requested time and keeps the result until the
 * client has read it. */
#include "labcm/labcm_internal.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "clock/hal_clock.h"

#define LOG_COMP "labcm"
#define REDIRECT_FORWARD_NO_ANSWER 2u /* CDR code (protocol.md §3.3) */

const char *labcm_call_state_name(enum labcm_call_state s)
{
	switch (s) {
	case LABCM_CALL_FREE:
		return "free";
	case LABCM_CALL_RINGING:
		return "ringing";
	case LABCM_CALL_ANSWERED:
		return "answered";
	case LABCM_CALL_ENDED:
		return "ended";
	}
	return "?";
}

size_t labcm_calls_up(const struct labcm *lab)
{
	size_t n = 0;
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++)
		n += lab->calls[i].state == LABCM_CALL_RINGING || lab->calls[i].state == LABCM_CALL_ANSWERED;
	return n;
}

struct labcm_call *labcm_call_find(struct labcm *lab, uint32_t id)
{
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++)
		if (lab->calls[i].state != LABCM_CALL_FREE && lab->calls[i].id == id)
			return &lab->calls[i];
	return NULL;
}

/* A free slot, or the oldest finished call whose result was read, or the oldest finished one. */
static struct labcm_call *call_slot(struct labcm *lab)
{
	struct labcm_call *best = NULL;
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++) {
		struct labcm_call *c = &lab->calls[i];
		if (c->state == LABCM_CALL_FREE)
			return c;
		if (c->state != LABCM_CALL_ENDED)
			continue;
		if (!best || (c->result_read && !best->result_read) ||
		    (c->result_read == best->result_read && c->ended_ms < best->ended_ms))
			best = c;
	}
	return best;
}

static bool number_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= LABCM_NUMBER_MAX && strspn(s, "0123456789*#") == n;
}

/* A registered, idle port: round robin so successive calls spread over the ports. */
static struct labcm_device *free_port(struct labcm *lab)
{
	for (size_t k = 0; k < lab->n_devices; k++) {
		size_t i = (lab->next_port_hint + k) % lab->n_devices;
		struct labcm_device *d = &lab->devices[i];
		if (d->conn && cm_device_idle(&d->conn->cm)) {
			lab->next_port_hint = i + 1;
			return d;
		}
	}
	return NULL;
}

static uint16_t next_rtp_port(struct labcm *lab)
{
	uint16_t lo = (uint16_t)(lab->cfg.caller_rtp_min + (lab->cfg.caller_rtp_min & 1u));
	if (lab->next_rtp_port < lo || lab->next_rtp_port + 1u > lab->cfg.caller_rtp_max)
		lab->next_rtp_port = lo;
	uint16_t p = lab->next_rtp_port;
	lab->next_rtp_port = (uint16_t)(p + 2u);
	return p;
}

static int random_key(struct sccp_key_info *k)
{
	memset(k, 0, sizeof(*k));
	k->algorithm = SCCP_ALG_AES_CM_128_HMAC_SHA1_32;
	k->key_len = 16;
	k->salt_len = 14;
	uint8_t buf[30];
	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return -EIO;
	memcpy(k->key, buf, 16);
	memcpy(k->salt, buf + 16, 14);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static void on_call_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	struct labcm_call *call = t->arg;
	labcm_call_hangup(call->lab, call);
}

struct labcm_call *labcm_call_place(struct labcm *lab, const char *from, const char *to, bool forwarded,
                                    unsigned seconds, const char *play, const char *record, char *err,
                                    size_t cap)
{
	if (!number_ok(from) || !number_ok(to)) {
		snprintf(err, cap, "--from and --to must be 1 to %d digits", LABCM_NUMBER_MAX);
		return NULL;
	}
	struct labcm_device *dev;
	if (forwarded) {
		dev = free_port(lab);
		if (!dev) {
			snprintf(err, cap, "no registered port is free (%zu of %zu registered)",
			         lab->registered, lab->n_devices);
			return NULL;
		}
	} else {
		dev = labcm_dir_by_dn(lab, to);
		if (!dev) {
			snprintf(err, cap,
			         "no device has DN %s (--forward-to-voicemail reaches any free port)", to);
			return NULL;
		}
		if (!dev->conn || !cm_device_idle(&dev->conn->cm)) {
			snprintf(err, cap, "%s (DN %s) is %s", dev->def.name, to,
			         dev->conn ? "busy" : "not registered");
			return NULL;
		}
	}
	struct labcm_call *call = call_slot(lab);
	if (!call) {
		snprintf(err, cap, "%d calls are up already", LABCM_MAX_CALLS);
		return NULL;
	}
	if (call->timer.armed)
		vm_timer_cancel(&lab->loop, &call->timer);
	memset(call, 0, sizeof(*call));
	call->lab = lab;
	call->timer = (struct vm_timer){.cb = on_call_timer, .arg = call};
	lab->call_seq = (lab->call_seq + 1u) & 0x7FFFFFFFu;
	if (lab->call_seq == 0)
		lab->call_seq = 1;
	call->id = LABCM_TEST_CALL_REF | lab->call_seq;
	call->device_index = (uint32_t)(dev - lab->devices);
	snprintf(call->device_name, sizeof(call->device_name), "%s", dev->def.name);
	snprintf(call->from, sizeof(call->from), "%s", from);
	snprintf(call->to, sizeof(call->to), "%s", to);
	snprintf(call->play, sizeof(call->play), "%s", play ? play : "");
	snprintf(call->record, sizeof(call->record), "%s", record ? record : "");
	call->forwarded = forwarded;
	call->seconds = seconds;
	call->caller_port = next_rtp_port(lab);
	call->state = LABCM_CALL_RINGING;
	call->offered_ms = hal_clock_now_ms();

	struct cm_call_offer offer;
	memset(&offer, 0, sizeof(offer));
	offer.call_reference = call->id;
	offer.call_type = forwarded ? SCCP_CALL_FORWARD : SCCP_CALL_INBOUND;
	snprintf(offer.calling, sizeof(offer.calling), "%s", from);
	snprintf(offer.calling_name, sizeof(offer.calling_name), "labcm caller %s", from);
	if (forwarded) {
		snprintf(offer.called, sizeof(offer.called), "%s", dev->def.dn);
		snprintf(offer.original_called, sizeof(offer.original_called), "%s", to);
		snprintf(offer.last_redirecting, sizeof(offer.last_redirecting), "%s", to);
		offer.redirect_reason = REDIRECT_FORWARD_NO_ANSWER;
	} else {
		snprintf(offer.called, sizeof(offer.called), "%s", to);
	}
	struct in_addr a;
	inet_pton(AF_INET, lab->cfg.caller_rtp_ip, &a);
	memcpy(offer.caller_ip, &a.s_addr, 4);
	offer.caller_port = call->caller_port;
	/* Without a media engine the caller sends nothing, so it asks for no SRTP either. */
	offer.srtp = false;
	if (offer.srtp && (random_key(&offer.key_to_device) < 0 || random_key(&offer.key_from_device) < 0)) {
		explicit_bzero(&offer, sizeof(offer));
		call->state = LABCM_CALL_FREE;
		snprintf(err, cap, "no random bytes for the SRTP keys");
		return NULL;
	}
	LOGI(LOG_COMP, "call %08x: %s → %s%s: ringing %s (DN %s)", call->id, from, to,
	     forwarded ? " forwarded to voicemail" : "", dev->def.name, dev->def.dn);
	struct cm_device_event ev = {.type = CM_EV_OFFER_CALL, .u.offer = &offer};
	labcm_conn_event(dev->conn, &ev);
	explicit_bzero(&offer, sizeof(offer));
	return call;
}

void labcm_call_hangup(struct labcm *lab, struct labcm_call *call)
{
	if (call->state != LABCM_CALL_RINGING && call->state != LABCM_CALL_ANSWERED)
		return;
	struct labcm_device *dev = &lab->devices[call->device_index];
	if (!dev->conn) { /* the device went away; its CALL_ENDED has been handled */
		labcm_call_on_ended(lab, call->id, CM_CALL_END_DEVICE_LOST);
		return;
	}
	struct cm_device_event ev = {.type = CM_EV_HANGUP, .u.call_reference = call->id};
	labcm_conn_event(dev->conn, &ev);
}

void labcm_call_on_answered(struct labcm *lab, uint32_t call_ref)
{
	struct labcm_call *call = labcm_call_find(lab, call_ref);
	if (!call || call->state != LABCM_CALL_RINGING)
		return;
	call->state = LABCM_CALL_ANSWERED;
	call->answered_ms = hal_clock_now_ms();
	LOGI(LOG_COMP, "call %08x: answered by %s after %llu ms", call->id, call->device_name,
	     (unsigned long long)(call->answered_ms - call->offered_ms));
	vm_timer_arm_at(&lab->loop, &call->timer, call->answered_ms + (uint64_t)call->seconds * 1000u);
}

void labcm_call_on_media(struct labcm *lab, uint32_t call_ref, const uint8_t ip[4], uint16_t port,
                         bool encrypted)
{
	struct labcm_call *call = labcm_call_find(lab, call_ref);
	if (!call || call->state != LABCM_CALL_ANSWERED)
		return;
	memcpy(call->device_ip, ip, 4);
	call->device_port = port;
	call->encrypted = encrypted;
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, ip, addr, sizeof(addr));
	LOGI(LOG_COMP, "call %08x: %s receives on %s:%u (%s)", call->id, call->device_name, addr, port,
	     encrypted ? "SRTP" : "RTP");
}

void labcm_call_on_ended(struct labcm *lab, uint32_t call_ref, enum cm_call_end reason)
{
	struct labcm_call *call = labcm_call_find(lab, call_ref);
	if (!call || call->state == LABCM_CALL_ENDED)
		return;
	vm_timer_cancel(&lab->loop, &call->timer);
	call->state = LABCM_CALL_ENDED;
	call->end_reason = reason;
	call->ended_ms = hal_clock_now_ms();
	uint64_t dur = call->answered_ms ? call->ended_ms - call->answered_ms : 0;
	LOGI(LOG_COMP, "call %08x: ended (%s) after %llu ms connected; packets to port %llu, from port %llu",
	     call->id, cm_call_end_text(reason), (unsigned long long)dur,
	     (unsigned long long)call->tx_packets, (unsigned long long)call->rx_packets);
}
