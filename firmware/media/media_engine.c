/* The media engine: its thread and absolute grid, the command and event queues, and the
 * control-side API. The packet path is in media_channel.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock/hal_clock.h"
#include "g711/g711.h"
#include "log.h"
#include "media_internal.h"

#define LOG_COMP "media"

const char *media_status_name(int status)
{
	switch (status) {
	case MEDIA_OK:
		return "ok";
	case MEDIA_ERR_UNKNOWN:
		return "unknown error";
	case MEDIA_ERR_NO_CHANNELS:
		return "no channel available";
	case MEDIA_ERR_INVALID_PARTY:
		return "channel not open";
	case MEDIA_ERR_INVALID_CODEC:
		return "invalid codec";
	case MEDIA_ERR_INVALID_PACKET_SIZE:
		return "invalid packet size";
	case MEDIA_ERR_OUT_OF_SOCKETS:
		return "out of sockets";
	case MEDIA_ERR_CRYPTO:
		return "encryption suite or key refused";
	default:
		return "?";
	}
}

const char *media_event_name(int type)
{
	static const char *const names[] = {
	    [MEDIA_EV_OPENED] = "opened",
	    [MEDIA_EV_TX_STARTED] = "tx-started",
	    [MEDIA_EV_TX_STOPPED] = "tx-stopped",
	    [MEDIA_EV_CLOSED] = "closed",
	    [MEDIA_EV_STATS] = "stats",
	    [MEDIA_EV_DTMF] = "dtmf",
	    [MEDIA_EV_DIGITS_SENT] = "digits-sent",
	    [MEDIA_EV_PLAY_DONE] = "play-done",
	    [MEDIA_EV_RECORD_STARTED] = "record-started",
	    [MEDIA_EV_RECORD_SAVED] = "record-saved",
	    [MEDIA_EV_RECORD_FAILED] = "record-failed",
	    [MEDIA_EV_RECORD_DISCARDED] = "record-discarded",
	    [MEDIA_EV_REJECTED] = "rejected",
	    [MEDIA_EV_MONITOR_FAILED] = "monitor-failed",
	};
	if (type < 0 || (size_t)type >= sizeof(names) / sizeof(names[0]) || names[type] == NULL)
		return "?";
	return names[type];
}

void media_engine_config_defaults(struct media_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_channels = 64;
	cfg->bind_addr = 0;
	cfg->port_min = 16384;
	cfg->port_max = 32766;
	cfg->rt_backend = "linux";
	cfg->rt.priority = 0;
	cfg->rt.cpu = -1;
	cfg->rt.lock_memory = false;
	cfg->rt.stack_prefault = 64 * 1024;
	cfg->jitter_min_ms = 40;
	cfg->jitter_max_ms = 200;
	cfg->rtcp_interval_ms = 5000;
	cfg->slot_fill = MEDIA_SLOT_FILL;
	cfg->cname = "vmport";
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 2;
	while (p < n)
		p <<= 1;
	return p;
}

/* Jitter-buffer capacity (frames) for a packet size: room for the maximum depth plus slack. */
unsigned media_jitter_capacity(const struct media_engine_config *cfg, unsigned ptime_ms)
{
	unsigned max_frames = (cfg->jitter_max_ms + ptime_ms - 1) / ptime_ms;
	size_t cap = pow2_at_least(max_frames + 2);
	return cap > JITTER_MAX_CAPACITY ? JITTER_MAX_CAPACITY : (unsigned)cap;
}

uint64_t media_engine_slot_ns(const struct media_engine *e, uint64_t slot)
{
	return e->t0_ns + slot * MEDIA_SLOT_NS;
}

/* ---- lifecycle ---- */

int media_engine_create(const struct media_engine_config *cfg, struct media_engine **out)
{
	char err[128];
	int rc;

	if (cfg->max_channels == 0 || cfg->max_channels > 65535 || cfg->jitter_min_ms == 0 ||
	    cfg->jitter_max_ms < cfg->jitter_min_ms || cfg->port_max < cfg->port_min + 1)
		return -EINVAL;
	const struct hal_rt_ops *rt_ops = hal_rt_find(cfg->rt_backend);
	if (rt_ops == NULL) {
		LOGE(LOG_COMP, "unknown real-time backend \"%s\"", cfg->rt_backend);
		return -EINVAL;
	}
	if (media_srtp_self_test(err, sizeof(err)) != 0) {
		LOGE(LOG_COMP, "SRTP self-test failed: %s; secure media is unusable", err);
		return -EIO;
	}
	LOGI(LOG_COMP, "SRTP self-test passed (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM known answers); %s",
	     media_srtp_implementation());

	struct media_engine *e = aligned_alloc(SPSC_CACHE_LINE, (sizeof(*e) + SPSC_CACHE_LINE - 1) /
	                                                            SPSC_CACHE_LINE * SPSC_CACHE_LINE);
	if (e == NULL)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	snprintf(e->cname, sizeof(e->cname), "%s", cfg->cname ? cfg->cname : "vmport");
	e->cfg.cname = e->cname;
	e->rt_ops = rt_ops;
	e->event_fd = -1;
	e->rtcp_epfd = -1;
	atomic_init(&e->stop, false);
	atomic_init(&e->timing_reset, false);
	atomic_init(&e->tid, 0);
	e->mon.ch = -1;
	e->mon.ctl_ch = -1;
	e->port_cursor = (uint16_t)(cfg->port_min + (cfg->port_min & 1u));

	unsigned n = cfg->max_channels;
	size_t per = 0;
	for (unsigned p = MEDIA_PTIME_MIN; p <= MEDIA_PTIME_MAX; p += 10) {
		size_t need = JITTER_STORAGE_SAMPLES(media_jitter_capacity(cfg, p), p * 8u);
		if (need > per)
			per = need;
	}
	e->jitter_samples_per_ch = per;
	size_t cmd_cap = pow2_at_least(n < 32 ? 64 : 2 * (size_t)n);
	size_t ev_cap = pow2_at_least(n < 16 ? 64 : 4 * (size_t)n);
	e->ch = calloc(n, sizeof(*e->ch));
	e->jitter_mem = calloc(per * n, sizeof(int16_t));
	e->cmdq_mem = calloc(cmd_cap, sizeof(struct media_cmd));
	e->evq_mem = calloc(ev_cap, sizeof(struct media_event));
	e->ctl_clip = calloc(n, sizeof(*e->ctl_clip));
	e->retire_cap = cmd_cap;
	e->retire = calloc(cmd_cap, sizeof(*e->retire));
	if (e->ch == NULL || e->jitter_mem == NULL || e->cmdq_mem == NULL || e->evq_mem == NULL ||
	    e->ctl_clip == NULL || e->retire == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	spsc_init(&e->cmdq, e->cmdq_mem, sizeof(struct media_cmd), cmd_cap);
	spsc_init(&e->evq, e->evq_mem, sizeof(struct media_event), ev_cap);
	for (unsigned i = 0; i < n; i++) {
		struct media_channel *c = &e->ch[i];
		c->index = i;
		c->state = MEDIA_CH_CLOSED;
		c->fd_rtp = -1;
		c->fd_rtcp = -1;
		c->jb_storage = e->jitter_mem + per * i;
	}
	for (unsigned i = 0; i < 256; i++) {
		e->ulaw_table[i] = g711_ulaw_to_linear((uint8_t)i);
		e->alaw_table[i] = g711_alaw_to_linear((uint8_t)i);
	}
	e->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->rtcp_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->event_fd < 0 || e->rtcp_epfd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Two blocks per channel (one filling, one being written) and some slack for a slow disk. */
	rc = media_recorder_create(n, 2 * (size_t)n + 32, e->event_fd, &e->rec);
	if (rc != 0)
		goto fail;
	*out = e;
	return 0;
fail:
	media_engine_destroy(e);
	return rc;
}

static void grid_insert(struct media_engine *e, struct media_channel *c, uint64_t slot)
{
	unsigned b = (unsigned)(slot % MEDIA_WHEEL);
	c->due_slot = slot;
	c->next = e->bucket[b];
	e->bucket[b] = c;
	e->bucket_load[b]++;
}

void media_grid_remove(struct media_engine *e, struct media_channel *c)
{
	unsigned b = (unsigned)(c->due_slot % MEDIA_WHEEL);
	for (struct media_channel **pp = &e->bucket[b]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			e->bucket_load[b]--;
			return;
		}
	}
}

void media_grid_place(struct media_engine *e, struct media_channel *c, uint16_t ptime_ms)
{
	c->ptime_ms = ptime_ms;
	c->frame_samples = (uint16_t)(ptime_ms * 8u);
	c->period_slots = (uint32_t)((uint64_t)ptime_ms * 1000000u / MEDIA_SLOT_NS);
	/* The phase within one period: fill slots up to cfg.slot_fill channels (each wake-up has
	 * a fixed cost, so a few channels should share one), then spread over the least loaded, so
	 * that no send waits long behind the others of its slot. */
	uint64_t fill = UINT64_MAX, least = e->next_slot;
	for (uint64_t s = e->next_slot; s < e->next_slot + c->period_slots; s++) {
		uint32_t load = e->bucket_load[s % MEDIA_WHEEL];
		if (load < e->cfg.slot_fill &&
		    (fill == UINT64_MAX || load > e->bucket_load[fill % MEDIA_WHEEL]))
			fill = s;
		if (load < e->bucket_load[least % MEDIA_WHEEL])
			least = s;
	}
	grid_insert(e, c, fill != UINT64_MAX ? fill : least);
}

/* ---- events (media thread) ---- */

struct media_event *media_event_push(struct media_engine *e, int type, uint32_t ch)
{
	struct media_event *ev = spsc_push_slot(&e->evq);
	if (ev == NULL) {
		e->local.events_dropped++;
		return NULL;
	}
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint16_t)type;
	ev->ch = ch;
	return ev;
}

void media_event_commit(struct media_engine *e)
{
	spsc_push_commit(&e->evq);
	e->events_pushed = true;
}

static void event_status(struct media_engine *e, int type, uint32_t ch, int status, uint16_t cmd)
{
	struct media_event *ev = media_event_push(e, type, ch);
	if (ev == NULL)
		return;
	ev->u.status = status;
	ev->cmd = cmd;
	media_event_commit(e);
}

/* ---- commands (media thread) ---- */

static void apply_command(struct media_engine *e, struct media_cmd *cmd)
{
	if (cmd->type == MEDIA_CMD_MONITOR) {
		media_monitor_select(e, cmd->u.monitor_ch);
		return;
	}
	if (cmd->ch >= e->cfg.max_channels)
		return;
	struct media_channel *c = &e->ch[cmd->ch];
	bool open = c->state == MEDIA_CH_OPEN;
	int status;

	switch (cmd->type) {
	case MEDIA_CMD_OPEN: {
		if (open)
			status = MEDIA_ERR_NO_CHANNELS;
		else
			status = media_channel_open(e, c, &cmd->u.open);
		struct media_event *ev = media_event_push(e, MEDIA_EV_OPENED, cmd->ch);
		if (ev != NULL) {
			ev->u.opened.status = status;
			ev->u.opened.local_port = status == MEDIA_OK ? c->local_port : 0;
			media_event_commit(e);
		}
		return;
	}
	case MEDIA_CMD_START_TX:
		status = open ? media_channel_start_tx(e, c, &cmd->u.tx) : MEDIA_ERR_INVALID_PARTY;
		event_status(e, MEDIA_EV_TX_STARTED, cmd->ch, status, cmd->type);
		return;
	default:
		break;
	}
	if (!open) {
		event_status(e, MEDIA_EV_REJECTED, cmd->ch, MEDIA_ERR_INVALID_PARTY, cmd->type);
		return;
	}
	switch (cmd->type) {
	case MEDIA_CMD_STOP_TX:
		media_channel_stop_tx(e, c);
		event_status(e, MEDIA_EV_TX_STOPPED, cmd->ch, MEDIA_OK, cmd->type);
		break;
	case MEDIA_CMD_CLOSE:
		media_channel_close(e, c);
		break;
	case MEDIA_CMD_PLAY:
		c->clip = cmd->u.play.clip;
		c->clip_pos = 0;
		c->clip_loop = cmd->u.play.loop;
		break;
	case MEDIA_CMD_STOP_PLAY:
		c->clip = NULL;
		break;
	case MEDIA_CMD_RECORD:
		media_channel_record(e, c, cmd->u.record.path, cmd->u.record.max_ms);
		break;
	case MEDIA_CMD_STOP_RECORD:
		if (c->rec_active)
			media_channel_stop_record(e, c, cmd->u.keep);
		else
			event_status(e, MEDIA_EV_REJECTED, cmd->ch, MEDIA_ERR_INVALID_PARTY, cmd->type);
		break;
	case MEDIA_CMD_DIGITS:
		if (!c->tx_on || cmd->u.digits[0] == '\0') {
			event_status(e, MEDIA_EV_REJECTED, cmd->ch, MEDIA_ERR_INVALID_PARTY, cmd->type);
			break;
		}
		memcpy(c->digits, cmd->u.digits, sizeof(c->digits));
		c->n_digits = (uint8_t)strnlen(c->digits, MEDIA_DIGITS_MAX);
		c->digit_idx = 0;
		c->dtmf_tick = 0;
		c->dtmf_active = true;
		break;
	case MEDIA_CMD_STATS: {
		struct media_event *ev = media_event_push(e, MEDIA_EV_STATS, cmd->ch);
		if (ev != NULL) {
			media_channel_fill_stats(c, &ev->u.stats);
			media_event_commit(e);
		}
		if (cmd->u.clear)
			media_channel_clear_stats(c);
		break;
	}
	}
}

static void process_commands(struct media_engine *e, uint64_t start_ns)
{
	struct media_cmd *cmd;
	unsigned n = 0;
	while ((cmd = spsc_pop_slot(&e->cmdq)) != NULL) {
		apply_command(e, cmd);
		/* The slot may have carried a key: nothing of it survives the release. */
		explicit_bzero(cmd, sizeof(*cmd));
		spsc_pop_release(&e->cmdq);
		if (++n >= MEDIA_CMD_BUDGET || hal_clock_now_ns() - start_ns > MEDIA_CMD_BUDGET_NS)
			break;
	}
}

/* ---- the grid (media thread) ---- */

/* Send for every channel due in `slot` and put each back on the grid one period later; queue
 * their receive work. Nothing else happens between the sends of a slot. */
static void send_slot(struct media_engine *e, uint64_t slot, uint64_t now_slot)
{
	unsigned b = (unsigned)(slot % MEDIA_WHEEL);
	struct media_channel *list = e->bucket[b];
	if (list == NULL)
		return;
	e->bucket[b] = NULL;
	e->bucket_load[b] = 0;

	uint64_t due_ns = media_engine_slot_ns(e, slot);
	struct media_channel *next;
	for (struct media_channel *c = list; c != NULL; c = next) {
		next = c->next;
		if (c->tx_on)
			media_channel_tx(e, c, due_ns);
		uint64_t due = slot + c->period_slots;
		if (now_slot >= due + (uint64_t)MEDIA_MAX_BEHIND * c->period_slots) {
			/* The thread was stalled for several periods: skip ahead rather than burst. */
			uint64_t k = (now_slot - due) / c->period_slots;
			due += k * c->period_slots;
			if (c->tx_on) {
				c->ts += (uint32_t)(k * c->frame_samples);
				c->st.tx_skipped += (uint32_t)k;
				e->local.tx_skipped += k;
			}
		}
		grid_insert(e, c, due);
		if (!c->rx_pending) {
			c->rx_pending = true;
			c->rx_slot = slot;
			c->rx_next = NULL;
			if (e->rx_tail != NULL)
				e->rx_tail->rx_next = c;
			else
				e->rx_head = c;
			e->rx_tail = c;
		}
	}
}

/* Catch up with the grid: sends first, for every slot that is due; then receive work, one
 * channel at a time, looking at the clock in between so that a slot falling due meanwhile is
 * sent before the next channel is received. A send thus waits behind the other sends of its
 * slot and at most one channel's receive work, not behind a whole slot's. Bounded, so that an
 * overloaded thread still gets to its commands and its stop flag. */
static void run_grid(struct media_engine *e, uint64_t start_ns)
{
	for (;;) {
		uint64_t now = hal_clock_now_ns();
		uint64_t now_slot = now >= e->t0_ns ? (now - e->t0_ns) / MEDIA_SLOT_NS : 0;
		while (e->next_slot <= now_slot) {
			send_slot(e, e->next_slot, now_slot);
			e->next_slot++;
		}
		struct media_channel *c = e->rx_head;
		if (c == NULL || now - start_ns > MEDIA_GRID_BUDGET_NS)
			return;
		e->rx_head = c->rx_next;
		if (e->rx_head == NULL)
			e->rx_tail = NULL;
		c->rx_pending = false;
		if (c->state == MEDIA_CH_OPEN)
			media_channel_rx(e, c, now, c->rx_slot);
	}
}

static uint64_t next_due_slot(const struct media_engine *e)
{
	for (uint64_t s = e->next_slot; s < e->next_slot + MEDIA_WHEEL; s++) {
		if (e->bucket[s % MEDIA_WHEEL] != NULL)
			return s;
	}
	return UINT64_MAX;
}

static void poll_rtcp(struct media_engine *e, uint64_t now_ns)
{
	struct epoll_event evs[64];
	int n = epoll_wait(e->rtcp_epfd, evs, 64, 0);
	for (int i = 0; i < n; i++) {
		uint32_t idx = evs[i].data.u32;
		if (idx < e->cfg.max_channels && e->ch[idx].state == MEDIA_CH_OPEN)
			media_channel_rtcp_input(e, &e->ch[idx], now_ns);
	}
}

static void publish(struct media_engine *e)
{
	struct media_totals_pub *p = &e->pub;
	const struct media_totals *l = &e->local;
	atomic_store_explicit(&p->wakes, l->wakes, memory_order_relaxed);
	atomic_store_explicit(&p->tx_packets, l->tx_packets, memory_order_relaxed);
	atomic_store_explicit(&p->rx_packets, l->rx_packets, memory_order_relaxed);
	atomic_store_explicit(&p->auth_failures, l->auth_failures, memory_order_relaxed);
	atomic_store_explicit(&p->replay_drops, l->replay_drops, memory_order_relaxed);
	atomic_store_explicit(&p->late, l->late, memory_order_relaxed);
	atomic_store_explicit(&p->lost, l->lost, memory_order_relaxed);
	atomic_store_explicit(&p->send_errors, l->send_errors, memory_order_relaxed);
	atomic_store_explicit(&p->tx_skipped, l->tx_skipped, memory_order_relaxed);
	atomic_store_explicit(&p->events_dropped, l->events_dropped, memory_order_relaxed);
	atomic_store_explicit(&p->channels_open, l->channels_open, memory_order_relaxed);
}

static void signal_control(struct media_engine *e)
{
	if (!e->events_pushed)
		return;
	e->events_pushed = false;
	uint64_t one = 1;
	ssize_t n = write(e->event_fd, &one, sizeof(one));
	(void)n;
}

static void *media_main(void *arg)
{
	struct media_engine *e = arg;
	struct hal_rt_result res;
	char desc[192];

	pthread_setname_np(pthread_self(), "vmport-media");
	atomic_store_explicit(&e->tid, (int)gettid(), memory_order_release);
	/* Start-up, before the first deadline: the only place this thread logs. */
	int rc = hal_rt_apply(e->rt_ops, &e->cfg.rt, &res);
	hal_rt_describe(&e->cfg.rt, &res, desc, sizeof(desc));
	if (rc != 0)
		LOGW(LOG_COMP, "real-time scheduling not allowed: %s; the media thread runs anyway", desc);
	else
		LOGI(LOG_COMP, "media thread: %s, %u channels, %u ms RTCP", desc, e->cfg.max_channels,
		     e->cfg.rtcp_interval_ms);

	uint64_t now = hal_clock_now_ns();
	e->t0_ns = (now / MEDIA_SLOT_NS + 1) * MEDIA_SLOT_NS;
	e->next_slot = 0;
	e->rtcp_poll_ns = e->t0_ns;
	uint64_t deadline = e->t0_ns;
	bool slot_due = false;

	while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
		hal_rt_sleep_until_ns(deadline);
		now = hal_clock_now_ns();
		if (atomic_load_explicit(&e->timing_reset, memory_order_acquire)) {
			media_hist_reset(&e->send_hist);
			media_hist_reset(&e->wake_hist);
			atomic_store_explicit(&e->timing_reset, false, memory_order_release);
			slot_due = false;
		}
		if (slot_due)
			media_hist_add(&e->wake_hist, (int64_t)(now - deadline));
		e->local.wakes++;

		run_grid(e, now);
		process_commands(e, hal_clock_now_ns());
		if (now >= e->rtcp_poll_ns) {
			poll_rtcp(e, now);
			e->rtcp_poll_ns = now + MEDIA_RTCP_POLL_NS;
		}
		publish(e);
		media_recorder_kick(e->rec);
		signal_control(e);

		uint64_t s = next_due_slot(e);
		uint64_t idle = now + MEDIA_IDLE_SLOTS * MEDIA_SLOT_NS;
		if (e->rx_head != NULL) { /* receive work left over: come straight back */
			deadline = now;
			slot_due = false;
		} else if (s != UINT64_MAX && media_engine_slot_ns(e, s) <= idle) {
			deadline = media_engine_slot_ns(e, s);
			slot_due = true;
		} else {
			deadline = idle;
			slot_due = false;
		}
	}

	/* Stopping: close what is open (recordings are saved), then let the writer finish. */
	for (unsigned i = 0; i < e->cfg.max_channels; i++) {
		if (e->ch[i].state == MEDIA_CH_OPEN)
			media_channel_close(e, &e->ch[i]);
	}
	media_monitor_quiet(e);
	publish(e);
	media_recorder_kick(e->rec);
	signal_control(e);
	return NULL;
}

int media_engine_start(struct media_engine *e)
{
	int rc = media_recorder_start(e->rec);
	if (rc != 0)
		return rc;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	/* Small and explicit: with mlockall(MCL_FUTURE) every stack page is resident. */
	pthread_attr_setstacksize(&attr, 512 * 1024);
	atomic_store(&e->stop, false);
	rc = pthread_create(&e->thread, &attr, media_main, e);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		media_recorder_stop(e->rec);
		return -rc;
	}
	e->running = true;
	e->have_thread_clock = pthread_getcpuclockid(e->thread, &e->thread_clock) == 0;
	return 0;
}

static void release_all_clips(struct media_engine *e)
{
	while (e->retire_head != e->retire_tail) {
		media_clip_unref(e->retire[e->retire_head % e->retire_cap].clip);
		e->retire_head++;
	}
	for (unsigned i = 0; i < e->cfg.max_channels; i++) {
		if (e->ctl_clip[i] != NULL) {
			media_clip_unref(e->ctl_clip[i]);
			e->ctl_clip[i] = NULL;
		}
	}
}

void media_engine_stop(struct media_engine *e)
{
	if (!e->running)
		return;
	atomic_store_explicit(&e->stop, true, memory_order_release);
	pthread_join(e->thread, NULL);
	e->running = false;
	e->have_thread_clock = false;
	atomic_store_explicit(&e->tid, 0, memory_order_release);
	media_recorder_stop(e->rec);
	/* The media thread is gone: no clip is in use any more. */
	release_all_clips(e);
}

void media_engine_destroy(struct media_engine *e)
{
	if (e == NULL)
		return;
	media_engine_stop(e);
	if (e->ch != NULL) {
		for (unsigned i = 0; i < e->cfg.max_channels; i++) {
			struct media_channel *c = &e->ch[i];
			if (c->state == MEDIA_CH_OPEN) { /* created but never started */
				media_srtp_destroy(&c->srtp_rx);
				media_srtp_destroy(&c->srtp_tx);
				if (c->fd_rtp >= 0)
					close(c->fd_rtp);
				if (c->fd_rtcp >= 0)
					close(c->fd_rtcp);
			}
		}
	}
	/* Commands never applied may still hold keys and clip references. */
	if (e->cmdq_mem != NULL) {
		struct media_cmd *cmd;
		while ((cmd = spsc_pop_slot(&e->cmdq)) != NULL) {
			explicit_bzero(cmd, sizeof(*cmd));
			spsc_pop_release(&e->cmdq);
		}
	}
	if (e->retire != NULL && e->ctl_clip != NULL)
		release_all_clips(e);
	media_recorder_destroy(e->rec);
	if (e->event_fd >= 0)
		close(e->event_fd);
	if (e->rtcp_epfd >= 0)
		close(e->rtcp_epfd);
	free(e->ch);
	free(e->jitter_mem);
	free(e->cmdq_mem);
	free(e->evq_mem);
	free(e->ctl_clip);
	free(e->retire);
	free(e);
}

/* ---- control side ---- */

/* Let go of clips the media thread has finished with (their command has been consumed). */
static void collect(struct media_engine *e)
{
	size_t consumed = spsc_consumed(&e->cmdq);
	while (e->retire_head != e->retire_tail && e->retire[e->retire_head % e->retire_cap].seq < consumed) {
		media_clip_unref(e->retire[e->retire_head % e->retire_cap].clip);
		e->retire_head++;
	}
}

static void retire_clip(struct media_engine *e, unsigned ch, size_t seq)
{
	if (e->ctl_clip[ch] == NULL)
		return;
	/* At most one entry per queued command, and the queue holds retire_cap commands. */
	struct media_retire *r = &e->retire[e->retire_tail % e->retire_cap];
	r->clip = e->ctl_clip[ch];
	r->seq = seq;
	e->retire_tail++;
	e->ctl_clip[ch] = NULL;
}

static struct media_cmd *cmd_begin(struct media_engine *e, unsigned ch, uint16_t type, int *rc)
{
	collect(e);
	if (ch >= e->cfg.max_channels) {
		*rc = -EINVAL;
		return NULL;
	}
	struct media_cmd *cmd = spsc_push_slot(&e->cmdq);
	if (cmd == NULL) {
		*rc = -EAGAIN;
		return NULL;
	}
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = type;
	cmd->ch = ch;
	*rc = 0;
	return cmd;
}

int media_open(struct media_engine *e, unsigned ch, struct media_open_req *req)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_OPEN, &rc);
	if (cmd == NULL)
		return rc;
	cmd->u.open = *req;
	spsc_push_commit(&e->cmdq);
	explicit_bzero(&req->key, sizeof(req->key));
	return 0;
}

int media_start_tx(struct media_engine *e, unsigned ch, struct media_tx_req *req)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_START_TX, &rc);
	if (cmd == NULL)
		return rc;
	cmd->u.tx = *req;
	spsc_push_commit(&e->cmdq);
	explicit_bzero(&req->key, sizeof(req->key));
	return 0;
}

static int simple_cmd(struct media_engine *e, unsigned ch, uint16_t type)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, type, &rc);
	if (cmd == NULL)
		return rc;
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_stop_tx(struct media_engine *e, unsigned ch)
{
	return simple_cmd(e, ch, MEDIA_CMD_STOP_TX);
}

int media_close(struct media_engine *e, unsigned ch)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_CLOSE, &rc);
	if (cmd == NULL)
		return rc;
	retire_clip(e, ch, spsc_produced(&e->cmdq));
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_play(struct media_engine *e, unsigned ch, struct media_clip *clip, bool loop)
{
	int rc;
	if (clip == NULL)
		return -EINVAL;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_PLAY, &rc);
	if (cmd == NULL)
		return rc;
	cmd->u.play.clip = clip;
	cmd->u.play.loop = loop;
	retire_clip(e, ch, spsc_produced(&e->cmdq));
	media_clip_ref(clip);
	e->ctl_clip[ch] = clip;
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_stop_play(struct media_engine *e, unsigned ch)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_STOP_PLAY, &rc);
	if (cmd == NULL)
		return rc;
	retire_clip(e, ch, spsc_produced(&e->cmdq));
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_record(struct media_engine *e, unsigned ch, const char *path, uint32_t max_ms)
{
	int rc;
	if (path == NULL || path[0] == '\0' || strlen(path) >= MEDIA_PATH_MAX)
		return -EINVAL;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_RECORD, &rc);
	if (cmd == NULL)
		return rc;
	snprintf(cmd->u.record.path, sizeof(cmd->u.record.path), "%s", path);
	cmd->u.record.max_ms = max_ms;
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_stop_record(struct media_engine *e, unsigned ch, bool keep)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_STOP_RECORD, &rc);
	if (cmd == NULL)
		return rc;
	cmd->u.keep = keep;
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_send_digits(struct media_engine *e, unsigned ch, const char *digits)
{
	int rc;
	if (digits == NULL || digits[0] == '\0' || strlen(digits) > MEDIA_DIGITS_MAX)
		return -EINVAL;
	for (const char *p = digits; *p; p++) {
		if (rfc2833_digit_to_event(*p) < 0)
			return -EINVAL;
	}
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_DIGITS, &rc);
	if (cmd == NULL)
		return rc;
	snprintf(cmd->u.digits, sizeof(cmd->u.digits), "%s", digits);
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_request_stats(struct media_engine *e, unsigned ch, bool clear)
{
	int rc;
	struct media_cmd *cmd = cmd_begin(e, ch, MEDIA_CMD_STATS, &rc);
	if (cmd == NULL)
		return rc;
	cmd->u.clear = clear;
	spsc_push_commit(&e->cmdq);
	return 0;
}

int media_monitor(struct media_engine *e, int ch)
{
	if (e->mon.dev == NULL)
		return -ENODEV;
	if (ch < -1 || (ch >= 0 && (unsigned)ch >= e->cfg.max_channels))
		return -EINVAL;
	int rc;
	/* The command is engine-wide; channel 0 only passes cmd_begin's range check. */
	struct media_cmd *cmd = cmd_begin(e, 0, MEDIA_CMD_MONITOR, &rc);
	if (cmd == NULL)
		return rc;
	cmd->u.monitor_ch = ch;
	spsc_push_commit(&e->cmdq);
	e->mon.ctl_ch = ch;
	return 0;
}

int media_poll_event(struct media_engine *e, struct media_event *ev)
{
	collect(e);
	struct media_event *slot = spsc_pop_slot(&e->evq);
	if (slot != NULL) {
		*ev = *slot;
		spsc_pop_release(&e->evq);
		if (ev->type == MEDIA_EV_MONITOR_FAILED && e->mon.ctl_ch == (int32_t)ev->ch)
			e->mon.ctl_ch = -1; /* the media thread has already let go of the channel */
		return 1;
	}
	return media_recorder_poll_event(e->rec, ev);
}

int media_event_fd(const struct media_engine *e)
{
	return e->event_fd;
}

void media_engine_totals(const struct media_engine *e, struct media_totals *out)
{
	const struct media_totals_pub *p = &e->pub;
	out->wakes = atomic_load_explicit(&p->wakes, memory_order_relaxed);
	out->tx_packets = atomic_load_explicit(&p->tx_packets, memory_order_relaxed);
	out->rx_packets = atomic_load_explicit(&p->rx_packets, memory_order_relaxed);
	out->auth_failures = atomic_load_explicit(&p->auth_failures, memory_order_relaxed);
	out->replay_drops = atomic_load_explicit(&p->replay_drops, memory_order_relaxed);
	out->late = atomic_load_explicit(&p->late, memory_order_relaxed);
	out->lost = atomic_load_explicit(&p->lost, memory_order_relaxed);
	out->send_errors = atomic_load_explicit(&p->send_errors, memory_order_relaxed);
	out->tx_skipped = atomic_load_explicit(&p->tx_skipped, memory_order_relaxed);
	out->events_dropped = atomic_load_explicit(&p->events_dropped, memory_order_relaxed);
	out->channels_open = atomic_load_explicit(&p->channels_open, memory_order_relaxed);
}

uint64_t media_engine_thread_cpu_ns(const struct media_engine *e)
{
	struct timespec ts;
	if (!e->have_thread_clock || clock_gettime(e->thread_clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int media_engine_thread_tid(const struct media_engine *e)
{
	return atomic_load_explicit(&e->tid, memory_order_acquire);
}

void media_engine_timing_reset(struct media_engine *e)
{
	atomic_store_explicit(&e->timing_reset, true, memory_order_release);
}

void media_engine_timing(const struct media_engine *e, struct media_hist *send, struct media_hist *wake)
{
	if (send != NULL)
		*send = e->send_hist;
	if (wake != NULL)
		*wake = e->wake_hist;
}

const void *media_engine_cmd_storage(const struct media_engine *e, size_t *len)
{
	return spsc_storage(&e->cmdq, len);
}
