/* Helpers for the trust tests: identities and CTLs made when the tests run (never fixed certificates
 * that can expire), Debian's real TFTP server (in.tftpd from tftpd-hpa) on a loopback port, and a
 * capture of what vmport logs on stderr. */
#ifndef VMPORT_TRUST_TEST_UTIL_H
#define VMPORT_TRUST_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/ctl.h"

struct tt_id {
	uint8_t key[2560]; /* RSA private key, PKCS#1 DER */
	size_t key_len;
	uint8_t cert[2048]; /* self-signed X.509, DER */
	size_t cert_len;
};

/* RSA key and self-signed certificate (SHA-256, valid from now for a year). Returns 0 or a wolfCrypt
 * error. */
int tt_make_id(struct tt_id *out, int bits, const char *cn, const char *unit, uint32_t serial);

/* A signed CTL: `signer` is the SAST (added as a record unless `recs` has it). Returns the length, or
 * 0 on failure (printed). */
size_t tt_build_ctl(uint8_t *out, size_t cap, const struct tt_id *signer, const struct ctl_build_record *recs,
                    size_t n, uint32_t timestamp);

int tt_write_file(const char *path, const void *data, size_t len);
/* Whole file into a malloc'd buffer (NUL-terminated); NULL if it cannot be read. */
uint8_t *tt_read_file(const char *path, size_t *len);
/* mkdtemp under TMPDIR or /tmp, mode 0755 (in.tftpd drops to user tftp). */
int tt_mkdtemp(char *out, size_t cap, const char *tag);
void tt_rm_rf(const char *path);

/* A UDP port on 127.0.0.1 that nothing was bound to a moment ago. */
uint16_t tt_free_udp_port(void);

struct tt_tftpd {
	pid_t pid;
	uint16_t port;
};
/* Path of in.tftpd, or NULL when tftpd-hpa is not installed. */
const char *tt_tftpd_path(void);
/* `in.tftpd -L -s root -a 127.0.0.1:PORT` in the foreground as a child. Returns 0 once it is bound. */
int tt_tftpd_start(struct tt_tftpd *d, const char *root);
void tt_tftpd_stop(struct tt_tftpd *d);

/* Redirect fd 2 into a temporary file until tt_capture_end(), which returns what was written
 * (malloc'd, NUL-terminated) and also copies it to the real stderr so a failing test shows it. */
void tt_capture_begin(void);
char *tt_capture_end(void);

#endif
