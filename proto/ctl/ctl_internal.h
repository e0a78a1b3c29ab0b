/* Shared by the proto/ctl sources only; not part of the public API (ctl.h). */
#ifndef VMPORT_CTL_INTERNAL_H
#define VMPORT_CTL_INTERNAL_H

#include "ctl/ctl.h"

#if defined(__GNUC__)
#define CTL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CTL_PRINTF(a, b)
#endif

/* Fill *err (if not NULL) and return code. */
enum ctl_err ctl_fail(struct ctl_error *err, enum ctl_err code, long offset, int record, int tag,
                      const char *fmt, ...) CTL_PRINTF(6, 7);

/* "5A:3F:01" into buf (cut with ".." when it does not fit). Returns buf. */
char *ctl_hex_colon(const uint8_t *p, size_t n, char *buf, size_t cap);

/* Strip leading zero bytes (keeping one), so 00:9A and 9A compare equal. */
struct ctl_bytes ctl_serial_norm(struct ctl_bytes s);
bool ctl_bytes_eq(struct ctl_bytes a, struct ctl_bytes b);

/* Hash the concatenation of two ranges (either may be empty). Returns 0 or a wolfCrypt error. */
int ctl_hash2(unsigned digest, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out);

/* ---- minimal X.509 DER reader (ctl_x509.c): just the fields a CTL record carries ---- */
struct ctl_x509 {
	struct ctl_bytes serial;     /* INTEGER contents, leading zeros stripped */
	struct ctl_bytes issuer;     /* Name, whole TLV */
	struct ctl_bytes subject;    /* Name, whole TLV */
	struct ctl_bytes spki;       /* SubjectPublicKeyInfo, whole TLV */
	struct ctl_bytes public_key; /* subjectPublicKey BIT STRING contents after the unused-bits byte */
	struct ctl_bytes signature;  /* signatureValue BIT STRING contents after the unused-bits byte */
	bool rsa;                    /* algorithm rsaEncryption */
};

/* 0 or -1 (not a certificate we can read; the whole buffer must be one certificate). */
int ctl_x509_parse(const uint8_t *der, size_t len, struct ctl_x509 *out);

/* Render a Name as "CN=a;OU=b;O=c" (attributes we know; order per `order`). Returns the length that
 * the full string needs (excluding NUL), writing at most cap-1 characters and a NUL when cap > 0.
 * Returns (size_t)-1 if the Name is malformed. */
size_t ctl_x509_name_str(struct ctl_bytes name, enum ctl_name_order order, char *buf, size_t cap);

/* The first commonName value of a Name, as raw bytes. Empty if none. */
struct ctl_bytes ctl_x509_cn(struct ctl_bytes name);

#endif
