/* SCCP codec: framing, the message table, and decode/encode through the per-message walks.
 * Layout walks live in sccp_walk_*.c; this file owns the header and the dispatch. */
#include "sccp_codec_internal.h"

#include <string.h>

const char *sccp_strerror(int err)
{
	switch (err) {
	case SCCP_OK:
		return "ok";
	case SCCP_ERR_TRUNCATED:
		return "truncated: fewer bytes than the header's length field says";
	case SCCP_ERR_OVERSIZE:
		return "oversize: message longer than 4096 bytes";
	case SCCP_ERR_BAD_LENGTH:
		return "bad length field: below 4, no room for the message id";
	case SCCP_ERR_SHORT_BODY:
		return "body too short for the message's fields";
	case SCCP_ERR_UNKNOWN_ID:
		return "unknown message id";
	case SCCP_ERR_NO_SPACE:
		return "output buffer too small";
	case SCCP_ERR_INVALID:
		return "field value does not fit the wire layout";
	default:
		return "unknown error";
	}
}

const char *sccp_msg_name(uint32_t id)
{
	const struct sccp_msg_def *d = sccp_msg_def_find(id);
	return d ? d->name : NULL;
}

void sccp_msg_init(struct sccp_msg *m, uint32_t id, uint32_t hv)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->hv = hv;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int sccp_frame_len(const uint8_t *buf, size_t len)
{
	if (len < 8)
		return 0;
	uint32_t field = get_le32(buf);
	if (field < 4)
		return SCCP_ERR_BAD_LENGTH;
	if (field > SCCP_MAX_PDU - 8)
		return SCCP_ERR_OVERSIZE;
	size_t pdu = (size_t)field + 8;
	return len >= pdu ? (int)pdu : 0;
}

int sccp_decode(const uint8_t *pdu, size_t len, struct sccp_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len < SCCP_HEADER_LEN) {
		/* A header that cannot even hold the id: report what the length field claims, if any. */
		if (len >= 4 && get_le32(pdu) < 4)
			return SCCP_ERR_BAD_LENGTH;
		return SCCP_ERR_TRUNCATED;
	}
	uint32_t field = get_le32(pdu);
	if (field < 4)
		return SCCP_ERR_BAD_LENGTH;
	if (field > SCCP_MAX_PDU - 8)
		return SCCP_ERR_OVERSIZE;
	out->hv = get_le32(pdu + 4);
	out->id = get_le32(pdu + 8);
	if ((size_t)field + 8 > len)
		return SCCP_ERR_TRUNCATED;

	const struct sccp_msg_def *d = sccp_msg_def_find(out->id);
	if (!d)
		return SCCP_ERR_UNKNOWN_ID;
	struct sccp_cur c = {
	    .buf = (uint8_t *)(uintptr_t)(pdu + SCCP_HEADER_LEN),
	    .len = field - 4,
	    .hv = out->hv,
	    .enc = false,
	};
	if (d->walk)
		d->walk(&c, out);
	return c.err;
}

int sccp_encode(const struct sccp_msg *m, uint8_t *buf, size_t cap)
{
	const struct sccp_msg_def *d = sccp_msg_def_find(m->id);
	if (!d)
		return SCCP_ERR_UNKNOWN_ID;
	if (cap < SCCP_HEADER_LEN)
		return SCCP_ERR_NO_SPACE;
	size_t body_cap = cap - SCCP_HEADER_LEN;
	if (body_cap > SCCP_MAX_PDU - SCCP_HEADER_LEN)
		body_cap = SCCP_MAX_PDU - SCCP_HEADER_LEN;
	struct sccp_cur c = {
	    .buf = buf + SCCP_HEADER_LEN,
	    .len = body_cap,
	    .hv = m->hv,
	    .enc = true,
	};
	/* The walk only reads the message when encoding; the cast lets one walk serve both ways. */
	if (d->walk)
		d->walk(&c, (struct sccp_msg *)(uintptr_t)m);
	if (c.err)
		return c.err;
	size_t pad = (4 - (c.off & 3)) & 3;
	cur_skip(&c, pad);
	if (c.err)
		return c.err;
	put_le32(buf, (uint32_t)(c.off + 4));
	put_le32(buf + 4, m->hv);
	put_le32(buf + 8, m->id);
	return (int)(SCCP_HEADER_LEN + c.off);
}
