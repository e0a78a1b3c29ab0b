/* Trust in the CallManagers: CTLFile.tlv fetched by TFTP, verified, cached, and the CallManager
 * certificate picked for each CUCM server (protocol.md §6.5, §7.3, §9.1).
 *
 * Nothing here sleeps or keeps a timer. vm_trust_refresh() tries now (blocking for at most
 * n_tftp × tftp_timeout_ms in libcurl; vmport run splits it to fetch on a thread, see
 * vm_trust_refresh_begin) and says whether registration may go on, or in how many milliseconds
 * the caller should try again (5000, as CUC does). The caller owns the timer.
 *
 * Trust store, in <state_dir>/trust/ (README.md in this folder has the details):
 *   CTLFile.tlv            the last accepted CTL, written atomically (temp + fsync + rename)
 *   CTLFile.tlv.checksums  its size, MD5, SHA-256, where and when it came from
 *   sast-<sha256 prefix>.der   pinned SAST certificates: trust on first verified use, then every
 *                          later CTL must be signed by one of them (they roll forward to the SAST
 *                          list of each newly accepted CTL)
 *
 * Log lines use the words Unity Connection uses (protocol.md §7.6), so a field engineer finds them
 * with the same grep. */
#ifndef VMPORT_TRUST_H
#define VMPORT_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctl/ctl.h"

#define VM_TRUST_RETRY_MS 5000u                /* CUC: "Starting retry timer -> 5000 msec" */
#define VM_TRUST_TFTP_TIMEOUT_MS 3000u         /* per TFTP server and attempt */
#define VM_TRUST_MAX_CTL_BYTES (1024u * 1024u) /* a bigger file is refused */
#define VM_TRUST_CTL_NAME "CTLFile.tlv"
#define VM_TRUST_MAX_PINS 16

/* Knobs; zero/NULL members take the defaults above. */
struct vm_trust_opts {
	unsigned tftp_timeout_ms;
	size_t max_ctl_bytes;
	unsigned retry_ms;
	const char *filename; /* file to fetch and cache name, NULL = "CTLFile.tlv" */
};

/* Why a refresh is asked for: it changes what counts as success. */
enum vm_trust_why {
	VM_TRUST_WHY_START,         /* program start: fall back to the cached copy if the fetch fails */
	VM_TRUST_WHY_RETRY,         /* the retry timer fired after an earlier VM_TRUST_RETRY */
	VM_TRUST_WHY_CERT_REJECTED, /* TLS: a CUCM presented a certificate that is not the CTL's. The CTL
	                             * in use is known stale: only a new, accepted CTL is success */
	VM_TRUST_WHY_OPERATOR,      /* someone asked (control socket, CLI) */
};

enum vm_trust_status {
	VM_TRUST_OK = 0,    /* a CTL is in use and holds a certificate for at least one CUCM server */
	VM_TRUST_RETRY = 1, /* do not register; call vm_trust_refresh() again in retry_ms */
};

struct vm_trust_digest {
	size_t size;
	bool have_md5; /* false only if wolfSSL was built without MD5 */
	uint8_t md5[16];
	uint8_t sha256[32];
};

struct vm_trust_result {
	enum vm_trust_status status;
	unsigned retry_ms; /* with VM_TRUST_RETRY */
	bool fetched;      /* a TFTP server delivered a file */
	bool accepted;     /* ...and it parsed and verified (it is the CTL in use now) */
	bool from_cache;   /* the CTL in use is the cached copy (fetch failed or was refused) */
	bool changed; /* the accepted file differs from the one used or cached before (or is the first) */
	unsigned servers_found; /* configured CUCM servers that have a CallManager certificate */
	char source[400];       /* URL or path of the CTL in use, "" if none */
	char reason[512];       /* RETRY: why (the logged sentence); OK: a summary */
};

/* A CallManager certificate chosen for a server. `der` points into the CTL in use and stays
 * valid until the next vm_trust_refresh()/vm_trust_accept(): copy it (tls_conn_new does). */
struct vm_trust_cert {
	const uint8_t *der;
	size_t len;
	unsigned record;      /* 1-based, as `show ctl` numbers records */
	uint16_t role;        /* CTL_ROLE_CCM or CTL_ROLE_CCM_TFTP */
	char fingerprint[96]; /* SHA-256 "AA:BB:..." */
};

enum vm_trust_err {
	VM_TRUST_E_NO_CTL = -1,     /* no CTL in use yet */
	VM_TRUST_E_NOT_IN_CTL = -2, /* no CCM / CCM+TFTP record with a certificate for that server */
	VM_TRUST_E_ARG = -3,
};

struct vm_trust;

/* Create the trust store directory if needed, load the pinned SAST certificates and the cached CTL
 * (not used until a refresh needs it). Logs a WARNING when cfg->ctl_verify is off. cfg is copied.
 * Returns NULL with the reason in err. */
struct vm_trust *vm_trust_init(const struct vmport_config *cfg, const struct vm_trust_opts *opts, char *err,
                               size_t err_cap);
void vm_trust_free(struct vm_trust *t);

/* Fetch the CTL from the configured TFTP servers in order, verify it, cache it, and check that
 * the configured CUCM servers have certificates. On a failed fetch, falls back to the cached copy
 * ("Found local CTL file [...]") except after VM_TRUST_WHY_CERT_REJECTED. `detail` (may be NULL)
 * is logged with the reason, e.g. "CCM Server '10.1.1.1' presented SHA-256 AA:...". res may be
 * NULL. Returns res->status. */
enum vm_trust_status vm_trust_refresh(struct vm_trust *t, enum vm_trust_why why, const char *detail,
                                      struct vm_trust_result *res);

/* vm_trust_refresh in three steps, so that the fetch (up to tftp_timeout_ms per TFTP server) can
 * run on another thread while the caller's event loop goes on: _begin logs the attempt (loop
 * thread); vm_trust_fetch may run on any thread, alone (it reads only what init set); _finish
 * (loop thread) takes the fetch's result as vm_trust_refresh would (buf stays the caller's). */
void vm_trust_refresh_begin(const struct vm_trust *t, enum vm_trust_why why, const char *detail);
enum vm_trust_status vm_trust_refresh_finish(struct vm_trust *t, enum vm_trust_why why, int fetch_result,
                                             const uint8_t *buf, size_t len, const char *url,
                                             struct vm_trust_result *res);

/* The certificate pinned for a CUCM server given as in the configuration: an IPv4 literal matches
 * IP_ADDRESS; any host also matches DNS_NAME or the subject CN, ignoring case (no DNS lookups).
 * Returns 0, VM_TRUST_E_NO_CTL or VM_TRUST_E_NOT_IN_CTL (logged as CUC does). */
int vm_trust_server_cert(struct vm_trust *t, const char *host, struct vm_trust_cert *out);

/* ---- pieces of refresh, for `vmport ctl show --fetch` and tests ---- */

/* Try the TFTP servers in order; each failure is logged as CUC logs it. On success *buf (free())
 * holds the file and url the server it came from. Returns 0 or the last libcurl code (> 0). */
int vm_trust_fetch(struct vm_trust *t, uint8_t **buf, size_t *len, char *url, size_t url_cap);

/* Parse and verify (unless ctl_verify is off) a CTL, pin on first use, cache it, make it the CTL in
 * use. Logs the old and new checksums when it differs from the previous one. Returns CTL_OK or the
 * reason it was refused (res->reason has the sentence, with the offset for a parse error); a refused
 * file changes nothing. res may be NULL. */
enum ctl_err vm_trust_accept(struct vm_trust *t, const uint8_t *buf, size_t len, const char *source,
                             struct vm_trust_result *res);

/* The CTL in use (NULL before the first success), and the cached copy as loaded by init (NULL if
 * none or unparsable; it may be one that no longer verifies, see cached_trusted). */
const struct ctl_file *vm_trust_current(const struct vm_trust *t, struct vm_trust_digest *digest);
const struct ctl_file *vm_trust_cached(const struct vm_trust *t, struct vm_trust_digest *digest,
                                       bool *cached_trusted);
const char *vm_trust_cache_path(const struct vm_trust *t);
/* Pinned SAST certificates (DER); returns how many (may exceed max). */
size_t vm_trust_pins(const struct vm_trust *t, struct ctl_bytes *out, size_t max);

/* ---- helpers ---- */
int vm_trust_digest_of(const uint8_t *buf, size_t len, struct vm_trust_digest *out);
bool vm_trust_digest_equal(const struct vm_trust_digest *a, const struct vm_trust_digest *b);
/* "md5 <hex> sha256 <hex>" ("md5 unavailable" without MD5). */
void vm_trust_digest_text(const struct vm_trust_digest *d, char *buf, size_t cap);
/* SHA-256 of der as "AA:BB:..." (95 characters). */
void vm_trust_fingerprint(const uint8_t *der, size_t len, char out[96]);

/* How two CTLs differ, record by record. Records are matched by role and subject (DNS name, then
 * IP address, for records without a subject); a matched pair whose certificate fingerprint, IP
 * address or DNS name differs is "changed". One line per difference ("+ ...", "- ...", "~ ..."). */
struct vm_trust_diff_counts {
	unsigned added, removed, changed, same;
};
typedef void (*vm_trust_line_fn)(void *ctx, const char *line);
void vm_trust_diff(const struct ctl_file *old_ctl, const struct ctl_file *new_ctl, vm_trust_line_fn fn,
                   void *ctx, struct vm_trust_diff_counts *counts);

const char *vm_trust_why_name(enum vm_trust_why why);

#endif
