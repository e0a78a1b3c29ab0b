/* vmport-bench register: N encrypted ports registering with the lab CallManager on loopback.
 *
 * Set-up (a temp dir, or --dir to keep and reuse it): a labcm config with N encrypted devices and
 * a vmport config with N encrypted ports, register_rate --rate (default 1000/s, the maximum vmport
 * accepts, so pacing is not the bottleneck). `vmport ca init` makes every certificate beforehand
 * and vmport's root goes into labcm's CallManager-trust: key and certificate generation is never
 * inside a measured interval. `vmport labcm` and `vmport run` are the real programs (found next to
 * vmport-bench), run as child processes.
 *
 * Measured, per N (--repeat K times, each with a fresh `vmport run` followed by a floor run;
 * medians and ranges printed):
 *  - registration: from vmport's log line "port group ... in service" to its last "registered
 *    with" line (vmport's own timestamps, ms): the figure compared with the floor. Also printed:
 *    the same interval as seen by polling the control socket (--poll-ms), process start to the
 *    in-service line (config, certificate check, N TLS contexts, CTL fetch) and to all registered,
 *    and the CPU time both processes spent between the in-service line (caught with inotify on
 *    the log) and all registered, and how long they were runnable but waiting for a CPU, from
 *    /proc/<pid>/task/<tid>/schedstat (on a shared machine that wait, not vmport, can decide the
 *    wall time: the machine's load is printed with each N).
 *  - the floor: N bare wolfSSL mutual-auth handshakes, client and server in this process, one
 *    thread pinned to one CPU, over socketpairs, with the same certificates (port i's certificate
 *    and key with vmport's root as chain; labcm's CallManager certificate and key; the server
 *    trusting vmport's root, the client labcm's certificate) and the suite vmport negotiated
 *    (read from `vmport status`). Contexts are made before timing, as vmport makes its own before
 *    the group starts. Both sides' crypto is in it, as labcm's side is in the registration. The
 *    same through firmware/tls (pin and CallManager-trust checks, vmport's I/O callbacks) is
 *    printed next to it. The registration runs in two processes that may use two CPUs; the floor
 *    on one: the CPU-time ratio is printed too.
 *  - memory: vmport's VmRSS --settle-ms after the poll saw every port registered, minus the VmRSS
 *    of a baseline run: the same vmport binary, config and state directory, except that [servers]
 *    cucm points at a loopback port nobody listens on, read once the group is in service and
 *    every port has tried (and failed) to connect. Everything allocated per port up front (port
 *    structures, N TLS contexts, media channels) is in both; the difference is what a live
 *    registered connection costs. Divided by N. Cross-check: the measured process's own VmRSS
 *    when its in-service line appeared (a few ms into registration, so a little early).
 *
 * The last lines (RESULT ...) are for scripts. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "bench.h"
#include "config.h"
#include "log.h"
#include "pki/pki.h"
#include "tls/tls.h"

#define MAX_RUNS 8
#define DEFAULT_RATE 10u /* vmport's own default register_rate */
#define TARGET_RATIO 1.3
#define TARGET_KB_PER_PORT 64.0

struct opts {
	unsigned ports[MAX_RUNS];
	unsigned n_runs;
	unsigned rate;
	unsigned poll_ms;
	unsigned settle_ms;
	unsigned timeout_s;
	unsigned repeat;
	int cpu; /* floor CPU; -1: the one we are on */
	bool keep;
	bool default_rate; /* also measure at the default 10/s when that is cheap */
	bool pin_children; /* vmport run on CPU 0, labcm on CPU 1 */
	const char *dir;
	const char *vmport;
};

/* Repeated measurements of one figure. */
#define MAX_REPEAT 9
struct sample {
	double v[MAX_REPEAT];
	unsigned n;
};

static void sample_add(struct sample *s, double v)
{
	if (s->n < MAX_REPEAT)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double sample_median(const struct sample *s)
{
	if (s->n == 0)
		return -1;
	double v[MAX_REPEAT];
	memcpy(v, s->v, s->n * sizeof v[0]);
	qsort(v, s->n, sizeof v[0], cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

/* "0.123 s" or "0.123 s (median of 3: 0.110-0.140)" */
static const char *sample_text(const struct sample *s, int decimals, const char *unit, char *buf, size_t cap)
{
	double lo = s->n ? s->v[0] : -1, hi = lo;
	for (unsigned i = 1; i < s->n; i++) {
		lo = s->v[i] < lo ? s->v[i] : lo;
		hi = s->v[i] > hi ? s->v[i] : hi;
	}
	if (s->n <= 1)
		snprintf(buf, cap, "%.*f %s", decimals, sample_median(s), unit);
	else
		snprintf(buf, cap, "%.*f %s (median of %u: %.*f-%.*f)", decimals, sample_median(s), unit,
		         s->n, decimals, lo, decimals, hi);
	return buf;
}

/* One N's figures. */
struct result {
	unsigned ports;
	struct sample reg;       /* in service -> last registered (vmport log) */
	struct sample reg_poll;  /* in service -> poll saw N */
	struct sample proc;      /* process start -> poll saw N */
	struct sample startup;   /* process start -> in service */
	struct sample first_tls; /* in service -> first TLS up */
	struct sample floor;     /* bare wolfSSL */
	struct sample floor_cpu; /* its CPU time */
	struct sample floor_fw;  /* through firmware/tls */
	struct sample cpu_vm, cpu_lab, sys_vm, sys_lab, floor_sys, wait_vm, wait_lab;
	struct sample rss_reg, anon_reg, hwm; /* kB */
	struct sample rss_svc, anon_svc;      /* kB, the measured process at its in-service line */
	struct sample cpu_vm_startup;
	long rss_base_kb, anon_base_kb;
	unsigned reg_lines, refused_lines, same_suite;
	double slow_rate_s; /* at DEFAULT_RATE, < 0 when not measured */
	char version[16];
	char cipher[64];
	char group[32];
	int vm_exit; /* the first non-zero exit status after SIGTERM, else 0 */
};

static const char *g_vmport;
static char g_dir[PATH_MAX];
static pid_t g_children[4];

/* ---------------------------------------------------------------- small helpers */

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double real_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void pathf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "vmport-bench register: path too long: %s\n", out);
		exit(1);
	}
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "vmport-bench register: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* The whole file, NUL-terminated; NULL if it cannot be read. */
static char *read_text(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len < cap - 1)
			break;
		char *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	fclose(f);
	if (buf) {
		buf[len] = '\0';
		if (len_out)
			*len_out = len;
	}
	return buf;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(tmp, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* A port on 127.0.0.1 free for both TCP and UDP (the kernel picks), like tests/e2e/lib.sh. */
static unsigned free_port(void)
{
	for (int tries = 0; tries < 100; tries++) {
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof sa;
		unsigned port = 0;
		if (t >= 0 && u >= 0 && bind(t, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    getsockname(t, (struct sockaddr *)&sa, &len) == 0 &&
		    bind(u, (struct sockaddr *)&sa, sizeof sa) == 0)
			port = ntohs(sa.sin_port);
		if (t >= 0)
			close(t);
		if (u >= 0)
			close(u);
		if (port)
			return port;
	}
	return 0;
}

/* ---------------------------------------------------------------- child processes */

static void forget_child(pid_t pid)
{
	for (size_t i = 0; i < sizeof g_children / sizeof g_children[0]; i++)
		if (g_children[i] == pid)
			g_children[i] = 0;
}

static void kill_children(void)
{
	for (size_t i = 0; i < sizeof g_children / sizeof g_children[0]; i++) {
		if (g_children[i] > 0) {
			kill(g_children[i], SIGKILL);
			waitpid(g_children[i], NULL, 0);
			g_children[i] = 0;
		}
	}
}

static void on_fatal_signal(int sig)
{
	for (size_t i = 0; i < sizeof g_children / sizeof g_children[0]; i++)
		if (g_children[i] > 0)
			kill(g_children[i], SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int g_child_cpu = -1; /* the CPU the next spawn() pins its child to; -1: none */
static bool g_pin_children;  /* --pin-children */

/* `vmport ARGS...` with stdout and stderr to log_path. Dies with us (PR_SET_PDEATHSIG). */
static pid_t spawn(const char *log_path, char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vmport-bench register: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (g_child_cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(g_child_cpu, &set);
			sched_setaffinity(0, sizeof set, &set);
		}
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (size_t i = 0; i < sizeof g_children / sizeof g_children[0]; i++) {
		if (g_children[i] == 0) {
			g_children[i] = pid;
			break;
		}
	}
	return pid;
}

/* Exit status (or 128 + signal), or -1 if it is still running after timeout_ms. */
static int wait_child(pid_t pid, unsigned timeout_ms)
{
	double end = mono_s() + timeout_ms / 1000.0;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			forget_child(pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (r < 0)
			return -2;
		if (mono_s() > end)
			return -1;
		sleep_ms(10);
	}
}

static bool is_child(pid_t pid)
{
	for (size_t i = 0; i < sizeof g_children / sizeof g_children[0]; i++)
		if (g_children[i] == pid)
			return true;
	return false;
}

/* SIGTERM, then SIGKILL after timeout_ms. Returns the exit status (-2: not running any more). */
static int stop_child(pid_t pid, unsigned timeout_ms)
{
	if (pid <= 0 || !is_child(pid))
		return -2; /* never started, or already reaped: its pid may belong to someone else now */
	kill(pid, SIGTERM);
	int rc = wait_child(pid, timeout_ms);
	if (rc == -1) {
		kill(pid, SIGKILL);
		rc = wait_child(pid, 2000);
		return rc < 0 ? rc : 128 + SIGKILL;
	}
	return rc;
}

/* Run to completion; returns the exit status. */
static int run_wait(const char *log_path, char *const argv[], unsigned timeout_s)
{
	pid_t pid = spawn(log_path, argv);
	if (pid < 0)
		return -1;
	int rc = wait_child(pid, timeout_s * 1000u);
	if (rc == -1)
		rc = stop_child(pid, 1000);
	return rc;
}

static void show_log_tail(const char *path, unsigned lines)
{
	size_t len = 0;
	char *text = read_text(path, &len);
	if (!text)
		return;
	size_t start = len;
	unsigned seen = 0;
	while (start > 0 && seen <= lines) {
		start--;
		if (text[start] == '\n')
			seen++;
	}
	fprintf(stderr, "----- %s (last %u lines) -----\n%s\n", path, lines, text + (start ? start + 1 : 0));
	free(text);
}

/* ---------------------------------------------------------------- /proc */

/* A "Key:   123 kB" field of /proc/<pid>/status, in kB; -1 if absent. */
static long proc_status_kb(pid_t pid, const char *key)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* CPU time of a process, all threads, in seconds: the sum of /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds), else utime + stime from /proc/<pid>/stat (clock ticks). *wait_s (if not NULL):
 * the time its threads were runnable but waiting for a CPU (schedstat only; else -1). */
static double proc_cpu_wait_s(pid_t pid, double *wait_s)
{
	char path[96];
	if (wait_s)
		*wait_s = -1;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d) {
		unsigned long long total = 0, waited = 0;
		unsigned tasks = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char sp[128];
			snprintf(sp, sizeof sp, "/proc/%d/task/%.20s/schedstat", (int)pid, e->d_name);
			FILE *f = fopen(sp, "r");
			unsigned long long ns = 0, wns = 0;
			if (f && fscanf(f, "%llu %llu", &ns, &wns) == 2) {
				total += ns;
				waited += wns;
				tasks++;
			}
			if (f)
				fclose(f);
		}
		closedir(d);
		if (tasks) {
			if (wait_s)
				*wait_s = (double)waited / 1e9;
			return (double)total / 1e9;
		}
	}
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *text = read_text(path, NULL);
	if (!text)
		return -1;
	const char *p = strrchr(text, ')');
	unsigned long ut = 0, st = 0;
	/* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14)
	 * stime(15) */
	int ok = p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2;
	free(text);
	return ok ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : -1;
}

/* Kernel-mode CPU time of a process (stime, all threads), in seconds (clock-tick resolution). */
static double proc_sys_s(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *text = read_text(path, NULL);
	if (!text)
		return -1;
	const char *p = strrchr(text, ')');
	unsigned long ut = 0, st = 0;
	int ok = p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2;
	free(text);
	return ok ? (double)st / (double)sysconf(_SC_CLK_TCK) : -1;
}

static bool alive(pid_t pid)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);
	if (r == pid) {
		forget_child(pid);
		return false;
	}
	return r == 0;
}

/* ---------------------------------------------------------------- control socket */

/* Send one request; read the reply into buf (up to cap-1 bytes, or only the first line when
 * first_line). Returns the length, or -1. */
static ssize_t control_ask(const char *sock, const char *request, char *buf, size_t cap, bool first_line,
                           unsigned timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof sa.sun_path)
		return -1;
	strcpy(sa.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	char line[128];
	int n = snprintf(line, sizeof line, "%s\n", request);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return -1;
	}
	size_t len = 0;
	double end = mono_s() + timeout_ms / 1000.0;
	while (len + 1 < cap) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = (int)((end - mono_s()) * 1000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (first_line && memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	close(fd);
	return len ? (ssize_t)len : -1;
}

/* "port group X: 12 of 250 ports registered, ..." → 12; -1 when not answered. */
static long registered_count(const char *sock)
{
	char buf[512];
	if (control_ask(sock, "status", buf, sizeof buf, true, 2000) < 0)
		return -1;
	const char *p = strstr(buf, " ports registered");
	if (!p)
		return -1;
	/* back up over "<n> of <m>" */
	const char *of = NULL;
	for (const char *q = p; q > buf + 3; q--) {
		if (!strncmp(q - 4, " of ", 4)) {
			of = q - 4;
			break;
		}
	}
	if (!of)
		return -1;
	const char *num = of;
	while (num > buf && num[-1] >= '0' && num[-1] <= '9')
		num--;
	return strtol(num, NULL, 10);
}

/* ---------------------------------------------------------------- vmport's log */

/* "2026-11-27T08:37:24.711Z " at the start of a line → seconds since the epoch; < 0 if not. */
static double log_time(const char *line)
{
	int y, mo, d, h, mi, s, ms;
	if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &y, &mo, &d, &h, &mi, &s, &ms) != 7)
		return -1;
	struct tm tm = {
	    .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
	return (double)timegm(&tm) + ms / 1000.0;
}

struct log_facts {
	double in_service;      /* "run: port group '...' in service" */
	double first_tls;       /* first "TLS up with" */
	double last_registered; /* last "registered with" */
	unsigned registered;    /* "registered with" lines */
	unsigned refused;       /* "TLS refused" / connect failures */
};

static int scan_log(const char *path, struct log_facts *f)
{
	*f = (struct log_facts){.in_service = -1, .first_tls = -1, .last_registered = -1};
	char *text = read_text(path, NULL);
	if (!text)
		return -1;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		double t = log_time(line);
		if (t >= 0) {
			if (f->in_service < 0 && strstr(line, " run: port group '") &&
			    strstr(line, "' in service"))
				f->in_service = t;
			else if (strstr(line, " port: ") && strstr(line, ": registered with ")) {
				f->registered++;
				f->last_registered = t;
			} else if (strstr(line, " port: ") && strstr(line, ": TLS up with ")) {
				if (f->first_tls < 0)
					f->first_tls = t;
			} else if (strstr(line, "TLS refused") || strstr(line, " connect to ")) {
				f->refused++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return 0;
}

static bool log_has(const char *path, const char *needle)
{
	char *text = read_text(path, NULL);
	bool has = text && strstr(text, needle);
	free(text);
	return has;
}

/* ---------------------------------------------------------------- configs */

static int write_lab_conf(const char *path, const char *state, unsigned n, unsigned sccp, unsigned tls,
                          unsigned tftp)
{
	char text[2 * PATH_MAX];
	int len = snprintf(text, sizeof text,
	                   "[labcm]\n"
	                   "listen = 127.0.0.1\n"
	                   "sccp_port = %u\n"
	                   "tls_port = %u\n"
	                   "tftp_port = %u\n"
	                   "state_dir = %s\n"
	                   "mwi_on_number = 9999991\n"
	                   "mwi_off_number = 9999990\n"
	                   "keepalive = 30\n"
	                   "[devices]\n"
	                   "prefix = CiscoUM1-VI\n"
	                   "count = %u\n"
	                   "first_dn = 8001\n"
	                   "security_mode = encrypted\n",
	                   sccp, tls, tftp, state, n);
	return len > 0 && (size_t)len < sizeof text ? write_text(path, text) : -1;
}

static int write_vm_conf(const char *path, const char *state, unsigned n, unsigned rate, unsigned cucm_port,
                         unsigned tftp_port)
{
	/* Two RTP ports (RTP + RTCP) per port. */
	unsigned rtp_min = 20000, rtp_max = 20000 + 2 * n + 1;
	char text[3 * PATH_MAX];
	int len = snprintf(text, sizeof text,
	                   "[port_group]\n"
	                   "name = bench-register\n"
	                   "device_name_prefix = CiscoUM1-VI\n"
	                   "ports = %u\n"
	                   "security_mode = encrypted\n"
	                   "mwi_on_extension = 9999991\n"
	                   "mwi_off_extension = 9999990\n"
	                   "register_rate = %u\n"
	                   "[servers]\n"
	                   "cucm = 127.0.0.1:%u\n"
	                   "tftp = 127.0.0.1:%u\n"
	                   "[security]\n"
	                   "state_dir = %s\n"
	                   "[media]\n"
	                   "messages_dir = %s/messages\n"
	                   "rtp_port_min = %u\n"
	                   "rtp_port_max = %u\n",
	                   n, rate, cucm_port, tftp_port, state, state, rtp_min, rtp_max);
	return len > 0 && (size_t)len < sizeof text ? write_text(path, text) : -1;
}

/* ---------------------------------------------------------------- the floor */

struct identity_files {
	char *chain; /* port certificate + vmport root, PEM */
	size_t chain_len;
	char *key;
	size_t key_len;
};

struct floor_input {
	unsigned n;
	struct identity_files *ports;
	char *root; /* vmport root (labcm's CallManager-trust), PEM */
	size_t root_len;
	char *cm_cert; /* labcm's CallManager certificate, PEM */
	size_t cm_cert_len;
	uint8_t cm_der[4096];
	size_t cm_der_len;
	char *cm_key;
	size_t cm_key_len;
};

static void floor_input_free(struct floor_input *in)
{
	for (unsigned i = 0; in->ports && i < in->n; i++) {
		free(in->ports[i].chain);
		free(in->ports[i].key);
	}
	free(in->ports);
	free(in->root);
	free(in->cm_cert);
	free(in->cm_key);
	memset(in, 0, sizeof *in);
}

static int floor_input_load(struct floor_input *in, const char *vm_conf, const char *lab_state, unsigned n)
{
	memset(in, 0, sizeof *in);
	struct vmport_config cfg;
	char err[512], path[VMPORT_PATH_MAX + 64];
	if (vmport_config_load(&cfg, vm_conf, err, sizeof err) < 0) {
		fprintf(stderr, "vmport-bench register: %s\n", err);
		return -1;
	}
	in->n = n;
	in->ports = calloc(n, sizeof *in->ports);
	if (!in->ports || pki_root_path(&cfg, ".pem", path, sizeof path) < 0 ||
	    !(in->root = read_text(path, &in->root_len)))
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		char dev[16];
		vmport_config_device_name(&cfg, i + 1, dev);
		size_t len = 0;
		if (pki_port_path(&cfg, dev, ".pem", path, sizeof path) < 0)
			goto fail;
		char *leaf = read_text(path, &len);
		if (!leaf)
			goto fail;
		in->ports[i].chain = malloc(len + in->root_len + 2);
		if (!in->ports[i].chain) {
			free(leaf);
			goto fail;
		}
		memcpy(in->ports[i].chain, leaf, len);
		in->ports[i].chain[len] = '\n';
		memcpy(in->ports[i].chain + len + 1, in->root, in->root_len + 1);
		in->ports[i].chain_len = len + 1 + in->root_len;
		free(leaf);
		if (pki_port_path(&cfg, dev, ".key", path, sizeof path) < 0 ||
		    !(in->ports[i].key = read_text(path, &in->ports[i].key_len)))
			goto fail;
	}
	pathf(path, sizeof path, "%s/callmanager.pem", lab_state);
	if (!(in->cm_cert = read_text(path, &in->cm_cert_len)))
		goto fail;
	pathf(path, sizeof path, "%s/callmanager.key", lab_state);
	if (!(in->cm_key = read_text(path, &in->cm_key_len)))
		goto fail;
	int der = wc_CertPemToDer((const unsigned char *)in->cm_cert, (int)in->cm_cert_len, in->cm_der,
	                          (int)sizeof in->cm_der, CERT_TYPE);
	if (der <= 0)
		goto fail;
	in->cm_der_len = (size_t)der;
	return 0;
fail:
	fprintf(stderr, "vmport-bench register: cannot read the certificates for the floor (%s)\n", path);
	floor_input_free(in);
	return -1;
}

/* Pin this thread to one CPU for the floor; the old mask goes to *old. */
static int pin_cpu(int cpu, cpu_set_t *old)
{
	sched_getaffinity(0, sizeof *old, old);
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		cpu = 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		return -1;
	return cpu;
}

/* Step one side; true while it still wants I/O. *done set on success; -1 on failure. */
static int bare_step(WOLFSSL *ssl, bool client, bool *done)
{
	if (*done)
		return 0;
	int rc = client ? wolfSSL_connect(ssl) : wolfSSL_accept(ssl);
	if (rc == WOLFSSL_SUCCESS) {
		*done = true;
		return 0;
	}
	int e = wolfSSL_get_error(ssl, rc);
	if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
		return 1;
	char text[WOLFSSL_MAX_ERROR_SZ];
	fprintf(stderr, "vmport-bench register: floor %s handshake failed: %s\n",
	        client ? "client" : "server", wolfSSL_ERR_error_string((unsigned long)e, text));
	return -1;
}

static WOLFSSL_CTX *bare_ctx(bool client, const char *suite, bool tls13)
{
	WOLFSSL_METHOD *m = client ? (tls13 ? wolfSSLv23_client_method() : wolfTLSv1_2_client_method())
	                           : (tls13 ? wolfSSLv23_server_method() : wolfTLSv1_2_server_method());
	WOLFSSL_CTX *ctx = m ? wolfSSL_CTX_new(m) : NULL;
	if (!ctx)
		return NULL;
	if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_cipher_list(ctx, suite) != WOLFSSL_SUCCESS) {
		wolfSSL_CTX_free(ctx);
		return NULL;
	}
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
#ifdef HAVE_SESSION_TICKET
	wolfSSL_CTX_NoTicketTLSv12(ctx);
#ifdef WOLFSSL_TLS13
	if (!client)
		wolfSSL_CTX_no_ticket_TLSv13(ctx);
#endif
#endif
	return ctx;
}

/* N bare wolfSSL mutual-auth handshakes: port i's identity against labcm's. Returns seconds. */
static double floor_bare(const struct floor_input *in, const char *suite, bool tls13, char *group,
                         size_t group_cap)
{
	double result = -1;
	WOLFSSL_CTX **cctx = calloc(in->n, sizeof *cctx);
	WOLFSSL_CTX *sctx = bare_ctx(false, suite, tls13);
	if (!cctx || !sctx)
		goto out;
	/* Server: the CallManager certificate; client certificates must chain to vmport's root. */
	if (wolfSSL_CTX_use_certificate_chain_buffer_format(sctx, (const unsigned char *)in->cm_cert,
	                                                    (long)in->cm_cert_len,
	                                                    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_buffer(sctx, (const unsigned char *)in->cm_key, (long)in->cm_key_len,
	                                      WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_load_verify_buffer(sctx, (const unsigned char *)in->root, (long)in->root_len,
	                                   WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
		fprintf(stderr,
		        "vmport-bench register: floor: server context refused labcm's certificates\n");
		goto out;
	}
	wolfSSL_CTX_set_verify(sctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* Clients (made before timing, as vmport makes its contexts before the group starts): port i's
	 * certificate + root as chain; the CallManager certificate as the only CA. */
	for (unsigned i = 0; i < in->n; i++) {
		cctx[i] = bare_ctx(true, suite, tls13);
		if (!cctx[i] ||
		    wolfSSL_CTX_use_certificate_chain_buffer_format(
		        cctx[i], (const unsigned char *)in->ports[i].chain, (long)in->ports[i].chain_len,
		        WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
		    wolfSSL_CTX_use_PrivateKey_buffer(cctx[i], (const unsigned char *)in->ports[i].key,
		                                      (long)in->ports[i].key_len,
		                                      WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
		    wolfSSL_CTX_load_verify_buffer(cctx[i], (const unsigned char *)in->cm_cert,
		                                   (long)in->cm_cert_len,
		                                   WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
			fprintf(stderr,
			        "vmport-bench register: floor: client context %u refused its certificates\n",
			        i + 1);
			goto out;
		}
		wolfSSL_CTX_set_verify(cctx[i], WOLFSSL_VERIFY_PEER, NULL);
	}
	double t0 = mono_s();
	for (unsigned i = 0; i < in->n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
			goto out;
		WOLFSSL *c = wolfSSL_new(cctx[i]);
		WOLFSSL *s = wolfSSL_new(sctx);
		bool cd = false, sd = false, ok = false;
		if (c && s && wolfSSL_set_fd(c, sv[0]) == WOLFSSL_SUCCESS &&
		    wolfSSL_set_fd(s, sv[1]) == WOLFSSL_SUCCESS) {
			for (int round = 0; round < 100; round++) {
				int a = bare_step(c, true, &cd);
				int b = a < 0 ? -1 : bare_step(s, false, &sd);
				if (a < 0 || b < 0)
					break;
				if (cd && sd) {
					ok = true;
					break;
				}
			}
		}
		if (ok && i == 0 && group) {
			const char *g = wolfSSL_get_curve_name(c);
			snprintf(group, group_cap, "%s", g ? g : "?");
		}
		wolfSSL_free(c);
		wolfSSL_free(s);
		close(sv[0]);
		close(sv[1]);
		if (!ok) {
			fprintf(stderr, "vmport-bench register: floor: handshake %u did not complete\n",
			        i + 1);
			goto out;
		}
	}
	result = mono_s() - t0;
out:
	for (unsigned i = 0; cctx && i < in->n; i++)
		wolfSSL_CTX_free(cctx[i]);
	free(cctx);
	if (sctx)
		wolfSSL_CTX_free(sctx);
	return result;
}

static int tls_step(struct tls_conn *c, enum tls_status *s)
{
	if (*s == TLS_WANT_READ || *s == TLS_WANT_WRITE)
		*s = tls_conn_handshake(c);
	return *s == TLS_WANT_READ || *s == TLS_WANT_WRITE;
}

/* The same N handshakes through firmware/tls (vmport's and labcm's own layer). */
static double floor_fw(const struct floor_input *in, const char *suite, bool tls13)
{
	double result = -1;
	struct tls_ctx **cctx = calloc(in->n, sizeof *cctx);
	struct tls_ctx *sctx = NULL;
	char err[400];
	struct tls_ctx_config sc;
	tls_ctx_config_init(&sc, TLS_ROLE_SERVER, TLS_MODE_ENCRYPTED);
	sc.cert = (struct tls_blob){in->cm_cert, in->cm_cert_len};
	sc.key = (struct tls_blob){in->cm_key, in->cm_key_len};
	sc.trust = (struct tls_blob){in->root, in->root_len};
	sc.cipher_list = suite;
	sc.allow_tls13 = tls13;
	if (!cctx || !(sctx = tls_ctx_new(&sc, err, sizeof err))) {
		fprintf(stderr, "vmport-bench register: floor (firmware/tls): server: %s\n", err);
		goto out;
	}
	for (unsigned i = 0; i < in->n; i++) {
		struct tls_ctx_config cc;
		tls_ctx_config_init(&cc, TLS_ROLE_CLIENT, TLS_MODE_ENCRYPTED);
		cc.cert = (struct tls_blob){in->ports[i].chain, in->ports[i].chain_len};
		cc.key = (struct tls_blob){in->ports[i].key, in->ports[i].key_len};
		cc.cipher_list = suite;
		cc.allow_tls13 = tls13;
		if (!(cctx[i] = tls_ctx_new(&cc, err, sizeof err))) {
			fprintf(stderr, "vmport-bench register: floor (firmware/tls): client %u: %s\n", i + 1,
			        err);
			goto out;
		}
	}
	double t0 = mono_s();
	for (unsigned i = 0; i < in->n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
			goto out;
		struct tls_conn_opts co = {.pinned_der = in->cm_der, .pinned_len = in->cm_der_len};
		struct tls_conn *c = tls_conn_new(cctx[i], sv[0], &co);
		struct tls_conn *s = tls_conn_new(sctx, sv[1], NULL);
		enum tls_status cs = TLS_WANT_WRITE, ss = TLS_WANT_READ;
		for (int round = 0; c && s && round < 100; round++) {
			int busy = tls_step(c, &cs);
			busy |= tls_step(s, &ss);
			if (!busy)
				break;
		}
		bool ok = c && s && cs == TLS_DONE && ss == TLS_DONE;
		if (!ok)
			fprintf(stderr,
			        "vmport-bench register: floor (firmware/tls): handshake %u: client: %s | "
			        "server: %s\n",
			        i + 1, c ? tls_conn_error(c) : "?", s ? tls_conn_error(s) : "?");
		tls_conn_free(c);
		tls_conn_free(s);
		close(sv[0]);
		close(sv[1]);
		if (!ok)
			goto out;
	}
	result = mono_s() - t0;
out:
	for (unsigned i = 0; cctx && i < in->n; i++)
		tls_ctx_free(cctx[i]);
	free(cctx);
	tls_ctx_free(sctx);
	return result;
}

/* ---------------------------------------------------------------- one N */

struct paths {
	char lab_conf[PATH_MAX], lab_state[PATH_MAX], lab_log[PATH_MAX], lab_sock[PATH_MAX];
	char vm_conf[PATH_MAX], vm_base_conf[PATH_MAX], vm_state[PATH_MAX], vm_sock[PATH_MAX];
	char vm_log[PATH_MAX], vm_base_log[PATH_MAX], vm_slow_conf[PATH_MAX], vm_slow_log[PATH_MAX];
	char ca_log[PATH_MAX];
};

static void make_paths(struct paths *p, unsigned n)
{
	pathf(p->lab_state, sizeof p->lab_state, "%s/lab", g_dir);
	pathf(p->lab_conf, sizeof p->lab_conf, "%s/lab-%u.ini", g_dir, n);
	pathf(p->lab_log, sizeof p->lab_log, "%s/lab-%u.log", g_dir, n);
	pathf(p->lab_sock, sizeof p->lab_sock, "%s/labcm.sock", p->lab_state);
	pathf(p->vm_state, sizeof p->vm_state, "%s/vm", g_dir);
	pathf(p->vm_conf, sizeof p->vm_conf, "%s/vm-%u.ini", g_dir, n);
	pathf(p->vm_base_conf, sizeof p->vm_base_conf, "%s/vm-%u-baseline.ini", g_dir, n);
	pathf(p->vm_slow_conf, sizeof p->vm_slow_conf, "%s/vm-%u-rate%u.ini", g_dir, n, DEFAULT_RATE);
	pathf(p->vm_sock, sizeof p->vm_sock, "%s/vmport.sock", p->vm_state);
	pathf(p->vm_log, sizeof p->vm_log, "%s/vm-%u.log", g_dir, n);
	pathf(p->vm_base_log, sizeof p->vm_base_log, "%s/vm-%u-baseline.log", g_dir, n);
	pathf(p->vm_slow_log, sizeof p->vm_slow_log, "%s/vm-%u-rate%u.log", g_dir, n, DEFAULT_RATE);
	pathf(p->ca_log, sizeof p->ca_log, "%s/ca.log", g_dir);
}

static pid_t start_vm(const char *conf, const char *log)
{
	char *argv[] = {(char *)g_vmport, "run", "-c", (char *)conf, NULL};
	unlink(log);
	g_child_cpu = g_pin_children ? 0 : -1;
	pid_t pid = spawn(log, argv);
	g_child_cpu = -1;
	return pid;
}

/* Wait until the log says the group is in service (or the process died). */
static int wait_in_service(pid_t pid, const char *log, unsigned timeout_s)
{
	double end = mono_s() + timeout_s;
	while (mono_s() < end) {
		if (log_has(log, "' in service"))
			return 0;
		if (!alive(pid))
			return -1;
		sleep_ms(20);
	}
	return -1;
}

/* A registration from process start until the poll sees every port; figures into r. */
struct reg_run {
	double spawn_real, spawn_mono, detect_real, detect_mono;
	double cpu_vm0, cpu_vm1, cpu_lab0, cpu_lab1;     /* at the in-service line, at all registered */
	double sys_vm0, sys_vm1, sys_lab0, sys_lab1;     /* the kernel part of the same */
	double wait_vm0, wait_vm1, wait_lab0, wait_lab1; /* runnable, waiting for a CPU */
	long rss0_kb, anon0_kb;                          /* at the in-service line */
	long rss_kb, anon_kb, hwm_kb;                    /* after the settle */
	struct log_facts log;
	pid_t pid;
};

/* Block until the log has the "in service" line (inotify on the file, so it is caught within
 * a scheduling delay), the process died, or timeout_s passed. */
static int wait_in_service_fast(pid_t pid, const char *log, unsigned timeout_s)
{
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int wd = -1;
	double end = mono_s() + timeout_s;
	int rc = -1;
	off_t off = 0;
	char carry[512] = "";
	while (mono_s() < end) {
		if (in >= 0 && wd < 0)
			wd = inotify_add_watch(in, log, IN_MODIFY);
		/* Read what was appended; look for the line, across read boundaries too. */
		int fd = open(log, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char buf[8192 + sizeof carry];
			size_t have = strlen(carry);
			memcpy(buf, carry, have);
			ssize_t n = pread(fd, buf + have, 8192, off);
			close(fd);
			if (n > 0) {
				off += n;
				buf[have + (size_t)n] = '\0';
				if (strstr(buf, "' in service")) {
					rc = 0;
					break;
				}
				size_t total = have + (size_t)n;
				size_t keep = total < sizeof carry - 1 ? total : sizeof carry - 1;
				memcpy(carry, buf + total - keep, keep);
				carry[keep] = '\0';
				continue; /* maybe more */
			}
		}
		if (!alive(pid))
			break;
		struct pollfd pfd = {.fd = in, .events = POLLIN};
		if (in >= 0 && wd >= 0) {
			if (poll(&pfd, 1, 50) > 0) {
				char ev[4096];
				while (read(in, ev, sizeof ev) > 0)
					;
			}
		} else {
			sleep_ms(2);
		}
	}
	if (in >= 0)
		close(in);
	return rc;
}

static int registration(const struct opts *o, const char *conf, const char *log, const char *sock, unsigned n,
                        unsigned rate, pid_t lab, struct reg_run *rr)
{
	memset(rr, 0, sizeof *rr);
	rr->spawn_real = real_s();
	rr->spawn_mono = mono_s();
	rr->pid = start_vm(conf, log);
	if (rr->pid < 0)
		return -1;
	if (wait_in_service_fast(rr->pid, log, o->timeout_s + n / 10) < 0) {
		fprintf(stderr, "vmport-bench register: vmport run did not put the group in service\n");
		show_log_tail(log, 30);
		return -1;
	}
	rr->cpu_vm0 = proc_cpu_wait_s(rr->pid, &rr->wait_vm0);
	rr->cpu_lab0 = proc_cpu_wait_s(lab, &rr->wait_lab0);
	rr->sys_vm0 = proc_sys_s(rr->pid);
	rr->sys_lab0 = proc_sys_s(lab);
	rr->rss0_kb = proc_status_kb(rr->pid, "VmRSS");
	rr->anon0_kb = proc_status_kb(rr->pid, "RssAnon");
	double limit = o->timeout_s + (double)n / rate * 1.5 + n * 0.02;
	long got = -1;
	while (mono_s() - rr->spawn_mono < limit) {
		sleep_ms(o->poll_ms);
		if (!alive(rr->pid)) {
			fprintf(stderr, "vmport-bench register: vmport run exited during registration\n");
			show_log_tail(log, 30);
			return -1;
		}
		got = registered_count(sock);
		if (got == (long)n)
			break;
	}
	if (got != (long)n) {
		fprintf(stderr, "vmport-bench register: timed out after %.0f s: %ld of %u ports registered\n",
		        limit, got, n);
		show_log_tail(log, 30);
		return -1;
	}
	rr->detect_mono = mono_s();
	rr->detect_real = real_s();
	rr->cpu_vm1 = proc_cpu_wait_s(rr->pid, &rr->wait_vm1);
	rr->cpu_lab1 = proc_cpu_wait_s(lab, &rr->wait_lab1);
	rr->sys_vm1 = proc_sys_s(rr->pid);
	rr->sys_lab1 = proc_sys_s(lab);
	sleep_ms(o->settle_ms);
	rr->rss_kb = proc_status_kb(rr->pid, "VmRSS");
	rr->anon_kb = proc_status_kb(rr->pid, "RssAnon");
	rr->hwm_kb = proc_status_kb(rr->pid, "VmHWM");
	return 0;
}

/* What the ports negotiated, from the full `vmport status`. */
static void read_suites(const char *sock, unsigned n, struct result *r)
{
	size_t cap = 256u * (n + 4);
	char *status = malloc(cap);
	unsigned same = 0;
	if (status && control_ask(sock, "status", status, cap, false, 5000) > 0) {
		for (char *line = strchr(status, '\n'); line && line[1];) {
			line++;
			char dev[32], state[32], server[64], ver[16], cipher[64];
			if (sscanf(line, "%31s %31s %63s %15s %63s", dev, state, server, ver, cipher) == 5 &&
			    strncmp(dev, "PORT", 4)) {
				if (!r->version[0]) {
					snprintf(r->version, sizeof r->version, "%s", ver);
					snprintf(r->cipher, sizeof r->cipher, "%s", cipher);
				}
				same += !strcmp(ver, r->version) && !strcmp(cipher, r->cipher);
			}
			line = strchr(line, '\n');
		}
	}
	free(status);
	r->same_suite = r->same_suite ? (same < r->same_suite ? same : r->same_suite) : same;
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One floor measurement: pinned to one CPU, the bare handshakes then the firmware/tls ones. */
static int run_floor(const struct opts *o, const struct floor_input *in, struct result *r, int *cpu_used)
{
	bool tls13 = strncmp(r->cipher, "TLS13-", 6) == 0;
	cpu_set_t old;
	*cpu_used = pin_cpu(o->cpu, &old);
	struct rusage ru0, ru1;
	getrusage(RUSAGE_THREAD, &ru0);
	double c0 = thread_cpu_s();
	double f = floor_bare(in, r->cipher, tls13, r->group, sizeof r->group);
	double c1 = thread_cpu_s();
	getrusage(RUSAGE_THREAD, &ru1);
	double fw = f > 0 ? floor_fw(in, r->cipher, tls13) : -1;
	sched_setaffinity(0, sizeof old, &old);
	if (f <= 0 || fw <= 0)
		return -1;
	sample_add(&r->floor, f);
	sample_add(&r->floor_cpu, c1 - c0);
	sample_add(&r->floor_sys, (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	                              (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6);
	sample_add(&r->floor_fw, fw);
	return 0;
}

/* "1.23 (2 CPUs; CPU pressure 12.3% over 10 s)": so a reader can judge how quiet the machine was. */
static void machine_load(char *out, size_t cap)
{
	double l1 = -1, some10 = -1;
	char *la = read_text("/proc/loadavg", NULL);
	if (la)
		sscanf(la, "%lf", &l1);
	free(la);
	char *pr = read_text("/proc/pressure/cpu", NULL);
	const char *q = pr ? strstr(pr, "some avg10=") : NULL;
	if (q)
		sscanf(q + 11, "%lf", &some10);
	free(pr);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (some10 >= 0)
		snprintf(out, cap, "load average %.2f on %ld CPUs, CPU pressure %.1f%% (10 s)", l1, cpus,
		         some10);
	else
		snprintf(out, cap, "load average %.2f on %ld CPUs", l1, cpus);
}

static int measure(const struct opts *o, unsigned n, struct result *r)
{
	struct paths p;
	make_paths(&p, n);
	memset(r, 0, sizeof *r);
	r->ports = n;
	r->slow_rate_s = -1;

	/* labcm on ports the kernel just called free; another program may take one first: retry. */
	pid_t lab = -1;
	unsigned tls = 0, tftp = 0;
	for (int attempt = 0; attempt < 3 && lab < 0; attempt++) {
		unsigned sccp = free_port(), closed = free_port();
		tls = free_port();
		tftp = free_port();
		if (!sccp || !tls || !tftp || !closed ||
		    write_lab_conf(p.lab_conf, p.lab_state, n, sccp, tls, tftp) < 0 ||
		    write_vm_conf(p.vm_conf, p.vm_state, n, o->rate, tls, tftp) < 0 ||
		    write_vm_conf(p.vm_base_conf, p.vm_state, n, o->rate, closed, tftp) < 0)
			return -1;
		char *lab_argv[] = {(char *)g_vmport, "labcm", "-c", p.lab_conf, NULL};
		unlink(p.lab_log);
		g_child_cpu = o->pin_children ? 1 : -1;
		lab = spawn(p.lab_log, lab_argv);
		g_child_cpu = -1;
		if (lab < 0)
			return -1;
		double end = mono_s() + 30;
		bool ready = false;
		while (mono_s() < end && alive(lab)) {
			struct stat st;
			if (stat(p.lab_sock, &st) == 0 && log_has(p.lab_log, "listening for SCCP over TLS")) {
				ready = true;
				break;
			}
			sleep_ms(20);
		}
		if (!ready) {
			fprintf(stderr, "vmport-bench register: labcm did not come up%s\n",
			        attempt < 2 ? "; again" : "");
			show_log_tail(p.lab_log, 30);
			stop_child(lab, 2000);
			lab = -1;
		}
	}
	if (lab < 0)
		return -1;

	char load_before[160];
	machine_load(load_before, sizeof load_before);
	int rc = -1;
	struct floor_input in = {0};
	int cpu = -1;
	/* Baseline: same binary, config and state, the CallManager unreachable. */
	pid_t base = start_vm(p.vm_base_conf, p.vm_base_log);
	if (base < 0 || wait_in_service(base, p.vm_base_log, 60 + n / 10) < 0) {
		fprintf(stderr, "vmport-bench register: baseline vmport did not reach service\n");
		show_log_tail(p.vm_base_log, 30);
		stop_child(base, 3000);
		goto out;
	}
	/* Every port has had its turn (and its connection refused) by then. */
	sleep_ms((unsigned)(1000.0 * n / o->rate) + 300 + o->settle_ms);
	r->rss_base_kb = proc_status_kb(base, "VmRSS");
	r->anon_base_kb = proc_status_kb(base, "RssAnon");
	stop_child(base, 5000);

	/* The measured registrations, each a fresh `vmport run`, each followed by a floor run (vmport
	 * stopped, labcm idle): pairs taken close together on a machine whose load may drift. */
	for (unsigned k = 0; k < o->repeat; k++) {
		struct reg_run rr;
		if (registration(o, p.vm_conf, p.vm_log, p.vm_sock, n, o->rate, lab, &rr) < 0) {
			stop_child(rr.pid, 3000);
			goto out;
		}
		sample_add(&r->rss_reg, (double)rr.rss_kb);
		sample_add(&r->anon_reg, (double)rr.anon_kb);
		sample_add(&r->hwm, (double)rr.hwm_kb);
		sample_add(&r->cpu_vm_startup, rr.cpu_vm0);
		sample_add(&r->cpu_vm, rr.cpu_vm1 - rr.cpu_vm0);
		sample_add(&r->cpu_lab, rr.cpu_lab1 - rr.cpu_lab0);
		sample_add(&r->sys_vm, rr.sys_vm1 - rr.sys_vm0);
		sample_add(&r->sys_lab, rr.sys_lab1 - rr.sys_lab0);
		sample_add(&r->wait_vm, rr.wait_vm1 - rr.wait_vm0);
		sample_add(&r->wait_lab, rr.wait_lab1 - rr.wait_lab0);
		sample_add(&r->rss_svc, (double)rr.rss0_kb);
		sample_add(&r->anon_svc, (double)rr.anon0_kb);
		sample_add(&r->proc, rr.detect_mono - rr.spawn_mono);
		read_suites(p.vm_sock, n, r);
		int ex = stop_child(rr.pid, 15000);
		if (r->vm_exit == 0)
			r->vm_exit = ex;
		if (scan_log(p.vm_log, &rr.log) < 0 || rr.log.in_service < 0 || rr.log.last_registered < 0) {
			fprintf(stderr,
			        "vmport-bench register: %s lacks the in-service or registered lines\n",
			        p.vm_log);
			goto out;
		}
		sample_add(&r->reg, rr.log.last_registered - rr.log.in_service);
		sample_add(&r->reg_poll, rr.detect_real - rr.log.in_service);
		sample_add(&r->startup, rr.log.in_service - rr.spawn_real);
		sample_add(&r->first_tls, rr.log.first_tls >= 0 ? rr.log.first_tls - rr.log.in_service : -1);
		r->reg_lines = rr.log.registered > r->reg_lines ? rr.log.registered : r->reg_lines;
		r->refused_lines += rr.log.refused;
		if (!r->cipher[0]) {
			fprintf(stderr, "vmport-bench register: no negotiated suite in `vmport status`\n");
			goto out;
		}
		if (k == 0 && floor_input_load(&in, p.vm_conf, p.lab_state, n) < 0)
			goto out;
		if (run_floor(o, &in, r, &cpu) < 0)
			goto out;
	}

	/* At vmport's default rate, when that takes at most ~10 s. */
	if (o->default_rate && o->rate != DEFAULT_RATE && n <= 100) {
		struct reg_run slow = {0};
		if (write_vm_conf(p.vm_slow_conf, p.vm_state, n, DEFAULT_RATE, tls, tftp) == 0 &&
		    registration(o, p.vm_slow_conf, p.vm_slow_log, p.vm_sock, n, DEFAULT_RATE, lab, &slow) ==
		        0 &&
		    scan_log(p.vm_slow_log, &slow.log) == 0 && slow.log.in_service >= 0)
			r->slow_rate_s = slow.log.last_registered - slow.log.in_service;
		stop_child(slow.pid, 15000);
	}
	rc = 0;
out:
	stop_child(lab, 10000);
	floor_input_free(&in);
	if (rc < 0)
		return rc;

	char a[96], b[96], c[96];
	double reg = sample_median(&r->reg), flo = sample_median(&r->floor);
	printf("\n== %u encrypted ports, register_rate %u/s (pacing alone: %.3f s), %u run%s ==\n", n,
	       o->rate, (double)(n - 1) / o->rate, o->repeat, o->repeat > 1 ? "s" : "");
	char load[160];
	machine_load(load, sizeof load);
	printf("machine: before %s; after %s\n", load_before, load);
	printf("negotiated: %s %s on %u of %u ports (key exchange %s in the floor)\n", r->version, r->cipher,
	       r->same_suite, n, r->group[0] ? r->group : "?");
	printf("registration (vmport run + vmport labcm, two processes on loopback):\n");
	printf("  group in service -> last port registered (vmport's log): %s   <- compared with the floor\n",
	       sample_text(&r->reg, 3, "s", a, sizeof a));
	printf("  group in service -> first TLS up: %s\n", sample_text(&r->first_tls, 3, "s", a, sizeof a));
	printf("  group in service -> control socket shows %u/%u (poll every %u ms): %s\n", n, n, o->poll_ms,
	       sample_text(&r->reg_poll, 3, "s", a, sizeof a));
	printf("  process start -> group in service (config, certificate check, %u TLS contexts, CTL fetch): "
	       "%s\n",
	       n, sample_text(&r->startup, 3, "s", a, sizeof a));
	printf("  process start -> control socket shows %u/%u: %s\n", n, n,
	       sample_text(&r->proc, 3, "s", a, sizeof a));
	printf("  CPU from the in-service line to all registered: vmport %s, labcm %s;\n"
	       "      together %.2fx the floor's CPU; in the kernel: vmport %.2f s, labcm %.2f s, floor %.2f "
	       "s of %.2f s\n"
	       "      (vmport's start-up before the line: %s)\n",
	       sample_text(&r->cpu_vm, 3, "s", a, sizeof a), sample_text(&r->cpu_lab, 3, "s", b, sizeof b),
	       (sample_median(&r->cpu_vm) + sample_median(&r->cpu_lab)) / sample_median(&r->floor_cpu),
	       sample_median(&r->sys_vm), sample_median(&r->sys_lab), sample_median(&r->floor_sys),
	       sample_median(&r->floor_cpu), sample_text(&r->cpu_vm_startup, 3, "s", c, sizeof c));
	printf("  runnable but waiting for a CPU meanwhile: vmport %.3f s, labcm %.3f s (medians)\n",
	       sample_median(&r->wait_vm), sample_median(&r->wait_lab));
	printf("  log: %u 'registered' lines per run, %u connect/TLS failures in all; exit status after "
	       "SIGTERM: %d\n",
	       r->reg_lines, r->refused_lines, r->vm_exit);
	if (r->slow_rate_s >= 0)
		printf("  at vmport's default register_rate %u/s (one run): %.3f s (pacing alone: %.3f s)\n",
		       DEFAULT_RATE, r->slow_rate_s, (double)(n - 1) / DEFAULT_RATE);
	printf("floor: %u bare wolfSSL mutual-auth handshakes, client + server in one thread on CPU %d, "
	       "socketpairs,\n"
	       "       the ports' and labcm's certificates, %s: %s (%.2f ms each; CPU %.3f s)\n",
	       n, cpu, r->cipher, sample_text(&r->floor, 3, "s", a, sizeof a), 1000 * flo / n,
	       sample_median(&r->floor_cpu));
	printf("       the same through firmware/tls (pin, CallManager-trust, vmport's I/O callbacks): %s\n",
	       sample_text(&r->floor_fw, 3, "s", a, sizeof a));
	struct sample pair = {0};
	for (unsigned k = 0; k < r->reg.n && k < r->floor.n; k++)
		sample_add(&pair, r->reg.v[k] / r->floor.v[k]);
	printf("ratio: %.2f (target <= %.1f at 250 ports)", reg / flo, TARGET_RATIO);
	if (pair.n > 1)
		printf("; run by run (each registration / the floor right after it): %s",
		       sample_text(&pair, 2, "", a, sizeof a));
	printf("\n");
	double rss = sample_median(&r->rss_reg), anon = sample_median(&r->anon_reg);
	double rss0 = sample_median(&r->rss_svc), anon0 = sample_median(&r->anon_svc);
	printf("memory (VmRSS of vmport run):\n");
	printf("  baseline: %ld kB (RssAnon %ld kB): a run with the CallManager unreachable, every port "
	       "tried once\n",
	       r->rss_base_kb, r->anon_base_kb);
	printf("  cross-check: %.0f kB (RssAnon %.0f kB): the measured process when its in-service line "
	       "appeared\n",
	       rss0, anon0);
	printf("  registered: %s (RssAnon %.0f kB) %u ms after the last port; peak %s\n",
	       sample_text(&r->rss_reg, 0, "kB", a, sizeof a), anon, o->settle_ms,
	       sample_text(&r->hwm, 0, "kB", c, sizeof c));
	printf("  per registered port: %.1f KB (target <= %.0f KB); anonymous memory only: %.1f KB; "
	       "against the cross-check: %.1f KB\n",
	       (rss - (double)r->rss_base_kb) / n, TARGET_KB_PER_PORT, (anon - (double)r->anon_base_kb) / n,
	       (rss - rss0) / n);
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: vmport-bench register --ports N[,N...] [--repeat K] [--rate R] [--poll-ms MS] "
	    "[--settle-ms MS]\n"
	    "       [--timeout S] [--cpu C] [--no-default-rate] [--pin-children] [--dir DIR] [--keep] "
	    "[--vmport PATH]\n"
	    "  --ports      ports (1..%d); a list runs each and prints one table\n"
	    "  --repeat     registrations and floors per N (fresh vmport each time); medians are printed\n"
	    "  --rate       register_rate (default 1000, the maximum: pacing is not the bottleneck)\n"
	    "  --no-default-rate  do not also measure at vmport's default 10/s (done when N <= 100)\n"
	    "  --pin-children  vmport run on CPU 0 and labcm on CPU 1 (default: the scheduler decides)\n"
	    "  --dir        keep everything (certificates too) in DIR and reuse it next time\n",
	    VMPORT_MAX_PORTS);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"ports", required_argument, NULL, 'n'},   {"rate", required_argument, NULL, 'r'},
	    {"poll-ms", required_argument, NULL, 'p'}, {"settle-ms", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'}, {"cpu", required_argument, NULL, 'c'},
	    {"dir", required_argument, NULL, 'd'},     {"keep", no_argument, NULL, 'k'},
	    {"vmport", required_argument, NULL, 'v'},  {"no-default-rate", no_argument, NULL, 'D'},
	    {"repeat", required_argument, NULL, 'R'},  {"help", no_argument, NULL, 'h'},
	    {"pin-children", no_argument, NULL, 'P'},  {NULL, 0, NULL, 0},
	};
	*o = (struct opts){.rate = 1000,
	                   .poll_ms = 50,
	                   .settle_ms = 500,
	                   .timeout_s = 60,
	                   .repeat = 1,
	                   .cpu = -1,
	                   .default_rate = true};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			char *save = NULL, copy[128];
			snprintf(copy, sizeof copy, "%s", optarg);
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				unsigned long v = strtoul(t, NULL, 10);
				if (o->n_runs == MAX_RUNS || v < 1 || v > VMPORT_MAX_PORTS) {
					fprintf(stderr,
					        "vmport-bench register: --ports: 1..%d, at most %d values\n",
					        VMPORT_MAX_PORTS, MAX_RUNS);
					return -1;
				}
				o->ports[o->n_runs++] = (unsigned)v;
			}
			break;
		}
		case 'r':
			o->rate = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o->poll_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o->settle_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			o->timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'k':
			o->keep = true;
			break;
		case 'v':
			o->vmport = optarg;
			break;
		case 'D':
			o->default_rate = false;
			break;
		case 'R':
			o->repeat = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			o->pin_children = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->n_runs == 0 || o->rate < 1 || o->rate > 1000 || o->poll_ms < 1 || o->repeat < 1 ||
	    o->repeat > MAX_REPEAT) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int find_vmport(const struct opts *o, char *out, size_t cap)
{
	if (o->vmport) {
		snprintf(out, cap, "%s", o->vmport);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n <= 0)
			return -1;
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (!slash)
			return -1;
		*slash = '\0';
		pathf(out, cap, "%s/vmport", self);
	}
	if (access(out, X_OK) != 0) {
		fprintf(stderr, "vmport-bench register: no vmport binary at %s (--vmport PATH)\n", out);
		return -1;
	}
	return 0;
}

int bench_register_main(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	vm_log_set_level(VM_LOG_WARN);
	static char vmport[PATH_MAX];
	if (find_vmport(&o, vmport, sizeof vmport) < 0)
		return 1;
	g_vmport = vmport;
	g_pin_children = o.pin_children;
	unsigned max_n = 0;
	for (unsigned i = 0; i < o.n_runs; i++)
		max_n = o.ports[i] > max_n ? o.ports[i] : max_n;

	/* vmport and labcm each hold a socket per port; children inherit the limit. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max_n + 256u) {
		fprintf(stderr,
		        "vmport-bench register: %u ports need %u file descriptors, the limit is %llu\n",
		        max_n, max_n + 256u, (unsigned long long)rl.rlim_cur);
		return 1;
	}
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGPIPE, SIG_IGN);

	bool own_dir = !o.dir;
	if (o.dir) {
		snprintf(g_dir, sizeof g_dir, "%s", o.dir);
		if (mkdir_p(g_dir) < 0) {
			fprintf(stderr, "vmport-bench register: %s: %s\n", g_dir, strerror(errno));
			return 1;
		}
	} else {
		snprintf(g_dir, sizeof g_dir, "/tmp/vmport-benchreg.XXXXXX");
		if (!mkdtemp(g_dir)) {
			fprintf(stderr, "vmport-bench register: mkdtemp: %s\n", strerror(errno));
			return 1;
		}
	}

	/* Certificates for the largest N, before anything is timed; vmport's root into labcm's
	 * CallManager-trust. The lab's own certificates are made at its first start (untimed). */
	struct paths p;
	make_paths(&p, max_n);
	char ca_conf[PATH_MAX], trust_dir[PATH_MAX], trust_pem[PATH_MAX + 32];
	pathf(ca_conf, sizeof ca_conf, "%s/vm-ca.ini", g_dir);
	pathf(trust_dir, sizeof trust_dir, "%s/CallManager-trust", p.lab_state);
	pathf(trust_pem, sizeof trust_pem, "%s/vmport-root.pem", trust_dir);
	int status = 1;
	double t_ca = mono_s();
	if (mkdir_p(p.vm_state) < 0 || mkdir_p(trust_dir) < 0 ||
	    write_vm_conf(ca_conf, p.vm_state, max_n, o.rate, 2443, 69) < 0)
		goto done;
	char *ca_argv[] = {vmport, "ca", "init", "-c", ca_conf, NULL};
	if (run_wait(p.ca_log, ca_argv, 3600) != 0) {
		fprintf(stderr, "vmport-bench register: vmport ca init failed\n");
		show_log_tail(p.ca_log, 20);
		goto done;
	}
	t_ca = mono_s() - t_ca;
	char *export_argv[] = {vmport, "ca", "export-root", "-c", ca_conf, "-o", trust_pem, NULL};
	if (run_wait(p.ca_log, export_argv, 60) != 0) {
		fprintf(stderr, "vmport-bench register: vmport ca export-root failed\n");
		show_log_tail(p.ca_log, 20);
		goto done;
	}
	printf("vmport-bench register: vmport %s, labcm on 127.0.0.1, working directory %s\n", vmport, g_dir);
	printf("%s\n", tls_library_info());
	printf("certificates: `vmport ca init` for %u ports took %.1f s beforehand (never inside a measured "
	       "interval)\n",
	       max_n, t_ca);
	printf("children: %s\n", o.pin_children
	                             ? "vmport run pinned to CPU 0, labcm to CPU 1 (--pin-children)"
	                             : "not pinned: the scheduler places vmport run and labcm");
	printf("register_rate: %u/s%s\n", o.rate,
	       o.rate == 1000 ? " (the maximum vmport accepts: one connection started per 1 ms tick)" : "");
	fflush(stdout);

	struct result res[MAX_RUNS];
	unsigned done_runs = 0;
	status = 0;
	for (unsigned i = 0; i < o.n_runs; i++) {
		if (measure(&o, o.ports[i], &res[done_runs]) < 0) {
			fprintf(stderr, "vmport-bench register: the run with %u ports failed (logs in %s)\n",
			        o.ports[i], g_dir);
			o.keep = true;
			status = 1;
			break;
		}
		done_runs++;
	}
	if (done_runs) {
		printf("\nregister_rate %u/s; medians of %u run%s; floor = N bare wolfSSL handshakes on one "
		       "core\n",
		       o.rate, o.repeat, o.repeat > 1 ? "s" : "");
		printf("%6s %9s %9s %6s %13s %13s %8s  %s\n", "N", "reg (s)", "floor (s)", "ratio",
		       "RSS base (kB)", "RSS reg (kB)", "KB/port", "TLS");
		for (unsigned i = 0; i < done_runs; i++) {
			const struct result *r = &res[i];
			double reg = sample_median(&r->reg), flo = sample_median(&r->floor),
			       rss = sample_median(&r->rss_reg);
			printf("%6u %9.3f %9.3f %6.2f %13ld %13.0f %8.1f  %s %s\n", r->ports, reg, flo,
			       reg / flo, r->rss_base_kb, rss, (rss - (double)r->rss_base_kb) / r->ports,
			       r->version, r->cipher);
		}
		for (unsigned i = 0; i < done_runs; i++) {
			const struct result *r = &res[i];
			double reg = sample_median(&r->reg), flo = sample_median(&r->floor),
			       rss = sample_median(&r->rss_reg);
			printf("RESULT ports=%u rate=%u runs=%u reg_s=%.3f floor_s=%.3f floor_fwtls_s=%.3f "
			       "ratio=%.3f "
			       "rss_base_kb=%ld rss_reg_kb=%.0f kb_per_port=%.1f startup_s=%.3f "
			       "cpu_ratio=%.3f version=%s "
			       "cipher=%s\n",
			       r->ports, o.rate, o.repeat, reg, flo, sample_median(&r->floor_fw), reg / flo,
			       r->rss_base_kb, rss, (rss - (double)r->rss_base_kb) / r->ports,
			       sample_median(&r->startup),
			       (sample_median(&r->cpu_vm) + sample_median(&r->cpu_lab)) /
			           sample_median(&r->floor_cpu),
			       r->version, r->cipher);
		}
	}
	fflush(stdout);
done:
	kill_children();
	if (own_dir && !o.keep) {
		char *rm_argv[] = {"/bin/rm", "-rf", g_dir, NULL};
		pid_t pid = fork();
		if (pid == 0) {
			execv(rm_argv[0], rm_argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else if (status != 0 || o.keep) {
		fprintf(stderr, "vmport-bench register: files kept in %s\n", g_dir);
	}
	return status;
}
