/* A small, bounds-checked DER reader for the parts of our certificates we check (issuer, subject,
 * validity, public key) and the X.509 time encoding. Our own code rather than wolfCrypt's
 * DecodedCert so that checks see the certificate's bytes as written and work the same on every
 * wolfSSL build; the times are 64-bit because time_t is 32-bit on armhf and the root outlives 2038. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki_internal.h"

int pki_der_next(const uint8_t *buf, size_t end, size_t *pos, struct pki_tlv *t)
{
	size_t p = *pos;
	if (p > end || end - p < 2)
		return -EINVAL;
	uint8_t tag = buf[p];
	if ((tag & 0x1f) == 0x1f)
		return -EINVAL;
	size_t n = buf[p + 1];
	p += 2;
	if (n & 0x80) {
		size_t nb = n & 0x7f;
		if (nb == 0 || nb > 3 || end - p < nb)
			return -EINVAL;
		n = 0;
		for (size_t i = 0; i < nb; i++)
			n = (n << 8) | buf[p + i];
		p += nb;
	}
	if (end - p < n)
		return -EINVAL;
	t->tag = tag;
	t->val.p = buf + p;
	t->val.len = n;
	t->whole.p = buf + *pos;
	t->whole.len = p + n - *pos;
	*pos = p + n;
	return 0;
}

static int der_expect(const uint8_t *buf, size_t end, size_t *pos, uint8_t tag, struct pki_tlv *t)
{
	int rc = pki_der_next(buf, end, pos, t);
	if (rc == 0 && t->tag != tag)
		rc = -EINVAL;
	return rc;
}

static size_t put_header(uint8_t *out, uint8_t tag, size_t len)
{
	size_t n = 0;
	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = (uint8_t)len;
	} else if (len < 0x100) {
		out[n++] = 0x81;
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = 0x82;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	}
	return n;
}

/* out = header(tag) + a + b + c, where the three pieces are the new contents. */
static size_t wrap3(uint8_t *out, uint8_t tag, struct pki_span a, struct pki_span b, struct pki_span c)
{
	size_t n = put_header(out, tag, a.len + b.len + c.len);
	const struct pki_span parts[3] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		if (parts[i].len) /* an empty piece may have no pointer */
			memcpy(out + n, parts[i].p, parts[i].len);
		n += parts[i].len;
	}
	return n;
}

static struct pki_span span_between(const uint8_t *from, const uint8_t *to)
{
	struct pki_span s = {from, (size_t)(to - from)};
	return s;
}

int pki_der_make_ext_critical(uint8_t *tbs, size_t *len, size_t cap, const uint8_t *oid, size_t oid_len)
{
	static const uint8_t crit[] = {0x01, 0x01, 0xFF};
	struct pki_tlv t, child, a3, exts, ext, ext_oid, next;
	size_t pos = 0;
	if (der_expect(tbs, *len, &pos, 0x30, &t) || pos != *len)
		return -EINVAL;
	bool found = false;
	for (size_t p = 0; !found && p < t.val.len;) {
		if (pki_der_next(t.val.p, t.val.len, &p, &child))
			return -EINVAL;
		if (child.tag == 0xA3)
			a3 = child, found = true;
	}
	size_t ep = 0;
	if (!found || der_expect(a3.val.p, a3.val.len, &ep, 0x30, &exts))
		return -EINVAL;
	found = false;
	for (size_t p = 0; !found && p < exts.val.len;) {
		size_t ip = 0;
		if (der_expect(exts.val.p, exts.val.len, &p, 0x30, &ext) ||
		    der_expect(ext.val.p, ext.val.len, &ip, 0x06, &ext_oid))
			return -EINVAL;
		if (ext_oid.val.len != oid_len || memcmp(ext_oid.val.p, oid, oid_len))
			continue;
		if (pki_der_next(ext.val.p, ext.val.len, &ip, &next))
			return -EINVAL;
		if (next.tag == 0x01)
			return 0; /* criticality already stated */
		found = true;
	}
	if (!found)
		return -ENOENT;
	if (*len + 3 + 4 * 2 > cap) /* 3 bytes more, and each of 4 headers may grow by a byte or two */
		return -ENOSPC;
	uint8_t *mem = malloc(4 * cap);
	if (!mem)
		return -ENOMEM;
	uint8_t *b_ext = mem, *b_exts = mem + cap, *b_a3 = mem + 2 * cap, *b_tbs = mem + 3 * cap;
	struct pki_span none = {NULL, 0}, crit_span = {crit, sizeof(crit)};
	const uint8_t *ext_end = ext.val.p + ext.val.len;
	size_t n_ext = wrap3(b_ext, 0x30, ext_oid.whole, crit_span,
	                     span_between(ext_oid.whole.p + ext_oid.whole.len, ext_end));
	struct pki_span s_ext = {b_ext, n_ext};
	size_t n_exts = wrap3(b_exts, 0x30, span_between(exts.val.p, ext.whole.p), s_ext,
	                      span_between(ext.whole.p + ext.whole.len, exts.val.p + exts.val.len));
	struct pki_span s_exts = {b_exts, n_exts};
	size_t n_a3 = wrap3(b_a3, 0xA3, s_exts, none, none);
	struct pki_span s_a3 = {b_a3, n_a3};
	size_t n_tbs = wrap3(b_tbs, 0x30, span_between(t.val.p, a3.whole.p), s_a3,
	                     span_between(a3.whole.p + a3.whole.len, t.val.p + t.val.len));
	memcpy(tbs, b_tbs, n_tbs);
	*len = n_tbs;
	free(mem);
	return 0;
}

/* Howard Hinnant's civil-date algorithms: exact for the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void split_time(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s)
{
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem / 60 % 60);
	*s = (int)(rem % 60);
}

int pki_der_time_encode(int64_t t, uint8_t out[32])
{
	int64_t y;
	int mo, d, h, mi, s;
	split_time(t, &y, &mo, &d, &h, &mi, &s);
	if (y < 1950 || y > 9999)
		return -EINVAL;
	char text[20];
	if (y < 2050) {
		snprintf(text, sizeof(text), "%02d%02d%02d%02d%02d%02dZ", (int)(y % 100), mo, d, h, mi, s);
		out[0] = 0x17; /* UTCTime */
		out[1] = 13;
		memcpy(out + 2, text, 13);
		return 15;
	}
	snprintf(text, sizeof(text), "%04d%02d%02d%02d%02d%02dZ", (int)y, mo, d, h, mi, s);
	out[0] = 0x18; /* GeneralizedTime */
	out[1] = 15;
	memcpy(out + 2, text, 15);
	return 17;
}

static int digits(const uint8_t *p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int pki_der_time_decode(const struct pki_tlv *t, int64_t *out)
{
	const uint8_t *p = t->val.p;
	int year, mo, d, h, mi, s, off;
	if (t->tag == 0x17 && t->val.len == 13) {
		if (digits(p, 2, &year))
			return -EINVAL;
		year += year < 50 ? 2000 : 1900;
		off = 2;
	} else if (t->tag == 0x18 && t->val.len == 15) {
		if (digits(p, 4, &year))
			return -EINVAL;
		off = 4;
	} else {
		return -EINVAL;
	}
	if (digits(p + off, 2, &mo) || digits(p + off + 2, 2, &d) || digits(p + off + 4, 2, &h) ||
	    digits(p + off + 6, 2, &mi) || digits(p + off + 8, 2, &s) || p[off + 10] != 'Z')
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -EINVAL;
	*out = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

void pki_format_time(int64_t t, char out[32])
{
	int64_t y;
	int mo, d, h, mi, s;
	split_time(t, &y, &mo, &d, &h, &mi, &s);
	/* Through a larger buffer: gcc -O3 cannot prove the fields stay two digits. */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%04lld-%02d-%02d %02d:%02d:%02d UTC", (long long)y, mo, d, h, mi, s);
	size_t n = strnlen(tmp, 31);
	memcpy(out, tmp, n);
	out[n] = '\0';
}

int pki_cert_view(const uint8_t *der, size_t len, struct pki_cert_view *v)
{
	struct pki_tlv cert, tbs, t, nb, na;
	size_t pos = 0;
	memset(v, 0, sizeof(*v));
	if (der_expect(der, len, &pos, 0x30, &cert) || pos != len)
		return -EINVAL;
	const uint8_t *c = cert.val.p;
	size_t cend = cert.val.len, cpos = 0;
	if (der_expect(c, cend, &cpos, 0x30, &tbs))
		return -EINVAL;
	v->tbs = tbs.whole;
	const uint8_t *b = tbs.val.p;
	size_t end = tbs.val.len, p = 0;
	if (pki_der_next(b, end, &p, &t))
		return -EINVAL;
	if (t.tag == 0xA0 && pki_der_next(b, end, &p, &t)) /* [0] version */
		return -EINVAL;
	if (t.tag != 0x02 || t.val.len == 0)
		return -EINVAL;
	v->serial = t.val;
	if (der_expect(b, end, &p, 0x30, &t)) /* signature algorithm */
		return -EINVAL;
	if (der_expect(b, end, &p, 0x30, &t))
		return -EINVAL;
	v->issuer = t.whole;
	if (der_expect(b, end, &p, 0x30, &t))
		return -EINVAL;
	size_t vp = 0;
	if (pki_der_next(t.val.p, t.val.len, &vp, &nb) || pki_der_next(t.val.p, t.val.len, &vp, &na) ||
	    pki_der_time_decode(&nb, &v->not_before) || pki_der_time_decode(&na, &v->not_after))
		return -EINVAL;
	if (der_expect(b, end, &p, 0x30, &t))
		return -EINVAL;
	v->subject = t.whole;
	if (der_expect(b, end, &p, 0x30, &t))
		return -EINVAL;
	v->spki = t.whole;
	return 0;
}

static const struct {
	uint8_t oid[9];
	uint8_t len;
	const char *name;
} attr_names[] = {
    {{0x55, 0x04, 0x03}, 3, "CN"},
    {{0x55, 0x04, 0x0A}, 3, "O"},
    {{0x55, 0x04, 0x0B}, 3, "OU"},
    {{0x55, 0x04, 0x06}, 3, "C"},
    {{0x55, 0x04, 0x07}, 3, "L"},
    {{0x55, 0x04, 0x08}, 3, "ST"},
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01}, 9, "emailAddress"},
};

/* Calls fn for every AttributeTypeAndValue of a Name, in order. */
static int name_walk(struct pki_span name, int (*fn)(void *arg, struct pki_tlv *oid, struct pki_tlv *value),
                     void *arg)
{
	struct pki_tlv seq, rdn, atv, oid, value;
	size_t pos = 0;
	if (der_expect(name.p, name.len, &pos, 0x30, &seq))
		return -EINVAL;
	for (size_t rp = 0; rp < seq.val.len;) {
		if (der_expect(seq.val.p, seq.val.len, &rp, 0x31, &rdn))
			return -EINVAL;
		for (size_t ap = 0; ap < rdn.val.len;) {
			size_t ip = 0;
			if (der_expect(rdn.val.p, rdn.val.len, &ap, 0x30, &atv) ||
			    der_expect(atv.val.p, atv.val.len, &ip, 0x06, &oid) ||
			    pki_der_next(atv.val.p, atv.val.len, &ip, &value))
				return -EINVAL;
			int rc = fn(arg, &oid, &value);
			if (rc)
				return rc > 0 ? 0 : rc;
		}
	}
	return 0;
}

static void copy_printable(char *out, size_t cap, const struct pki_span *s)
{
	size_t o = 0;
	for (size_t i = 0; i < s->len && o + 5 < cap; i++) {
		uint8_t ch = s->p[i];
		if (ch >= 0x20 && ch < 0x7f)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
	}
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
}

struct cn_search {
	char *out;
	size_t cap;
};

static int find_cn(void *arg, struct pki_tlv *oid, struct pki_tlv *value)
{
	struct cn_search *cs = arg;
	if (oid->val.len == 3 && !memcmp(oid->val.p, attr_names[0].oid, 3)) {
		copy_printable(cs->out, cs->cap, &value->val);
		return 1; /* stop */
	}
	return 0;
}

void pki_name_common_name(struct pki_span name, char *out, size_t cap)
{
	struct cn_search cs = {out, cap};
	if (cap)
		out[0] = '\0';
	name_walk(name, find_cn, &cs);
}

struct name_text {
	char *out;
	size_t cap, used;
};

static int append_attr(void *arg, struct pki_tlv *oid, struct pki_tlv *value)
{
	struct name_text *nt = arg;
	const char *label = NULL;
	char dotted[64] = "";
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
		if (oid->val.len == attr_names[i].len && !memcmp(oid->val.p, attr_names[i].oid, oid->val.len))
			label = attr_names[i].name;
	}
	if (!label) {
		size_t o = 0;
		for (size_t i = 0; i < oid->val.len && o + 4 < sizeof(dotted); i++)
			o += (size_t)snprintf(dotted + o, sizeof(dotted) - o, "%s%02X", i ? "." : "",
			                      oid->val.p[i]);
		label = dotted;
	}
	char text[128];
	copy_printable(text, sizeof(text), &value->val);
	if (nt->used < nt->cap) {
		int n = snprintf(nt->out + nt->used, nt->cap - nt->used, "%s%s=%s", nt->used ? ", " : "",
		                 label, text);
		nt->used += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

void pki_name_format(struct pki_span name, char *out, size_t cap)
{
	struct name_text nt = {out, cap, 0};
	if (cap)
		out[0] = '\0';
	if (name_walk(name, append_attr, &nt) < 0 && cap)
		snprintf(out, cap, "(unreadable name)");
}
