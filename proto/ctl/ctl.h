/* CTLFile.tlv / ITLFile.tlv: parse, verify, select the CallManager certificate, build, format.
 *
 * Format: ../shared/docs/protocol.md §6 (CU-TLV is the reference). Big-endian TLVs: tag u8, length u16;
 * tag 13 in the header is a single padding byte. The header ends at HEADER_LENGTH; records follow, each
 * opening with RECORD_LENGTH, which bounds its TLVs.
 *
 * Everything here is pure: bytes in, bytes out. A parsed file points into the caller's buffer, which
 * must outlive it. Records are numbered from 1 in messages and in ctl_format() (like `show ctl`'s
 * "CTL Record #:1"), from 0 in ctl_file.records[]. */
#ifndef VMPORT_CTL_H
#define VMPORT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef CTL_MAX_RECORDS
#define CTL_MAX_RECORDS 64 /* more records in a file is an error (CTL_ERR_TOO_MANY_RECORDS) */
#endif
#define CTL_MAX_NESTING 3 /* header containers inside containers */

/* Header tags (protocol.md §6.2). */
enum ctl_hdr_tag {
	CTL_HDR_VERSION = 1,
	CTL_HDR_HEADER_LENGTH = 2,
	CTL_HDR_SIGNER_ID = 3, /* container: 4, 5, 6 */
	CTL_HDR_SIGNER_NAME = 4,
	CTL_HDR_SERIAL_NUMBER = 5,
	CTL_HDR_CA_NAME = 6,
	CTL_HDR_SIGNATURE_INFO = 7, /* container: 8, 9 */
	CTL_HDR_DIGEST_ALGORITHM = 8,
	CTL_HDR_SIGNATURE_ALGO_INFO = 9, /* container: 10, 11 */
	CTL_HDR_SIGNATURE_ALGORITHM = 10,
	CTL_HDR_SIGNATURE_MODULUS = 11,
	CTL_HDR_SIGNATURE = 12,
	CTL_HDR_PADDING = 13,
	CTL_HDR_FILENAME = 14,
	CTL_HDR_TIMESTAMP = 15,
	CTL_HDR_SIGNER_VERSION = 28,
	CTL_HDR_TAG_MAX = 28,
};

/* Record tags (protocol.md §6.3). */
enum ctl_rec_tag {
	CTL_REC_LENGTH = 1,
	CTL_REC_DNS_NAME = 2,
	CTL_REC_SUBJECT_NAME = 3,
	CTL_REC_FUNCTION = 4,
	CTL_REC_ISSUER_NAME = 5,
	CTL_REC_SERIAL_NUMBER = 6,
	CTL_REC_PUBLIC_KEY = 7,
	CTL_REC_SIGNATURE = 8,
	CTL_REC_CERTIFICATE = 9,
	CTL_REC_IP_ADDRESS = 10,
	CTL_REC_CERT_HASH = 11,
	CTL_REC_HASH_ALGORITHM = 12,
	CTL_REC_TAG_MAX = 12,
};

/* Record FUNCTION (role) values. */
enum ctl_role {
	CTL_ROLE_SAST = 0,
	CTL_ROLE_CCM = 1,
	CTL_ROLE_CCM_TFTP = 2,
	CTL_ROLE_TFTP = 3,
	CTL_ROLE_CAPF = 4,
	CTL_ROLE_APP_SERVER = 7,
	CTL_ROLE_TVS = 21,
};

/* DIGEST_ALGORITHM and HASH_ALGORITHM values. */
enum ctl_digest {
	CTL_DIGEST_NONE = 0, /* builder: leave the record CERT_HASH / HASH_ALGORITHM out */
	CTL_DIGEST_SHA1 = 1,
	CTL_DIGEST_SHA256 = 2,
	CTL_DIGEST_SHA512 = 3,
};

enum ctl_err {
	CTL_OK = 0,
	CTL_ERR_ARG = -1,       /* NULL or inconsistent argument */
	CTL_ERR_TRUNCATED = -2, /* a TLV or record runs past the end of the file */
	CTL_ERR_OVERRUN = -3,   /* a TLV runs past the end of its container, header or record */
	CTL_ERR_BAD_START =
	    -4, /* VERSION not first, HEADER_LENGTH not second, record without RECORD_LENGTH */
	CTL_ERR_BAD_LENGTH = -5,       /* a fixed-size field has the wrong length */
	CTL_ERR_HEADER_LENGTH = -6,    /* HEADER_LENGTH out of range */
	CTL_ERR_RECORD_LENGTH = -7,    /* RECORD_LENGTH too small */
	CTL_ERR_DUPLICATE = -8,        /* a tag appears twice in the header or in one record */
	CTL_ERR_TOO_MANY_RECORDS = -9, /* more than CTL_MAX_RECORDS */
	CTL_ERR_NESTING = -10,         /* header containers nested deeper than CTL_MAX_NESTING */
	CTL_ERR_MISSING = -11,         /* a field needed for the operation is absent */
	CTL_ERR_UNSUPPORTED = -12,     /* digest or signature algorithm we do not implement */
	CTL_ERR_NO_SIGNER = -13,       /* no SAST record whose serial equals the header's */
	CTL_ERR_BAD_KEY = -14,         /* a key cannot be decoded or is not RSA */
	CTL_ERR_BAD_CERT = -15,        /* a certificate is not the X.509 DER we expect */
	CTL_ERR_KEY_MISMATCH = -16,    /* PUBLIC_KEY differs from the certificate's key; key/cert mismatch */
	CTL_ERR_BAD_SIGNATURE = -17,   /* the file signature does not verify */
	CTL_ERR_NOT_PINNED = -18,      /* the signer certificate is not one of the pinned ones */
	CTL_ERR_CERT_HASH = -19,       /* CERT_HASH does not match the certificate */
	CTL_ERR_NOT_FOUND = -20,       /* no CCM / CCM+TFTP record for the server */
	CTL_ERR_NO_SPACE = -21,        /* output buffer too small; the needed size is reported */
	CTL_ERR_TOO_LARGE = -22,       /* builder: a value, record or header exceeds 65535 bytes */
	CTL_ERR_CRYPTO = -23,          /* wolfCrypt failed (RNG, hashing, signing) */
};

/* The last error of an operation: what, and where. `msg` is complete ("record 3: tag 9 length 1200 at
 * offset 1010 runs past the record end at offset 2210"). */
struct ctl_error {
	enum ctl_err code;
	long offset; /* file offset of the offending TLV or record, -1 if none */
	int record;  /* 1-based record number, 0 = header, -1 = not about one place */
	int tag;     /* offending tag, -1 if none */
	char msg[256];
};

/* A byte range inside the parsed buffer (data is NULL when len is 0 and the field is absent). */
struct ctl_bytes {
	const uint8_t *data;
	size_t len;
};

/* Strings (names, DNS, filename) are stored without their NUL terminator and are NOT NUL-terminated:
 * print them with "%.*s". A value is cut at its first NUL. */
struct ctl_record {
	size_t offset; /* file offset of the record (its RECORD_LENGTH tag) */
	uint16_t length;
	uint32_t present;                      /* bit (1u << tag) for each known tag seen */
	uint16_t tag_len[CTL_REC_TAG_MAX + 1]; /* raw value length of each tag seen */
	unsigned unknown_tags;                 /* skipped tags */
	struct ctl_bytes dns_name;
	struct ctl_bytes subject;
	uint16_t role;
	struct ctl_bytes issuer;
	struct ctl_bytes serial;     /* raw big-endian bytes as stored */
	struct ctl_bytes public_key; /* RSA: PKCS#1 RSAPublicKey DER; EC: X9.62 point */
	struct ctl_bytes signature;  /* the certificate's own signature */
	struct ctl_bytes cert;       /* whole X.509 certificate, DER */
	uint8_t ip[4];               /* network order; 0.0.0.0 when absent */
	struct ctl_bytes cert_hash;
	uint8_t hash_alg; /* enum ctl_digest, 0 when absent */
};

struct ctl_file {
	const uint8_t *buf;
	size_t len;
	uint32_t present; /* bit (1u << tag) for each known header tag seen */
	uint16_t tag_len[CTL_HDR_TAG_MAX + 1];
	unsigned unknown_tags;
	uint8_t version_major, version_minor;
	uint16_t header_length;
	struct ctl_bytes signer_name;
	struct ctl_bytes serial;
	struct ctl_bytes issuer; /* CA_NAME */
	uint8_t digest_alg;      /* enum ctl_digest */
	uint8_t sig_alg;         /* 0 = RSA */
	uint8_t modulus_index;   /* 0..3 = 64, 128, 256, 512-byte signature */
	struct ctl_bytes signature;
	size_t signature_tlv_offset; /* offset of the SIGNATURE tag byte; the TLV is 3 + signature.len long */
	struct ctl_bytes filename;
	uint32_t timestamp; /* Unix time */
	uint8_t signer_version_major, signer_version_minor;
	size_t n_records;
	struct ctl_record records[CTL_MAX_RECORDS];
};

#define CTL_HAS(x, tag) (((x)->present >> (tag)) & 1u)

const char *ctl_strerror(enum ctl_err code);
/* Writes the error (message and offset) into buf, always NUL-terminated when cap > 0. Returns buf. */
char *ctl_error_format(const struct ctl_error *err, char *buf, size_t cap);

const char *ctl_role_name(unsigned role);     /* "CCM+TFTP", "SAST", ... or "unknown" */
const char *ctl_digest_name(unsigned digest); /* "SHA-1", "SHA-256", "SHA-512" or "unknown" */
size_t ctl_digest_size(unsigned digest);      /* 20, 32, 64; 0 if unknown */

/* Parse a whole CTL or ITL file. On error `out` holds what was parsed so far; err may be NULL. */
enum ctl_err ctl_parse(const uint8_t *buf, size_t len, struct ctl_file *out, struct ctl_error *err);

/* ---- verification (ctl_verify.c) ---- */
#define CTL_VERIFY_CERT_HASHES 0x1u /* also check every record's CERT_HASH against its certificate */

struct ctl_verify_opts {
	const struct ctl_bytes *pins; /* pinned SAST certificates (DER); NULL or n_pins 0 = no pinning */
	size_t n_pins;
	unsigned flags; /* CTL_VERIFY_* */
};

/* Check the file signature with the key of the SAST record whose SERIAL_NUMBER equals the header's.
 * The key comes from that record's certificate (whose PUBLIC_KEY, if present, must match it); a record
 * without a certificate is usable only when no pins are given. With pins, the signer's certificate
 * must byte-equal one of them. *signer_index (may be NULL) gets the signer's index in records[]. */
enum ctl_err ctl_verify(const struct ctl_file *f, const struct ctl_verify_opts *opts, size_t *signer_index,
                        struct ctl_error *err);

/* The certificates of all SAST records, for pinning after a first trusted download. Returns how many
 * there are (may exceed max; only max are stored). */
size_t ctl_sast_certs(const struct ctl_file *f, struct ctl_bytes *out, size_t max);

/* ---- selection (ctl_select.c) ---- */

/* The CCM (1) or CCM+TFTP (2) record, with a certificate, whose IP_ADDRESS equals ipv4 (4 bytes,
 * network order; may be NULL) or whose DNS_NAME or subject CN equals host ignoring case (may be NULL;
 * a dotted-quad host also matches IP_ADDRESS). Address matches win over name matches. NULL if none. */
const struct ctl_record *ctl_select_ccm(const struct ctl_file *f, const uint8_t *ipv4, const char *host,
                                        struct ctl_error *err);

/* ---- building (ctl_build.c) ---- */

enum ctl_name_order {
	CTL_NAME_RFC4514 = 0, /* most specific first: "CN=cucm;OU=TAC;O=Cisco;C=PL", as CUCM shows */
	CTL_NAME_DER = 1,     /* certificate order: "C=PL;O=Cisco;OU=TAC;CN=cucm" (CU-TLV) */
};

struct ctl_build_record {
	uint16_t role;       /* enum ctl_role */
	const uint8_t *cert; /* DER; NULL = a record with only DNS_NAME, FUNCTION and IP_ADDRESS */
	size_t cert_len;
	uint8_t ip[4];        /* network order; 0.0.0.0 if none */
	const char *dns_name; /* NULL or "" = empty DNS_NAME */
};

struct ctl_build_params {
	const uint8_t *sast_key; /* RSA private key, DER (PKCS#1 or PKCS#8) */
	size_t sast_key_len;
	const uint8_t *sast_cert; /* the signer's certificate, DER */
	size_t sast_cert_len;
	const struct ctl_build_record *records;
	size_t n_records;
	enum ctl_digest digest;               /* 0 = SHA-1 (CU-TLV's default) */
	uint32_t timestamp;                   /* Unix time written to TIMESTAMP */
	const char *filename;                 /* NULL = "CTLFile.tlv" */
	uint8_t version_major, version_minor; /* 0.0 = 1.2 */
	bool signer_version;                  /* write tag 28 */
	uint8_t signer_version_major, signer_version_minor;
	enum ctl_digest record_hash; /* CERT_HASH/HASH_ALGORITHM per certificate record; NONE = omit */
	enum ctl_name_order name_order;
	bool no_auto_sast; /* do not add a SAST record for the signer when `records` has none */
};

/* Build and sign. Output is deterministic for the same inputs. If cap is too small, returns
 * CTL_ERR_NO_SPACE with *out_len = the size needed (nothing is signed); out may then be NULL. */
enum ctl_err ctl_build(const struct ctl_build_params *p, uint8_t *out, size_t cap, size_t *out_len,
                       struct ctl_error *err);

/* ---- text dump in the layout of CUCM's `show ctl` (ctl_format.c) ---- */

typedef void (*ctl_line_fn)(void *ctx, const char *line); /* one line, without '\n' */

struct ctl_format_opts {
	int64_t mtime; /* "last modified" time; 0 = use the header TIMESTAMP */
	bool verified; /* print the verification verdict below */
	enum ctl_err verify_result;
	const struct ctl_error *verify_error; /* optional detail for a failed verification */
};

void ctl_format(const struct ctl_file *f, const struct ctl_format_opts *opts, ctl_line_fn fn, void *ctx);
/* Same into a buffer, lines ended by '\n'. Returns the full length (excluding the NUL) like snprintf;
 * the output is truncated (and NUL-terminated) when that is >= cap. */
size_t ctl_format_buf(const struct ctl_file *f, const struct ctl_format_opts *opts, char *buf, size_t cap);

#endif
