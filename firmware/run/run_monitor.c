/* `vmport run`: listening to a port's calls on the board's codec output (the board file's [audio]
 * `monitor` device). The device is opened here before the media thread starts and closed after
 * it stops; `vmport monitor PORT|off` (or `run --monitor PORT`) picks the port, and the media
 * engine does the rest (media.h, "Call monitor"). A board whose device cannot be opened runs
 * without monitoring, saying why. */
#include "run.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No usable device: vmport runs without monitoring, saying why, and that --monitor is ignored. */
static void unusable(const struct vm_run *r, const char *why)
{
	if (r->monitor_arg[0])
		LOGW("monitor", "%s; --monitor %s ignored, continuing without call monitoring", why,
		     r->monitor_arg);
	else
		LOGW("monitor", "%s (continuing without call monitoring)", why);
}

/* Before the media thread starts. A `--monitor` that names no port is an error (-1, err); a
 * device that cannot be opened is not: vmport runs without monitoring and says why. */
int vm_run_monitor_open(struct vm_run *r, char *err, size_t cap)
{
	int port = -1;
	if (r->monitor_arg[0] && (port = vm_run_port_index(r, r->monitor_arg)) < 0) {
		snprintf(err, cap, "--monitor %s: no such port (a device name or 1..%u)", r->monitor_arg,
		         r->cfg.ports);
		return -1;
	}
	struct hal_audio_config ac;
	if (!vm_board_audio_config(&r->board, HAL_AUDIO_PLAYBACK, &ac)) {
		if (r->monitor_arg[0])
			unusable(r, "the board has no [audio] monitor device");
		else
			LOGI("monitor", "board %s has no [audio] monitor device: calls cannot be listened to",
			     r->board_name);
		return 0;
	}
	if (hal_audio_open_by_name(&r->monitor, r->board.audio.backend, &ac) < 0) {
		unusable(r, r->monitor.error);
		return 0;
	}
	int rc = media_monitor_attach(r->media, &r->monitor);
	if (rc < 0) {
		unusable(r, "the media engine refused the monitor device");
		hal_audio_close(&r->monitor);
		return 0;
	}
	LOGI("monitor", "calls can be listened to on %s '%s' (vmport monitor PORT)", r->board.audio.backend,
	     ac.device[0] ? ac.device : "-");
	if (port >= 0 && media_monitor(r->media, port) == 0)
		LOGI("monitor", "listening to %s", r->device_names[port]);
	return 0;
}

/* After the media thread has stopped: for the file backend this finishes the WAV. */
void vm_run_monitor_close(struct vm_run *r)
{
	if (!r->monitor.opened)
		return;
	const struct hal_audio_stats *st = &r->monitor.stats;
	unsigned long long written = (unsigned long long)st->frames_written;
	if (hal_audio_close(&r->monitor) < 0)
		LOGE("monitor", "closing the monitor device: %s", r->monitor.error);
	else
		LOGI("monitor", "%llu.%03llu s of calls played, %llu frames dropped, %u underruns",
		     written / 8000u, written % 8000u / 8u, (unsigned long long)st->frames_dropped,
		     st->underruns);
}

/* A port by device name ("vmport-VI1") or by number (1..ports); -1 if neither. */
int vm_run_port_index(const struct vm_run *r, const char *name)
{
	for (unsigned i = 0; i < r->cfg.ports; i++) {
		if (!strcmp(r->device_names[i], name))
			return (int)i;
	}
	char *end;
	errno = 0;
	unsigned long n = strtoul(name, &end, 10);
	if (errno == 0 && end != name && *end == '\0' && name[0] != '-' && n >= 1 && n <= r->cfg.ports)
		return (int)n - 1;
	return -1;
}

void vm_run_monitor_status(struct vm_run *r, struct vm_control *ctl)
{
	struct media_monitor_status ms;
	media_monitor_status(r->media, &ms);
	if (!ms.attached) {
		vm_control_reply(ctl, "monitor: none (board %s has no usable [audio] monitor device)\n",
		                 r->board_name);
		return;
	}
	vm_control_reply(ctl,
	                 "monitor: %s on %s '%s'%s, %llu.%03llu s played, %llu frames dropped, %u underruns, "
	                 "%u errors\n",
	                 ms.ch >= 0 ? r->device_names[ms.ch] : "off", r->monitor.ops->name,
	                 r->monitor.cfg.device[0] ? r->monitor.cfg.device : "-",
	                 ms.ch >= 0 ? (ms.playing ? " (call audio)" : " (no call)") : "",
	                 (unsigned long long)(ms.frames_written / 8000u),
	                 (unsigned long long)(ms.frames_written % 8000u / 8u),
	                 (unsigned long long)ms.frames_dropped, ms.underruns, ms.errors);
}

int vm_run_monitor_request(struct vm_run *r, struct vm_control *ctl, int argc, char **argv)
{
	if (argc == 1) {
		vm_run_monitor_status(r, ctl);
		return 0;
	}
	if (argc != 2) {
		vm_control_reply(ctl, "error: monitor [PORT|off]\n");
		return -1;
	}
	bool off = !strcmp(argv[1], "off");
	int port = off ? -1 : vm_run_port_index(r, argv[1]);
	if (!off && port < 0) {
		vm_control_reply(ctl, "error: no port '%s' (a device name or 1..%u)\n", argv[1],
		                 r->cfg.ports);
		return -1;
	}
	int rc = media_monitor(r->media, port);
	if (rc == -ENODEV) {
		vm_control_reply(
		    ctl, "error: board %s has no usable [audio] monitor device (see the vmport log)\n",
		    r->board_name);
		return -1;
	}
	if (rc < 0) {
		vm_control_reply(ctl, "error: the media engine is busy (%s); try again\n", strerror(-rc));
		return -1;
	}
	if (off) {
		LOGI("monitor", "monitoring off");
		vm_control_reply(ctl, "monitor: off\n");
	} else {
		LOGI("monitor", "listening to %s", r->device_names[port]);
		vm_control_reply(ctl, "monitor: listening to %s on %s '%s'\n", r->device_names[port],
		                 r->monitor.ops->name,
		                 r->monitor.cfg.device[0] ? r->monitor.cfg.device : "-");
	}
	return 0;
}
