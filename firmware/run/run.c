/* `vmport run -c CONF`: trust (CTL), certificates, the media engine and the port group on one
 * event loop, in the foreground. SIGTERM unregisters every port and exits 0; SIGHUP re-reads CONF
 * and the greeting, and re-registers only the ports whose settings changed. */
#include "run.h"
#include "data_dir.h"

#include "cmd.h"
#include "log.h"
#include "media/media_clip.h"
#include "pki/pki.h"
#include "ports/port_group.h"
#include "tls/tls.h"
#include "trust/trust.h"

#include "clock/hal_clock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* After SIGTERM, ports have this long to unregister before vmport exits anyway. */
#define SHUTDOWN_GRACE_MS 5000u

int vm_run_make_dirs(const char *path)
{
	char tmp[VMPORT_PATH_MAX + 64];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* CONF's greeting, or the shipped one (data_dir.h says where it is looked for). */
static void greeting_path(const struct vmport_config *cfg, char *out, size_t cap)
{
	if (cfg->greeting[0])
		snprintf(out, cap, "%s", cfg->greeting);
	else
		(void)vm_data_find("greeting.wav", out, cap);
}

static void on_all_stopped(void *arg)
{
	struct vm_run *r = arg;
	LOGI("run", "every port unregistered");
	vm_loop_stop(&r->loop);
}

static void on_stop_deadline(struct vm_loop *loop, struct vm_timer *t)
{
	(void)t;
	LOGW("run", "some ports did not unregister within %u s; exiting anyway", SHUTDOWN_GRACE_MS / 1000);
	vm_loop_stop(loop);
}

static void begin_shutdown(struct vm_run *r, const char *why)
{
	if (r->stopping)
		return;
	r->stopping = true;
	hal_sd_notify("STOPPING=1");
	LOGI("run", "%s: unregistering %zu ports", why, r->group ? vm_port_group_count(r->group) : (size_t)0);
	if (!r->group || !r->group_started) {
		vm_loop_stop(&r->loop);
		return;
	}
	r->stop_timer = (struct vm_timer){.cb = on_stop_deadline, .arg = r};
	vm_timer_arm_in(&r->loop, &r->stop_timer, SHUTDOWN_GRACE_MS);
	vm_port_group_shutdown(r->group);
}

static void on_signal(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct vm_run *r = h->arg;
	struct signalfd_siginfo si;
	while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			begin_shutdown(r, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		else if (si.ssi_signo == SIGHUP)
			vm_run_reload(r);
	}
}

static int server_cert(void *arg, size_t server, const uint8_t **der, size_t *len)
{
	struct vm_run *r = arg;
	struct vm_trust_cert cert;
	if (!r->trust || vm_trust_server_cert(r->trust, r->cfg.cucm[server].host, &cert) < 0) {
		LOGE("trust", "failed to find CCM Server '%s' in CTL File", r->cfg.cucm[server].host);
		return -1;
	}
	*der = cert.der;
	*len = cert.len;
	return 0;
}

static void refresh_trust(struct vm_run *r, enum vm_trust_why why, const char *detail);

static void server_cert_refused(void *arg, size_t server)
{
	struct vm_run *r = arg;
	char detail[200];
	snprintf(detail, sizeof(detail), "CallManager %s presented a certificate the CTL does not pin",
	         r->cfg.cucm[server].host);
	/* One refetch at a time: ports that fail meanwhile wait for its outcome. */
	if (!r->trust_timer.armed && !vm_run_trust_busy(r))
		refresh_trust(r, VM_TRUST_WHY_CERT_REJECTED, detail);
}

static struct tls_ctx *port_tls(void *arg, unsigned port)
{
	struct vm_run *r = arg;
	return r->tls ? r->tls[port] : NULL;
}

static void start_group(struct vm_run *r)
{
	if (r->group_started || r->stopping)
		return;
	r->group_started = true;
	LOGI("run", "port group '%s' in service: %u %s ports, registering %u per second", r->cfg.group_name,
	     r->cfg.ports, vmport_security_mode_name(r->cfg.security_mode), r->cfg.register_rate);
	vm_port_group_start(r->group);
}

static void on_trust_timer(struct vm_loop *loop, struct vm_timer *t)
{
	(void)loop;
	refresh_trust(t->arg, VM_TRUST_WHY_RETRY, NULL);
}

static void refresh_trust(struct vm_run *r, enum vm_trust_why why, const char *detail)
{
	int rc = vm_run_trust_refresh(r, why, detail);
	if (rc < 0) {
		/* No thread: try again later rather than block the loop. */
		LOGE("trust", "cannot start the CTL fetch (%s); Starting retry timer -> %u msec",
		     strerror(-rc), VM_TRUST_RETRY_MS);
		vm_timer_arm_in(&r->loop, &r->trust_timer, VM_TRUST_RETRY_MS);
	}
}

void vm_run_trust_done(struct vm_run *r, enum vm_trust_status status, const struct vm_trust_result *res)
{
	if (r->stopping)
		return;
	if (status == VM_TRUST_RETRY) {
		vm_timer_arm_in(&r->loop, &r->trust_timer, res->retry_ms);
		return;
	}
	start_group(r);
}

/* One TLS client context per port: each presents its own certificate, chained to vmport's root. */
static int make_tls_contexts(struct vm_run *r, char *err, size_t cap)
{
	enum tls_mode mode;
	if (tls_mode_from_security(r->cfg.security_mode, &mode) < 0)
		return 0; /* nonsecure: plain TCP, no TLS at all */
	r->tls = calloc(r->cfg.ports, sizeof(*r->tls));
	if (!r->tls) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	static uint8_t root[PKI_CERT_DER_MAX];
	size_t root_len = 0;
	if (pki_load_root(&r->cfg, root, sizeof(root), &root_len, err, cap) < 0)
		return -1;
	if (r->cfg.tls_keylog[0]) {
		char warn[400];
		tls_keylog_warning(warn, sizeof(warn), r->cfg.tls_keylog);
		LOGW("tls", "%s", warn);
	}
	for (unsigned i = 0; i < r->cfg.ports; i++) {
		struct pki_identity id;
		if (pki_load_port_identity(&r->cfg, r->device_names[i], &id, err, cap) < 0)
			return -1;
		struct tls_ctx_config tc;
		tls_ctx_config_init(&tc, TLS_ROLE_CLIENT, mode);
		tc.cert = (struct tls_blob){id.cert, id.cert_len};
		tc.chain = (struct tls_blob){root, root_len};
		tc.key = (struct tls_blob){id.key, id.key_len};
		tc.keylog_file = r->cfg.tls_keylog[0] ? r->cfg.tls_keylog : NULL;
		char why[300];
		r->tls[i] = tls_ctx_new(&tc, why, sizeof(why));
		pki_identity_wipe(&id);
		if (!r->tls[i]) {
			snprintf(err, cap, "%s: TLS context: %s", r->device_names[i], why);
			return -1;
		}
	}
	return 0;
}

static int open_media(struct vm_run *r, char *err, size_t cap)
{
	struct media_engine_config mc;
	media_engine_config_defaults(&mc);
	mc.max_channels = r->cfg.ports;
	mc.port_min = r->cfg.rtp_port_min;
	mc.port_max = r->cfg.rtp_port_max;
	mc.cname = r->cfg.group_name;
	mc.rt_backend = r->board.media.rt;
	vm_board_rt_policy(&r->board, &mc.rt);
	int rc = media_engine_create(&mc, &r->media);
	if (rc < 0) {
		snprintf(err, cap, "media engine: %s", strerror(-rc));
		return -1;
	}
	char path[VMPORT_PATH_MAX];
	greeting_path(&r->cfg, path, sizeof(path));
	char why[300];
	if (media_clip_load_wav(path, &r->greeting, why, sizeof(why)) < 0) {
		snprintf(err, cap, "greeting: %s", why);
		return -1;
	}
	if (media_clip_tone(1000, 8000, 250, &r->beep) < 0) {
		snprintf(err, cap, "beep: out of memory");
		return -1;
	}
	if (vm_run_monitor_open(r, err, cap) < 0)
		return -1;
	rc = media_engine_start(r->media);
	if (rc < 0) {
		snprintf(err, cap, "media engine start: %s", strerror(-rc));
		return -1;
	}
	if (vm_run_media_attach(r) < 0) {
		snprintf(err, cap, "media engine events: cannot watch the event fd");
		return -1;
	}
	return 0;
}

static int open_signals(struct vm_run *r)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r->signal_fd = (struct vm_fd){.fd = fd, .cb = on_signal, .arg = r};
	return vm_loop_add(&r->loop, &r->signal_fd, EPOLLIN);
}

static void cleanup(struct vm_run *r)
{
	vm_run_board_close(r, r->exit_status == 0);
	vm_run_trust_close(r);
	if (r->group)
		vm_port_group_free(r->group);
	vm_control_close(&r->control);
	if (r->media) {
		media_engine_stop(r->media); /* saves recordings still open */
		struct media_event ev;
		while (media_poll_event(r->media, &ev) == 1) {
			if (ev.type == MEDIA_EV_RECORD_SAVED)
				LOGI("media", "message saved at shutdown: %s", ev.u.rec.path);
		}
		media_engine_destroy(r->media);
	}
	vm_run_monitor_close(r); /* after the media thread: it wrote to the device */
	if (r->greeting)
		media_clip_unref(r->greeting);
	if (r->beep)
		media_clip_unref(r->beep);
	for (unsigned i = 0; r->tls && i < r->cfg.ports; i++)
		tls_ctx_free(r->tls[i]);
	free(r->tls);
	vm_trust_free(r->trust);
	if (r->signal_fd.fd > 0)
		close(r->signal_fd.fd);
	vm_loop_close(&r->loop);
	free(r->device_names);
	free(r->calls);
	free(r->last_stats);
}

static int run_main(struct vm_run *r)
{
	char err[512];
	if (vm_loop_init(&r->loop) < 0 || open_signals(r) < 0) {
		LOGE("run", "cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	r->device_names = calloc(r->cfg.ports, sizeof(*r->device_names));
	r->calls = calloc(r->cfg.ports, sizeof(*r->calls));
	r->last_stats = calloc(r->cfg.ports, sizeof(*r->last_stats));
	if (!r->device_names || !r->calls || !r->last_stats) {
		LOGE("run", "out of memory for %u ports", r->cfg.ports);
		return 1;
	}
	for (unsigned i = 0; i < r->cfg.ports; i++)
		vmport_config_device_name(&r->cfg, i + 1, r->device_names[i]);

	int rc = vm_run_make_dirs(r->cfg.state_dir);
	if (rc == 0)
		rc = vm_run_make_dirs(r->cfg.messages_dir);
	if (rc < 0) {
		LOGE("run", "cannot create %s or %s: %s", r->cfg.state_dir, r->cfg.messages_dir,
		     strerror(-rc));
		return 1;
	}
	if (vm_run_board_open(r, err, sizeof(err)) < 0) {
		LOGE("board", "%s", err);
		return 1;
	}
	bool secure = r->cfg.security_mode != VMPORT_NONSECURE;
	if (secure) {
		if (!r->cfg.ctl_verify)
			LOGW("trust", "ctl_verify = off: the CTL file is NOT verified (lab use only)");
		if (pki_ensure(&r->cfg, hal_clock_wall_s(), err, sizeof(err)) < 0) {
			LOGE("pki", "%s", err);
			return 1;
		}
		if (make_tls_contexts(r, err, sizeof(err)) < 0) {
			LOGE("tls", "%s", err);
			return 1;
		}
		LOGI("tls", "%s", tls_library_info());
		r->trust = vm_trust_init(&r->cfg, NULL, err, sizeof(err));
		if (!r->trust) {
			LOGE("trust", "%s", err);
			return 1;
		}
	}
	if (open_media(r, err, sizeof(err)) < 0) {
		LOGE("media", "%s", err);
		return 1;
	}
	struct vm_port_services svc = {
	    .arg = r,
	    .server_cert = secure ? server_cert : NULL,
	    .server_cert_refused = secure ? server_cert_refused : NULL,
	    .port_tls = secure ? port_tls : NULL,
	    .media_action = vm_run_media_action,
	    .all_stopped = on_all_stopped,
	};
	if (vm_port_group_new(&r->group, &r->cfg, &r->loop, &svc, err, sizeof(err)) < 0) {
		LOGE("run", "%s", err);
		return 1;
	}
	char sock[VMPORT_PATH_MAX + 32];
	vm_run_control_path(&r->cfg, sock, sizeof(sock));
	if (vm_control_open(&r->control, &r->loop, sock, vm_run_control_handler, r, err, sizeof(err)) < 0) {
		LOGE("run", "%s", err);
		return 1;
	}
	r->trust_timer = (struct vm_timer){.cb = on_trust_timer, .arg = r};
	vm_run_board_started(r);
	if (secure)
		refresh_trust(r, VM_TRUST_WHY_START, NULL);
	else
		start_group(r);
	rc = vm_loop_run(&r->loop);
	if (rc < 0) {
		LOGE("run", "event loop failed: %s", strerror(-rc));
		return 1;
	}
	LOGI("run", "stopped: %llu messages saved, %llu failed", (unsigned long long)r->messages_saved,
	     (unsigned long long)r->messages_failed);
	return r->exit_status;
}

/* SIGHUP: load the greeting afresh (`vmport greeting record` may have replaced the file, or CONF
 * names another). A clip that does not load leaves the previous one playing. Calls already
 * playing the old clip hold their own reference (media_play), so dropping ours is safe. */
static void reload_greeting(struct vm_run *r, const struct vmport_config *fresh)
{
	char path[VMPORT_PATH_MAX];
	greeting_path(fresh, path, sizeof(path));
	struct media_clip *clip = NULL;
	char why[300];
	if (media_clip_load_wav(path, &clip, why, sizeof(why)) < 0) {
		LOGE("media", "SIGHUP: greeting: %s; keeping the previous greeting", why);
		return;
	}
	struct media_clip *old = r->greeting;
	r->greeting = clip;
	if (old)
		media_clip_unref(old);
	snprintf(r->cfg.greeting, sizeof(r->cfg.greeting), "%s", fresh->greeting);
	LOGI("media", "SIGHUP: greeting loaded from %s (%zu.%02zu s)", path, clip->samples / 8000u,
	     clip->samples % 8000u / 80u);
}

void vm_run_reload(struct vm_run *r)
{
	struct vmport_config fresh;
	char err[512];
	if (vmport_config_load(&fresh, r->conf_path, err, sizeof(err)) < 0) {
		LOGE("run", "SIGHUP: %s; keeping the running configuration", err);
		return;
	}
	vm_port_group_reload(r->group, &fresh);
	/* Settings read at use: the media side and MWI take them from here. */
	snprintf(r->cfg.mwi_on_extension, sizeof(r->cfg.mwi_on_extension), "%s", fresh.mwi_on_extension);
	snprintf(r->cfg.mwi_off_extension, sizeof(r->cfg.mwi_off_extension), "%s", fresh.mwi_off_extension);
	snprintf(r->cfg.messages_dir, sizeof(r->cfg.messages_dir), "%s", fresh.messages_dir);
	r->cfg.max_message_seconds = fresh.max_message_seconds;
	reload_greeting(r, &fresh);
}

int cmd_run(int argc, char **argv)
{
	const char *conf = NULL, *monitor = "";
	const char *board = getenv("VMPORT_BOARD") ? getenv("VMPORT_BOARD") : "host";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			conf = argv[++i];
		} else if (!strcmp(argv[i], "-b") && i + 1 < argc) {
			board = argv[++i];
		} else if (!strcmp(argv[i], "--monitor") && i + 1 < argc) {
			monitor = argv[++i];
		} else if (!strcmp(argv[i], "-v")) {
			vm_log_set_level(VM_LOG_DEBUG);
		} else {
			fprintf(stderr, "usage: vmport run -c CONF [-b BOARD] [--monitor PORT] [-v]\n");
			return 2;
		}
	}
	if (!conf) {
		fprintf(stderr, "usage: vmport run -c CONF [-b BOARD] [--monitor PORT] [-v]\n");
		return 2;
	}
	static struct vm_run r;
	memset(&r, 0, sizeof(r));
	r.signal_fd.fd = -1;
	snprintf(r.conf_path, sizeof(r.conf_path), "%s", conf);
	snprintf(r.board_name, sizeof(r.board_name), "%s", board);
	snprintf(r.monitor_arg, sizeof(r.monitor_arg), "%s", monitor);
	r.net_fd.fd = -1;
	char err[512];
	if (vmport_config_load(&r.cfg, conf, err, sizeof(err)) < 0) {
		LOGE("run", "%s", err);
		return 1;
	}
	int status = run_main(&r);
	cleanup(&r);
	return status;
}
