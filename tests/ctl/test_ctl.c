/* proto/ctl: build, parse, verify, select and format CTL/ITL files, with keys and certificates made
 * when the test runs. Damaged files (every flipped byte, every truncation, bad lengths) must fail with
 * a message, never crash. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/ctl.h"
#include "ctl_test_pki.h"

#define FILE_CAP 65536
#define TS 1700000000u

static struct test_id id_sast, id_ca, id_pub, id_sub, id_tftp, id_rogue, id_capf, id_tvs;
static const uint8_t serial_sast[] = {0x9A, 0x3F, 0x01, 0x02}; /* high bit: DER adds a 00 byte */
static struct ctl_file g_file;                                 /* big: keep it off the stack */
static struct ctl_file g_file2;

static int setup_pki(void **state)
{
	(void)state;
	static const uint8_t s_ca[] = {0x01}, s_pub[] = {0x70, 0xCA, 0xF6, 0x4E}, s_sub[] = {0x6B, 0xEB},
	                     s_tftp[] = {0x33}, s_rogue[] = {0x9A, 0x3F, 0x01, 0x02}, s_capf[] = {0x44},
	                     s_tvs[] = {0x55};
	if (test_pki_make(&id_sast, 2048, "SAST-lab-01", "vmport lab", "Voice", serial_sast,
	                  sizeof(serial_sast), NULL) != 0 ||
	    test_pki_make(&id_ca, 2048, "Lab Root CA", "vmport lab", "PKI", s_ca, sizeof(s_ca), NULL) != 0 ||
	    test_pki_make(&id_pub, 2048, "cucm-pub", "vmport lab", "Voice", s_pub, sizeof(s_pub), &id_ca) !=
	        0 ||
	    test_pki_make(&id_sub, 2048, "cucm-sub1", "vmport lab", "Voice", s_sub, sizeof(s_sub), &id_ca) !=
	        0 ||
	    test_pki_make(&id_tftp, 2048, "tftp-1", "vmport lab", "Voice", s_tftp, sizeof(s_tftp), NULL) !=
	        0 ||
	    /* Same serial as the real SAST: only the certificate tells them apart. */
	    test_pki_make(&id_rogue, 2048, "SAST-rogue", "elsewhere", "Voice", s_rogue, sizeof(s_rogue),
	                  NULL) != 0 ||
	    test_pki_make(&id_capf, 2048, "CAPF-1234", "vmport lab", "Voice", s_capf, sizeof(s_capf), NULL) !=
	        0 ||
	    test_pki_make(&id_tvs, 2048, "cucm-pub-tvs", "vmport lab", "Voice", s_tvs, sizeof(s_tvs), NULL) !=
	        0)
		return -1;
	return 0;
}

/* ---- helpers ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t off_of(const uint8_t *base, struct ctl_bytes b)
{
	return (size_t)(b.data - base);
}

static void std_records(struct ctl_build_record r[4])
{
	memset(r, 0, 4 * sizeof(*r));
	r[0] = (struct ctl_build_record){CTL_ROLE_SAST, id_sast.cert, id_sast.cert_len, {0, 0, 0, 0}, ""};
	r[1] = (struct ctl_build_record){
	    CTL_ROLE_CCM_TFTP, id_pub.cert, id_pub.cert_len, {10, 0, 0, 10}, "cucm-pub.lab.example"};
	r[2] = (struct ctl_build_record){
	    CTL_ROLE_CCM, id_sub.cert, id_sub.cert_len, {10, 0, 0, 11}, "cucm-sub1.lab.example"};
	r[3] = (struct ctl_build_record){
	    CTL_ROLE_TFTP, id_tftp.cert, id_tftp.cert_len, {10, 0, 0, 12}, "tftp-1"};
}

static struct ctl_build_params std_params(const struct ctl_build_record *recs, size_t n, enum ctl_digest d)
{
	struct ctl_build_params p;
	memset(&p, 0, sizeof(p));
	p.sast_key = id_sast.key;
	p.sast_key_len = id_sast.key_len;
	p.sast_cert = id_sast.cert;
	p.sast_cert_len = id_sast.cert_len;
	p.records = recs;
	p.n_records = n;
	p.digest = d;
	p.timestamp = TS;
	p.signer_version = true;
	p.signer_version_major = 1;
	p.signer_version_minor = 0;
	p.record_hash = CTL_DIGEST_SHA1;
	return p;
}

/* The standard test CTL: SAST, CCM+TFTP, CCM, TFTP. */
static size_t build_std(uint8_t *out, enum ctl_digest d)
{
	struct ctl_build_record r[4];
	std_records(r);
	struct ctl_build_params p = std_params(r, 4, d);
	struct ctl_error e;
	size_t len = 0;
	enum ctl_err rc = ctl_build(&p, out, FILE_CAP, &len, &e);
	if (rc != CTL_OK)
		fail_msg("ctl_build: %s", e.msg);
	return len;
}

static void must_parse(const uint8_t *buf, size_t len, struct ctl_file *f)
{
	struct ctl_error e;
	enum ctl_err rc = ctl_parse(buf, len, f, &e);
	if (rc != CTL_OK)
		fail_msg("ctl_parse: %s", e.msg);
}

static void must_verify(const struct ctl_file *f, const struct ctl_verify_opts *o, size_t *signer)
{
	struct ctl_error e;
	enum ctl_err rc = ctl_verify(f, o, signer, &e);
	if (rc != CTL_OK)
		fail_msg("ctl_verify: %s", e.msg);
}

/* Sign again after a test edited the file, with wolfCrypt's one-shot API (not proto/ctl's signer). */
static void resign(uint8_t *buf, size_t len, const struct test_id *id)
{
	must_parse(buf, len, &g_file2);
	size_t at = g_file2.signature_tlv_offset, sl = g_file2.signature.len;
	uint8_t *data = malloc(len);
	assert_non_null(data);
	memcpy(data, buf, at);
	memcpy(data + at, buf + at + 3 + sl, len - at - 3 - sl);
	int n = test_pki_sign(id, g_file2.digest_alg, data, len - 3 - sl, buf + at + 3, sl);
	free(data);
	assert_int_equal(n, (int)sl);
}

/* Insert n bytes at `at` (buffer capacity FILE_CAP). */
static size_t splice_in(uint8_t *buf, size_t len, size_t at, const void *ins, size_t n)
{
	assert_true(len + n <= FILE_CAP);
	memmove(buf + at + n, buf + at, len - at);
	memcpy(buf + at, ins, n);
	return len + n;
}

static size_t splice_out(uint8_t *buf, size_t len, size_t at, size_t n)
{
	memmove(buf + at, buf + at + n, len - at - n);
	return len - n;
}

static void expect_err(const uint8_t *buf, size_t len, enum ctl_err want, const char *substr)
{
	struct ctl_error e;
	enum ctl_err rc = ctl_parse(buf, len, &g_file2, &e);
	if (rc == CTL_OK)
		rc = ctl_verify(&g_file2, NULL, NULL, &e);
	if (rc != want || (substr && strstr(e.msg, substr) == NULL))
		fail_msg("want %d containing \"%s\", got %d: %s", want, substr ? substr : "", rc, e.msg);
}

/* ---- build, parse back, verify ---- */

static void test_build_parse_every_field(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);

	/* Header. */
	assert_int_equal(f->version_major, 1);
	assert_int_equal(f->version_minor, 2);
	assert_int_equal(f->header_length % 4, 0);
	assert_int_equal(f->records[0].offset, f->header_length);
	assert_int_equal(f->unknown_tags, 0);
	const char *sast_dn = "CN=SAST-lab-01;OU=Voice;O=vmport lab;C=NZ";
	assert_int_equal(f->signer_name.len, strlen(sast_dn));
	assert_memory_equal(f->signer_name.data, sast_dn, strlen(sast_dn));
	assert_int_equal(f->issuer.len, strlen(sast_dn)); /* self-signed */
	assert_memory_equal(f->issuer.data, sast_dn, strlen(sast_dn));
	assert_int_equal(f->serial.len, sizeof(serial_sast));
	assert_memory_equal(f->serial.data, serial_sast, sizeof(serial_sast));
	assert_int_equal(f->tag_len[CTL_HDR_SIGNER_ID],
	                 3 + strlen(sast_dn) + 1 + 3 + sizeof(serial_sast) + 3 + strlen(sast_dn) + 1);
	assert_int_equal(f->tag_len[CTL_HDR_SIGNATURE_INFO], 15);
	assert_int_equal(f->tag_len[CTL_HDR_SIGNATURE_ALGO_INFO], 8);
	assert_int_equal(f->digest_alg, CTL_DIGEST_SHA256);
	assert_int_equal(f->sig_alg, 0);
	assert_int_equal(f->modulus_index, 2);
	assert_int_equal(f->signature.len, 256);
	assert_int_equal(buf[f->signature_tlv_offset], CTL_HDR_SIGNATURE);
	assert_int_equal(f->filename.len, strlen("CTLFile.tlv"));
	assert_memory_equal(f->filename.data, "CTLFile.tlv", f->filename.len);
	assert_int_equal(f->tag_len[CTL_HDR_FILENAME], strlen("CTLFile.tlv") + 1);
	assert_int_equal(f->timestamp, TS);
	assert_true(CTL_HAS(f, CTL_HDR_SIGNER_VERSION));
	assert_int_equal(f->signer_version_major, 1);
	assert_int_equal(f->signer_version_minor, 0);
	/* Header order: 1, 2, 28, 3 at fixed offsets. */
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[5], 2);
	assert_int_equal(buf[10], 28);
	assert_int_equal(buf[15], 3);

	/* Records. */
	assert_int_equal(f->n_records, 4);
	const struct {
		const struct test_id *id;
		uint16_t role;
		uint8_t ip[4];
		const char *dns;
		const char *subject;
		const char *issuer;
		const uint8_t *serial;
		size_t serial_len;
	} want[4] = {
	    {&id_sast,
	     CTL_ROLE_SAST,
	     {0, 0, 0, 0},
	     "",
	     "CN=SAST-lab-01;OU=Voice;O=vmport lab;C=NZ",
	     "CN=SAST-lab-01;OU=Voice;O=vmport lab;C=NZ",
	     serial_sast,
	     4},
	    {&id_pub,
	     CTL_ROLE_CCM_TFTP,
	     {10, 0, 0, 10},
	     "cucm-pub.lab.example",
	     "CN=cucm-pub;OU=Voice;O=vmport lab;C=NZ",
	     "CN=Lab Root CA;OU=PKI;O=vmport lab;C=NZ",
	     (const uint8_t *)"\x70\xCA\xF6\x4E",
	     4},
	    {&id_sub,
	     CTL_ROLE_CCM,
	     {10, 0, 0, 11},
	     "cucm-sub1.lab.example",
	     "CN=cucm-sub1;OU=Voice;O=vmport lab;C=NZ",
	     "CN=Lab Root CA;OU=PKI;O=vmport lab;C=NZ",
	     (const uint8_t *)"\x6B\xEB",
	     2},
	    {&id_tftp,
	     CTL_ROLE_TFTP,
	     {10, 0, 0, 12},
	     "tftp-1",
	     "CN=tftp-1;OU=Voice;O=vmport lab;C=NZ",
	     "CN=tftp-1;OU=Voice;O=vmport lab;C=NZ",
	     (const uint8_t *)"\x33",
	     1},
	};
	size_t pos = f->header_length;
	for (size_t i = 0; i < 4; i++) {
		const struct ctl_record *r = &f->records[i];
		assert_int_equal(r->offset, pos);
		pos += r->length;
		assert_int_equal(r->unknown_tags, 0);
		assert_int_equal(r->role, want[i].role);
		assert_memory_equal(r->ip, want[i].ip, 4);
		assert_int_equal(r->dns_name.len, strlen(want[i].dns));
		if (r->dns_name.len)
			assert_memory_equal(r->dns_name.data, want[i].dns, r->dns_name.len);
		assert_int_equal(r->tag_len[CTL_REC_DNS_NAME], strlen(want[i].dns) + 1);
		assert_int_equal(r->subject.len, strlen(want[i].subject));
		assert_memory_equal(r->subject.data, want[i].subject, r->subject.len);
		assert_int_equal(r->issuer.len, strlen(want[i].issuer));
		assert_memory_equal(r->issuer.data, want[i].issuer, r->issuer.len);
		assert_int_equal(r->serial.len, want[i].serial_len);
		assert_memory_equal(r->serial.data, want[i].serial, want[i].serial_len);
		/* PUBLIC_KEY is the PKCS#1 key wolfCrypt exports for the same key. */
		assert_int_equal(r->public_key.len, want[i].id->pub_len);
		assert_int_equal(r->public_key.len, 270);
		assert_memory_equal(r->public_key.data, want[i].id->pub, want[i].id->pub_len);
		/* SIGNATURE is the certificate's signature: its last 256 bytes. */
		assert_int_equal(r->signature.len, 256);
		assert_memory_equal(r->signature.data, want[i].id->cert + want[i].id->cert_len - 256, 256);
		/* CERTIFICATE points into our buffer and is the DER we gave. */
		assert_true(r->cert.data > buf && r->cert.data + r->cert.len <= buf + len);
		assert_int_equal(r->cert.len, want[i].id->cert_len);
		assert_memory_equal(r->cert.data, want[i].id->cert, r->cert.len);
		uint8_t sha1[20];
		wc_ShaHash(want[i].id->cert, (word32)want[i].id->cert_len, sha1);
		assert_int_equal(r->hash_alg, CTL_DIGEST_SHA1);
		assert_int_equal(r->cert_hash.len, 20);
		assert_memory_equal(r->cert_hash.data, sha1, 20);
		assert_int_equal(r->present, 0x1ffeu); /* tags 1..12 */
	}
	assert_int_equal(pos, len);
}

static void verify_with(enum ctl_digest d)
{
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, d);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);
	assert_int_equal(f->digest_alg, d);
	size_t signer = 99;
	must_verify(f, NULL, &signer);
	assert_int_equal(signer, 0);

	struct ctl_bytes pin = {id_sast.cert, id_sast.cert_len};
	struct ctl_verify_opts o = {&pin, 1, CTL_VERIFY_CERT_HASHES};
	must_verify(f, &o, NULL);

	/* Cross-check with wolfCrypt's one-shot verify over "file minus the SIGNATURE TLV". */
	size_t at = f->signature_tlv_offset, sl = f->signature.len;
	uint8_t *data = malloc(len);
	memcpy(data, buf, at);
	memcpy(data + at, buf + at + 3 + sl, len - at - 3 - sl);
	assert_int_equal(test_pki_verify(&id_sast, d, data, len - 3 - sl, f->signature.data, sl), 0);
	free(data);
}

static void test_verify_sha1(void **state)
{
	(void)state;
	verify_with(CTL_DIGEST_SHA1);
}

static void test_verify_sha256(void **state)
{
	(void)state;
	verify_with(CTL_DIGEST_SHA256);
}

static void test_verify_sha512(void **state)
{
	(void)state;
	verify_with(CTL_DIGEST_SHA512);
}

static void test_deterministic(void **state)
{
	(void)state;
	static uint8_t a[FILE_CAP], b[FILE_CAP];
	size_t la = build_std(a, CTL_DIGEST_SHA256), lb = build_std(b, CTL_DIGEST_SHA256);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
}

/* ---- damage ---- */

static void check_damaged(const uint8_t *buf, size_t len, const char *what, size_t at)
{
	struct ctl_error e;
	memset(&e, 0, sizeof(e));
	enum ctl_err rc = ctl_parse(buf, len, &g_file2, &e);
	if (rc == CTL_OK) {
		/* Everything else must cope with whatever parsed. */
		static char text[65536];
		(void)ctl_format_buf(&g_file2, NULL, text, sizeof(text));
		(void)ctl_select_ccm(&g_file2, NULL, "cucm-pub.lab.example", NULL);
		rc = ctl_verify(&g_file2, NULL, NULL, &e);
	}
	if (rc == CTL_OK)
		fail_msg("%s at %zu: the damaged file still verifies", what, at);
	if (e.code != rc || e.msg[0] == '\0')
		fail_msg("%s at %zu: error %d without a message", what, at, rc);
	char out[300];
	assert_true(strlen(ctl_error_format(&e, out, sizeof(out))) > 10);
}

static void test_flip_every_byte(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP], bad[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	static const uint8_t masks[] = {0x01, 0x80, 0xFF};
	for (size_t m = 0; m < sizeof(masks); m++) {
		for (size_t i = 0; i < len; i++) {
			memcpy(bad, buf, len);
			bad[i] ^= masks[m];
			check_damaged(bad, len, "flip", i);
		}
	}
}

static void test_truncate_every_length(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA1);
	for (size_t n = 0; n < len; n++) {
		/* A copy of exactly n bytes, so ASan sees any read past the end. */
		uint8_t *t = malloc(n ? n : 1);
		memcpy(t, buf, n);
		check_damaged(t, n, "truncate", n);
		free(t);
	}
	/* One extra byte at the end is a record too short to read. */
	buf[len] = 0;
	expect_err(buf, len + 1, CTL_ERR_TRUNCATED, "a record needs at least 5");
}

static void test_oversized_lengths(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP], bad[FILE_CAP];
	char want[256];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	const struct ctl_file *f = &g_file;

	/* HEADER_LENGTH past the end of the file. */
	memcpy(bad, buf, len);
	put16(bad + 8, len + 1);
	expect_err(bad, len, CTL_ERR_TRUNCATED, "HEADER_LENGTH");
	/* HEADER_LENGTH that ends inside the TIMESTAMP TLV. */
	memcpy(bad, buf, len);
	put16(bad + 8, f->header_length - 6);
	expect_err(bad, len, CTL_ERR_OVERRUN, "past the header end");
	/* HEADER_LENGTH below the two fixed TLVs. */
	memcpy(bad, buf, len);
	put16(bad + 8, 7);
	expect_err(bad, len, CTL_ERR_HEADER_LENGTH, "smaller than");

	/* A SIGNER_ID container one byte short: its last child crosses the container end. */
	memcpy(bad, buf, len);
	size_t sid = 15;
	assert_int_equal(bad[sid], CTL_HDR_SIGNER_ID);
	put16(bad + sid + 1, get16(bad + sid + 1) - 1);
	expect_err(bad, len, CTL_ERR_OVERRUN, "SIGNER_ID container end");
	/* A SIGNATURE length of 65535. */
	memcpy(bad, buf, len);
	put16(bad + f->signature_tlv_offset + 1, 0xffff);
	expect_err(bad, len, CTL_ERR_OVERRUN, "tag 12 length 65535");

	/* RECORD_LENGTH 65535 in the first record. */
	memcpy(bad, buf, len);
	put16(bad + f->records[0].offset + 3, 0xffff);
	snprintf(want, sizeof(want),
	         "record 1 at offset %zu: RECORD_LENGTH 65535 runs past the end of the file",
	         f->records[0].offset);
	expect_err(bad, len, CTL_ERR_TRUNCATED, want);
	/* RECORD_LENGTH smaller than its own TLV. */
	memcpy(bad, buf, len);
	put16(bad + f->records[1].offset + 3, 3);
	expect_err(bad, len, CTL_ERR_RECORD_LENGTH, "record 2");
	/* Record 3's CERTIFICATE 1000 bytes longer than it is. */
	memcpy(bad, buf, len);
	const struct ctl_record *r3 = &f->records[2];
	size_t cert_tlv = off_of(buf, r3->cert) - 3;
	put16(bad + cert_tlv + 1, r3->cert.len + 1000);
	snprintf(want, sizeof(want),
	         "record 3: tag 9 length %zu at offset %zu runs past the record end at offset %zu",
	         r3->cert.len + 1000, cert_tlv, r3->offset + r3->length);
	expect_err(bad, len, CTL_ERR_OVERRUN, want);
	/* A record whose length cuts its last TLV. */
	memcpy(bad, buf, len);
	put16(bad + f->records[3].offset + 3, f->records[3].length - 2);
	expect_err(bad, len, CTL_ERR_OVERRUN, "record 4");

	/* Fixed-size fields with the wrong length. */
	memcpy(bad, buf, len);
	size_t fn_tlv = off_of(buf, f->records[1].dns_name) + f->records[1].tag_len[CTL_REC_DNS_NAME];
	/* The SUBJECT_NAME follows DNS_NAME; FUNCTION follows it. */
	size_t func = fn_tlv + 3 + f->records[1].tag_len[CTL_REC_SUBJECT_NAME];
	assert_int_equal(bad[func], CTL_REC_FUNCTION);
	bad[func + 2] = 3;
	expect_err(bad, len, CTL_ERR_BAD_LENGTH, "FUNCTION (tag 4)");
	memcpy(bad, buf, len);
	bad[2] = 3; /* VERSION length 3 */
	expect_err(bad, len, CTL_ERR_BAD_LENGTH, "VERSION");
	/* VERSION not first. */
	memcpy(bad, buf, len);
	bad[0] = 2;
	expect_err(bad, len, CTL_ERR_BAD_START, "expected VERSION");
	/* HEADER_LENGTH not second. */
	memcpy(bad, buf, len);
	bad[5] = 14;
	expect_err(bad, len, CTL_ERR_BAD_START, "expected HEADER_LENGTH");
	/* A record not opening with RECORD_LENGTH. */
	memcpy(bad, buf, len);
	bad[f->records[2].offset] = 2;
	expect_err(bad, len, CTL_ERR_BAD_START, "record 3");
}

static void test_duplicate_tags(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	/* A second SIGNATURE in the header would make "the signed data" ambiguous. */
	uint8_t sig2[3 + 4] = {CTL_HDR_SIGNATURE, 0, 4, 1, 2, 3, 4};
	size_t hl = g_file.header_length;
	size_t l2 = splice_in(buf, len, hl, sig2, sizeof(sig2));
	put16(buf + 8, hl + sizeof(sig2));
	expect_err(buf, l2, CTL_ERR_DUPLICATE, "SIGNATURE (tag 12)");

	len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	/* A second CERTIFICATE in record 2. */
	const struct ctl_record *r = &g_file.records[1];
	uint8_t cert2[3 + 2] = {CTL_REC_CERTIFICATE, 0, 2, 0x30, 0x00};
	size_t end = r->offset + r->length;
	l2 = splice_in(buf, len, end, cert2, sizeof(cert2));
	put16(buf + r->offset + 3, r->length + sizeof(cert2));
	expect_err(buf, l2, CTL_ERR_DUPLICATE, "record 2: CERTIFICATE (tag 9)");
}

/* ---- tolerance: unknown tags, container order, records without certificates ---- */

static void test_unknown_tags_skipped(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	size_t hl = g_file.header_length;
	size_t r2 = g_file.records[1].offset, r2len = g_file.records[1].length;

	/* Record 2: an unknown tag 0x50 at its end, and one in the middle (after RECORD_LENGTH). */
	uint8_t u1[] = {0x50, 0, 2, 0xAA, 0xBB};
	uint8_t u2[] = {0x7F, 0, 0};
	len = splice_in(buf, len, r2 + r2len, u1, sizeof(u1));
	len = splice_in(buf, len, r2 + 5, u2, sizeof(u2));
	put16(buf + r2 + 3, r2len + sizeof(u1) + sizeof(u2));
	/* Header: an unknown top-level tag after HEADER_LENGTH, and one inside SIGNER_ID. */
	uint8_t h1[] = {0x63, 0, 3, 'a', 'b', 'c'};
	uint8_t h2[] = {0x40, 0, 1, 0x00};
	assert_int_equal(buf[15], CTL_HDR_SIGNER_ID);
	size_t sid_len = get16(buf + 16);
	len = splice_in(buf, len, 18, h2, sizeof(h2)); /* first child of SIGNER_ID */
	put16(buf + 16, sid_len + sizeof(h2));
	len = splice_in(buf, len, 10, h1, sizeof(h1));
	put16(buf + 8, hl + sizeof(h1) + sizeof(h2));
	resign(buf, len, &id_sast);

	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);
	assert_int_equal(f->unknown_tags, 2);
	assert_int_equal(f->records[1].unknown_tags, 2);
	assert_int_equal(f->records[0].unknown_tags, 0);
	assert_int_equal(f->n_records, 4);
	assert_int_equal(f->records[1].role, CTL_ROLE_CCM_TFTP);
	assert_int_equal(f->records[1].cert.len, id_pub.cert_len);
	assert_memory_equal(f->records[1].cert.data, id_pub.cert, id_pub.cert_len);
	assert_int_equal(f->serial.len, 4);
	must_verify(f, NULL, NULL);
	/* The dump mentions them. */
	static char text[65536];
	ctl_format_buf(f, NULL, text, sizeof(text));
	assert_non_null(strstr(text, "(2 unknown header tags skipped)"));
	assert_non_null(strstr(text, "(2 unknown tags skipped)"));
}

/* Reorder the children of SIGNER_ID to 6, 5, 4 and of SIGNATURE_INFO to 9{11, 10}, 8, and move
 * SIGNER_VERSION after the containers: the parser must not care. */
static void test_container_order(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP], tmp[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA512);
	must_parse(buf, len, &g_file);
	const struct ctl_file *f = &g_file;
	/* Layout from the builder: [0] 1, [5] 2, [10] 28, [15] 3{4,5,6}, then 7{8, 9{10, 11}}. */
	size_t sid = 15, sid_len = get16(buf + 16);
	size_t c4 = 18, c5 = off_of(buf, f->serial) - 3, c6 = c5 + 3 + f->serial.len;
	size_t l4 = c5 - c4, l5 = c6 - c5, l6 = sid + 3 + sid_len - c6;
	memcpy(tmp, buf + c6, l6);
	memcpy(tmp + l6, buf + c5, l5);
	memcpy(tmp + l6 + l5, buf + c4, l4);
	memcpy(buf + c4, tmp, l4 + l5 + l6);
	size_t si = sid + 3 + sid_len;
	assert_int_equal(buf[si], CTL_HDR_SIGNATURE_INFO);
	/* 7 {8 len1 d} {9 len8 {10 len1 0} {11 len1 m}} -> 7 {9 {11} {10}} {8} */
	uint8_t *p = buf + si + 3;
	uint8_t reordered[15] = {9, 0, 8, 11, 0, 1, p[14], 10, 0, 1, p[10], 8, 0, 1, p[3]};
	memcpy(p, reordered, sizeof(reordered));
	/* SIGNER_VERSION (5 bytes at 10) moves after SIGNATURE_INFO. */
	uint8_t sv[5];
	memcpy(sv, buf + 10, 5);
	memmove(buf + 10, buf + 15, si + 18 - 15);
	memcpy(buf + si + 18 - 5, sv, 5);
	resign(buf, len, &id_sast);

	struct ctl_file *g = &g_file2;
	must_parse(buf, len, g);
	assert_int_equal(g->digest_alg, CTL_DIGEST_SHA512);
	assert_int_equal(g->modulus_index, 2);
	assert_int_equal(g->sig_alg, 0);
	assert_int_equal(g->signer_version_major, 1);
	assert_memory_equal(g->serial.data, serial_sast, 4);
	assert_int_equal(g->signer_name.len, strlen("CN=SAST-lab-01;OU=Voice;O=vmport lab;C=NZ"));
	static struct ctl_file g_copy;
	g_copy = *g;
	must_verify(&g_copy, NULL, NULL);
}

static void test_records_without_certificate(void **state)
{
	(void)state;
	/* Like the non-secure-mode CTL in Cisco's note 118892: "RECORDLENGTH 2 33 / DNSNAME 13 10.48.47.153
	 * / FUNCTION 2 CCM+TFTP / IPADDRESS 4". */
	static uint8_t buf[FILE_CAP];
	struct ctl_build_record r[2] = {
	    {CTL_ROLE_CCM_TFTP, NULL, 0, {10, 48, 47, 153}, "10.48.47.153"},
	    {CTL_ROLE_CCM, id_sub.cert, id_sub.cert_len, {10, 0, 0, 11}, "cucm-sub1"},
	};
	struct ctl_build_params p = std_params(r, 2, CTL_DIGEST_SHA1);
	p.signer_version = false;
	p.record_hash = CTL_DIGEST_NONE;
	size_t len;
	struct ctl_error e;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);
	assert_int_equal(f->n_records, 3); /* the SAST record was added for the signer */
	assert_int_equal(f->records[0].role, CTL_ROLE_SAST);
	assert_memory_equal(f->records[0].cert.data, id_sast.cert, id_sast.cert_len);
	assert_int_equal(f->records[1].length, 33);
	assert_int_equal(f->records[1].present, (1u << 1) | (1u << 2) | (1u << 4) | (1u << 10));
	assert_false(CTL_HAS(f, CTL_HDR_SIGNER_VERSION));
	assert_false(CTL_HAS(&f->records[2], CTL_REC_CERT_HASH));
	must_verify(f, NULL, NULL);

	/* Selecting the certificate-less server says why it failed. */
	struct ctl_error se;
	assert_null(ctl_select_ccm(f, NULL, "10.48.47.153", &se));
	assert_int_equal(se.code, CTL_ERR_NOT_FOUND);
	assert_non_null(strstr(se.msg, "record 2 (CCM+TFTP) names it but has no CERTIFICATE"));
}

/* ---- trust ---- */

static void test_pinning(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);

	struct ctl_bytes list[4];
	assert_int_equal(ctl_sast_certs(f, list, 4), 1);
	assert_int_equal(list[0].len, id_sast.cert_len);
	assert_memory_equal(list[0].data, id_sast.cert, id_sast.cert_len);

	struct ctl_error e;
	struct ctl_bytes wrong = {id_rogue.cert, id_rogue.cert_len};
	struct ctl_verify_opts o = {&wrong, 1, 0};
	assert_int_equal(ctl_verify(f, &o, NULL, &e), CTL_ERR_NOT_PINNED);
	assert_non_null(strstr(e.msg, "signer not pinned"));
	assert_non_null(strstr(e.msg, "CN=SAST-lab-01"));
	struct ctl_bytes both[2] = {wrong, list[0]};
	o.pins = both;
	o.n_pins = 2;
	must_verify(f, &o, NULL);

	/* A CTL signed by another SAST (same serial, other certificate) verifies on its own (trust on
	 * first use) but not against the pins of the first. */
	struct ctl_build_record r[4];
	std_records(r);
	r[0].cert = id_rogue.cert;
	r[0].cert_len = id_rogue.cert_len;
	struct ctl_build_params p = std_params(r, 4, CTL_DIGEST_SHA256);
	p.sast_key = id_rogue.key;
	p.sast_key_len = id_rogue.key_len;
	p.sast_cert = id_rogue.cert;
	p.sast_cert_len = id_rogue.cert_len;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	must_parse(buf, len, f);
	must_verify(f, NULL, NULL);
	struct ctl_verify_opts pinned = {list, 0, 0};
	struct ctl_bytes sast_pin = {id_sast.cert, id_sast.cert_len};
	pinned.pins = &sast_pin;
	pinned.n_pins = 1;
	assert_int_equal(ctl_verify(f, &pinned, NULL, &e), CTL_ERR_NOT_PINNED);
	assert_non_null(strstr(e.msg, "CN=SAST-rogue"));

	/* Two SAST records: both listed for pinning; the signer is the one with the header's serial. */
	struct ctl_build_record r2[2] = {
	    {CTL_ROLE_SAST, id_ca.cert, id_ca.cert_len, {0}, ""},
	    {CTL_ROLE_SAST, id_sast.cert, id_sast.cert_len, {0}, ""},
	};
	p = std_params(r2, 2, CTL_DIGEST_SHA1);
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	must_parse(buf, len, f);
	assert_int_equal(ctl_sast_certs(f, list, 4), 2);
	size_t signer = 0;
	must_verify(f, &pinned, &signer);
	assert_int_equal(signer, 1);
}

static void test_no_signer(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	struct ctl_build_record r[4];
	std_records(r);
	struct ctl_build_params p = std_params(r + 1, 3, CTL_DIGEST_SHA256);
	p.no_auto_sast = true;
	size_t len;
	struct ctl_error e;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	must_parse(buf, len, &g_file);
	assert_int_equal(g_file.n_records, 3);
	assert_int_equal(ctl_verify(&g_file, NULL, NULL, &e), CTL_ERR_NO_SIGNER);
	assert_string_equal(e.msg, "no SAST record with serial 9A:3F:01:02 (the file has 0 SAST records)");

	/* Header fields the verifier needs. */
	len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	size_t d = 15 + 3 + get16(buf + 16) + 3; /* DIGEST_ALGORITHM TLV inside SIGNATURE_INFO */
	assert_int_equal(buf[d], CTL_HDR_DIGEST_ALGORITHM);
	buf[d + 3] = 9;
	expect_err(buf, len, CTL_ERR_UNSUPPORTED, "DIGEST_ALGORITHM 9");
	buf[d + 3] = 2;
	buf[d] = 0x66; /* now an unknown tag: no digest algorithm at all */
	expect_err(buf, len, CTL_ERR_MISSING, "DIGEST_ALGORITHM");
	buf[d] = CTL_HDR_DIGEST_ALGORITHM;
	buf[d + 4 + 3 + 3] = 1; /* SIGNATURE_ALGORITHM 1 */
	expect_err(buf, len, CTL_ERR_UNSUPPORTED, "SIGNATURE_ALGORITHM 1");
}

/* The signer record carries the pinned certificate but an attacker's PUBLIC_KEY: must not verify. */
static void test_public_key_substitution(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	struct ctl_bytes pk = g_file.records[0].public_key;
	assert_int_equal(pk.len, id_rogue.pub_len);
	memcpy(buf + off_of(buf, pk), id_rogue.pub, id_rogue.pub_len);
	resign(buf, len, &id_rogue);
	must_parse(buf, len, &g_file);
	struct ctl_error e;
	struct ctl_bytes pin = {id_sast.cert, id_sast.cert_len};
	struct ctl_verify_opts o = {&pin, 1, 0};
	assert_int_equal(ctl_verify(&g_file, &o, NULL, &e), CTL_ERR_KEY_MISMATCH);
	assert_non_null(strstr(e.msg, "record 1: PUBLIC_KEY differs"));
	assert_int_equal(ctl_verify(&g_file, NULL, NULL, &e), CTL_ERR_KEY_MISMATCH);

	/* A SAST record with PUBLIC_KEY but no CERTIFICATE: usable without pins, refused with them. */
	len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	const struct ctl_record *r = &g_file.records[0];
	size_t ct = off_of(buf, r->cert) - 3, cl = 3 + r->cert.len, roff = r->offset, rl = r->length;
	len = splice_out(buf, len, ct, cl);
	put16(buf + roff + 3, rl - cl);
	resign(buf, len, &id_sast);
	must_parse(buf, len, &g_file);
	assert_int_equal(g_file.records[0].cert.len, 0);
	must_verify(&g_file, NULL, NULL);
	assert_int_equal(ctl_verify(&g_file, &o, NULL, &e), CTL_ERR_NOT_PINNED);
	assert_non_null(strstr(e.msg, "has no certificate"));
	assert_int_equal(ctl_sast_certs(&g_file, NULL, 0), 0);
}

static void test_cert_hash_check(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	must_parse(buf, len, &g_file);
	size_t h = off_of(buf, g_file.records[2].cert_hash);
	buf[h] ^= 1;
	resign(buf, len, &id_sast);
	must_parse(buf, len, &g_file);
	must_verify(&g_file, NULL, NULL); /* not checked unless asked */
	struct ctl_verify_opts o = {NULL, 0, CTL_VERIFY_CERT_HASHES};
	struct ctl_error e;
	assert_int_equal(ctl_verify(&g_file, &o, NULL, &e), CTL_ERR_CERT_HASH);
	assert_non_null(strstr(e.msg, "record 3: CERTIFICATE_HASH does not match the SHA-1"));
}

/* ---- selection ---- */

static void test_select(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);
	struct ctl_error e;
	static const uint8_t ip_sub[4] = {10, 0, 0, 11}, ip_tftp[4] = {10, 0, 0, 12},
	                     ip_none[4] = {10, 9, 9, 9}, zero[4] = {0, 0, 0, 0};

	assert_ptr_equal(ctl_select_ccm(f, ip_sub, NULL, &e), &f->records[2]);
	assert_ptr_equal(ctl_select_ccm(f, NULL, "10.0.0.10", &e), &f->records[1]);
	assert_ptr_equal(ctl_select_ccm(f, NULL, "CUCM-PUB.Lab.EXAMPLE", &e), &f->records[1]);
	assert_ptr_equal(ctl_select_ccm(f, NULL, "cucm-sub1.lab.example", &e), &f->records[2]);
	/* Subject CN when the DNS name is the FQDN. */
	assert_ptr_equal(ctl_select_ccm(f, NULL, "CUCM-Sub1", &e), &f->records[2]);
	/* The address wins over the name. */
	assert_ptr_equal(ctl_select_ccm(f, ip_sub, "cucm-pub", &e), &f->records[2]);
	/* An unknown address still lets the name match. */
	assert_ptr_equal(ctl_select_ccm(f, ip_none, "cucm-pub", &e), &f->records[1]);

	/* Not CCM: the TFTP-only and the SAST records. */
	assert_null(ctl_select_ccm(f, ip_tftp, NULL, &e));
	assert_int_equal(e.code, CTL_ERR_NOT_FOUND);
	assert_string_equal(e.msg,
	                    "failed to find CCM Server '10.0.0.12' in CTL File: none of its 2 CCM/CCM+TFTP "
	                    "records has that IP_ADDRESS, DNS_NAME or subject CN");
	assert_null(ctl_select_ccm(f, NULL, "tftp-1", &e));
	assert_null(ctl_select_ccm(f, NULL, "SAST-lab-01", &e));
	assert_null(ctl_select_ccm(f, NULL, "missing.example", &e));
	assert_non_null(strstr(e.msg, "failed to find CCM Server 'missing.example' in CTL File"));
	/* 0.0.0.0 never matches (records without an address carry it). */
	assert_null(ctl_select_ccm(f, zero, NULL, &e));
	assert_null(ctl_select_ccm(f, NULL, "cucm-pub.lab", &e));
	assert_null(ctl_select_ccm(f, NULL, "10.0.0.1O", &e));
	assert_null(ctl_select_ccm(f, NULL, NULL, &e));
	assert_int_equal(e.code, CTL_ERR_ARG);
}

/* ---- dump ---- */

struct lines {
	size_t n;
	size_t chars;
};

static void count_line(void *ctx, const char *line)
{
	struct lines *l = ctx;
	l->n++;
	l->chars += strlen(line) + 1;
}

static void test_format(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	static char text[65536], want[200];
	size_t len = build_std(buf, CTL_DIGEST_SHA256);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);
	struct ctl_error e;
	enum ctl_err vr = ctl_verify(f, NULL, NULL, &e);
	struct ctl_format_opts o = {0, true, vr, &e};
	size_t n = ctl_format_buf(f, &o, text, sizeof(text));
	assert_int_equal(n, strlen(text));

	snprintf(want, sizeof(want), "\nLength of CTL file: %zu\n", len);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "The CTL File was last modified on Tue Nov 14 22:13:20 UTC 2023\n"));
	assert_non_null(strstr(text, "\nParse CTL File\n----------------\nVersion:        1.2\n"));
	snprintf(want, sizeof(want), "\nHeaderLength:   %u (BYTES)\n", f->header_length);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "BYTEPOS TAG             LENGTH  VALUE\n"));
	assert_non_null(
	    strstr(text, "\n4       SIGNERNAME      42      CN=SAST-lab-01;OU=Voice;O=vmport lab;C=NZ\n"));
	assert_non_null(strstr(text, "\n5       SERIALNUMBER    4       9A:3F:01:02\n"));
	assert_non_null(strstr(text, "\n8       DIGESTALGORTITHM        1       2 (SHA-256)\n"));
	assert_non_null(strstr(text, "\n11      SIGNATUREMODULUS        1       2 (256 bytes)\n"));
	assert_non_null(strstr(text, "\n14      FILENAME        12      CTLFile.tlv\n"));
	assert_non_null(
	    strstr(text, "\n15      TIMESTAMP       4       1700000000 (Tue Nov 14 22:13:20 UTC 2023)\n"));
	assert_non_null(strstr(text, "\nCTL Record #:1\n----\n"));
	assert_non_null(
	    strstr(text, "\n4       FUNCTION        2       System Administrator Security Token\n"));
	assert_non_null(strstr(text, "\n4       FUNCTION        2       CCM+TFTP\n"));
	assert_non_null(strstr(text, "\n4       FUNCTION        2       CCM\n"));
	assert_non_null(strstr(text, "\n4       FUNCTION        2       TFTP\n"));
	assert_non_null(strstr(text, "\n2       DNSNAME         21      cucm-pub.lab.example\n"));
	assert_non_null(strstr(text, "\n10      IPADDRESS       4       10.0.0.11\n"));
	assert_non_null(strstr(text, "\n7       PUBLICKEY       270     \n"));
	assert_non_null(strstr(text, "This etoken was used to sign the CTL file.\n"));
	assert_non_null(strstr(text, "\nThe CTL file was verified successfully.\n"));
	/* Certificate line: SHA-1 as Cisco prints it, then the SHA-256 fingerprint. */
	uint8_t sha1[20], sha256[32];
	wc_ShaHash(id_pub.cert, (word32)id_pub.cert_len, sha1);
	wc_Sha256Hash(id_pub.cert, (word32)id_pub.cert_len, sha256);
	char *p = want;
	for (int i = 0; i < 20; i++)
		p += sprintf(p, "%s%02X", i ? " " : "", sha1[i]);
	sprintf(p, " (SHA1 Hash HEX)\n");
	assert_non_null(strstr(text, want));
	p = want;
	for (int i = 0; i < 32; i++)
		p += sprintf(p, "%s%02X", i ? ":" : "", sha256[i]);
	sprintf(p, " (SHA-256 fingerprint)\n");
	assert_non_null(strstr(text, want));

	/* Callback and buffer agree; a small buffer is cut but reports the full size. */
	struct lines l = {0, 0};
	ctl_format(f, &o, count_line, &l);
	assert_int_equal(l.chars, n);
	size_t newlines = 0;
	for (size_t i = 0; i < n; i++)
		newlines += text[i] == '\n';
	assert_int_equal(l.n, newlines);
	char small[50];
	assert_int_equal(ctl_format_buf(f, &o, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, text, sizeof(small) - 1);
	assert_int_equal(ctl_format_buf(f, &o, NULL, 0), n);

	/* A failed verification is reported with its reason. */
	struct ctl_error bad = {CTL_ERR_NOT_PINNED, 100, 1, 9, "signer not pinned: example"};
	struct ctl_format_opts ob = {1425675367, true, CTL_ERR_NOT_PINNED, &bad};
	ctl_format_buf(f, &ob, text, sizeof(text));
	assert_non_null(strstr(text, "The CTL file could not be verified: signer not pinned: example\n"));
	assert_non_null(strstr(text, "last modified on Fri Mar 06 20:56:07 UTC 2015\n"));
}

/* ---- ITL, limits, builder errors ---- */

static void test_itl(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	static char text[65536];
	struct ctl_build_record r[4] = {
	    {CTL_ROLE_SAST, id_sast.cert, id_sast.cert_len, {0}, ""},
	    {CTL_ROLE_CCM_TFTP, id_pub.cert, id_pub.cert_len, {10, 0, 0, 10}, "cucm-pub"},
	    {CTL_ROLE_TVS, id_tvs.cert, id_tvs.cert_len, {10, 0, 0, 10}, "cucm-pub"},
	    {CTL_ROLE_CAPF, id_capf.cert, id_capf.cert_len, {10, 0, 0, 10}, "cucm-pub"},
	};
	struct ctl_build_params p = std_params(r, 4, CTL_DIGEST_SHA512);
	p.filename = "ITLFile.tlv";
	p.name_order = CTL_NAME_DER;
	size_t len;
	struct ctl_error e;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	struct ctl_file *f = &g_file;
	must_parse(buf, len, f);
	must_verify(f, NULL, NULL);
	assert_memory_equal(f->filename.data, "ITLFile.tlv", 11);
	assert_int_equal(f->records[2].role, CTL_ROLE_TVS);
	const char *der_order = "C=NZ;O=vmport lab;OU=Voice;CN=SAST-lab-01";
	assert_int_equal(f->signer_name.len, strlen(der_order));
	assert_memory_equal(f->signer_name.data, der_order, strlen(der_order));
	ctl_format_buf(f, NULL, text, sizeof(text));
	assert_non_null(strstr(text, "\nParse ITL File\n"));
	assert_non_null(strstr(text, "\nITL Record #:3\n"));
	assert_non_null(strstr(text, "FUNCTION        2       TVS\n"));
	assert_non_null(strstr(text, "FUNCTION        2       CAPF\n"));
	assert_non_null(strstr(text, "This etoken was used to sign the ITL file."));
}

static void test_too_many_records(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	static struct ctl_build_record r[CTL_MAX_RECORDS + 1];
	for (size_t i = 0; i < CTL_MAX_RECORDS + 1; i++)
		r[i] = (struct ctl_build_record){
		    CTL_ROLE_CCM, NULL, 0, {10, 1, (uint8_t)(i >> 8), (uint8_t)i}, "n"};
	/* SAST + 63 = 64 records: fine. */
	struct ctl_build_params p = std_params(r, CTL_MAX_RECORDS - 1, CTL_DIGEST_SHA256);
	size_t len;
	struct ctl_error e;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	must_parse(buf, len, &g_file);
	assert_int_equal(g_file.n_records, CTL_MAX_RECORDS);
	must_verify(&g_file, NULL, NULL);
	/* SAST + 64 = 65. */
	p.n_records = CTL_MAX_RECORDS;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	assert_int_equal(ctl_parse(buf, len, &g_file, &e), CTL_ERR_TOO_MANY_RECORDS);
	assert_non_null(strstr(e.msg, "record 65 at offset"));
	assert_non_null(strstr(e.msg, "more than 64 records"));
	assert_int_equal(e.record, 65);
}

static void test_build_errors(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP];
	struct ctl_build_record r[4];
	std_records(r);
	struct ctl_build_params p = std_params(r, 4, CTL_DIGEST_SHA256);
	size_t need = 0, len = 0;
	struct ctl_error e;

	assert_int_equal(ctl_build(&p, NULL, 0, &need, &e), CTL_ERR_NO_SPACE);
	assert_true(need > 4000);
	assert_int_equal(ctl_build(&p, buf, need - 1, &len, &e), CTL_ERR_NO_SPACE);
	assert_int_equal(len, need);
	assert_non_null(strstr(e.msg, "needs"));
	uint8_t *exact = malloc(need);
	assert_int_equal(ctl_build(&p, exact, need, &len, &e), CTL_OK);
	assert_int_equal(len, need);
	static uint8_t ref[FILE_CAP];
	assert_int_equal(build_std(ref, CTL_DIGEST_SHA256), need);
	assert_memory_equal(exact, ref, need);
	free(exact);

	struct ctl_build_params q = p;
	q.sast_key = id_rogue.key;
	q.sast_key_len = id_rogue.key_len;
	assert_int_equal(ctl_build(&q, buf, FILE_CAP, &len, &e), CTL_ERR_KEY_MISMATCH);
	q = p;
	q.sast_key_len = 100;
	assert_int_equal(ctl_build(&q, buf, FILE_CAP, &len, &e), CTL_ERR_BAD_KEY);
	q = p;
	q.sast_cert_len = id_sast.cert_len - 1;
	assert_int_equal(ctl_build(&q, buf, FILE_CAP, &len, &e), CTL_ERR_BAD_CERT);
	q = p;
	q.digest = 7;
	assert_int_equal(ctl_build(&q, buf, FILE_CAP, &len, &e), CTL_ERR_UNSUPPORTED);
	r[2].cert_len = 10;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_ERR_BAD_CERT);
	assert_non_null(strstr(e.msg, "record 3"));
	assert_int_equal(ctl_build(NULL, buf, FILE_CAP, &len, &e), CTL_ERR_ARG);
	/* A 1024-bit signer gives a 128-byte signature and SIGNATURE_MODULUS 1. */
	static struct test_id small;
	static const uint8_t s[] = {0x0A};
	assert_int_equal(test_pki_make(&small, 1024, "SAST-1024", "vmport lab", "Voice", s, 1, NULL), 0);
	std_records(r);
	r[0].cert = small.cert;
	r[0].cert_len = small.cert_len;
	p.sast_key = small.key;
	p.sast_key_len = small.key_len;
	p.sast_cert = small.cert;
	p.sast_cert_len = small.cert_len;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	must_parse(buf, len, &g_file);
	assert_int_equal(g_file.signature.len, 128);
	assert_int_equal(g_file.modulus_index, 1);
	assert_int_equal(g_file.records[0].public_key.len, 140); /* as in Cisco's 1024-bit listings */
	must_verify(&g_file, NULL, NULL);
}

/* CUCM 14+ can hold CallManager-ECDSA certificates: PUBLIC_KEY is then the X9.62 point. */
static void test_ec_record(void **state)
{
	(void)state;
	static uint8_t buf[FILE_CAP], ec_cert[2048];
	uint8_t point[65];
	size_t ec_len = 0;
	assert_int_equal(test_pki_make_ec(ec_cert, &ec_len, point, "cucm-pub-EC", &id_ca), 0);
	struct ctl_build_record r[1] = {{CTL_ROLE_CCM_TFTP, ec_cert, ec_len, {10, 0, 0, 20}, "cucm-ec"}};
	struct ctl_build_params p = std_params(r, 1, CTL_DIGEST_SHA256);
	size_t len;
	struct ctl_error e;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_OK);
	must_parse(buf, len, &g_file);
	must_verify(&g_file, NULL, NULL);
	const struct ctl_record *rec = &g_file.records[1];
	assert_int_equal(rec->public_key.len, 65);
	assert_memory_equal(rec->public_key.data, point, 65);
	assert_int_equal(rec->subject.len, strlen("CN=cucm-pub-EC;O=vmport lab;C=NZ"));
	assert_ptr_equal(ctl_select_ccm(&g_file, NULL, "CUCM-PUB-ec", &e), rec);
	/* An EC certificate cannot sign a CTL here (SIGNATURE_ALGORITHM 0 is RSA). */
	p.sast_cert = ec_cert;
	p.sast_cert_len = ec_len;
	assert_int_equal(ctl_build(&p, buf, FILE_CAP, &len, &e), CTL_ERR_BAD_KEY);
}

static void test_error_text(void **state)
{
	(void)state;
	for (int c = 0; c >= CTL_ERR_CRYPTO; c--)
		assert_true(strlen(ctl_strerror((enum ctl_err)c)) > 3);
	struct ctl_error e = {CTL_ERR_TRUNCATED, 42, 0, 1, ""};
	char out[64];
	assert_string_equal(ctl_error_format(&e, out, sizeof(out)),
	                    "runs past the end of the file at offset 42");
	char tiny[8];
	assert_string_equal(ctl_error_format(&e, tiny, sizeof(tiny)), "runs pa");
	assert_int_equal(ctl_parse(NULL, 0, &g_file, &e), CTL_ERR_TRUNCATED);
	assert_non_null(strstr(e.msg, "the file ends at offset 0"));
	assert_string_equal(ctl_role_name(21), "TVS");
	assert_string_equal(ctl_digest_name(3), "SHA-512");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_parse_every_field),
	    cmocka_unit_test(test_verify_sha1),
	    cmocka_unit_test(test_verify_sha256),
	    cmocka_unit_test(test_verify_sha512),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_flip_every_byte),
	    cmocka_unit_test(test_truncate_every_length),
	    cmocka_unit_test(test_oversized_lengths),
	    cmocka_unit_test(test_duplicate_tags),
	    cmocka_unit_test(test_unknown_tags_skipped),
	    cmocka_unit_test(test_container_order),
	    cmocka_unit_test(test_records_without_certificate),
	    cmocka_unit_test(test_pinning),
	    cmocka_unit_test(test_no_signer),
	    cmocka_unit_test(test_public_key_substitution),
	    cmocka_unit_test(test_cert_hash_check),
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_itl),
	    cmocka_unit_test(test_too_many_records),
	    cmocka_unit_test(test_build_errors),
	    cmocka_unit_test(test_ec_record),
	    cmocka_unit_test(test_error_text),
	};
	return cmocka_run_group_tests(tests, setup_pki, NULL);
}
