/* SCCP stream framer: PDU boundaries by the length field, decode through the codec. */
#include "sccp_stream.h"

#include <string.h>

void sccp_stream_init(struct sccp_stream *s)
{
	memset(s, 0, sizeof(*s));
}

size_t sccp_stream_buffered(const struct sccp_stream *s)
{
	return s->end - s->start;
}

size_t sccp_stream_feed(struct sccp_stream *s, const uint8_t *data, size_t len)
{
	if (s->fatal || len == 0)
		return 0;
	/* Compact only when the tail is too small: most feeds append without moving anything. */
	if (sizeof(s->buf) - s->end < len && s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	size_t room = sizeof(s->buf) - s->end;
	size_t take = len < room ? len : room;
	memcpy(s->buf + s->end, data, take);
	s->end += take;
	return take;
}

int sccp_stream_next(struct sccp_stream *s, struct sccp_msg *out)
{
	if (s->fatal)
		return s->fatal;
	for (;;) {
		const uint8_t *p = s->buf + s->start;
		int n = sccp_frame_len(p, s->end - s->start);
		if (n == 0) {
			if (s->start == s->end)
				s->start = s->end = 0;
			return 0;
		}
		if (n < 0) {
			s->fatal = n;
			return n;
		}
		int rc = sccp_decode(p, (size_t)n, out);
		s->start += (size_t)n;
		if (rc == SCCP_OK) {
			s->message_count++;
			return 1;
		}
		if (rc == SCCP_ERR_UNKNOWN_ID) {
			s->unknown_count++;
			s->last_unknown_id = out->id;
			continue;
		}
		/* The length framed the PDU, so the next boundary is still known: drop this one. */
		s->malformed_count++;
		s->last_malformed_id = out->id;
		return rc;
	}
}
