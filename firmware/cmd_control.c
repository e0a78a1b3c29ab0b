/* `vmport status`, `vmport mwi on|off E`, `vmport monitor PORT|off` and `vmport messages heard E`:
 * talk to a running `vmport run` over its control socket (<state_dir>/vmport.sock). */
#include "cmd.h"

#include "config.h"
#include "control/control.h"
#include "run/run.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "-c CONF" from the arguments after the sub-command; the rest left in `rest`. */
static int load_conf(int argc, char **argv, struct vmport_config *cfg, char **rest, int *n_rest)
{
	const char *conf = NULL;
	*n_rest = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf = argv[++i];
		else
			rest[(*n_rest)++] = argv[i];
	}
	if (!conf) {
		fprintf(stderr, "vmport %s: -c CONF is required\n", argv[0]);
		return -1;
	}
	char err[512];
	if (vmport_config_load(cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmport %s: %s\n", argv[0], err);
		return -1;
	}
	return 0;
}

static int ask(const struct vmport_config *cfg, const char *request)
{
	char sock[VMPORT_PATH_MAX + 32], err[512];
	vm_run_control_path(cfg, sock, sizeof(sock));
	int rc = vm_control_request(sock, request, STDOUT_FILENO, 30000, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vmport: %s (is `vmport run` running with this CONF?)\n", err);
		return 1;
	}
	return rc;
}

int cmd_status(int argc, char **argv)
{
	struct vmport_config cfg;
	char *rest[8];
	int n;
	if (argc > 9 || load_conf(argc, argv, &cfg, rest, &n) < 0 || n != 0) {
		fprintf(stderr, "usage: vmport status -c CONF\n");
		return 2;
	}
	return ask(&cfg, "status");
}

static bool extension_ok(const char *ext)
{
	if (!ext[0] || strlen(ext) > 24)
		return false;
	for (const char *p = ext; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '#' || *p == '+'))
			return false;
	}
	return true;
}

int cmd_mwi(int argc, char **argv)
{
	struct vmport_config cfg;
	char *rest[8];
	int n;
	if (argc > 9 || load_conf(argc, argv, &cfg, rest, &n) < 0 || n != 2 ||
	    (strcmp(rest[0], "on") && strcmp(rest[0], "off")) || !extension_ok(rest[1])) {
		fprintf(stderr, "usage: vmport mwi on|off EXTENSION -c CONF\n");
		return 2;
	}
	char req[128];
	snprintf(req, sizeof(req), "mwi %s %s", rest[0], rest[1]);
	return ask(&cfg, req);
}

int cmd_monitor(int argc, char **argv)
{
	struct vmport_config cfg;
	char *rest[8];
	int n;
	if (argc > 9 || load_conf(argc, argv, &cfg, rest, &n) < 0 || n > 1 ||
	    (n == 1 && (!rest[0][0] || strlen(rest[0]) > 60 || strchr(rest[0], ' ')))) {
		fprintf(stderr, "usage: vmport monitor [PORT|off] -c CONF\n");
		return 2;
	}
	char req[96];
	snprintf(req, sizeof(req), n ? "monitor %s" : "monitor", n ? rest[0] : "");
	return ask(&cfg, req);
}

/* Messages of a mailbox are heard once they move from <messages_dir>/<E>/ to .../<E>/heard/. */
static int mark_heard(const struct vmport_config *cfg, const char *ext, unsigned *moved)
{
	char dir[VMPORT_PATH_MAX + 32], heard[VMPORT_PATH_MAX + 40];
	snprintf(dir, sizeof(dir), "%s/%s", cfg->messages_dir, ext);
	snprintf(heard, sizeof(heard), "%s/heard", dir);
	*moved = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* no messages ever: nothing to mark, the lamp goes off anyway */
		fprintf(stderr, "vmport messages: cannot read %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (mkdir(heard, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "vmport messages: cannot create %s: %s\n", heard, strerror(errno));
		closedir(d);
		return -1;
	}
	struct dirent *de;
	int status = 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".wav"))
			continue; /* hidden files are recordings still being written */
		char from[VMPORT_PATH_MAX + 300], to[VMPORT_PATH_MAX + 300];
		snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", heard, de->d_name);
		if (rename(from, to) < 0) {
			fprintf(stderr, "vmport messages: cannot move %s to %s: %s\n", from, heard,
			        strerror(errno));
			status = -1;
			continue;
		}
		(*moved)++;
	}
	closedir(d);
	return status;
}

int cmd_messages(int argc, char **argv)
{
	struct vmport_config cfg;
	char *rest[8];
	int n;
	if (argc > 9 || load_conf(argc, argv, &cfg, rest, &n) < 0 || n != 2 || strcmp(rest[0], "heard") ||
	    !extension_ok(rest[1])) {
		fprintf(stderr, "usage: vmport messages heard EXTENSION -c CONF\n");
		return 2;
	}
	unsigned moved;
	if (mark_heard(&cfg, rest[1], &moved) < 0)
		return 1;
	printf("%u message%s of %s marked heard\n", moved, moved == 1 ? "" : "s", rest[1]);
	char req[128];
	snprintf(req, sizeof(req), "mwi off %s", rest[1]);
	return ask(&cfg, req);
}
