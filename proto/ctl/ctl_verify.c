/* CTL signature check (protocol.md §6.4): RSA PKCS#1 v1.5 over the file without the header SIGNATURE
 * TLV, with the key of the SAST record whose serial equals the header's, optionally pinned. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <stdio.h>
#include <string.h>

#include "ctl/ctl_internal.h"

size_t ctl_sast_certs(const struct ctl_file *f, struct ctl_bytes *out, size_t max)
{
	size_t n = 0;
	if (f == NULL)
		return 0;
	for (size_t i = 0; i < f->n_records; i++) {
		const struct ctl_record *r = &f->records[i];
		if (!CTL_HAS(r, CTL_REC_FUNCTION) || r->role != CTL_ROLE_SAST || r->cert.len == 0)
			continue;
		if (out != NULL && n < max)
			out[n] = r->cert;
		n++;
	}
	return n;
}

/* "CN=..." of a record, for messages: the certificate's CN, else the SUBJECT_NAME string. */
static void signer_label(const struct ctl_record *r, char *buf, size_t cap)
{
	struct ctl_x509 x;
	if (ctl_x509_parse(r->cert.data, r->cert.len, &x) == 0) {
		struct ctl_bytes cn = ctl_x509_cn(x.subject);
		if (cn.len > 0) {
			snprintf(buf, cap, "CN=%.*s", (int)(cn.len > 128 ? 128 : cn.len),
			         (const char *)cn.data);
			return;
		}
	}
	snprintf(buf, cap, "%.*s", (int)(r->subject.len > 160 ? 160 : r->subject.len),
	         r->subject.len ? (const char *)r->subject.data : "");
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

/* Load the signer's RSA key: from its certificate when there is one (and then PUBLIC_KEY, if present,
 * must be the certificate's key, so pinning the certificate pins the key), else from PUBLIC_KEY. */
static enum ctl_err signer_key(const struct ctl_record *r, int recno, RsaKey *key, struct ctl_error *err)
{
	word32 idx = 0;
	if (r->cert.len > 0) {
		struct ctl_x509 x;
		if (ctl_x509_parse(r->cert.data, r->cert.len, &x) != 0)
			return ctl_fail(err, CTL_ERR_BAD_CERT, (long)r->offset, recno, CTL_REC_CERTIFICATE,
			                "record %d: the signer's CERTIFICATE (%zu bytes) is not X.509 DER",
			                recno, r->cert.len);
		if (!x.rsa)
			return ctl_fail(err, CTL_ERR_BAD_KEY, (long)r->offset, recno, CTL_REC_CERTIFICATE,
			                "record %d: the signer's certificate key is not RSA", recno);
		if (r->public_key.len > 0 && !ctl_bytes_eq(r->public_key, x.public_key))
			return ctl_fail(
			    err, CTL_ERR_KEY_MISMATCH, (long)r->offset, recno, CTL_REC_PUBLIC_KEY,
			    "record %d: PUBLIC_KEY differs from the key in the record's certificate", recno);
		if (wc_RsaPublicKeyDecode(x.spki.data, &idx, key, (word32)x.spki.len) != 0)
			return ctl_fail(err, CTL_ERR_BAD_KEY, (long)r->offset, recno, CTL_REC_CERTIFICATE,
			                "record %d: cannot decode the RSA key of the signer's certificate",
			                recno);
		return CTL_OK;
	}
	if (r->public_key.len == 0)
		return ctl_fail(err, CTL_ERR_MISSING, (long)r->offset, recno, CTL_REC_PUBLIC_KEY,
		                "record %d: the signer record has neither CERTIFICATE nor PUBLIC_KEY", recno);
	if (wc_RsaPublicKeyDecode(r->public_key.data, &idx, key, (word32)r->public_key.len) != 0)
		return ctl_fail(err, CTL_ERR_BAD_KEY, (long)r->offset, recno, CTL_REC_PUBLIC_KEY,
		                "record %d: PUBLIC_KEY (%zu bytes) is not an RSA public key", recno,
		                r->public_key.len);
	return CTL_OK;
}

static enum ctl_err check_with(const struct ctl_file *f, size_t i, const struct ctl_verify_opts *opts,
                               struct ctl_error *err)
{
	const struct ctl_record *r = &f->records[i];
	int recno = (int)i + 1;
	char who[192];
	bool pinning = opts != NULL && opts->n_pins > 0;
	signer_label(r, who, sizeof(who));

	if (pinning && r->cert.len == 0)
		return ctl_fail(
		    err, CTL_ERR_NOT_PINNED, (long)r->offset, recno, CTL_REC_CERTIFICATE,
		    "signer not pinned: record %d (%s) has no certificate to compare with the %zu pinned",
		    recno, who, opts->n_pins);

	RsaKey key;
	if (wc_InitRsaKey(&key, NULL) != 0)
		return ctl_fail(err, CTL_ERR_CRYPTO, -1, recno, -1, "wc_InitRsaKey failed");
	enum ctl_err rc = signer_key(r, recno, &key, err);
	if (rc != CTL_OK)
		goto out;

	int ksize = wc_RsaEncryptSize(&key);
	if (ksize <= 0 || (size_t)ksize != f->signature.len) {
		rc = ctl_fail(
		    err, CTL_ERR_BAD_SIGNATURE, (long)f->signature_tlv_offset, 0, CTL_HDR_SIGNATURE,
		    "signature does not verify (%s, signer %s): it is %zu bytes, the signer's key %d bits",
		    ctl_digest_name(f->digest_alg), who, f->signature.len, ksize * 8);
		goto out;
	}

	/* Signed data: everything but the SIGNATURE TLV (tag, length and value). */
	size_t cut = f->signature_tlv_offset, cut_end = cut + 3 + f->signature.len;
	uint8_t digest[64];
	if (ctl_hash2(f->digest_alg, f->buf, cut, f->buf + cut_end, f->len - cut_end, digest) != 0) {
		rc = ctl_fail(err, CTL_ERR_CRYPTO, -1, 0, -1, "hashing with %s failed",
		              ctl_digest_name(f->digest_alg));
		goto out;
	}
	uint8_t expect[128];
	word32 elen = wc_EncodeSignature(expect, digest, (word32)ctl_digest_size(f->digest_alg),
	                                 hash_oid(f->digest_alg));
	uint8_t sig[512];
	uint8_t *plain = NULL;
	memcpy(sig, f->signature.data, f->signature.len);
	int plen = wc_RsaSSL_VerifyInline(sig, (word32)f->signature.len, &plain, &key);
	if (elen == 0 || plen < 0 || (word32)plen != elen || memcmp(plain, expect, elen) != 0) {
		rc = ctl_fail(err, CTL_ERR_BAD_SIGNATURE, (long)f->signature_tlv_offset, 0, CTL_HDR_SIGNATURE,
		              "signature does not verify (%s, signer %s, record %d)",
		              ctl_digest_name(f->digest_alg), who, recno);
		goto out;
	}

	if (pinning) {
		bool pinned = false;
		for (size_t k = 0; k < opts->n_pins && !pinned; k++)
			pinned = ctl_bytes_eq(opts->pins[k], r->cert);
		if (!pinned) {
			rc = ctl_fail(
			    err, CTL_ERR_NOT_PINNED, (long)r->offset, recno, CTL_REC_CERTIFICATE,
			    "signer not pinned: the file is signed by record %d (%s), which is none of the "
			    "%zu pinned SAST certificates",
			    recno, who, opts->n_pins);
			goto out;
		}
	}
out:
	wc_FreeRsaKey(&key);
	return rc;
}

static enum ctl_err check_cert_hashes(const struct ctl_file *f, struct ctl_error *err)
{
	for (size_t i = 0; i < f->n_records; i++) {
		const struct ctl_record *r = &f->records[i];
		int recno = (int)i + 1;
		if (!CTL_HAS(r, CTL_REC_CERT_HASH))
			continue;
		size_t n = ctl_digest_size(r->hash_alg);
		if (n == 0)
			return ctl_fail(
			    err, CTL_ERR_UNSUPPORTED, (long)r->offset, recno, CTL_REC_HASH_ALGORITHM,
			    "record %d: HASH_ALGORITHM %u is not SHA-1 (1), SHA-256 (2) or SHA-512 (3)",
			    recno, r->hash_alg);
		uint8_t h[64];
		if (ctl_hash2(r->hash_alg, r->cert.data, r->cert.len, NULL, 0, h) != 0)
			return ctl_fail(err, CTL_ERR_CRYPTO, -1, recno, -1, "hashing failed");
		if (r->cert_hash.len != n || memcmp(h, r->cert_hash.data, n) != 0)
			return ctl_fail(
			    err, CTL_ERR_CERT_HASH, (long)r->offset, recno, CTL_REC_CERT_HASH,
			    "record %d: CERTIFICATE_HASH does not match the %s of its certificate", recno,
			    ctl_digest_name(r->hash_alg));
	}
	return CTL_OK;
}

enum ctl_err ctl_verify(const struct ctl_file *f, const struct ctl_verify_opts *opts, size_t *signer_index,
                        struct ctl_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (f == NULL || f->buf == NULL || (opts != NULL && opts->n_pins > 0 && opts->pins == NULL))
		return ctl_fail(err, CTL_ERR_ARG, -1, -1, -1, "ctl_verify: NULL argument");

	static const struct {
		unsigned tag;
		const char *name;
	} need[] = {{CTL_HDR_SIGNATURE, "SIGNATURE (12)"},
	            {CTL_HDR_SERIAL_NUMBER, "SERIAL_NUMBER (5)"},
	            {CTL_HDR_DIGEST_ALGORITHM, "DIGEST_ALGORITHM (8)"}};
	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
		if (!CTL_HAS(f, need[k].tag))
			return ctl_fail(err, CTL_ERR_MISSING, -1, 0, (int)need[k].tag, "header: no %s",
			                need[k].name);
	if (ctl_digest_size(f->digest_alg) == 0)
		return ctl_fail(err, CTL_ERR_UNSUPPORTED, -1, 0, CTL_HDR_DIGEST_ALGORITHM,
		                "header: DIGEST_ALGORITHM %u is not SHA-1 (1), SHA-256 (2) or SHA-512 (3)",
		                f->digest_alg);
	if (CTL_HAS(f, CTL_HDR_SIGNATURE_ALGORITHM) && f->sig_alg != 0)
		return ctl_fail(err, CTL_ERR_UNSUPPORTED, -1, 0, CTL_HDR_SIGNATURE_ALGORITHM,
		                "header: SIGNATURE_ALGORITHM %u is not RSA (0)", f->sig_alg);
	if (f->signature.len == 0 || f->signature.len > 512)
		return ctl_fail(
		    err, CTL_ERR_BAD_SIGNATURE, (long)f->signature_tlv_offset, 0, CTL_HDR_SIGNATURE,
		    "header: SIGNATURE is %zu bytes; RSA signatures here are 64 to 512", f->signature.len);

	/* Candidates: SAST records with the header's serial (leading zero bytes ignored). Normally one. */
	struct ctl_bytes want = ctl_serial_norm(f->serial);
	enum ctl_err first_rc = CTL_OK;
	struct ctl_error first_err;
	size_t candidates = 0;
	for (size_t i = 0; i < f->n_records; i++) {
		const struct ctl_record *r = &f->records[i];
		if (!CTL_HAS(r, CTL_REC_FUNCTION) || r->role != CTL_ROLE_SAST ||
		    !CTL_HAS(r, CTL_REC_SERIAL_NUMBER) || !ctl_bytes_eq(ctl_serial_norm(r->serial), want))
			continue;
		candidates++;
		struct ctl_error e;
		enum ctl_err rc = check_with(f, i, opts, &e);
		if (rc == CTL_OK) {
			if (opts != NULL && (opts->flags & CTL_VERIFY_CERT_HASHES)) {
				rc = check_cert_hashes(f, err);
				if (rc != CTL_OK)
					return rc;
			}
			if (signer_index != NULL)
				*signer_index = i;
			return CTL_OK;
		}
		if (first_rc == CTL_OK) {
			first_rc = rc;
			first_err = e;
		}
	}
	if (candidates == 0) {
		char hex[100];
		size_t sast = 0;
		for (size_t i = 0; i < f->n_records; i++)
			sast +=
			    CTL_HAS(&f->records[i], CTL_REC_FUNCTION) && f->records[i].role == CTL_ROLE_SAST;
		return ctl_fail(err, CTL_ERR_NO_SIGNER, -1, 0, CTL_HDR_SERIAL_NUMBER,
		                "no SAST record with serial %s (the file has %zu SAST records)",
		                ctl_hex_colon(f->serial.data, f->serial.len, hex, sizeof(hex)), sast);
	}
	if (err != NULL)
		*err = first_err;
	return first_rc;
}
