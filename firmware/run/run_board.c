/* `vmport run` on a board: the LEDs follow the ports (all registered; any MWI set), the watchdog
 * is kicked only while the event loop and the media thread are both alive, and the network
 * link takes the ports out of service and back. All of it from board/<name>/board.ini. */
#include "run.h"

#include "log.h"
#include "ports/port_group.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

static uint64_t media_heartbeat(const struct vm_run *r)
{
	struct media_totals t;
	media_engine_totals(r->media, &t);
	return t.wakes;
}

static void on_wdt_timer(struct vm_loop *loop, struct vm_timer *t)
{
	struct vm_run *r = t->arg;
	uint64_t now = vm_loop_now(loop);
	bool was_stalled = r->live.media_stalled;
	if (hal_watchdog_liveness_check(&r->live, now, media_heartbeat(r))) {
		hal_watchdog_kick(&r->wdt);
		hal_sd_notify("WATCHDOG=1");
	} else if (!was_stalled && r->live.media_stalled) {
		LOGE("watchdog", "media thread silent for %llu ms: withholding watchdog kicks",
		     (unsigned long long)r->live.media_silent_ms);
	}
	uint32_t every = hal_watchdog_kick_interval_ms(&r->wdt);
	uint64_t sd = hal_sd_watchdog_usec() / 2000u;
	if (sd && sd < every)
		every = (uint32_t)sd;
	vm_timer_arm_at(loop, t, now + (every ? every : 1000u));
}

static void on_net_event(void *arg, const struct hal_net_event *ev)
{
	struct vm_run *r = arg;
	if (ev->usable == r->net_usable)
		return;
	r->net_usable = ev->usable;
	if (!r->group)
		return;
	if (!ev->usable) {
		char why[160];
		snprintf(why, sizeof(why), "%s%s link down%s", ev->ifname, ev->vlan ? " (voice VLAN)" : "",
		         ev->removed ? " (interface removed)" : "");
		vm_port_group_suspend(r->group, why);
	} else {
		LOGI("net", "%s link up", ev->ifname);
		vm_port_group_resume(r->group);
	}
}

static void on_net_fd(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct vm_run *r = h->arg;
	hal_net_handle_events(&r->net);
}

static void open_led(struct vm_run *r, enum vm_board_led which, struct hal_led *led, const char *what)
{
	struct hal_led_config lc;
	if (!vm_board_led_config(&r->board, which, &lc))
		return; /* the board has no such LED */
	if (hal_led_open_by_name(led, r->board.leds.backend, &lc) < 0)
		LOGW("led", "%s LED '%s' not available: %s (continuing without it)", what, lc.name,
		     led->error);
}

int vm_run_board_open(struct vm_run *r, char *err, size_t cap)
{
	char path[512];
	if (vm_board_path(r->board_name, path, sizeof(path)) < 0) {
		snprintf(err, cap, "board '%s': no board.ini (last tried %s)", r->board_name, path);
		return -1;
	}
	if (vm_board_load(&r->board, path, err, cap) < 0)
		return -1;
	char text[512];
	vm_board_describe(&r->board, text, sizeof(text));
	LOGI("board", "%s", text);
	if (r->board.port_budget && r->cfg.ports > r->board.port_budget)
		LOGW("board", "%u ports configured, the board's budget is %u: calls may suffer", r->cfg.ports,
		     r->board.port_budget);
	open_led(r, VM_BOARD_LED_REGISTERED, &r->led_registered, "registered");
	open_led(r, VM_BOARD_LED_MWI, &r->led_mwi, "MWI");

	struct hal_net_config nc;
	vm_board_net_config(&r->board, &nc);
	nc.on_event = on_net_event;
	nc.arg = r;
	if (hal_net_open_by_name(&r->net, r->board.net.backend, &nc) < 0) {
		if (r->board.net.iface[0] || r->board.net.vlan[0]) {
			snprintf(err, cap, "network: %s", r->net.error);
			return -1;
		}
		/* No interface named and none holds a default route (a lab host on loopback only):
		 * run without link supervision rather than not at all. */
		LOGW("net", "%s: no link supervision (ports are not taken out of service on link loss)",
		     r->net.error);
		r->net_usable = true;
		r->net_fd.fd = -1;
		return 0;
	}
	r->net_usable = hal_net_usable(&r->net);
	r->net_fd = (struct vm_fd){.fd = hal_net_event_fd(&r->net), .cb = on_net_fd, .arg = r};
	if (r->net_fd.fd >= 0 && vm_loop_add(&r->loop, &r->net_fd, EPOLLIN) < 0) {
		snprintf(err, cap, "network: cannot watch link events");
		return -1;
	}
	return 0;
}

/* After the media thread runs: the watchdog only makes sense once both sides are alive. */
void vm_run_board_started(struct vm_run *r)
{
	struct hal_watchdog_config wc;
	vm_board_watchdog_config(&r->board, &wc);
	if (hal_watchdog_open_by_name(&r->wdt, r->board.watchdog.backend, &wc) < 0) {
		LOGW("watchdog", "%s (continuing without a hardware watchdog)", r->wdt.error);
	} else if (r->wdt.note[0]) {
		LOGI("watchdog", "%s", r->wdt.note);
	}
	hal_watchdog_liveness_init(&r->live, vm_loop_now(&r->loop), media_heartbeat(r), 0);
	r->wdt_timer = (struct vm_timer){.cb = on_wdt_timer, .arg = r};
	vm_timer_arm_in(&r->loop, &r->wdt_timer, 0);
	hal_sd_notify("READY=1");
	if (!r->net_usable && r->group)
		vm_port_group_suspend(r->group, "no usable network link at start");
}

void vm_run_board_status(void *arg)
{
	struct vm_run *r = arg;
	if (!r->group)
		return;
	size_t n = vm_port_group_count(r->group);
	if (r->led_registered.opened)
		hal_led_set(&r->led_registered, n > 0 && vm_port_group_registered(r->group) == n);
	if (r->led_mwi.opened)
		hal_led_set(&r->led_mwi, vm_port_group_any_mwi(r->group));
}

void vm_run_board_close(struct vm_run *r, bool clean)
{
	if (r->wdt.opened) {
		if (clean)
			hal_watchdog_stop(&r->wdt);
		else
			hal_watchdog_abandon(&r->wdt);
	}
	if (r->led_registered.opened)
		hal_led_close(&r->led_registered);
	if (r->led_mwi.opened)
		hal_led_close(&r->led_mwi);
	if (r->net_fd.fd >= 0 && r->net_fd.events)
		vm_loop_remove(&r->loop, &r->net_fd);
	if (r->net.opened)
		hal_net_close(&r->net);
}
