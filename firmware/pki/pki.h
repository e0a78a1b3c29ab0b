/* The integration's certificates (protocol.md §7.3): a root CA named "CiscoUnity-<uuid>" and one
 * certificate per port (CN = the port's device name) signed by it, all RSA-2048 with SHA-256, made
 * with wolfSSL's certificate API and kept under <state_dir>/pki/:
 *
 *   root-ca.pem, root-ca.key            the root (key mode 0600)
 *   ports/<device>.pem, <device>.key    one pair per port (keys mode 0600)
 *
 * Creating them is idempotent: what exists and is sound is kept; what is missing is made; a port
 * certificate whose key does not match, that the current root did not sign, that cannot be read,
 * or that expires within PKI_RENEW_BEFORE_S is re-issued, with a log line saying why. Every file is
 * written atomically (temporary file, fsync, rename). Errors are negative errno values with a
 * message naming the file. Time is an argument (seconds since the epoch, 64-bit even where time_t
 * is 32-bit: the root outlives 2038). */
#ifndef VMPORT_PKI_H
#define VMPORT_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define PKI_RSA_BITS 2048
#define PKI_ROOT_VALID_S (20 * 365 * 86400LL + 5 * 86400LL) /* 20 years (with leap days) */
#define PKI_PORT_VALID_S (10 * 365 * 86400LL + 3 * 86400LL) /* 10 years */
#define PKI_BACKDATE_S 3600                                 /* notBefore = now - 1 h: clock skew */
#define PKI_RENEW_BEFORE_S (30 * 86400LL)                   /* re-issue when expiring this soon */

#define PKI_CERT_DER_MAX 2048 /* an RSA-2048 certificate of ours is about 900 bytes */
#define PKI_KEY_DER_MAX 2048  /* PKCS#1 RSAPrivateKey for 2048 bits: about 1190 bytes */
#define PKI_ROOT_CN_PREFIX "CiscoUnity-"
#define PKI_ORG "vmport"

enum pki_action { PKI_KEPT, PKI_CREATED, PKI_REISSUED };

/* What pki_ensure_report() did, item by item (root first, then each port in order). */
struct pki_report {
	/* Called once per item; name is "root" or the device name; reason is "" when kept or new. */
	void (*on_item)(void *arg, const char *name, enum pki_action action, const char *reason);
	void *arg;
	enum pki_action root;
	unsigned created, reissued, kept; /* counted over the root and the ports */
	double keygen_ms_total;           /* time spent generating RSA keys */
	unsigned keygens;
};

/* Create whatever is missing or unsound for the root and ports 1..cfg->ports. Returns 0, or a
 * negative errno with a message naming the file (or the wolfSSL call) in err. */
int pki_ensure(const struct vmport_config *cfg, int64_t now, char *err, size_t cap);
int pki_ensure_report(const struct vmport_config *cfg, int64_t now, struct pki_report *report, char *err,
                      size_t cap);

/* Paths (return 0 or -ENAMETOOLONG). ext is ".pem" or ".key". */
int pki_root_path(const struct vmport_config *cfg, const char *ext, char *out, size_t cap);
int pki_port_path(const struct vmport_config *cfg, const char *device, const char *ext, char *out,
                  size_t cap);

/* A port's TLS identity, DER-encoded, for wolfSSL_CTX_use_certificate_buffer() and
 * wolfSSL_CTX_use_PrivateKey_buffer(..., WOLFSSL_FILETYPE_ASN1). The key is PKCS#1; wipe it with
 * pki_identity_wipe() once the TLS context holds it. */
struct pki_identity {
	uint8_t cert[PKI_CERT_DER_MAX];
	size_t cert_len;
	uint8_t key[PKI_KEY_DER_MAX];
	size_t key_len;
};

/* Loads and checks that the key matches the certificate. Does not create anything. */
int pki_load_port_identity(const struct vmport_config *cfg, const char *device, struct pki_identity *id,
                           char *err, size_t cap);
int pki_load_root(const struct vmport_config *cfg, uint8_t *der, size_t der_cap, size_t *der_len, char *err,
                  size_t cap);
void pki_identity_wipe(struct pki_identity *id);

/* OpenSSL's X509_NAME_hash (what `openssl x509 -hash` prints and what c_rehash / CApath name
 * "<hash>.0" files after): SHA-1 over the canonical encoding of the name, first 4 bytes
 * little-endian. name_der is a DER Name (SEQUENCE OF RDN); cert_der a whole certificate. 0 or -EINVAL. */
int pki_name_hash(const uint8_t *name_der, size_t len, uint32_t *hash);
int pki_subject_hash(const uint8_t *cert_der, size_t len, uint32_t *hash);

/* Readable facts about a certificate, for `vmport ca show` and the logs. */
struct pki_cert_facts {
	char subject[192]; /* "O=vmport, CN=CiscoUM1-VI1" in certificate order */
	char issuer[192];
	char common_name[65];
	char serial_hex[80];
	int64_t not_before, not_after;
	uint8_t sha256[32];
	uint32_t subject_hash;
};
int pki_cert_facts(const uint8_t *der, size_t len, struct pki_cert_facts *facts);
/* "AB:CD:..." (95 characters + NUL for SHA-256). */
void pki_format_fingerprint(const uint8_t sha256[32], char out[96]);
/* "2046-05-01 12:00:00 UTC" */
void pki_format_time(int64_t t, char out[32]);

/* The state of one port's pair without changing anything: 0 sound, 1 needs issuing (reason says
 * why: missing, key mismatch, other issuer, expiring, unreadable), or a negative errno. */
int pki_port_check(const struct vmport_config *cfg, const char *device, const uint8_t *root_der,
                   size_t root_len, int64_t now, char *reason, size_t cap);

/* Write the root certificate (PEM) to out_path and an identical copy named "<subject-hash>.0"
 * beside it (".1", ".2", ... if another certificate already holds that name, as c_rehash does).
 * The copy's path is returned in copy_path. Creates nothing under state_dir. */
int pki_export_root(const struct vmport_config *cfg, const char *out_path, char *copy_path, size_t copy_cap,
                    char *err, size_t cap);

#endif
