/* The lab CallManager's state directory and TFTP server: the CallManager certificate, the SAST and
 * a CTL signed by it are made at start (and kept at the next start); TFTP serves the CTL (RFC 1350:
 * RRQ, 512-byte DATA from a new port, lock-step ACK, retransmission, the last short block) and
 * nothing else: a key in the state directory, a path, WRQ and netascii are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock/hal_clock.h"
#include "ctl/ctl.h"
#include "labcm/labcm_internal.h"
#include "pki/pki_internal.h"

static struct labcm *lab;
static char state_dir[128];
static uint16_t tftp_port;
static uint8_t ctl_file[16384];
static size_t ctl_len;

static void start_lab(void)
{
	char text[1024], err[512];
	snprintf(text, sizeof(text),
	         "[labcm]\nlisten = 127.0.0.1\nsccp_port = %u\ntls_port = 0\ntftp_port = %u\nstate_dir = %s\n"
	         "caller_rtp_min = %u\ncaller_rtp_max = %u\n"
	         "[devices]\nprefix = CiscoUM1-VI\ncount = 2\nfirst_dn = 8001\n",
	         tftp_port + 1u, tftp_port, state_dir, tftp_port + 10u, tftp_port + 100u);
	struct labcm_config cfg;
	if (labcm_config_parse_string(&cfg, text, "test", err, sizeof(err)) < 0)
		fail_msg("%s", err);
	if (labcm_create(&cfg, &lab, err, sizeof(err)) < 0)
		fail_msg("labcm_create: %s", err);
}

static int setup(void **state)
{
	(void)state;
	tftp_port = (uint16_t)(26000 + getpid() % 2000 * 2);
	snprintf(state_dir, sizeof(state_dir), "/tmp/labcm-tftp-test-%d", (int)getpid());
	start_lab();
	char path[256];
	snprintf(path, sizeof(path), "%s/tftp/CTLFile.tlv", state_dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	ctl_len = fread(ctl_file, 1, sizeof(ctl_file), f);
	fclose(f);
	assert_true(ctl_len > 512);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	labcm_destroy(lab);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int client(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000001)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_to(int fd, uint16_t port, const void *pkt, size_t len)
{
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7F000001)};
	assert_int_equal(sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

static size_t rrq(uint8_t *pkt, const char *name, const char *mode, uint16_t op)
{
	pkt[0] = 0;
	pkt[1] = (uint8_t)op;
	size_t n = 2;
	strcpy((char *)pkt + n, name);
	n += strlen(name) + 1;
	strcpy((char *)pkt + n, mode);
	n += strlen(mode) + 1;
	return n;
}

/* Run the server until the client socket has a packet (or ms pass): its length, 0 on timeout. */
static size_t receive(int fd, uint8_t *buf, size_t cap, uint16_t *from_port, int ms)
{
	uint64_t end = hal_clock_now_ms() + (uint64_t)ms;
	while (hal_clock_now_ms() < end) {
		assert_int_equal(labcm_run_once(lab, 5), 0);
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from, &fl);
		if (n >= 0) {
			*from_port = ntohs(from.sin_port);
			return (size_t)n;
		}
	}
	return 0;
}

static void ack(int fd, uint16_t port, uint16_t block)
{
	uint8_t a[4] = {0, 4, (uint8_t)(block >> 8), (uint8_t)block};
	send_to(fd, port, a, 4);
}

static void expect_error(int fd, uint16_t code, const char *text)
{
	uint8_t buf[600];
	uint16_t port;
	size_t n = receive(fd, buf, sizeof(buf), &port, 1000);
	assert_true(n >= 5);
	assert_int_equal(buf[1], 5);
	assert_int_equal(buf[2] << 8 | buf[3], code);
	buf[n - 1] = '\0';
	assert_string_equal((char *)buf + 4, text);
}

static void test_state_dir(void **state)
{
	(void)state;
	char path[256];
	struct stat st;
	static const char *files[] = {"callmanager.pem", "callmanager.key", "sast.pem", "sast.key"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, files[i]);
		assert_int_equal(stat(path, &st), 0);
		if (strstr(files[i], ".key"))
			assert_int_equal(st.st_mode & 0777, 0600);
	}
	snprintf(path, sizeof(path), "%s/CallManager-trust", state_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* The CTL verifies with its SAST and names the CallManager at the listen address. */
	struct ctl_file *f = calloc(1, sizeof(*f));
	assert_int_equal(ctl_parse(ctl_file, ctl_len, f, NULL), CTL_OK);
	struct ctl_verify_opts vo = {.flags = CTL_VERIFY_CERT_HASHES};
	assert_int_equal(ctl_verify(f, &vo, NULL, NULL), CTL_OK);
	const struct ctl_record *r = ctl_select_ccm(f, (const uint8_t[]){127, 0, 0, 1}, NULL, NULL);
	assert_non_null(r);
	assert_int_equal(r->role, CTL_ROLE_CCM_TFTP);
	uint8_t cert[4096];
	size_t cert_len;
	char err[256];
	snprintf(path, sizeof(path), "%s/callmanager.pem", state_dir);
	assert_int_equal(pki_read_cert_pem(path, cert, sizeof(cert), &cert_len, err, sizeof(err)), 0);
	assert_int_equal(r->cert.len, cert_len);
	assert_memory_equal(r->cert.data, cert, cert_len);
	free(f);

	/* A restart keeps the identities (the ports pinned them) and signs a new CTL. */
	struct stat before;
	snprintf(path, sizeof(path), "%s/callmanager.pem", state_dir);
	assert_int_equal(stat(path, &before), 0);
	labcm_destroy(lab);
	start_lab();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, before.st_ino);
}

static void test_fetch_ctl(void **state)
{
	(void)state;
	int fd = client();
	uint8_t pkt[600], got[16384];
	send_to(fd, tftp_port, pkt, rrq(pkt, "CTLFile.tlv", "octet", 1));
	size_t total = 0;
	uint16_t tid = 0, from;
	for (uint16_t block = 1;; block++) {
		size_t n = receive(fd, pkt, sizeof(pkt), &from, 2000);
		assert_true(n >= 4);
		assert_int_equal(pkt[1], 3);
		assert_int_equal(pkt[2] << 8 | pkt[3], block);
		if (block == 1) {
			tid = from;
			assert_int_not_equal(tid, tftp_port); /* a new port per transfer */
		}
		assert_int_equal(from, tid);
		assert_true(n - 4 <= 512);
		memcpy(got + total, pkt + 4, n - 4);
		total += n - 4;
		if (block == 2) { /* a lost ACK: the block comes again */
			size_t again = receive(fd, pkt, sizeof(pkt), &from, 2500);
			assert_true(again == n);
			assert_int_equal(pkt[2] << 8 | pkt[3], 2);
		}
		if (block != 2)
			ack(fd, tid, block);
		else
			ack(fd, tid, block), ack(fd, tid, block); /* a duplicate ACK is not answered twice */
		if (n - 4 < 512)
			break;
	}
	assert_int_equal(total, ctl_len);
	assert_memory_equal(got, ctl_file, ctl_len);
	uint16_t p;
	assert_int_equal(receive(fd, pkt, sizeof(pkt), &p, 300), 0); /* nothing more */
	uint64_t served, not_found, failed;
	labcm_tftp_stats(lab, &served, &not_found, &failed);
	assert_int_equal(served, 1);
	close(fd);
}

static void test_refusals(void **state)
{
	(void)state;
	int fd = client();
	uint8_t pkt[600];
	send_to(fd, tftp_port, pkt, rrq(pkt, "sast.key", "octet", 1));
	expect_error(fd, 1, "File not found");
	send_to(fd, tftp_port, pkt, rrq(pkt, "../sast.key", "octet", 1));
	expect_error(fd, 1, "File not found");
	send_to(fd, tftp_port, pkt, rrq(pkt, "/etc/passwd", "octet", 1));
	expect_error(fd, 1, "File not found");
	send_to(fd, tftp_port, pkt, rrq(pkt, "ITLFile.tlv", "octet", 1));
	expect_error(fd, 1, "File not found");
	send_to(fd, tftp_port, pkt, rrq(pkt, "CTLFile.tlv", "octet", 2));
	expect_error(fd, 2, "Access violation: read-only server");
	send_to(fd, tftp_port, pkt, rrq(pkt, "CTLFile.tlv", "netascii", 1));
	expect_error(fd, 0, "Only octet (binary) mode is served");
	send_to(fd, tftp_port, "\0\3junk", 6);
	expect_error(fd, 4, "Illegal TFTP operation");
	/* "/CTLFile.tlv" is the same file (some clients ask like that). */
	send_to(fd, tftp_port, pkt, rrq(pkt, "/CTLFile.tlv", "OCTET", 1));
	uint16_t from;
	size_t n = receive(fd, pkt, sizeof(pkt), &from, 1000);
	assert_int_equal(n, 516);
	assert_int_equal(pkt[1], 3);
	close(fd);
	uint64_t served, not_found, failed;
	labcm_tftp_stats(lab, &served, &not_found, &failed);
	assert_int_equal(not_found, 4);
}

/* curl's TFTP client, if there is one: the whole file, and res=68 for a missing one. */
static void test_curl(void **state)
{
	(void)state;
	if (system("command -v curl >/dev/null 2>&1") != 0) {
		print_message("SKIP: curl is not installed\n");
		return;
	}
	char cmd[1024], out[256];
	snprintf(out, sizeof(out), "%s/fetched.tlv", state_dir);
	snprintf(cmd, sizeof(cmd), "curl -s -o %s tftp://127.0.0.1:%u/CTLFile.tlv; echo $? > %s.rc", out,
	         tftp_port, out);
	/* curl blocks; the server needs the loop: run curl in the background and pump meanwhile. */
	char bg[1200];
	snprintf(bg, sizeof(bg), "(%s) &", cmd);
	assert_int_equal(system(bg), 0);
	char rc_path[300];
	snprintf(rc_path, sizeof(rc_path), "%s.rc", out);
	uint64_t end = hal_clock_now_ms() + 10000;
	struct stat st;
	while (hal_clock_now_ms() < end && (stat(rc_path, &st) != 0 || st.st_size == 0))
		labcm_run_once(lab, 10);
	FILE *f = fopen(rc_path, "r");
	assert_non_null(f);
	int rc = -1;
	assert_int_equal(fscanf(f, "%d", &rc), 1);
	fclose(f);
	assert_int_equal(rc, 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	uint8_t got[16384];
	size_t n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, ctl_len);
	assert_memory_equal(got, ctl_file, ctl_len);

	unlink(rc_path);
	snprintf(bg, sizeof(bg), "(curl -s -o /dev/null tftp://127.0.0.1:%u/nothing.tlv; echo $? > %s) &",
	         tftp_port, rc_path);
	assert_int_equal(system(bg), 0);
	end = hal_clock_now_ms() + 10000;
	while (hal_clock_now_ms() < end && (stat(rc_path, &st) != 0 || st.st_size == 0))
		labcm_run_once(lab, 10);
	f = fopen(rc_path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &rc), 1);
	fclose(f);
	assert_int_equal(rc, 68); /* CURLE_TFTP_NOTFOUND, what CUC logs as res=68 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_state_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_ctl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_curl, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
