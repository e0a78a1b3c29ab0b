/* pki_subject_hash() is OpenSSL's X509_NAME_hash: checked against `openssl x509 -hash` for our own
 * root and ports, for certificates openssl itself makes with awkward subjects (case, white space,
 * multi-valued RDNs, T61String/BMPString/IA5String values), and for hand-built names spliced into
 * a certificate (NumericString, UniversalString, unsorted RDNs, long values). wolfSSL's own
 * wolfSSL_X509_subject_name_hash() is printed alongside, and must agree on our certificates. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "clock/hal_clock.h"
#include "pki/pki.h"
#include "pki/pki_internal.h"
#include "pki_test_util.h"

/* wolfSSL 5.5.4's own hash leaks on its error paths (wolfSSL_i2d_X509_NAME_canon returns without
 * freeing when a value cannot be canonicalised, or the name is empty). Only this comparison calls
 * it; vmport does not. LeakSanitizer reads this hook in -DVMPORT_SANITIZE=ON builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:wolfSSL_i2d_X509_NAME_canon\nleak:wolfSSL_ASN1_STRING_to_UTF8\n";
}

static char work[VMPORT_PATH_MAX];
static uint8_t base_cert[PKI_CERT_DER_MAX];
static size_t base_len;

static int group_setup(void **state)
{
	(void)state;
	tmpdir_make(work);
	char err[512];
	struct vmport_config cfg;
	test_config(&cfg, work, 2);
	if (pki_ensure(&cfg, hal_clock_wall_s(), err, sizeof(err))) {
		fprintf(stderr, "pki_ensure: %s\n", err);
		return -1;
	}
	return pki_load_root(&cfg, base_cert, sizeof(base_cert), &base_len, err, sizeof(err));
}

static int group_teardown(void **state)
{
	(void)state;
	tmpdir_remove(work);
	return 0;
}

static uint32_t openssl_hash(const char *path, const char *inform)
{
	char cmd[VMPORT_PATH_MAX + 128], out[64];
	snprintf(cmd, sizeof(cmd), "openssl x509 -inform %s -noout -hash -in '%s'", inform, path);
	int rc = run_capture(cmd, out, sizeof(out));
	if (rc != 0)
		fail_msg("openssl could not read %s", path);
	return (uint32_t)strtoul(out, NULL, 16);
}

static uint32_t wolfssl_hash(const uint8_t *der, size_t len)
{
	WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer(der, (int)len, WOLFSSL_FILETYPE_ASN1);
	if (!x)
		return 0;
	uint32_t h = (uint32_t)wolfSSL_X509_subject_name_hash(x);
	wolfSSL_X509_free(x);
	return h;
}

static void check_der_file(const char *label, const char *path, bool wolfssl_must_agree)
{
	uint8_t der[8192];
	size_t len = 0;
	assert_int_equal(read_whole(path, der, sizeof(der), &len), 0);
	uint32_t ours = 0;
	assert_int_equal(pki_subject_hash(der, len, &ours), 0);
	uint32_t theirs = openssl_hash(path, "DER");
	uint32_t wolf = wolfssl_hash(der, len);
	print_message("%-34s openssl %08x ours %08x wolfSSL %08x%s\n", label, theirs, ours, wolf,
	              wolf == theirs ? "" : "  <- wolfSSL differs");
	assert_int_equal(ours, theirs);
	if (wolfssl_must_agree)
		assert_int_equal(wolf, theirs);
}

static void test_our_certificates(void **state)
{
	(void)state;
	struct vmport_config cfg;
	test_config(&cfg, work, 2);
	const char *devices[] = {NULL, "CiscoUM1-VI1", "CiscoUM1-VI2"};
	for (int i = 0; i < 3; i++) {
		char pem_path[VMPORT_PATH_MAX + 64], der_path[VMPORT_PATH_MAX + 64];
		if (devices[i])
			pki_port_path(&cfg, devices[i], ".pem", pem_path, sizeof(pem_path));
		else
			pki_root_path(&cfg, ".pem", pem_path, sizeof(pem_path));
		/* The PEM as written, through openssl directly. */
		uint32_t pem_hash = openssl_hash(pem_path, "PEM");
		snprintf(der_path, sizeof(der_path), "%s/ours-%d.der", work, i);
		char cmd[3 * VMPORT_PATH_MAX], out[64];
		snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -outform DER -out '%s'", pem_path,
		         der_path);
		assert_int_equal(run_capture(cmd, out, sizeof(out)), 0);
		check_der_file(devices[i] ? devices[i] : "root", der_path, true);
		uint8_t der[PKI_CERT_DER_MAX];
		size_t len;
		uint32_t ours;
		assert_int_equal(read_whole(der_path, der, sizeof(der), &len), 0);
		assert_int_equal(pki_subject_hash(der, len, &ours), 0);
		assert_int_equal(ours, pem_hash);
	}
}

/* Certificates made by openssl req with the subject given; mask "default" makes non-ASCII values
 * T61String or BMPString and ASCII ones PrintableString; "utf8only" makes them UTF8String. */
static void openssl_case(const char *label, const char *subject, const char *mask)
{
	static int n;
	char conf[VMPORT_PATH_MAX + 32], der[VMPORT_PATH_MAX + 32], cmd[4096], out[512];
	snprintf(conf, sizeof(conf), "%s/req-%d.cnf", work, n);
	snprintf(der, sizeof(der), "%s/req-%d.der", work, n);
	n++;
	char text[256];
	snprintf(text, sizeof(text), "[req]\ndistinguished_name = dn\nstring_mask = %s\n[dn]\n", mask);
	assert_int_equal(write_whole(conf, text, strlen(text)), 0);
	snprintf(
	    cmd, sizeof(cmd),
	    "openssl req -new -x509 -config '%s' -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout /dev/null -days 1 -subj '%s' -outform DER -out '%s' 2>&1",
	    conf, subject, der);
	if (run_capture(cmd, out, sizeof(out)) != 0)
		fail_msg("openssl req for %s: %s", label, out);
	check_der_file(label, der, false);
}

static void test_openssl_made_subjects(void **state)
{
	(void)state;
	openssl_case("plain", "/O=vmport/CN=CiscoUnity-4e2b", "utf8only");
	openssl_case("case and inner spaces", "/O=ACME   Corp/CN=Mixed  Case\tNAME", "utf8only");
	openssl_case("leading/trailing spaces", "/CN=\\  padded \\ /OU=x", "utf8only");
	openssl_case("PrintableString", "/C=NZ/O=Printable   ORG/CN=Some Name", "default");
	openssl_case("T61String (Latin-1)", "/O=Zürich AG/CN=ÄÖÜ Upper", "default");
	openssl_case("BMPString", "/O=Жук   Corp/CN=Ωmega €", "default");
	openssl_case("UTF8String non-ASCII", "/O=Жук   Corp/CN=Ωmega € ÄB", "utf8only");
	openssl_case("IA5String emailAddress", "/CN=x/emailAddress=Foo.Bar@Example.COM", "utf8only");
	openssl_case("domainComponent", "/DC=Example/DC=COM/CN=Host", "utf8only");
	openssl_case("multi-valued RDN", "/O=vmport/CN=Zed+OU=Alpha+L=Mid", "utf8only");
	openssl_case("multi-valued, mixed types", "/C=NZ+O=Beta   Co/CN=y", "default");
}

/* --- names built by hand and spliced into a certificate --------------------------------------- */
struct atv_spec {
	int rdn;
	const char *oid; /* DER contents of the OID */
	size_t oid_len;
	uint8_t tag;
	const char *value;
	size_t value_len;
};

#define OID_CN "\x55\x04\x03", 3
#define OID_O "\x55\x04\x0a", 3
#define OID_OU "\x55\x04\x0b", 3
#define OID_SERIAL "\x55\x04\x05", 3
#define OID_CUSTOM "\x2a\x03\x04", 3
#define V(s) s, sizeof(s) - 1

static size_t put_tlv(uint8_t *out, uint8_t tag, const uint8_t *content, size_t len)
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
	memmove(out + n, content, len);
	return n + len;
}

static size_t build_name(const struct atv_spec *a, size_t count, uint8_t *out)
{
	static uint8_t body[4096], rdn[2048], atv[1024], tmp[1024];
	size_t body_len = 0;
	for (size_t i = 0; i < count;) {
		size_t rdn_len = 0;
		int id = a[i].rdn;
		for (; i < count && a[i].rdn == id; i++) {
			size_t t = put_tlv(tmp, 0x06, (const uint8_t *)a[i].oid, a[i].oid_len);
			t += put_tlv(tmp + t, a[i].tag, (const uint8_t *)a[i].value, a[i].value_len);
			size_t n = put_tlv(atv, 0x30, tmp, t);
			memcpy(rdn + rdn_len, atv, n);
			rdn_len += n;
		}
		body_len += put_tlv(body + body_len, 0x31, rdn, rdn_len);
	}
	return put_tlv(out, 0x30, body, body_len);
}

/* The base certificate with its subject replaced; the signature no longer verifies, which
 * `openssl x509 -hash` does not check. */
static size_t splice_subject(const uint8_t *name, size_t name_len, uint8_t *out)
{
	struct pki_cert_view v;
	assert_int_equal(pki_cert_view(base_cert, base_len, &v), 0);
	static uint8_t tbs_body[8192], tbs[8192], cert_body[8192];
	size_t pos = 0;
	struct pki_tlv tbs_tlv;
	assert_int_equal(pki_der_next(v.tbs.p, v.tbs.len, &pos, &tbs_tlv), 0);
	size_t before = (size_t)(v.subject.p - tbs_tlv.val.p);
	size_t after_off = before + v.subject.len;
	size_t n = 0;
	memcpy(tbs_body, tbs_tlv.val.p, before);
	n += before;
	memcpy(tbs_body + n, name, name_len);
	n += name_len;
	memcpy(tbs_body + n, tbs_tlv.val.p + after_off, tbs_tlv.val.len - after_off);
	n += tbs_tlv.val.len - after_off;
	size_t tbs_len = put_tlv(tbs, 0x30, tbs_body, n);
	const uint8_t *rest = v.tbs.p + v.tbs.len;
	size_t rest_len = (size_t)(base_cert + base_len - rest);
	memcpy(cert_body, tbs, tbs_len);
	memcpy(cert_body + tbs_len, rest, rest_len);
	return put_tlv(out, 0x30, cert_body, tbs_len + rest_len);
}

static void crafted_case(const char *label, const struct atv_spec *a, size_t count)
{
	static int n;
	static uint8_t name[4096], cert[8192];
	size_t name_len = build_name(a, count, name);
	size_t cert_len = splice_subject(name, name_len, cert);
	char path[VMPORT_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/crafted-%d.der", work, n++);
	assert_int_equal(write_whole(path, cert, cert_len), 0);
	uint32_t direct;
	assert_int_equal(pki_name_hash(name, name_len, &direct), 0);
	check_der_file(label, path, false);
	uint32_t via_cert;
	assert_int_equal(pki_subject_hash(cert, cert_len, &via_cert), 0);
	assert_int_equal(direct, via_cert);
}

static void test_crafted_names(void **state)
{
	(void)state;
	const struct atv_spec numeric[] = {{0, OID_CN, 0x12, V("  12  34 ")}};
	crafted_case("NumericString kept as is", numeric, 1);
	const struct atv_spec unsorted_same_len[] = {{0, OID_O, 0x0c, V("Zed")}, {0, OID_CN, 0x0c, V("Abc")}};
	crafted_case("RDN sorted by OID", unsorted_same_len, 2);
	const struct atv_spec unsorted_len[] = {{0, OID_CN, 0x0c, V("a much longer value")},
	                                        {0, OID_OU, 0x0c, V("B")},
	                                        {0, OID_O, 0x13, V("MID ")}};
	crafted_case("RDN sorted by length, mixed types", unsorted_len, 3);
	const struct atv_spec universal[] = {{0, OID_CN, 0x1c, V("\0\0\0A\0\0\0b\0\0\x01\x10")}};
	crafted_case("UniversalString", universal, 1);
	const struct atv_spec bmp[] = {{0, OID_O, 0x0c, V("x")}, {1, OID_CN, 0x1e, V("\0\xc4\0B\0 \0 \0c")}};
	crafted_case("BMPString upper non-ASCII", bmp, 2);
	const struct atv_spec t61[] = {{0, OID_CN, 0x14, V("\xc4ngstr\xf6m   X")}};
	crafted_case("T61String Latin-1", t61, 1);
	const struct atv_spec spaces[] = {
	    {0, OID_CN, 0x0c, V("\t A\n\n\vB \r")}, {1, OID_OU, 0x0c, V("   ")}, {2, OID_O, 0x0c, V("")}};
	crafted_case("white space, blank and empty", spaces, 3);
	/* (No VisibleString: OpenSSL's X509_NAME_ENTRY refuses it, so no openssl verdict exists.) */
	const struct atv_spec ia5[] = {{0, OID_SERIAL, 0x13, V("SN 0042")},
	                               {1, OID_CUSTOM, 0x16, V("IA5 Custom OID")}};
	crafted_case("IA5 and an unknown OID", ia5, 2);
	crafted_case("empty name", NULL, 0);
	static char long_upper[300], long_latin[150];
	memset(long_upper, 'Q', sizeof(long_upper));
	memset(long_latin, '\xe9', sizeof(long_latin));
	const struct atv_spec longs[] = {{0, OID_CN, 0x0c, long_upper, sizeof(long_upper)},
	                                 {1, OID_O, 0x14, long_latin, sizeof(long_latin)}};
	crafted_case("long values (length forms)", longs, 2);
	const struct atv_spec same_rdn_twice[] = {{0, OID_CN, 0x0c, V("b")}, {0, OID_CN, 0x0c, V("A")}};
	crafted_case("two CNs in one RDN", same_rdn_twice, 2);
}

static void test_bad_input_is_rejected(void **state)
{
	(void)state;
	uint32_t h;
	static const uint8_t not_a_name[] = {0x31, 0x00};
	static const uint8_t truncated[] = {0x30, 0x05, 0x31, 0x03, 0x30};
	static const uint8_t bad_utf8[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03,
	                                   0x55, 0x04, 0x03, 0x0c, 0x02, 0xc3, 0x28};
	assert_int_equal(pki_name_hash(not_a_name, sizeof(not_a_name), &h), -EINVAL);
	assert_int_equal(pki_name_hash(truncated, sizeof(truncated), &h), -EINVAL);
	assert_int_equal(pki_name_hash(bad_utf8, sizeof(bad_utf8), &h), -EINVAL);
	static const uint8_t empty[] = {0x30, 0x00}; /* SHA-1("") = da39a3ee..., read little-endian */
	assert_int_equal(pki_name_hash(empty, sizeof(empty), &h), 0);
	assert_int_equal(h, 0xeea339da);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_our_certificates),
	    cmocka_unit_test(test_openssl_made_subjects),
	    cmocka_unit_test(test_crafted_names),
	    cmocka_unit_test(test_bad_input_is_rejected),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
