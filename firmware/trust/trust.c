/* The CTL life cycle: fetch by TFTP, verify against the pinned SAST certificates, cache, select the
 * CallManager certificate per CUCM server, and tell the caller whether registration may proceed. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>
#ifndef NO_MD5
#include <wolfssl/wolfcrypt/md5.h>
#endif

#include "trust/trust_internal.h"

#include "clock/hal_clock.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

void trust_ctl_clear(struct trust_ctl *c)
{
	free(c->buf);
	free(c->parsed);
	memset(c, 0, sizeof(*c));
}

int vm_trust_digest_of(const uint8_t *buf, size_t len, struct vm_trust_digest *out)
{
	memset(out, 0, sizeof(*out));
	out->size = len;
	if (wc_Sha256Hash(buf, (word32)len, out->sha256) != 0)
		return -1;
#ifndef NO_MD5
	if (wc_Md5Hash(buf, (word32)len, out->md5) != 0)
		return -1;
	out->have_md5 = true;
#endif
	return 0;
}

bool vm_trust_digest_equal(const struct vm_trust_digest *a, const struct vm_trust_digest *b)
{
	return a->size == b->size && !memcmp(a->sha256, b->sha256, sizeof(a->sha256));
}

void vm_trust_digest_text(const struct vm_trust_digest *d, char *buf, size_t cap)
{
	char md5[33] = "unavailable", sha[65];
	if (d->have_md5)
		trust_hex(d->md5, sizeof(d->md5), md5);
	trust_hex(d->sha256, sizeof(d->sha256), sha);
	snprintf(buf, cap, "md5 %s sha256 %s", md5, sha);
}

void vm_trust_fingerprint(const uint8_t *der, size_t len, char out[96])
{
	static const char digits[] = "0123456789ABCDEF";
	uint8_t h[WC_SHA256_DIGEST_SIZE];
	out[0] = '\0';
	if (der == NULL || wc_Sha256Hash(der, (word32)len, h) != 0)
		return;
	for (size_t i = 0; i < sizeof(h); i++) {
		out[3 * i] = digits[h[i] >> 4];
		out[3 * i + 1] = digits[h[i] & 15];
		out[3 * i + 2] = i + 1 < sizeof(h) ? ':' : '\0';
	}
}

const char *vm_trust_why_name(enum vm_trust_why why)
{
	switch (why) {
	case VM_TRUST_WHY_START:
		return "start";
	case VM_TRUST_WHY_RETRY:
		return "retry timer";
	case VM_TRUST_WHY_CERT_REJECTED:
		return "a CallManager certificate was rejected";
	case VM_TRUST_WHY_OPERATOR:
		return "operator request";
	}
	return "?";
}

static void say(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t cap, const char *fmt, ...)
{
	if (buf == NULL || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

/* "CN=cucm1" of a record: the subject's CN part, else the subject, else the DNS name. */
static void record_label(const struct ctl_record *r, char *buf, size_t cap)
{
	struct ctl_bytes s = r->subject.len ? r->subject : r->dns_name;
	const char *p = (const char *)s.data;
	size_t n = s.len;
	for (size_t i = 0; i + 3 <= s.len; i++) {
		if ((i == 0 || p[i - 1] == ';' || p[i - 1] == ',' || p[i - 1] == ' ') &&
		    (p[i] == 'C' || p[i] == 'c') && (p[i + 1] == 'N' || p[i + 1] == 'n') && p[i + 2] == '=') {
			size_t j = i;
			while (j < s.len && p[j] != ';' && p[j] != ',')
				j++;
			p += i;
			n = j - i;
			break;
		}
	}
	snprintf(buf, cap, "%.*s", (int)(n > 160 ? 160 : n), n ? p : "(no name)");
}

/* ---- parse and verify ---- */

static size_t pin_views(const struct vm_trust *t, struct ctl_bytes *out)
{
	for (size_t i = 0; i < t->n_pins; i++)
		out[i] = (struct ctl_bytes){t->pins[i].der, t->pins[i].len};
	return t->n_pins;
}

/* Parse buf into c->parsed and verify it (with the pins if any). buf is taken over on success. */
static enum ctl_err load_ctl(struct vm_trust *t, struct trust_ctl *c, const uint8_t *buf, size_t len,
                             bool verify, struct ctl_error *err, size_t *signer)
{
	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	err->offset = -1;
	c->parsed = calloc(1, sizeof(*c->parsed));
	c->buf = malloc(len ? len : 1);
	if (c->parsed == NULL || c->buf == NULL) {
		trust_ctl_clear(c);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return err->code = CTL_ERR_ARG;
	}
	memcpy(c->buf, buf, len);
	c->len = len;
	enum ctl_err rc = ctl_parse(c->buf, c->len, c->parsed, err);
	if (rc == CTL_OK && verify) {
		struct ctl_bytes pins[VM_TRUST_MAX_PINS];
		struct ctl_verify_opts vo = {.pins = pins, .n_pins = pin_views(t, pins)};
		rc = ctl_verify(c->parsed, &vo, signer, err);
	}
	if (rc == CTL_OK && vm_trust_digest_of(c->buf, c->len, &c->digest) != 0) {
		snprintf(err->msg, sizeof(err->msg), "hashing failed");
		rc = err->code = CTL_ERR_CRYPTO;
	}
	if (rc != CTL_OK)
		trust_ctl_clear(c);
	return rc;
}

static void load_cache(struct vm_trust *t)
{
	uint8_t *buf;
	size_t len;
	int rc = trust_read_file(t->cache_path, t->max_ctl_bytes, &buf, &len);
	if (rc == -ENOENT) {
		LOGI(TRUST_COMPONENT, "no cached CTL file yet (%s)", t->cache_path);
		return;
	}
	if (rc != 0) {
		LOGW(TRUST_COMPONENT, "cannot read the cached CTL file %s: %s; ignoring it", t->cache_path,
		     rc == -EFBIG ? "larger than the size limit" : strerror(-rc));
		return;
	}
	struct ctl_error err;
	char text[300];
	enum ctl_err cr = load_ctl(t, &t->ctl, buf, len, false, &err, NULL);
	if (cr != CTL_OK) {
		LOGW(TRUST_COMPONENT, "cached CTL file %s is unusable: %s", t->cache_path,
		     ctl_error_format(&err, text, sizeof(text)));
		free(buf);
		return;
	}
	free(buf);
	t->have_ctl = true;
	t->ctl_on_disk = true;
	snprintf(t->ctl.source, sizeof(t->ctl.source), "%s", t->cache_path);
	t->ctl_trusted = true;
	if (t->cfg.ctl_verify) {
		struct ctl_bytes pins[VM_TRUST_MAX_PINS];
		struct ctl_verify_opts vo = {.pins = pins, .n_pins = pin_views(t, pins)};
		if ((cr = ctl_verify(t->ctl.parsed, &vo, NULL, &err)) != CTL_OK) {
			t->ctl_trusted = false;
			LOGW(TRUST_COMPONENT, "cached CTL file %s does not verify (%s): it will not be used",
			     t->cache_path, ctl_error_format(&err, text, sizeof(text)));
		}
	}
	trust_check_sums(t, &t->ctl.digest);
	vm_trust_digest_text(&t->ctl.digest, text, sizeof(text));
	LOGI(TRUST_COMPONENT, "cached CTL file %s: %zu bytes, %zu records, %s", t->cache_path, t->ctl.len,
	     t->ctl.parsed->n_records, text);
}

/* ---- life cycle ---- */

struct vm_trust *vm_trust_init(const struct vmport_config *cfg, const struct vm_trust_opts *opts, char *err,
                               size_t err_cap)
{
	struct vm_trust *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		say(err, err_cap, "out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->tftp_timeout_ms = opts && opts->tftp_timeout_ms ? opts->tftp_timeout_ms : VM_TRUST_TFTP_TIMEOUT_MS;
	t->max_ctl_bytes = opts && opts->max_ctl_bytes ? opts->max_ctl_bytes : VM_TRUST_MAX_CTL_BYTES;
	t->retry_ms = opts && opts->retry_ms ? opts->retry_ms : VM_TRUST_RETRY_MS;
	const char *name = opts && opts->filename ? opts->filename : VM_TRUST_CTL_NAME;
	if (name[0] == '\0' || strchr(name, '/') || strlen(name) >= sizeof(t->filename)) {
		say(err, err_cap, "bad CTL file name '%s'", name);
		free(t);
		return NULL;
	}
	snprintf(t->filename, sizeof(t->filename), "%s", name);
	int n1 = snprintf(t->dir, sizeof(t->dir), "%s/trust", cfg->state_dir);
	int n2 = snprintf(t->cache_path, sizeof(t->cache_path), "%s/%s", t->dir, t->filename);
	int n3 = snprintf(t->sum_path, sizeof(t->sum_path), "%s.checksums", t->cache_path);
	if (cfg->state_dir[0] == '\0' || n1 < 0 || (size_t)n1 >= sizeof(t->dir) || n2 < 0 ||
	    (size_t)n2 >= sizeof(t->cache_path) || n3 < 0 || (size_t)n3 >= sizeof(t->sum_path)) {
		say(err, err_cap, "state_dir '%s' is empty or too long", cfg->state_dir);
		free(t);
		return NULL;
	}
	int rc = trust_mkdirs(t->dir, 0700); /* public material only, but nobody else needs it */
	if (rc == 0)
		rc = trust_load_pins(t);
	if (rc != 0) {
		say(err, err_cap, "trust store %s: %s", t->dir, strerror(-rc));
		vm_trust_free(t);
		return NULL;
	}
	if (trust_tftp_global_init() != 0) {
		say(err, err_cap, "libcurl initialisation failed");
		vm_trust_free(t);
		return NULL;
	}
	t->curl_ready = true;
	if (!cfg->ctl_verify)
		LOGW(TRUST_COMPONENT,
		     "WARNING: CTL signature verification is OFF (ctl_verify = off): any %s a TFTP server "
		     "sends is trusted and nothing is pinned. Lab use only.",
		     t->filename);
	else if (t->n_pins == 0)
		LOGI(TRUST_COMPONENT,
		     "no pinned SAST certificate in %s: the first %s that verifies will be "
		     "trusted and its SAST certificates pinned",
		     t->dir, t->filename);
	else
		LOGI(TRUST_COMPONENT, "%zu pinned SAST certificate(s) in %s", t->n_pins, t->dir);
	load_cache(t);
	return t;
}

void vm_trust_free(struct vm_trust *t)
{
	if (t == NULL)
		return;
	trust_ctl_clear(&t->ctl);
	for (size_t i = 0; i < t->n_pins; i++)
		free(t->pins[i].der);
	if (t->curl_ready)
		trust_tftp_global_cleanup();
	free(t);
}

/* ---- fetch ---- */

int vm_trust_fetch(struct vm_trust *t, uint8_t **buf, size_t *len, char *url, size_t url_cap)
{
	char u[300];
	int last = 0;
	*buf = NULL;
	*len = 0;
	if (t->cfg.n_tftp == 0) {
		LOGE(TRUST_COMPONENT, "no TFTP server configured ([servers] tftp): cannot fetch %s",
		     t->filename);
		return 1; /* CURLE_UNSUPPORTED_PROTOCOL: nothing to ask */
	}
	for (size_t i = 0; i < t->cfg.n_tftp; i++) {
		bool too_large;
		trust_tftp_url(t->cfg.tftp[i].host, t->cfg.tftp[i].port, t->filename, u, sizeof(u));
		int res = trust_tftp_get(u, t->tftp_timeout_ms, t->max_ctl_bytes, buf, len, &too_large);
		if (res == 0) {
			LOGI(TRUST_COMPONENT, "tftp command '%s' res=0 (%s): %zu bytes", u,
			     trust_tftp_strerror(res), *len);
			say(url, url_cap, "%s", u);
			return 0;
		}
		if (too_large)
			LOGE(TRUST_COMPONENT,
			     "Error executing tftp command '%s' res=%d (%s is larger than %zu bytes, the "
			     "limit) [%s]",
			     u, res, t->filename, t->max_ctl_bytes, trust_tftp_strerror(res));
		else
			LOGE(TRUST_COMPONENT, "Error executing tftp command '%s' res=%d (%s) [%s]", u, res,
			     trust_tftp_hint(res), trust_tftp_strerror(res));
		last = res;
	}
	return last;
}

/* ---- accept ---- */

static void log_pins(const struct vm_trust *t, const char *what)
{
	for (size_t i = 0; i < t->n_pins; i++) {
		char fp[96];
		vm_trust_fingerprint(t->pins[i].der, t->pins[i].len, fp);
		LOGI(TRUST_COMPONENT, "%s SAST certificate %s/%s SHA-256 %s", what, t->dir, t->pins[i].name,
		     fp);
	}
}

enum ctl_err vm_trust_accept(struct vm_trust *t, const uint8_t *buf, size_t len, const char *source,
                             struct vm_trust_result *res)
{
	struct vm_trust_result local;
	if (res == NULL)
		res = &local;
	struct trust_ctl fresh;
	struct ctl_error err;
	char text[300], sums[200];
	size_t signer = 0;
	bool first_use = t->cfg.ctl_verify && t->n_pins == 0;
	if (source == NULL)
		source = "(memory)";
	enum ctl_err rc = load_ctl(t, &fresh, buf, len, t->cfg.ctl_verify, &err, &signer);
	if (rc != CTL_OK) {
		ctl_error_format(&err, text, sizeof(text));
		const char *keep = t->have_ctl ? "; keeping the cached copy" : "";
		if (rc == CTL_ERR_NOT_PINNED)
			say(res->reason, sizeof(res->reason),
			    "%s from %s refused: %s (not signed by a pinned SAST certificate in %s; if the "
			    "cluster's SAST changed on purpose, remove %s/sast-*.der to trust the next "
			    "file)%s",
			    t->filename, source, text, t->dir, t->dir, keep);
		else
			say(res->reason, sizeof(res->reason), "%s from %s refused: %s%s", t->filename, source,
			    text, keep);
		LOGE(TRUST_COMPONENT, "%s", res->reason);
		return rc;
	}
	snprintf(fresh.source, sizeof(fresh.source), "%s", source);
	vm_trust_digest_text(&fresh.digest, sums, sizeof(sums));

	res->changed = !t->have_ctl || !vm_trust_digest_equal(&t->ctl.digest, &fresh.digest);
	if (!t->have_ctl) {
		LOGI(TRUST_COMPONENT, "%s from %s: %zu bytes, %zu records, %s", t->filename, source,
		     fresh.len, fresh.parsed->n_records, sums);
	} else if (res->changed) {
		char old[200];
		vm_trust_digest_text(&t->ctl.digest, old, sizeof(old));
		LOGW(TRUST_COMPONENT, "%s changed: cached %s (%zu bytes), new %s (%zu bytes) from %s",
		     t->filename, old, t->ctl.len, sums, fresh.len, source);
	} else {
		LOGI(TRUST_COMPONENT, "%s from %s is the cached one: %s", t->filename, source, sums);
	}
	if (t->cfg.ctl_verify) {
		const struct ctl_record *s = &fresh.parsed->records[signer];
		char fp[96], who[200];
		vm_trust_fingerprint(s->cert.data, s->cert.len, fp);
		record_label(s, who, sizeof(who));
		LOGI(TRUST_COMPONENT, "%s signature verified: signer SAST record #%zu %s SHA-256 %s",
		     t->filename, signer + 1, who, fp);
		/* Pins follow the SAST list of each accepted CTL, as phones do with theirs: the file was
		 * signed by a key we already trusted (or this is the first use). */
		struct ctl_bytes sast[VM_TRUST_MAX_PINS];
		size_t n = ctl_sast_certs(fresh.parsed, sast, VM_TRUST_MAX_PINS);
		if (n > VM_TRUST_MAX_PINS)
			n = VM_TRUST_MAX_PINS;
		if (first_use || res->changed || t->n_pins != n) {
			if (trust_store_pins(t, sast, n) == 0)
				log_pins(t, first_use ? "trust on first use: pinned" : "pinned");
		}
	} else {
		LOGW(TRUST_COMPONENT, "%s from %s NOT verified (ctl_verify = off)", t->filename, source);
	}
	if (res->changed || !t->ctl_on_disk) {
		bool stored = trust_store_ctl(t, &fresh, hal_clock_wall_s()) == 0;
		if (!stored)
			LOGW(TRUST_COMPONENT, "using %s from memory; the cache %s keeps the previous copy",
			     t->filename, t->cache_path);
		else
			LOGI(TRUST_COMPONENT, "cached %s as %s (checksums in %s)", t->filename, t->cache_path,
			     t->sum_path);
		t->ctl_on_disk = stored;
	}
	trust_ctl_clear(&t->ctl);
	t->ctl = fresh;
	t->have_ctl = true;
	t->ctl_trusted = true;
	t->ctl_in_use = true;
	res->accepted = true;
	snprintf(res->source, sizeof(res->source), "%s", source);
	return CTL_OK;
}

/* ---- selection ---- */

static const struct ctl_record *select_server(const struct vm_trust *t, const char *host)
{
	struct ctl_error err;
	return ctl_select_ccm(t->ctl.parsed, NULL, host, &err);
}

/* Log what each configured CUCM server gets; returns how many have a certificate. */
static unsigned check_servers(struct vm_trust *t)
{
	unsigned found = 0;
	for (size_t i = 0; i < t->cfg.n_cucm; i++) {
		const char *host = t->cfg.cucm[i].host;
		const struct ctl_record *r = select_server(t, host);
		if (r == NULL) {
			LOGE(TRUST_COMPONENT, "failed to find CCM Server '%s' in CTL File", host);
			continue;
		}
		char fp[96], who[200];
		vm_trust_fingerprint(r->cert.data, r->cert.len, fp);
		record_label(r, who, sizeof(who));
		LOGI(TRUST_COMPONENT, "CCM Server '%s': CTL record #%zu %s %s SHA-256 %s", host,
		     (size_t)(r - t->ctl.parsed->records) + 1, ctl_role_name(r->role), who, fp);
		found++;
	}
	return found;
}

int vm_trust_server_cert(struct vm_trust *t, const char *host, struct vm_trust_cert *out)
{
	if (t == NULL || host == NULL || out == NULL)
		return VM_TRUST_E_ARG;
	memset(out, 0, sizeof(*out));
	if (!t->ctl_in_use) {
		LOGE(TRUST_COMPONENT, "Failed to retrieve Certificate for CCM Server %s: no %s in use", host,
		     t->filename);
		return VM_TRUST_E_NO_CTL;
	}
	const struct ctl_record *r = select_server(t, host);
	if (r == NULL) {
		LOGE(TRUST_COMPONENT, "failed to find CCM Server '%s' in CTL File", host);
		LOGE(TRUST_COMPONENT, "Failed to retrieve Certificate for CCM Server %s", host);
		return VM_TRUST_E_NOT_IN_CTL;
	}
	out->der = r->cert.data;
	out->len = r->cert.len;
	out->record = (unsigned)(r - t->ctl.parsed->records) + 1;
	out->role = r->role;
	vm_trust_fingerprint(r->cert.data, r->cert.len, out->fingerprint);
	return 0;
}

/* ---- refresh ---- */

void vm_trust_refresh_begin(const struct vm_trust *t, enum vm_trust_why why, const char *detail)
{
	LOGI(TRUST_COMPONENT, "fetching %s (%s%s%s)", t->filename, vm_trust_why_name(why), detail ? ": " : "",
	     detail ? detail : "");
}

enum vm_trust_status vm_trust_refresh(struct vm_trust *t, enum vm_trust_why why, const char *detail,
                                      struct vm_trust_result *res)
{
	vm_trust_refresh_begin(t, why, detail);
	uint8_t *buf;
	size_t len;
	char url[300];
	int fr = vm_trust_fetch(t, &buf, &len, url, sizeof(url));
	enum vm_trust_status st = vm_trust_refresh_finish(t, why, fr, buf, len, url, res);
	free(buf);
	return st;
}

enum vm_trust_status vm_trust_refresh_finish(struct vm_trust *t, enum vm_trust_why why, int fr,
                                             const uint8_t *buf, size_t len, const char *url,
                                             struct vm_trust_result *res)
{
	struct vm_trust_result local;
	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	bool had_in_use = t->ctl_in_use;
	enum ctl_err ar = CTL_ERR_MISSING;
	if (fr == 0) {
		res->fetched = true;
		ar = vm_trust_accept(t, buf, len, url, res);
	}
	char failure[sizeof(res->reason)];
	if (fr != 0)
		say(failure, sizeof(failure),
		    "%s could not be fetched from any TFTP server (last res=%d: %s)", t->filename, fr,
		    trust_tftp_strerror(fr));
	else
		snprintf(failure, sizeof(failure), "%s", res->reason);

	if (ar == CTL_OK) {
		if (why == VM_TRUST_WHY_CERT_REJECTED && had_in_use && !res->changed) {
			say(res->reason, sizeof(res->reason),
			    "%s on the TFTP server is unchanged: it still lists the certificate the "
			    "CallManager no "
			    "longer presents",
			    t->filename);
			LOGE(TRUST_COMPONENT,
			     "%s. Registration cannot proceed. Starting retry timer -> %u msec", res->reason,
			     t->retry_ms);
			res->status = VM_TRUST_RETRY;
			res->retry_ms = t->retry_ms;
			res->servers_found = check_servers(t);
			return res->status;
		}
	} else if (why != VM_TRUST_WHY_CERT_REJECTED && t->have_ctl && t->ctl_trusted) {
		/* The cached copy is the last file that verified: keep the ports working with it. */
		LOGI(TRUST_COMPONENT, "Found local CTL file [%s]", t->ctl.source);
		t->ctl_in_use = true;
		res->from_cache = true;
		snprintf(res->source, sizeof(res->source), "%s", t->ctl.source);
	} else {
		if (why == VM_TRUST_WHY_CERT_REJECTED && t->have_ctl)
			LOGE(TRUST_COMPONENT,
			     "no newer %s than the cached one, which the CallManager no longer "
			     "matches",
			     t->filename);
		LOGE(TRUST_COMPONENT,
		     "FAILED Port group '%s' attempt set InService(true), error retrieving server "
		     "certificates.",
		     t->cfg.group_name);
		say(res->reason, sizeof(res->reason), "%s", failure);
		LOGE(TRUST_COMPONENT, "Starting retry timer -> %u msec", t->retry_ms);
		res->status = VM_TRUST_RETRY;
		res->retry_ms = t->retry_ms;
		return res->status;
	}

	res->servers_found = check_servers(t);
	if (res->servers_found == 0) {
		say(res->reason, sizeof(res->reason),
		    "no CCM certificate for any of the %zu configured CUCM servers in %s", t->cfg.n_cucm,
		    res->source);
		LOGE(TRUST_COMPONENT,
		     "Failed to extract any CCM Certificates - Registration cannot proceed. Starting retry "
		     "timer -> %u msec",
		     t->retry_ms);
		res->status = VM_TRUST_RETRY;
		res->retry_ms = t->retry_ms;
		return res->status;
	}
	if (res->from_cache)
		say(res->reason, sizeof(res->reason),
		    "%s; using the cached copy %s: certificates for %u of %zu CUCM servers", failure,
		    res->source, res->servers_found, t->cfg.n_cucm);
	else
		say(res->reason, sizeof(res->reason), "%s from %s: certificates for %u of %zu CUCM servers",
		    t->filename, res->source, res->servers_found, t->cfg.n_cucm);
	res->status = VM_TRUST_OK;
	return res->status;
}

/* ---- accessors ---- */

const struct ctl_file *vm_trust_current(const struct vm_trust *t, struct vm_trust_digest *digest)
{
	if (!t->ctl_in_use)
		return NULL;
	if (digest)
		*digest = t->ctl.digest;
	return t->ctl.parsed;
}

const struct ctl_file *vm_trust_cached(const struct vm_trust *t, struct vm_trust_digest *digest,
                                       bool *cached_trusted)
{
	if (!t->have_ctl || !t->ctl_on_disk)
		return NULL;
	if (digest)
		*digest = t->ctl.digest;
	if (cached_trusted)
		*cached_trusted = t->ctl_trusted;
	return t->ctl.parsed;
}

const char *vm_trust_cache_path(const struct vm_trust *t)
{
	return t->cache_path;
}

size_t vm_trust_pins(const struct vm_trust *t, struct ctl_bytes *out, size_t max)
{
	for (size_t i = 0; i < t->n_pins && i < max; i++)
		out[i] = (struct ctl_bytes){t->pins[i].der, t->pins[i].len};
	return t->n_pins;
}
