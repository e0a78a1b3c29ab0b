/* A minimal, bounds-checked X.509 DER reader: only the fields a CTL record copies out of a certificate
 * (serial, issuer, subject, public key, signature). It validates structure, not trust; the key itself
 * is decoded by wolfCrypt. Kept here, rather than using wolfCrypt's DecodedCert, so that the record
 * fields are byte ranges of the certificate and behave the same on every wolfSSL build. */
#include <string.h>

#include "ctl/ctl_internal.h"

#define DER_SEQ 0x30
#define DER_SET 0x31
#define DER_INT 0x02
#define DER_BIT 0x03
#define DER_OID 0x06
#define DER_CTX0 0xA0

struct der_tlv {
	uint8_t tag;
	struct ctl_bytes val;   /* contents */
	struct ctl_bytes whole; /* tag, length and contents */
};

/* Read one TLV at *pos within [0, end). Definite lengths up to 3 length bytes; low tag numbers only. */
static int der_next(const uint8_t *buf, size_t end, size_t *pos, struct der_tlv *t)
{
	size_t p = *pos;
	if (end - p < 2)
		return -1;
	uint8_t tag = buf[p];
	if ((tag & 0x1f) == 0x1f)
		return -1;
	size_t n = buf[p + 1];
	p += 2;
	if (n & 0x80) {
		size_t nb = n & 0x7f;
		if (nb == 0 || nb > 3 || end - p < nb)
			return -1;
		n = 0;
		for (size_t i = 0; i < nb; i++)
			n = (n << 8) | buf[p + i];
		p += nb;
	}
	if (end - p < n)
		return -1;
	t->tag = tag;
	t->val.data = buf + p;
	t->val.len = n;
	t->whole.data = buf + *pos;
	t->whole.len = p + n - *pos;
	*pos = p + n;
	return 0;
}

static int der_expect(const uint8_t *buf, size_t end, size_t *pos, uint8_t tag, struct der_tlv *t)
{
	if (der_next(buf, end, pos, t) != 0 || t->tag != tag)
		return -1;
	return 0;
}

static const uint8_t oid_rsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};

int ctl_x509_parse(const uint8_t *der, size_t len, struct ctl_x509 *out)
{
	struct der_tlv cert, tbs, t, alg, oid;
	size_t pos = 0;
	memset(out, 0, sizeof(*out));
	if (der == NULL || der_expect(der, len, &pos, DER_SEQ, &cert) != 0 || pos != len)
		return -1;

	const uint8_t *c = cert.val.data;
	size_t cend = cert.val.len, cpos = 0;
	if (der_expect(c, cend, &cpos, DER_SEQ, &tbs) != 0)
		return -1;
	if (der_expect(c, cend, &cpos, DER_SEQ, &t) != 0) /* signatureAlgorithm */
		return -1;
	if (der_expect(c, cend, &cpos, DER_BIT, &t) != 0 || t.val.len < 1 || t.val.data[0] != 0)
		return -1;
	out->signature.data = t.val.data + 1;
	out->signature.len = t.val.len - 1;

	const uint8_t *b = tbs.val.data;
	size_t bend = tbs.val.len, bpos = 0;
	if (der_next(b, bend, &bpos, &t) != 0)
		return -1;
	if (t.tag == DER_CTX0 && der_next(b, bend, &bpos, &t) != 0) /* skip [0] version */
		return -1;
	if (t.tag != DER_INT || t.val.len < 1)
		return -1;
	out->serial = ctl_serial_norm(t.val);
	if (der_expect(b, bend, &bpos, DER_SEQ, &t) != 0) /* signature AlgorithmIdentifier */
		return -1;
	if (der_expect(b, bend, &bpos, DER_SEQ, &t) != 0)
		return -1;
	out->issuer = t.whole;
	if (der_expect(b, bend, &bpos, DER_SEQ, &t) != 0) /* validity */
		return -1;
	if (der_expect(b, bend, &bpos, DER_SEQ, &t) != 0)
		return -1;
	out->subject = t.whole;
	struct der_tlv spki;
	if (der_expect(b, bend, &bpos, DER_SEQ, &spki) != 0)
		return -1;
	out->spki = spki.whole;

	size_t spos = 0;
	if (der_expect(spki.val.data, spki.val.len, &spos, DER_SEQ, &alg) != 0)
		return -1;
	size_t apos = 0;
	if (der_expect(alg.val.data, alg.val.len, &apos, DER_OID, &oid) != 0)
		return -1;
	out->rsa = oid.val.len == sizeof(oid_rsa) && memcmp(oid.val.data, oid_rsa, sizeof(oid_rsa)) == 0;
	if (der_expect(spki.val.data, spki.val.len, &spos, DER_BIT, &t) != 0 || t.val.len < 2 ||
	    t.val.data[0] != 0)
		return -1;
	out->public_key.data = t.val.data + 1;
	out->public_key.len = t.val.len - 1;
	return 0;
}

struct attr_name {
	uint8_t oid_len;
	uint8_t oid[10];
	const char *label;
};

/* Attribute labels as CUCM prints them. Others are left out, as CU-TLV does (UNCONFIRMED what CUCM
 * does with rarer attributes). */
static const struct attr_name attr_names[] = {
    {3, {0x55, 0x04, 0x03}, "CN"},
    {3, {0x55, 0x04, 0x0B}, "OU"},
    {3, {0x55, 0x04, 0x0A}, "O"},
    {3, {0x55, 0x04, 0x07}, "L"},
    {3, {0x55, 0x04, 0x08}, "ST"},
    {3, {0x55, 0x04, 0x06}, "C"},
    {3, {0x55, 0x04, 0x09}, "STREET"},
    {3, {0x55, 0x04, 0x05}, "SERIALNUMBER"},
    {9, {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01}, "EMAILADDRESS"},
    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19}, "DC"},
};

static const char *attr_label(struct ctl_bytes oid)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (attr_names[i].oid_len == oid.len && memcmp(attr_names[i].oid, oid.data, oid.len) == 0)
			return attr_names[i].label;
	return NULL;
}

#define MAX_ATTRS 32

struct name_attr {
	const char *label;
	struct ctl_bytes value;
};

/* Collect the AttributeTypeAndValues of a Name in DER order. Returns the count or -1. */
static int name_attrs(struct ctl_bytes name, struct name_attr *out, int max)
{
	struct der_tlv seq, set, atv, oid, val;
	size_t pos = 0;
	int n = 0;
	if (der_expect(name.data, name.len, &pos, DER_SEQ, &seq) != 0)
		return -1;
	size_t spos = 0;
	while (spos < seq.val.len) {
		if (der_expect(seq.val.data, seq.val.len, &spos, DER_SET, &set) != 0)
			return -1;
		size_t tpos = 0;
		while (tpos < set.val.len) {
			if (der_expect(set.val.data, set.val.len, &tpos, DER_SEQ, &atv) != 0)
				return -1;
			size_t apos = 0;
			if (der_expect(atv.val.data, atv.val.len, &apos, DER_OID, &oid) != 0 ||
			    der_next(atv.val.data, atv.val.len, &apos, &val) != 0)
				return -1;
			if (n == max)
				return -1;
			out[n].label = attr_label(oid.val);
			out[n].value = val.val;
			n++;
		}
	}
	return n;
}

size_t ctl_x509_name_str(struct ctl_bytes name, enum ctl_name_order order, char *buf, size_t cap)
{
	struct name_attr attrs[MAX_ATTRS];
	int n = name_attrs(name, attrs, MAX_ATTRS);
	if (n < 0)
		return (size_t)-1;
	size_t need = 0;
	for (int k = 0; k < n; k++) {
		const struct name_attr *a = &attrs[order == CTL_NAME_DER ? k : n - 1 - k];
		if (a->label == NULL)
			continue;
		char sep[2] = {';', 0};
		const char *parts[3] = {need ? sep : "", a->label, "="};
		for (int i = 0; i < 3; i++)
			for (const char *s = parts[i]; *s; s++, need++)
				if (need + 1 < cap)
					buf[need] = *s;
		for (size_t i = 0; i < a->value.len; i++, need++) {
			/* A NUL would end the CTL string early. */
			char ch = a->value.data[i] ? (char)a->value.data[i] : '?';
			if (need + 1 < cap)
				buf[need] = ch;
		}
	}
	if (cap > 0)
		buf[need < cap ? need : cap - 1] = '\0';
	return need;
}

struct ctl_bytes ctl_x509_cn(struct ctl_bytes name)
{
	struct name_attr attrs[MAX_ATTRS];
	struct ctl_bytes none = {NULL, 0};
	int n = name_attrs(name, attrs, MAX_ATTRS);
	for (int k = 0; k < n; k++)
		if (attrs[k].label != NULL && strcmp(attrs[k].label, "CN") == 0)
			return attrs[k].value;
	return none;
}
