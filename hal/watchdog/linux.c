/* hal/watchdog "linux" backend: the kernel's watchdog API on a character device
 * (Documentation/watchdog/watchdog-api.rst).
 *
 * Opening the device starts the timer. WDIOC_SETTIMEOUT is best effort (some drivers have a
 * fixed timeout, others round: the driver's answer is what counts). A kick is WDIOC_KEEPALIVE;
 * a device that takes no ioctls (ENOTTY: a test's FIFO or file, some minimal drivers) gets a
 * one-byte write instead, which the API also defines as a keepalive. On a clean stop the magic
 * character 'V' is written before close, so drivers with WDIOF_MAGICCLOSE stop counting; on any
 * other close (a crash) they keep counting and the board resets. */
#include "watchdog_internal.h"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct wdt_linux {
	int fd;
	bool use_write; /* the device refused WDIOC_KEEPALIVE: kick by writing */
};

static int linux_open(struct hal_watchdog *w)
{
	struct wdt_linux *wl = calloc(1, sizeof(*wl));
	if (wl == NULL) {
		hal_watchdog_set_error(w, "watchdog: out of memory");
		return -ENOMEM;
	}
	wl->fd = open(w->cfg.device, O_WRONLY | O_CLOEXEC);
	if (wl->fd < 0) {
		int rc = -errno;
		hal_watchdog_set_error(w, "watchdog: cannot open %s: %s%s", w->cfg.device, strerror(-rc),
		                       rc == -EBUSY
		                           ? " (another process holds it: systemd's RuntimeWatchdogSec "
		                             "or a watchdog daemon?)"
		                           : "");
		free(wl);
		return rc;
	}
	struct watchdog_info info;
	memset(&info, 0, sizeof(info));
	bool have_info = ioctl(wl->fd, WDIOC_GETSUPPORT, &info) == 0;
	char identity[sizeof(info.identity) + 1];
	snprintf(identity, sizeof(identity), "%s", have_info ? (const char *)info.identity : "");

	const char *timeout_note = "";
	if (w->cfg.timeout_s > 0) {
		int t = (int)w->cfg.timeout_s;
		if (ioctl(wl->fd, WDIOC_SETTIMEOUT, &t) != 0)
			timeout_note = ", timeout not settable";
	}
	int t = 0;
	if (ioctl(wl->fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0)
		w->timeout_s = (unsigned)t;
	else if (!have_info)
		wl->use_write = true; /* not a watchdog device at all: a test's file or FIFO */
	snprintf(w->note, sizeof(w->note), "%s%s%s: timeout %s%u s%s%s", w->cfg.device,
	         identity[0] ? " " : "", identity, w->timeout_s ? "" : "unknown, kicking every ",
	         w->timeout_s ? w->timeout_s : 1u, timeout_note,
	         have_info && !(info.options & WDIOF_MAGICCLOSE) ? ", no magic close (stops on any close)"
	                                                         : "");
	w->priv = wl;
	return 0;
}

static int kick_by_write(struct hal_watchdog *w, struct wdt_linux *wl)
{
	ssize_t n = write(wl->fd, "k", 1);
	if (n == 1)
		return 0;
	int rc = n < 0 ? -errno : -EIO;
	hal_watchdog_set_error(w, "watchdog: keepalive write to %s: %s", w->cfg.device, strerror(-rc));
	return rc;
}

static int linux_kick(struct hal_watchdog *w)
{
	struct wdt_linux *wl = w->priv;
	if (wl->use_write)
		return kick_by_write(w, wl);
	int dummy = 0;
	if (ioctl(wl->fd, WDIOC_KEEPALIVE, &dummy) == 0)
		return 0;
	if (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP) {
		wl->use_write = true;
		return kick_by_write(w, wl);
	}
	int rc = -errno;
	hal_watchdog_set_error(w, "watchdog: WDIOC_KEEPALIVE on %s: %s", w->cfg.device, strerror(-rc));
	return rc;
}

static int linux_close(struct hal_watchdog *w, bool disarm)
{
	struct wdt_linux *wl = w->priv;
	int rc = 0;
	if (wl == NULL)
		return 0;
	if (disarm) {
		ssize_t n = write(wl->fd, "V", 1);
		if (n == 1) {
			w->disarmed = true;
		} else {
			rc = n < 0 ? -errno : -EIO;
			hal_watchdog_set_error(w, "watchdog: magic close on %s: %s; the board may reset",
			                       w->cfg.device, strerror(-rc));
		}
	}
	if (close(wl->fd) != 0 && rc == 0)
		rc = -errno;
	free(wl);
	w->priv = NULL;
	return rc;
}

const struct hal_watchdog_ops hal_watchdog_linux_ops = {
    .name = "linux",
    .open = linux_open,
    .kick = linux_kick,
    .close = linux_close,
};
