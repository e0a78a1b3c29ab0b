/* hal/audio "null" backend: a codec that is always ready. Writes are accepted and counted, reads
 * return silence and are counted. Not paced: every call completes at once, so tests and boards
 * without a codec run the same media code path. */
#include "audio_internal.h"

#include <string.h>

static int null_open(struct hal_audio *a)
{
	a->priv = NULL;
	return 0;
}

static int null_start(struct hal_audio *a)
{
	(void)a;
	return 0;
}

static int null_write(struct hal_audio *a, const int16_t *frames, size_t n)
{
	(void)frames;
	a->stats.frames_written += n;
	return (int)n;
}

static int null_read(struct hal_audio *a, int16_t *frames, size_t n)
{
	memset(frames, 0, n * sizeof(*frames));
	a->stats.frames_read += n;
	return (int)n;
}

static int null_stop(struct hal_audio *a)
{
	(void)a;
	return 0;
}

static int null_close(struct hal_audio *a)
{
	(void)a;
	return 0;
}

static int null_caps(const struct hal_audio *a, struct hal_audio_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->playback = true;
	caps->capture = true;
	caps->rate = a->cfg.rate;
	caps->channels = a->cfg.channels;
	caps->period_frames = hal_audio_period_frames(&a->cfg);
	caps->buffer_frames = caps->period_frames * a->cfg.buffer_periods;
	return 0;
}

const struct hal_audio_ops hal_audio_null_ops = {
    .name = "null",
    .open = null_open,
    .start = null_start,
    .write = null_write,
    .read = null_read,
    .stop = null_stop,
    .close = null_close,
    .caps = null_caps,
};
