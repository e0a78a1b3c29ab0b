/* hal/led "null" backend: no LED. The state and the number of changes live in struct hal_led
 * (on, stats), where tests read them. */
#include "led_internal.h"

static int null_open(struct hal_led *l)
{
	l->max_brightness = 1;
	return 0;
}

static int null_set(struct hal_led *l, bool on)
{
	(void)l;
	(void)on;
	return 0;
}

static int null_close(struct hal_led *l)
{
	l->on = false;
	return 0;
}

const struct hal_led_ops hal_led_null_ops = {
    .name = "null",
    .open = null_open,
    .set = null_set,
    .close = null_close,
};
