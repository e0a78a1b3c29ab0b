/* The integration's root CA, "CiscoUnity-<uuid>" (protocol.md §7.3). CUCM trusts it once an
 * administrator uploads it as CallManager-trust, so it is re-created only when it cannot sign any
 * more (key missing, unreadable or not its own) or is about to expire, and always with a warning
 * that says the upload must be repeated. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pki/pki_internal.h"

/* Why the stored root cannot stay, or "" if it can. A negative return is an I/O error that must
 * not be mistaken for "missing" (re-creating the root on a permission problem would break trust). */
static int root_assess(const struct vmport_config *cfg, int64_t now, struct pki_root *root, bool *absent,
                       char *reason, size_t rcap, char *err, size_t cap)
{
	char cert_path[VMPORT_PATH_MAX + 32], key_path[VMPORT_PATH_MAX + 32];
	pki_root_path(cfg, ".pem", cert_path, sizeof(cert_path));
	pki_root_path(cfg, ".key", key_path, sizeof(key_path));
	char e1[VMPORT_PATH_MAX + 96] = "", e2[VMPORT_PATH_MAX + 96] = "";
	int rc_c =
	    pki_read_cert_pem(cert_path, root->cert, sizeof(root->cert), &root->cert_len, e1, sizeof(e1));
	int rc_k = pki_read_key_pem(key_path, root->key, sizeof(root->key), &root->key_len, e2, sizeof(e2));
	reason[0] = '\0';
	*absent = rc_c == -ENOENT && rc_k == -ENOENT;
	if (*absent)
		return 0;
	if (rc_c && rc_c != -ENOENT && rc_c != -EBADMSG)
		return pki_errf(err, cap, rc_c, "%s", e1);
	if (rc_k && rc_k != -ENOENT && rc_k != -EBADMSG)
		return pki_errf(err, cap, rc_k, "%s", e2);
	if (rc_c == -ENOENT)
		return pki_reason(reason, rcap, "root-ca.pem is missing");
	if (rc_c)
		return pki_reason(reason, rcap, "%s", e1);
	if (rc_k == -ENOENT)
		return pki_reason(reason, rcap, "root-ca.key is missing");
	if (rc_k || pki_rsa_check(root->key, root->key_len))
		return pki_reason(reason, rcap, "root-ca.key is not a usable RSA-2048 key");
	struct pki_cert_view v;
	if (pki_cert_view(root->cert, root->cert_len, &v) ||
	    pki_cert_signed_by(root->cert, root->cert_len, root->cert, root->cert_len) != 1)
		return pki_reason(reason, rcap, "root-ca.pem is not a readable self-signed certificate");
	char cn[65];
	pki_name_common_name(v.subject, cn, sizeof(cn));
	if (strncmp(cn, PKI_ROOT_CN_PREFIX, strlen(PKI_ROOT_CN_PREFIX)))
		return pki_reason(reason, rcap, "root-ca.pem has CN '%s', not " PKI_ROOT_CN_PREFIX "<uuid>",
		                  cn);
	if (pki_key_matches_cert(root->key, root->key_len, &v) != 1)
		return pki_reason(reason, rcap, "root-ca.key does not match root-ca.pem");
	if (v.not_after - now < PKI_RENEW_BEFORE_S) {
		char when[32];
		pki_format_time(v.not_after, when);
		return pki_reason(reason, rcap, "the root %s on %s",
		                  v.not_after <= now ? "expired" : "expires", when);
	}
	if (v.not_before > now) {
		char when[32];
		pki_format_time(v.not_before, when);
		/* A clock that went back; re-creating the root would not fix it and would break trust. */
		LOGW(PKI_LOG, "root %s is not valid until %s: check the clock (NTP); keeping it", cn, when);
	}
	return pki_key_file_tighten(key_path, err, cap);
}

static int root_create(const struct vmport_config *cfg, int64_t now, struct pki_root *root,
                       struct pki_report *report, char *err, size_t cap)
{
	char cert_path[VMPORT_PATH_MAX + 32], key_path[VMPORT_PATH_MAX + 32], cn[48];
	pki_root_path(cfg, ".pem", cert_path, sizeof(cert_path));
	pki_root_path(cfg, ".key", key_path, sizeof(key_path));
	int rc = pki_root_common_name(cn);
	if (rc)
		return pki_errf(err, cap, rc, "no random bytes for the root's UUID (errno %d)", -rc);
	double ms = 0;
	if ((rc = pki_rsa_generate(root->key, sizeof(root->key), &root->key_len, &ms, err, cap)) != 0)
		return rc;
	if (report) {
		report->keygen_ms_total += ms;
		report->keygens++;
	}
	struct pki_issue_req req = {
	    .common_name = cn,
	    .is_ca = 1,
	    .key_usage = "keyCertSign,cRLSign",
	    .not_before = now - PKI_BACKDATE_S,
	    .not_after = now + PKI_ROOT_VALID_S,
	    .key = root->key,
	    .key_len = root->key_len,
	};
	if ((rc = pki_issue(&req, root->cert, sizeof(root->cert), &root->cert_len, err, cap)) != 0)
		return rc;
	/* Key first: a crash between the two leaves a key without its certificate, which the next
	 * run sees as a mismatch and repairs; never a certificate whose key is lost. */
	if ((rc = pki_write_key_pem(key_path, root->key, root->key_len, err, cap)) != 0)
		return rc;
	if ((rc = pki_write_cert_pem(cert_path, root->cert, root->cert_len, err, cap)) != 0)
		return rc;
	LOGI(PKI_LOG, "root CA %s created (RSA-%d key in %.0f ms), valid until +20 years", cn, PKI_RSA_BITS,
	     ms);
	return 0;
}

int pki_root_ensure(const struct vmport_config *cfg, int64_t now, struct pki_root *root,
                    struct pki_report *report, char *err, size_t cap)
{
	char reason[VMPORT_PATH_MAX + 96];
	bool absent = false;
	int rc = root_assess(cfg, now, root, &absent, reason, sizeof(reason), err, cap);
	if (rc)
		return rc;
	if (!absent && !reason[0]) {
		pki_report_item(report, "root", PKI_KEPT, "");
		return 0;
	}
	if (!absent)
		LOGW(
		    PKI_LOG,
		    "root CA replaced: %s. Every port certificate is re-issued; upload the new root to every "
		    "CUCM node as CallManager-trust and restart Cisco CallManager",
		    reason);
	if ((rc = root_create(cfg, now, root, report, err, cap)) != 0)
		return rc;
	pki_report_item(report, "root", absent ? PKI_CREATED : PKI_REISSUED, reason);
	return 0;
}
