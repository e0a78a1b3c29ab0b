/* Shared between the hal/audio backends; not part of the public interface. */
#ifndef VMPORT_HAL_AUDIO_INTERNAL_H
#define VMPORT_HAL_AUDIO_INTERNAL_H

#include "hal_audio.h"

extern const struct hal_audio_ops hal_audio_alsa_ops;
extern const struct hal_audio_ops hal_audio_file_ops;
extern const struct hal_audio_ops hal_audio_null_ops;

/* Fill a->error like printf. */
void hal_audio_set_error(struct hal_audio *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frames in one period of the instance's configuration. */
static inline unsigned hal_audio_period_frames(const struct hal_audio_config *cfg)
{
	return cfg->rate * cfg->period_ms / 1000u;
}

static inline const char *hal_audio_dir_name(enum hal_audio_dir dir)
{
	return dir == HAL_AUDIO_PLAYBACK ? "playback" : "capture";
}

#endif
