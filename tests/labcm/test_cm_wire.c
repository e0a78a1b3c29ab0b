/* Lab CallManager on the wire: a whole bench session (registration, an encrypted forwarded call
 * hung up by each side, MWI on, off and a wrong number, keepalives, Unregister, and a rejected
 * second device) at V17 and at hv 0 (an old CallManager), written as a pcap and read back by
 * tshark's skinny dissector. Every PDU either state machine sent must be one skinny message
 * with the id we sent, and nothing may be malformed or raise an expert warning: the CallManager
 * side must send the full forms Wireshark reads (tests/wire/README.md). Skipped (exit 77 from
 * ctest's view: the test passes with a message) when tshark is not installed. */
#include "cm_bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CM_TCP_PORT 2000

static FILE *pcap;
static uint32_t ts_ms;
static uint16_t ip_ident;

struct endpoint {
	uint8_t ip[4];
	uint16_t port;
	uint32_t seq;
};
static struct endpoint dev, cm;
static uint32_t expected_ids[4096];
static size_t n_expected;

static void put16be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

enum { FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10 };

static void packet(struct endpoint *from, struct endpoint *to, uint8_t flags, const uint8_t *data, size_t len)
{
	static uint8_t pkt[40 + SCCP_MAX_PDU];
	size_t total = 40 + len;
	assert_true(len <= SCCP_MAX_PDU);
	memset(pkt, 0, 40);
	uint8_t *ip = pkt, *tcp = pkt + 20;
	ip[0] = 0x45;
	put16be(ip + 2, (uint32_t)total);
	put16be(ip + 4, ip_ident++);
	put16be(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, from->ip, 4);
	memcpy(ip + 16, to->ip, 4);
	put16be(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16be(tcp, from->port);
	put16be(tcp + 2, to->port);
	put32be(tcp + 4, from->seq);
	put32be(tcp + 8, (flags & ACK) ? to->seq : 0);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16be(tcp + 14, 65535);
	if (len)
		memcpy(tcp + 20, data, len);
	uint8_t pseudo[12];
	memcpy(pseudo, from->ip, 4);
	memcpy(pseudo + 4, to->ip, 4);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16be(pseudo + 10, (uint32_t)(20 + len));
	put16be(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), tcp, 20 + len)));
	from->seq += (uint32_t)len + ((flags & (SYN | FIN)) ? 1u : 0u);
	ts_ms++;
	uint8_t rec[16];
	put32le(rec, 1772368496u + ts_ms / 1000u);
	put32le(rec + 4, ts_ms % 1000u * 1000u);
	put32le(rec + 8, (uint32_t)total);
	put32le(rec + 12, (uint32_t)total);
	assert_int_equal(fwrite(rec, sizeof rec, 1, pcap), 1);
	assert_int_equal(fwrite(pkt, total, 1, pcap), 1);
}

static void stream_open(uint16_t dev_port)
{
	memcpy(dev.ip, (uint8_t[]){127, 0, 0, 1}, 4);
	memcpy(cm.ip, (uint8_t[]){127, 0, 0, 2}, 4);
	dev.port = dev_port;
	cm.port = CM_TCP_PORT;
	dev.seq = 0x10000000u + dev_port;
	cm.seq = 0x80000000u + dev_port;
	packet(&dev, &cm, SYN, NULL, 0);
	packet(&cm, &dev, SYN | ACK, NULL, 0);
	packet(&dev, &cm, ACK, NULL, 0);
}

static void stream_close(void)
{
	packet(&dev, &cm, FIN | ACK, NULL, 0);
	packet(&cm, &dev, FIN | ACK, NULL, 0);
	packet(&dev, &cm, ACK, NULL, 0);
}

static void tap(bool to_cm, const uint8_t *pdu, size_t len)
{
	assert_true(n_expected < sizeof(expected_ids) / sizeof(expected_ids[0]));
	expected_ids[n_expected++] =
	    (uint32_t)(pdu[8] | pdu[9] << 8 | pdu[10] << 16 | (uint32_t)pdu[11] << 24);
	if (to_cm)
		packet(&dev, &cm, PSH | ACK, pdu, len);
	else
		packet(&cm, &dev, PSH | ACK, pdu, len);
}

static void port_mwi(const char *ext, const char *dial, bool on)
{
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	strcpy(ev.u.mwi.extension, ext);
	strcpy(ev.u.mwi.dial, dial);
	ev.u.mwi.on = on;
	b_port_event(&ev);
	b_pump();
	b_run_for(4000);
}

static void session(const char *path, uint8_t max_protocol)
{
	pcap = fopen(path, "wb");
	assert_non_null(pcap);
	uint8_t h[24];
	put32le(h, 0xA1B2C3D4);
	h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
	put32le(h + 8, 0);
	put32le(h + 12, 0);
	put32le(h + 16, 65535);
	put32le(h + 20, 101); /* LINKTYPE_RAW */
	assert_int_equal(fwrite(h, sizeof h, 1, pcap), 1);
	n_expected = 0;

	B.ccfg.max_protocol_version = max_protocol;
	b_provision(B_DEVICE, B_DN, CM_SECURITY_ENCRYPTED);
	b_use_tls(B_DEVICE, true); /* the pcap shows the plain SCCP inside */
	b_reinit();
	B.tap = tap;

	stream_open(40000);
	b_connect();
	b_run_for(70000); /* keepalives */
	b_offer_call(0x80000001u, true, true);
	b_run_for(1000);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_HANGUP, .u.call_reference = 0x80000001u});
	b_pump();
	b_offer_call(0x80000002u, true, true);
	b_port_event(&(struct sccp_port_event){.type = PORT_EV_HANGUP, .u.call_reference = 0x80000002u});
	b_pump();
	port_mwi("1001", B_MWI_ON, true);
	port_mwi("1001", B_MWI_OFF, false);
	port_mwi("1001", "5555", true);
	b_cm_event(&(struct cm_device_event){.type = CM_EV_SET_LAMP, .u.lamp_on = true});
	b_pump();
	b_port_event(&(struct sccp_port_event){.type = PORT_EV_UNREGISTER});
	b_pump();
	stream_close();
	assert_int_equal(cm_device_state(&B.cm), CM_DEV_DOWN);

	/* A second connection: a device nobody provisioned. */
	B.n_provs = 0;
	b_reinit();
	stream_open(40001);
	b_connect();
	stream_close();
	assert_int_equal(b_count_cm_acts(CM_ACT_REJECTED), 1);
	b_expect_clean();
	B.tap = NULL;
	assert_int_equal(fclose(pcap), 0);
}

static void judge(const char *path)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		print_message("SKIP: tshark is not installed\n");
		return;
	}
	char cmd[1024];
	/* An empty configuration directory keeps the user's preferences out of the verdict. */
	snprintf(
	    cmd, sizeof cmd,
	    "WIRESHARK_CONFIG_DIR=%s.wsconf tshark -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
	    "-d tcp.port==%d,skinny -r %s -Y skinny -T fields -e skinny.messageId 2>/dev/null",
	    path, CM_TCP_PORT, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[256];
	size_t n = 0;
	while (fgets(line, sizeof line, p)) {
		/* One PDU per segment: one id per line. */
		unsigned long id = strtoul(line, NULL, 0);
		if (n >= n_expected)
			fail_msg("tshark saw more skinny PDUs than the %zu written", n_expected);
		if (id != expected_ids[n])
			fail_msg("PDU %zu: tshark read id 0x%04lx, we sent 0x%04x (%s)", n, id,
			         expected_ids[n], sccp_msg_name(expected_ids[n]));
		n++;
	}
	assert_int_equal(pclose(p), 0);
	if (n != n_expected)
		fail_msg("tshark decoded %zu skinny PDUs, %zu were written", n, n_expected);

	snprintf(
	    cmd, sizeof cmd,
	    "WIRESHARK_CONFIG_DIR=%s.wsconf tshark -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
	    "-d tcp.port==%d,skinny -r %s -Y '_ws.malformed || _ws.expert.severity >= warning || "
	    "tcp.analysis.flags || ip.checksum.status == 0 || tcp.checksum.status == 0' "
	    "-T fields -e frame.number -e skinny.messageId -e _ws.expert.message 2>/dev/null",
	    path, CM_TCP_PORT, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	size_t problems = 0;
	while (fgets(line, sizeof line, p)) {
		print_error("tshark problem: %s", line);
		problems++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(problems, 0);
	print_message("tshark read %zu PDUs from %s: ids as sent, nothing malformed\n", n, path);
}

static void test_wire_v17(void **state)
{
	(void)state;
	mkdir("cm_wire_v17.pcap.wsconf", 0700);
	session("cm_wire_v17.pcap", 17);
	judge("cm_wire_v17.pcap");
}

static void test_wire_basic(void **state)
{
	(void)state;
	mkdir("cm_wire_hv0.pcap.wsconf", 0700);
	session("cm_wire_hv0.pcap", 5);
	judge("cm_wire_hv0.pcap");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wire_v17, b_setup, b_teardown),
	    cmocka_unit_test_setup_teardown(test_wire_basic, b_setup, b_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
