/* Wire-format judge, part 1: encode a whole non-secure SCCP session with our codec and write it
 * as a pcap, plus the list of what every frame is meant to say.
 *
 *   sccp_session_pcap HV PORT OUT.pcap OUT.tsv
 *
 * HV is the header version every PDU carries (0 or 0x11 = V17). PORT is the CallManager's TCP
 * port (a test port, not 2000: check_tshark.sh maps it to skinny with -d). The device is
 * 127.0.0.1:40000, CallManager 127.0.0.2:PORT; a second connection from 127.0.0.1:40001 carries
 * the RegisterReject. Each connection opens with SYN / SYN-ACK / ACK and closes with FINs; every
 * SCCP PDU travels in its own TCP segment with correct sequence and acknowledgement numbers.
 *
 * OUT.tsv: a header line of column names, then one line per SCCP frame. A column named after a
 * tshark field (frame.*, ip.*, tcp.*, skinny.*) holds what `tshark -T fields -e <name>` must print
 * for that frame: empty when the field must be absent, several occurrences joined by ','. Two
 * columns are not tshark fields: ws_name is the Wireshark message name we mean (from
 * `tshark -G values`, skinny.messageId) and codec_name is what our own table (sccp_msg_name)
 * calls the id. check_tshark.sh fills both from tshark's messageId.
 *
 * The expectations are written here by hand from protocol.md, not read back from the encoder:
 * in particular the data_length column is the body size the document gives for each message,
 * so a layout that grows or shrinks shows up as a difference. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sccp/sccp_msg.h"

/* ---------------------------------------------------------------------------------------------
 * Expected columns */

enum col {
	C_FRAME,
	C_STREAM,
	C_SRC,
	C_HV,
	C_LEN,
	C_ID,
	C_WS_NAME,
	C_CODEC_NAME,
	C_DEVICE_NAME,
	C_DEVICE_TYPE,
	C_PROTOCOL_VER,
	C_MAX_PROTOCOL_VER,
	C_KEEPALIVE,
	C_LINE_INSTANCE,
	C_CALL_REFERENCE,
	C_CALL_STATE,
	C_CALL_TYPE,
	C_CALLING_PARTY,
	C_CALLED_PARTY,
	C_ORIG_CALLED_PARTY,
	C_CALLING_PARTY_NUMBER,
	C_DIALED_NUMBER,
	C_KP_BUTTON,
	C_TONE,
	C_STIMULUS,
	C_SOFTKEY_EVENT,
	C_CONFERENCE_ID,
	C_PASS_THRU,
	C_COMPRESSION,
	C_PACKET_MS,
	C_REMOTE_IP,
	C_REMOTE_PORT,
	C_IP_ADDR,
	C_PORT_NUMBER,
	C_PRECEDENCE,
	C_PASSTHRU_ID, /* the other spelling, used by NotifyDtmfTone and a few more */
	C_STATION_IP,
	C_RESET_TYPE,
	C_LAMP_MODE,
	C_RING_MODE,
	C_SOFTKEY_SET,
	C_PROMPT,
	C_TEXT,
	C_RX_STATUS,
	C_TX_STATUS,
	C_WAIT_TIME,
	C_UNREG_REASON,
	C_FIRMWARE,
	C_MAC,
	C_MAX_STREAMS,
	C_MAX_LINES,
	C_DATE_TEMPLATE,
	C_CAP_COUNT,
	C_PAYLOAD_CAP,
	C_MAX_FRAMES,
	C_TOTAL_BUTTONS,
	C_BUTTON_DEF,
	C_TOTAL_SOFTKEYS,
	C_SOFTKEY_LABEL,
	C_TOTAL_SOFTKEY_SETS,
	C_USER_NAME,
	C_SERVER_NAME,
	C_NUMBER_LINES,
	C_LINE_NUMBER,
	C_LINE_DN,
	C_LINE_DISPLAY_OPTIONS,
	C_AVAIL_LINES,
	C_SYSTEM_TIME,
	C_PRIVACY,
	C_CALLING_NAME,
	C_CALLED_NAME,
	C_LAST_REDIRECT,
	C_CGPN_MAILBOX,
	C_REDIRECT_REASON,
	C_CALL_INSTANCE,
	C_SECURITY,
	C_RING_DURATION,
	C_STIMULUS_INSTANCE,
	C_STIMULUS_STATUS,
	C_TIMEOUT,
	C_TONE_DIRECTION,
	C_EC_VALUE,
	C_SS_VALUE,
	C_ALGORITHM,
	C_KEYLEN,
	C_SALTLEN,
	C_RFC2833_PT,
	C_DTMF_TYPE,
	C_MIXING_MODE,
	C_PARTY_DIRECTION,
	C_IP_TYPE,
	C_SOURCE_IP,
	C_SOURCE_PORT,
	C_REQUESTED_IP_TYPE,
	C_TRANSMIT_IP,
	C_PORT_HANDLING,
	C_DIRECTORY_NUM,
	C_PACKETS_SENT,
	C_LATENCY,
	C_STATION_V6_IP4,
	C_STATUS,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {
    [C_FRAME] = "frame.number",
    [C_STREAM] = "tcp.stream",
    [C_SRC] = "ip.src",
    [C_HV] = "skinny.hdr_version",
    [C_LEN] = "skinny.data_length",
    [C_ID] = "skinny.messageId",
    [C_WS_NAME] = "ws_name",
    [C_CODEC_NAME] = "codec_name",
    [C_DEVICE_NAME] = "skinny.DeviceName",
    [C_DEVICE_TYPE] = "skinny.deviceType",
    [C_PROTOCOL_VER] = "skinny.protocolVer",
    [C_MAX_PROTOCOL_VER] = "skinny.maxProtocolVer",
    [C_KEEPALIVE] = "skinny.keepAliveInterval",
    [C_LINE_INSTANCE] = "skinny.lineInstance",
    [C_CALL_REFERENCE] = "skinny.callReference",
    [C_CALL_STATE] = "skinny.callState",
    [C_CALL_TYPE] = "skinny.callType",
    [C_CALLING_PARTY] = "skinny.callingParty",
    [C_CALLED_PARTY] = "skinny.calledParty",
    [C_ORIG_CALLED_PARTY] = "skinny.originalCalledParty",
    [C_CALLING_PARTY_NUMBER] = "skinny.callingPartyNumber",
    [C_DIALED_NUMBER] = "skinny.dialedNumber",
    [C_KP_BUTTON] = "skinny.kpButton",
    [C_TONE] = "skinny.tone",
    [C_STIMULUS] = "skinny.stimulus",
    [C_SOFTKEY_EVENT] = "skinny.softKeyEvent",
    [C_CONFERENCE_ID] = "skinny.conferenceId",
    [C_PASS_THRU] = "skinny.passThroughPartyId",
    [C_COMPRESSION] = "skinny.compressionType",
    [C_PACKET_MS] = "skinny.milliSecondPacketSize",
    [C_REMOTE_IP] = "skinny.remoteIpAddr.ipv4",
    [C_REMOTE_PORT] = "skinny.remotePortNumber",
    [C_IP_ADDR] = "skinny.ipAddr.ipv4",
    [C_PORT_NUMBER] = "skinny.portNumber",
    [C_PRECEDENCE] = "skinny.precedenceValue",
    [C_PASSTHRU_ID] = "skinny.passthruPartyID",
    [C_STATION_IP] = "skinny.stationIpAddr",
    [C_RESET_TYPE] = "skinny.resetType",
    [C_LAMP_MODE] = "skinny.lampMode",
    [C_RING_MODE] = "skinny.ringMode",
    [C_SOFTKEY_SET] = "skinny.softKeySetIndex",
    [C_PROMPT] = "skinny.promptStatus",
    [C_TEXT] = "skinny.text",
    [C_RX_STATUS] = "skinny.mediaReceptionStatus",
    [C_TX_STATUS] = "skinny.mediaTransmissionStatus",
    [C_WAIT_TIME] = "skinny.waitTimeBeforeNextReq",
    [C_UNREG_REASON] = "skinny.unRegReasonCode",
    [C_FIRMWARE] = "skinny.firmwareLoadName",
    [C_MAC] = "skinny.macAddress",
    [C_MAX_STREAMS] = "skinny.maxStreams",
    [C_MAX_LINES] = "skinny.maxNumberOfLines",
    [C_DATE_TEMPLATE] = "skinny.dateTemplate",
    [C_CAP_COUNT] = "skinny.capCount",
    [C_PAYLOAD_CAP] = "skinny.payloadCapability",
    [C_MAX_FRAMES] = "skinny.maxFramesPerPacket",
    [C_TOTAL_BUTTONS] = "skinny.totalButtonCount",
    [C_BUTTON_DEF] = "skinny.buttonDefinition",
    [C_TOTAL_SOFTKEYS] = "skinny.totalSoftKeyCount",
    [C_SOFTKEY_LABEL] = "skinny.softKeyLabel",
    [C_TOTAL_SOFTKEY_SETS] = "skinny.totalSoftKeySetCount",
    [C_USER_NAME] = "skinny.userName",
    [C_SERVER_NAME] = "skinny.serverName",
    [C_NUMBER_LINES] = "skinny.numberOfLines",
    [C_LINE_NUMBER] = "skinny.lineNumber",
    [C_LINE_DN] = "skinny.lineDirNumber",
    [C_LINE_DISPLAY_OPTIONS] = "skinny.lineDisplayOptions",
    [C_AVAIL_LINES] = "skinny.maxNumOfAvailLines",
    [C_SYSTEM_TIME] = "skinny.systemTime",
    [C_PRIVACY] = "skinny.privacy",
    [C_CALLING_NAME] = "skinny.callingPartyName",
    [C_CALLED_NAME] = "skinny.calledPartyName",
    [C_LAST_REDIRECT] = "skinny.lastRedirectingParty",
    [C_CGPN_MAILBOX] = "skinny.cgpnVoiceMailbox",
    [C_REDIRECT_REASON] = "skinny.originalCdpnRedirectReason",
    [C_CALL_INSTANCE] = "skinny.callInstance",
    [C_SECURITY] = "skinny.callSecurityStatus",
    [C_RING_DURATION] = "skinny.ringDuration",
    [C_STIMULUS_INSTANCE] = "skinny.stimulusInstance",
    [C_STIMULUS_STATUS] = "skinny.stimulusStatus",
    [C_TIMEOUT] = "skinny.timeOutValue",
    [C_TONE_DIRECTION] = "skinny.tone.output.direction",
    [C_EC_VALUE] = "skinny.ecValue",
    [C_SS_VALUE] = "skinny.ssValue",
    [C_ALGORITHM] = "skinny.algorithmID",
    [C_KEYLEN] = "skinny.keylen",
    [C_SALTLEN] = "skinny.saltlen",
    [C_RFC2833_PT] = "skinny.RFC2833PayloadType",
    [C_DTMF_TYPE] = "skinny.dtmfType",
    [C_MIXING_MODE] = "skinny.mixingMode",
    [C_PARTY_DIRECTION] = "skinny.partyDirection",
    [C_IP_TYPE] = "skinny.ipv4or6",
    [C_SOURCE_IP] = "skinny.sourceIpAddr.ipv4",
    [C_SOURCE_PORT] = "skinny.sourcePortNumber",
    [C_REQUESTED_IP_TYPE] = "skinny.requestedIpAddrType",
    [C_TRANSMIT_IP] = "skinny.transmitIpAddr.ipv4",
    [C_PORT_HANDLING] = "skinny.portHandlingFlag",
    [C_DIRECTORY_NUM] = "skinny.directoryNum",
    [C_PACKETS_SENT] = "skinny.numberPacketsSent",
    [C_LATENCY] = "skinny.latency",
    [C_STATION_V6_IP4] = "skinny.stationIpV6Addr.ipv4",
    [C_STATUS] = "skinny.status",
};

#define CELL 128
static char cells[C_COUNT][CELL];
static FILE *tsv;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...);
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sccp_session_pcap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Expect tshark to print this for column c in the next SCCP frame. */
__attribute__((format(printf, 2, 3))) static void E(enum col c, const char *fmt, ...);
static void E(enum col c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cells[c], CELL, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= CELL)
		die("expectation for %s too long", col_names[c]);
}

/* tshark prints FT_UINT32 fields with BASE_HEX as 0x%08x: the header version, and every field
 * that has a value string (callState, tone, kpButton, deviceType, ...). Plain integers are
 * decimal. */
static void E_hex(enum col c, uint32_t v)
{
	E(c, "0x%08x", v);
}

/* ---------------------------------------------------------------------------------------------
 * pcap writer: classic libpcap format, LINKTYPE_RAW (101), IPv4 + TCP by hand */

#define LINKTYPE_RAW 101

static FILE *pcap;
static uint32_t frame_no;
static uint32_t ts_usec_total = 0;
static uint16_t ip_ident = 0x1000;

static void le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}
static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v);
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

static void pcap_open(const char *path)
{
	pcap = fopen(path, "wb");
	if (!pcap)
		die("%s: %s", path, strerror(errno));
	uint8_t h[24];
	le32(h, 0xA1B2C3D4); /* microsecond timestamps */
	le16(h + 4, 2);
	le16(h + 6, 4);
	le32(h + 8, 0);  /* thiszone */
	le32(h + 12, 0); /* sigfigs */
	le32(h + 16, 65535);
	le32(h + 20, LINKTYPE_RAW);
	if (fwrite(h, sizeof h, 1, pcap) != 1)
		die("%s: write failed", path);
}

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };

struct endpoint {
	uint8_t ip[4];
	uint16_t port;
	uint32_t seq; /* next sequence number this side sends */
};

struct stream {
	int index; /* tshark's tcp.stream */
	struct endpoint dev, cm;
};

enum dir { D2C, C2D };

/* One IPv4/TCP packet from `from` to `to`, sequence numbers advanced by the payload (and SYN/FIN). */
static void tcp_packet(struct endpoint *from, struct endpoint *to, uint8_t flags, const uint8_t *payload,
                       size_t len)
{
	uint8_t pkt[20 + 20 + SCCP_MAX_PDU];
	size_t total = 40 + len;
	if (len > SCCP_MAX_PDU)
		die("segment too large");
	uint8_t *ip = pkt, *tcp = pkt + 20;
	memset(pkt, 0, 40);
	ip[0] = 0x45;
	be16(ip + 2, (uint32_t)total);
	be16(ip + 4, ip_ident++);
	be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, from->ip, 4);
	memcpy(ip + 16, to->ip, 4);
	be16(ip + 10, csum_fold(csum_add(0, ip, 20)));

	be16(tcp, from->port);
	be16(tcp + 2, to->port);
	be32(tcp + 4, from->seq);
	be32(tcp + 8, (flags & TCP_ACK) ? to->seq : 0);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	be16(tcp + 14, 65535);
	if (len)
		memcpy(tcp + 20, payload, len);
	uint8_t pseudo[12];
	memcpy(pseudo, from->ip, 4);
	memcpy(pseudo + 4, to->ip, 4);
	pseudo[8] = 0;
	pseudo[9] = 6;
	be16(pseudo + 10, (uint32_t)(20 + len));
	be16(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), tcp, 20 + len)));

	from->seq += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);

	ts_usec_total += 1000; /* 1 ms apart */
	uint8_t rec[16];
	le32(rec, 1767225600u + ts_usec_total / 1000000u); /* 2026-01-01 */
	le32(rec + 4, ts_usec_total % 1000000u);
	le32(rec + 8, (uint32_t)total);
	le32(rec + 12, (uint32_t)total);
	if (fwrite(rec, sizeof rec, 1, pcap) != 1 || fwrite(pkt, total, 1, pcap) != 1)
		die("pcap write failed");
	frame_no++;
}

static void stream_open(struct stream *s, int index, uint16_t dev_port, uint16_t cm_port)
{
	s->index = index;
	memcpy(s->dev.ip, (uint8_t[4]){127, 0, 0, 1}, 4);
	memcpy(s->cm.ip, (uint8_t[4]){127, 0, 0, 2}, 4);
	s->dev.port = dev_port;
	s->cm.port = cm_port;
	s->dev.seq = 0x10000000u + (uint32_t)index * 0x01000000u;
	s->cm.seq = 0x80000000u + (uint32_t)index * 0x01000000u;
	tcp_packet(&s->dev, &s->cm, TCP_SYN, NULL, 0);
	/* SYN-ACK acknowledges the SYN: s->dev.seq already counts it. */
	tcp_packet(&s->cm, &s->dev, TCP_SYN | TCP_ACK, NULL, 0);
	tcp_packet(&s->dev, &s->cm, TCP_ACK, NULL, 0);
}

static void stream_close(struct stream *s)
{
	tcp_packet(&s->dev, &s->cm, TCP_FIN | TCP_ACK, NULL, 0);
	tcp_packet(&s->cm, &s->dev, TCP_FIN | TCP_ACK, NULL, 0);
	tcp_packet(&s->dev, &s->cm, TCP_ACK, NULL, 0);
}

/* ---------------------------------------------------------------------------------------------
 * One SCCP PDU in its own segment, with its expectation row */

static uint32_t hv; /* header version of this run */
static unsigned n_sent;

/* Encode m, send it in direction d, and write the expected row: the columns set with E() since
 * the last send, plus the frame, stream, source, header, id and names. body_len is the body size
 * protocol.md gives for this message at this hv (the header's length field is body_len + 4). */
static void send_msg(struct stream *s, enum dir d, const struct sccp_msg *m, const char *ws_name,
                     uint32_t body_len)
{
	uint8_t buf[SCCP_MAX_PDU];
	int n = sccp_encode(m, buf, sizeof buf);
	if (n < 0)
		die("encode %s (0x%04x) at hv 0x%02x: %s", ws_name, m->id, m->hv, sccp_strerror(n));
	if (d == D2C)
		tcp_packet(&s->dev, &s->cm, TCP_PSH | TCP_ACK, buf, (size_t)n);
	else
		tcp_packet(&s->cm, &s->dev, TCP_PSH | TCP_ACK, buf, (size_t)n);

	E(C_FRAME, "%u", frame_no);
	E(C_STREAM, "%d", s->index);
	E(C_SRC, "%s", d == D2C ? "127.0.0.1" : "127.0.0.2");
	E_hex(C_HV, m->hv);
	E(C_LEN, "%u", body_len + 4);
	E(C_ID, "%u", m->id);
	E(C_WS_NAME, "%s", ws_name);
	const char *ours = sccp_msg_name(m->id);
	E(C_CODEC_NAME, "%s", ours ? ours : "(none)");
	for (int c = 0; c < C_COUNT; c++)
		fprintf(tsv, "%s%s", c ? "\t" : "", cells[c]);
	fputc('\n', tsv);
	memset(cells, 0, sizeof cells);
	n_sent++;
}

static struct sccp_msg M; /* the message being built */

static struct sccp_msg *msg(uint32_t id)
{
	sccp_msg_init(&M, id, hv);
	return &M;
}

static void set_ip4(struct sccp_ip *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(ip, 0, sizeof *ip);
	ip->type = 0;
	ip->addr[0] = a;
	ip->addr[1] = b;
	ip->addr[2] = c;
	ip->addr[3] = d;
}

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		die("test string too long: %s", src);
	memcpy(dst, src, n + 1);
}
#define COPY(field, s) copy((field), sizeof(field), (s))

/* ---------------------------------------------------------------------------------------------
 * The session */

#define DEVICE_NAME "CiscoUM1-VI1"
#define LINE 1u
#define CALLREF_FWD 0x12345678u /* asymmetric bytes: a byte-order slip cannot go unseen */
#define CALLREF_MWI 0x12345679u
#define CALLREF_ENBLOC 0x1234567Au
#define CONF_ID 0x01020304u
#define PASSTHRU 0x0A0B0C0Du
#define CODEC_ULAW 4u
#define PACKET_MS 20u
#define RX_PORT 20000u
#define TX_PORT 30000u
#define PRECEDENCE 0xB8u
#define FWD_EXT "1001"
#define PILOT "8000"
#define CALLER "2001"
#define MWI_ON_DN "9999991"

static int ip_body(void) /* size of an ipv4or6 field at this hv */
{
	return hv >= SCCP_HV_V17 ? 20 : 4;
}

static void registration(struct stream *s)
{
	struct sccp_msg *m;

	m = msg(SCCP_REGISTER);
	COPY(m->u.reg.device_name, DEVICE_NAME);
	m->u.reg.instance = 1;
	memcpy(m->u.reg.station_ip, (uint8_t[4]){127, 0, 0, 1}, 4);
	m->u.reg.device_type = 80;
	m->u.reg.max_streams = 2;
	m->u.reg.has_ext = true;
	m->u.reg.protocol_ver = 17;
	m->u.reg.phone_features = 0x8570; /* no 0x0080: fixed CallInfo, not V2 */
	m->u.reg.max_conferences = 0;
	m->u.reg.has_full = true;
	memcpy(m->u.reg.mac, (uint8_t[6]){0x00, 0x1B, 0x54, 0x0C, 0xA1, 0x01}, 6);
	m->u.reg.ipv4_scope = 3;
	m->u.reg.max_lines = 1;
	COPY(m->u.reg.firmware, "vmport-0.1.0");
	E(C_DEVICE_NAME, DEVICE_NAME);
	E(C_STATION_IP, "127.0.0.1");
	E_hex(C_DEVICE_TYPE, 80);
	E(C_MAX_STREAMS, "2");
	E(C_PROTOCOL_VER, "17");
	E(C_MAC, "00:1b:54:0c:a1:01");
	E(C_MAX_LINES, "1");
	E(C_FIRMWARE, "vmport-0.1.0");
	send_msg(s, D2C, m, "RegisterReq", 124);

	m = msg(SCCP_REGISTER_ACK);
	m->u.register_ack.keepalive = 30;
	COPY(m->u.register_ack.date_template, "M/D/Y");
	m->u.register_ack.secondary_keepalive = 60;
	m->u.register_ack.max_protocol_ver = 17;
	m->u.register_ack.unknown = 0x20;
	m->u.register_ack.features = 0xFEF1;
	E(C_KEEPALIVE, "30");
	E(C_DATE_TEMPLATE, "M/D/Y");
	E(C_MAX_PROTOCOL_VER, "17");
	send_msg(s, C2D, m, "RegisterAck", 20);

	send_msg(s, C2D, msg(SCCP_CAPABILITIES_REQ), "CapabilitiesReq", 0);

	m = msg(SCCP_CAPABILITIES_RES);
	m->u.capabilities.count = 3;
	m->u.capabilities.caps[0].payload = 4;
	m->u.capabilities.caps[0].max_frames_per_packet = 40;
	m->u.capabilities.caps[1].payload = 2;
	m->u.capabilities.caps[1].max_frames_per_packet = 40;
	m->u.capabilities.caps[2].payload = 11;
	m->u.capabilities.caps[2].max_frames_per_packet = 60;
	E(C_CAP_COUNT, "3");
	E(C_PAYLOAD_CAP, "0x00000004,0x00000002,0x0000000b");
	E(C_MAX_FRAMES, "40,40,60");
	send_msg(s, D2C, m, "CapabilitiesRes", 4 + 3 * 16);

	send_msg(s, D2C, msg(SCCP_BUTTON_TEMPLATE_REQ), "ButtonTemplateReq", 0);
	m = msg(SCCP_BUTTON_TEMPLATE_RES);
	m->u.button_template.offset = 0;
	m->u.button_template.count = 1;
	m->u.button_template.total = 1;
	m->u.button_template.buttons[0].instance = 1;
	m->u.button_template.buttons[0].definition = 0x09; /* line */
	E(C_TOTAL_BUTTONS, "1");
	E(C_BUTTON_DEF, "0x09");
	send_msg(s, C2D, m, "ButtonTemplateRes", 12 + 2 * 42); /* always 42 slots (WS-XML) */

	send_msg(s, D2C, msg(SCCP_SOFTKEY_TEMPLATE_REQ), "SoftKeyTemplateReq", 0);
	m = msg(SCCP_SOFTKEY_TEMPLATE_RES);
	m->u.softkey_template.offset = 0;
	m->u.softkey_template.count = 2;
	m->u.softkey_template.total = 2;
	COPY(m->u.softkey_template.keys[0].label, "Answer");
	m->u.softkey_template.keys[0].event = 11;
	COPY(m->u.softkey_template.keys[1].label, "EndCall");
	m->u.softkey_template.keys[1].event = 9;
	E(C_TOTAL_SOFTKEYS, "2");
	E(C_SOFTKEY_LABEL, "Answer,EndCall");
	E(C_SOFTKEY_EVENT, "0x0000000b,0x00000009"); /* the template's events */
	send_msg(s, C2D, m, "SoftKeyTemplateRes", 12 + 32 * 20);

	send_msg(s, D2C, msg(SCCP_SOFTKEY_SET_REQ), "SoftKeySetReq", 0);
	m = msg(SCCP_SOFTKEY_SET_RES);
	m->u.softkey_set.offset = 0;
	m->u.softkey_set.count = 2;
	m->u.softkey_set.total = 2;
	m->u.softkey_set.sets[1].template_index[0] = 2; /* EndCall in Connected */
	m->u.softkey_set.sets[1].info_index[0] = 302;
	E(C_TOTAL_SOFTKEY_SETS, "2");
	send_msg(s, C2D, m, "SoftKeySetRes", 12 + 16 * 48);

	send_msg(s, D2C, msg(SCCP_CONFIG_STAT_REQ), "ConfigStatReq", 0);
	m = msg(SCCP_CONFIG_STAT_RES);
	COPY(m->u.config_stat.device_name, DEVICE_NAME);
	m->u.config_stat.instance = 1;
	COPY(m->u.config_stat.user_name, "vmport");
	COPY(m->u.config_stat.server_name, "cucm-test");
	m->u.config_stat.number_lines = 1;
	m->u.config_stat.number_speed_dials = 0;
	E(C_DEVICE_NAME, DEVICE_NAME);
	E(C_USER_NAME, "vmport");
	E(C_SERVER_NAME, "cucm-test");
	E(C_NUMBER_LINES, "1");
	send_msg(s, C2D, m, "ConfigStatRes", 112);

	m = msg(SCCP_LINE_STAT_REQ);
	m->u.line_stat_req.value = LINE;
	E(C_LINE_NUMBER, "%u", LINE);
	send_msg(s, D2C, m, "LineStatReq", 4);
	m = msg(SCCP_LINE_STAT_RES);
	m->u.line_stat.line_number = LINE;
	COPY(m->u.line_stat.dir_number, PILOT);
	COPY(m->u.line_stat.fq_display_name, "Voicemail Port 1");
	COPY(m->u.line_stat.text_label, "VM1");
	m->u.line_stat.has_display_options = true;
	m->u.line_stat.display_options = 0x0F;
	E(C_LINE_NUMBER, "%u", LINE);
	E(C_LINE_DN, PILOT);
	E(C_LINE_DISPLAY_OPTIONS, "15");
	send_msg(s, C2D, m, "LineStatRes", 112);

	m = msg(SCCP_REGISTER_AVAILABLE_LINES);
	m->u.register_available_lines.value = 1;
	E(C_AVAIL_LINES, "1");
	send_msg(s, D2C, m, "RegisterAvailableLines", 4);

	send_msg(s, D2C, msg(SCCP_TIME_DATE_REQ), "TimeDateReq", 0);
	m = msg(SCCP_DEFINE_TIME_DATE);
	m->u.time_date = (struct sccp_define_time_date){2026, 1, 4, 1, 12, 0, 0, 0, 1767268800u};
	E(C_SYSTEM_TIME, "1767268800");
	send_msg(s, C2D, m, "TimeDateRes", 36);

	send_msg(s, D2C, msg(SCCP_KEEPALIVE), "KeepAliveReq", 0);
	send_msg(s, C2D, msg(SCCP_KEEPALIVE_ACK), "KeepAliveAck", 0);
}

static void call_state(struct stream *s, uint32_t state, uint32_t callref)
{
	struct sccp_msg *m = msg(SCCP_CALL_STATE);
	m->u.call_state.call_state = state;
	m->u.call_state.line_instance = LINE;
	m->u.call_state.call_reference = callref;
	m->u.call_state.has_privacy = true;
	E_hex(C_CALL_STATE, state);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", callref);
	E_hex(C_PRIVACY, 0);
	send_msg(s, C2D, m, "CallState", 24);
}

static void hook(struct stream *s, uint32_t id, uint32_t callref)
{
	struct sccp_msg *m = msg(id);
	m->u.offhook.present = true;
	m->u.offhook.line_instance = LINE;
	m->u.offhook.call_reference = callref;
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", callref);
	send_msg(s, D2C, m, id == SCCP_OFFHOOK ? "OffHook" : "OnHook", 8);
}

static void keypad(struct stream *s, enum dir d, uint32_t button, uint32_t callref)
{
	struct sccp_msg *m = msg(SCCP_KEYPAD_BUTTON);
	m->u.keypad.button = button;
	m->u.keypad.has_call = true;
	m->u.keypad.line_instance = LINE;
	m->u.keypad.call_reference = callref;
	E_hex(C_KP_BUTTON, button);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", callref);
	send_msg(s, d, m, "KeypadButton", 12);
}

static void forwarded_call(struct stream *s)
{
	struct sccp_msg *m;

	call_state(s, SCCP_CS_RINGIN, CALLREF_FWD);

	m = msg(SCCP_CALL_INFO);
	struct sccp_call_info *ci = &m->u.call_info;
	COPY(ci->calling_party_name, "Alice");
	COPY(ci->calling_party, CALLER);
	COPY(ci->called_party_name, "Bob");
	COPY(ci->called_party, FWD_EXT);
	ci->line_instance = LINE;
	ci->call_reference = CALLREF_FWD;
	ci->call_type = SCCP_CALL_FORWARD;
	COPY(ci->original_called_party_name, "Bob");
	COPY(ci->original_called_party, FWD_EXT);
	COPY(ci->last_redirecting_party_name, "Bob");
	COPY(ci->last_redirecting_party, FWD_EXT);
	ci->original_cdpn_redirect_reason = 2;
	ci->last_redirecting_reason = 2;
	COPY(ci->cdpn_voice_mailbox, FWD_EXT);
	COPY(ci->original_cdpn_voice_mailbox, FWD_EXT);
	ci->call_instance = 1;
	ci->call_security_status = 1;
	E(C_CALLING_NAME, "Alice");
	E(C_CALLING_PARTY, CALLER);
	E(C_CALLED_NAME, "Bob");
	E(C_CALLED_PARTY, FWD_EXT);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	E_hex(C_CALL_TYPE, SCCP_CALL_FORWARD);
	E(C_ORIG_CALLED_PARTY, FWD_EXT);
	E(C_LAST_REDIRECT, FWD_EXT);
	E(C_REDIRECT_REASON, "2");
	E(C_CGPN_MAILBOX, "%s", "");
	E(C_CALL_INSTANCE, "1");
	E_hex(C_SECURITY, 1);
	send_msg(s, C2D, m, "CallInfo", 384);

	m = msg(SCCP_SET_RINGER);
	m->u.set_ringer = (struct sccp_set_ringer){2, 1, LINE, CALLREF_FWD};
	E_hex(C_RING_MODE, 2);
	E_hex(C_RING_DURATION, 1);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	send_msg(s, C2D, m, "SetRinger", 16);

	m = msg(SCCP_SET_LAMP);
	m->u.set_lamp = (struct sccp_set_lamp){SCCP_STIMULUS_LINE, LINE, SCCP_LAMP_BLINK};
	E_hex(C_STIMULUS, SCCP_STIMULUS_LINE);
	E(C_STIMULUS_INSTANCE, "%u", LINE);
	E_hex(C_LAMP_MODE, SCCP_LAMP_BLINK);
	send_msg(s, C2D, m, "SetLamp", 12);

	m = msg(SCCP_SELECT_SOFTKEYS);
	m->u.select_softkeys = (struct sccp_select_softkeys){LINE, CALLREF_FWD, 3, 0xFFFF};
	E_hex(C_SOFTKEY_SET, 3);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	send_msg(s, C2D, m, "SelectSoftKeys", 16);

	m = msg(SCCP_DISPLAY_PROMPT_STATUS);
	m->u.display_prompt.timeout = 0;
	COPY(m->u.display_prompt.text, "From 2001");
	E(C_TIMEOUT, "0");
	E(C_PROMPT, "From 2001");
	m->u.display_prompt.line_instance = LINE;
	m->u.display_prompt.call_reference = CALLREF_FWD;
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	send_msg(s, C2D, m, "DisplayPromptStatus", 44);

	m = msg(SCCP_ACTIVATE_CALL_PLANE);
	m->u.activate_call_plane.value = LINE;
	E(C_LINE_INSTANCE, "%u", LINE);
	send_msg(s, C2D, m, "ActivateCallPlane", 4);

	hook(s, SCCP_OFFHOOK, CALLREF_FWD);
	call_state(s, SCCP_CS_CONNECTED, CALLREF_FWD);

	m = msg(SCCP_OPEN_RECEIVE_CHANNEL);
	struct sccp_open_receive_channel *o = &m->u.orc;
	o->conference_id = CONF_ID;
	o->pass_through_party_id = PASSTHRU;
	o->packet_ms = PACKET_MS;
	o->compression_type = CODEC_ULAW;
	o->ec_value = 0;
	o->has_key = true;
	o->call_reference = CALLREF_FWD;
	o->rx_key.algorithm = SCCP_ALG_NONE;
	o->rfc2833_payload_type = 101;
	o->dtmf_type = 10;
	uint32_t orc_len = 92;
	if (hv >= SCCP_HV_V11) {
		o->has_source = true;
		set_ip4(&o->source_ip, 127, 0, 0, 2);
		o->source_port = 4000;
		orc_len += 8 + (uint32_t)ip_body() + 4;
	}
	if (hv >= SCCP_HV_V16) {
		o->has_requested_ip_type = true;
		o->requested_ip_type = 0;
		orc_len += 4;
	}
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASS_THRU, "%u", PASSTHRU);
	E(C_PACKET_MS, "%u", PACKET_MS);
	E_hex(C_COMPRESSION, CODEC_ULAW);
	E_hex(C_EC_VALUE, 0);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	E_hex(C_ALGORITHM, SCCP_ALG_NONE);
	E(C_KEYLEN, "0");
	E(C_SALTLEN, "0");
	E(C_RFC2833_PT, "101");
	E(C_DTMF_TYPE, "10");
	if (hv >= SCCP_HV_V11) {
		E(C_MIXING_MODE, "0");
		E(C_PARTY_DIRECTION, "0");
		if (hv >= SCCP_HV_V17)
			E(C_IP_TYPE, "0");
		E(C_SOURCE_IP, "127.0.0.2");
		E(C_SOURCE_PORT, "4000");
	}
	if (hv >= SCCP_HV_V16)
		E_hex(C_REQUESTED_IP_TYPE, 0);
	send_msg(s, C2D, m, "OpenReceiveChannel", orc_len);

	m = msg(SCCP_OPEN_RECEIVE_CHANNEL_ACK);
	m->u.orc_ack.status = 0;
	set_ip4(&m->u.orc_ack.ip, 127, 0, 0, 1);
	m->u.orc_ack.port = RX_PORT;
	m->u.orc_ack.pass_through_party_id = PASSTHRU;
	m->u.orc_ack.has_call_reference = true;
	m->u.orc_ack.call_reference = CALLREF_FWD;
	E_hex(C_RX_STATUS, 0);
	if (hv >= SCCP_HV_V17)
		E(C_IP_TYPE, "0");
	E(C_IP_ADDR, "127.0.0.1");
	E(C_PORT_NUMBER, "%u", RX_PORT);
	E(C_PASS_THRU, "%u", PASSTHRU);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	send_msg(s, D2C, m, "OpenReceiveChannelAck", 4 + (uint32_t)ip_body() + 4 + 4 + 4);

	m = msg(SCCP_START_MEDIA_TRANSMISSION);
	struct sccp_start_media_transmission *t = &m->u.smt;
	t->conference_id = CONF_ID;
	t->pass_through_party_id = PASSTHRU;
	set_ip4(&t->remote_ip, 127, 0, 0, 1);
	t->remote_port = TX_PORT;
	t->packet_ms = PACKET_MS;
	t->compression_type = CODEC_ULAW;
	t->precedence = PRECEDENCE;
	t->silence_suppression = 0;
	t->max_frames_per_packet = 1;
	t->has_key = true;
	t->call_reference = CALLREF_FWD;
	t->tx_key.algorithm = SCCP_ALG_NONE;
	t->rfc2833_payload_type = 101;
	t->dtmf_type = 10;
	uint32_t smt_len = hv >= SCCP_HV_V17 ? 132 : 112;
	if (hv >= SCCP_HV_V15) {
		t->has_party_direction = true;
		t->party_direction = 0;
		if (hv < SCCP_HV_V17)
			smt_len = 116;
	}
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASS_THRU, "%u", PASSTHRU);
	E(C_REMOTE_IP, "127.0.0.1");
	E(C_REMOTE_PORT, "%u", TX_PORT);
	E(C_PACKET_MS, "%u", PACKET_MS);
	E_hex(C_COMPRESSION, CODEC_ULAW);
	E(C_PRECEDENCE, "%u", PRECEDENCE);
	E_hex(C_SS_VALUE, 0);
	E(C_MAX_FRAMES, "1");
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	E_hex(C_ALGORITHM, SCCP_ALG_NONE);
	E(C_KEYLEN, "0");
	E(C_SALTLEN, "0");
	E(C_RFC2833_PT, "101");
	E(C_DTMF_TYPE, "10");
	E(C_MIXING_MODE, "0");
	if (hv >= SCCP_HV_V15)
		E(C_PARTY_DIRECTION, "0");
	if (hv >= SCCP_HV_V17)
		E(C_IP_TYPE, "0");
	send_msg(s, C2D, m, "StartMediaTransmission", smt_len);

	keypad(s, C2D, 5, CALLREF_FWD); /* caller's DTMF relayed to the port */

	m = msg(SCCP_STOP_MEDIA_TRANSMISSION);
	m->u.stop_media = (struct sccp_stop_media){CONF_ID, PASSTHRU, true, CALLREF_FWD, true, 0};
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASS_THRU, "%u", PASSTHRU);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	E_hex(C_PORT_HANDLING, 0);
	send_msg(s, C2D, m, "StopMediaTransmission", 16);

	m = msg(SCCP_CLOSE_RECEIVE_CHANNEL);
	m->u.stop_media = (struct sccp_stop_media){CONF_ID, PASSTHRU, true, CALLREF_FWD, true, 0};
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASS_THRU, "%u", PASSTHRU);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	E_hex(C_PORT_HANDLING, 0);
	send_msg(s, C2D, m, "CloseReceiveChannel", 16);

	hook(s, SCCP_ONHOOK, CALLREF_FWD);
	call_state(s, SCCP_CS_ONHOOK, CALLREF_FWD);
}

static uint32_t kp_code(char digit)
{
	return digit == '*' ? 0x0E : digit == '#' ? 0x0F : (uint32_t)(digit - '0');
}

static void mwi_call(struct stream *s)
{
	struct sccp_msg *m = msg(SCCP_OFFHOOK_WITH_CGPN);
	COPY(m->u.offhook_cgpn.calling_party, FWD_EXT);
	COPY(m->u.offhook_cgpn.cgpn_voice_mailbox, FWD_EXT);
	m->u.offhook_cgpn.line_instance = LINE;
	E(C_CALLING_PARTY_NUMBER, FWD_EXT);
	E(C_CGPN_MAILBOX, FWD_EXT);
	E(C_LINE_INSTANCE, "%u", LINE);
	send_msg(s, D2C, m, "OffHookWithCallingPartyNumber", 52);

	call_state(s, SCCP_CS_OFFHOOK, CALLREF_MWI);

	m = msg(SCCP_START_TONE);
	m->u.start_tone = (struct sccp_start_tone){0x21, 0, LINE, CALLREF_MWI};
	E_hex(C_TONE, 0x21);
	E_hex(C_TONE_DIRECTION, 0);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_MWI);
	send_msg(s, C2D, m, "StartTone", 16);

	static const char mwi_dn[] = MWI_ON_DN;
	for (size_t i = 0; mwi_dn[i]; i++) {
		keypad(s, D2C, kp_code(mwi_dn[i]), CALLREF_MWI);
		if (i == 0) { /* the first digit stops the dial tone */
			m = msg(SCCP_STOP_TONE);
			m->u.stop_tone.line_instance = LINE;
			m->u.stop_tone.call_reference = CALLREF_MWI;
			m->u.stop_tone.has_tone = hv >= SCCP_HV_V11;
			m->u.stop_tone.tone = 0x21;
			E(C_LINE_INSTANCE, "%u", LINE);
			E(C_CALL_REFERENCE, "%u", CALLREF_MWI);
			if (hv >= SCCP_HV_V11)
				E_hex(C_TONE, 0x21);
			send_msg(s, C2D, m, "StopTone", hv >= SCCP_HV_V11 ? 12 : 8);
		}
	}

	m = msg(SCCP_DIALED_NUMBER);
	COPY(m->u.dialed_number.number, MWI_ON_DN);
	m->u.dialed_number.line_instance = LINE;
	m->u.dialed_number.call_reference = CALLREF_MWI;
	E(C_DIALED_NUMBER, MWI_ON_DN);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_MWI);
	send_msg(s, C2D, m, "DialedNumber", 24 + 8);

	call_state(s, SCCP_CS_PROCEED, CALLREF_MWI);
	hook(s, SCCP_ONHOOK, CALLREF_MWI);
	call_state(s, SCCP_CS_ONHOOK, CALLREF_MWI);

	m = msg(SCCP_CLEAR_PROMPT_STATUS);
	m->u.clear_prompt = (struct sccp_line_call_ref){true, LINE, CALLREF_MWI};
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_MWI);
	send_msg(s, C2D, m, "ClearPromptStatus", 8);
}

static void enbloc_call(struct stream *s)
{
	struct sccp_msg *m = msg(SCCP_ENBLOC_CALL);
	COPY(m->u.enbloc.called_party, MWI_ON_DN);
	m->u.enbloc.has_line_instance = true;
	m->u.enbloc.line_instance = LINE;
	E(C_CALLED_PARTY, MWI_ON_DN);
	E(C_LINE_INSTANCE, "%u", LINE);
	send_msg(s, D2C, m, "EnblocCall", 28);

	call_state(s, SCCP_CS_RINGOUT, CALLREF_ENBLOC);

	m = msg(SCCP_SOFTKEY_EVENT);
	m->u.softkey_event = (struct sccp_softkey_event){9, LINE, CALLREF_ENBLOC}; /* EndCall */
	E_hex(C_SOFTKEY_EVENT, 9);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_ENBLOC);
	send_msg(s, D2C, m, "SoftKeyEvent", 12);

	call_state(s, SCCP_CS_ONHOOK, CALLREF_ENBLOC);
}

/* Catalogue messages not in the flows above. */
static void others(struct stream *s)
{
	struct sccp_msg *m;

	m = msg(SCCP_CALL_INFO_V2);
	struct sccp_call_info *ci = &m->u.call_info;
	ci->line_instance = LINE;
	ci->call_reference = CALLREF_ENBLOC;
	ci->call_type = SCCP_CALL_FORWARD;
	ci->original_cdpn_redirect_reason = 2;
	ci->last_redirecting_reason = 2;
	ci->call_instance = 1;
	ci->call_security_status = 1;
	COPY(ci->calling_party, CALLER);
	COPY(ci->called_party, FWD_EXT);
	COPY(ci->original_called_party, FWD_EXT);
	COPY(ci->last_redirecting_party, FWD_EXT);
	COPY(ci->calling_party_name, "Alice");
	COPY(ci->called_party_name, "Bob");
	/* 32 fixed bytes, 13 strings (+2 hunt pilot strings from V17), each NUL-terminated. */
	uint32_t v2 =
	    32 + (uint32_t)(sizeof CALLER + 1 /* alternate */ + 3 * sizeof FWD_EXT + 4 /* mailboxes */ +
	                    sizeof "Alice" + sizeof "Bob" + 2 /* orig/last names */);
	if (hv >= SCCP_HV_V17)
		v2 += 2;
	v2 = (v2 + 3) & ~3u;
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_ENBLOC);
	E_hex(C_CALL_TYPE, SCCP_CALL_FORWARD);
	E(C_REDIRECT_REASON, "2");
	E(C_CALL_INSTANCE, "1");
	E_hex(C_SECURITY, 1);
	E(C_CALLING_PARTY, CALLER);
	E(C_CALLED_PARTY, FWD_EXT);
	E(C_ORIG_CALLED_PARTY, FWD_EXT);
	E(C_LAST_REDIRECT, FWD_EXT);
	E(C_CALLING_NAME, "Alice");
	E(C_CALLED_NAME, "Bob");
	send_msg(s, C2D, m, "CallInfoV2", v2);

	m = msg(SCCP_STIMULUS);
	m->u.stimulus = (struct sccp_stimulus){SCCP_STIMULUS_VOICEMAIL, LINE, CALLREF_ENBLOC, 0};
	E_hex(C_STIMULUS, SCCP_STIMULUS_VOICEMAIL);
	E(C_LINE_INSTANCE, "%u", LINE);
	E(C_CALL_REFERENCE, "%u", CALLREF_ENBLOC);
	E(C_STIMULUS_STATUS, "0");
	send_msg(s, D2C, m, "Stimulus", 16);

	m = msg(SCCP_NOTIFY_DTMF_TONE);
	m->u.dtmf_tone = (struct sccp_dtmf_tone){0x05, CONF_ID, PASSTHRU};
	E_hex(C_TONE, 5);
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASSTHRU_ID, "%u", PASSTHRU);
	send_msg(s, C2D, m, "NotifyDtmfTone", 12);

	m = msg(SCCP_START_MEDIA_TRANSMISSION_ACK);
	m->u.smt_ack.conference_id = CONF_ID;
	m->u.smt_ack.pass_through_party_id = PASSTHRU;
	m->u.smt_ack.call_reference = CALLREF_FWD;
	set_ip4(&m->u.smt_ack.ip, 127, 0, 0, 1);
	m->u.smt_ack.port = TX_PORT;
	m->u.smt_ack.status = 0;
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASS_THRU, "%u", PASSTHRU);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	if (hv >= SCCP_HV_V17)
		E(C_IP_TYPE, "0");
	E(C_TRANSMIT_IP, "127.0.0.1");
	E(C_PORT_NUMBER, "%u", TX_PORT);
	E_hex(C_TX_STATUS, 0);
	send_msg(s, D2C, m, "StartMediaTransmissionAck", 12 + (uint32_t)ip_body() + 8);

	m = msg(SCCP_MEDIA_TRANSMISSION_FAILURE);
	m->u.mtf.conference_id = CONF_ID;
	m->u.mtf.pass_through_party_id = PASSTHRU;
	set_ip4(&m->u.mtf.remote_ip, 127, 0, 0, 1);
	m->u.mtf.remote_port = TX_PORT;
	m->u.mtf.call_reference = CALLREF_FWD;
	E(C_CONFERENCE_ID, "%u", CONF_ID);
	E(C_PASS_THRU, "%u", PASSTHRU);
	if (hv >= SCCP_HV_V17)
		E(C_IP_TYPE, "0");
	E(C_REMOTE_IP, "127.0.0.1");
	E(C_REMOTE_PORT, "%u", TX_PORT);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	send_msg(s, D2C, m, "MediaTransmissionFailure", 8 + (uint32_t)ip_body() + 8);

	m = msg(SCCP_CONNECTION_STATISTICS_REQ);
	COPY(m->u.stats_req.dir_number, PILOT);
	m->u.stats_req.call_reference = CALLREF_FWD;
	m->u.stats_req.processing_mode = 0;
	E(C_DIRECTORY_NUM, PILOT);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	send_msg(s, C2D, m, "ConnectionStatisticsReq", 24 + 8);

	m = msg(SCCP_CONNECTION_STATISTICS_RES);
	struct sccp_connection_statistics_res *cs = &m->u.stats_res;
	COPY(cs->dir_number, PILOT);
	cs->call_reference = CALLREF_FWD;
	cs->processing_mode = 0;
	cs->packets_sent = 1500;
	cs->octets_sent = 1500 * 160;
	cs->packets_received = 1499;
	cs->octets_received = 1499 * 160;
	cs->packets_lost = 1;
	cs->jitter = 3;
	cs->latency = 20;
	E(C_DIRECTORY_NUM, PILOT);
	E(C_CALL_REFERENCE, "%u", CALLREF_FWD);
	E(C_PACKETS_SENT, "1500");
	E(C_LATENCY, "20");
	send_msg(s, D2C, m, "ConnectionStatisticsRes", 24 + 8 + 7 * 4);

	m = msg(SCCP_REGISTER_TOKEN_REQ);
	COPY(m->u.register_token_req.device_name, DEVICE_NAME);
	m->u.register_token_req.instance = 1;
	memcpy(m->u.register_token_req.station_ip, (uint8_t[4]){127, 0, 0, 1}, 4);
	m->u.register_token_req.device_type = 80;
	E(C_DEVICE_NAME, DEVICE_NAME);
	E(C_STATION_IP, "1.0.0.127"); /* Wireshark reads this one as an LE integer: see README */
	E_hex(C_DEVICE_TYPE, 80);
	if (hv >= SCCP_HV_V17)
		E(C_IP_TYPE, "0");
	E(C_STATION_V6_IP4, "0.0.0.0");
	send_msg(s, D2C, m, "RegisterTokenReq", 52);
	send_msg(s, C2D, msg(SCCP_REGISTER_TOKEN_ACK), "RegisterTokenAck", 0);
	m = msg(SCCP_REGISTER_TOKEN_REJECT);
	m->u.register_token_reject.value = 30;
	E(C_WAIT_TIME, "30");
	send_msg(s, C2D, m, "RegisterTokenReject", 4);

	/* Unregister refused while a call is up: reason 1 (power-save), ack status 2 (NAK). */
	m = msg(SCCP_UNREGISTER);
	m->u.unregister.has_reason = true;
	m->u.unregister.reason = 1;
	/* Wireshark shows the reason only when the length field is > 12 (body > 8 bytes), so a
	 * 4-byte reason reads as absent: see README, UnregisterReq. */
	E(C_UNREG_REASON, "%s", "");
	send_msg(s, D2C, m, "UnregisterReq", 4);
	m = msg(SCCP_UNREGISTER_ACK);
	m->u.unregister_ack.value = 2;
	E_hex(C_STATUS, 2);
	send_msg(s, C2D, m, "UnregisterAck", 4);

	m = msg(SCCP_RESET);
	m->u.reset.value = 2; /* restart */
	E_hex(C_RESET_TYPE, 2);
	send_msg(s, C2D, m, "Reset", 4);
}

static void unregister(struct stream *s)
{
	send_msg(s, D2C, msg(SCCP_UNREGISTER), "UnregisterReq", 0);
	struct sccp_msg *m = msg(SCCP_UNREGISTER_ACK);
	m->u.unregister_ack.value = 0;
	E_hex(C_STATUS, 0);
	send_msg(s, C2D, m, "UnregisterAck", 4);
}

static void rejected_registration(struct stream *s)
{
	struct sccp_msg *m = msg(SCCP_REGISTER);
	COPY(m->u.reg.device_name, "CiscoUM1-VI99");
	m->u.reg.instance = 1;
	memcpy(m->u.reg.station_ip, (uint8_t[4]){127, 0, 0, 1}, 4);
	m->u.reg.device_type = 80;
	m->u.reg.max_streams = 2;
	m->u.reg.has_ext = true;
	m->u.reg.protocol_ver = 17;
	m->u.reg.has_full = true;
	m->u.reg.max_lines = 1;
	E(C_DEVICE_NAME, "CiscoUM1-VI99");
	E(C_STATION_IP, "127.0.0.1");
	E_hex(C_DEVICE_TYPE, 80);
	E(C_MAX_STREAMS, "2");
	E(C_MAC, "00:00:00:00:00:00");
	E(C_MAX_LINES, "1");
	E(C_FIRMWARE, "%s", "");
	E(C_PROTOCOL_VER, "17");
	send_msg(s, D2C, m, "RegisterReq", 124);

	m = msg(SCCP_REGISTER_REJECT);
	COPY(m->u.register_reject.text, "Unknown device");
	E(C_TEXT, "Unknown device");
	send_msg(s, C2D, m, "RegisterReject", 32);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s HV PORT OUT.pcap OUT.tsv\n", argv[0]);
		return 2;
	}
	char *end;
	unsigned long h = strtoul(argv[1], &end, 0);
	if (*end || h > 0xFF)
		die("bad header version %s", argv[1]);
	hv = (uint32_t)h;
	if (hv != SCCP_HV_BASIC && hv != SCCP_HV_V17)
		die("expectations are written for hv 0 and 0x11 only, not %s", argv[1]);
	unsigned long port = strtoul(argv[2], &end, 0);
	if (*end || port == 0 || port > 65535)
		die("bad port %s", argv[2]);

	pcap_open(argv[3]);
	tsv = fopen(argv[4], "w");
	if (!tsv)
		die("%s: %s", argv[4], strerror(errno));
	for (int c = 0; c < C_COUNT; c++)
		fprintf(tsv, "%s%s", c ? "\t" : "", col_names[c]);
	fputc('\n', tsv);

	struct stream main_s, reject_s;
	stream_open(&main_s, 0, 40000, (uint16_t)port);
	registration(&main_s);
	forwarded_call(&main_s);
	mwi_call(&main_s);
	enbloc_call(&main_s);
	others(&main_s);
	unregister(&main_s);
	stream_close(&main_s);

	stream_open(&reject_s, 1, 40001, (uint16_t)port);
	rejected_registration(&reject_s);
	stream_close(&reject_s);

	if (fclose(pcap) || fclose(tsv))
		die("write failed");
	printf("hv 0x%02x: %u SCCP PDUs in %u frames\n", hv, n_sent, frame_no);
	return 0;
}
