/* hal/watchdog "null" backend: no device. Kicks are counted in w->stats, a clean stop sets
 * w->disarmed: tests read both. */
#include "watchdog_internal.h"

#include <stdio.h>

static int null_open(struct hal_watchdog *w)
{
	w->timeout_s = w->cfg.timeout_s;
	snprintf(w->note, sizeof(w->note), "null twin: no watchdog device");
	return 0;
}

static int null_kick(struct hal_watchdog *w)
{
	(void)w;
	return 0;
}

static int null_close(struct hal_watchdog *w, bool disarm)
{
	w->disarmed = disarm;
	return 0;
}

const struct hal_watchdog_ops hal_watchdog_null_ops = {
    .name = "null",
    .open = null_open,
    .kick = null_kick,
    .close = null_close,
};
