/* The test caller: `vmport labcm call --from 2002 --to 1001 --forward-to-voicemail` rings a free
 * port with a forwarded CallInfo (protocol.md §3.3), gives both directions fresh SRTP keys when
 * the port is Encrypted (§4.5), plays a WAV and records what it hears through the media engine
 * (firmware/media), hangs up after the requested time and keeps the result (duration, packets
 * each way) until the client has read it.
 *
 *   place ─► OPENING (media_open: our receive side, key_from_device)
 *        ─► RINGING (offer to the port)  ─► ANSWERED (hang-up timer)
 *        ─► media ready: media_start_tx (key_to_device), play, record
 *        ─► CLOSING (media_close; counters and the recording come back) ─► ENDED
 * Without a media engine the caller only signals (no packets, no SRTP). */
#include "labcm/labcm_internal.h"

#include "log.h"
#include "media/media.h"
#include "media/media_clip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock/hal_clock.h"

#define LOG_COMP "labcm"
#define REDIRECT_FORWARD_NO_ANSWER 2u /* CDR code (protocol.md §3.3) */
#define DTMF_PT 101
#define CLOSE_WAIT_MS 5000 /* media counters and recording: give up waiting after this */

const char *labcm_call_state_name(enum labcm_call_state s)
{
	switch (s) {
	case LABCM_CALL_FREE:
		return "free";
	case LABCM_CALL_OPENING:
		return "opening";
	case LABCM_CALL_RINGING:
		return "ringing";
	case LABCM_CALL_ANSWERED:
		return "answered";
	case LABCM_CALL_CLOSING:
		return "closing";
	case LABCM_CALL_ENDED:
		return "ended";
	}
	return "?";
}

static bool call_up(const struct labcm_call *c)
{
	return c->state == LABCM_CALL_OPENING || c->state == LABCM_CALL_RINGING ||
	       c->state == LABCM_CALL_ANSWERED || c->state == LABCM_CALL_CLOSING;
}

size_t labcm_calls_up(const struct labcm *lab)
{
	size_t n = 0;
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++)
		n += call_up(&lab->calls[i]);
	return n;
}

struct labcm_call *labcm_call_find(struct labcm *lab, uint32_t id)
{
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++)
		if (lab->calls[i].state != LABCM_CALL_FREE && lab->calls[i].id == id)
			return &lab->calls[i];
	return NULL;
}

static unsigned call_channel(const struct labcm *lab, const struct labcm_call *c)
{
	return (unsigned)(c - lab->calls);
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

static bool port_free(const struct labcm_device *d)
{
	return d->conn && !d->reserved && cm_device_idle(&d->conn->cm);
}

/* A registered, idle port: round robin so successive calls spread over the ports. */
static struct labcm_device *free_port(struct labcm *lab)
{
	for (size_t k = 0; k < lab->n_devices; k++) {
		size_t i = (lab->next_port_hint + k) % lab->n_devices;
		struct labcm_device *d = &lab->devices[i];
		if (port_free(d)) {
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

/* SCCP key block → engine key (the engine wipes its copy; the caller wipes the SCCP one). */
static void media_key_of(const struct sccp_key_info *in, bool srtp, struct media_key *out)
{
	memset(out, 0, sizeof(*out));
	if (!srtp)
		return;
	out->algorithm = in->algorithm;
	out->key_len = (uint8_t)in->key_len;
	out->salt_len = (uint8_t)in->salt_len;
	memcpy(out->key, in->key, in->key_len <= 16 ? in->key_len : 16);
	memcpy(out->salt, in->salt, in->salt_len <= MEDIA_SALT_MAX ? in->salt_len : MEDIA_SALT_MAX);
}

static void wipe_keys(struct labcm_call *call)
{
	explicit_bzero(&call->key_to_device, sizeof(call->key_to_device));
	explicit_bzero(&call->key_from_device, sizeof(call->key_from_device));
}

/* ---------------------------------------------------------------------------------------------
 * End of a call */

static void call_finish(struct labcm *lab, struct labcm_call *call)
{
	vm_timer_cancel(&lab->loop, &call->timer);
	wipe_keys(call);
	if (call->clip) {
		media_clip_unref(call->clip);
		call->clip = NULL;
	}
	call->state = LABCM_CALL_ENDED;
	call->ended_ms = hal_clock_now_ms();
	uint64_t dur = call->answered_ms ? call->ended_ms - call->answered_ms : 0;
	LOGI(LOG_COMP,
	     "call %08x: ended (%s) after %llu ms connected; packets to port %llu, from port %llu, %u SRTP "
	     "auth "
	     "failures%s%s",
	     call->id, cm_call_end_text(call->end_reason), (unsigned long long)dur,
	     (unsigned long long)call->tx_packets, (unsigned long long)call->rx_packets, call->auth_failures,
	     call->record_result[0] ? "; " : "", call->record_result);
}

/* The call is over at SCCP (or never got there): close the media and wait for its counters. */
static void call_end(struct labcm *lab, struct labcm_call *call, enum cm_call_end reason)
{
	if (!call_up(call) || call->state == LABCM_CALL_CLOSING)
		return;
	vm_timer_cancel(&lab->loop, &call->timer);
	lab->devices[call->device_index].reserved = false;
	call->end_reason = reason;
	if (!call->media_open) {
		call_finish(lab, call);
		return;
	}
	call->state = LABCM_CALL_CLOSING;
	call->ended_ms = hal_clock_now_ms();
	if (media_close(lab->media, call_channel(lab, call)) < 0)
		LOGW(LOG_COMP, "call %08x: media close not queued; counters may be missing", call->id);
	vm_timer_arm_in(&lab->loop, &call->timer, CLOSE_WAIT_MS);
}

static void maybe_finish(struct labcm *lab, struct labcm_call *call)
{
	if (call->state == LABCM_CALL_CLOSING && !call->media_open && !call->record_pending)
		call_finish(lab, call);
}

static void on_call_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	struct labcm_call *call = t->arg;
	struct labcm *lab = call->lab;
	if (call->state == LABCM_CALL_CLOSING) {
		LOGW(LOG_COMP, "call %08x: the media engine did not report the channel closed in %d ms",
		     call->id, CLOSE_WAIT_MS);
		call->media_open = call->record_pending = false;
		call_finish(lab, call);
		return;
	}
	labcm_call_hangup(lab, call);
}

/* ---------------------------------------------------------------------------------------------
 * Ringing the port */

static void call_offer(struct labcm *lab, struct labcm_call *call)
{
	struct labcm_device *dev = &lab->devices[call->device_index];
	dev->reserved = false;
	if (!dev->conn) {
		LOGW(LOG_COMP, "call %08x: %s unregistered before it could ring", call->id, dev->def.name);
		call_end(lab, call, CM_CALL_END_BUSY);
		return;
	}
	struct cm_call_offer offer;
	memset(&offer, 0, sizeof(offer));
	offer.call_reference = call->id;
	offer.call_type = call->forwarded ? SCCP_CALL_FORWARD : SCCP_CALL_INBOUND;
	snprintf(offer.calling, sizeof(offer.calling), "%s", call->from);
	snprintf(offer.calling_name, sizeof(offer.calling_name), "labcm caller %s", call->from);
	if (call->forwarded) {
		snprintf(offer.called, sizeof(offer.called), "%s", dev->def.dn);
		snprintf(offer.original_called, sizeof(offer.original_called), "%s", call->to);
		snprintf(offer.last_redirecting, sizeof(offer.last_redirecting), "%s", call->to);
		offer.redirect_reason = REDIRECT_FORWARD_NO_ANSWER;
	} else {
		snprintf(offer.called, sizeof(offer.called), "%s", call->to);
	}
	struct in_addr a;
	inet_pton(AF_INET, lab->cfg.caller_rtp_ip, &a);
	memcpy(offer.caller_ip, &a.s_addr, 4);
	offer.caller_port = call->caller_port;
	offer.srtp = call->srtp;
	offer.key_to_device = call->key_to_device;
	offer.key_from_device = call->key_from_device;
	explicit_bzero(&call->key_from_device, sizeof(call->key_from_device)); /* the engine has it */
	call->state = LABCM_CALL_RINGING;
	call->offered_ms = hal_clock_now_ms();
	LOGI(LOG_COMP, "call %08x: %s → %s%s: ringing %s (DN %s), caller RTP %s:%u", call->id, call->from,
	     call->to, call->forwarded ? " forwarded to voicemail" : "", dev->def.name, dev->def.dn,
	     lab->cfg.caller_rtp_ip, call->caller_port);
	struct cm_device_event ev = {.type = CM_EV_OFFER_CALL, .u.offer = &offer};
	labcm_conn_event(dev->conn, &ev);
	explicit_bzero(&offer, sizeof(offer));
}

struct labcm_call *labcm_call_place(struct labcm *lab, const char *from, const char *to, bool forwarded,
                                    unsigned seconds, const char *play, const char *record, char *err,
                                    size_t cap)
{
	if (!number_ok(from) || !number_ok(to)) {
		snprintf(err, cap, "--from and --to must be 1 to %d digits", LABCM_NUMBER_MAX);
		return NULL;
	}
	if ((play || record) && !lab->media) {
		snprintf(err, cap, "this labcm has no media engine: --play and --record are not available");
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
		if (!port_free(dev)) {
			snprintf(err, cap, "%s (DN %s) is %s", dev->def.name, to,
			         dev->conn ? "busy" : "not registered");
			return NULL;
		}
	}
	struct media_clip *clip = NULL;
	if (play) {
		char why[512];
		if (media_clip_load_wav(play, &clip, why, sizeof(why)) < 0) {
			snprintf(err, cap, "--play: %s", why);
			return NULL;
		}
	}
	struct labcm_call *call = call_slot(lab);
	if (!call) {
		if (clip)
			media_clip_unref(clip);
		snprintf(err, cap, "%d calls are up already", LABCM_MAX_CALLS);
		return NULL;
	}
	vm_timer_cancel(&lab->loop, &call->timer);
	memset(call, 0, sizeof(*call));
	call->lab = lab;
	call->timer = (struct vm_timer){.cb = on_call_timer, .arg = call};
	call->clip = clip;
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
	call->offered_ms = hal_clock_now_ms();

	if (!lab->media) {
		call->caller_port = next_rtp_port(lab); /* named in the signalling; nothing listens */
		call_offer(lab, call);
		return call;
	}
	/* Fresh master keys, one per direction (§4.5). The device uses them only if it is Encrypted on
	 * an encrypting TLS connection; otherwise the call is plain RTP both ways. */
	call->srtp = dev->def.security == CM_SECURITY_ENCRYPTED && dev->conn->tls != NULL;
	if (call->srtp && (random_key(&call->key_to_device) < 0 || random_key(&call->key_from_device) < 0)) {
		wipe_keys(call);
		call->srtp = false;
		LOGW(LOG_COMP, "call %08x: no random bytes for SRTP keys: the call goes without", call->id);
	}
	struct media_open_req req = {
	    .local_port = 0, .ptime_ms = 20, .codec = MEDIA_CODEC_PCMU, .dtmf_pt = DTMF_PT};
	media_key_of(&call->key_from_device, call->srtp, &req.key); /* we decrypt what the port sends */
	int rc = media_open(lab->media, call_channel(lab, call), &req);
	explicit_bzero(&req, sizeof(req));
	if (rc < 0) {
		wipe_keys(call);
		if (clip)
			media_clip_unref(clip);
		call->clip = NULL;
		call->state = LABCM_CALL_FREE;
		snprintf(err, cap, "media channel not opened: %s", strerror(-rc));
		return NULL;
	}
	call->media_open = true;
	call->state = LABCM_CALL_OPENING;
	dev->reserved = true;
	return call;
}

void labcm_call_hangup(struct labcm *lab, struct labcm_call *call)
{
	if (call->state == LABCM_CALL_OPENING) {
		call_end(lab, call, CM_CALL_END_CALLER_HANGUP);
		return;
	}
	if (call->state != LABCM_CALL_RINGING && call->state != LABCM_CALL_ANSWERED)
		return;
	struct labcm_device *dev = &lab->devices[call->device_index];
	if (!dev->conn) { /* the device went away; its CALL_ENDED has been handled */
		call_end(lab, call, CM_CALL_END_DEVICE_LOST);
		return;
	}
	struct cm_device_event ev = {.type = CM_EV_HANGUP, .u.call_reference = call->id};
	labcm_conn_event(dev->conn, &ev);
}

/* ---------------------------------------------------------------------------------------------
 * From the port's signalling */

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
	if (!lab->media || !call->media_open)
		return;
	unsigned ch = call_channel(lab, call);
	struct media_tx_req tx = {
	    .remote_addr = 0,
	    .remote_port = port,
	    .ptime_ms = 20,
	    .tos = 0xB8,
	    .dtmf_pt = DTMF_PT,
	    .codec = MEDIA_CODEC_PCMU,
	};
	memcpy(&tx.remote_addr, ip, 4);
	/* The port decrypts with the key of its OpenReceiveChannel: that is what we encrypt with. */
	media_key_of(&call->key_to_device, encrypted, &tx.key);
	explicit_bzero(&call->key_to_device, sizeof(call->key_to_device));
	if (media_start_tx(lab->media, ch, &tx) < 0)
		LOGW(LOG_COMP, "call %08x: media transmission not started", call->id);
	explicit_bzero(&tx, sizeof(tx));
	if (call->clip && media_play(lab->media, ch, call->clip, false) < 0)
		LOGW(LOG_COMP, "call %08x: %s not played", call->id, call->play);
	if (call->record[0]) {
		if (media_record(lab->media, ch, call->record, call->seconds * 1000u + 1000u) == 0)
			call->record_pending = true;
		else
			LOGW(LOG_COMP, "call %08x: recording to %s not started", call->id, call->record);
	}
}

void labcm_call_on_ended(struct labcm *lab, uint32_t call_ref, enum cm_call_end reason)
{
	struct labcm_call *call = labcm_call_find(lab, call_ref);
	if (call)
		call_end(lab, call, reason);
}

/* ---------------------------------------------------------------------------------------------
 * From the media engine */

void labcm_call_on_media_event(struct labcm *lab, const struct media_event *ev)
{
	if (ev->ch >= LABCM_MAX_CALLS)
		return;
	struct labcm_call *call = &lab->calls[ev->ch];
	switch (ev->type) {
	case MEDIA_EV_OPENED:
		if (call->state != LABCM_CALL_OPENING) {
			if (call->state == LABCM_CALL_CLOSING)
				return; /* hung up while opening: the close follows */
			return;
		}
		if (ev->u.opened.status != MEDIA_OK) {
			LOGW(LOG_COMP, "call %08x: the caller's media channel did not open: %s", call->id,
			     media_status_name(ev->u.opened.status));
			call->media_open = false;
			call_end(lab, call, CM_CALL_END_MEDIA_FAILED);
			return;
		}
		call->caller_port = ev->u.opened.local_port;
		call_offer(lab, call);
		return;
	case MEDIA_EV_CLOSED:
		call->tx_packets = ev->u.stats.tx_packets;
		call->rx_packets = ev->u.stats.rx_packets;
		call->auth_failures = ev->u.stats.auth_failures;
		call->media_open = false;
		maybe_finish(lab, call);
		return;
	case MEDIA_EV_RECORD_SAVED:
		snprintf(call->record_result, sizeof(call->record_result), "recorded %.1f s to %.*s",
		         ev->u.rec.duration_ms / 1000.0, 200, ev->u.rec.path);
		call->record_pending = false;
		maybe_finish(lab, call);
		return;
	case MEDIA_EV_RECORD_FAILED:
	case MEDIA_EV_RECORD_DISCARDED:
		snprintf(call->record_result, sizeof(call->record_result), "recording %.*s failed: %.60s",
		         180, ev->u.rec.path,
		         ev->type == MEDIA_EV_RECORD_FAILED ? ev->u.rec.reason : "discarded");
		call->record_pending = false;
		maybe_finish(lab, call);
		return;
	case MEDIA_EV_REJECTED:
		LOGW(LOG_COMP, "call %08x: the media engine refused a command: %s", call->id,
		     media_status_name(ev->u.status));
		return;
	case MEDIA_EV_DTMF:
		LOGI(LOG_COMP, "call %08x: the port sent DTMF '%c'", call->id, ev->u.dtmf.digit);
		return;
	default:
		return;
	}
}

static void on_media_fd(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct labcm *lab = h->arg;
	uint64_t n;
	ssize_t ignored = read(h->fd, &n, sizeof(n));
	(void)ignored;
	struct media_event ev;
	while (media_poll_event(lab->media, &ev) == 1)
		labcm_call_on_media_event(lab, &ev);
}

int labcm_call_media_open(struct labcm *lab, char *err, size_t cap)
{
	struct media_engine_config mc;
	media_engine_config_defaults(&mc);
	mc.max_channels = LABCM_MAX_CALLS;
	struct in_addr a;
	inet_pton(AF_INET, lab->cfg.caller_rtp_ip, &a);
	mc.bind_addr = a.s_addr;
	mc.port_min = lab->cfg.caller_rtp_min;
	mc.port_max = lab->cfg.caller_rtp_max;
	mc.cname = lab->cfg.server_name;
	int rc = media_engine_create(&mc, &lab->media);
	if (rc < 0) {
		snprintf(err, cap, "media engine: %s", strerror(-rc));
		return rc;
	}
	if ((rc = media_engine_start(lab->media)) < 0) {
		snprintf(err, cap, "media engine start: %s", strerror(-rc));
		return rc;
	}
	lab->media_fd = (struct vm_fd){.fd = media_event_fd(lab->media), .cb = on_media_fd, .arg = lab};
	if ((rc = vm_loop_add(&lab->loop, &lab->media_fd, EPOLLIN)) < 0) {
		snprintf(err, cap, "media engine events: %s", strerror(-rc));
		return rc;
	}
	LOGI(LOG_COMP, "test caller media: RTP/SRTP from %s, ports %u-%u, %d channels",
	     lab->cfg.caller_rtp_ip, lab->cfg.caller_rtp_min, lab->cfg.caller_rtp_max, LABCM_MAX_CALLS);
	return 0;
}

void labcm_call_media_close(struct labcm *lab)
{
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++) {
		struct labcm_call *c = &lab->calls[i];
		wipe_keys(c);
		if (c->clip) {
			media_clip_unref(c->clip);
			c->clip = NULL;
		}
	}
	if (!lab->media)
		return;
	if (lab->media_fd.fd >= 0 && lab->loop.epfd >= 0)
		vm_loop_remove(&lab->loop, &lab->media_fd);
	media_engine_stop(lab->media); /* saves recordings still open */
	struct media_event ev;
	while (media_poll_event(lab->media, &ev) == 1)
		if (ev.type == MEDIA_EV_RECORD_SAVED)
			LOGI(LOG_COMP, "recording saved at shutdown: %s", ev.u.rec.path);
	media_engine_destroy(lab->media);
	lab->media = NULL;
}
