/* ctl_tool: a command-line front end to proto/ctl for people and for the cross-check test.
 *
 *   ctl_tool show FILE [PIN.der ...]     `show ctl`-style dump, verified (against pins if given)
 *   ctl_tool fields FILE [PIN.der ...]   key=value lines (the cross-check compares them)
 *   ctl_tool select FILE HOST|IP         1-based number of the CCM record for the server
 *   ctl_tool demo DIR [sha1|sha256|sha512]  new test PKI + CTLFile.tlv/ITLFile.tlv signed with it
 *   ctl_tool seeds DIR                   fuzz seed files (fresh keys each run)
 * Exit status 0 on success, 1 on a CTL error, 2 on usage or I/O errors. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "ctl_test_pki.h"

static struct ctl_file g_file;

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		perror(path);
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (nb == NULL)
				free(buf);
			buf = nb;
		}
	}
	fclose(fp);
	*len = n;
	return buf;
}

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (fp == NULL || fwrite(p, 1, n, fp) != n) {
		perror(path);
		if (fp)
			fclose(fp);
		return -1;
	}
	return fclose(fp) == 0 ? 0 : -1;
}

static void print_line(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
}

static void sha256_hex(struct ctl_bytes b)
{
	uint8_t h[32];
	wc_Sha256Hash(b.data, (word32)b.len, h);
	hex(h, sizeof(h));
}

static int load_and_verify(const char *path, char **pins_paths, int n_pins, uint8_t **buf, enum ctl_err *vr,
                           struct ctl_error *ve)
{
	size_t len;
	struct ctl_error e;
	*buf = read_file(path, &len);
	if (*buf == NULL)
		return 2;
	if (ctl_parse(*buf, len, &g_file, &e) != CTL_OK) {
		char m[300];
		fprintf(stderr, "%s: %s\n", path, ctl_error_format(&e, m, sizeof(m)));
		return 1;
	}
	struct ctl_bytes pins[16];
	uint8_t *pin_bufs[16] = {0};
	if (n_pins > 16)
		n_pins = 16;
	for (int i = 0; i < n_pins; i++) {
		pin_bufs[i] = read_file(pins_paths[i], &pins[i].len);
		if (pin_bufs[i] == NULL)
			return 2;
		pins[i].data = pin_bufs[i];
	}
	struct ctl_verify_opts o = {pins, (size_t)n_pins, CTL_VERIFY_CERT_HASHES};
	*vr = ctl_verify(&g_file, &o, NULL, ve);
	for (int i = 0; i < n_pins; i++)
		free(pin_bufs[i]);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	uint8_t *buf = NULL;
	enum ctl_err vr;
	struct ctl_error ve;
	int rc = load_and_verify(argv[0], argv + 1, argc - 1, &buf, &vr, &ve);
	if (rc == 0) {
		struct ctl_format_opts o = {0, true, vr, &ve};
		ctl_format(&g_file, &o, print_line, stdout);
		rc = vr == CTL_OK ? 0 : 1;
	}
	free(buf);
	return rc;
}

static void print_str(const char *key, struct ctl_bytes s)
{
	printf("%s=%.*s\n", key, (int)s.len, s.len ? (const char *)s.data : "");
}

static int cmd_fields(int argc, char **argv)
{
	uint8_t *buf = NULL;
	enum ctl_err vr;
	struct ctl_error ve;
	int rc = load_and_verify(argv[0], argv + 1, argc - 1, &buf, &vr, &ve);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	const struct ctl_file *f = &g_file;
	printf("verified=%s\n", vr == CTL_OK ? "ok" : ve.msg);
	printf("version=%u.%u\n", f->version_major, f->version_minor);
	printf("header_length=%u\n", f->header_length);
	print_str("signer_name", f->signer_name);
	printf("serial=");
	hex(f->serial.data, f->serial.len);
	printf("\n");
	print_str("issuer", f->issuer);
	printf("digest=%u\n", f->digest_alg);
	printf("modulus=%u\n", f->modulus_index);
	printf("signature_len=%zu\n", f->signature.len);
	print_str("filename", f->filename);
	printf("timestamp=%lu\n", (unsigned long)f->timestamp);
	if (CTL_HAS(f, CTL_HDR_SIGNER_VERSION))
		printf("signer_version=%u.%u\n", f->signer_version_major, f->signer_version_minor);
	printf("unknown=%u\n", f->unknown_tags);
	printf("records=%zu\n", f->n_records);
	for (size_t i = 0; i < f->n_records; i++) {
		const struct ctl_record *r = &f->records[i];
		char k[64];
		size_t n = i + 1;
		printf("record.%zu.length=%u\n", n, r->length);
		printf("record.%zu.role=%u\n", n, r->role);
		snprintf(k, sizeof(k), "record.%zu.dns", n);
		print_str(k, r->dns_name);
		snprintf(k, sizeof(k), "record.%zu.subject", n);
		print_str(k, r->subject);
		snprintf(k, sizeof(k), "record.%zu.issuer", n);
		print_str(k, r->issuer);
		printf("record.%zu.serial=", n);
		hex(r->serial.data, r->serial.len);
		printf("\nrecord.%zu.ip=%u.%u.%u.%u\n", n, r->ip[0], r->ip[1], r->ip[2], r->ip[3]);
		printf("record.%zu.pubkey_sha256=", n);
		sha256_hex(r->public_key);
		printf("\nrecord.%zu.signature_len=%zu\n", n, r->signature.len);
		printf("record.%zu.cert_sha256=", n);
		sha256_hex(r->cert);
		printf("\nrecord.%zu.unknown=%u\n", n, r->unknown_tags);
	}
	free(buf);
	return vr == CTL_OK ? 0 : 1;
}

static int cmd_select(int argc, char **argv)
{
	size_t len;
	struct ctl_error e;
	char m[300];
	if (argc != 2)
		return 2;
	uint8_t *buf = read_file(argv[0], &len);
	if (buf == NULL)
		return 2;
	int rc = 1;
	if (ctl_parse(buf, len, &g_file, &e) != CTL_OK) {
		fprintf(stderr, "%s\n", ctl_error_format(&e, m, sizeof(m)));
	} else {
		const struct ctl_record *r = ctl_select_ccm(&g_file, NULL, argv[1], &e);
		if (r == NULL) {
			fprintf(stderr, "%s\n", ctl_error_format(&e, m, sizeof(m)));
		} else {
			printf("%zu\n", (size_t)(r - g_file.records) + 1);
			rc = 0;
		}
	}
	free(buf);
	return rc;
}

static int build_to(const char *dir, const char *name, const struct ctl_build_params *p)
{
	static uint8_t out[1 << 16];
	size_t len;
	struct ctl_error e;
	if (ctl_build(p, out, sizeof(out), &len, &e) != CTL_OK) {
		fprintf(stderr, "%s: %s\n", name, e.msg);
		return 1;
	}
	return write_file(dir, name, out, len) == 0 ? 0 : 2;
}

static struct test_id id_sast, id_ccm, id_sub, id_tftp, id_tvs, id_small;

static int make_ids(void)
{
	static const uint8_t s1[] = {0x9A, 0x3F}, s2[] = {0x70, 0xCA}, s3[] = {0x6B}, s4[] = {0x33},
	                     s5[] = {0x55}, s6[] = {0x0A};
	if (test_pki_make(&id_sast, 2048, "SAST-demo", "vmport lab", "Voice", s1, 2, NULL) ||
	    test_pki_make(&id_ccm, 2048, "cucm-pub", "vmport lab", "Voice", s2, 2, &id_sast) ||
	    test_pki_make(&id_sub, 2048, "cucm-sub1", "vmport lab", "Voice", s3, 1, &id_sast) ||
	    test_pki_make(&id_tftp, 2048, "tftp-1", "vmport lab", "Voice", s4, 1, NULL) ||
	    test_pki_make(&id_tvs, 2048, "cucm-pub-tvs", "vmport lab", "Voice", s5, 1, NULL) ||
	    test_pki_make(&id_small, 1024, "SAST-1024", "vmport lab", "Voice", s6, 1, NULL)) {
		fprintf(stderr, "key or certificate generation failed\n");
		return -1;
	}
	return 0;
}

static struct ctl_build_params params(const struct test_id *signer, const struct ctl_build_record *r,
                                      size_t n, enum ctl_digest d, const char *filename)
{
	struct ctl_build_params p;
	memset(&p, 0, sizeof(p));
	p.sast_key = signer->key;
	p.sast_key_len = signer->key_len;
	p.sast_cert = signer->cert;
	p.sast_cert_len = signer->cert_len;
	p.records = r;
	p.n_records = n;
	p.digest = d;
	p.timestamp = (uint32_t)time(NULL);
	p.filename = filename;
	p.record_hash = CTL_DIGEST_SHA1;
	return p;
}

static enum ctl_digest parse_digest(const char *s)
{
	if (s == NULL || strcmp(s, "sha256") == 0)
		return CTL_DIGEST_SHA256;
	if (strcmp(s, "sha1") == 0)
		return CTL_DIGEST_SHA1;
	if (strcmp(s, "sha512") == 0)
		return CTL_DIGEST_SHA512;
	return CTL_DIGEST_NONE;
}

static int cmd_demo(int argc, char **argv)
{
	enum ctl_digest d = parse_digest(argc > 1 ? argv[1] : NULL);
	if (d == CTL_DIGEST_NONE || make_ids() != 0)
		return 2;
	const char *dir = argv[0];
	struct ctl_build_record ctl[3] = {
	    {CTL_ROLE_CCM_TFTP, id_ccm.cert, id_ccm.cert_len, {10, 0, 0, 10}, "cucm-pub.lab.example"},
	    {CTL_ROLE_CCM, id_sub.cert, id_sub.cert_len, {10, 0, 0, 11}, "cucm-sub1.lab.example"},
	    {CTL_ROLE_TFTP, id_tftp.cert, id_tftp.cert_len, {10, 0, 0, 12}, "tftp-1"},
	};
	struct ctl_build_record itl[2] = {
	    {CTL_ROLE_CCM_TFTP, id_ccm.cert, id_ccm.cert_len, {10, 0, 0, 10}, "cucm-pub"},
	    {CTL_ROLE_TVS, id_tvs.cert, id_tvs.cert_len, {10, 0, 0, 10}, "cucm-pub"},
	};
	struct ctl_build_params pc = params(&id_sast, ctl, 3, d, "CTLFile.tlv");
	struct ctl_build_params pi = params(&id_sast, itl, 2, d, "ITLFile.tlv");
	if (write_file(dir, "sast.der", id_sast.cert, id_sast.cert_len) ||
	    write_file(dir, "sast.key.der", id_sast.key, id_sast.key_len) ||
	    write_file(dir, "ccm.der", id_ccm.cert, id_ccm.cert_len))
		return 2;
	int rc = build_to(dir, "CTLFile.tlv", &pc);
	return rc ? rc : build_to(dir, "ITLFile.tlv", &pi);
}

static int cmd_seeds(int argc, char **argv)
{
	(void)argc;
	if (make_ids() != 0)
		return 2;
	const char *dir = argv[0];
	struct ctl_build_record full[3] = {
	    {CTL_ROLE_CCM_TFTP, id_ccm.cert, id_ccm.cert_len, {10, 0, 0, 10}, "cucm-pub.lab.example"},
	    {CTL_ROLE_CCM, id_sub.cert, id_sub.cert_len, {10, 0, 0, 11}, "cucm-sub1"},
	    {CTL_ROLE_TFTP, id_tftp.cert, id_tftp.cert_len, {10, 0, 0, 12}, "tftp-1"},
	};
	struct ctl_build_record small[2] = {
	    {CTL_ROLE_CCM_TFTP, NULL, 0, {10, 48, 47, 153}, "10.48.47.153"},
	    {CTL_ROLE_CCM, NULL, 0, {10, 48, 47, 154}, "cucm-b"},
	};
	struct ctl_build_params p1 = params(&id_sast, full, 3, CTL_DIGEST_SHA256, NULL);
	struct ctl_build_params p2 = params(&id_sast, full, 1, CTL_DIGEST_SHA1, "ITLFile.tlv");
	p2.signer_version = true;
	p2.signer_version_major = 1;
	p2.name_order = CTL_NAME_DER;
	struct ctl_build_params p3 = params(&id_small, small, 2, CTL_DIGEST_SHA512, NULL);
	p3.record_hash = CTL_DIGEST_NONE;
	int rc = build_to(dir, "ctl_sha256_4rec.tlv", &p1);
	if (rc == 0)
		rc = build_to(dir, "itl_sha1_signer_version.tlv", &p2);
	if (rc == 0)
		rc = build_to(dir, "ctl_sha512_rsa1024_nocert.tlv", &p3);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "fields") == 0)
		return cmd_fields(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "select") == 0)
		return cmd_select(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "demo") == 0)
		return cmd_demo(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "seeds") == 0)
		return cmd_seeds(argc - 2, argv + 2);
	fprintf(
	    stderr,
	    "usage: ctl_tool show|fields FILE [PIN.der...] | select FILE HOST | demo DIR [sha1|sha256|sha512]"
	    " | seeds DIR\n");
	return 2;
}
