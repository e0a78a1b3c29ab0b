/* The lab CallManager's own certificates and its CTL (protocol.md §6, §7.3), in the state
 * directory:
 *
 *   callmanager.pem / .key   its TLS identity on 2443: self-signed, CN = the server name, like a
 *                            CUCM node's CallManager certificate
 *   sast.pem / .key          the SAST (System Administrator Security Token) that signs the CTL
 *   tftp/CTLFile.tlv         the CTL: the SAST record and a CCM+TFTP record with the CallManager
 *                            certificate and the listen address; rebuilt (signed) at every start
 *   CallManager-trust/       where the vmport root certificates go (`vmport ca export-root`)
 *
 * Certificates and keys are kept when sound and made when missing, with wolfSSL through
 * firmware/pki's helpers; the CTL comes from proto/ctl's builder. The TFTP server serves tftp/
 * only, so no key can ever leave by TFTP. */
#include "labcm/labcm_internal.h"

#include "log.h"
#include "ctl/ctl.h"
#include "pki/pki_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_COMP "labcm"
#define VALID_S (10 * 365 * 86400LL)
#define CTL_MAX_SIZE 16384

struct identity {
	uint8_t cert[PKI_CERT_DER_MAX];
	size_t cert_len;
	uint8_t key[PKI_KEY_DER_MAX];
	size_t key_len;
};

static int path_in(const struct labcm *lab, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", lab->cfg.state_dir, name);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Load <base>.pem/.key, or make a self-signed pair when either is missing or they do not belong
 * together. A file that exists but cannot be read is an error, never a reason to overwrite it. */
static int ensure_identity(struct labcm *lab, const char *base, const char *cn, const char *key_usage,
                           const char *eku, struct identity *id, char *err, size_t cap)
{
	char cert_path[LABCM_PATH_MAX + 32], key_path[LABCM_PATH_MAX + 32], name[64];
	snprintf(name, sizeof(name), "%s.pem", base);
	if (path_in(lab, name, cert_path, sizeof(cert_path)) < 0)
		return pki_errf(err, cap, -ENAMETOOLONG, "state_dir too long");
	snprintf(name, sizeof(name), "%s.key", base);
	if (path_in(lab, name, key_path, sizeof(key_path)) < 0)
		return pki_errf(err, cap, -ENAMETOOLONG, "state_dir too long");

	char e1[256] = "", e2[256] = "";
	int rc_c = pki_read_cert_pem(cert_path, id->cert, sizeof(id->cert), &id->cert_len, e1, sizeof(e1));
	int rc_k = pki_read_key_pem(key_path, id->key, sizeof(id->key), &id->key_len, e2, sizeof(e2));
	if ((rc_c && rc_c != -ENOENT) || (rc_k && rc_k != -ENOENT))
		return pki_errf(err, cap, rc_c && rc_c != -ENOENT ? rc_c : rc_k, "%s",
		                rc_c && rc_c != -ENOENT ? e1 : e2);
	const char *why = NULL;
	struct pki_cert_view view;
	if (rc_c || rc_k)
		why = "missing";
	else if (pki_cert_view(id->cert, id->cert_len, &view) != 0 ||
	         pki_rsa_check(id->key, id->key_len) != 0)
		why = "unusable";
	else if (pki_key_matches_cert(id->key, id->key_len, &view) != 1)
		why = "key does not match";
	else if (view.not_after < (int64_t)time(NULL) + 30 * 86400LL)
		why = "expiring";
	if (!why)
		return 0;

	int64_t now = (int64_t)time(NULL);
	double ms = 0;
	int rc = pki_rsa_generate(id->key, sizeof(id->key), &id->key_len, &ms, err, cap);
	if (rc != 0)
		return rc;
	struct pki_issue_req req = {
	    .common_name = cn,
	    .is_ca = 0,
	    .key_usage = key_usage,
	    .ext_key_usage = eku,
	    .not_before = now - PKI_BACKDATE_S,
	    .not_after = now + VALID_S,
	    .key = id->key,
	    .key_len = id->key_len,
	};
	if ((rc = pki_issue(&req, id->cert, sizeof(id->cert), &id->cert_len, err, cap)) != 0 ||
	    (rc = pki_write_key_pem(key_path, id->key, id->key_len, err, cap)) != 0 ||
	    (rc = pki_write_cert_pem(cert_path, id->cert, id->cert_len, err, cap)) != 0)
		return rc;
	LOGI(LOG_COMP, "made %s (CN=%s, RSA-2048 in %.0f ms): %s before", cert_path, cn, ms, why);
	return 0;
}

static int build_ctl(struct labcm *lab, const struct identity *sast, const struct identity *ccm, char *err,
                     size_t cap)
{
	struct ctl_build_record rec = {
	    .role = CTL_ROLE_CCM_TFTP,
	    .cert = ccm->cert,
	    .cert_len = ccm->cert_len,
	    .dns_name = lab->cfg.server_name,
	};
	/* The port finds "its" CallManager by the address it connects to (§6.5): ours. */
	if (lab->listen_addr != 0)
		memcpy(rec.ip, &lab->listen_addr, 4);
	struct ctl_build_params p = {
	    .sast_key = sast->key,
	    .sast_key_len = sast->key_len,
	    .sast_cert = sast->cert,
	    .sast_cert_len = sast->cert_len,
	    .records = &rec,
	    .n_records = 1,
	    .digest = CTL_DIGEST_SHA256,
	    .timestamp = (uint32_t)time(NULL),
	    .record_hash = CTL_DIGEST_SHA256,
	};
	uint8_t *out = malloc(CTL_MAX_SIZE); /* once, at start */
	if (!out)
		return pki_errf(err, cap, -ENOMEM, "no memory for the CTL");
	size_t len = 0;
	struct ctl_error ce;
	enum ctl_err rc = ctl_build(&p, out, CTL_MAX_SIZE, &len, &ce);
	if (rc != CTL_OK) {
		char why[300];
		free(out);
		return pki_errf(err, cap, -EIO, "CTL build: %s", ctl_error_format(&ce, why, sizeof(why)));
	}
	char dir[LABCM_PATH_MAX + 32], path[LABCM_PATH_MAX + 64];
	int r;
	if ((r = path_in(lab, "tftp", dir, sizeof(dir))) < 0 || (r = pki_mkdirs(dir, 0755, err, cap)) < 0) {
		free(out);
		return r == -ENAMETOOLONG ? pki_errf(err, cap, r, "state_dir too long") : r;
	}
	snprintf(path, sizeof(path), "%s/CTLFile.tlv", dir);
	r = pki_write_file_atomic(path, out, len, 0644, err, cap);
	free(out);
	if (r == 0)
		LOGI(LOG_COMP, "CTL %s: %zu bytes, signed by the SAST, CCM+TFTP record %s (%s)", path, len,
		     lab->cfg.server_name, lab->cfg.listen);
	return r;
}

/* Everything the TLS listener and the TFTP server need. */
int labcm_pki_ensure(struct labcm *lab, char *err, size_t cap)
{
	if ((int64_t)time(NULL) < 1704067200LL) /* 2024-01-01: a board without a real-time clock */
		return pki_errf(err, cap, -EINVAL,
		                "the clock says before 2024: certificates made now would be useless");
	char trust[LABCM_PATH_MAX];
	snprintf(trust, sizeof(trust), "%s", lab->cfg.trust_dir);
	int rc = pki_mkdirs(trust, 0755, err, cap);
	if (rc < 0)
		return rc;
	struct identity *ids = calloc(2, sizeof(*ids));
	if (!ids)
		return pki_errf(err, cap, -ENOMEM, "out of memory");
	char sast_cn[80];
	snprintf(sast_cn, sizeof(sast_cn), "SAST-%s", lab->cfg.server_name);
	rc = ensure_identity(lab, "sast", sast_cn, "digitalSignature", NULL, &ids[0], err, cap);
	if (rc == 0)
		rc = ensure_identity(lab, "callmanager", lab->cfg.server_name,
		                     "digitalSignature,keyEncipherment", "serverAuth,clientAuth", &ids[1],
		                     err, cap);
	if (rc == 0)
		rc = build_ctl(lab, &ids[0], &ids[1], err, cap);
	explicit_bzero(ids, 2 * sizeof(*ids));
	free(ids);
	return rc;
}

int labcm_pki_paths(const struct labcm *lab, char *cert, char *key, size_t cap)
{
	if (path_in(lab, "callmanager.pem", cert, cap) < 0 || path_in(lab, "callmanager.key", key, cap) < 0)
		return -ENAMETOOLONG;
	return 0;
}
