/* `vmport ctl show`: the CTL as CUCM's `show ctl` prints it (plus SHA-256 fingerprints), from a
 * file or fetched from the port group's TFTP servers and compared with the cached copy.
 *
 *   vmport ctl show FILE [-c CONF]       dump and verify (against the pinned SAST certificates
 *                                         of CONF's trust store when -c is given)
 *   vmport ctl show --fetch -c CONF [--timeout MS]
 *                                         fetch, dump, compare with the cache, update the cache
 *                                         only if the file verifies
 * Exit status: 0 ok; 1 the file does not parse or verify, or could not be fetched; 2 usage or I/O. */
#include "cmd.h"

#include "config.h"
#include "ctl/ctl.h"
#include "trust/trust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *to)
{
	fprintf(to, "usage: vmport ctl show FILE [-c CONF]\n"
	            "       vmport ctl show --fetch -c CONF [--timeout MS]\n");
}

static void print_line(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

static void print_indented(void *ctx, const char *line)
{
	fprintf(ctx, "  %s\n", line);
}

static int read_whole(const char *path, uint8_t **buf, size_t *len, int64_t *mtime)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return -errno;
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return -EINVAL;
	}
	if ((unsigned long long)st.st_size > VM_TRUST_MAX_CTL_BYTES) {
		fclose(fp);
		return -EFBIG;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		fclose(fp);
		return -ENOMEM;
	}
	*len = fread(*buf, 1, (size_t)st.st_size + 1, fp);
	int bad = ferror(fp) || *len > (size_t)st.st_size;
	fclose(fp);
	if (bad) {
		free(*buf);
		return -EIO;
	}
	*mtime = (int64_t)st.st_mtime;
	return 0;
}

/* Print the dump with the verification verdict; returns the verification result. */
static enum ctl_err show_parsed(const struct ctl_file *f, struct vm_trust *t, bool verify, int64_t mtime)
{
	struct ctl_bytes pins[VM_TRUST_MAX_PINS];
	size_t n_pins = t ? vm_trust_pins(t, pins, VM_TRUST_MAX_PINS) : 0;
	if (n_pins > VM_TRUST_MAX_PINS)
		n_pins = VM_TRUST_MAX_PINS;
	struct ctl_verify_opts vo = {.pins = pins, .n_pins = n_pins};
	struct ctl_error verr = {.offset = -1};
	enum ctl_err vr = verify ? ctl_verify(f, &vo, NULL, &verr) : CTL_OK;
	struct ctl_format_opts fo = {
	    .mtime = mtime, .verified = verify, .verify_result = vr, .verify_error = &verr};
	ctl_format(f, &fo, print_line, stdout);
	if (!verify)
		printf("Signature NOT verified (ctl_verify = off)\n");
	else if (n_pins)
		printf("Checked against %zu pinned SAST certificate(s)\n", n_pins);
	return vr;
}

static struct vm_trust *open_trust(const char *conf, unsigned timeout_ms, struct vmport_config *cfg)
{
	char err[512];
	if (vmport_config_load(cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "vmport ctl: %s\n", err);
		return NULL;
	}
	struct vm_trust_opts opts = {.tftp_timeout_ms = timeout_ms};
	struct vm_trust *t = vm_trust_init(cfg, &opts, err, sizeof(err));
	if (t == NULL)
		fprintf(stderr, "vmport ctl: %s\n", err);
	return t;
}

static int show_file(const char *path, const char *conf)
{
	static struct vmport_config cfg;
	struct vm_trust *t = NULL;
	if (conf != NULL && (t = open_trust(conf, 0, &cfg)) == NULL)
		return 2;
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t mtime = 0;
	int rc = read_whole(path, &buf, &len, &mtime);
	if (rc != 0) {
		fprintf(stderr, "vmport ctl show: %s: %s\n", path,
		        rc == -EFBIG ? "larger than the 1 MiB limit" : strerror(-rc));
		vm_trust_free(t);
		return 2;
	}
	struct ctl_file *f = calloc(1, sizeof(*f));
	struct ctl_error err = {.offset = -1};
	int status = 2;
	if (f == NULL)
		goto out;
	if (ctl_parse(buf, len, f, &err) != CTL_OK) {
		char text[300];
		fprintf(stderr, "vmport ctl show: %s: %s\n", path,
		        ctl_error_format(&err, text, sizeof(text)));
		status = 1;
		goto out;
	}
	status = show_parsed(f, t, conf == NULL || cfg.ctl_verify, mtime) == CTL_OK ? 0 : 1;
out:
	free(f);
	free(buf);
	vm_trust_free(t);
	return status;
}

static void compare(struct vm_trust *t, const struct ctl_file *fetched, const struct vm_trust_digest *fd)
{
	struct vm_trust_digest cd;
	bool trusted = false;
	const struct ctl_file *cached = vm_trust_cached(t, &cd, &trusted);
	char a[200], b[200];
	if (cached == NULL) {
		printf("No cached copy at %s: nothing to compare with\n", vm_trust_cache_path(t));
		return;
	}
	vm_trust_digest_text(&cd, a, sizeof(a));
	vm_trust_digest_text(fd, b, sizeof(b));
	printf("Compared with the cached copy %s%s:\n", vm_trust_cache_path(t),
	       trusted ? "" : " (which no longer verifies)");
	printf("  cached:  %zu bytes, %s\n", cd.size, a);
	printf("  fetched: %zu bytes, %s\n", fd->size, b);
	if (vm_trust_digest_equal(&cd, fd)) {
		printf("  checksums: same\n");
		return;
	}
	printf("  checksums: different\n");
	struct vm_trust_diff_counts c;
	vm_trust_diff(cached, fetched, print_indented, stdout, &c);
	printf("  records: %u added, %u removed, %u changed, %u unchanged\n", c.added, c.removed, c.changed,
	       c.same);
}

static int show_fetch(const char *conf, unsigned timeout_ms)
{
	static struct vmport_config cfg;
	struct vm_trust *t = open_trust(conf, timeout_ms, &cfg);
	if (t == NULL)
		return 2;
	uint8_t *buf = NULL;
	size_t len = 0;
	char url[400];
	int status = 1;
	struct ctl_file *f = calloc(1, sizeof(*f));
	int res = f ? vm_trust_fetch(t, &buf, &len, url, sizeof(url)) : -1;
	if (res != 0) {
		fprintf(stderr,
		        "vmport ctl show: could not fetch the CTL from any of the %zu TFTP server(s); "
		        "the cache %s is unchanged\n",
		        cfg.n_tftp, vm_trust_cache_path(t));
		goto out;
	}
	struct vm_trust_digest fd;
	char sums[200];
	vm_trust_digest_of(buf, len, &fd);
	vm_trust_digest_text(&fd, sums, sizeof(sums));
	printf("Fetched %s: %zu bytes, %s\n", url, len, sums);
	struct ctl_error err = {.offset = -1};
	if (ctl_parse(buf, len, f, &err) != CTL_OK) {
		char text[300];
		fprintf(stderr, "vmport ctl show: %s: %s; the cache %s is unchanged\n", url,
		        ctl_error_format(&err, text, sizeof(text)), vm_trust_cache_path(t));
		goto out;
	}
	show_parsed(f, t, cfg.ctl_verify, 0);
	compare(t, f, &fd);
	struct vm_trust_result r = {0};
	fflush(stdout); /* keep the report and the log lines in order on a terminal */
	if (vm_trust_accept(t, buf, len, url, &r) != CTL_OK) {
		printf("Cache: NOT updated: %s\n", r.reason);
		goto out;
	}
	printf("Cache: %s %s\n", r.changed ? "updated" : "already up to date,", vm_trust_cache_path(t));
	status = 0;
out:
	free(f);
	free(buf);
	vm_trust_free(t);
	return status;
}

int cmd_ctl(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "show") != 0) {
		usage(stderr);
		return 2;
	}
	const char *file = NULL, *conf = NULL;
	bool fetch = false;
	unsigned long timeout_ms = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--fetch")) {
			fetch = true;
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			conf = argv[++i];
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			timeout_ms = strtoul(argv[++i], &end, 10);
			if (*end || timeout_ms == 0 || timeout_ms > 600000) {
				fprintf(stderr,
				        "vmport ctl show: --timeout wants milliseconds (1..600000)\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && file == NULL) {
			file = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (fetch) {
		if (conf == NULL || file != NULL) {
			usage(stderr);
			return 2;
		}
		return show_fetch(conf, (unsigned)timeout_ms);
	}
	if (file == NULL || timeout_ms) {
		usage(stderr);
		return 2;
	}
	return show_file(file, conf);
}
