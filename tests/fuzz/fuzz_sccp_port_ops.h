/* Input format of fuzz_sccp_port, shared with the seed generator (gen_fuzz_sccp_port_corpus.c).
 *
 *   u16 config bits (LE), then operations until the input ends:
 *   op byte (value % OP_COUNT) and its payload; a payload cut short by the end reads as zeros.
 *
 *   OP_UP, OP_DOWN, OP_UNREGISTER                     no payload
 *   OP_WAIT        u16 t        advance the clock t*10 ms, then a timer event
 *   OP_TIMER_DUE                jump the clock to the port's next deadline, then a timer event
 *   OP_MWI         u8 n, n bytes extension, u8 m, m bytes dial, u8 on
 *   OP_RX_OPENED   u8 sel, u8 status   sel odd: the passThru of the last OPEN_RX, else sel itself
 *   OP_DTMF        u8 character
 *   OP_HANGUP      u8 sel       0: any call; 1: the last answered callRef; else sel itself
 *   OP_RAW         u16 n, n bytes: one PDU through sccp_decode
 *   OP_MSG         u8 kind, 8 field bytes: a well-formed CallManager message (see MSG_*)
 */
#ifndef VMPORT_FUZZ_SCCP_PORT_OPS_H
#define VMPORT_FUZZ_SCCP_PORT_OPS_H

enum fuzz_port_op {
	OP_UP,
	OP_DOWN,
	OP_WAIT,
	OP_TIMER_DUE,
	OP_MWI,
	OP_RX_OPENED,
	OP_DTMF,
	OP_HANGUP,
	OP_UNREGISTER,
	OP_RAW,
	OP_MSG,
	OP_COUNT,
};

/* Config bits. */
#define CFG_ENBLOC 0x0001
#define CFG_LAST_REDIRECT 0x0002
#define CFG_SMT_ACK 0x0004
#define CFG_NO_TEMPLATES 0x0008
#define CFG_KEYPAD_0A_IS_A 0x0010
#define CFG_NO_ANSWER 0x0020
#define CFG_DIGIT_GAP 0x0040
#define CFG_PROTOCOL_11 0x0080 /* advertise 11 instead of 17 */
#define CFG_G729 0x0100

/* OP_MSG kinds and how they read their 8 field bytes b[0..7]. callRefs are b % 4 (0..3) and
 * passThrus 10 + b % 2, so that fuzzed sequences meet each other often. */
enum fuzz_port_msg {
	MSG_REGISTER_ACK, /* keepalive b0 s, maxProtocolVer b1 */
	MSG_CAPABILITIES_REQ,
	MSG_REGISTER_REJECT,
	MSG_KEEPALIVE_ACK,
	MSG_RESET,          /* type b0 % 5 */
	MSG_UNREGISTER_ACK, /* status b0 % 3 */
	MSG_LINE_STAT_RES,
	MSG_CALL_STATE, /* state b0 % 18, ref b1 */
	MSG_CALL_INFO,  /* type b0 % 4, ref b1, numbers from b2, V2 if b3 & 1 */
	MSG_OPEN_RX,    /* pass b0, codec b1, alg b2 % 8, keylen b3 % 17, ref b4, no key block if b5 & 1 */
	MSG_START_TX,   /* same */
	MSG_CLOSE_RX,   /* pass b0, ref b1 */
	MSG_STOP_TX,    /* pass b0, ref b1 */
	MSG_KEYPAD,     /* button b0 % 0x12 */
	MSG_START_TONE, /* tone b0 % 0x30 */
	MSG_SET_RINGER,
	MSG_KEEPALIVE, /* a device message the wrong way */
	MSG_COUNT,
};

#endif
