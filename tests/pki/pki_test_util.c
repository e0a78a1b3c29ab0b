#include "pki_test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Directories not yet removed, so a failed test's teardown can remove them. */
static char made[16][VMPORT_PATH_MAX];

void tmpdir_make(char out[VMPORT_PATH_MAX])
{
	const char *base = getenv("TMPDIR");
	snprintf(out, VMPORT_PATH_MAX, "%s/vmport-pki-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		abort();
	}
	for (int i = 0; i < 16; i++) {
		if (!made[i][0]) {
			snprintf(made[i], sizeof(made[i]), "%s", out);
			break;
		}
	}
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700); /* tests make directories read-only */
	return remove(path);
}

void tmpdir_remove(const char *dir)
{
	chmod(dir, 0700);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (int i = 0; i < 16; i++) {
		if (!strcmp(made[i], dir))
			made[i][0] = '\0';
	}
}

int tmpdir_cleanup(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++) {
		if (made[i][0]) {
			char dir[VMPORT_PATH_MAX];
			memcpy(dir, made[i], sizeof(dir)); /* same size: no truncation */
			tmpdir_remove(dir);
		}
	}
	return 0;
}

void test_config(struct vmport_config *cfg, const char *state_dir, unsigned ports)
{
	vmport_config_defaults(cfg);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", state_dir);
	cfg->ports = ports;
}

int run_capture(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int read_whole(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return 0;
}

int write_whole(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

unsigned file_mode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xFFFFu;
}
