/* `vmport labcm`: run the lab CallManager, or talk to a running one over its control socket.
 *
 *   vmport labcm -c LABCONF [-v]
 *   vmport labcm status -c LABCONF
 *   vmport labcm call --from 2002 --to 1001 [--forward-to-voicemail] [--play FILE] [--record FILE]
 *                     [--seconds N] -c LABCONF
 */
#include "cmd.h"

#include "control/control.h"
#include "labcm/labcm.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] = "usage: vmport labcm -c LABCONF [-v]\n"
                                 "       vmport labcm status -c LABCONF\n"
                                 "       vmport labcm call --from N --to N [--forward-to-voicemail] [--play "
                                 "FILE.wav] [--record FILE.wav]\n"
                                 "                         [--seconds N] -c LABCONF\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static int load(const char *conf, struct labcm_config *cfg)
{
	char err[512];
	if (labcm_config_load(cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmport labcm: %s\n", err);
		return -1;
	}
	return 0;
}

static int run_server(const char *conf)
{
	struct labcm_config cfg;
	if (load(conf, &cfg) < 0)
		return 1;
	struct labcm *lab = NULL;
	char err[512];
	int rc = labcm_create(&cfg, &lab, err, sizeof(err));
	labcm_config_free(&cfg);
	if (rc < 0) {
		LOGE("labcm", "%s", err);
		labcm_destroy(lab);
		return 1;
	}
	rc = labcm_run(lab);
	labcm_destroy(lab);
	if (rc < 0) {
		LOGE("labcm", "event loop failed: %s", strerror(-rc));
		return 1;
	}
	return 0;
}

/* One request, the whole reply into buf. Returns 0, or -1 with a message printed. */
static int request(const char *path, const char *line, char *buf, size_t cap, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vmport labcm: control socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vmport labcm: no labcm answers on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);
		if (n <= 0) {
			fprintf(stderr, "vmport labcm: %s: write: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	size_t got = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0) {
			fprintf(stderr, "vmport labcm: %s: no answer in %d ms\n", path, timeout_ms);
			close(fd);
			return -1;
		}
		if (got + 1 >= cap)
			break;
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}

/* A path the server (another working directory) can use: absolute, no whitespace. */
static int absolute_path(const char *in, char *out, size_t cap, const char *what)
{
	if (strpbrk(in, " \t\r\n")) {
		fprintf(stderr, "vmport labcm call: %s path must not contain whitespace: %s\n", what, in);
		return -1;
	}
	if (in[0] == '/') {
		snprintf(out, cap, "%s", in);
		return 0;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || snprintf(out, cap, "%s/%s", cwd, in) >= (int)cap) {
		fprintf(stderr, "vmport labcm call: %s path too long: %s\n", what, in);
		return -1;
	}
	return 0;
}

/* "key=value" out of a callinfo line. */
static const char *field(const char *line, const char *key, char *out, size_t cap)
{
	char pat[32];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	if (!p) {
		snprintf(out, cap, "?");
		return out;
	}
	p += strlen(pat);
	size_t n = strcspn(p, " \n");
	if (!strcmp(key, "reason"))
		n = strcspn(p, "\n"); /* the last field, with spaces */
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int place_call(int argc, char **argv)
{
	const char *conf = NULL, *from = NULL, *to = NULL, *play = NULL, *record = NULL;
	bool fwd = false;
	unsigned long seconds = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (!strcmp(a, "-c") && has)
			conf = argv[++i];
		else if (!strcmp(a, "--from") && has)
			from = argv[++i];
		else if (!strcmp(a, "--to") && has)
			to = argv[++i];
		else if (!strcmp(a, "--play") && has)
			play = argv[++i];
		else if (!strcmp(a, "--record") && has)
			record = argv[++i];
		else if (!strcmp(a, "--seconds") && has)
			seconds = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--forward-to-voicemail"))
			fwd = true;
		else
			return usage();
	}
	if (!conf || !from || !to || seconds == 0 || seconds > 3600)
		return usage();
	struct labcm_config cfg;
	if (load(conf, &cfg) < 0)
		return 1;
	char path[LABCM_PATH_MAX];
	labcm_control_path(&cfg, path, sizeof(path));
	unsigned ring_s = cfg.ring_timeout_s;
	labcm_config_free(&cfg);

	char play_abs[LABCM_PATH_MAX] = "-", rec_abs[LABCM_PATH_MAX] = "-";
	if ((play && absolute_path(play, play_abs, sizeof(play_abs), "--play") < 0) ||
	    (record && absolute_path(record, rec_abs, sizeof(rec_abs), "--record") < 0))
		return 1;
	char line[1024], reply[2048];
	snprintf(line, sizeof(line), "call %s %s %d %lu %s %s\n", from, to, fwd ? 1 : 0, seconds, play_abs,
	         rec_abs);
	if (request(path, line, reply, sizeof(reply), 5000) < 0)
		return 1;
	if (strncmp(reply, "call ", 5) != 0) {
		fprintf(stderr, "vmport labcm call: %s", reply);
		return 1;
	}
	char id[16];
	snprintf(id, sizeof(id), "%.8s", reply + 5);
	char port[32];
	printf("call %s: %s -> %s%s, ringing %s\n", id, from, to, fwd ? " (forwarded to voicemail)" : "",
	       field(reply, "port", port, sizeof(port)));
	fflush(stdout);

	/* Ringing at most ring_timeout, then `seconds` connected, then a margin for the teardown. */
	uint64_t waited = 0, limit = ((uint64_t)ring_s + seconds + 30u) * 1000u;
	for (;;) {
		sleep_ms(200);
		waited += 200;
		snprintf(line, sizeof(line), "callinfo %s\n", id);
		if (request(path, line, reply, sizeof(reply), 5000) < 0)
			return 1;
		if (strncmp(reply, "call ", 5) != 0) {
			fprintf(stderr, "vmport labcm call: %s", reply);
			return 1;
		}
		if (strstr(reply, " ended "))
			break;
		if (waited > limit) {
			fprintf(stderr, "vmport labcm call: call %s did not end in %llu s; hanging up\n", id,
			        (unsigned long long)(limit / 1000));
			snprintf(line, sizeof(line), "hangup %s\n", id);
			request(path, line, reply, sizeof(reply), 5000);
			return 1;
		}
	}
	char answered[8], ans_ms[24], dur[24], media[40], srtp[8], tx[24], rx[24], authf[16], rec[16],
	    reason[80];
	field(reply, "answered", answered, sizeof(answered));
	field(reply, "port", port, sizeof(port));
	field(reply, "reason", reason, sizeof(reason));
	if (strcmp(answered, "yes") != 0) {
		printf("call %s: not answered: %s\n", id, reason);
		return 1;
	}
	printf("call %s: answered by %s after %s ms; connected %s ms; media %s (%s)\n", id, port,
	       field(reply, "answer_ms", ans_ms, sizeof(ans_ms)),
	       field(reply, "duration_ms", dur, sizeof(dur)), field(reply, "media", media, sizeof(media)),
	       !strcmp(field(reply, "srtp", srtp, sizeof(srtp)), "yes") ? "SRTP" : "RTP");
	printf("call %s: packets to the port %s, from the port %s, SRTP auth failures %s\n", id,
	       field(reply, "tx_packets", tx, sizeof(tx)), field(reply, "rx_packets", rx, sizeof(rx)),
	       field(reply, "auth_failures", authf, sizeof(authf)));
	printf("call %s: ended: %s\n", id, reason);
	field(reply, "record", rec, sizeof(rec));
	if (record)
		printf("call %s: recording %s: %s\n", id, rec_abs, rec);
	if (record && strcmp(rec, "saved") != 0)
		return 1;
	return 0;
}

static int status(int argc, char **argv)
{
	const char *conf = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf = argv[++i];
		else
			return usage();
	}
	if (!conf)
		return usage();
	struct labcm_config cfg;
	if (load(conf, &cfg) < 0)
		return 1;
	char path[LABCM_PATH_MAX], err[512];
	labcm_control_path(&cfg, path, sizeof(path));
	labcm_config_free(&cfg);
	int rc = vm_control_request(path, "status\n", STDOUT_FILENO, 10000, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vmport labcm status: %s\n", err);
		return 1;
	}
	return rc == 0 ? 0 : 1;
}

int cmd_labcm(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return status(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "call"))
		return place_call(argc - 1, argv + 1);
	const char *conf = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			vm_log_set_level(VM_LOG_DEBUG);
		else
			return usage();
	}
	if (!conf)
		return usage();
	return run_server(conf);
}
