/* hal/watchdog: a hardware watchdog that resets the board unless vmport keeps kicking it, the
 * rule that decides when a kick is deserved, and systemd's service watchdog (sd_notify).
 *
 * One constant operations table per backend, picked by name from the board file:
 *   "linux"  a watchdog character device (/dev/watchdog, Documentation/watchdog/watchdog-api.rst):
 *            the timeout is set best effort, kicks are WDIOC_KEEPALIVE (or a one-byte write where
 *            the device takes no ioctl), a clean stop writes the magic 'V' before closing
 *   "null"   counts kicks and remembers a clean stop: tests and boards without a watchdog
 * The caller owns a `struct hal_watchdog` and drives it through the inline wrappers below.
 *
 * Who kicks. Only the event loop, from a timer, and only while hal_watchdog_liveness_check() says
 * both the loop (it is running the check) and the media thread (its heartbeat counter moved
 * lately) are alive. A hung media thread therefore resets the board even though the loop is fine,
 * and a hung loop resets it because nobody kicks. The same verdict gates sd_notify("WATCHDOG=1")
 * when systemd supervises the service (WatchdogSec=).
 *
 * Errors are negative errno values; the instance's `error` string says what failed. */
#ifndef VMPORT_HAL_WATCHDOG_H
#define VMPORT_HAL_WATCHDOG_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAL_WATCHDOG_PATH_MAX 128u
#define HAL_WATCHDOG_ERROR_MAX 256u
#define HAL_WATCHDOG_NOTE_MAX 320u
#define HAL_WATCHDOG_DEFAULT_DEVICE "/dev/watchdog"
#define HAL_WATCHDOG_MAX_TIMEOUT_S 3600u

struct hal_watchdog_config {
	char device[HAL_WATCHDOG_PATH_MAX]; /* "" means HAL_WATCHDOG_DEFAULT_DEVICE */
	unsigned timeout_s;                 /* asked of the driver (it may round); 0 keeps the driver's */
};

struct hal_watchdog_stats {
	uint64_t kicks;
	uint32_t kick_errors;
};

struct hal_watchdog;

struct hal_watchdog_ops {
	const char *name;
	/* w->cfg is set. Opening arms the watchdog: kicks must follow within the timeout. */
	int (*open)(struct hal_watchdog *w);
	int (*kick)(struct hal_watchdog *w);
	/* disarm: write the magic close first so the driver stops counting (clean shutdown). Without
	 * it the timer keeps running and the board resets: what a crash should lead to. */
	int (*close)(struct hal_watchdog *w, bool disarm);
};

struct hal_watchdog {
	const struct hal_watchdog_ops *ops;
	struct hal_watchdog_config cfg;
	struct hal_watchdog_stats stats;
	bool opened;
	unsigned timeout_s;               /* in effect, as the driver reports it; 0 unknown */
	bool disarmed;                    /* the last close wrote the magic 'V' */
	char note[HAL_WATCHDOG_NOTE_MAX]; /* identity, timeout and what could not be set: log it */
	char error[HAL_WATCHDOG_ERROR_MAX];
	void *priv;
};

/* The backend called `name` ("linux", "null"), or NULL. */
const struct hal_watchdog_ops *hal_watchdog_find(const char *name);
const char *hal_watchdog_backend_names(void);

int hal_watchdog_bind(struct hal_watchdog *w, const struct hal_watchdog_ops *ops,
                      const struct hal_watchdog_config *cfg);
int hal_watchdog_open_by_name(struct hal_watchdog *w, const char *backend,
                              const struct hal_watchdog_config *cfg);

/* How often to kick: a third of the timeout in effect, 1 s when the driver does not say. */
uint32_t hal_watchdog_kick_interval_ms(const struct hal_watchdog *w);

static inline int hal_watchdog_open(struct hal_watchdog *w, const struct hal_watchdog_ops *ops,
                                    const struct hal_watchdog_config *cfg)
{
	int rc = hal_watchdog_bind(w, ops, cfg);
	if (rc != 0)
		return rc;
	if (ops->open == NULL)
		return -ENOSYS;
	rc = ops->open(w);
	w->opened = (rc == 0);
	return rc;
}

static inline int hal_watchdog_kick(struct hal_watchdog *w)
{
	if (!w->opened)
		return -EBADF;
	if (w->ops->kick == NULL)
		return -ENOSYS;
	int rc = w->ops->kick(w);
	if (rc == 0)
		w->stats.kicks++;
	else
		w->stats.kick_errors++;
	return rc;
}

/* Clean stop: disarm (magic close) and close. Safe when not open (returns 0). */
static inline int hal_watchdog_stop(struct hal_watchdog *w)
{
	if (!w->opened)
		return 0;
	w->opened = false;
	if (w->ops->close == NULL)
		return -ENOSYS;
	return w->ops->close(w, true);
}

/* Close without disarming: the board resets when the timeout runs out. Safe when not open. */
static inline int hal_watchdog_abandon(struct hal_watchdog *w)
{
	if (!w->opened)
		return 0;
	w->opened = false;
	if (w->ops->close == NULL)
		return -ENOSYS;
	return w->ops->close(w, false);
}

/* ---- the liveness rule (pure: time and the heartbeat are arguments) ---- */

#define HAL_WATCHDOG_MEDIA_STALL_MS 2000u /* the media thread wakes at least every 10 ms */

struct hal_watchdog_liveness {
	uint32_t stall_ms;        /* how long the media heartbeat may stand still */
	uint64_t last_beat;       /* the counter at its last change */
	uint64_t last_change_ms;  /* when it last changed (or when watching began) */
	uint64_t last_check_ms;   /* the previous check: a long gap means the loop itself was stuck */
	bool media_stalled;       /* the last verdict withheld the kick because of the media thread */
	uint64_t media_silent_ms; /* at the last check: how long the heartbeat had stood still */
	uint64_t loop_gap_ms;     /* at the last check: time since the check before */
};

/* Start watching now with the heartbeat's current value: the media thread gets stall_ms (0:
 * HAL_WATCHDOG_MEDIA_STALL_MS) to show it is alive. Call once the media thread runs. */
void hal_watchdog_liveness_init(struct hal_watchdog_liveness *lv, uint64_t now_ms, uint64_t media_beat,
                                uint32_t stall_ms);
/* Called by the event loop's kick timer, which proves the loop alive. True when the media
 * heartbeat has moved within stall_ms: kick the watchdog and notify systemd. False: hold back,
 * so the watchdog resets the board unless the media thread recovers first. */
bool hal_watchdog_liveness_check(struct hal_watchdog_liveness *lv, uint64_t now_ms, uint64_t media_beat);

/* ---- systemd's service notification protocol (sd_notify(3)), without libsystemd ---- */

/* Send `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET.
 * 1 sent, 0 not run by systemd (no $NOTIFY_SOCKET), or -errno. */
int hal_sd_notify(const char *state);
/* systemd's watchdog interval for this process in microseconds ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or names this process), 0 when systemd expects no WATCHDOG=1. Notify at
 * half this interval or more often. */
uint64_t hal_sd_watchdog_usec(void);

#endif
