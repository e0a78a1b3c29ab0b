/* Error values and their text, names of roles and digests, small byte helpers, hashing. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_internal.h"

const char *ctl_strerror(enum ctl_err code)
{
	switch (code) {
	case CTL_OK:
		return "success";
	case CTL_ERR_ARG:
		return "invalid argument";
	case CTL_ERR_TRUNCATED:
		return "runs past the end of the file";
	case CTL_ERR_OVERRUN:
		return "runs past the end of its container";
	case CTL_ERR_BAD_START:
		return "unexpected first tag";
	case CTL_ERR_BAD_LENGTH:
		return "field has the wrong length";
	case CTL_ERR_HEADER_LENGTH:
		return "bad HEADER_LENGTH";
	case CTL_ERR_RECORD_LENGTH:
		return "bad RECORD_LENGTH";
	case CTL_ERR_DUPLICATE:
		return "tag appears twice";
	case CTL_ERR_TOO_MANY_RECORDS:
		return "too many records";
	case CTL_ERR_NESTING:
		return "containers nested too deep";
	case CTL_ERR_MISSING:
		return "required field missing";
	case CTL_ERR_UNSUPPORTED:
		return "unsupported algorithm";
	case CTL_ERR_NO_SIGNER:
		return "no SAST record for the signer";
	case CTL_ERR_BAD_KEY:
		return "bad key";
	case CTL_ERR_BAD_CERT:
		return "bad certificate";
	case CTL_ERR_KEY_MISMATCH:
		return "key does not match the certificate";
	case CTL_ERR_BAD_SIGNATURE:
		return "signature does not verify";
	case CTL_ERR_NOT_PINNED:
		return "signer not pinned";
	case CTL_ERR_CERT_HASH:
		return "certificate hash mismatch";
	case CTL_ERR_NOT_FOUND:
		return "server not found";
	case CTL_ERR_NO_SPACE:
		return "buffer too small";
	case CTL_ERR_TOO_LARGE:
		return "value too large for a CTL file";
	case CTL_ERR_CRYPTO:
		return "crypto library failure";
	}
	return "unknown error";
}

enum ctl_err ctl_fail(struct ctl_error *err, enum ctl_err code, long offset, int record, int tag,
                      const char *fmt, ...)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->offset = offset;
	err->record = record;
	err->tag = tag;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

char *ctl_error_format(const struct ctl_error *err, char *buf, size_t cap)
{
	if (buf == NULL || cap == 0)
		return buf;
	if (err == NULL || err->code == CTL_OK) {
		snprintf(buf, cap, "%s", ctl_strerror(CTL_OK));
	} else if (err->msg[0] != '\0') {
		snprintf(buf, cap, "%s", err->msg);
	} else if (err->offset >= 0) {
		snprintf(buf, cap, "%s at offset %ld", ctl_strerror(err->code), err->offset);
	} else {
		snprintf(buf, cap, "%s", ctl_strerror(err->code));
	}
	return buf;
}

const char *ctl_role_name(unsigned role)
{
	switch (role) {
	case CTL_ROLE_SAST:
		return "SAST";
	case CTL_ROLE_CCM:
		return "CCM";
	case CTL_ROLE_CCM_TFTP:
		return "CCM+TFTP";
	case CTL_ROLE_TFTP:
		return "TFTP";
	case CTL_ROLE_CAPF:
		return "CAPF";
	case CTL_ROLE_APP_SERVER:
		return "APP-SERVER";
	case CTL_ROLE_TVS:
		return "TVS";
	}
	return "unknown";
}

const char *ctl_digest_name(unsigned digest)
{
	switch (digest) {
	case CTL_DIGEST_SHA1:
		return "SHA-1";
	case CTL_DIGEST_SHA256:
		return "SHA-256";
	case CTL_DIGEST_SHA512:
		return "SHA-512";
	}
	return "unknown";
}

size_t ctl_digest_size(unsigned digest)
{
	switch (digest) {
	case CTL_DIGEST_SHA1:
		return 20;
	case CTL_DIGEST_SHA256:
		return 32;
	case CTL_DIGEST_SHA512:
		return 64;
	}
	return 0;
}

char *ctl_hex_colon(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	if (cap == 0)
		return buf;
	for (size_t i = 0; i < n; i++) {
		size_t need = (i ? 1 : 0) + 2;      /* ":XX" */
		size_t reserve = i + 1 < n ? 2 : 0; /* ".." in case a later byte does not fit */
		if (o + need + reserve + 1 > cap) {
			if (o + 2 + 1 <= cap) {
				buf[o++] = '.';
				buf[o++] = '.';
			}
			break;
		}
		if (i)
			buf[o++] = ':';
		buf[o++] = hex[p[i] >> 4];
		buf[o++] = hex[p[i] & 15];
	}
	buf[o < cap ? o : cap - 1] = '\0';
	return buf;
}

struct ctl_bytes ctl_serial_norm(struct ctl_bytes s)
{
	while (s.len > 1 && s.data[0] == 0) {
		s.data++;
		s.len--;
	}
	return s;
}

bool ctl_bytes_eq(struct ctl_bytes a, struct ctl_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static enum wc_HashType wc_type(unsigned digest)
{
	switch (digest) {
	case CTL_DIGEST_SHA1:
		return WC_HASH_TYPE_SHA;
	case CTL_DIGEST_SHA256:
		return WC_HASH_TYPE_SHA256;
	case CTL_DIGEST_SHA512:
		return WC_HASH_TYPE_SHA512;
	}
	return WC_HASH_TYPE_NONE;
}

int ctl_hash2(unsigned digest, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
	enum wc_HashType type = wc_type(digest);
	wc_HashAlg h;
	int rc;
	if (type == WC_HASH_TYPE_NONE)
		return BAD_FUNC_ARG;
	rc = wc_HashInit(&h, type);
	if (rc != 0)
		return rc;
	if (alen > 0)
		rc = wc_HashUpdate(&h, type, a, (word32)alen);
	if (rc == 0 && blen > 0)
		rc = wc_HashUpdate(&h, type, b, (word32)blen);
	if (rc == 0)
		rc = wc_HashFinal(&h, type, out);
	wc_HashFree(&h, type);
	return rc;
}
