/* Signed CTL/ITL builder for the lab CallManager and the tests. Layout:
 *   header  1, 2, [28], 3{4, 5, 6}, 7{8, 9{10, 11}}, 12, 14, 15, 13 padding to a multiple of 4
 *   record  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, [11, 12]   (a record without certificate: 1, 2, 4, 10)
 * Record fields are copied out of each certificate. The signature is PKCS#1 v1.5 over the file without
 * the SIGNATURE TLV; it is deterministic, so the whole output is. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <string.h>

#include "ctl/ctl_internal.h"

/* Counts everything, stores what fits: one pass gives the size and, with room, the bytes. */
struct wr {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	bool too_large; /* some length would not fit its u16 */
};

static void put(struct wr *w, const void *p, size_t n)
{
	if (w->buf != NULL && w->pos <= w->cap && n <= w->cap - w->pos && n > 0)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

static void put_u8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_be16(struct wr *w, size_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	if (v > 0xffff)
		w->too_large = true;
	put(w, b, 2);
}

static void patch_be16(struct wr *w, size_t at, size_t v)
{
	if (v > 0xffff)
		w->too_large = true;
	if (w->buf != NULL && at + 2 <= w->cap) {
		w->buf[at] = (uint8_t)(v >> 8);
		w->buf[at + 1] = (uint8_t)v;
	}
}

static void put_tl(struct wr *w, unsigned tag, size_t len)
{
	put_u8(w, (uint8_t)tag);
	put_be16(w, len);
}

static void put_tlv(struct wr *w, unsigned tag, const void *v, size_t len)
{
	put_tl(w, tag, len);
	put(w, v, len);
}

static void put_str(struct wr *w, unsigned tag, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_tl(w, tag, n + 1);
	put(w, s ? s : "", n);
	put_u8(w, 0);
}

static size_t name_len(struct ctl_bytes name, enum ctl_name_order order)
{
	return ctl_x509_name_str(name, order, NULL, 0);
}

/* A DN string TLV rendered straight into the output. */
static void put_name(struct wr *w, unsigned tag, struct ctl_bytes name, enum ctl_name_order order)
{
	size_t n = name_len(name, order);
	put_tl(w, tag, n + 1);
	if (w->buf != NULL && w->pos <= w->cap && n + 1 <= w->cap - w->pos)
		ctl_x509_name_str(name, order, (char *)w->buf + w->pos, n + 1);
	w->pos += n + 1;
}

struct rec_in {
	const struct ctl_build_record *r;
	struct ctl_x509 x; /* when r->cert */
	uint8_t hash[64];
};

static void put_record(struct wr *w, const struct rec_in *in, const struct ctl_build_params *p)
{
	const struct ctl_build_record *r = in->r;
	size_t at = w->pos;
	put_tl(w, CTL_REC_LENGTH, 2);
	put_be16(w, 0);
	put_str(w, CTL_REC_DNS_NAME, r->dns_name);
	if (r->cert != NULL)
		put_name(w, CTL_REC_SUBJECT_NAME, in->x.subject, p->name_order);
	put_tl(w, CTL_REC_FUNCTION, 2);
	put_be16(w, r->role);
	if (r->cert != NULL) {
		put_name(w, CTL_REC_ISSUER_NAME, in->x.issuer, p->name_order);
		put_tlv(w, CTL_REC_SERIAL_NUMBER, in->x.serial.data, in->x.serial.len);
		put_tlv(w, CTL_REC_PUBLIC_KEY, in->x.public_key.data, in->x.public_key.len);
		put_tlv(w, CTL_REC_SIGNATURE, in->x.signature.data, in->x.signature.len);
		put_tlv(w, CTL_REC_CERTIFICATE, r->cert, r->cert_len);
	}
	put_tlv(w, CTL_REC_IP_ADDRESS, r->ip, 4);
	if (r->cert != NULL && p->record_hash != CTL_DIGEST_NONE) {
		put_tlv(w, CTL_REC_CERT_HASH, in->hash, ctl_digest_size(p->record_hash));
		put_tl(w, CTL_REC_HASH_ALGORITHM, 1);
		put_u8(w, (uint8_t)p->record_hash);
	}
	patch_be16(w, at + 3, w->pos - at);
}

static int hash_oid(unsigned digest)
{
	switch (digest) {
	case CTL_DIGEST_SHA1:
		return wc_HashGetOID(WC_HASH_TYPE_SHA);
	case CTL_DIGEST_SHA256:
		return wc_HashGetOID(WC_HASH_TYPE_SHA256);
	case CTL_DIGEST_SHA512:
		return wc_HashGetOID(WC_HASH_TYPE_SHA512);
	}
	return -1;
}

/* Does the private key belong to the certificate? Compare modulus and exponent. */
static bool key_matches_cert(RsaKey *priv, const struct ctl_x509 *x)
{
	RsaKey pub;
	word32 idx = 0;
	uint8_t e1[16], e2[16], n1[512], n2[512];
	word32 e1l = sizeof(e1), e2l = sizeof(e2), n1l = sizeof(n1), n2l = sizeof(n2);
	bool same = false;
	if (wc_InitRsaKey(&pub, NULL) != 0)
		return false;
	if (wc_RsaPublicKeyDecode(x->spki.data, &idx, &pub, (word32)x->spki.len) == 0 &&
	    wc_RsaFlattenPublicKey(priv, e1, &e1l, n1, &n1l) == 0 &&
	    wc_RsaFlattenPublicKey(&pub, e2, &e2l, n2, &n2l) == 0)
		same = e1l == e2l && n1l == n2l && memcmp(e1, e2, e1l) == 0 && memcmp(n1, n2, n1l) == 0;
	wc_FreeRsaKey(&pub);
	return same;
}

static enum ctl_err sign(uint8_t *out, size_t len, size_t sig_at, size_t sig_len, unsigned digest,
                         RsaKey *key, struct ctl_error *err)
{
	uint8_t h[64], enc[128];
	size_t cut_end = sig_at + 3 + sig_len;
	if (ctl_hash2(digest, out, sig_at, out + cut_end, len - cut_end, h) != 0)
		return ctl_fail(err, CTL_ERR_CRYPTO, -1, -1, -1, "hashing with %s failed",
		                ctl_digest_name(digest));
	word32 elen = wc_EncodeSignature(enc, h, (word32)ctl_digest_size(digest), hash_oid(digest));
	if (elen == 0)
		return ctl_fail(err, CTL_ERR_CRYPTO, -1, -1, -1, "wc_EncodeSignature failed");
	/* The RNG only blinds the private-key operation; PKCS#1 v1.5 output does not depend on it. */
	WC_RNG rng;
	if (wc_InitRng(&rng) != 0)
		return ctl_fail(err, CTL_ERR_CRYPTO, -1, -1, -1, "wc_InitRng failed");
	int rc = wc_RsaSSL_Sign(enc, elen, out + sig_at + 3, (word32)sig_len, key, &rng);
	wc_FreeRng(&rng);
	if (rc != (int)sig_len)
		return ctl_fail(err, CTL_ERR_CRYPTO, -1, -1, -1, "wc_RsaSSL_Sign failed (%d)", rc);
	return CTL_OK;
}

enum ctl_err ctl_build(const struct ctl_build_params *p, uint8_t *out, size_t cap, size_t *out_len,
                       struct ctl_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (p == NULL || out_len == NULL || p->sast_key == NULL || p->sast_cert == NULL ||
	    (p->n_records > 0 && p->records == NULL))
		return ctl_fail(err, CTL_ERR_ARG, -1, -1, -1, "ctl_build: NULL argument");
	*out_len = 0;
	unsigned digest = p->digest == CTL_DIGEST_NONE ? CTL_DIGEST_SHA1 : p->digest;
	if (ctl_digest_size(digest) == 0 ||
	    (p->record_hash != CTL_DIGEST_NONE && ctl_digest_size(p->record_hash) == 0))
		return ctl_fail(err, CTL_ERR_UNSUPPORTED, -1, -1, -1, "ctl_build: digest %u is not 1, 2 or 3",
		                ctl_digest_size(digest) == 0 ? digest : (unsigned)p->record_hash);
	if (p->n_records > 4096)
		return ctl_fail(err, CTL_ERR_TOO_LARGE, -1, -1, -1, "ctl_build: %zu records", p->n_records);

	struct ctl_x509 signer;
	if (ctl_x509_parse(p->sast_cert, p->sast_cert_len, &signer) != 0)
		return ctl_fail(err, CTL_ERR_BAD_CERT, -1, -1, -1,
		                "ctl_build: the SAST certificate is not X.509 DER");
	if (!signer.rsa)
		return ctl_fail(err, CTL_ERR_BAD_KEY, -1, -1, -1,
		                "ctl_build: the SAST certificate's key is not RSA");

	/* The records as written, with the signer's SAST record first if the caller left it out. */
	bool add_sast = !p->no_auto_sast;
	for (size_t i = 0; i < p->n_records && add_sast; i++) {
		const struct ctl_build_record *r = &p->records[i];
		if (r->role == CTL_ROLE_SAST && r->cert != NULL && r->cert_len == p->sast_cert_len &&
		    memcmp(r->cert, p->sast_cert, r->cert_len) == 0)
			add_sast = false;
	}
	struct ctl_build_record sast_rec = {CTL_ROLE_SAST, p->sast_cert, p->sast_cert_len, {0}, ""};
	size_t n = p->n_records + (add_sast ? 1 : 0);
	RsaKey key;
	if (wc_InitRsaKey(&key, NULL) != 0)
		return ctl_fail(err, CTL_ERR_CRYPTO, -1, -1, -1, "wc_InitRsaKey failed");
	enum ctl_err rc = CTL_OK;
	word32 idx = 0;
	if (wc_RsaPrivateKeyDecode(p->sast_key, &idx, &key, (word32)p->sast_key_len) != 0) {
		rc = ctl_fail(err, CTL_ERR_BAD_KEY, -1, -1, -1,
		              "ctl_build: the SAST key is not an RSA private key (DER)");
		goto out;
	}
	if (!key_matches_cert(&key, &signer)) {
		rc = ctl_fail(err, CTL_ERR_KEY_MISMATCH, -1, -1, -1,
		              "ctl_build: the SAST key does not belong to the SAST certificate");
		goto out;
	}
	int ks = wc_RsaEncryptSize(&key);
	uint8_t modulus;
	switch (ks) {
	case 64:
		modulus = 0;
		break;
	case 128:
		modulus = 1;
		break;
	case 256:
		modulus = 2;
		break;
	case 512:
		modulus = 3;
		break;
	default:
		rc = ctl_fail(err, CTL_ERR_UNSUPPORTED, -1, -1, -1,
		              "ctl_build: a %d-bit key has no SIGNATURE_MODULUS code (512, 1024, 2048, 4096)",
		              ks * 8);
		goto out;
	}
	size_t sig_len = (size_t)ks;

	struct wr w = {out, out ? cap : 0, 0, false};
	put_tl(&w, CTL_HDR_VERSION, 2);
	put_u8(&w, p->version_major || p->version_minor ? p->version_major : 1);
	put_u8(&w, p->version_major || p->version_minor ? p->version_minor : 2);
	put_tl(&w, CTL_HDR_HEADER_LENGTH, 2);
	put_be16(&w, 0);
	if (p->signer_version) {
		put_tl(&w, CTL_HDR_SIGNER_VERSION, 2);
		put_u8(&w, p->signer_version_major);
		put_u8(&w, p->signer_version_minor);
	}
	size_t sn = name_len(signer.subject, p->name_order), ca = name_len(signer.issuer, p->name_order);
	put_tl(&w, CTL_HDR_SIGNER_ID, (3 + sn + 1) + (3 + signer.serial.len) + (3 + ca + 1));
	put_name(&w, CTL_HDR_SIGNER_NAME, signer.subject, p->name_order);
	put_tlv(&w, CTL_HDR_SERIAL_NUMBER, signer.serial.data, signer.serial.len);
	put_name(&w, CTL_HDR_CA_NAME, signer.issuer, p->name_order);
	put_tl(&w, CTL_HDR_SIGNATURE_INFO, 15);
	put_tl(&w, CTL_HDR_DIGEST_ALGORITHM, 1);
	put_u8(&w, (uint8_t)digest);
	put_tl(&w, CTL_HDR_SIGNATURE_ALGO_INFO, 8);
	put_tl(&w, CTL_HDR_SIGNATURE_ALGORITHM, 1);
	put_u8(&w, 0);
	put_tl(&w, CTL_HDR_SIGNATURE_MODULUS, 1);
	put_u8(&w, modulus);
	size_t sig_at = w.pos;
	put_tl(&w, CTL_HDR_SIGNATURE, sig_len);
	for (size_t i = 0; i < sig_len; i++)
		put_u8(&w, 0);
	put_str(&w, CTL_HDR_FILENAME, p->filename ? p->filename : "CTLFile.tlv");
	put_tl(&w, CTL_HDR_TIMESTAMP, 4);
	uint8_t ts[4] = {(uint8_t)(p->timestamp >> 24), (uint8_t)(p->timestamp >> 16),
	                 (uint8_t)(p->timestamp >> 8), (uint8_t)p->timestamp};
	put(&w, ts, 4);
	while (w.pos % 4)
		put_u8(&w, CTL_HDR_PADDING);
	patch_be16(&w, 8, w.pos);
	if (w.too_large) {
		rc = ctl_fail(err, CTL_ERR_TOO_LARGE, 0, 0, -1, "ctl_build: the header exceeds 65535 bytes");
		goto out;
	}

	for (size_t i = 0; i < n; i++) {
		struct rec_in in;
		memset(&in, 0, sizeof(in));
		in.r = add_sast ? (i == 0 ? &sast_rec : &p->records[i - 1]) : &p->records[i];
		if (in.r->cert != NULL) {
			if (ctl_x509_parse(in.r->cert, in.r->cert_len, &in.x) != 0) {
				rc = ctl_fail(
				    err, CTL_ERR_BAD_CERT, -1, (int)i + 1, CTL_REC_CERTIFICATE,
				    "ctl_build: record %zu: the certificate (%zu bytes) is not X.509 DER",
				    i + 1, in.r->cert_len);
				goto out;
			}
			if (p->record_hash != CTL_DIGEST_NONE &&
			    ctl_hash2(p->record_hash, in.r->cert, in.r->cert_len, NULL, 0, in.hash) != 0) {
				rc = ctl_fail(err, CTL_ERR_CRYPTO, -1, (int)i + 1, -1,
				              "ctl_build: hashing failed");
				goto out;
			}
		}
		size_t before = w.pos;
		put_record(&w, &in, p);
		if (w.too_large) {
			rc = ctl_fail(err, CTL_ERR_TOO_LARGE, (long)before, (int)i + 1, -1,
			              "ctl_build: record %zu at offset %zu: a length exceeds 65535", i + 1,
			              before);
			goto out;
		}
	}
	*out_len = w.pos;
	if (out == NULL || w.pos > cap) {
		rc =
		    ctl_fail(err, CTL_ERR_NO_SPACE, -1, -1, -1,
		             "ctl_build: the file needs %zu bytes, the buffer has %zu", w.pos, out ? cap : 0);
		goto out;
	}
	rc = sign(out, w.pos, sig_at, sig_len, digest, &key, err);
out:
	wc_FreeRsaKey(&key);
	return rc;
}
