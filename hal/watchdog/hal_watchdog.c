/* hal/watchdog: the backend table, the kick interval and the liveness rule. */
#include "watchdog_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct hal_watchdog_ops *const backends[] = {
    &hal_watchdog_linux_ops,
    &hal_watchdog_null_ops,
};

const struct hal_watchdog_ops *hal_watchdog_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *hal_watchdog_backend_names(void)
{
	return "linux, null";
}

void hal_watchdog_set_error(struct hal_watchdog *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

int hal_watchdog_bind(struct hal_watchdog *w, const struct hal_watchdog_ops *ops,
                      const struct hal_watchdog_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->ops = ops;
	if (ops == NULL || cfg == NULL) {
		hal_watchdog_set_error(w, "watchdog: no backend or no configuration");
		return -EINVAL;
	}
	if (memchr(cfg->device, '\0', sizeof(cfg->device)) == NULL) {
		hal_watchdog_set_error(w, "watchdog: device path not terminated");
		return -EINVAL;
	}
	if (cfg->timeout_s > HAL_WATCHDOG_MAX_TIMEOUT_S) {
		hal_watchdog_set_error(w, "watchdog: timeout %u s, at most %u s", cfg->timeout_s,
		                       HAL_WATCHDOG_MAX_TIMEOUT_S);
		return -EINVAL;
	}
	w->cfg = *cfg;
	if (w->cfg.device[0] == '\0')
		snprintf(w->cfg.device, sizeof(w->cfg.device), "%s", HAL_WATCHDOG_DEFAULT_DEVICE);
	return 0;
}

int hal_watchdog_open_by_name(struct hal_watchdog *w, const char *backend,
                              const struct hal_watchdog_config *cfg)
{
	const struct hal_watchdog_ops *ops = hal_watchdog_find(backend);
	if (ops == NULL) {
		memset(w, 0, sizeof(*w));
		hal_watchdog_set_error(w, "watchdog: unknown backend '%s' (known: %s)",
		                       backend ? backend : "(none)", hal_watchdog_backend_names());
		return -ENOENT;
	}
	return hal_watchdog_open(w, ops, cfg);
}

uint32_t hal_watchdog_kick_interval_ms(const struct hal_watchdog *w)
{
	if (w->timeout_s == 0)
		return 1000;
	return w->timeout_s * 1000u / 3u;
}

void hal_watchdog_liveness_init(struct hal_watchdog_liveness *lv, uint64_t now_ms, uint64_t media_beat,
                                uint32_t stall_ms)
{
	memset(lv, 0, sizeof(*lv));
	lv->stall_ms = stall_ms ? stall_ms : HAL_WATCHDOG_MEDIA_STALL_MS;
	lv->last_beat = media_beat;
	lv->last_change_ms = now_ms;
	lv->last_check_ms = now_ms;
}

bool hal_watchdog_liveness_check(struct hal_watchdog_liveness *lv, uint64_t now_ms, uint64_t media_beat)
{
	lv->loop_gap_ms = now_ms >= lv->last_check_ms ? now_ms - lv->last_check_ms : 0;
	lv->last_check_ms = now_ms;
	if (media_beat != lv->last_beat) {
		lv->last_beat = media_beat;
		lv->last_change_ms = now_ms;
	}
	lv->media_silent_ms = now_ms >= lv->last_change_ms ? now_ms - lv->last_change_ms : 0;
	lv->media_stalled = lv->media_silent_ms >= lv->stall_ms;
	return !lv->media_stalled;
}
