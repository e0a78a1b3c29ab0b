/* Writes the seed corpus of fuzz_sccp_port: scripted sessions (registration, calls, MWI, Reset,
 * failures) in the format of fuzz_sccp_port_ops.h. Run once when that format changes; the output
 * files are committed.
 *
 *   cc -std=c11 -D_GNU_SOURCE -Iproto tests/fuzz/gen_fuzz_sccp_port_corpus.c proto/sccp/sccp_*.c \
 *      -o /tmp/gen_port_corpus && /tmp/gen_port_corpus tests/fuzz/corpus/fuzz_sccp_port
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_sccp_port_ops.h"
#include "sccp/sccp_msg.h"

static uint8_t buf[16384];
static size_t len;

static void put8(uint8_t v)
{
	if (len < sizeof(buf))
		buf[len++] = v;
}

static void put16(uint16_t v)
{
	put8((uint8_t)v);
	put8((uint8_t)(v >> 8));
}

static void begin(uint16_t cfg)
{
	len = 0;
	put16(cfg);
}

static void op(enum fuzz_port_op o)
{
	put8((uint8_t)o);
}

static void msg(enum fuzz_port_msg kind, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3, uint8_t b4,
                uint8_t b5)
{
	const uint8_t b[8] = {b0, b1, b2, b3, b4, b5, 0, 0};
	op(OP_MSG);
	put8((uint8_t)kind);
	for (int i = 0; i < 8; i++)
		put8(b[i]);
}

static void raw_bytes(const uint8_t *p, size_t n)
{
	op(OP_RAW);
	put16((uint16_t)n);
	for (size_t i = 0; i < n; i++)
		put8(p[i]);
}

static void raw_hex(const char *hex)
{
	uint8_t pdu[512];
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n && i < sizeof(pdu); i++) {
		unsigned v = 0;
		sscanf(hex + 2 * i, "%2x", &v);
		pdu[i] = (uint8_t)v;
	}
	raw_bytes(pdu, n);
}

static void raw_msg(const struct sccp_msg *m)
{
	uint8_t pdu[SCCP_MAX_PDU];
	int n = sccp_encode(m, pdu, sizeof(pdu));
	if (n > 0)
		raw_bytes(pdu, (size_t)n);
}

static void mwi(const char *ext, const char *dial, int on)
{
	op(OP_MWI);
	put8((uint8_t)strlen(ext));
	for (const char *c = ext; *c; c++)
		put8((uint8_t)*c);
	put8((uint8_t)strlen(dial));
	for (const char *c = dial; *c; c++)
		put8((uint8_t)*c);
	put8((uint8_t)on);
}

static void registration(uint8_t max_protocol)
{
	op(OP_UP);
	msg(MSG_REGISTER_ACK, 30, max_protocol, 0, 0, 0, 0);
	msg(MSG_CAPABILITIES_REQ, 0, 0, 0, 0, 0, 0);
	msg(MSG_LINE_STAT_RES, 1, 1, 0, 0, 0, 0);
	msg(MSG_KEEPALIVE_ACK, 0, 0, 0, 0, 0, 0);
}

/* RingIn + CallInfo (forwarded from 1001 via 1002) on callRef 1, SRTP both ways on passThru 10. */
static void call_with_media(uint8_t alg)
{
	msg(MSG_CALL_STATE, 4, 1, 0, 0, 0, 0);
	msg(MSG_CALL_INFO, 3, 1, 1 + 5 * 2, 0, 0, 0);
	msg(MSG_CALL_STATE, 5, 1, 0, 0, 0, 0);
	msg(MSG_OPEN_RX, 0, 1, alg, 16, 1, 0);
	op(OP_RX_OPENED);
	put8(1);
	put8(0);
	msg(MSG_START_TX, 0, 1, alg, 16, 1, 0);
}

static void save(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len) {
		perror(path);
		return;
	}
	fclose(f);
	printf("%s: %zu bytes\n", path, len);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";

	begin(0);
	registration(17);
	for (int i = 0; i < 2; i++) {
		op(OP_TIMER_DUE);
		msg(MSG_KEEPALIVE_ACK, 0, 0, 0, 0, 0, 0);
	}
	for (int i = 0; i < 4; i++)
		op(OP_TIMER_DUE); /* three missed acks: closed */
	op(OP_DOWN);
	save(dir, "register_keepalive_lost");

	begin(0);
	registration(17);
	call_with_media(1);
	op(OP_DTMF);
	put8('5');
	msg(MSG_KEYPAD, 0x0A, 0, 0, 0, 0, 0);
	msg(MSG_START_TONE, 0x0F, 0, 0, 0, 0, 0);
	msg(MSG_CLOSE_RX, 0, 1, 0, 0, 0, 0);
	msg(MSG_STOP_TX, 0, 1, 0, 0, 0, 0);
	msg(MSG_CALL_STATE, 2, 1, 0, 0, 0, 0);
	save(dir, "forwarded_call_remote_hangup");

	begin(0);
	registration(17);
	call_with_media(2);
	op(OP_HANGUP);
	put8(0);
	msg(MSG_CALL_STATE, 2, 1, 0, 0, 0, 0);
	mwi("1001", "*99", 1);
	msg(MSG_CALL_STATE, 1, 2, 0, 0, 0, 0);
	msg(MSG_CALL_STATE, 3, 2, 0, 0, 0, 0);
	mwi("1002", "5999", 0);
	op(OP_TIMER_DUE);
	op(OP_TIMER_DUE);
	save(dir, "local_hangup_then_mwi_keypad");

	begin(CFG_ENBLOC | CFG_LAST_REDIRECT | CFG_SMT_ACK);
	registration(17);
	call_with_media(5);
	mwi("1001", "5999", 1);
	mwi("1003", "5998", 0);
	msg(MSG_RESET, 2, 0, 0, 0, 0, 0);
	msg(MSG_UNREGISTER_ACK, 0, 0, 0, 0, 0, 0);
	op(OP_DOWN);
	registration(16);
	for (int i = 0; i < 5; i++)
		op(OP_TIMER_DUE);
	save(dir, "mwi_enbloc_queued_reset");

	begin(CFG_DIGIT_GAP | CFG_PROTOCOL_11);
	registration(17);
	mwi("1001", "123456789012", 1);
	for (int i = 0; i < 14; i++)
		op(OP_TIMER_DUE);
	call_with_media(6);
	op(OP_UNREGISTER);
	msg(MSG_UNREGISTER_ACK, 2, 0, 0, 0, 0, 0);
	op(OP_DOWN);
	save(dir, "mwi_digit_gap_unregister_nak");

	/* A CallManager 4.x session as raw PDUs: basic layouts, the real frames of
	 * tests/vectors/cucm-frames.json (cm_call_*), short media bodies without keys. */
	begin(0);
	op(OP_UP);
	struct sccp_msg m;
	sccp_msg_init(&m, SCCP_REGISTER_ACK, 0);
	m.u.register_ack.keepalive = 30;
	strcpy(m.u.register_ack.date_template, "M/D/Y");
	m.u.register_ack.max_protocol_ver = 5;
	raw_msg(&m);
	sccp_msg_init(&m, SCCP_CAPABILITIES_REQ, 0);
	raw_msg(&m);
	raw_hex("1c000000000000001101000004000000010000001f000001000000000400000000000000");
	raw_hex("140000000000000010010000010000001f00000103000000ffffffff");
	raw_hex("1400000000000000850000000200000001000000010000001f000001");
	op(OP_TIMER_DUE);
	raw_hex("1c000000000000001101000001000000010000001f000001000000000400000000000000");
	raw_hex("1c000000000000001101000005000000010000001f000001000000000400000000000000");
	raw_hex("4800000000000000050100001f00000101010001140000000400000000000000000000001f00000100000000"
	        "000000000000000000000000000000000000000000000000000000000000000000000000");
	op(OP_RX_OPENED);
	put8(1);
	put8(0);
	raw_hex("58000000000000008a0000001f000001010100010a66db1b1aeb00001400000004000000b800000000000000"
	        "00000000000000001f00000100000000000000000000000000000000000000000000000000000000000000000000"
	        "000000000000");
	raw_hex("1c000000000000001101000002000000010000001f000001000000000400000000000000");
	save(dir, "callmanager_4x_raw");

	begin(0);
	op(OP_UP);
	sccp_msg_init(&m, SCCP_REGISTER_REJECT, 0);
	strcpy(m.u.register_reject.text, "Unknown Device");
	raw_msg(&m);
	op(OP_DOWN);
	registration(17);
	msg(MSG_OPEN_RX, 0, 1, 1, 16, 1, 0); /* nonsense while idle */
	msg(MSG_START_TX, 1, 1, 1, 16, 1, 0);
	call_with_media(3);                    /* SRTP F8: refused */
	msg(MSG_CALL_STATE, 4, 2, 0, 0, 0, 0); /* second call while busy */
	op(OP_DOWN);
	save(dir, "reject_and_nonsense");
	return 0;
}
