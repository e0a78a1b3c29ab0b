/* hal/led: one indicator LED as a small interface. vmport drives two: "all ports registered" and
 * "message waiting on some mailbox", each named by the board file.
 *
 * One constant operations table per backend, picked by name from the board file:
 *   "sysfs"  the kernel's LED class: <root>/<name>/trigger and brightness (root defaults to
 *            /sys/class/leds; tests point it at a fake tree). Opening takes the LED from its
 *            kernel trigger (trigger "none"), closing gives the trigger back.
 *   "null"   remembers the state and counts the changes: tests and boards without LEDs
 * The caller owns a `struct hal_led` and drives it through the inline wrappers below; an
 * operation a backend does not have is NULL and the wrapper returns -ENOSYS.
 *
 * Threads: the event loop only. set() is a small sysfs write, done only when the state changes.
 * Errors are negative errno values; the instance's `error` string says what failed, naming the
 * file. */
#ifndef VMPORT_HAL_LED_H
#define VMPORT_HAL_LED_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAL_LED_NAME_MAX 64u  /* "beaglebone:green:usr3" */
#define HAL_LED_ROOT_MAX 192u /* the LED class directory */
#define HAL_LED_TRIGGER_MAX 64u
#define HAL_LED_ERROR_MAX 320u
#define HAL_LED_DEFAULT_ROOT "/sys/class/leds"

struct hal_led_config {
	char name[HAL_LED_NAME_MAX]; /* the directory under root: "led0", "ACT", "beaglebone:green:usr2" */
	char root[HAL_LED_ROOT_MAX]; /* "" means HAL_LED_DEFAULT_ROOT */
};

struct hal_led_stats {
	uint32_t on;     /* times switched on */
	uint32_t off;    /* times switched off */
	uint32_t errors; /* writes that failed */
};

struct hal_led;

struct hal_led_ops {
	const char *name;
	/* l->cfg is set; take the LED (trigger "none", read max_brightness), switch it off. */
	int (*open)(struct hal_led *l);
	int (*set)(struct hal_led *l, bool on);
	/* Switch it off and give the LED back to the trigger it had before open. */
	int (*close)(struct hal_led *l);
};

struct hal_led {
	const struct hal_led_ops *ops;
	struct hal_led_config cfg;
	struct hal_led_stats stats;
	bool opened;
	bool on;                                 /* the state last set */
	unsigned max_brightness;                 /* the "on" value written */
	char saved_trigger[HAL_LED_TRIGGER_MAX]; /* restored on close; "" when there was none */
	char error[HAL_LED_ERROR_MAX];
	void *priv;
};

/* The backend called `name` ("sysfs", "null"), or NULL. */
const struct hal_led_ops *hal_led_find(const char *name);
const char *hal_led_backend_names(void);

int hal_led_bind(struct hal_led *l, const struct hal_led_ops *ops, const struct hal_led_config *cfg);
int hal_led_open_by_name(struct hal_led *l, const char *backend, const struct hal_led_config *cfg);

static inline int hal_led_open(struct hal_led *l, const struct hal_led_ops *ops,
                               const struct hal_led_config *cfg)
{
	int rc = hal_led_bind(l, ops, cfg);
	if (rc != 0)
		return rc;
	if (ops->open == NULL)
		return -ENOSYS;
	rc = ops->open(l);
	l->opened = (rc == 0);
	return rc;
}

/* Switch the LED on or off; nothing is written when it is already in that state. */
static inline int hal_led_set(struct hal_led *l, bool on)
{
	if (!l->opened)
		return -EBADF;
	if (l->ops->set == NULL)
		return -ENOSYS;
	if (l->on == on)
		return 0;
	int rc = l->ops->set(l, on);
	if (rc == 0) {
		l->on = on;
		if (on)
			l->stats.on++;
		else
			l->stats.off++;
	} else {
		l->stats.errors++;
	}
	return rc;
}

/* Safe on an instance that never opened or is already closed (returns 0). */
static inline int hal_led_close(struct hal_led *l)
{
	if (!l->opened)
		return 0;
	l->opened = false;
	if (l->ops->close == NULL)
		return -ENOSYS;
	return l->ops->close(l);
}

#endif
