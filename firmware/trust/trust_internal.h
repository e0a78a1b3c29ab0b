/* Inside firmware/trust: the state behind struct vm_trust and the helpers its files share. */
#ifndef VMPORT_TRUST_INTERNAL_H
#define VMPORT_TRUST_INTERNAL_H

#include "trust/trust.h"

#define TRUST_COMPONENT "trust"
#define TRUST_PATH_CAP (VMPORT_PATH_MAX + 96)
#define TRUST_MAX_PIN_BYTES (16u * 1024u)

/* A CTL held in memory: its bytes (owned), the parse that points into them, and its checksums. */
struct trust_ctl {
	uint8_t *buf;
	size_t len;
	struct ctl_file *parsed;
	struct vm_trust_digest digest;
	char source[400];
};

struct trust_pin {
	uint8_t *der;
	size_t len;
	char name[40]; /* "sast-<16 hex>.der" */
};

struct vm_trust {
	struct vmport_config cfg;
	unsigned tftp_timeout_ms;
	size_t max_ctl_bytes;
	unsigned retry_ms;
	char filename[64];
	char dir[TRUST_PATH_CAP];        /* <state_dir>/trust */
	char cache_path[TRUST_PATH_CAP]; /* <dir>/<filename> */
	char sum_path[TRUST_PATH_CAP];   /* <cache_path>.checksums */

	/* The one CTL we know: loaded from the cache at init, or the last accepted one. */
	struct trust_ctl ctl;
	bool have_ctl;
	bool ctl_trusted; /* verified (or ctl_verify off) when loaded or accepted */
	bool ctl_on_disk; /* the cache file holds these bytes */
	bool ctl_in_use;  /* announced to the caller (refresh succeeded with it) */

	struct trust_pin pins[VM_TRUST_MAX_PINS];
	size_t n_pins;
	bool curl_ready;
};

/* trust_store.c: files. Errors are negative errno values. */
int trust_mkdirs(const char *path, unsigned mode);
int trust_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);
int trust_write_atomic(const char *path, const void *data, size_t len, unsigned mode);
int trust_load_pins(struct vm_trust *t);
/* Make the pin set exactly `certs` (written before the stale ones are removed). */
int trust_store_pins(struct vm_trust *t, const struct ctl_bytes *certs, size_t n);
int trust_store_ctl(struct vm_trust *t, const struct trust_ctl *c, int64_t now);
/* Compare the checksum file with d: 1 = matches, 0 = differs or absent (logged), -errno. */
int trust_check_sums(const struct vm_trust *t, const struct vm_trust_digest *d);
void trust_pin_name(const uint8_t *der, size_t len, char out[40]);

/* trust_tftp.c */
int trust_tftp_global_init(void);
void trust_tftp_global_cleanup(void);
void trust_tftp_url(const char *host, uint16_t port, const char *filename, char *out, size_t cap);
/* GET url into a malloc'd buffer of at most max bytes. Returns CURLE_OK (0) or a libcurl code;
 * *too_large is set when the file exceeded max (libcurl then reports a write error). */
int trust_tftp_get(const char *url, unsigned timeout_ms, size_t max, uint8_t **out, size_t *out_len,
                   bool *too_large);
const char *trust_tftp_strerror(int res);
/* A short explanation for the field line: "file not found on server", "no answer from server". */
const char *trust_tftp_hint(int res);

void trust_ctl_clear(struct trust_ctl *c);
void trust_hex(const uint8_t *p, size_t n, char *out); /* lower-case, out holds 2n+1 */

#endif
