/* Shared by the pki/ files only: a DER reader, time encoding, files, and the wolfSSL calls. */
#ifndef VMPORT_PKI_INTERNAL_H
#define VMPORT_PKI_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pki/pki.h"

#define PKI_LOG "pki"
#define PKI_PEM_MAX 4096

/* --- DER (pki_der.c) --------------------------------------------------------------------- */
struct pki_span {
	const uint8_t *p;
	size_t len;
};

struct pki_tlv {
	uint8_t tag;
	struct pki_span val;   /* contents */
	struct pki_span whole; /* tag, length and contents */
};

/* One TLV at *pos within buf[0, end): definite lengths, low tag numbers. 0 or -EINVAL. */
int pki_der_next(const uint8_t *buf, size_t end, size_t *pos, struct pki_tlv *t);

/* The byte ranges of a certificate we look at. Structure only: no signature check. */
struct pki_cert_view {
	struct pki_span tbs;     /* whole TBSCertificate */
	struct pki_span serial;  /* INTEGER contents */
	struct pki_span issuer;  /* whole Name */
	struct pki_span subject; /* whole Name */
	struct pki_span spki;    /* whole SubjectPublicKeyInfo */
	int64_t not_before, not_after;
};
int pki_cert_view(const uint8_t *der, size_t len, struct pki_cert_view *v);

/* UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), as a whole TLV. Returns
 * its length (15 or 17), or -EINVAL for a year outside 1950..9999. */
int pki_der_time_encode(int64_t t, uint8_t out[32]);
int pki_der_time_decode(const struct pki_tlv *t, int64_t *out);

/* In an unsigned TBSCertificate (tbs[0, *len), room for cap bytes), mark the extension with this
 * OID critical. wolfSSL 5.5.4 writes basicConstraints without the critical flag that RFC 5280
 * §4.2.1.9 requires of a CA, and its custom-extension API is not in our build. 0, -ENOENT. */
int pki_der_make_ext_critical(uint8_t *tbs, size_t *len, size_t cap, const uint8_t *oid, size_t oid_len);

/* The value of the first commonName in a Name, as a C string ("" if none). */
void pki_name_common_name(struct pki_span name, char *out, size_t cap);
/* "O=vmport, CN=x" for the attributes we know (others as dotted OIDs). */
void pki_name_format(struct pki_span name, char *out, size_t cap);

/* --- files (pki_files.c) ----------------------------------------------------------------- */
int pki_errf(char *err, size_t cap, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Formats a reason for re-issuing into reason and returns 0. */
int pki_reason(char *reason, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* mkdir -p with mode for the directories it creates. */
int pki_mkdirs(const char *path, mode_t mode, char *err, size_t cap);
/* Whole file into buf. -ENOENT if missing (err set too), -EFBIG if larger than cap. */
int pki_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errcap);
/* path.tmp.<pid> with mode, write, fsync, rename over path, fsync the directory. */
int pki_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t cap);
/* An existing key file is made 0600 if it is looser; a log line says so. */
int pki_key_file_tighten(const char *path, char *err, size_t cap);
/* Exclusive lock on <state_dir>/pki/.lock against a second vmport doing the same; returns the fd. */
int pki_lock(const char *pki_dir, char *err, size_t cap);

/* PEM files: -ENOENT missing, -EBADMSG unreadable (not PEM, bad base64). */
int pki_read_cert_pem(const char *path, uint8_t *der, size_t cap, size_t *len, char *err, size_t errcap);
int pki_read_key_pem(const char *path, uint8_t *der, size_t cap, size_t *len, char *err, size_t errcap);
int pki_write_cert_pem(const char *path, const uint8_t *der, size_t len, char *err, size_t cap);
int pki_write_key_pem(const char *path, const uint8_t *der, size_t len, char *err, size_t cap);
int pki_pki_dir(const struct vmport_config *cfg, char *out, size_t cap);

/* --- keys and certificates (pki_cert.c) -------------------------------------------------- */
/* A new RSA-2048 key as PKCS#1 DER; *ms is the time it took. */
int pki_rsa_generate(uint8_t *der, size_t cap, size_t *len, double *ms, char *err, size_t errcap);
/* 0 if the key is a usable RSA private key of at least 2048 bits, -EBADMSG otherwise. */
int pki_rsa_check(const uint8_t *key_der, size_t key_len);
/* 1 if the key's public half is the certificate's, 0 if not, <0 if either cannot be read. */
int pki_key_matches_cert(const uint8_t *key_der, size_t key_len, const struct pki_cert_view *cert);
/* 1 if issuer's key verifies cert's signature and cert names issuer's subject as its issuer. */
int pki_cert_signed_by(const uint8_t *cert, size_t cert_len, const uint8_t *issuer, size_t issuer_len);

struct pki_issue_req {
	const char *common_name;
	int is_ca;
	const char *key_usage;     /* wc_SetKeyUsage() list */
	const char *ext_key_usage; /* wc_SetExtKeyUsage() list, or NULL */
	int64_t not_before, not_after;
	const uint8_t *key; /* the subject's PKCS#1 key */
	size_t key_len;
	const uint8_t *issuer_cert; /* NULL: self-signed */
	size_t issuer_cert_len;
	const uint8_t *issuer_key;
	size_t issuer_key_len;
};
int pki_issue(const struct pki_issue_req *req, uint8_t *out, size_t cap, size_t *out_len, char *err,
              size_t errcap);

/* "CiscoUnity-" + a random (v4) UUID from hal_random_bytes(). */
int pki_root_common_name(char out[48]);

/* --- root and ports (pki_ca.c, pki_port_cert.c) ----------------------------------------- */
struct pki_root {
	uint8_t cert[PKI_CERT_DER_MAX];
	size_t cert_len;
	uint8_t key[PKI_KEY_DER_MAX];
	size_t key_len;
};
/* Load the root, or create it when missing or unusable. */
int pki_root_ensure(const struct vmport_config *cfg, int64_t now, struct pki_root *root,
                    struct pki_report *report, char *err, size_t cap);
int pki_port_ensure(const struct vmport_config *cfg, const char *device, int64_t now,
                    const struct pki_root *root, struct pki_report *report, char *err, size_t cap);

void pki_report_item(struct pki_report *report, const char *name, enum pki_action action, const char *reason);
void pki_wipe(void *p, size_t len);

#endif
