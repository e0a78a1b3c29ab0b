/* Text dump in the layout of CUCM's `show ctl` (as printed in Cisco tech notes 118892/118893):
 * checksum, length, "Parse CTL File", Version, HeaderLength, then BYTEPOS/TAG/LENGTH/VALUE tables for
 * the header and for each "CTL Record #:n". Cisco's column headed BYTEPOS holds the tag number, and its
 * tag names (including the "ALGORTITHM" misspelling) are kept so the two outputs can be compared line
 * by line. Additions: values Cisco leaves blank (IP address, algorithms), the SHA-256 fingerprint of
 * each certificate, and the verification verdict when the caller has one. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_internal.h"

#define LINE_MAX_CHARS 1024
#define VALUE_INDENT "                                " /* 32 spaces: the VALUE column */

struct out {
	ctl_line_fn fn;
	void *ctx;
	char line[LINE_MAX_CHARS];
};

static void emit(struct out *o, const char *fmt, ...) CTL_PRINTF(2, 3);
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->line, sizeof(o->line), fmt, ap);
	va_end(ap);
	o->fn(o->ctx, o->line);
}

/* Printable copy of a CTL string (control bytes become '?'), cut to fit. */
static const char *text(struct ctl_bytes s, char *buf, size_t cap)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s.data[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[n] = '\0';
	return buf;
}

static void hex_spaced(const uint8_t *p, size_t n, bool upper, char *buf, size_t cap)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 <= cap; i++) {
		if (i)
			buf[o++] = ' ';
		buf[o++] = digits[p[i] >> 4];
		buf[o++] = digits[p[i] & 15];
	}
	buf[o] = '\0';
}

static void hex_plain(const uint8_t *p, size_t n, char *buf)
{
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = '\0';
}

/* "Fri Mar 06 21:56:07 UTC 2015", computed without the C library's time zone state. */
static void utc_date(int64_t t, char *buf, size_t cap)
{
	static const char *wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int wday = (int)(((days % 7) + 7) % 7);
	/* Howard Hinnant's days-to-civil. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, cap, "%s %s %02d %02d:%02d:%02d UTC %lld", wd[wday], mon[m - 1], (int)d,
	         (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), (long long)y);
}

/* One table row: tag number, name, raw length, value. */
static void row(struct out *o, unsigned tag, const char *name, unsigned len, const char *value)
{
	int w = strlen(name) < 16 ? 16 : 24;
	emit(o, "%-8u%-*s%-8u%s", tag, w, name, len, value ? value : "");
}

static const char *function_text(unsigned role, char *buf, size_t cap)
{
	if (role == CTL_ROLE_SAST)
		return "System Administrator Security Token";
	if (strcmp(ctl_role_name(role), "unknown") != 0)
		return ctl_role_name(role);
	snprintf(buf, cap, "unknown (%u)", role);
	return buf;
}

static void hex_rows(struct out *o, const uint8_t *p, size_t n)
{
	char hx[16 * 3 + 1];
	for (size_t i = 16; i < n; i += 16) {
		hex_spaced(p + i, n - i < 16 ? n - i : 16, false, hx, sizeof(hx));
		emit(o, VALUE_INDENT "%s", hx);
	}
}

static void format_header(struct out *o, const struct ctl_file *f)
{
	char v[512], t[400], d[64];
	emit(o, "BYTEPOS TAG             LENGTH  VALUE");
	emit(o, "------- ---             ------  -----");
	for (unsigned tag = 3; tag <= CTL_HDR_TAG_MAX; tag++) {
		if (!CTL_HAS(f, tag))
			continue;
		unsigned len = f->tag_len[tag];
		v[0] = '\0';
		switch (tag) {
		case CTL_HDR_SIGNER_ID:
			snprintf(v, sizeof(v), "%u", len);
			row(o, tag, "SIGNERID", 2, v);
			break;
		case CTL_HDR_SIGNER_NAME:
			row(o, tag, "SIGNERNAME", len, text(f->signer_name, t, sizeof(t)));
			break;
		case CTL_HDR_SERIAL_NUMBER:
			row(o, tag, "SERIALNUMBER", len,
			    ctl_hex_colon(f->serial.data, f->serial.len, v, sizeof(v)));
			break;
		case CTL_HDR_CA_NAME:
			row(o, tag, "CANAME", len, text(f->issuer, t, sizeof(t)));
			break;
		case CTL_HDR_SIGNATURE_INFO:
			snprintf(v, sizeof(v), "%u", len);
			row(o, tag, "SIGNATUREINFO", 2, v);
			break;
		case CTL_HDR_DIGEST_ALGORITHM:
			snprintf(v, sizeof(v), "%u (%s)", f->digest_alg, ctl_digest_name(f->digest_alg));
			row(o, tag, "DIGESTALGORTITHM", len, v);
			break;
		case CTL_HDR_SIGNATURE_ALGO_INFO:
			snprintf(v, sizeof(v), "%u", len);
			row(o, tag, "SIGNATUREALGOINFO", 2, v);
			break;
		case CTL_HDR_SIGNATURE_ALGORITHM:
			snprintf(v, sizeof(v), "%u (%s)", f->sig_alg, f->sig_alg == 0 ? "RSA" : "unknown");
			row(o, tag, "SIGNATUREALGORTITHM", len, v);
			break;
		case CTL_HDR_SIGNATURE_MODULUS:
			if (f->modulus_index <= 3)
				snprintf(v, sizeof(v), "%u (%u bytes)", f->modulus_index,
				         64u << f->modulus_index);
			else
				snprintf(v, sizeof(v), "%u (unknown)", f->modulus_index);
			row(o, tag, "SIGNATUREMODULUS", len, v);
			break;
		case CTL_HDR_SIGNATURE: {
			size_t n = f->signature.len;
			hex_spaced(f->signature.data, n < 16 ? n : 16, false, v, sizeof(v));
			row(o, tag, "SIGNATURE", len, v);
			hex_rows(o, f->signature.data, n);
			break;
		}
		case CTL_HDR_FILENAME:
			row(o, tag, "FILENAME", len, text(f->filename, t, sizeof(t)));
			break;
		case CTL_HDR_TIMESTAMP:
			utc_date(f->timestamp, d, sizeof(d));
			snprintf(v, sizeof(v), "%lu (%s)", (unsigned long)f->timestamp, d);
			row(o, tag, "TIMESTAMP", len, v);
			break;
		case CTL_HDR_SIGNER_VERSION:
			snprintf(v, sizeof(v), "%u.%u", f->signer_version_major, f->signer_version_minor);
			row(o, tag, "SIGNERVERSION", len, v);
			break;
		default:
			break;
		}
	}
	if (f->unknown_tags)
		emit(o, "(%u unknown header tags skipped)", f->unknown_tags);
}

static void format_record(struct out *o, const struct ctl_file *f, size_t i, const char *kind)
{
	const struct ctl_record *r = &f->records[i];
	char v[512], t[400];
	emit(o, "%s Record #:%zu", kind, i + 1);
	emit(o, "----");
	emit(o, "BYTEPOS TAG             LENGTH  VALUE");
	emit(o, "------- ---             ------  -----");
	for (unsigned tag = 1; tag <= CTL_REC_TAG_MAX; tag++) {
		if (!CTL_HAS(r, tag))
			continue;
		unsigned len = r->tag_len[tag];
		switch (tag) {
		case CTL_REC_LENGTH:
			snprintf(v, sizeof(v), "%u", r->length);
			row(o, tag, "RECORDLENGTH", len, v);
			break;
		case CTL_REC_DNS_NAME:
			row(o, tag, "DNSNAME", len, text(r->dns_name, t, sizeof(t)));
			break;
		case CTL_REC_SUBJECT_NAME:
			row(o, tag, "SUBJECTNAME", len, text(r->subject, t, sizeof(t)));
			break;
		case CTL_REC_FUNCTION:
			row(o, tag, "FUNCTION", len, function_text(r->role, v, sizeof(v)));
			break;
		case CTL_REC_ISSUER_NAME:
			row(o, tag, "ISSUERNAME", len, text(r->issuer, t, sizeof(t)));
			break;
		case CTL_REC_SERIAL_NUMBER:
			row(o, tag, "SERIALNUMBER", len,
			    ctl_hex_colon(r->serial.data, r->serial.len, v, sizeof(v)));
			break;
		case CTL_REC_PUBLIC_KEY:
			row(o, tag, "PUBLICKEY", len, NULL);
			break;
		case CTL_REC_SIGNATURE:
			row(o, tag, "SIGNATURE", len, NULL);
			break;
		case CTL_REC_CERTIFICATE: {
			uint8_t h1[20], h256[32];
			if (ctl_hash2(CTL_DIGEST_SHA1, r->cert.data, r->cert.len, NULL, 0, h1) != 0 ||
			    ctl_hash2(CTL_DIGEST_SHA256, r->cert.data, r->cert.len, NULL, 0, h256) != 0) {
				row(o, tag, "CERTIFICATE", len, "(hash failed)");
				break;
			}
			hex_spaced(h1, sizeof(h1), true, t, sizeof(t));
			snprintf(v, sizeof(v), "%s (SHA1 Hash HEX)", t);
			row(o, tag, "CERTIFICATE", len, v);
			emit(o, VALUE_INDENT "%s (SHA-256 fingerprint)",
			     ctl_hex_colon(h256, sizeof(h256), t, sizeof(t)));
			break;
		}
		case CTL_REC_IP_ADDRESS:
			snprintf(v, sizeof(v), "%u.%u.%u.%u", r->ip[0], r->ip[1], r->ip[2], r->ip[3]);
			row(o, tag, "IPADDRESS", len, v);
			break;
		case CTL_REC_CERT_HASH:
			hex_spaced(r->cert_hash.data, r->cert_hash.len < 64 ? r->cert_hash.len : 64, true, t,
			           sizeof(t));
			row(o, tag, "CERTHASH", len, t);
			break;
		case CTL_REC_HASH_ALGORITHM:
			snprintf(v, sizeof(v), "%u (%s)", r->hash_alg, ctl_digest_name(r->hash_alg));
			row(o, tag, "HASHALGORITHM", len, v);
			break;
		default:
			break;
		}
	}
	if (r->unknown_tags)
		emit(o, "(%u unknown tags skipped)", r->unknown_tags);
	if (CTL_HAS(r, CTL_REC_FUNCTION) && r->role == CTL_ROLE_SAST) {
		bool signer = CTL_HAS(f, CTL_HDR_SERIAL_NUMBER) && CTL_HAS(r, CTL_REC_SERIAL_NUMBER) &&
		              ctl_bytes_eq(ctl_serial_norm(r->serial), ctl_serial_norm(f->serial));
		emit(o, "This etoken was %sused to sign the %s file.", signer ? "" : "not ", kind);
	}
}

void ctl_format(const struct ctl_file *f, const struct ctl_format_opts *opts, ctl_line_fn fn, void *ctx)
{
	static struct ctl_format_opts none;
	struct out o = {fn, ctx, {0}};
	if (f == NULL || fn == NULL)
		return;
	if (opts == NULL)
		opts = &none;
	const char *kind = "CTL";
	if (f->filename.len >= 3 && (f->filename.data[0] | 0x20) == 'i' &&
	    (f->filename.data[1] | 0x20) == 't' && (f->filename.data[2] | 0x20) == 'l')
		kind = "ITL";

	uint8_t h1[20], h256[32];
	char s1[41], s256[65], d[64];
	if (ctl_hash2(CTL_DIGEST_SHA1, f->buf, f->len, NULL, 0, h1) == 0 &&
	    ctl_hash2(CTL_DIGEST_SHA256, f->buf, f->len, NULL, 0, h256) == 0) {
		hex_plain(h1, sizeof(h1), s1);
		hex_plain(h256, sizeof(h256), s256);
		emit(&o, "The checksum value of the %s file: %s(SHA1) %s(SHA256)", kind, s1, s256);
	}
	emit(&o, "Length of %s file: %zu", kind, f->len);
	utc_date(opts->mtime ? opts->mtime : (int64_t)f->timestamp, d, sizeof(d));
	emit(&o, "The %s File was last modified on %s", kind, d);
	emit(&o, "Parse %s File", kind);
	emit(&o, "----------------");
	emit(&o, "Version:        %u.%u", f->version_major, f->version_minor);
	emit(&o, "HeaderLength:   %u (BYTES)", f->header_length);
	emit(&o, "%s", "");
	format_header(&o, f);
	for (size_t i = 0; i < f->n_records; i++) {
		emit(&o, "%s", "");
		format_record(&o, f, i, kind);
	}
	if (opts->verified) {
		emit(&o, "%s", "");
		if (opts->verify_result == CTL_OK) {
			emit(&o, "The %s file was verified successfully.", kind);
		} else {
			char msg[300];
			emit(&o, "The %s file could not be verified: %s", kind,
			     opts->verify_error ? ctl_error_format(opts->verify_error, msg, sizeof(msg))
			                        : ctl_strerror(opts->verify_result));
		}
	}
}

struct buf_sink {
	char *buf;
	size_t cap;
	size_t len;
};

static void buf_line(void *ctx, const char *line)
{
	struct buf_sink *s = ctx;
	size_t n = strlen(line);
	for (size_t i = 0; i <= n; i++, s->len++) {
		char c = i < n ? line[i] : '\n';
		if (s->len + 1 < s->cap)
			s->buf[s->len] = c;
	}
}

size_t ctl_format_buf(const struct ctl_file *f, const struct ctl_format_opts *opts, char *buf, size_t cap)
{
	struct buf_sink s = {buf, buf ? cap : 0, 0};
	ctl_format(f, opts, buf_line, &s);
	if (s.cap > 0)
		s.buf[s.len < s.cap ? s.len : s.cap - 1] = '\0';
	return s.len;
}
