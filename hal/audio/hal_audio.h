/* hal/audio: the board's codec as one small interface, for monitoring a port's live call on the
 * codec output and taking a greeting from its input.
 *
 * One constant operations table per backend, picked by name from the board file:
 *   "alsa"  a real codec through alsa-lib (PCM by name, mixer controls set at start)
 *   "file"  WAV files: playback writes one (temp file, renamed on close), capture reads one
 *   "null"  accepts every write, reads silence; counts
 * The caller owns a `struct hal_audio` (no allocation of its own needed) and drives it through the
 * inline wrappers below; an operation a backend does not have is NULL and the wrapper returns
 * -ENOSYS, so callers discover capabilities at run time.
 *
 * Threads. write() and read() never block: they are called from the real-time media thread on
 * its packet-time grid. A playback write takes what fits in the device buffer and drops (and
 * counts) the rest; a capture read returns what the device has captured so far, possibly 0.
 * start() and stop() are cheap (prepare/start/drop, a few control writes) and may be called
 * from the media thread. open() and close() may block (device and mixer probing, file rename and
 * fsync): call them from the control thread, before handing the instance to the media thread and
 * after taking it back. An instance is used by one thread at a time.
 *
 * Errors are negative errno values; the instance's `error` string then says what failed in words,
 * naming the PCM, the file or the mixer control. */
#ifndef VMPORT_HAL_AUDIO_H
#define VMPORT_HAL_AUDIO_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAL_AUDIO_RATE 8000u        /* the only rate vmport's media uses */
#define HAL_AUDIO_MIN_PERIOD_MS 10u /* packet times SCCP can ask for */
#define HAL_AUDIO_MAX_PERIOD_MS 60u
#define HAL_AUDIO_MIN_BUFFER_PERIODS 2u
#define HAL_AUDIO_MAX_BUFFER_PERIODS 16u
#define HAL_AUDIO_MAX_CONTROLS 8u
#define HAL_AUDIO_DEVICE_MAX 256u       /* PCM name or WAV path, with its NUL */
#define HAL_AUDIO_MIXER_MAX 64u         /* control device name */
#define HAL_AUDIO_CONTROL_NAME_MAX 64u  /* mixer control name */
#define HAL_AUDIO_CONTROL_VALUE_MAX 32u /* "80%", "23", "on", "Mic" */
#define HAL_AUDIO_ERROR_MAX 256u

enum hal_audio_dir {
	HAL_AUDIO_PLAYBACK = 0, /* vmport -> codec output (monitoring a call) */
	HAL_AUDIO_CAPTURE = 1,  /* codec input -> vmport (recording a greeting) */
};

enum hal_audio_format {
	HAL_AUDIO_S16_LE = 0, /* signed 16-bit little-endian, the only format used */
};

/* One mixer setting from the board file: "Master Playback Volume=80%". The name is a simple
 * mixer element ("Master", "Mic") or a control name whose suffix says which part of the element
 * is meant ("Master Playback Volume", "Capture Switch"); "Capture Source=Mic" selects a capture
 * source. The value is a percentage of the volume range ("80%"), a raw volume ("23"), a switch
 * ("on", "off") or an enumerated item ("Mic"). See hal/audio/README.md. */
struct hal_audio_control {
	char name[HAL_AUDIO_CONTROL_NAME_MAX];
	char value[HAL_AUDIO_CONTROL_VALUE_MAX];
};

struct hal_audio_config {
	/* alsa: PCM name ("hw:0,0", "plughw:CARD=Codec", "default"); file: WAV path; null: unused */
	char device[HAL_AUDIO_DEVICE_MAX];
	/* alsa: control device the mixer controls live on ("hw:0"); "" means "default" */
	char mixer[HAL_AUDIO_MIXER_MAX];
	enum hal_audio_dir dir;
	unsigned rate;     /* HAL_AUDIO_RATE */
	unsigned channels; /* 1 */
	enum hal_audio_format format;
	unsigned period_ms;      /* the packet time, 10..60: one write or read per period */
	unsigned buffer_periods; /* device buffer in periods, 2..16: the jitter the thread may have */
	struct hal_audio_control controls[HAL_AUDIO_MAX_CONTROLS];
	unsigned n_controls;
	/* Tests: ALSA configuration text (snd_config syntax). When set, the alsa backend opens
	 * `device` and `mixer` from it with snd_pcm_open_lconf / snd_ctl_open_lconf instead of the
	 * global configuration. Borrowed: it must stay valid until open() returns. */
	const char *alsa_lconf;
};

/* Counters, updated by the thread that drives the instance. */
struct hal_audio_stats {
	uint64_t frames_written; /* playback frames the device accepted */
	uint64_t frames_read;    /* capture frames the device delivered */
	uint64_t frames_dropped; /* playback frames that found no room in the device buffer */
	uint32_t underruns;      /* playback xruns, recovered */
	uint32_t overruns;       /* capture xruns, recovered */
	uint32_t suspends;       /* device suspends, recovered by resume or re-prepare */
	uint32_t errors;         /* failures the backend could not recover from */
};

/* What an opened instance offers. */
struct hal_audio_caps {
	bool playback; /* the backend can open this direction */
	bool capture;
	bool paced; /* frames move at `rate` by a real clock (a codec), not on demand */
	bool mixer; /* mixer controls are applied at start */
	unsigned rate;
	unsigned channels;
	unsigned period_frames; /* as negotiated with the device */
	unsigned buffer_frames;
};

struct hal_audio;

struct hal_audio_ops {
	const char *name;
	/* a->cfg is validated; set a->priv. On failure free everything and fill a->error. */
	int (*open)(struct hal_audio *a);
	/* Apply mixer controls, arm the device. Playback starts when the first periods arrive. */
	int (*start)(struct hal_audio *a);
	/* Frames accepted (0..n), or -errno. Frames that do not fit are dropped and counted. */
	int (*write)(struct hal_audio *a, const int16_t *frames, size_t n);
	/* Frames delivered (0..n), or -errno. frames[0..n) is always written: what the device did not
	 * deliver is silence. */
	int (*read)(struct hal_audio *a, int16_t *frames, size_t n);
	/* Stop at once; queued playback is dropped. */
	int (*stop)(struct hal_audio *a);
	/* Release everything; for the file backend, finish the WAV file. */
	int (*close)(struct hal_audio *a);
	int (*caps)(const struct hal_audio *a, struct hal_audio_caps *caps);
};

/* One device instance: constant ops, mutable state. Zero-initialise, then hal_audio_open(). */
struct hal_audio {
	const struct hal_audio_ops *ops;
	struct hal_audio_config cfg; /* the validated copy open() was given */
	struct hal_audio_stats stats;
	bool opened;
	bool running;
	char error[HAL_AUDIO_ERROR_MAX]; /* the last failure in words; "" when none */
	void *priv;                      /* the backend's state */
};

/* The backend called `name` ("alsa", "file", "null"), or NULL. */
const struct hal_audio_ops *hal_audio_find(const char *name);
/* Backend names joined by ", ", for error messages and --help. */
const char *hal_audio_backend_names(void);

/* Defaults for a direction: 8000 Hz, mono, S16_LE, 20 ms periods, 4 periods of buffer. */
void hal_audio_config_init(struct hal_audio_config *cfg, enum hal_audio_dir dir);
/* Append a "name=value" mixer setting (spaces around both trimmed). 0, -EINVAL (no '=', empty
 * name or value, too long) or -ENOSPC (HAL_AUDIO_MAX_CONTROLS already). */
int hal_audio_config_add_control(struct hal_audio_config *cfg, const char *spec);
/* 0 if the configuration can be opened by any backend, else -EINVAL with a sentence in err. */
int hal_audio_config_check(const struct hal_audio_config *cfg, char *err, size_t err_cap);

/* Validate cfg, copy it into a and reset the counters (used by hal_audio_open). */
int hal_audio_bind(struct hal_audio *a, const struct hal_audio_ops *ops, const struct hal_audio_config *cfg);
/* Look the backend up by name and open it; an unknown name is -ENOENT naming the known ones. */
int hal_audio_open_by_name(struct hal_audio *a, const char *backend, const struct hal_audio_config *cfg);

static inline int hal_audio_open(struct hal_audio *a, const struct hal_audio_ops *ops,
                                 const struct hal_audio_config *cfg)
{
	int rc = hal_audio_bind(a, ops, cfg);
	if (rc != 0)
		return rc;
	if (ops->open == NULL)
		return -ENOSYS;
	rc = ops->open(a);
	a->opened = (rc == 0);
	return rc;
}

static inline int hal_audio_start(struct hal_audio *a)
{
	if (!a->opened)
		return -EBADF;
	if (a->ops->start == NULL)
		return -ENOSYS;
	int rc = a->ops->start(a);
	if (rc == 0)
		a->running = true;
	return rc;
}

static inline int hal_audio_write(struct hal_audio *a, const int16_t *frames, size_t n)
{
	if (!a->opened)
		return -EBADF;
	if (a->ops->write == NULL)
		return -ENOSYS;
	if (a->cfg.dir != HAL_AUDIO_PLAYBACK || n > INT_MAX)
		return -EINVAL;
	if (!a->running)
		return -EBADFD;
	return a->ops->write(a, frames, n);
}

static inline int hal_audio_read(struct hal_audio *a, int16_t *frames, size_t n)
{
	if (!a->opened)
		return -EBADF;
	if (a->ops->read == NULL)
		return -ENOSYS;
	if (a->cfg.dir != HAL_AUDIO_CAPTURE || n > INT_MAX)
		return -EINVAL;
	if (!a->running)
		return -EBADFD;
	return a->ops->read(a, frames, n);
}

static inline int hal_audio_stop(struct hal_audio *a)
{
	if (!a->opened)
		return -EBADF;
	if (a->ops->stop == NULL)
		return -ENOSYS;
	a->running = false;
	return a->ops->stop(a);
}

/* Safe on an instance that never opened or is already closed (returns 0). */
static inline int hal_audio_close(struct hal_audio *a)
{
	if (!a->opened)
		return 0;
	a->opened = false;
	a->running = false;
	if (a->ops->close == NULL)
		return -ENOSYS;
	return a->ops->close(a);
}

static inline int hal_audio_caps(const struct hal_audio *a, struct hal_audio_caps *caps)
{
	if (!a->opened)
		return -EBADF;
	if (a->ops->caps == NULL)
		return -ENOSYS;
	return a->ops->caps(a, caps);
}

#endif
