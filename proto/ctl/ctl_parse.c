/* CTL/ITL parser (protocol.md §6.1–§6.3). Every length is checked against the enclosing container,
 * the header end (HEADER_LENGTH), the record end (RECORD_LENGTH) and the file end, in that order of
 * tightness; the error names the tightest bound that was crossed. */
#include <string.h>

#include "ctl/ctl_internal.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static struct ctl_bytes bytes_at(const uint8_t *p, size_t n)
{
	struct ctl_bytes b = {n ? p : NULL, n};
	return b;
}

/* A CTL string: cut at the first NUL (normally its terminator). */
static struct ctl_bytes str_at(const uint8_t *p, size_t n)
{
	const uint8_t *nul = n ? memchr(p, 0, n) : NULL;
	return bytes_at(p, nul ? (size_t)(nul - p) : n);
}

static const char *hdr_tag_name(unsigned tag)
{
	switch (tag) {
	case CTL_HDR_VERSION:
		return "VERSION";
	case CTL_HDR_HEADER_LENGTH:
		return "HEADER_LENGTH";
	case CTL_HDR_SIGNER_ID:
		return "SIGNER_ID";
	case CTL_HDR_SIGNER_NAME:
		return "SIGNER_NAME";
	case CTL_HDR_SERIAL_NUMBER:
		return "SERIAL_NUMBER";
	case CTL_HDR_CA_NAME:
		return "CA_NAME";
	case CTL_HDR_SIGNATURE_INFO:
		return "SIGNATURE_INFO";
	case CTL_HDR_DIGEST_ALGORITHM:
		return "DIGEST_ALGORITHM";
	case CTL_HDR_SIGNATURE_ALGO_INFO:
		return "SIGNATURE_ALGO_INFO";
	case CTL_HDR_SIGNATURE_ALGORITHM:
		return "SIGNATURE_ALGORITHM";
	case CTL_HDR_SIGNATURE_MODULUS:
		return "SIGNATURE_MODULUS";
	case CTL_HDR_SIGNATURE:
		return "SIGNATURE";
	case CTL_HDR_FILENAME:
		return "FILENAME";
	case CTL_HDR_TIMESTAMP:
		return "TIMESTAMP";
	case CTL_HDR_SIGNER_VERSION:
		return "SIGNER_VERSION";
	}
	return "unknown";
}

static const char *rec_tag_name(unsigned tag)
{
	switch (tag) {
	case CTL_REC_LENGTH:
		return "RECORD_LENGTH";
	case CTL_REC_DNS_NAME:
		return "DNS_NAME";
	case CTL_REC_SUBJECT_NAME:
		return "SUBJECT_NAME";
	case CTL_REC_FUNCTION:
		return "FUNCTION";
	case CTL_REC_ISSUER_NAME:
		return "ISSUER_NAME";
	case CTL_REC_SERIAL_NUMBER:
		return "SERIAL_NUMBER";
	case CTL_REC_PUBLIC_KEY:
		return "PUBLIC_KEY";
	case CTL_REC_SIGNATURE:
		return "SIGNATURE";
	case CTL_REC_CERTIFICATE:
		return "CERTIFICATE";
	case CTL_REC_IP_ADDRESS:
		return "IP_ADDRESS";
	case CTL_REC_CERT_HASH:
		return "CERTIFICATE_HASH";
	case CTL_REC_HASH_ALGORITHM:
		return "HASH_ALGORITHM";
	}
	return "unknown";
}

/* The bound a header TLV must stay within. */
struct bound {
	size_t end;
	const char *what; /* "header end", "SIGNER_ID container end", ... */
};

struct hdr_walk {
	struct ctl_file *f;
	struct ctl_error *err;
};

static enum ctl_err hdr_fixed(struct hdr_walk *w, unsigned tag, size_t at, size_t len, size_t want)
{
	if (len == want)
		return CTL_OK;
	return ctl_fail(w->err, CTL_ERR_BAD_LENGTH, (long)at, 0, (int)tag,
	                "header: %s (tag %u) at offset %zu has length %zu, expected %zu", hdr_tag_name(tag),
	                tag, at, len, want);
}

static enum ctl_err hdr_leaf(struct hdr_walk *w, unsigned tag, size_t at, const uint8_t *v, size_t len)
{
	struct ctl_file *f = w->f;
	enum ctl_err rc = CTL_OK;
	switch (tag) {
	case CTL_HDR_SIGNER_NAME:
		f->signer_name = str_at(v, len);
		break;
	case CTL_HDR_SERIAL_NUMBER:
		f->serial = bytes_at(v, len);
		break;
	case CTL_HDR_CA_NAME:
		f->issuer = str_at(v, len);
		break;
	case CTL_HDR_DIGEST_ALGORITHM:
		if ((rc = hdr_fixed(w, tag, at, len, 1)) == CTL_OK)
			f->digest_alg = v[0];
		break;
	case CTL_HDR_SIGNATURE_ALGORITHM:
		if ((rc = hdr_fixed(w, tag, at, len, 1)) == CTL_OK)
			f->sig_alg = v[0];
		break;
	case CTL_HDR_SIGNATURE_MODULUS:
		if ((rc = hdr_fixed(w, tag, at, len, 1)) == CTL_OK)
			f->modulus_index = v[0];
		break;
	case CTL_HDR_SIGNATURE:
		f->signature = bytes_at(v, len);
		f->signature_tlv_offset = at;
		break;
	case CTL_HDR_FILENAME:
		f->filename = str_at(v, len);
		break;
	case CTL_HDR_TIMESTAMP:
		if ((rc = hdr_fixed(w, tag, at, len, 4)) == CTL_OK)
			f->timestamp =
			    ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) | ((uint32_t)v[2] << 8) | v[3];
		break;
	case CTL_HDR_SIGNER_VERSION:
		if ((rc = hdr_fixed(w, tag, at, len, 2)) == CTL_OK) {
			f->signer_version_major = v[0];
			f->signer_version_minor = v[1];
		}
		break;
	default:
		break;
	}
	return rc;
}

static bool hdr_known(unsigned tag)
{
	return tag <= CTL_HDR_TAG_MAX && strcmp(hdr_tag_name(tag), "unknown") != 0;
}

/* Walk the header TLVs in [pos, b.end). Containers are entered; their children may come in any order. */
static enum ctl_err hdr_walk(struct hdr_walk *w, size_t pos, struct bound b, int depth)
{
	const uint8_t *buf = w->f->buf;
	while (pos < b.end) {
		unsigned tag = buf[pos];
		if (tag == CTL_HDR_PADDING) {
			pos++;
			continue;
		}
		if (b.end - pos < 3)
			return ctl_fail(
			    w->err, CTL_ERR_OVERRUN, (long)pos, 0, (int)tag,
			    "header: tag %u at offset %zu: its tag and length run past the %s at offset %zu",
			    tag, pos, b.what, b.end);
		size_t len = be16(buf + pos + 1);
		if (len > b.end - pos - 3)
			return ctl_fail(
			    w->err, CTL_ERR_OVERRUN, (long)pos, 0, (int)tag,
			    "header: tag %u length %zu at offset %zu runs past the %s at offset %zu", tag,
			    len, pos, b.what, b.end);
		const uint8_t *v = buf + pos + 3;
		if (hdr_known(tag)) {
			if (CTL_HAS(w->f, tag))
				return ctl_fail(w->err, CTL_ERR_DUPLICATE, (long)pos, 0, (int)tag,
				                "header: %s (tag %u) at offset %zu appears a second time",
				                hdr_tag_name(tag), tag, pos);
			w->f->present |= 1u << tag;
			w->f->tag_len[tag] = (uint16_t)len;
		} else {
			w->f->unknown_tags++;
		}
		if (tag == CTL_HDR_SIGNER_ID || tag == CTL_HDR_SIGNATURE_INFO ||
		    tag == CTL_HDR_SIGNATURE_ALGO_INFO) {
			if (depth >= CTL_MAX_NESTING)
				return ctl_fail(
				    w->err, CTL_ERR_NESTING, (long)pos, 0, (int)tag,
				    "header: container %s (tag %u) at offset %zu is nested %d deep",
				    hdr_tag_name(tag), tag, pos, depth + 1);
			const char *what = tag == CTL_HDR_SIGNER_ID ? "SIGNER_ID container end"
			                   : tag == CTL_HDR_SIGNATURE_INFO
			                       ? "SIGNATURE_INFO container end"
			                       : "SIGNATURE_ALGO_INFO container end";
			struct bound inner = {pos + 3 + len, what};
			enum ctl_err rc = hdr_walk(w, pos + 3, inner, depth + 1);
			if (rc != CTL_OK)
				return rc;
		} else if (tag == CTL_HDR_VERSION || tag == CTL_HDR_HEADER_LENGTH) {
			/* Only reachable as duplicates, caught above. */
		} else {
			enum ctl_err rc = hdr_leaf(w, tag, pos, v, len);
			if (rc != CTL_OK)
				return rc;
		}
		pos += 3 + len;
	}
	return CTL_OK;
}

static enum ctl_err rec_fixed(struct ctl_error *err, int recno, unsigned tag, size_t at, size_t len,
                              size_t want)
{
	if (len == want)
		return CTL_OK;
	return ctl_fail(err, CTL_ERR_BAD_LENGTH, (long)at, recno, (int)tag,
	                "record %d: %s (tag %u) at offset %zu has length %zu, expected %zu", recno,
	                rec_tag_name(tag), tag, at, len, want);
}

static enum ctl_err parse_record(struct ctl_file *f, size_t pos, int recno, struct ctl_record *r,
                                 struct ctl_error *err)
{
	const uint8_t *buf = f->buf;
	size_t left = f->len - pos;
	memset(r, 0, sizeof(*r));
	r->offset = pos;
	if (left < 5)
		return ctl_fail(
		    err, CTL_ERR_TRUNCATED, (long)pos, recno, -1,
		    "record %d at offset %zu: only %zu bytes left before the end of the file at offset "
		    "%zu, a record needs at least 5",
		    recno, pos, left, f->len);
	if (buf[pos] != CTL_REC_LENGTH)
		return ctl_fail(err, CTL_ERR_BAD_START, (long)pos, recno, buf[pos],
		                "record %d at offset %zu starts with tag %u, expected RECORD_LENGTH (1)",
		                recno, pos, buf[pos]);
	size_t tl = be16(buf + pos + 1);
	enum ctl_err rc = rec_fixed(err, recno, CTL_REC_LENGTH, pos, tl, 2);
	if (rc != CTL_OK)
		return rc;
	size_t rlen = be16(buf + pos + 3);
	if (rlen < 5)
		return ctl_fail(err, CTL_ERR_RECORD_LENGTH, (long)pos, recno, CTL_REC_LENGTH,
		                "record %d at offset %zu: RECORD_LENGTH %zu is smaller than its own TLV (5)",
		                recno, pos, rlen);
	if (rlen > left)
		return ctl_fail(
		    err, CTL_ERR_TRUNCATED, (long)pos, recno, CTL_REC_LENGTH,
		    "record %d at offset %zu: RECORD_LENGTH %zu runs past the end of the file at offset %zu",
		    recno, pos, rlen, f->len);
	r->length = (uint16_t)rlen;
	r->present = 1u << CTL_REC_LENGTH;
	r->tag_len[CTL_REC_LENGTH] = 2;

	size_t end = pos + rlen;
	size_t p = pos + 5;
	while (p < end) {
		unsigned tag = buf[p];
		if (end - p < 3)
			return ctl_fail(
			    err, CTL_ERR_OVERRUN, (long)p, recno, (int)tag,
			    "record %d: tag %u at offset %zu: its tag and length run past the record end at "
			    "offset %zu",
			    recno, tag, p, end);
		size_t len = be16(buf + p + 1);
		if (len > end - p - 3)
			return ctl_fail(err, CTL_ERR_OVERRUN, (long)p, recno, (int)tag,
			                "record %d: tag %u length %zu at offset %zu runs past the record end "
			                "at offset %zu",
			                recno, tag, len, p, end);
		const uint8_t *v = buf + p + 3;
		if (tag >= 1 && tag <= CTL_REC_TAG_MAX) {
			if (CTL_HAS(r, tag))
				return ctl_fail(err, CTL_ERR_DUPLICATE, (long)p, recno, (int)tag,
				                "record %d: %s (tag %u) at offset %zu appears a second time",
				                recno, rec_tag_name(tag), tag, p);
			r->present |= 1u << tag;
			r->tag_len[tag] = (uint16_t)len;
		}
		switch (tag) {
		case CTL_REC_DNS_NAME:
			r->dns_name = str_at(v, len);
			break;
		case CTL_REC_SUBJECT_NAME:
			r->subject = str_at(v, len);
			break;
		case CTL_REC_FUNCTION:
			if ((rc = rec_fixed(err, recno, tag, p, len, 2)) != CTL_OK)
				return rc;
			r->role = be16(v);
			break;
		case CTL_REC_ISSUER_NAME:
			r->issuer = str_at(v, len);
			break;
		case CTL_REC_SERIAL_NUMBER:
			r->serial = bytes_at(v, len);
			break;
		case CTL_REC_PUBLIC_KEY:
			r->public_key = bytes_at(v, len);
			break;
		case CTL_REC_SIGNATURE:
			r->signature = bytes_at(v, len);
			break;
		case CTL_REC_CERTIFICATE:
			r->cert = bytes_at(v, len);
			break;
		case CTL_REC_IP_ADDRESS:
			if ((rc = rec_fixed(err, recno, tag, p, len, 4)) != CTL_OK)
				return rc;
			memcpy(r->ip, v, 4);
			break;
		case CTL_REC_CERT_HASH:
			r->cert_hash = bytes_at(v, len);
			break;
		case CTL_REC_HASH_ALGORITHM:
			if ((rc = rec_fixed(err, recno, tag, p, len, 1)) != CTL_OK)
				return rc;
			r->hash_alg = v[0];
			break;
		case CTL_REC_LENGTH: /* duplicate, caught above */
			break;
		default:
			r->unknown_tags++;
			break;
		}
		p += 3 + len;
	}
	return CTL_OK;
}

enum ctl_err ctl_parse(const uint8_t *buf, size_t len, struct ctl_file *f, struct ctl_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (f == NULL || (buf == NULL && len > 0))
		return ctl_fail(err, CTL_ERR_ARG, -1, -1, -1, "ctl_parse: NULL argument");
	memset(f, 0, offsetof(struct ctl_file, records));
	f->buf = buf;
	f->len = len;

	/* VERSION, then HEADER_LENGTH: fixed positions, 5 bytes each. */
	static const unsigned first[2] = {CTL_HDR_VERSION, CTL_HDR_HEADER_LENGTH};
	for (size_t i = 0; i < 2; i++) {
		size_t at = i * 5;
		if (len < at + 3)
			return ctl_fail(
			    err, CTL_ERR_TRUNCATED, (long)at, 0, (int)first[i],
			    "header: the file ends at offset %zu, before %s (tag %u) at offset %zu", len,
			    hdr_tag_name(first[i]), first[i], at);
		if (buf[at] != first[i])
			return ctl_fail(err, CTL_ERR_BAD_START, (long)at, 0, buf[at],
			                "header: tag %u at offset %zu, expected %s (tag %u) there", buf[at],
			                at, hdr_tag_name(first[i]), first[i]);
		size_t tl = be16(buf + at + 1);
		if (tl != 2)
			return ctl_fail(err, CTL_ERR_BAD_LENGTH, (long)at, 0, (int)first[i],
			                "header: %s (tag %u) at offset %zu has length %zu, expected 2",
			                hdr_tag_name(first[i]), first[i], at, tl);
		if (len < at + 5)
			return ctl_fail(
			    err, CTL_ERR_TRUNCATED, (long)at, 0, (int)first[i],
			    "header: %s (tag %u) at offset %zu runs past the end of the file at offset %zu",
			    hdr_tag_name(first[i]), first[i], at, len);
		f->present |= 1u << first[i];
		f->tag_len[first[i]] = 2;
	}
	f->version_major = buf[3];
	f->version_minor = buf[4];
	f->header_length = be16(buf + 8);
	if (f->header_length < 10)
		return ctl_fail(
		    err, CTL_ERR_HEADER_LENGTH, 5, 0, CTL_HDR_HEADER_LENGTH,
		    "header: HEADER_LENGTH %u at offset 5 is smaller than VERSION and HEADER_LENGTH (10)",
		    f->header_length);
	if (f->header_length > len)
		return ctl_fail(
		    err, CTL_ERR_TRUNCATED, 5, 0, CTL_HDR_HEADER_LENGTH,
		    "header: HEADER_LENGTH %u at offset 5 runs past the end of the file at offset %zu",
		    f->header_length, len);

	struct hdr_walk w = {f, err};
	struct bound hb = {f->header_length, "header end"};
	enum ctl_err rc = hdr_walk(&w, 10, hb, 0);
	if (rc != CTL_OK)
		return rc;

	size_t pos = f->header_length;
	while (pos < len) {
		int recno = (int)f->n_records + 1;
		if (f->n_records == CTL_MAX_RECORDS)
			return ctl_fail(err, CTL_ERR_TOO_MANY_RECORDS, (long)pos, recno, -1,
			                "record %d at offset %zu: more than %d records", recno, pos,
			                CTL_MAX_RECORDS);
		rc = parse_record(f, pos, recno, &f->records[f->n_records], err);
		if (rc != CTL_OK)
			return rc;
		pos += f->records[f->n_records].length;
		f->n_records++;
	}
	return CTL_OK;
}
