/* The call monitor: one channel's call on the board's codec output, what the caller says and
 * what the port plays mixed, so that someone at the bench hears the call as a listener on the
 * line would.
 *
 * Media thread. The hooks run only for the monitored channel (one comparison on every other
 * packet): the send keeps a linear copy of the frame it sent, the receive pass mixes it with the
 * frame the jitter buffer played out and hands the sum to hal_audio_write, which never waits
 * (a frame the device has no room for is dropped and counted by the HAL). The device is started
 * by the channel's first frame and stopped when the channel closes or another is chosen: between
 * calls it is quiet instead of underrunning every period. A device failure the HAL could not
 * recover from ends monitoring with one MEDIA_EV_MONITOR_FAILED event carrying its words; the
 * media thread itself never logs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audio/hal_audio.h"
#include "media_internal.h"

static void publish_counters(struct media_engine *e)
{
	struct media_monitor *m = &e->mon;
	const struct hal_audio_stats *st = &m->dev->stats;
	atomic_store_explicit(&m->pub_written, st->frames_written, memory_order_relaxed);
	atomic_store_explicit(&m->pub_dropped, st->frames_dropped, memory_order_relaxed);
	atomic_store_explicit(&m->pub_underruns, st->underruns, memory_order_relaxed);
	atomic_store_explicit(&m->pub_errors, st->errors, memory_order_relaxed);
	atomic_store_explicit(&m->pub_playing, m->dev->running, memory_order_relaxed);
}

/* Stop the device (queued audio is dropped): nothing is going to feed it for a while. */
void media_monitor_quiet(struct media_engine *e)
{
	struct media_monitor *m = &e->mon;
	if (m->dev == NULL)
		return;
	if (m->dev->running)
		hal_audio_stop(m->dev);
	m->tx_valid = false;
	publish_counters(e);
}

void media_monitor_select(struct media_engine *e, int32_t ch)
{
	struct media_monitor *m = &e->mon;
	if (m->dev == NULL)
		return;
	if (ch < 0 || (uint32_t)ch >= e->cfg.max_channels)
		ch = -1;
	if (ch != m->ch)
		media_monitor_quiet(e);
	m->ch = ch;
}

void media_monitor_tx(struct media_engine *e, const struct media_channel *c, const uint8_t *payload, size_t n,
                      bool audio)
{
	struct media_monitor *m = &e->mon;
	if (n > MEDIA_FRAME_MAX)
		n = MEDIA_FRAME_MAX;
	if (audio) {
		const int16_t *table = c->tx_codec == MEDIA_CODEC_PCMA ? e->alaw_table : e->ulaw_table;
		for (size_t i = 0; i < n; i++)
			m->tx[i] = table[payload[i]];
	} else {
		/* A telephone-event packet: the port sends no audio meanwhile. */
		n = c->frame_samples <= MEDIA_FRAME_MAX ? c->frame_samples : MEDIA_FRAME_MAX;
		memset(m->tx, 0, n * sizeof(m->tx[0]));
	}
	m->tx_len = (uint16_t)n;
	m->tx_valid = true;
}

static int16_t saturate(int32_t v)
{
	return v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : (int16_t)v;
}

static void monitor_failed(struct media_engine *e, int rc)
{
	struct media_monitor *m = &e->mon;
	uint32_t ch = (uint32_t)m->ch;
	media_monitor_select(e, -1);
	struct media_event *ev = media_event_push(e, MEDIA_EV_MONITOR_FAILED, ch);
	if (ev == NULL)
		return;
	ev->u.monitor.err = rc;
	snprintf(ev->u.monitor.error, sizeof(ev->u.monitor.error), "%s",
	         m->dev->error[0] ? m->dev->error : strerror(-rc));
	media_event_commit(e);
}

void media_monitor_rx(struct media_engine *e, const struct media_channel *c, const int16_t *pcm, size_t n)
{
	struct media_monitor *m = &e->mon;
	(void)c;
	if (n > MEDIA_FRAME_MAX)
		n = MEDIA_FRAME_MAX;
	size_t tx = m->tx_valid ? (m->tx_len < n ? m->tx_len : n) : 0;
	for (size_t i = 0; i < tx; i++)
		m->mix[i] = saturate((int32_t)pcm[i] + m->tx[i]);
	memcpy(m->mix + tx, pcm + tx, (n - tx) * sizeof(m->mix[0]));
	m->tx_valid = false;

	int rc = 0;
	if (!m->dev->running)
		rc = hal_audio_start(m->dev);
	if (rc == 0)
		rc = hal_audio_write(m->dev, m->mix, n);
	if (rc < 0) {
		monitor_failed(e, rc);
		return;
	}
	publish_counters(e);
}

void media_monitor_channel_closed(struct media_engine *e, const struct media_channel *c)
{
	if (e->mon.dev != NULL && e->mon.ch == (int32_t)c->index)
		media_monitor_quiet(e);
}

/* ---- control thread ---- */

int media_monitor_attach(struct media_engine *e, struct hal_audio *dev)
{
	if (e->running)
		return -EBUSY;
	if (dev != NULL && (!dev->opened || dev->cfg.dir != HAL_AUDIO_PLAYBACK))
		return -EINVAL;
	e->mon.dev = dev;
	e->mon.ch = -1;
	e->mon.ctl_ch = -1;
	return 0;
}

void media_monitor_status(const struct media_engine *e, struct media_monitor_status *out)
{
	const struct media_monitor *m = &e->mon;
	memset(out, 0, sizeof(*out));
	out->attached = m->dev != NULL;
	out->ch = out->attached ? m->ctl_ch : -1;
	out->playing = atomic_load_explicit(&m->pub_playing, memory_order_relaxed);
	out->frames_written = atomic_load_explicit(&m->pub_written, memory_order_relaxed);
	out->frames_dropped = atomic_load_explicit(&m->pub_dropped, memory_order_relaxed);
	out->underruns = atomic_load_explicit(&m->pub_underruns, memory_order_relaxed);
	out->errors = atomic_load_explicit(&m->pub_errors, memory_order_relaxed);
}
