/* firmware/trust against Debian's real TFTP server (in.tftpd from tftpd-hpa) on a loopback port:
 * fetch, cache with checksums, pinning, refusals that keep the cache, the CUC field log lines, and
 * fail-over between TFTP servers. Keys and certificates are made when the tests run. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
#ifndef NO_MD5
#include <wolfssl/wolfcrypt/md5.h>
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "trust/trust.h"
#include "trust_test_util.h"

#define CTL_CAP 16384

static struct {
	struct tt_id sast1, sast2, ccm1, ccm1b, ccm2;
	char root[256]; /* TFTP root */
	struct tt_tftpd tftpd;
	bool have_tftpd;
} g;

struct ctx {
	char state[256];
	struct vmport_config cfg;
	struct vm_trust *t;
	char *log;
};

static uint8_t ctl_a[CTL_CAP], ctl_b[CTL_CAP], ctl_other[CTL_CAP], ctl_no_server[CTL_CAP],
    ctl_two_sast[CTL_CAP], ctl_by_sast2[CTL_CAP], ctl_extra[CTL_CAP];
static size_t len_a, len_b, len_other, len_no_server, len_two_sast, len_by_sast2, len_extra;

static const uint8_t ip1[4] = {10, 0, 0, 1}, ip2[4] = {10, 0, 0, 2};

static struct ctl_build_record ccm_rec(const struct tt_id *id, const uint8_t ip[4], const char *dns)
{
	struct ctl_build_record r = {
	    .role = CTL_ROLE_CCM_TFTP, .cert = id->cert, .cert_len = id->cert_len, .dns_name = dns};
	memcpy(r.ip, ip, 4);
	return r;
}

static struct ctl_build_record sast_rec(const struct tt_id *id)
{
	return (struct ctl_build_record){.role = CTL_ROLE_SAST, .cert = id->cert, .cert_len = id->cert_len};
}

static int group_setup(void **state)
{
	(void)state;
	uint32_t now = (uint32_t)time(NULL);
	if (tt_make_id(&g.sast1, 2048, "SAST-1", "SAST", 0x1111) ||
	    tt_make_id(&g.sast2, 2048, "SAST-2", "SAST", 0x2222) ||
	    tt_make_id(&g.ccm1, 2048, "cucm1.lab", "CCM", 0x3333) ||
	    tt_make_id(&g.ccm1b, 2048, "cucm1.lab", "CCM", 0x3334) ||
	    tt_make_id(&g.ccm2, 2048, "cucm2.lab", "CCM", 0x4444))
		return -1;
	struct ctl_build_record r[3];
	r[0] = ccm_rec(&g.ccm1, ip1, "cucm1.lab");
	len_a = tt_build_ctl(ctl_a, CTL_CAP, &g.sast1, r, 1, now);
	r[0] = ccm_rec(&g.ccm1b, ip1, "cucm1.lab");
	len_b = tt_build_ctl(ctl_b, CTL_CAP, &g.sast1, r, 1, now + 60);
	r[0] = ccm_rec(&g.ccm1, ip1, "cucm1.lab");
	len_other = tt_build_ctl(ctl_other, CTL_CAP, &g.sast2, r, 1, now + 120);
	r[0] = ccm_rec(&g.ccm2, ip2, "cucm2.lab");
	len_no_server = tt_build_ctl(ctl_no_server, CTL_CAP, &g.sast1, r, 1, now);
	r[0] = sast_rec(&g.sast1);
	r[1] = sast_rec(&g.sast2);
	r[2] = ccm_rec(&g.ccm1, ip1, "cucm1.lab");
	len_two_sast = tt_build_ctl(ctl_two_sast, CTL_CAP, &g.sast1, r, 3, now);
	r[0] = sast_rec(&g.sast2);
	r[1] = ccm_rec(&g.ccm1b, ip1, "cucm1.lab");
	len_by_sast2 = tt_build_ctl(ctl_by_sast2, CTL_CAP, &g.sast2, r, 2, now + 180);
	r[0] = ccm_rec(&g.ccm1, ip1, "cucm1.lab");
	r[1] = ccm_rec(&g.ccm2, ip2, "cucm2.lab");
	len_extra = tt_build_ctl(ctl_extra, CTL_CAP, &g.sast1, r, 2, now + 240);
	if (!len_a || !len_b || !len_other || !len_no_server || !len_two_sast || !len_by_sast2 || !len_extra)
		return -1;
	if (tt_mkdtemp(g.root, sizeof(g.root), "tftproot") != 0)
		return -1;
	if (tt_tftpd_path() == NULL || geteuid() != 0) {
		fprintf(stderr,
		        "test_trust: in.tftpd (tftpd-hpa) missing or not root: TFTP tests are skipped\n");
		return 0;
	}
	if (tt_tftpd_start(&g.tftpd, g.root) != 0) {
		fprintf(stderr, "test_trust: in.tftpd would not start on a loopback port\n");
		return -1;
	}
	g.have_tftpd = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tt_tftpd_stop(&g.tftpd);
	tt_rm_rf(g.root);
	return 0;
}

static void serve(const uint8_t *ctl, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/CTLFile.tlv", g.root);
	if (ctl == NULL)
		unlink(path);
	else
		assert_int_equal(tt_write_file(path, ctl, len), 0);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	assert_int_equal(tt_mkdtemp(c->state, sizeof(c->state), "trust"), 0);
	vmport_config_defaults(&c->cfg);
	snprintf(c->cfg.group_name, sizeof(c->cfg.group_name), "PG-Trust");
	snprintf(c->cfg.state_dir, sizeof(c->cfg.state_dir), "%s", c->state);
	snprintf(c->cfg.cucm[0].host, sizeof(c->cfg.cucm[0].host), "10.0.0.1");
	c->cfg.cucm[0].port = 2443;
	c->cfg.n_cucm = 1;
	snprintf(c->cfg.tftp[0].host, sizeof(c->cfg.tftp[0].host), "127.0.0.1");
	c->cfg.tftp[0].port = g.tftpd.port;
	c->cfg.n_tftp = 1;
	serve(NULL, 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	vm_trust_free(c->t);
	free(c->log);
	tt_rm_rf(c->state);
	free(c);
	return 0;
}

static void need_tftpd(void)
{
	if (!g.have_tftpd)
		skip();
}

static void open_trust(struct ctx *c, const struct vm_trust_opts *opts)
{
	char err[256] = "";
	vm_trust_free(c->t);
	c->t = vm_trust_init(&c->cfg, opts, err, sizeof(err));
	if (c->t == NULL)
		fail_msg("vm_trust_init: %s", err);
}

/* Refresh with the log captured into c->log. */
static enum vm_trust_status refresh(struct ctx *c, enum vm_trust_why why, struct vm_trust_result *res)
{
	free(c->log);
	tt_capture_begin();
	enum vm_trust_status st = vm_trust_refresh(c->t, why, NULL, res);
	c->log = tt_capture_end();
	return st;
}

static void assert_logged(const struct ctx *c, const char *text)
{
	if (strstr(c->log, text) == NULL)
		fail_msg("log lacks \"%s\"", text);
}

static void assert_not_logged(const struct ctx *c, const char *text)
{
	if (strstr(c->log, text) != NULL)
		fail_msg("log has \"%s\"", text);
}

static void assert_cache_is(const struct ctx *c, const uint8_t *ctl, size_t len)
{
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/trust/CTLFile.tlv", c->state);
	uint8_t *buf = tt_read_file(path, &n);
	assert_non_null(buf);
	assert_int_equal(n, len);
	assert_memory_equal(buf, ctl, len);
	free(buf);
}

static size_t count_pins(const struct ctx *c, const struct tt_id *expect)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/trust", c->state);
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	bool found = expect == NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "sast-", 5) != 0)
			continue;
		n++;
		char path[800];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		uint8_t *der = tt_read_file(path, &len);
		assert_non_null(der);
		if (expect && len == expect->cert_len && !memcmp(der, expect->cert, len))
			found = true;
		free(der);
	}
	closedir(d);
	assert_true(found);
	return n;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* "md5 <hex> sha256 <hex>" computed here, independently of firmware/trust. */
static void sums_of(const uint8_t *buf, size_t len, char *out)
{
	uint8_t sha[32];
	char sh[65], mh[33] = "unavailable";
	wc_Sha256Hash(buf, (word32)len, sha);
	hex(sha, 32, sh);
#ifndef NO_MD5
	uint8_t md5[16];
	wc_Md5Hash(buf, (word32)len, md5);
	hex(md5, 16, mh);
#endif
	sprintf(out, "md5 %s sha256 %s", mh, sh);
}

/* ---- tests ---- */

static void test_found_parsed_and_cached(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	open_trust(c, NULL);
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_OK);
	assert_true(r.fetched);
	assert_true(r.accepted);
	assert_false(r.from_cache);
	assert_int_equal(r.servers_found, 1);
	assert_cache_is(c, ctl_a, len_a);
	assert_logged(c, "res=0");
	assert_logged(c, "trust on first use: pinned SAST certificate");
	assert_int_equal(count_pins(c, &g.sast1), 1);

	/* The checksum file holds MD5 and SHA-256 of the cached bytes. */
	char path[512], sums[200], line[100];
	snprintf(path, sizeof(path), "%s/trust/CTLFile.tlv.checksums", c->state);
	char *text = (char *)tt_read_file(path, NULL);
	assert_non_null(text);
	sums_of(ctl_a, len_a, sums);
	char *sha = strstr(sums, "sha256 ");
	snprintf(line, sizeof(line), "%.*s\n", (int)(sha - sums - 1), sums); /* "md5 <hex>" */
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "%s\n", sha);
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "size %zu\n", len_a);
	assert_non_null(strstr(text, line));
	free(text);
#ifndef NO_MD5
	struct vm_trust_digest d;
	assert_non_null(vm_trust_current(c->t, &d));
	assert_true(d.have_md5);
#endif

	/* The CallManager certificate by address and by name; an unknown server is logged as CUC does. */
	struct vm_trust_cert cert;
	assert_int_equal(vm_trust_server_cert(c->t, "10.0.0.1", &cert), 0);
	assert_int_equal(cert.len, g.ccm1.cert_len);
	assert_memory_equal(cert.der, g.ccm1.cert, cert.len);
	assert_int_equal(cert.role, CTL_ROLE_CCM_TFTP);
	assert_int_equal(cert.record, 2); /* the SAST record comes first */
	assert_int_equal(strlen(cert.fingerprint), 95);
	assert_int_equal(vm_trust_server_cert(c->t, "CUCM1.lab", &cert), 0);
	assert_memory_equal(cert.der, g.ccm1.cert, cert.len);
	tt_capture_begin();
	int rc = vm_trust_server_cert(c->t, "10.9.9.9", &cert);
	c->log = (free(c->log), tt_capture_end());
	assert_int_equal(rc, VM_TRUST_E_NOT_IN_CTL);
	assert_logged(c, "failed to find CCM Server '10.9.9.9' in CTL File");
}

static void test_not_found_res68_and_retry(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	open_trust(c, NULL);
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_RETRY);
	assert_int_equal(r.retry_ms, 5000);
	assert_false(r.fetched);
	char want[200];
	snprintf(want, sizeof(want),
	         "Error executing tftp command 'tftp://127.0.0.1:%u/CTLFile.tlv' res=68 (file not found on "
	         "server)",
	         g.tftpd.port);
	assert_logged(c, want);
	const char *failed =
	    "FAILED Port group 'PG-Trust' attempt set InService(true), error retrieving server "
	    "certificates.";
	assert_logged(c, failed);
	assert_true(strstr(c->log, want) < strstr(c->log, failed));
	assert_logged(c, "Starting retry timer -> 5000 msec");
	assert_not_logged(c, "getpeername");
	struct vm_trust_cert cert;
	assert_int_equal(vm_trust_server_cert(c->t, "10.0.0.1", &cert), VM_TRUST_E_NO_CTL);
}

static void test_not_found_uses_cache(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	open_trust(c, NULL);
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, NULL), VM_TRUST_OK);
	serve(NULL, 0);
	open_trust(c, NULL); /* a restart */
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_OK);
	assert_true(r.from_cache);
	assert_logged(c, "res=68 (file not found on server)");
	char want[400];
	snprintf(want, sizeof(want), "Found local CTL file [%s/trust/CTLFile.tlv]", c->state);
	assert_logged(c, want);
	assert_not_logged(c, "FAILED Port group");
	struct vm_trust_cert cert;
	assert_int_equal(vm_trust_server_cert(c->t, "10.0.0.1", &cert), 0);
	assert_memory_equal(cert.der, g.ccm1.cert, cert.len);
	/* After TLS rejected the CallManager's certificate, the cached copy is no answer. */
	assert_int_equal(refresh(c, VM_TRUST_WHY_CERT_REJECTED, &r), VM_TRUST_RETRY);
	assert_int_equal(r.retry_ms, 5000);
	assert_logged(c, "FAILED Port group 'PG-Trust'");
}

static void test_server_not_in_ctl(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_no_server, len_no_server);
	open_trust(c, NULL);
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_RETRY);
	assert_int_equal(r.retry_ms, 5000);
	assert_true(r.accepted); /* the file itself is fine and cached */
	assert_int_equal(r.servers_found, 0);
	assert_logged(c, "failed to find CCM Server '10.0.0.1' in CTL File");
	assert_logged(c,
	              "Failed to extract any CCM Certificates - Registration cannot proceed. Starting retry "
	              "timer -> 5000 msec");
	/* With the second node configured too, registration can go on with it. */
	snprintf(c->cfg.cucm[1].host, sizeof(c->cfg.cucm[1].host), "cucm2.lab");
	c->cfg.n_cucm = 2;
	open_trust(c, NULL);
	assert_int_equal(refresh(c, VM_TRUST_WHY_RETRY, &r), VM_TRUST_OK);
	assert_int_equal(r.servers_found, 1);
	assert_logged(c, "failed to find CCM Server '10.0.0.1' in CTL File");
	assert_logged(c, "CCM Server 'cucm2.lab': CTL record #2 CCM+TFTP");
}

static void test_changed_between_fetches(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	open_trust(c, NULL);
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, NULL), VM_TRUST_OK);
	/* CUCM regenerated its certificate: TLS says the server no longer matches. */
	serve(ctl_b, len_b);
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_CERT_REJECTED, &r), VM_TRUST_OK);
	assert_true(r.changed);
	char old_sums[200], new_sums[200], want[300];
	sums_of(ctl_a, len_a, old_sums);
	sums_of(ctl_b, len_b, new_sums);
	snprintf(want, sizeof(want), "cached %s", old_sums);
	assert_logged(c, want);
	snprintf(want, sizeof(want), "new %s", new_sums);
	assert_logged(c, want);
	assert_cache_is(c, ctl_b, len_b);
	struct vm_trust_cert cert;
	assert_int_equal(vm_trust_server_cert(c->t, "10.0.0.1", &cert), 0);
	assert_memory_equal(cert.der, g.ccm1b.cert, cert.len);
	/* Rejected again, but the TFTP server has nothing newer: do not register, retry in 5 s. */
	assert_int_equal(refresh(c, VM_TRUST_WHY_CERT_REJECTED, &r), VM_TRUST_RETRY);
	assert_int_equal(r.retry_ms, 5000);
	assert_false(r.changed);
	assert_logged(c, "unchanged");
	assert_int_equal(count_pins(c, &g.sast1), 1);
}

static void test_unpinned_sast_refused(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	open_trust(c, NULL);
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, NULL), VM_TRUST_OK);
	serve(ctl_other, len_other);
	open_trust(c, NULL); /* a restart: pins come from the store */
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_OK);
	assert_true(r.fetched);
	assert_false(r.accepted);
	assert_true(r.from_cache);
	assert_logged(c, "not signed by a pinned SAST certificate");
	assert_logged(c, "Found local CTL file");
	assert_cache_is(c, ctl_a, len_a);
	assert_int_equal(count_pins(c, &g.sast1), 1);
	assert_int_equal(refresh(c, VM_TRUST_WHY_CERT_REJECTED, &r), VM_TRUST_RETRY);
	assert_cache_is(c, ctl_a, len_a);
}

static void test_corrupt_file_names_offset(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	open_trust(c, NULL);
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, NULL), VM_TRUST_OK);
	serve(ctl_b, len_b - 7); /* the last record runs past the end */
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_RETRY, &r), VM_TRUST_OK);
	assert_false(r.accepted);
	assert_true(r.from_cache);
	assert_non_null(strstr(r.reason, "offset"));
	assert_logged(c, "CTLFile.tlv from tftp://127.0.0.1:");
	assert_logged(c, "refused: ");
	assert_logged(c, "offset");
	assert_cache_is(c, ctl_a, len_a);
	/* One flipped bit inside a certificate: the signature no longer verifies. */
	static uint8_t bad[CTL_CAP];
	memcpy(bad, ctl_b, len_b);
	bad[len_b - 40] ^= 0x01;
	serve(bad, len_b);
	assert_int_equal(refresh(c, VM_TRUST_WHY_CERT_REJECTED, &r), VM_TRUST_RETRY);
	assert_false(r.accepted);
	assert_logged(c, "refused");
	assert_cache_is(c, ctl_a, len_a);
}

static void test_second_server_answers(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	uint16_t dead = tt_free_udp_port();
	c->cfg.tftp[1] = c->cfg.tftp[0];
	c->cfg.tftp[0].port = dead;
	c->cfg.n_tftp = 2;
	struct vm_trust_opts opts = {.tftp_timeout_ms = 1000};
	open_trust(c, &opts);
	struct vm_trust_result r;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char want[200];
	snprintf(
	    want, sizeof(want),
	    "Error executing tftp command 'tftp://127.0.0.1:%u/CTLFile.tlv' res=28 (no answer from server)",
	    dead);
	assert_logged(c, want);
	snprintf(want, sizeof(want), "tftp://127.0.0.1:%u/CTLFile.tlv", g.tftpd.port);
	assert_string_equal(r.source, want);
	assert_true(r.accepted);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 10000); /* the dead server cost about the 1 s timeout, not the default */
}

static void test_too_large(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_a, len_a);
	struct vm_trust_opts opts = {.max_ctl_bytes = 1000};
	open_trust(c, &opts);
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_RETRY);
	assert_logged(c, "CTLFile.tlv is larger than 1000 bytes, the limit");
	assert_logged(c, "FAILED Port group 'PG-Trust'");
}

static void test_verify_off(void **state)
{
	struct ctx *c = *state;
	need_tftpd();
	serve(ctl_other, len_other);
	c->cfg.ctl_verify = false;
	free(c->log);
	tt_capture_begin();
	open_trust(c, NULL);
	c->log = tt_capture_end();
	assert_logged(c, "WARNING: CTL signature verification is OFF");
	struct vm_trust_result r;
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, &r), VM_TRUST_OK);
	assert_true(r.accepted);
	assert_logged(c, "NOT verified (ctl_verify = off)");
	assert_int_equal(count_pins(c, NULL), 0);
	/* The warning again at the next start. */
	tt_capture_begin();
	open_trust(c, NULL);
	free(c->log);
	c->log = tt_capture_end();
	assert_logged(c, "WARNING: CTL signature verification is OFF");
}

/* Pins follow each accepted CTL's SAST list; a SAST the cluster dropped is no longer trusted. */
static void test_pins_roll_forward(void **state)
{
	struct ctx *c = *state;
	open_trust(c, NULL);
	struct vm_trust_result r;
	assert_int_equal(vm_trust_accept(c->t, ctl_two_sast, len_two_sast, "test", &r), CTL_OK);
	assert_int_equal(count_pins(c, &g.sast2), 2);
	assert_int_equal(vm_trust_accept(c->t, ctl_by_sast2, len_by_sast2, "test", &r), CTL_OK);
	assert_int_equal(count_pins(c, &g.sast2), 1);
	assert_int_equal(vm_trust_accept(c->t, ctl_a, len_a, "test", &r), CTL_ERR_NOT_PINNED);
	assert_non_null(strstr(r.reason, "sast-*.der"));
	assert_cache_is(c, ctl_by_sast2, len_by_sast2);
	/* A restart reads the same pins. */
	open_trust(c, NULL);
	struct ctl_bytes pins[4];
	assert_int_equal(vm_trust_pins(c->t, pins, 4), 1);
	assert_int_equal(pins[0].len, g.sast2.cert_len);
	assert_memory_equal(pins[0].data, g.sast2.cert, pins[0].len);
}

/* A cached copy that a changed pin set no longer verifies is not used. */
static void test_cache_must_verify(void **state)
{
	struct ctx *c = *state;
	open_trust(c, NULL);
	assert_int_equal(vm_trust_accept(c->t, ctl_a, len_a, "test", NULL), CTL_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/trust/CTLFile.tlv", c->state);
	assert_int_equal(tt_write_file(path, ctl_other, len_other), 0); /* tampered cache */
	free(c->log);
	tt_capture_begin();
	open_trust(c, NULL);
	c->log = tt_capture_end();
	assert_logged(c, "does not verify");
	assert_logged(c, "does not match the cached CTL");
	bool trusted = true;
	assert_non_null(vm_trust_cached(c->t, NULL, &trusted));
	assert_false(trusted);
	c->cfg.n_tftp = 0; /* nothing to fetch from */
	open_trust(c, NULL);
	assert_int_equal(refresh(c, VM_TRUST_WHY_START, NULL), VM_TRUST_RETRY);
	assert_not_logged(c, "Found local CTL file");
}

struct lines {
	char text[4096];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "\n");
}

static void test_diff(void **state)
{
	(void)state;
	static struct ctl_file a, b, e;
	struct ctl_error err;
	assert_int_equal(ctl_parse(ctl_a, len_a, &a, &err), CTL_OK);
	assert_int_equal(ctl_parse(ctl_b, len_b, &b, &err), CTL_OK);
	assert_int_equal(ctl_parse(ctl_extra, len_extra, &e, &err), CTL_OK);
	struct vm_trust_diff_counts n;
	struct lines l = {{0}};
	vm_trust_diff(&a, &a, collect, &l, &n);
	assert_int_equal(n.same, 2);
	assert_int_equal(n.added + n.removed + n.changed, 0);
	assert_string_equal(l.text, "");
	vm_trust_diff(&a, &b, collect, &l, &n); /* regenerated CallManager certificate */
	assert_int_equal(n.changed, 1);
	assert_int_equal(n.same, 1);
	assert_int_equal(n.added + n.removed, 0);
	char fp_old[96], fp_new[96];
	vm_trust_fingerprint(g.ccm1.cert, g.ccm1.cert_len, fp_old);
	vm_trust_fingerprint(g.ccm1b.cert, g.ccm1b.cert_len, fp_new);
	assert_non_null(strstr(l.text, "~ changed record #2 CCM+TFTP"));
	assert_non_null(strstr(l.text, fp_old));
	assert_non_null(strstr(l.text, fp_new));
	memset(&l, 0, sizeof(l));
	vm_trust_diff(&a, &e, collect, &l, &n); /* a node added */
	assert_int_equal(n.added, 1);
	assert_int_equal(n.same, 2);
	assert_non_null(strstr(l.text, "+ added record #3 CCM+TFTP"));
	assert_non_null(strstr(l.text, "cucm2.lab"));
	memset(&l, 0, sizeof(l));
	vm_trust_diff(&e, &a, collect, &l, &n); /* and removed again */
	assert_int_equal(n.removed, 1);
	assert_non_null(strstr(l.text, "- removed record #3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_found_parsed_and_cached, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_found_res68_and_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_found_uses_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_not_in_ctl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed_between_fetches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unpinned_sast_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_file_names_offset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_server_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pins_roll_forward, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache_must_verify, setup, teardown),
	    cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
