/* One certificate per port (protocol.md §7.3): CN = the device name, O=vmport, signed by the root,
 * keyUsage digitalSignature+keyEncipherment, EKU serverAuth+clientAuth. The port presents it as
 * its TLS client certificate; CUCM checks the chain against the root in CallManager-trust. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pki/pki_internal.h"

struct port_state {
	char cert_path[VMPORT_PATH_MAX + 48];
	char key_path[VMPORT_PATH_MAX + 48];
	uint8_t cert[PKI_CERT_DER_MAX];
	size_t cert_len;
	uint8_t key[PKI_KEY_DER_MAX];
	size_t key_len;
	bool absent;     /* neither file exists */
	bool key_usable; /* the stored key can be kept for a re-issued certificate */
	char reason[VMPORT_PATH_MAX + 96];
};

static void port_state_wipe(struct port_state *st)
{
	pki_wipe(st->key, sizeof(st->key));
}

/* 0 with st->reason "" (sound) or set (must be issued); negative for I/O errors. */
static int port_assess(const struct vmport_config *cfg, const char *device, const uint8_t *root_der,
                       size_t root_len, int64_t now, bool repair, struct port_state *st, char *err,
                       size_t cap)
{
	if (pki_port_path(cfg, device, ".pem", st->cert_path, sizeof(st->cert_path)) ||
	    pki_port_path(cfg, device, ".key", st->key_path, sizeof(st->key_path)))
		return pki_errf(err, cap, -ENAMETOOLONG, "state_dir %s: path too long for port %s",
		                cfg->state_dir, device);
	char e1[VMPORT_PATH_MAX + 96] = "", e2[VMPORT_PATH_MAX + 96] = "";
	int rc_c =
	    pki_read_cert_pem(st->cert_path, st->cert, sizeof(st->cert), &st->cert_len, e1, sizeof(e1));
	int rc_k = pki_read_key_pem(st->key_path, st->key, sizeof(st->key), &st->key_len, e2, sizeof(e2));
	st->reason[0] = '\0';
	st->absent = rc_c == -ENOENT && rc_k == -ENOENT;
	st->key_usable = rc_k == 0 && pki_rsa_check(st->key, st->key_len) == 0;
	if (st->absent)
		return pki_reason(st->reason, sizeof(st->reason), "no certificate yet");
	if (rc_c && rc_c != -ENOENT && rc_c != -EBADMSG)
		return pki_errf(err, cap, rc_c, "%s", e1);
	if (rc_k && rc_k != -ENOENT && rc_k != -EBADMSG)
		return pki_errf(err, cap, rc_k, "%s", e2);
	if (rc_k == -ENOENT)
		return pki_reason(st->reason, sizeof(st->reason), "the key file %s is missing", st->key_path);
	if (!st->key_usable)
		return pki_reason(st->reason, sizeof(st->reason),
		                  "the key file %s is not a usable RSA-2048 key", st->key_path);
	if (rc_c == -ENOENT)
		return pki_reason(st->reason, sizeof(st->reason), "the certificate %s is missing",
		                  st->cert_path);
	struct pki_cert_view v;
	if (rc_c || pki_cert_view(st->cert, st->cert_len, &v))
		return pki_reason(st->reason, sizeof(st->reason), "the certificate %s cannot be read",
		                  st->cert_path);
	char cn[65];
	pki_name_common_name(v.subject, cn, sizeof(cn));
	if (strcmp(cn, device))
		return pki_reason(st->reason, sizeof(st->reason), "its CN is '%s', not the device name", cn);
	int m = pki_key_matches_cert(st->key, st->key_len, &v);
	if (m != 1)
		return pki_reason(st->reason, sizeof(st->reason), "the key does not match the certificate");
	if (pki_cert_signed_by(st->cert, st->cert_len, root_der, root_len) != 1)
		return pki_reason(st->reason, sizeof(st->reason), "it is not signed by the current root");
	char when[32];
	if (v.not_after - now < PKI_RENEW_BEFORE_S) {
		pki_format_time(v.not_after, when);
		return pki_reason(st->reason, sizeof(st->reason), "it %s on %s",
		                  v.not_after <= now ? "expired" : "expires", when);
	}
	if (v.not_before > now) {
		pki_format_time(v.not_before, when);
		return pki_reason(st->reason, sizeof(st->reason),
		                  "it is not valid until %s (CUCM refuses it)", when);
	}
	return repair ? pki_key_file_tighten(st->key_path, err, cap) : 0;
}

int pki_port_check(const struct vmport_config *cfg, const char *device, const uint8_t *root_der,
                   size_t root_len, int64_t now, char *reason, size_t cap)
{
	struct port_state st;
	char err[VMPORT_PATH_MAX + 96] = "";
	int rc = port_assess(cfg, device, root_der, root_len, now, false, &st, err, sizeof(err));
	port_state_wipe(&st);
	if (rc)
		return pki_errf(reason, cap, rc, "%s", err);
	snprintf(reason, cap, "%s", st.reason);
	return st.reason[0] ? 1 : 0;
}

int pki_port_ensure(const struct vmport_config *cfg, const char *device, int64_t now,
                    const struct pki_root *root, struct pki_report *report, char *err, size_t cap)
{
	struct port_state st;
	int rc = port_assess(cfg, device, root->cert, root->cert_len, now, true, &st, err, cap);
	if (rc || !st.reason[0]) {
		port_state_wipe(&st);
		if (!rc)
			pki_report_item(report, device, PKI_KEPT, "");
		return rc;
	}
	bool new_key = !st.key_usable;
	if (new_key) {
		double ms = 0;
		if ((rc = pki_rsa_generate(st.key, sizeof(st.key), &st.key_len, &ms, err, cap)) != 0)
			goto out;
		if (report) {
			report->keygen_ms_total += ms;
			report->keygens++;
		}
		LOGD(PKI_LOG, "port %s: RSA-%d key generated in %.1f ms", device, PKI_RSA_BITS, ms);
	}
	struct pki_issue_req req = {
	    .common_name = device,
	    .key_usage = "digitalSignature,keyEncipherment",
	    .ext_key_usage = "serverAuth,clientAuth",
	    .not_before = now - PKI_BACKDATE_S,
	    .not_after = now + PKI_PORT_VALID_S,
	    .key = st.key,
	    .key_len = st.key_len,
	    .issuer_cert = root->cert,
	    .issuer_cert_len = root->cert_len,
	    .issuer_key = root->key,
	    .issuer_key_len = root->key_len,
	};
	if ((rc = pki_issue(&req, st.cert, sizeof(st.cert), &st.cert_len, err, cap)) != 0)
		goto out;
	if (new_key && (rc = pki_write_key_pem(st.key_path, st.key, st.key_len, err, cap)) != 0)
		goto out;
	if (!new_key && (rc = pki_key_file_tighten(st.key_path, err, cap)) != 0)
		goto out;
	if ((rc = pki_write_cert_pem(st.cert_path, st.cert, st.cert_len, err, cap)) != 0)
		goto out;
	if (st.absent) {
		LOGI(PKI_LOG, "port %s: certificate created", device);
		pki_report_item(report, device, PKI_CREATED, "");
	} else {
		LOGI(PKI_LOG, "port %s: certificate re-issued (%s key) because %s", device,
		     new_key ? "new" : "same", st.reason);
		pki_report_item(report, device, PKI_REISSUED, st.reason);
	}
out:
	port_state_wipe(&st);
	return rc;
}
