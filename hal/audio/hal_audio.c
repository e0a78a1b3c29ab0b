/* hal/audio: the backend table, configuration defaults and checks shared by every backend. */
#include "audio_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The backends a board file can name. Constant: adding one is a line here and a file. */
static const struct hal_audio_ops *const backends[] = {
    &hal_audio_alsa_ops,
    &hal_audio_file_ops,
    &hal_audio_null_ops,
};

const struct hal_audio_ops *hal_audio_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *hal_audio_backend_names(void)
{
	return "alsa, file, null";
}

void hal_audio_set_error(struct hal_audio *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
}

void hal_audio_config_init(struct hal_audio_config *cfg, enum hal_audio_dir dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dir = dir;
	cfg->rate = HAL_AUDIO_RATE;
	cfg->channels = 1;
	cfg->format = HAL_AUDIO_S16_LE;
	cfg->period_ms = 20;
	cfg->buffer_periods = 4;
}

/* Copy [s, s+len) without leading and trailing blanks into out. false if empty or too long. */
static bool copy_trimmed(char *out, size_t cap, const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= cap)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

int hal_audio_config_add_control(struct hal_audio_config *cfg, const char *spec)
{
	if (spec == NULL)
		return -EINVAL;
	if (cfg->n_controls >= HAL_AUDIO_MAX_CONTROLS)
		return -ENOSPC;
	/* The first '=' splits: ALSA control names have none, an item name might. */
	const char *eq = strchr(spec, '=');
	if (eq == NULL)
		return -EINVAL;
	struct hal_audio_control *c = &cfg->controls[cfg->n_controls];
	if (!copy_trimmed(c->name, sizeof(c->name), spec, (size_t)(eq - spec)) ||
	    !copy_trimmed(c->value, sizeof(c->value), eq + 1, strlen(eq + 1)))
		return -EINVAL;
	cfg->n_controls++;
	return 0;
}

int hal_audio_config_check(const struct hal_audio_config *cfg, char *err, size_t cap)
{
#define REFUSE(...)                                                                                          \
	do {                                                                                                 \
		snprintf(err, cap, __VA_ARGS__);                                                             \
		return -EINVAL;                                                                              \
	} while (0)
	if (cfg->dir != HAL_AUDIO_PLAYBACK && cfg->dir != HAL_AUDIO_CAPTURE)
		REFUSE("audio: direction %d is neither playback nor capture", (int)cfg->dir);
	if (cfg->rate != HAL_AUDIO_RATE)
		REFUSE("audio: rate %u Hz, need %u Hz", cfg->rate, HAL_AUDIO_RATE);
	if (cfg->channels != 1)
		REFUSE("audio: %u channels, need mono", cfg->channels);
	if (cfg->format != HAL_AUDIO_S16_LE)
		REFUSE("audio: sample format %d, need S16_LE", (int)cfg->format);
	if (cfg->period_ms < HAL_AUDIO_MIN_PERIOD_MS || cfg->period_ms > HAL_AUDIO_MAX_PERIOD_MS)
		REFUSE("audio: period %u ms outside the packet times %u..%u ms", cfg->period_ms,
		       HAL_AUDIO_MIN_PERIOD_MS, HAL_AUDIO_MAX_PERIOD_MS);
	if (cfg->buffer_periods < HAL_AUDIO_MIN_BUFFER_PERIODS ||
	    cfg->buffer_periods > HAL_AUDIO_MAX_BUFFER_PERIODS)
		REFUSE("audio: buffer of %u periods outside %u..%u", cfg->buffer_periods,
		       HAL_AUDIO_MIN_BUFFER_PERIODS, HAL_AUDIO_MAX_BUFFER_PERIODS);
	if (cfg->n_controls > HAL_AUDIO_MAX_CONTROLS)
		REFUSE("audio: %u mixer controls, at most %u", cfg->n_controls, HAL_AUDIO_MAX_CONTROLS);
	if (memchr(cfg->device, '\0', sizeof(cfg->device)) == NULL ||
	    memchr(cfg->mixer, '\0', sizeof(cfg->mixer)) == NULL)
		REFUSE("audio: device or mixer name not terminated");
	for (unsigned i = 0; i < cfg->n_controls; i++) {
		const struct hal_audio_control *c = &cfg->controls[i];
		if (memchr(c->name, '\0', sizeof(c->name)) == NULL ||
		    memchr(c->value, '\0', sizeof(c->value)) == NULL || c->name[0] == '\0' ||
		    c->value[0] == '\0')
			REFUSE("audio: mixer control %u has an empty or unterminated name or value", i + 1);
	}
	if (err != NULL && cap > 0)
		err[0] = '\0';
	return 0;
#undef REFUSE
}

int hal_audio_bind(struct hal_audio *a, const struct hal_audio_ops *ops, const struct hal_audio_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	if (ops == NULL || cfg == NULL) {
		hal_audio_set_error(a, "audio: no backend or no configuration");
		return -EINVAL;
	}
	int rc = hal_audio_config_check(cfg, a->error, sizeof(a->error));
	if (rc != 0)
		return rc;
	a->cfg = *cfg;
	return 0;
}

int hal_audio_open_by_name(struct hal_audio *a, const char *backend, const struct hal_audio_config *cfg)
{
	const struct hal_audio_ops *ops = hal_audio_find(backend);
	if (ops == NULL) {
		memset(a, 0, sizeof(*a));
		hal_audio_set_error(a, "audio: unknown backend '%s' (known: %s)",
		                    backend ? backend : "(none)", hal_audio_backend_names());
		return -ENOENT;
	}
	return hal_audio_open(a, ops, cfg);
}
