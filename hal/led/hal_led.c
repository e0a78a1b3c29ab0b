/* hal/led: the backend table and the checks every backend shares. */
#include "led_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct hal_led_ops *const backends[] = {
    &hal_led_sysfs_ops,
    &hal_led_null_ops,
};

const struct hal_led_ops *hal_led_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *hal_led_backend_names(void)
{
	return "sysfs, null";
}

void hal_led_set_error(struct hal_led *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->error, sizeof(l->error), fmt, ap);
	va_end(ap);
}

int hal_led_bind(struct hal_led *l, const struct hal_led_ops *ops, const struct hal_led_config *cfg)
{
	memset(l, 0, sizeof(*l));
	l->ops = ops;
	if (ops == NULL || cfg == NULL) {
		hal_led_set_error(l, "led: no backend or no configuration");
		return -EINVAL;
	}
	if (memchr(cfg->name, '\0', sizeof(cfg->name)) == NULL ||
	    memchr(cfg->root, '\0', sizeof(cfg->root)) == NULL) {
		hal_led_set_error(l, "led: name or root path not terminated");
		return -EINVAL;
	}
	/* The name is one directory under root: never a path that could climb out of it. */
	if (cfg->name[0] == '\0' || strchr(cfg->name, '/') != NULL || strcmp(cfg->name, ".") == 0 ||
	    strcmp(cfg->name, "..") == 0) {
		hal_led_set_error(l, "led: '%s' is not an LED name", cfg->name);
		return -EINVAL;
	}
	l->cfg = *cfg;
	if (l->cfg.root[0] == '\0')
		snprintf(l->cfg.root, sizeof(l->cfg.root), "%s", HAL_LED_DEFAULT_ROOT);
	return 0;
}

int hal_led_open_by_name(struct hal_led *l, const char *backend, const struct hal_led_config *cfg)
{
	const struct hal_led_ops *ops = hal_led_find(backend);
	if (ops == NULL) {
		memset(l, 0, sizeof(*l));
		hal_led_set_error(l, "led: unknown backend '%s' (known: %s)", backend ? backend : "(none)",
		                  hal_led_backend_names());
		return -ENOENT;
	}
	return hal_led_open(l, ops, cfg);
}
