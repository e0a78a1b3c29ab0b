/* hal/audio "alsa" backend: a real codec through alsa-lib.
 *
 * Why non-blocking. write() and read() run in the real-time media thread, which serves every
 * port on one packet-time grid and must never wait for a device. The PCM is opened with
 * SND_PCM_NONBLOCK; each call asks snd_pcm_avail() first and moves only what the device buffer
 * can take (playback; the rest of the packet is dropped and counted) or has (capture). There is no
 * helper thread: the device buffer (buffer_periods packets) is the slack between the media
 * thread's grid and the codec's clock, and a copy into it is cheaper than a hand-off to another
 * thread. Playback starts once half the buffer is queued, so the thread's lateness up to that much
 * is absorbed without an underrun.
 *
 * Xruns. -EPIPE (underrun, overrun) is recovered with snd_pcm_recover() and counted; a capture
 * stream is restarted at once. -ESTRPIPE (the codec was suspended) is recovered without
 * snd_pcm_recover(), whose resume loop sleeps a second at a time while the device is still
 * waking up: here one snd_pcm_resume() is tried per call, -EAGAIN means "try on the next packet",
 * and a device that cannot resume is re-prepared.
 *
 * Mixer. The board file's controls are resolved at open (so a missing control is reported when the
 * board starts, naming it and listing what the device has) and written at every start (so a value
 * someone changed with alsamixer in between is put back). Each is a simple mixer element (see
 * resolve_control() for how names and values are read).
 *
 * Tests. With cfg.alsa_lconf the PCM and the control device come from that configuration text
 * (snd_pcm_open_lconf, snd_ctl_open_lconf): ALSA's own `file` and `null` plug-ins, or the test
 * codec plug-in in tests/audio, exercise every snd_pcm call here without a sound card. */
#include "audio_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <alsa/asoundlib.h>

enum ctl_kind {
	CTL_VOLUME,         /* raw volume */
	CTL_SWITCH,         /* 0 / 1 */
	CTL_ENUM,           /* item index */
	CTL_CAPTURE_SOURCE, /* turn this element's capture switch on (exclusive) */
};

enum ctl_side {
	SIDE_ANY,
	SIDE_PLAYBACK,
	SIDE_CAPTURE,
};

struct alsa_control {
	const struct hal_audio_control *cfg; /* points into a->cfg */
	snd_mixer_elem_t *elem;
	enum ctl_kind kind;
	enum ctl_side side; /* resolved: PLAYBACK or CAPTURE for volumes and switches */
	long value;
};

struct alsa_audio {
	snd_pcm_t *pcm;
	snd_config_t *lconf;
	snd_mixer_t *mixer;
	const char *mixer_name;
	struct alsa_control controls[HAL_AUDIO_MAX_CONTROLS];
	unsigned n_controls;
	snd_pcm_uframes_t period_frames;
	snd_pcm_uframes_t buffer_frames;
};

/* ---- mixer ------------------------------------------------------------------------------------- */

static snd_mixer_elem_t *find_elem(snd_mixer_t *m, const char *name)
{
	snd_mixer_selem_id_t *id;
	snd_mixer_selem_id_alloca(&id);
	snd_mixer_selem_id_set_name(id, name);
	snd_mixer_selem_id_set_index(id, 0);
	return snd_mixer_find_selem(m, id);
}

/* "Master, Capture, Mic" for error messages. */
static void list_elems(snd_mixer_t *m, char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	for (snd_mixer_elem_t *e = snd_mixer_first_elem(m); e != NULL; e = snd_mixer_elem_next(e)) {
		int n = snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", snd_mixer_selem_get_name(e));
		if (n < 0 || (size_t)n >= cap - off) {
			if (cap > 4)
				snprintf(buf + cap - 4, 4, "...");
			return;
		}
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, cap, "none");
}

static void list_items(snd_mixer_elem_t *e, char *buf, size_t cap)
{
	size_t off = 0;
	int items = snd_mixer_selem_get_enum_items(e);
	buf[0] = '\0';
	for (int i = 0; i < items; i++) {
		char name[64];
		if (snd_mixer_selem_get_enum_item_name(e, (unsigned)i, sizeof(name), name) < 0)
			continue;
		int n = snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", name);
		if (n < 0 || (size_t)n >= cap - off)
			return;
		off += (size_t)n;
	}
}

/* Control-name suffixes and what they select on the simple element named by the rest, the way
 * alsa-lib's simple mixer builds elements from controls ("Master Playback Volume" is the playback
 * volume of "Master"; "Capture Volume" alone is the volume of "Capture"). */
static const struct {
	const char *suffix;
	enum ctl_side side;
	bool is_switch;
} suffixes[] = {
    {" Playback Volume", SIDE_PLAYBACK, false},
    {" Playback Switch", SIDE_PLAYBACK, true},
    {" Capture Volume", SIDE_CAPTURE, false},
    {" Capture Switch", SIDE_CAPTURE, true},
    {" Volume", SIDE_ANY, false},
    {" Switch", SIDE_ANY, true},
};

static bool parse_switch(const char *v, long *out)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "unmute") == 0) {
		*out = 1;
		return true;
	}
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcmp(v, "mute") == 0) {
		*out = 0;
		return true;
	}
	return false;
}

/* A whole number, optionally followed by '%'. */
static bool parse_number(const char *v, long *out, bool *percent)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end == v || errno != 0)
		return false;
	*percent = (*end == '%');
	if (*percent)
		end++;
	if (*end != '\0')
		return false;
	*out = n;
	return true;
}

/* Turn one "name=value" into an element and a raw value.
 *
 * Names: a simple element ("Master", "Mic Boost"); or a control name whose suffix picks a part of
 * the element named by the rest (" Playback Volume", " Capture Switch", " Volume", ...); or
 * "Capture Source", whose value names the element to capture from (the simple mixer turns each
 * item of a "Capture Source" control into an element with an exclusive capture switch).
 * Values: "80%" of the volume range, "23" raw, "on"/"off" ("unmute"/"mute") for switches, or the
 * name of an enumerated item. A volume on an element with both sides means playback. */
static int resolve_control(struct hal_audio *a, struct alsa_audio *s, const struct hal_audio_control *c,
                           struct alsa_control *out)
{
	char list[160];
	char base[HAL_AUDIO_CONTROL_NAME_MAX];
	enum ctl_side side = SIDE_ANY;
	int want_switch = -1; /* -1: decide from the value */
	snd_mixer_elem_t *e = find_elem(s->mixer, c->name);

	memset(out, 0, sizeof(*out));
	out->cfg = c;
	if (e == NULL && strcmp(c->name, "Capture Source") == 0) {
		e = find_elem(s->mixer, c->value);
		if (e == NULL || !snd_mixer_selem_has_capture_switch(e)) {
			list_elems(s->mixer, list, sizeof(list));
			hal_audio_set_error(
			    a, "alsa: mixer '%s' has no capture source '%s' for control '%s' (elements: %s)",
			    s->mixer_name, c->value, c->name, list);
			return -ENOENT;
		}
		out->elem = e;
		out->kind = CTL_CAPTURE_SOURCE;
		out->side = SIDE_CAPTURE;
		out->value = 1;
		return 0;
	}
	if (e == NULL) {
		size_t len = strlen(c->name);
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && e == NULL; i++) {
			size_t sl = strlen(suffixes[i].suffix);
			const char *name = c->name;
			/* "Capture Volume" / "Capture Switch": the element is "Capture" itself. */
			if (len + 1 == sl && strcmp(suffixes[i].suffix + 1, name) == 0 &&
			    suffixes[i].side == SIDE_CAPTURE) {
				snprintf(base, sizeof(base), "Capture");
			} else if (len > sl && strcmp(name + len - sl, suffixes[i].suffix) == 0) {
				snprintf(base, sizeof(base), "%.*s", (int)(len - sl), name);
			} else {
				continue;
			}
			e = find_elem(s->mixer, base);
			if (e != NULL) {
				side = suffixes[i].side;
				want_switch = suffixes[i].is_switch;
			}
		}
	}
	if (e == NULL) {
		list_elems(s->mixer, list, sizeof(list));
		hal_audio_set_error(a, "alsa: mixer '%s' has no control '%s' (elements: %s)", s->mixer_name,
		                    c->name, list);
		return -ENOENT;
	}
	out->elem = e;

	long num = 0, sw = 0;
	bool percent = false;
	bool named_side = side != SIDE_ANY; /* the name said playback or capture */
	bool is_num = parse_number(c->value, &num, &percent);
	bool is_word = !is_num && parse_switch(c->value, &sw); /* on, off, mute, unmute */
	bool has_volume = snd_mixer_selem_has_playback_volume(e) || snd_mixer_selem_has_capture_volume(e);
	bool has_switch = snd_mixer_selem_has_playback_switch(e) || snd_mixer_selem_has_capture_switch(e);
	/* A bare 0 or 1 on an element without a volume is a switch too. */
	bool as_switch =
	    want_switch == 1 ||
	    (want_switch == -1 &&
	     (is_word || (is_num && !percent && !has_volume && has_switch && parse_switch(c->value, &sw))));
	if (want_switch == 0 && !is_num) {
		hal_audio_set_error(
		    a, "alsa: mixer control '%s' on '%s' is a volume: value '%s' is neither 80%% nor raw",
		    c->name, s->mixer_name, c->value);
		return -EINVAL;
	}
	if (as_switch) {
		if (!parse_switch(c->value, &sw)) {
			hal_audio_set_error(
			    a, "alsa: mixer control '%s' on '%s' is a switch: value '%s' is not on or off",
			    c->name, s->mixer_name, c->value);
			return -EINVAL;
		}
		bool p = snd_mixer_selem_has_playback_switch(e), q = snd_mixer_selem_has_capture_switch(e);
		if (side == SIDE_ANY)
			side = p ? SIDE_PLAYBACK : SIDE_CAPTURE;
		if ((side == SIDE_PLAYBACK && !p) || (side == SIDE_CAPTURE && !q)) {
			const char *what = !named_side             ? "switch"
			                   : side == SIDE_PLAYBACK ? "playback switch"
			                                           : "capture switch";
			hal_audio_set_error(a, "alsa: mixer control '%s' on '%s' has no %s for '%s'", c->name,
			                    s->mixer_name, what, c->value);
			return -EINVAL;
		}
		out->kind = CTL_SWITCH;
		out->side = side;
		out->value = sw;
		return 0;
	}
	if (is_num) {
		bool p = snd_mixer_selem_has_playback_volume(e), q = snd_mixer_selem_has_capture_volume(e);
		if (side == SIDE_ANY)
			side = p ? SIDE_PLAYBACK : SIDE_CAPTURE;
		if ((side == SIDE_PLAYBACK && !p) || (side == SIDE_CAPTURE && !q)) {
			const char *what = !named_side             ? "volume"
			                   : side == SIDE_PLAYBACK ? "playback volume"
			                                           : "capture volume";
			hal_audio_set_error(a, "alsa: mixer control '%s' on '%s' has no %s for '%s'", c->name,
			                    s->mixer_name, what, c->value);
			return -EINVAL;
		}
		long min = 0, max = 0;
		if (side == SIDE_PLAYBACK)
			snd_mixer_selem_get_playback_volume_range(e, &min, &max);
		else
			snd_mixer_selem_get_capture_volume_range(e, &min, &max);
		if (percent) {
			if (num < 0 || num > 100) {
				hal_audio_set_error(
				    a, "alsa: mixer control '%s' on '%s': %ld%% is not within 0..100%%",
				    c->name, s->mixer_name, num);
				return -ERANGE;
			}
			/* Linear in the control's raw steps, rounded, as amixer does for "80%". */
			out->value = min + ((max - min) * num + 50) / 100;
		} else {
			if (num < min || num > max) {
				hal_audio_set_error(
				    a, "alsa: mixer control '%s' on '%s': %ld is outside its range %ld..%ld",
				    c->name, s->mixer_name, num, min, max);
				return -ERANGE;
			}
			out->value = num;
		}
		out->kind = CTL_VOLUME;
		out->side = side;
		return 0;
	}
	if (!snd_mixer_selem_is_enumerated(e)) {
		hal_audio_set_error(
		    a,
		    "alsa: mixer control '%s' on '%s': '%s' is not a volume (80%%, 23), a switch (on, off) "
		    "or an item, and the control has no items",
		    c->name, s->mixer_name, c->value);
		return -EINVAL;
	}
	int items = snd_mixer_selem_get_enum_items(e);
	for (int i = 0; i < items; i++) {
		char name[64];
		if (snd_mixer_selem_get_enum_item_name(e, (unsigned)i, sizeof(name), name) >= 0 &&
		    strcmp(name, c->value) == 0) {
			out->kind = CTL_ENUM;
			out->value = i;
			return 0;
		}
	}
	list_items(e, list, sizeof(list));
	hal_audio_set_error(a, "alsa: mixer control '%s' on '%s' has no item '%s' (items: %s)", c->name,
	                    s->mixer_name, c->value, list);
	return -EINVAL;
}

static int mixer_open(struct hal_audio *a, struct alsa_audio *s)
{
	s->mixer_name = a->cfg.mixer[0] ? a->cfg.mixer : "default";
	int err = snd_mixer_open(&s->mixer, 0);
	if (err < 0) {
		s->mixer = NULL;
		hal_audio_set_error(a, "alsa: snd_mixer_open: %s", snd_strerror(err));
		return err;
	}
	/* The control device is opened here (not by snd_mixer_attach) so a test's configuration text
	 * can supply it; non-blocking, so start() reads pending change events without waiting. */
	snd_ctl_t *ctl;
	snd_hctl_t *hctl;
	if (s->lconf != NULL)
		err = snd_ctl_open_lconf(&ctl, s->mixer_name, SND_CTL_NONBLOCK, s->lconf);
	else
		err = snd_ctl_open(&ctl, s->mixer_name, SND_CTL_NONBLOCK);
	if (err >= 0) {
		err = snd_hctl_open_ctl(&hctl, ctl);
		if (err < 0)
			snd_ctl_close(ctl);
	}
	if (err >= 0)
		err = snd_mixer_attach_hctl(s->mixer, hctl); /* closed with the mixer from here on */
	if (err >= 0)
		err = snd_mixer_selem_register(s->mixer, NULL, NULL);
	if (err >= 0)
		err = snd_mixer_load(s->mixer);
	if (err < 0) {
		hal_audio_set_error(a, "alsa: cannot open mixer '%s' for control '%s': %s", s->mixer_name,
		                    a->cfg.controls[0].name, snd_strerror(err));
		return err;
	}
	for (unsigned i = 0; i < a->cfg.n_controls; i++) {
		err = resolve_control(a, s, &a->cfg.controls[i], &s->controls[i]);
		if (err < 0)
			return err;
		s->n_controls = i + 1;
	}
	return 0;
}

static int apply_control(const struct alsa_control *c)
{
	snd_mixer_elem_t *e = c->elem;
	switch (c->kind) {
	case CTL_VOLUME:
		return c->side == SIDE_PLAYBACK ? snd_mixer_selem_set_playback_volume_all(e, c->value)
		                                : snd_mixer_selem_set_capture_volume_all(e, c->value);
	case CTL_SWITCH:
		return c->side == SIDE_PLAYBACK ? snd_mixer_selem_set_playback_switch_all(e, (int)c->value)
		                                : snd_mixer_selem_set_capture_switch_all(e, (int)c->value);
	case CTL_CAPTURE_SOURCE:
		return snd_mixer_selem_set_capture_switch_all(e, 1);
	case CTL_ENUM: {
		/* Every channel the element has (most have one). */
		int err = snd_mixer_selem_set_enum_item(e, SND_MIXER_SCHN_MONO, (unsigned)c->value);
		unsigned item;
		for (int ch = 1; err >= 0 && ch <= SND_MIXER_SCHN_LAST; ch++) {
			if (snd_mixer_selem_get_enum_item(e, (snd_mixer_selem_channel_id_t)ch, &item) < 0)
				break;
			err = snd_mixer_selem_set_enum_item(e, (snd_mixer_selem_channel_id_t)ch,
			                                    (unsigned)c->value);
		}
		return err;
	}
	}
	return -EINVAL;
}

/* ---- PCM --------------------------------------------------------------------------------------- */

static int load_lconf(struct hal_audio *a, struct alsa_audio *s)
{
	snd_input_t *in;
	int err = snd_config_top(&s->lconf);
	if (err < 0)
		return err;
	err = snd_input_buffer_open(&in, a->cfg.alsa_lconf, (ssize_t)strlen(a->cfg.alsa_lconf));
	if (err >= 0) {
		err = snd_config_load(s->lconf, in);
		snd_input_close(in);
	}
	if (err < 0)
		hal_audio_set_error(a, "alsa: the ALSA configuration text for PCM '%s' does not parse: %s",
		                    a->cfg.device, snd_strerror(err));
	return err;
}

static int set_hw_params(struct hal_audio *a, struct alsa_audio *s)
{
	const char *dev = a->cfg.device;
	snd_pcm_hw_params_t *hw;
	snd_pcm_hw_params_alloca(&hw);
	int err = snd_pcm_hw_params_any(s->pcm, hw);
	if (err < 0) {
		hal_audio_set_error(a, "alsa: PCM '%s' has no usable configuration: %s", dev,
		                    snd_strerror(err));
		return err;
	}
	if ((err = snd_pcm_hw_params_set_access(s->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) {
		hal_audio_set_error(a, "alsa: PCM '%s' refuses interleaved read/write access: %s", dev,
		                    snd_strerror(err));
		return err;
	}
	if ((err = snd_pcm_hw_params_set_format(s->pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0) {
		hal_audio_set_error(
		    a, "alsa: PCM '%s' cannot do S16_LE samples (a \"plughw:\" PCM converts): %s", dev,
		    snd_strerror(err));
		return err;
	}
	if ((err = snd_pcm_hw_params_set_channels(s->pcm, hw, a->cfg.channels)) < 0) {
		hal_audio_set_error(a,
		                    "alsa: PCM '%s' cannot do %u channel(s) (a \"plughw:\" PCM converts): %s",
		                    dev, a->cfg.channels, snd_strerror(err));
		return err;
	}
	if ((err = snd_pcm_hw_params_set_rate(s->pcm, hw, a->cfg.rate, 0)) < 0) {
		hal_audio_set_error(a, "alsa: PCM '%s' cannot run at %u Hz (a \"plughw:\" PCM resamples): %s",
		                    dev, a->cfg.rate, snd_strerror(err));
		return err;
	}
	/* Period = the packet time, buffer = buffer_periods packets, or the nearest the device has. */
	snd_pcm_uframes_t packet = hal_audio_period_frames(&a->cfg);
	snd_pcm_uframes_t period = packet, buffer = packet * a->cfg.buffer_periods;
	int dir = 0;
	if ((err = snd_pcm_hw_params_set_period_size_near(s->pcm, hw, &period, &dir)) < 0 ||
	    (err = snd_pcm_hw_params_set_buffer_size_near(s->pcm, hw, &buffer)) < 0) {
		hal_audio_set_error(a,
		                    "alsa: PCM '%s' has no period near %u ms or buffer near %u periods: %s",
		                    dev, a->cfg.period_ms, a->cfg.buffer_periods, snd_strerror(err));
		return err;
	}
	if ((err = snd_pcm_hw_params(s->pcm, hw)) < 0) {
		hal_audio_set_error(a, "alsa: PCM '%s' refused its hardware parameters: %s", dev,
		                    snd_strerror(err));
		return err;
	}
	snd_pcm_hw_params_get_period_size(hw, &s->period_frames, &dir);
	snd_pcm_hw_params_get_buffer_size(hw, &s->buffer_frames);
	if (s->buffer_frames < 2 * packet) {
		hal_audio_set_error(a,
		                    "alsa: PCM '%s' gave a buffer of %lu frames, less than two %u ms packets",
		                    dev, (unsigned long)s->buffer_frames, a->cfg.period_ms);
		return -EINVAL;
	}
	return 0;
}

static int set_sw_params(struct hal_audio *a, struct alsa_audio *s)
{
	snd_pcm_sw_params_t *sw;
	snd_pcm_sw_params_alloca(&sw);
	snd_pcm_uframes_t packet = hal_audio_period_frames(&a->cfg);
	snd_pcm_uframes_t start = 1;
	if (a->cfg.dir == HAL_AUDIO_PLAYBACK) {
		/* Start with half the buffer queued: the media thread may then be late by that much. */
		unsigned packets = a->cfg.buffer_periods / 2;
		start = packet * (packets ? packets : 1);
		if (start > s->buffer_frames)
			start = s->buffer_frames;
	}
	int err = snd_pcm_sw_params_current(s->pcm, sw);
	if (err >= 0)
		err = snd_pcm_sw_params_set_avail_min(s->pcm, sw, s->period_frames);
	if (err >= 0)
		err = snd_pcm_sw_params_set_start_threshold(s->pcm, sw, start);
	if (err >= 0)
		err = snd_pcm_sw_params_set_stop_threshold(s->pcm, sw, s->buffer_frames);
	if (err >= 0)
		err = snd_pcm_sw_params(s->pcm, sw);
	if (err < 0)
		hal_audio_set_error(a, "alsa: PCM '%s' refused its software parameters: %s", a->cfg.device,
		                    snd_strerror(err));
	return err;
}

static void alsa_release(struct alsa_audio *s)
{
	if (s->pcm != NULL)
		snd_pcm_close(s->pcm);
	if (s->mixer != NULL)
		snd_mixer_close(s->mixer);
	if (s->lconf != NULL)
		snd_config_delete(s->lconf);
	free(s);
}

static int alsa_open(struct hal_audio *a)
{
	struct alsa_audio *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	const char *dev = a->cfg.device[0] ? a->cfg.device : "default";
	if (a->cfg.device[0] == '\0')
		snprintf(a->cfg.device, sizeof(a->cfg.device), "%s", dev);
	snd_pcm_stream_t stream =
	    a->cfg.dir == HAL_AUDIO_PLAYBACK ? SND_PCM_STREAM_PLAYBACK : SND_PCM_STREAM_CAPTURE;
	int err = 0;
	if (a->cfg.alsa_lconf != NULL) {
		err = load_lconf(a, s);
		if (err < 0)
			goto fail;
		err = snd_pcm_open_lconf(&s->pcm, dev, stream, SND_PCM_NONBLOCK, s->lconf);
	} else {
		err = snd_pcm_open(&s->pcm, dev, stream, SND_PCM_NONBLOCK);
	}
	if (err < 0) {
		s->pcm = NULL;
		hal_audio_set_error(a, "alsa: cannot open PCM '%s' for %s: %s", dev,
		                    hal_audio_dir_name(a->cfg.dir),
		                    err == -EBUSY ? "busy (another program has it)" : snd_strerror(err));
		goto fail;
	}
	if ((err = set_hw_params(a, s)) < 0 || (err = set_sw_params(a, s)) < 0)
		goto fail;
	if (a->cfg.n_controls > 0 && (err = mixer_open(a, s)) < 0)
		goto fail;
	a->priv = s;
	return 0;
fail:
	alsa_release(s);
	return err < 0 ? err : -EIO;
}

/* Recover from what a transfer or avail call returned. 0: recovered (the caller may retry),
 * -EAGAIN: the device is still waking up (try on the next packet), else a hard error. */
static int alsa_recover(struct hal_audio *a, struct alsa_audio *s, int err)
{
	bool capture = a->cfg.dir == HAL_AUDIO_CAPTURE;
	if (err == -EPIPE) {
		int rc = snd_pcm_recover(s->pcm, err, 1);
		if (rc >= 0 && capture)
			rc = snd_pcm_start(s->pcm);
		if (rc >= 0) {
			if (capture)
				a->stats.overruns++;
			else
				a->stats.underruns++;
			return 0;
		}
		err = rc;
	} else if (err == -ESTRPIPE) {
		int rc = snd_pcm_resume(s->pcm);
		if (rc == -EAGAIN)
			return -EAGAIN;
		if (rc < 0 || snd_pcm_state(s->pcm) != SND_PCM_STATE_RUNNING) {
			rc = snd_pcm_prepare(s->pcm);
			if (rc >= 0 && capture)
				rc = snd_pcm_start(s->pcm);
		}
		if (rc >= 0) {
			a->stats.suspends++;
			return 0;
		}
		err = rc;
	}
	a->stats.errors++;
	hal_audio_set_error(a, "alsa: PCM '%s' (%s) failed: %s", a->cfg.device,
	                    hal_audio_dir_name(a->cfg.dir), snd_strerror(err));
	return err;
}

static int alsa_start(struct hal_audio *a)
{
	struct alsa_audio *s = a->priv;
	/* Bring the mixer's cached values up to date (someone may have changed them since the last
	 * start): the simple mixer skips a write that matches its cache. */
	if (s->mixer != NULL)
		(void)snd_mixer_handle_events(s->mixer);
	for (unsigned i = 0; i < s->n_controls; i++) {
		int err = apply_control(&s->controls[i]);
		if (err < 0) {
			hal_audio_set_error(a, "alsa: setting mixer control '%s=%s' on '%s' failed: %s",
			                    s->controls[i].cfg->name, s->controls[i].cfg->value,
			                    s->mixer_name, snd_strerror(err));
			return err;
		}
	}
	int err = 0;
	snd_pcm_state_t st = snd_pcm_state(s->pcm);
	if (st != SND_PCM_STATE_PREPARED)
		err = snd_pcm_prepare(s->pcm);
	if (err >= 0 && a->cfg.dir == HAL_AUDIO_CAPTURE)
		err = snd_pcm_start(s->pcm);
	if (err < 0) {
		hal_audio_set_error(a, "alsa: PCM '%s' (%s) does not start: %s", a->cfg.device,
		                    hal_audio_dir_name(a->cfg.dir), snd_strerror(err));
		return err;
	}
	return 0;
}

/* Frames the device can take or has, or the error its stream is stopped in: some plug-ins report
 * 0 frames for a stream in XRUN or SUSPENDED instead of an error (the kernel's hw PCMs do not). */
static snd_pcm_sframes_t pcm_avail(snd_pcm_t *pcm)
{
	snd_pcm_sframes_t avail = snd_pcm_avail(pcm);
	if (avail == 0) {
		snd_pcm_state_t st = snd_pcm_state(pcm);
		if (st == SND_PCM_STATE_XRUN)
			return -EPIPE;
		if (st == SND_PCM_STATE_SUSPENDED)
			return -ESTRPIPE;
	}
	return avail;
}

static int alsa_write(struct hal_audio *a, const int16_t *frames, size_t n)
{
	struct alsa_audio *s = a->priv;
	snd_pcm_sframes_t done = 0;
	/* Two tries: the second after an xrun or suspend was recovered. */
	for (int attempt = 0; attempt < 2; attempt++) {
		snd_pcm_sframes_t avail = pcm_avail(s->pcm);
		if (avail >= 0) {
			snd_pcm_uframes_t take = (size_t)avail < n ? (snd_pcm_uframes_t)avail : n;
			if (take == 0)
				break;
			done = snd_pcm_writei(s->pcm, frames, take);
			if (done == -EAGAIN)
				done = 0;
			if (done >= 0)
				break;
			avail = done;
			done = 0;
		}
		int rc = alsa_recover(a, s, (int)avail);
		if (rc == -EAGAIN)
			break;
		if (rc < 0) {
			a->stats.frames_dropped += n;
			return rc;
		}
	}
	a->stats.frames_written += (uint64_t)done;
	a->stats.frames_dropped += n - (size_t)done;
	return (int)done;
}

static int alsa_read(struct hal_audio *a, int16_t *frames, size_t n)
{
	struct alsa_audio *s = a->priv;
	snd_pcm_sframes_t done = 0;
	/* Silence first: whatever the device does not deliver stays defined (ALSA's file plug-in
	 * reports full reads past the end of its input without touching the buffer). */
	memset(frames, 0, n * sizeof(*frames));
	for (int attempt = 0; attempt < 2; attempt++) {
		snd_pcm_sframes_t avail = pcm_avail(s->pcm);
		if (avail >= 0) {
			snd_pcm_uframes_t take = (size_t)avail < n ? (snd_pcm_uframes_t)avail : n;
			if (take == 0)
				break;
			done = snd_pcm_readi(s->pcm, frames, take);
			if (done == -EAGAIN)
				done = 0;
			if (done >= 0)
				break;
			avail = done;
			done = 0;
		}
		int rc = alsa_recover(a, s, (int)avail);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc;
	}
	a->stats.frames_read += (uint64_t)done;
	return (int)done;
}

static int alsa_stop(struct hal_audio *a)
{
	struct alsa_audio *s = a->priv;
	int err = snd_pcm_drop(s->pcm);
	if (err < 0) {
		hal_audio_set_error(a, "alsa: PCM '%s' (%s) does not stop: %s", a->cfg.device,
		                    hal_audio_dir_name(a->cfg.dir), snd_strerror(err));
		return err;
	}
	return 0;
}

static int alsa_close(struct hal_audio *a)
{
	struct alsa_audio *s = a->priv;
	if (s != NULL)
		alsa_release(s);
	a->priv = NULL;
	return 0;
}

static int alsa_caps(const struct hal_audio *a, struct hal_audio_caps *caps)
{
	const struct alsa_audio *s = a->priv;
	memset(caps, 0, sizeof(*caps));
	caps->playback = true;
	caps->capture = true;
	caps->paced = true;
	caps->mixer = s->n_controls > 0;
	caps->rate = a->cfg.rate;
	caps->channels = a->cfg.channels;
	caps->period_frames = (unsigned)s->period_frames;
	caps->buffer_frames = (unsigned)s->buffer_frames;
	return 0;
}

const struct hal_audio_ops hal_audio_alsa_ops = {
    .name = "alsa",
    .open = alsa_open,
    .start = alsa_start,
    .write = alsa_write,
    .read = alsa_read,
    .stop = alsa_stop,
    .close = alsa_close,
    .caps = alsa_caps,
};
