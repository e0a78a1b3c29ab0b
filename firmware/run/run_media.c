/* What a port's call means for the media engine: open and start the channel with the keys from
 * SCCP, play the greeting, then a beep, then record the caller into the mailbox until the caller
 * hangs up, presses #, or the maximum length passes. Media events come back here and go on to the
 * port group (channel opened, digits, message saved → MWI on). Channel n is port n. */
#include "run.h"

#include "log.h"
#include "media/media.h"
#include "media/media_clip.h"
#include "media/media_srtp.h"
#include "ports/port_group.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum media_codec codec_of(uint32_t compression_type, bool *ok)
{
	*ok = true;
	switch (compression_type) {
	case 4: /* G.711 µ-law 64k */
		return MEDIA_CODEC_PCMU;
	case 2: /* G.711 A-law 64k */
		return MEDIA_CODEC_PCMA;
	default:
		*ok = false;
		return MEDIA_CODEC_PCMU;
	}
}

/* SCCP key block → engine key; the SCCP copy is wiped by the caller. */
static void key_of(const struct sccp_key_info *in, struct media_key *out)
{
	memset(out, 0, sizeof(*out));
	out->algorithm = in->algorithm;
	out->key_len = (uint8_t)in->key_len;
	out->salt_len = (uint8_t)in->salt_len;
	memcpy(out->key, in->key, in->key_len <= sizeof(in->key) ? in->key_len : 0);
	memcpy(out->salt, in->salt, in->salt_len <= MEDIA_SALT_MAX ? in->salt_len : 0);
}

static uint8_t dtmf_pt_of(uint32_t rfc2833_pt)
{
	/* CallManager sends 0 when it has no dynamic type for events (protocol.md §3.6): use 101. */
	return rfc2833_pt >= 96 && rfc2833_pt <= 127 ? (uint8_t)rfc2833_pt : 101;
}

/* A mailbox extension becomes a directory name: digits, *, # and + only. */
static bool mailbox_safe(const char *mb)
{
	if (!mb[0])
		return false;
	for (const char *p = mb; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '#' || *p == '+'))
			return false;
	}
	return true;
}

static void start_recording(struct vm_run *r, unsigned ch)
{
	struct vm_run_call *c = &r->calls[ch];
	const char *box = mailbox_safe(c->mailbox) ? c->mailbox : "unaddressed";
	char dir[VMPORT_PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/%s", r->cfg.messages_dir, box);
	int rc = vm_run_make_dirs(dir);
	if (rc < 0) {
		LOGE("media", "%s: cannot create mailbox directory %s: %s; the message is not recorded",
		     r->device_names[ch], dir, strerror(-rc));
		return;
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(c->path, sizeof(c->path), "%s/%04d%02d%02d-%02d%02d%02d-%s-%u.wav", dir, tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, r->device_names[ch],
	         c->call_reference);
	rc = media_record(r->media, ch, c->path, r->cfg.max_message_seconds * 1000u);
	if (rc < 0) {
		LOGE("media", "%s: cannot start recording %s: %s", r->device_names[ch], c->path,
		     strerror(-rc));
		return;
	}
	c->phase = VM_CALL_RECORDING;
}

void vm_run_media_action(void *arg, unsigned ch, const struct sccp_port_action *a)
{
	struct vm_run *r = arg;
	struct vm_run_call *c = &r->calls[ch];
	switch (a->type) {
	case PORT_ACT_OPEN_RX: {
		const struct sccp_port_media *m = &a->u.media;
		bool ok;
		struct media_open_req req = {.ptime_ms = (uint16_t)m->packet_ms,
		                             .dtmf_pt = dtmf_pt_of(m->rfc2833_payload_type)};
		req.codec = codec_of(m->codec, &ok);
		key_of(&m->key, &req.key);
		c->rx_pass_through = m->pass_through_party_id;
		if (!ok) {
			sccp_secure_wipe(&req, sizeof(req));
			uint8_t ip[4] = {0};
			vm_port_group_rx_opened(r->group, ch, m->pass_through_party_id,
			                        MEDIA_ERR_INVALID_CODEC, ip, 0);
			return;
		}
		char why[160];
		if (media_srtp_key_problem(&req.key, why, sizeof(why)) != MEDIA_OK) {
			LOGE("media", "%s: receive key refused: %s; answering EncDecFailed",
			     r->device_names[ch], why);
			sccp_secure_wipe(&req, sizeof(req));
			uint8_t ip[4] = {0};
			vm_port_group_rx_opened(r->group, ch, m->pass_through_party_id, MEDIA_ERR_CRYPTO, ip,
			                        0);
			return;
		}
		if (r->cfg.security_mode == VMPORT_ENCRYPTED && m->key.algorithm == 0)
			LOGW("media",
			     "%s: CallManager sent no SRTP key: this call's audio is plain RTP "
			     "(the far end is not encrypted)",
			     r->device_names[ch]);
		int rc = media_open(r->media, ch, &req); /* wipes req.key when queued */
		if (rc < 0) {
			sccp_secure_wipe(&req, sizeof(req));
			uint8_t ip[4] = {0};
			vm_port_group_rx_opened(r->group, ch, m->pass_through_party_id,
			                        rc == -EINVAL ? MEDIA_ERR_CRYPTO : MEDIA_ERR_UNKNOWN, ip, 0);
		}
		return;
	}
	case PORT_ACT_START_TX: {
		const struct sccp_port_media *m = &a->u.media;
		bool ok;
		struct media_tx_req req = {
		    .remote_port = (uint16_t)m->remote_port,
		    .ptime_ms = (uint16_t)m->packet_ms,
		    .tos = (uint8_t)m->precedence,
		    .dtmf_pt = dtmf_pt_of(m->rfc2833_payload_type),
		};
		memcpy(&req.remote_addr, m->remote_ip, 4);
		req.codec = codec_of(m->codec, &ok);
		key_of(&m->key, &req.key);
		char why[160];
		if (media_srtp_key_problem(&req.key, why, sizeof(why)) != MEDIA_OK) {
			LOGE("media", "%s: transmit key refused: %s; not transmitting", r->device_names[ch],
			     why);
			sccp_secure_wipe(&req, sizeof(req));
			return;
		}
		int rc = media_start_tx(r->media, ch, &req);
		if (rc < 0)
			LOGE("media", "%s: cannot start transmitting: %s", r->device_names[ch],
			     strerror(-rc));
		return;
	}
	case PORT_ACT_STOP_TX:
		media_stop_tx(r->media, ch);
		return;
	case PORT_ACT_CLOSE_RX:
		if (c->phase == VM_CALL_RECORDING)
			c->phase = VM_CALL_SAVING;
		media_close(r->media, ch); /* saves a recording in progress */
		return;
	case PORT_ACT_PLAY_GREETING:
		memset(c, 0, sizeof(*c));
		c->active = true;
		c->call_reference = a->u.call.call_reference;
		snprintf(c->mailbox, sizeof(c->mailbox), "%s", a->u.call.mailbox);
		c->phase = VM_CALL_GREETING;
		if (r->greeting && media_play(r->media, ch, r->greeting, false) == 0)
			return;
		c->phase = VM_CALL_BEEP;
		if (r->beep && media_play(r->media, ch, r->beep, false) == 0)
			return;
		start_recording(r, ch);
		return;
	case PORT_ACT_RECORD:
		/* The state machine says what to record; the recording itself starts after the
		 * greeting and the beep (MEDIA_EV_PLAY_DONE). */
		snprintf(c->mailbox, sizeof(c->mailbox), "%s", a->u.call.mailbox);
		return;
	case PORT_ACT_DIGIT:
		if (a->u.digit.digit == '#' && c->active) {
			LOGI("media", "%s: caller pressed #: ending the message", r->device_names[ch]);
			if (c->phase == VM_CALL_RECORDING) {
				media_stop_record(r->media, ch, true);
				c->phase = VM_CALL_SAVING;
			}
			vm_port_group_hangup(r->group, ch);
		}
		return;
	case PORT_ACT_CALL_ENDED:
		if (c->phase == VM_CALL_RECORDING) {
			media_stop_record(r->media, ch, true);
			c->phase = VM_CALL_SAVING;
		}
		c->active = false;
		return;
	default:
		return;
	}
}

static void on_media_event(struct vm_run *r, const struct media_event *ev)
{
	unsigned ch = ev->ch;
	if (ch >= r->cfg.ports)
		return;
	struct vm_run_call *c = &r->calls[ch];
	const char *dev = r->device_names[ch];
	switch (ev->type) {
	case MEDIA_EV_OPENED: {
		uint8_t ip[4];
		vm_port_group_local_ip(r->group, ch, ip);
		if (ev->u.opened.status != MEDIA_OK)
			LOGE("media", "%s: cannot open the receive channel: %s", dev,
			     media_status_name(ev->u.opened.status));
		vm_port_group_rx_opened(r->group, ch, c->rx_pass_through, (uint32_t)ev->u.opened.status, ip,
		                        ev->u.opened.local_port);
		return;
	}
	case MEDIA_EV_DTMF:
		vm_port_group_dtmf(r->group, ch, ev->u.dtmf.digit);
		return;
	case MEDIA_EV_PLAY_DONE:
		if (!c->active)
			return;
		if (c->phase == VM_CALL_GREETING) {
			c->phase = VM_CALL_BEEP;
			if (r->beep && media_play(r->media, ch, r->beep, false) == 0)
				return;
		}
		if (c->phase == VM_CALL_BEEP)
			start_recording(r, ch);
		return;
	case MEDIA_EV_RECORD_SAVED:
		LOGI("media", "%s: message saved for mailbox %s: %s (%u.%03u s)", dev,
		     c->mailbox[0] ? c->mailbox : "(none: direct call)", ev->u.rec.path,
		     ev->u.rec.duration_ms / 1000, ev->u.rec.duration_ms % 1000);
		r->messages_saved++;
		vm_port_group_message_saved(r->group, ch, mailbox_safe(c->mailbox) ? c->mailbox : NULL);
		if (c->active && c->phase == VM_CALL_RECORDING &&
		    ev->u.rec.duration_ms + 100 >= r->cfg.max_message_seconds * 1000u) {
			LOGI("media", "%s: maximum message length reached: hanging up", dev);
			vm_port_group_hangup(r->group, ch);
		}
		c->phase = VM_CALL_DONE;
		return;
	case MEDIA_EV_RECORD_FAILED:
		LOGE("media", "%s: message for mailbox %s NOT saved: %s: %s (earlier messages are untouched)",
		     dev, c->mailbox[0] ? c->mailbox : "(none)", ev->u.rec.path, ev->u.rec.reason);
		r->messages_failed++;
		c->phase = VM_CALL_DONE;
		return;
	case MEDIA_EV_CLOSED:
		r->srtp_auth_failures += ev->u.stats.auth_failures;
		r->rtp_rx_packets += ev->u.stats.rx_packets;
		r->rtp_tx_packets += ev->u.stats.tx_packets;
		r->last_stats[ch] = ev->u.stats;
		LOGI("media", "%s: media closed: %llu packets sent, %llu received, %u auth failures, %u lost",
		     dev, (unsigned long long)ev->u.stats.tx_packets,
		     (unsigned long long)ev->u.stats.rx_packets, ev->u.stats.auth_failures, ev->u.stats.lost);
		return;
	case MEDIA_EV_MONITOR_FAILED:
		LOGE("monitor",
		     "%s: the monitor device failed: %s; monitoring stopped (vmport monitor PORT "
		     "tries again)",
		     dev, ev->u.monitor.error);
		return;
	case MEDIA_EV_REJECTED:
		LOGW("media", "%s: the media engine refused a command: %s", dev,
		     media_status_name(ev->u.status));
		return;
	default:
		return;
	}
}

static void on_media_fd(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct vm_run *r = h->arg;
	uint64_t n;
	ssize_t ignored = read(h->fd, &n, sizeof(n));
	(void)ignored;
	struct media_event ev;
	while (media_poll_event(r->media, &ev) == 1)
		on_media_event(r, &ev);
}

int vm_run_media_attach(struct vm_run *r)
{
	r->media_fd = (struct vm_fd){.fd = media_event_fd(r->media), .cb = on_media_fd, .arg = r};
	return vm_loop_add(&r->loop, &r->media_fd, EPOLLIN);
}
