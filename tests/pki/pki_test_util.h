/* Helpers for the pki tests: temporary state directories, files, and the openssl command line. */
#ifndef VMPORT_PKI_TEST_UTIL_H
#define VMPORT_PKI_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A fresh directory under $TMPDIR (or /tmp); removed with everything in it by tmpdir_remove(). */
void tmpdir_make(char out[VMPORT_PATH_MAX]);
void tmpdir_remove(const char *dir);
/* A cmocka teardown: removes what a failed test left behind. */
int tmpdir_cleanup(void **state);

/* Defaults, with state_dir and ports set. */
void test_config(struct vmport_config *cfg, const char *state_dir, unsigned ports);

/* Run a shell command; its stdout (trailing newline removed) goes to out. Returns the exit status. */
int run_capture(const char *cmd, char *out, size_t cap);
int read_whole(const char *path, uint8_t *buf, size_t cap, size_t *len);
int write_whole(const char *path, const void *data, size_t len);
unsigned file_mode(const char *path);

#endif
