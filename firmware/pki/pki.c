/* The PKI's entry points: ensure (root, then each configured port), load for TLS, export the root
 * for CUCM, and readable facts for `vmport ca show`. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pki/pki_internal.h"

/* A wall clock before this (2024-01-01) is unset (a board without an RTC boots in 1970):
 * certificates made then would be rejected by CUCM for years. */
#define PKI_CLOCK_FLOOR 1704067200LL

void pki_report_item(struct pki_report *report, const char *name, enum pki_action action, const char *reason)
{
	if (!report)
		return;
	if (!strcmp(name, "root"))
		report->root = action;
	if (action == PKI_CREATED)
		report->created++;
	else if (action == PKI_REISSUED)
		report->reissued++;
	else
		report->kept++;
	if (report->on_item)
		report->on_item(report->arg, name, action, reason);
}

int pki_ensure_report(const struct vmport_config *cfg, int64_t now, struct pki_report *report, char *err,
                      size_t cap)
{
	if (now < PKI_CLOCK_FLOOR) {
		char when[32];
		pki_format_time(now, when);
		return pki_errf(err, cap, -ERANGE,
		                "the wall clock says %s: set the time (NTP) before creating certificates",
		                when);
	}
	char dir[VMPORT_PATH_MAX + 16];
	int rc;
	if (pki_pki_dir(cfg, dir, sizeof(dir)))
		return pki_errf(err, cap, -ENAMETOOLONG, "state_dir %s: too long", cfg->state_dir);
	if ((rc = pki_mkdirs(cfg->state_dir, 0750, err, cap)) != 0 ||
	    (rc = pki_mkdirs(dir, 0700, err, cap)) != 0)
		return rc;
	char ports_dir[VMPORT_PATH_MAX + 32];
	snprintf(ports_dir, sizeof(ports_dir), "%s/ports", dir);
	if ((rc = pki_mkdirs(ports_dir, 0700, err, cap)) != 0)
		return rc;
	int lock = pki_lock(dir, err, cap);
	if (lock == -EACCES || lock == -EROFS || lock == -EPERM || lock == -ENOENT) {
		/* A read-only state directory that already holds everything still works; if something
		 * must be written, that write fails with its own message. */
		LOGD(PKI_LOG, "%s; going on without the lock", err);
		lock = -1;
	} else if (lock < 0) {
		return lock;
	}

	struct pki_root *root = malloc(sizeof(*root));
	if (!root) {
		if (lock >= 0)
			close(lock);
		return pki_errf(err, cap, -ENOMEM, "no memory for the root");
	}
	rc = pki_root_ensure(cfg, now, root, report, err, cap);
	for (unsigned n = 1; rc == 0 && n <= cfg->ports; n++) {
		char device[16];
		vmport_config_device_name(cfg, n, device);
		rc = pki_port_ensure(cfg, device, now, root, report, err, cap);
	}
	pki_wipe(root, sizeof(*root));
	free(root);
	if (lock >= 0)
		close(lock);
	if (rc == 0 && report)
		LOGI(PKI_LOG, "certificates under %s: %u created, %u re-issued, %u kept", dir,
		     report->created, report->reissued, report->kept);
	return rc;
}

int pki_ensure(const struct vmport_config *cfg, int64_t now, char *err, size_t cap)
{
	struct pki_report report = {0};
	return pki_ensure_report(cfg, now, &report, err, cap);
}

int pki_load_root(const struct vmport_config *cfg, uint8_t *der, size_t der_cap, size_t *der_len, char *err,
                  size_t cap)
{
	char path[VMPORT_PATH_MAX + 32];
	if (pki_root_path(cfg, ".pem", path, sizeof(path)))
		return pki_errf(err, cap, -ENAMETOOLONG, "state_dir %s: too long", cfg->state_dir);
	int rc = pki_read_cert_pem(path, der, der_cap, der_len, err, cap);
	if (rc == -ENOENT)
		return pki_errf(err, cap, rc, "%s is missing: run `vmport ca init`", path);
	return rc;
}

void pki_identity_wipe(struct pki_identity *id)
{
	pki_wipe(id, sizeof(*id));
}

int pki_load_port_identity(const struct vmport_config *cfg, const char *device, struct pki_identity *id,
                           char *err, size_t cap)
{
	char cert_path[VMPORT_PATH_MAX + 48], key_path[VMPORT_PATH_MAX + 48];
	memset(id, 0, sizeof(*id));
	if (pki_port_path(cfg, device, ".pem", cert_path, sizeof(cert_path)) ||
	    pki_port_path(cfg, device, ".key", key_path, sizeof(key_path)))
		return pki_errf(err, cap, -ENAMETOOLONG, "state_dir %s: too long", cfg->state_dir);
	int rc = pki_read_cert_pem(cert_path, id->cert, sizeof(id->cert), &id->cert_len, err, cap);
	if (rc == 0)
		rc = pki_read_key_pem(key_path, id->key, sizeof(id->key), &id->key_len, err, cap);
	if (rc == -ENOENT) {
		size_t n = strlen(err);
		snprintf(err + n, cap > n ? cap - n : 0, ": run `vmport ca init`");
	}
	struct pki_cert_view v;
	if (rc == 0 && pki_cert_view(id->cert, id->cert_len, &v))
		rc = pki_errf(err, cap, -EBADMSG, "%s: not a certificate", cert_path);
	if (rc == 0 && pki_key_matches_cert(id->key, id->key_len, &v) != 1)
		rc = pki_errf(err, cap, -EKEYREJECTED, "%s does not match %s: run `vmport ca init`", key_path,
		              cert_path);
	if (rc)
		pki_identity_wipe(id);
	return rc;
}

void pki_format_fingerprint(const uint8_t sha256[32], char out[96])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 3 * i, 4, "%02X%s", sha256[i], i < 31 ? ":" : "");
}

int pki_cert_facts(const uint8_t *der, size_t len, struct pki_cert_facts *f)
{
	struct pki_cert_view v;
	memset(f, 0, sizeof(*f));
	if (pki_cert_view(der, len, &v))
		return -EBADMSG;
	pki_name_format(v.subject, f->subject, sizeof(f->subject));
	pki_name_format(v.issuer, f->issuer, sizeof(f->issuer));
	pki_name_common_name(v.subject, f->common_name, sizeof(f->common_name));
	size_t o = 0;
	for (size_t i = 0; i < v.serial.len && o + 3 < sizeof(f->serial_hex); i++)
		o += (size_t)snprintf(f->serial_hex + o, sizeof(f->serial_hex) - o, "%02X", v.serial.p[i]);
	f->not_before = v.not_before;
	f->not_after = v.not_after;
	if (wc_Sha256Hash(der, (word32)len, f->sha256) != 0)
		return -EIO;
	return pki_name_hash(v.subject.p, v.subject.len, &f->subject_hash);
}

static int same_file_content(const char *path, const uint8_t *data, size_t len)
{
	uint8_t buf[PKI_PEM_MAX];
	size_t n = 0;
	char err[8];
	if (pki_read_file(path, buf, sizeof(buf), &n, err, sizeof(err)))
		return 0;
	return n == len && !memcmp(buf, data, len);
}

int pki_export_root(const struct vmport_config *cfg, const char *out_path, char *copy_path, size_t copy_cap,
                    char *err, size_t cap)
{
	uint8_t der[PKI_CERT_DER_MAX], pem[PKI_PEM_MAX];
	size_t der_len = 0;
	int rc = pki_load_root(cfg, der, sizeof(der), &der_len, err, cap);
	if (rc)
		return rc;
	uint32_t hash;
	if (pki_subject_hash(der, der_len, &hash))
		return pki_errf(err, cap, -EBADMSG, "the root certificate's subject cannot be read");
	int n = wc_DerToPem(der, (word32)der_len, pem, sizeof(pem), CERT_TYPE);
	if (n <= 0)
		return pki_errf(err, cap, -EIO, "wc_DerToPem failed (%d)", n);
	if ((rc = pki_write_file_atomic(out_path, pem, (size_t)n, 0644, err, cap)) != 0)
		return rc;

	const char *slash = strrchr(out_path, '/');
	int dir_len = slash ? (int)(slash - out_path) : 1;
	const char *dir = slash ? out_path : ".";
	if (slash == out_path)
		dir_len = 0; /* "/ROOT.pem": the copy goes to "/<hash>.0" */
	/* c_rehash: the first free "<hash>.N", or the one that already holds this certificate. */
	for (int i = 0; i < 10; i++) {
		int w = snprintf(copy_path, copy_cap, "%.*s/%08x.%d", dir_len, dir, hash, i);
		if (w < 0 || (size_t)w >= copy_cap)
			return pki_errf(err, cap, -ENAMETOOLONG, "path too long beside %s", out_path);
		if (access(copy_path, F_OK) == 0 && !same_file_content(copy_path, pem, (size_t)n))
			continue;
		return pki_write_file_atomic(copy_path, pem, (size_t)n, 0644, err, cap);
	}
	return pki_errf(err, cap, -EEXIST, "%.*s/%08x.0 to .9 all hold other certificates", dir_len, dir,
	                hash);
}
