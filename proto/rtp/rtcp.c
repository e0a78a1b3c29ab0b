/* RTCP packets (RFC 3550 §6.4 reports, §6.5 SDES, §6.6 BYE) and compound-packet walking (A.2). */
#include "rtcp.h"

#include <string.h>

#include "rtp_bytes.h"

/* Common header: V=2, P, 5-bit count, type, length in 32-bit words minus one. */
static void rtcp_put_header(uint8_t *p, unsigned count, enum rtcp_type type, size_t total_len)
{
	p[0] = (uint8_t)((RTP_VERSION << 6) | (count & 0x1F));
	p[1] = (uint8_t)type;
	put_be16(p + 2, (uint16_t)(total_len / 4 - 1));
}

int rtcp_build_report(const struct rtcp_report *r, uint8_t *out, size_t cap)
{
	if (r->block_count > RTCP_MAX_REPORT_BLOCKS)
		return RTP_ERR_INVALID;
	size_t len = RTCP_HEADER_LEN + 4 + (r->is_sender_report ? RTCP_SENDER_INFO_LEN : 0) +
	             RTCP_REPORT_BLOCK_LEN * (size_t)r->block_count;
	if (cap < len)
		return RTP_ERR_NO_SPACE;

	rtcp_put_header(out, r->block_count, r->is_sender_report ? RTCP_SR : RTCP_RR, len);
	put_be32(out + 4, r->ssrc);
	size_t off = 8;
	if (r->is_sender_report) {
		put_be32(out + off, r->sender.ntp_sec);
		put_be32(out + off + 4, r->sender.ntp_frac);
		put_be32(out + off + 8, r->sender.rtp_timestamp);
		put_be32(out + off + 12, r->sender.packet_count);
		put_be32(out + off + 16, r->sender.octet_count);
		off += RTCP_SENDER_INFO_LEN;
	}
	for (unsigned i = 0; i < r->block_count; i++, off += RTCP_REPORT_BLOCK_LEN) {
		const struct rtcp_report_block *b = &r->blocks[i];
		int32_t lost = b->cumulative_lost;
		/* Saturate rather than wrap: RFC 3550 §6.4.1 says to clamp the 24-bit field. */
		if (lost > RTCP_CUMULATIVE_LOST_MAX)
			lost = RTCP_CUMULATIVE_LOST_MAX;
		if (lost < RTCP_CUMULATIVE_LOST_MIN)
			lost = RTCP_CUMULATIVE_LOST_MIN;
		put_be32(out + off, b->ssrc);
		put_be32(out + off + 4, ((uint32_t)b->fraction_lost << 24) | ((uint32_t)lost & 0xFFFFFF));
		put_be32(out + off + 8, b->highest_seq);
		put_be32(out + off + 12, b->jitter);
		put_be32(out + off + 16, b->lsr);
		put_be32(out + off + 20, b->dlsr);
	}
	return (int)len;
}

int rtcp_build_sdes_cname(uint32_t ssrc, const char *cname, size_t cname_len, uint8_t *out, size_t cap)
{
	enum { SDES_END = 0, SDES_CNAME = 1 };
	if (cname_len == 0 || cname_len > 255)
		return RTP_ERR_INVALID;
	/* One chunk: SSRC, the CNAME item, then at least one null octet ending the item list,
	 * padded with more nulls to a 32-bit boundary (§6.5). */
	size_t chunk = 4 + 2 + cname_len + 1;
	chunk = (chunk + 3) & ~(size_t)3;
	size_t len = RTCP_HEADER_LEN + chunk;
	if (cap < len)
		return RTP_ERR_NO_SPACE;

	rtcp_put_header(out, 1, RTCP_SDES, len);
	put_be32(out + 4, ssrc);
	out[8] = SDES_CNAME;
	out[9] = (uint8_t)cname_len;
	memcpy(out + 10, cname, cname_len);
	memset(out + 10 + cname_len, SDES_END, len - 10 - cname_len);
	return (int)len;
}

int rtcp_build_bye(uint32_t ssrc, uint8_t *out, size_t cap)
{
	const size_t len = RTCP_HEADER_LEN + 4;
	if (cap < len)
		return RTP_ERR_NO_SPACE;
	rtcp_put_header(out, 1, RTCP_BYE, len);
	put_be32(out + 4, ssrc);
	return (int)len;
}

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
}

static int rtcp_iter_fail(struct rtcp_iter *it, int err)
{
	it->off = it->len;
	return err;
}

int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_chunk *out)
{
	if (it->off >= it->len)
		return 0;
	const uint8_t *p = it->buf + it->off;
	size_t left = it->len - it->off;
	if (left < RTCP_HEADER_LEN)
		return rtcp_iter_fail(it, RTP_ERR_TRUNCATED);
	if ((p[0] >> 6) != RTP_VERSION)
		return rtcp_iter_fail(it, RTP_ERR_VERSION);
	size_t pkt_len = ((size_t)get_be16(p + 2) + 1) * 4;
	if (pkt_len > left)
		return rtcp_iter_fail(it, RTP_ERR_TRUNCATED);

	size_t pad = 0;
	if (p[0] & 0x20) {
		/* Only the last packet of a compound may be padded (A.2). */
		if (pkt_len != left)
			return rtcp_iter_fail(it, RTP_ERR_COMPOUND);
		pad = p[pkt_len - 1];
		if (pad == 0 || pad > pkt_len - RTCP_HEADER_LEN)
			return rtcp_iter_fail(it, RTP_ERR_PADDING);
	}
	out->type = p[1];
	out->count = p[0] & 0x1F;
	out->data = p;
	out->len = pkt_len - pad;
	it->off += pkt_len;
	return 1;
}

int rtcp_check_compound(const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_chunk c;
	rtcp_iter_init(&it, buf, len);
	int rc = rtcp_iter_next(&it, &c);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return RTP_ERR_TRUNCATED;
	if (c.type != RTCP_SR && c.type != RTCP_RR)
		return RTP_ERR_COMPOUND;
	while ((rc = rtcp_iter_next(&it, &c)) > 0)
		;
	return rc;
}

int rtcp_parse_report(const struct rtcp_chunk *c, struct rtcp_report *out)
{
	if (c->type != RTCP_SR && c->type != RTCP_RR)
		return RTP_ERR_RTCP_TYPE;
	bool sr = c->type == RTCP_SR;
	size_t need =
	    RTCP_HEADER_LEN + 4 + (sr ? RTCP_SENDER_INFO_LEN : 0) + RTCP_REPORT_BLOCK_LEN * (size_t)c->count;
	if (c->len < need)
		return RTP_ERR_RTCP_LENGTH;

	const uint8_t *p = c->data;
	out->is_sender_report = sr;
	out->ssrc = get_be32(p + 4);
	memset(&out->sender, 0, sizeof out->sender);
	size_t off = 8;
	if (sr) {
		out->sender.ntp_sec = get_be32(p + off);
		out->sender.ntp_frac = get_be32(p + off + 4);
		out->sender.rtp_timestamp = get_be32(p + off + 8);
		out->sender.packet_count = get_be32(p + off + 12);
		out->sender.octet_count = get_be32(p + off + 16);
		off += RTCP_SENDER_INFO_LEN;
	}
	out->block_count = c->count;
	for (unsigned i = 0; i < c->count; i++, off += RTCP_REPORT_BLOCK_LEN) {
		struct rtcp_report_block *b = &out->blocks[i];
		uint32_t word = get_be32(p + off + 4);
		uint32_t lost = word & 0xFFFFFF;
		b->ssrc = get_be32(p + off);
		b->fraction_lost = (uint8_t)(word >> 24);
		/* Sign-extend the 24-bit field without relying on signed shifts. */
		b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
		b->highest_seq = get_be32(p + off + 8);
		b->jitter = get_be32(p + off + 12);
		b->lsr = get_be32(p + off + 16);
		b->dlsr = get_be32(p + off + 20);
	}
	return RTP_OK;
}

int64_t rtcp_round_trip_q16(uint32_t arrival_ntp_middle, const struct rtcp_report_block *b)
{
	if (b->lsr == 0)
		return -1;
	/* All three are on the same 32-bit wrapping scale; the RTT is their modular difference,
	 * and anything "negative" means the clocks or the peer disagree. */
	int32_t rtt = rtp_ts_diff(arrival_ntp_middle - b->lsr, b->dlsr);
	return rtt < 0 ? -1 : rtt;
}
