/* firmware/pki: the root and port certificates are created once, kept, grown with `ports`, and
 * re-issued (with the reason) when damaged, mismatched, signed by an old root or expiring; I/O
 * failures name the file and errno; keys are 0600; times cross 2050 correctly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock/hal_clock.h"
#include "pki/pki.h"
#include "pki/pki_internal.h"
#include "pki_test_util.h"

struct seen {
	char name[16];
	enum pki_action action;
	char reason[512];
};

struct capture {
	struct seen items[16];
	int n;
};

static void on_item(void *arg, const char *name, enum pki_action action, const char *reason)
{
	struct capture *c = arg;
	if (c->n < 16) {
		snprintf(c->items[c->n].name, sizeof(c->items[c->n].name), "%s", name);
		c->items[c->n].action = action;
		snprintf(c->items[c->n].reason, sizeof(c->items[c->n].reason), "%s", reason);
		c->n++;
	}
}

static const struct seen *find(const struct capture *c, const char *name)
{
	for (int i = 0; i < c->n; i++) {
		if (!strcmp(c->items[i].name, name))
			return &c->items[i];
	}
	fail_msg("no report item for %s", name);
	return NULL;
}

static struct pki_report ensure_ok(const struct vmport_config *cfg, int64_t now, struct capture *cap)
{
	struct pki_report rep = {0};
	char err[512] = "";
	memset(cap, 0, sizeof(*cap));
	rep.on_item = on_item;
	rep.arg = cap;
	int rc = pki_ensure_report(cfg, now, &rep, err, sizeof(err));
	if (rc)
		fail_msg("pki_ensure_report: %d %s", rc, err);
	return rep;
}

static void path_of(const struct vmport_config *cfg, const char *device, const char *ext, char *out)
{
	if (device)
		pki_port_path(cfg, device, ext, out, VMPORT_PATH_MAX + 64);
	else
		pki_root_path(cfg, ext, out, VMPORT_PATH_MAX + 64);
}

struct snapshot {
	uint8_t data[6][PKI_PEM_MAX];
	size_t len[6];
};

static void take_snapshot(const struct vmport_config *cfg, struct snapshot *s)
{
	const char *devs[] = {NULL, NULL, "CiscoUM1-VI1", "CiscoUM1-VI1", "CiscoUM1-VI2", "CiscoUM1-VI2"};
	for (int i = 0; i < 6; i++) {
		char p[VMPORT_PATH_MAX + 64];
		path_of(cfg, devs[i], i % 2 ? ".key" : ".pem", p);
		assert_int_equal(read_whole(p, s->data[i], sizeof(s->data[i]), &s->len[i]), 0);
		assert_true(s->len[i] > 100);
	}
}

static void assert_no_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		assert_null(strstr(e->d_name, ".tmp."));
	closedir(d);
}

static void test_creates_keeps_and_grows(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX];
	tmpdir_make(dir);
	struct vmport_config cfg;
	test_config(&cfg, dir, 2);
	int64_t now = hal_clock_wall_s();
	struct capture cap;

	struct pki_report rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.root, PKI_CREATED);
	assert_int_equal(rep.created, 3);
	assert_int_equal(rep.reissued, 0);
	assert_int_equal(rep.kept, 0);
	assert_int_equal(rep.keygens, 3);
	print_message("RSA-%d key generation: %.1f ms each (%u keys)\n", PKI_RSA_BITS,
	              rep.keygen_ms_total / rep.keygens, rep.keygens);
	assert_string_equal(cap.items[0].name, "root");
	assert_string_equal(cap.items[1].name, "CiscoUM1-VI1");
	assert_string_equal(cap.items[2].name, "CiscoUM1-VI2");

	char p[VMPORT_PATH_MAX + 64];
	path_of(&cfg, NULL, ".key", p);
	assert_int_equal(file_mode(p), 0600);
	path_of(&cfg, NULL, ".pem", p);
	assert_int_equal(file_mode(p), 0644);
	for (unsigned n = 1; n <= 2; n++) {
		char dev[16];
		vmport_config_device_name(&cfg, n, dev);
		path_of(&cfg, dev, ".key", p);
		assert_int_equal(file_mode(p), 0600);
		path_of(&cfg, dev, ".pem", p);
		assert_int_equal(file_mode(p), 0644);
	}
	snprintf(p, sizeof(p), "%s/pki", dir);
	assert_int_equal(file_mode(p), 0700);
	assert_no_temp_files(p);
	snprintf(p, sizeof(p), "%s/pki/ports", dir);
	assert_no_temp_files(p);

	static struct snapshot before, after;
	take_snapshot(&cfg, &before);
	rep = ensure_ok(&cfg, now + 60, &cap);
	assert_int_equal(rep.root, PKI_KEPT);
	assert_int_equal(rep.created, 0);
	assert_int_equal(rep.reissued, 0);
	assert_int_equal(rep.kept, 3);
	assert_int_equal(rep.keygens, 0);
	take_snapshot(&cfg, &after);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(before.len[i], after.len[i]);
		assert_memory_equal(before.data[i], after.data[i], before.len[i]);
	}

	cfg.ports = 3;
	rep = ensure_ok(&cfg, now + 120, &cap);
	assert_int_equal(rep.created, 1);
	assert_int_equal(rep.kept, 3);
	assert_int_equal(find(&cap, "CiscoUM1-VI3")->action, PKI_CREATED);
	path_of(&cfg, "CiscoUM1-VI3", ".key", p);
	assert_int_equal(file_mode(p), 0600);
	tmpdir_remove(dir);
}

/* A fresh state directory with the root and two ports. */
static void setup_two_ports(char dir[VMPORT_PATH_MAX], struct vmport_config *cfg, int64_t now)
{
	struct capture cap;
	tmpdir_make(dir);
	test_config(cfg, dir, 2);
	struct pki_report rep = ensure_ok(cfg, now, &cap);
	assert_int_equal(rep.created, 3);
}

static void test_corrupted_cert_is_reissued_with_same_key(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], p[VMPORT_PATH_MAX + 64], k[VMPORT_PATH_MAX + 64];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	path_of(&cfg, "CiscoUM1-VI2", ".pem", p);
	path_of(&cfg, "CiscoUM1-VI2", ".key", k);
	static uint8_t key_before[PKI_PEM_MAX], key_after[PKI_PEM_MAX], pem[PKI_PEM_MAX];
	size_t kb, ka, pl;
	assert_int_equal(read_whole(k, key_before, sizeof(key_before), &kb), 0);

	/* Garbage, then a PEM cut in half. */
	assert_int_equal(write_whole(p, "not a certificate\n", 18), 0);
	struct capture cap;
	struct pki_report rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.reissued, 1);
	assert_int_equal(rep.kept, 2);
	assert_int_equal(rep.keygens, 0);
	const struct seen *s = find(&cap, "CiscoUM1-VI2");
	assert_int_equal(s->action, PKI_REISSUED);
	assert_non_null(strstr(s->reason, p));
	assert_int_equal(read_whole(k, key_after, sizeof(key_after), &ka), 0);
	assert_int_equal(ka, kb);
	assert_memory_equal(key_before, key_after, kb);

	assert_int_equal(read_whole(p, pem, sizeof(pem), &pl), 0);
	assert_int_equal(write_whole(p, pem, pl / 2), 0);
	rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.reissued, 1);
	assert_int_equal(find(&cap, "CiscoUM1-VI2")->action, PKI_REISSUED);

	/* The re-issued pair loads for TLS. */
	struct pki_identity id;
	char err[512];
	assert_int_equal(pki_load_port_identity(&cfg, "CiscoUM1-VI2", &id, err, sizeof(err)), 0);
	pki_identity_wipe(&id);
	tmpdir_remove(dir);
}

static void test_damaged_or_mismatched_key(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], k1[VMPORT_PATH_MAX + 64], k2[VMPORT_PATH_MAX + 64];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	path_of(&cfg, "CiscoUM1-VI1", ".key", k1);
	path_of(&cfg, "CiscoUM1-VI2", ".key", k2);
	static uint8_t key1[PKI_PEM_MAX];
	size_t l1;
	assert_int_equal(read_whole(k1, key1, sizeof(key1), &l1), 0);

	/* Port 2's key replaced by port 1's: the certificate no longer matches; the key is kept. */
	assert_int_equal(write_whole(k2, key1, l1), 0);
	struct capture cap;
	struct pki_report rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.reissued, 1);
	assert_int_equal(rep.keygens, 0);
	const struct seen *s = find(&cap, "CiscoUM1-VI2");
	assert_int_equal(s->action, PKI_REISSUED);
	assert_non_null(strstr(s->reason, "does not match"));
	assert_int_equal(file_mode(k2), 0600);

	/* A key file that is not a key: a new key and certificate. */
	assert_int_equal(
	    write_whole(k2, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", 67), 0);
	rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.reissued, 1);
	assert_int_equal(rep.keygens, 1);
	assert_non_null(strstr(find(&cap, "CiscoUM1-VI2")->reason, "not a usable"));
	assert_int_equal(file_mode(k2), 0600);

	/* The key file deleted. */
	assert_int_equal(unlink(k2), 0);
	rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.reissued, 1);
	assert_non_null(strstr(find(&cap, "CiscoUM1-VI2")->reason, "missing"));
	tmpdir_remove(dir);
}

static void test_loose_key_mode_is_tightened(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], k[VMPORT_PATH_MAX + 64], rk[VMPORT_PATH_MAX + 64];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	path_of(&cfg, "CiscoUM1-VI1", ".key", k);
	path_of(&cfg, NULL, ".key", rk);
	assert_int_equal(chmod(k, 0644), 0);
	assert_int_equal(chmod(rk, 0640), 0);
	struct capture cap;
	struct pki_report rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.kept, 3);
	assert_int_equal(file_mode(k), 0600);
	assert_int_equal(file_mode(rk), 0600);
	tmpdir_remove(dir);
}

static void test_expiring_and_new_root(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	struct capture cap;

	/* 29 days before the ports expire: re-issued; the root (20 years) stays. */
	int64_t later = now + PKI_PORT_VALID_S - 29 * 86400;
	struct pki_report rep = ensure_ok(&cfg, later, &cap);
	assert_int_equal(rep.root, PKI_KEPT);
	assert_int_equal(rep.reissued, 2);
	assert_int_equal(rep.keygens, 0);
	assert_non_null(strstr(find(&cap, "CiscoUM1-VI1")->reason, "expires on"));
	/* 31 days before: nothing to do. */
	rep = ensure_ok(&cfg, later + PKI_PORT_VALID_S - 31 * 86400 - 3600, &cap);
	assert_int_equal(rep.reissued, 0);

	/* The root expiring: a new root, so every port is re-issued as signed by another root. */
	rep = ensure_ok(&cfg, now + PKI_ROOT_VALID_S - 86400, &cap);
	assert_int_equal(rep.root, PKI_REISSUED);
	assert_non_null(strstr(find(&cap, "root")->reason, "expires"));
	assert_int_equal(rep.reissued, 3);
	assert_non_null(strstr(find(&cap, "CiscoUM1-VI2")->reason, "not signed by the current root"));
	tmpdir_remove(dir);
}

static void test_lost_root_key_replaces_root(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], rk[VMPORT_PATH_MAX + 64];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	path_of(&cfg, NULL, ".key", rk);
	uint8_t der[PKI_CERT_DER_MAX];
	size_t len;
	char err[256];
	struct pki_cert_facts before, after;
	assert_int_equal(pki_load_root(&cfg, der, sizeof(der), &len, err, sizeof(err)), 0);
	assert_int_equal(pki_cert_facts(der, len, &before), 0);
	assert_int_equal(unlink(rk), 0);
	struct capture cap;
	struct pki_report rep = ensure_ok(&cfg, now, &cap);
	assert_int_equal(rep.root, PKI_REISSUED);
	assert_non_null(strstr(find(&cap, "root")->reason, "root-ca.key is missing"));
	assert_int_equal(rep.reissued, 3);
	assert_non_null(strstr(find(&cap, "CiscoUM1-VI1")->reason, "not signed by the current root"));
	assert_int_equal(rep.keygens, 1); /* only the root's: the ports keep their keys */

	/* The new root has a new name: CUCM must be given it again. */
	assert_int_equal(pki_load_root(&cfg, der, sizeof(der), &len, err, sizeof(err)), 0);
	assert_int_equal(pki_cert_facts(der, len, &after), 0);
	assert_string_not_equal(before.common_name, after.common_name);
	assert_int_not_equal(before.subject_hash, after.subject_hash);
	tmpdir_remove(dir);
}

static void test_io_error_names_the_file(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], p[VMPORT_PATH_MAX + 64], err[512] = "";
	tmpdir_make(dir);
	struct vmport_config cfg;

	/* state_dir below a regular file. */
	snprintf(p, sizeof(p), "%s/file", dir);
	assert_int_equal(write_whole(p, "x", 1), 0);
	snprintf(p, sizeof(p), "%s/file/state", dir);
	test_config(&cfg, p, 2);
	int rc = pki_ensure(&cfg, hal_clock_wall_s(), err, sizeof(err));
	print_message("state_dir under a file: %s\n", err);
	assert_int_equal(rc, -ENOTDIR);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "errno 20"));

	/* A read-only state_dir, as an unprivileged user (root would ignore the mode). */
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/ro", dir);
	assert_int_equal(mkdir(p, 0555), 0);
	assert_int_equal(chmod(p, 0555), 0);
	test_config(&cfg, p, 2);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		char cerr[512] = "";
		int crc = pki_ensure(&cfg, hal_clock_wall_s(), cerr, sizeof(cerr));
		if (write(fds[1], &crc, sizeof(crc)) != sizeof(crc) ||
		    write(fds[1], cerr, sizeof(cerr)) != sizeof(cerr))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	int crc = 0;
	assert_int_equal(read(fds[0], &crc, sizeof(crc)), sizeof(crc));
	assert_int_equal(read(fds[0], err, sizeof(err)), sizeof(err));
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("read-only state_dir: %s\n", err);
	assert_int_equal(crc, -EACCES);
	snprintf(p, sizeof(p), "%s/ro/pki", dir);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "Permission denied"));
	tmpdir_remove(dir);
}

/* A file that exists but cannot be read is an error, never a reason to make a new one. */
static void test_unreadable_file_is_an_error(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], k[VMPORT_PATH_MAX + 64], err[512] = "";
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	path_of(&cfg, "CiscoUM1-VI1", ".key", k);
	assert_int_equal(unlink(k), 0);
	assert_int_equal(mkdir(k, 0700), 0);
	int rc = pki_ensure(&cfg, now, err, sizeof(err));
	print_message("key path is a directory: %s\n", err);
	assert_int_equal(rc, -EISDIR);
	assert_non_null(strstr(err, k));
	assert_int_equal(rmdir(k), 0);
	tmpdir_remove(dir);
}

/* Everything present in a directory nobody may write: kept, no error (the lock is optional). */
static void test_read_only_complete_state_dir(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], p[VMPORT_PATH_MAX + 64];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);
	snprintf(p, sizeof(p), "%s/pki/.lock", dir);
	assert_int_equal(unlink(p), 0);
	/* Give the tree to nobody (when we are root), then make it read-only for everyone. */
	const bool as_root = geteuid() == 0;
	const char *subs[] = {"", "/pki", "/pki/ports"};
	for (int i = 0; as_root && i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
		assert_int_equal(chown(p, 65534, 65534), 0);
	}
	const char *devices[] = {NULL, "CiscoUM1-VI1", "CiscoUM1-VI2"};
	for (int i = 0; as_root && i < 3; i++) {
		path_of(&cfg, devices[i], ".key", p);
		assert_int_equal(chown(p, 65534, 65534), 0);
		path_of(&cfg, devices[i], ".pem", p);
		assert_int_equal(chown(p, 65534, 65534), 0);
	}
	for (int i = 2; i >= 0; i--) {
		snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
		assert_int_equal(chmod(p, 0555), 0);
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		char cerr[512] = "";
		struct pki_report rep = {0};
		int crc = pki_ensure_report(&cfg, now, &rep, cerr, sizeof(cerr));
		if (crc)
			fprintf(stderr, "read-only: %s\n", cerr);
		_exit(crc == 0 && rep.kept == 3 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	tmpdir_remove(dir);
}

static void test_unset_clock_is_refused(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], err[256] = "";
	tmpdir_make(dir);
	struct vmport_config cfg;
	test_config(&cfg, dir, 2);
	assert_int_equal(pki_ensure(&cfg, 86400, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "1970-01-02"));
	tmpdir_remove(dir);
}

static void test_identity_loads_and_facts(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], err[512];
	struct vmport_config cfg;
	int64_t now = hal_clock_wall_s();
	setup_two_ports(dir, &cfg, now);

	struct pki_identity id;
	assert_int_equal(pki_load_port_identity(&cfg, "CiscoUM1-VI1", &id, err, sizeof(err)), 0);
	assert_true(id.cert_len > 600 && id.cert_len < PKI_CERT_DER_MAX);
	assert_true(id.key_len > 1100 && id.key_len < PKI_KEY_DER_MAX);
	struct pki_cert_facts f;
	assert_int_equal(pki_cert_facts(id.cert, id.cert_len, &f), 0);
	assert_string_equal(f.common_name, "CiscoUM1-VI1");
	assert_string_equal(f.subject, "O=vmport, CN=CiscoUM1-VI1");
	assert_int_equal(f.not_before, now - PKI_BACKDATE_S);
	assert_int_equal(f.not_after, now + PKI_PORT_VALID_S);
	assert_int_equal(strlen(f.serial_hex), 32);
	assert_true(strchr("1234567", f.serial_hex[0]) || (f.serial_hex[0] == '0' && f.serial_hex[1] != '0'));
	pki_identity_wipe(&id);
	uint8_t zero[sizeof(id)] = {0};
	assert_memory_equal(&id, zero, sizeof(id));

	uint8_t root[PKI_CERT_DER_MAX];
	size_t root_len;
	assert_int_equal(pki_load_root(&cfg, root, sizeof(root), &root_len, err, sizeof(err)), 0);
	assert_int_equal(pki_cert_facts(root, root_len, &f), 0);
	regex_t re;
	assert_int_equal(
	    regcomp(&re, "^CiscoUnity-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
	            REG_EXTENDED | REG_NOSUB),
	    0);
	assert_int_equal(regexec(&re, f.common_name, 0, NULL, 0), 0);
	regfree(&re);
	assert_int_equal(f.not_after, now + PKI_ROOT_VALID_S);
	assert_int_equal(strlen(f.serial_hex), 32);

	/* Port check (what `ca show` uses) agrees. */
	char reason[512];
	assert_int_equal(pki_port_check(&cfg, "CiscoUM1-VI2", root, root_len, now, reason, sizeof(reason)),
	                 0);
	assert_int_equal(pki_port_check(&cfg, "CiscoUM1-VI7", root, root_len, now, reason, sizeof(reason)),
	                 1);

	/* Missing and mismatched identities are errors that say what to do. */
	assert_int_equal(pki_load_port_identity(&cfg, "CiscoUM1-VI9", &id, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "ca init"));
	char k1[VMPORT_PATH_MAX + 64], k2[VMPORT_PATH_MAX + 64];
	static uint8_t key[PKI_PEM_MAX];
	size_t kl;
	path_of(&cfg, "CiscoUM1-VI1", ".key", k1);
	path_of(&cfg, "CiscoUM1-VI2", ".key", k2);
	assert_int_equal(read_whole(k2, key, sizeof(key), &kl), 0);
	assert_int_equal(write_whole(k1, key, kl), 0);
	assert_int_equal(pki_load_port_identity(&cfg, "CiscoUM1-VI1", &id, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, k1));
	tmpdir_remove(dir);
}

static void test_time_encoding_across_2050(void **state)
{
	(void)state;
	uint8_t b[32];
	struct pki_tlv t;
	size_t pos = 0;
	int64_t back;
	assert_int_equal(pki_der_time_encode(2524607999LL, b), 15); /* 2049-12-31 23:59:59 */
	assert_int_equal(b[0], 0x17);
	assert_memory_equal(b + 2, "491231235959Z", 13);
	assert_int_equal(pki_der_next(b, 15, &pos, &t), 0);
	assert_int_equal(pki_der_time_decode(&t, &back), 0);
	assert_int_equal(back, 2524607999LL);
	assert_int_equal(pki_der_time_encode(2524608000LL, b), 17); /* 2050-01-01 00:00:00 */
	assert_int_equal(b[0], 0x18);
	assert_memory_equal(b + 2, "20500101000000Z", 15);
	pos = 0;
	assert_int_equal(pki_der_next(b, 17, &pos, &t), 0);
	assert_int_equal(pki_der_time_decode(&t, &back), 0);
	assert_int_equal(back, 2524608000LL);
	assert_int_equal(pki_der_time_encode(4102444800LL, b), 17); /* 2100-01-01: not a leap year */
	assert_memory_equal(b + 2, "21000101000000Z", 15);
	assert_int_equal(pki_der_time_encode(951782400LL, b), 15); /* 2000-02-29 */
	assert_memory_equal(b + 2, "000229000000Z", 13);
}

static void test_root_valid_past_2050(void **state)
{
	(void)state;
	char dir[VMPORT_PATH_MAX], out[512], cmd[2048], rp[VMPORT_PATH_MAX + 64], pp[VMPORT_PATH_MAX + 64];
	tmpdir_make(dir);
	struct vmport_config cfg;
	test_config(&cfg, dir, 1);
	const int64_t now = 1938038400LL; /* 2031-06-01: the root then runs to 2051 */
	struct capture cap;
	ensure_ok(&cfg, now, &cap);
	uint8_t der[PKI_CERT_DER_MAX];
	size_t len;
	char err[256];
	assert_int_equal(pki_load_root(&cfg, der, sizeof(der), &len, err, sizeof(err)), 0);
	struct pki_cert_view v;
	assert_int_equal(pki_cert_view(der, len, &v), 0);
	assert_int_equal(v.not_after, now + PKI_ROOT_VALID_S);
	/* In the DER: notBefore UTCTime (2031), notAfter GeneralizedTime (2051). */
	assert_non_null(memmem(der, len,
	                       "\x17\x0d"
	                       "310531230000Z",
	                       15));
	assert_non_null(memmem(der, len,
	                       "\x18\x0f"
	                       "20510601000000Z",
	                       17));

	path_of(&cfg, NULL, ".pem", rp);
	path_of(&cfg, "CiscoUM1-VI1", ".pem", pp);
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -enddate -in '%s'", rp);
	assert_int_equal(run_capture(cmd, out, sizeof(out)), 0);
	print_message("root %s\n", out);
	assert_string_equal(out, "notAfter=Jun  1 00:00:00 2051 GMT");
	snprintf(cmd, sizeof(cmd), "openssl verify -attime %lld -CAfile '%s' '%s' 2>&1", (long long)now + 60,
	         rp, pp);
	assert_int_equal(run_capture(cmd, out, sizeof(out)), 0);
	/* In 2050 the port (re-issued at the end of its 10 years) still chains to the root. */
	snprintf(cmd, sizeof(cmd), "openssl verify -attime %lld -CAfile '%s' '%s' 2>&1",
	         (long long)now + PKI_PORT_VALID_S - 86400, rp, pp);
	assert_int_equal(run_capture(cmd, out, sizeof(out)), 0);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_creates_keeps_and_grows, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_corrupted_cert_is_reissued_with_same_key, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_damaged_or_mismatched_key, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_loose_key_mode_is_tightened, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_expiring_and_new_root, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_lost_root_key_replaces_root, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_io_error_names_the_file, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_unreadable_file_is_an_error, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_read_only_complete_state_dir, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_unset_clock_is_refused, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_identity_loads_and_facts, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_time_encoding_across_2050, tmpdir_cleanup),
	    cmocka_unit_test_teardown(test_root_valid_past_2050, tmpdir_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
