/* RTP fixed header (RFC 3550 §5.1, §5.3.1) and the shared helpers of proto/rtp. */
#include "rtp.h"

#include <string.h>

#include "rtp_bytes.h"

const char *rtp_strerror(int err)
{
	switch (err) {
	case RTP_OK:
		return "ok";
	case RTP_ERR_TRUNCATED:
		return "packet shorter than its headers say";
	case RTP_ERR_VERSION:
		return "RTP version is not 2";
	case RTP_ERR_PADDING:
		return "padding count is zero or longer than the packet";
	case RTP_ERR_NO_SPACE:
		return "output buffer too small";
	case RTP_ERR_INVALID:
		return "value the format cannot carry";
	case RTP_ERR_RTCP_TYPE:
		return "RTCP packet is not a sender or receiver report";
	case RTP_ERR_RTCP_LENGTH:
		return "RTCP length field disagrees with its contents";
	case RTP_ERR_COMPOUND:
		return "RTCP compound packet malformed";
	case RTP_ERR_CONFIG:
		return "jitter buffer configuration unusable";
	default:
		return "unknown RTP error";
	}
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_packet *out)
{
	if (len < RTP_HEADER_LEN)
		return RTP_ERR_TRUNCATED;
	if ((buf[0] >> 6) != RTP_VERSION)
		return RTP_ERR_VERSION;

	struct rtp_header *h = &out->header;
	bool padding = buf[0] & 0x20;
	h->has_extension = buf[0] & 0x10;
	h->csrc_count = buf[0] & 0x0F;
	h->marker = buf[1] & 0x80;
	h->payload_type = buf[1] & 0x7F;
	h->seq = get_be16(buf + 2);
	h->timestamp = get_be32(buf + 4);
	h->ssrc = get_be32(buf + 8);

	size_t off = RTP_HEADER_LEN;
	if (len - off < 4u * h->csrc_count)
		return RTP_ERR_TRUNCATED;
	for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
		h->csrc[i] = get_be32(buf + off);

	h->ext_profile = 0;
	h->ext_data = NULL;
	h->ext_len = 0;
	if (h->has_extension) {
		if (len - off < 4)
			return RTP_ERR_TRUNCATED;
		h->ext_profile = get_be16(buf + off);
		h->ext_len = 4u * get_be16(buf + off + 2);
		off += 4;
		if (len - off < h->ext_len)
			return RTP_ERR_TRUNCATED;
		h->ext_data = buf + off;
		off += h->ext_len;
	}

	/* The last octet counts the padding, itself included (§5.1), so it is at least 1. */
	size_t pad = 0;
	if (padding) {
		if (len == off)
			return RTP_ERR_PADDING;
		pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return RTP_ERR_PADDING;
	}
	out->padding_len = pad;
	out->payload = buf + off;
	out->payload_len = len - off - pad;
	return RTP_OK;
}

size_t rtp_header_len(const struct rtp_header *h)
{
	size_t n = RTP_HEADER_LEN + 4u * h->csrc_count;
	if (h->has_extension)
		n += 4 + h->ext_len;
	return n;
}

static int rtp_header_check(const struct rtp_header *h)
{
	if (h->payload_type > RTP_MAX_PT || h->csrc_count > RTP_MAX_CSRC)
		return RTP_ERR_INVALID;
	if (h->has_extension && (h->ext_len % 4 != 0 || h->ext_len / 4 > UINT16_MAX))
		return RTP_ERR_INVALID;
	if (h->has_extension && h->ext_len > 0 && !h->ext_data)
		return RTP_ERR_INVALID;
	return RTP_OK;
}

/* Writes the header with or without the P bit; rtp_build sets it once padding is known. */
static int rtp_write_header(const struct rtp_header *h, bool padding, uint8_t *out, size_t cap)
{
	int err = rtp_header_check(h);
	if (err)
		return err;
	size_t n = rtp_header_len(h);
	if (cap < n)
		return RTP_ERR_NO_SPACE;

	out[0] = (uint8_t)((RTP_VERSION << 6) | (padding ? 0x20 : 0) | (h->has_extension ? 0x10 : 0) |
	                   h->csrc_count);
	out[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->payload_type);
	put_be16(out + 2, h->seq);
	put_be32(out + 4, h->timestamp);
	put_be32(out + 8, h->ssrc);
	size_t off = RTP_HEADER_LEN;
	for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
		put_be32(out + off, h->csrc[i]);
	if (h->has_extension) {
		put_be16(out + off, h->ext_profile);
		put_be16(out + off + 2, (uint16_t)(h->ext_len / 4));
		off += 4;
		if (h->ext_len)
			memmove(out + off, h->ext_data, h->ext_len);
	}
	return (int)n;
}

int rtp_build_header(const struct rtp_header *h, uint8_t *out, size_t cap)
{
	return rtp_write_header(h, false, out, cap);
}

int rtp_build(const struct rtp_header *h, const uint8_t *payload, size_t payload_len, size_t padding_len,
              uint8_t *out, size_t cap)
{
	if (padding_len > 255)
		return RTP_ERR_INVALID;
	int err = rtp_header_check(h);
	if (err)
		return err;
	size_t hdr = rtp_header_len(h);
	/* Bound each term before adding so the sum cannot wrap. */
	if (payload_len > cap || hdr > cap - payload_len || padding_len > cap - hdr - payload_len)
		return RTP_ERR_NO_SPACE;
	size_t total = hdr + payload_len;
	if (total + padding_len > INT32_MAX)
		return RTP_ERR_INVALID;

	/* Payload first: it may already lie where the header goes (memmove handles any overlap). */
	if (payload_len)
		memmove(out + hdr, payload, payload_len);
	int n = rtp_write_header(h, padding_len > 0, out, cap);
	if (n < 0)
		return n;
	if (padding_len) {
		memset(out + total, 0, padding_len - 1);
		out[total + padding_len - 1] = (uint8_t)padding_len;
		total += padding_len;
	}
	return (int)total;
}

int32_t rtp_seq_diff(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);
	return d < 0x8000 ? (int32_t)d : (int32_t)d - 0x10000;
}

int32_t rtp_ts_diff(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;
	/* Spelled out because converting an out-of-range unsigned to signed is implementation-defined. */
	return d <= INT32_MAX ? (int32_t)d : -(int32_t)(UINT32_MAX - d) - 1;
}

/* A transit difference this large is a clock jump or a new timestamp base, not jitter; capping it
 * keeps 16 × J inside 32 bits (RFC 3550's own code has the same limit implicitly). */
#define RTP_JITTER_MAX_STEP 0x07FFFFFFu

void rtp_jitter_update(struct rtp_jitter *j, uint32_t rtp_timestamp, uint32_t arrival)
{
	uint32_t transit = arrival - rtp_timestamp;
	if (!j->have_transit) {
		j->transit = transit;
		j->have_transit = true;
		return;
	}
	int32_t d = rtp_ts_diff(transit, j->transit);
	j->transit = transit;
	uint32_t step = d < 0 ? (uint32_t)(-(int64_t)d) : (uint32_t)d;
	if (step > RTP_JITTER_MAX_STEP)
		step = RTP_JITTER_MAX_STEP;
	/* J += (|D| - J) / 16, kept as 16 × J with rounding, exactly as RFC 3550 A.8. */
	j->jitter_q4 += step - ((j->jitter_q4 + 8) >> 4);
}
