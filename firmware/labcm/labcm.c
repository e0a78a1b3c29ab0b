/* `vmport labcm`: life cycle, listeners and signals (see labcm.h). */
#include "labcm/labcm_internal.h"

#include "log.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_COMP "labcm"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[LABCM_PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void on_accept(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)loop;
	(void)events;
	struct labcm *lab = h->arg;
	bool tls = h == &lab->tls_listen;
	for (int i = 0; i < 64; i++) { /* a burst of registrations: take a batch, then serve them */
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(h->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				LOGW(LOG_COMP, "accept on %s port: %s", tls ? "TLS" : "SCCP",
				     strerror(errno));
			return;
		}
		char peer[48], ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
		snprintf(peer, sizeof(peer), "%s:%u", ip, ntohs(sa.sin_port));
		labcm_conn_accept(lab, fd, tls, peer);
	}
}

static int open_listener(struct labcm *lab, struct vm_fd *h, uint16_t port, const char *what, char *err,
                         size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, cap, "%s socket: %s", what, strerror(errno));
		return -errno;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = lab->listen_addr};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
		int e = errno;
		close(fd);
		snprintf(err, cap, "%s %s:%u: %s", what, lab->cfg.listen, port, strerror(e));
		return -e;
	}
	*h = (struct vm_fd){.fd = fd, .cb = on_accept, .arg = lab};
	int rc = vm_loop_add(&lab->loop, h, EPOLLIN);
	if (rc < 0) {
		close(fd);
		h->fd = -1;
		snprintf(err, cap, "%s: epoll: %s", what, strerror(-rc));
		return rc;
	}
	LOGI(LOG_COMP, "listening for %s on %s:%u", what, lab->cfg.listen, port);
	return 0;
}

static void on_signal(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	(void)events;
	struct signalfd_siginfo si;
	while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			LOGI(LOG_COMP, "%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			vm_loop_stop(loop);
		}
	}
}

static int open_signals(struct labcm *lab)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	lab->signal_fd = (struct vm_fd){.fd = fd, .cb = on_signal, .arg = lab};
	return vm_loop_add(&lab->loop, &lab->signal_fd, EPOLLIN);
}

static size_t count_pem(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		n += len > 4 && !strcmp(e->d_name + len - 4, ".pem");
	}
	closedir(d);
	return n;
}

/* The TLS listener's context: the CallManager certificate as identity, CallManager-trust as the
 * only issuers of client certificates (protocol.md §7.3). With an empty trust directory no port
 * could ever connect: the listener stays off and the log says what to do. */
static int open_tls(struct labcm *lab, char *err, size_t cap)
{
	const struct labcm_config *cfg = &lab->cfg;
	if (count_pem(cfg->trust_dir) == 0) {
		LOGW(LOG_COMP,
		     "TLS on %s:%u is off: CallManager-trust %s holds no *.pem; put the vmport root there "
		     "(vmport ca export-root -c CONF -o %s/vmport-root.pem) and restart",
		     cfg->listen, cfg->tls_port, cfg->trust_dir, cfg->trust_dir);
		return 0;
	}
	char cert[LABCM_PATH_MAX + 32], key[LABCM_PATH_MAX + 32];
	if (labcm_pki_paths(lab, cert, key, sizeof(cert)) < 0) {
		snprintf(err, cap, "state_dir too long");
		return -ENAMETOOLONG;
	}
	struct tls_ctx_config tc;
	tls_ctx_config_init(&tc, TLS_ROLE_SERVER,
	                    cfg->tls_mode == CM_SECURITY_ENCRYPTED ? TLS_MODE_ENCRYPTED
	                                                           : TLS_MODE_AUTHENTICATED);
	tc.cert_file = cert;
	tc.key_file = key;
	tc.trust_dir = cfg->trust_dir;
	if (cfg->tls_keylog[0]) {
		tc.keylog_file = cfg->tls_keylog;
		char warn[512];
		tls_keylog_warning(warn, sizeof(warn), cfg->tls_keylog);
		LOGW(LOG_COMP, "%s", warn);
	}
	char why[512];
	lab->tls_ctx = tls_ctx_new(&tc, why, sizeof(why));
	if (!lab->tls_ctx) {
		snprintf(err, cap, "TLS: %s", why);
		return -EINVAL;
	}
	LOGI(LOG_COMP, "TLS %s mode: %u CallManager-trust certificates from %s; %s",
	     tls_mode_name(tls_ctx_mode(lab->tls_ctx)), tls_ctx_trust_count(lab->tls_ctx), cfg->trust_dir,
	     tls_library_info());
	return 0;
}

static void cm_template(struct labcm *lab)
{
	struct cm_device_config *c = &lab->cm_cfg;
	cm_device_config_defaults(c);
	c->lookup = labcm_dir_lookup;
	c->lookup_ctx = lab;
	c->keepalive_s = lab->cfg.keepalive_s;
	c->keepalive_grace_ms = lab->cfg.keepalive_grace_ms;
	c->max_protocol_version = (uint8_t)lab->cfg.max_protocol_version;
	c->register_timeout_ms = lab->cfg.register_timeout_s * 1000u;
	c->ring_timeout_ms = lab->cfg.ring_timeout_s * 1000u;
	snprintf(c->mwi_on, sizeof(c->mwi_on), "%s", lab->cfg.mwi_on);
	snprintf(c->mwi_off, sizeof(c->mwi_off), "%s", lab->cfg.mwi_off);
	snprintf(c->server_name, sizeof(c->server_name), "%s", lab->cfg.server_name);
}

static int conns_init(struct labcm *lab, char *err, size_t cap)
{
	lab->n_conns = lab->cfg.max_connections;
	/* One block for every connection the lab will ever hold: pages are touched only when used. */
	lab->conns = calloc(lab->n_conns, sizeof(*lab->conns));
	if (!lab->conns) {
		snprintf(err, cap, "out of memory for %zu connections", lab->n_conns);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lab->n_conns; i++) {
		struct labcm_conn *c = &lab->conns[i];
		c->lab = lab;
		c->index = (uint32_t)i;
		c->h.fd = -1;
		c->next_free = i + 1 < lab->n_conns ? &lab->conns[i + 1] : NULL;
	}
	lab->free_head = &lab->conns[0];
	lab->free_tail = &lab->conns[lab->n_conns - 1];
	lab->conns_in_use = 0;
	return 0;
}

int labcm_create(struct labcm_config *cfg, struct labcm **out, char *err, size_t err_cap)
{
	struct labcm *lab = calloc(1, sizeof(*lab));
	if (!lab) {
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	lab->cfg = *cfg;
	cfg->devices = NULL; /* ours now */
	cfg->n_devices = 0;
	lab->sccp_listen.fd = lab->tls_listen.fd = lab->signal_fd.fd = lab->media_fd.fd = -1;
	lab->loop.epfd = -1;
	*out = lab;

	struct in_addr a;
	inet_pton(AF_INET, lab->cfg.listen, &a);
	lab->listen_addr = a.s_addr;
	int rc = mkdir_p(lab->cfg.state_dir, 0700);
	if (rc < 0) {
		snprintf(err, err_cap, "state_dir %s: %s", lab->cfg.state_dir, strerror(-rc));
		return rc;
	}
	cm_template(lab);
	if ((rc = labcm_dir_init(lab, err, err_cap)) < 0 || (rc = conns_init(lab, err, err_cap)) < 0)
		return rc;
	if ((rc = vm_loop_init(&lab->loop)) < 0) {
		snprintf(err, err_cap, "event loop: %s", strerror(-rc));
		return rc;
	}
	if ((rc = open_signals(lab)) < 0) {
		snprintf(err, err_cap, "signals: %s", strerror(-rc));
		return rc;
	}
	if ((lab->cfg.tls_port || lab->cfg.tftp_port) && (rc = labcm_pki_ensure(lab, err, err_cap)) < 0)
		return rc;
	if (lab->cfg.tls_port && (rc = open_tls(lab, err, err_cap)) < 0)
		return rc;
	if (lab->cfg.tftp_port && (rc = labcm_tftp_open(lab, err, err_cap)) < 0)
		return rc;
	if ((rc = labcm_call_media_open(lab, err, err_cap)) < 0)
		return rc;
	if (lab->cfg.sccp_port &&
	    (rc = open_listener(lab, &lab->sccp_listen, lab->cfg.sccp_port, "SCCP", err, err_cap)) < 0)
		return rc;
	if (lab->cfg.tls_port && lab->tls_ctx &&
	    (rc = open_listener(lab, &lab->tls_listen, lab->cfg.tls_port, "SCCP over TLS", err, err_cap)) < 0)
		return rc;
	labcm_control_path(&lab->cfg, lab->control_path, sizeof(lab->control_path));
	if ((rc = vm_control_open(&lab->control, &lab->loop, lab->control_path, labcm_control_handler, lab,
	                          err, err_cap)) < 0)
		return rc;
	lab->control_open = true;
	size_t counts[3] = {0};
	for (size_t i = 0; i < lab->n_devices; i++)
		counts[lab->devices[i].def.security]++;
	LOGI(LOG_COMP,
	     "%s: %zu devices (%zu nonsecure, %zu authenticated, %zu encrypted), MWI on %s off %s, "
	     "keepalive %u s, protocol ≤ %u, control %s",
	     lab->cfg.server_name, lab->n_devices, counts[0], counts[1], counts[2],
	     lab->cfg.mwi_on[0] ? lab->cfg.mwi_on : "-", lab->cfg.mwi_off[0] ? lab->cfg.mwi_off : "-",
	     lab->cfg.keepalive_s, lab->cfg.max_protocol_version, lab->control_path);
	return 0;
}

int labcm_run(struct labcm *lab)
{
	return vm_loop_run(&lab->loop);
}

int labcm_run_once(struct labcm *lab, int max_wait_ms)
{
	return vm_loop_run_once(&lab->loop, max_wait_ms);
}

void labcm_destroy(struct labcm *lab)
{
	if (!lab)
		return;
	lab->stopping = true;
	if (lab->conns && lab->conns_in_use) {
		LOGI(LOG_COMP, "closing %zu connections (%zu devices registered)", lab->conns_in_use,
		     lab->registered);
		labcm_conn_close_all(lab);
	}
	labcm_call_media_close(lab);
	if (lab->control_open)
		vm_control_close(&lab->control);
	struct vm_fd *fds[] = {&lab->sccp_listen, &lab->tls_listen, &lab->signal_fd};
	for (size_t i = 0; i < 3; i++) {
		if (fds[i]->fd >= 0) {
			if (lab->loop.epfd >= 0)
				vm_loop_remove(&lab->loop, fds[i]);
			close(fds[i]->fd);
		}
	}
	if (lab->loop.epfd >= 0)
		labcm_tftp_close(lab);
	if (lab->tls_ctx)
		tls_ctx_free(lab->tls_ctx);
	if (lab->loop.epfd >= 0)
		vm_loop_close(&lab->loop);
	free(lab->conns);
	labcm_dir_free(lab);
	labcm_config_free(&lab->cfg);
	explicit_bzero(&lab->out, sizeof(lab->out));
	free(lab);
}
