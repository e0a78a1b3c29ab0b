/* hal/led "sysfs" backend: the kernel's LED class (Documentation/leds/leds-class.rst).
 *
 * <root>/<name>/trigger lists the triggers with the active one in brackets ("none [mmc0] timer").
 * vmport writes "none" so the kernel stops driving the LED, remembers the old trigger and writes
 * it back on close, so the board's usual blinking (SD activity, heartbeat) returns when vmport
 * stops. brightness takes 0 for off and max_brightness for on. */
#include "led_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_CAP (HAL_LED_ROOT_MAX + HAL_LED_NAME_MAX + 32u)
#define TRIGGER_LIST_MAX 16384u /* kernels with many triggers exceed a page */

static void attr_path(const struct hal_led *l, const char *attr, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s/%s", l->cfg.root, l->cfg.name, attr);
}

static int write_attr(struct hal_led *l, const char *attr, const char *text)
{
	char path[PATH_CAP];
	attr_path(l, attr, path, sizeof(path));
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		hal_led_set_error(l, "led: cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int rc = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		hal_led_set_error(l, "led: cannot write '%.*s' to %s: %s", (int)strcspn(text, "\n"), text,
		                  path, strerror(-rc));
	return rc;
}

/* Read an attribute into buf (NUL-terminated). -errno on failure. */
static int read_attr(const struct hal_led *l, const char *attr, char *buf, size_t cap)
{
	char path[PATH_CAP];
	attr_path(l, attr, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			int rc = -errno;
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return 0;
}

/* The bracketed entry of a trigger list, or "" when there is none. */
static void active_trigger(const char *list, char *out, size_t cap)
{
	out[0] = '\0';
	const char *open = strchr(list, '[');
	const char *close = open ? strchr(open, ']') : NULL;
	if (close == NULL || (size_t)(close - open - 1) >= cap)
		return;
	memcpy(out, open + 1, (size_t)(close - open - 1));
	out[close - open - 1] = '\0';
}

static int sysfs_open(struct hal_led *l)
{
	char path[PATH_CAP];
	snprintf(path, sizeof(path), "%s/%s", l->cfg.root, l->cfg.name);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		hal_led_set_error(l, "led: no LED '%s' in %s (the board file names it; see ls %s)",
		                  l->cfg.name, l->cfg.root, l->cfg.root);
		return -ENOENT;
	}
	char text[32];
	int rc = read_attr(l, "max_brightness", text, sizeof(text));
	char *end = NULL;
	unsigned long max = rc == 0 ? strtoul(text, &end, 10) : 0;
	if (rc != 0 || end == text || max == 0 || max > 1000000) {
		attr_path(l, "max_brightness", path, sizeof(path));
		hal_led_set_error(l, "led: %s: %s", path, rc != 0 ? strerror(-rc) : "not a positive number");
		return rc != 0 ? rc : -EINVAL;
	}
	l->max_brightness = (unsigned)max;

	/* The trigger attribute exists only with CONFIG_LEDS_TRIGGERS; without it nothing else
	 * drives the LED, and there is nothing to take over or give back. */
	char *list = malloc(TRIGGER_LIST_MAX);
	if (list == NULL) {
		hal_led_set_error(l, "led: out of memory");
		return -ENOMEM;
	}
	rc = read_attr(l, "trigger", list, TRIGGER_LIST_MAX);
	if (rc == 0)
		active_trigger(list, l->saved_trigger, sizeof(l->saved_trigger));
	free(list);
	if (rc != 0 && rc != -ENOENT) {
		attr_path(l, "trigger", path, sizeof(path));
		hal_led_set_error(l, "led: cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	bool took = rc == 0 && strcmp(l->saved_trigger, "none") != 0;
	if (took) {
		rc = write_attr(l, "trigger", "none\n");
		if (rc != 0)
			return rc;
	}
	rc = write_attr(l, "brightness", "0\n");
	if (rc != 0 && took) { /* give the LED back as it was; the error stays the brightness one */
		char keep[HAL_LED_ERROR_MAX], back[HAL_LED_TRIGGER_MAX + 2];
		memcpy(keep, l->error, sizeof(keep));
		snprintf(back, sizeof(back), "%s\n", l->saved_trigger);
		write_attr(l, "trigger", back);
		memcpy(l->error, keep, sizeof(keep));
	}
	return rc;
}

static int sysfs_set(struct hal_led *l, bool on)
{
	char text[16];
	snprintf(text, sizeof(text), "%u\n", on ? l->max_brightness : 0u);
	return write_attr(l, "brightness", text);
}

static int sysfs_close(struct hal_led *l)
{
	int rc = write_attr(l, "brightness", "0\n");
	l->on = false;
	if (l->saved_trigger[0] && strcmp(l->saved_trigger, "none") != 0) {
		char text[HAL_LED_TRIGGER_MAX + 2];
		snprintf(text, sizeof(text), "%s\n", l->saved_trigger);
		int trc = write_attr(l, "trigger", text);
		if (rc == 0)
			rc = trc;
	}
	return rc;
}

const struct hal_led_ops hal_led_sysfs_ops = {
    .name = "sysfs",
    .open = sysfs_open,
    .set = sysfs_set,
    .close = sysfs_close,
};
