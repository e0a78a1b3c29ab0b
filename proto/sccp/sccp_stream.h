/* SCCP over a TCP (or TLS) byte stream: reassemble PDUs from arbitrary chunks and decode them.
 *
 * No allocation: the stream owns a fixed buffer of two maximum PDUs, so a whole PDU always fits
 * once the bytes before it are consumed. Feed bytes in, then call sccp_stream_next() until it
 * returns 0. Unknown message ids are skipped by their length and counted; a PDU whose body does
 * not fit its layout is dropped, counted and reported, and the stream carries on at the next
 * PDU. A length field that can never frame a PDU (below 4, or above SCCP_MAX_PDU) leaves no way
 * to find the next boundary: that error is sticky and the connection must be closed. */
#ifndef VMPORT_SCCP_STREAM_H
#define VMPORT_SCCP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sccp_msg.h"

struct sccp_stream {
	uint8_t buf[SCCP_MAX_PDU * 2];
	size_t start; /* first unconsumed byte */
	size_t end;   /* one past the last buffered byte */
	int fatal;    /* sticky framing error (SCCP_ERR_OVERSIZE / SCCP_ERR_BAD_LENGTH), 0 when fine */
	uint32_t message_count;   /* PDUs decoded and returned */
	uint32_t unknown_count;   /* PDUs skipped for an unknown message id */
	uint32_t last_unknown_id; /* id of the last one skipped */
	uint32_t malformed_count; /* PDUs dropped because their body did not decode */
	uint32_t last_malformed_id;
};

void sccp_stream_init(struct sccp_stream *s);

/* Copy up to len bytes into the stream; returns how many were taken (less than len only when the
 * buffer is full of undecoded bytes: call sccp_stream_next() and feed the rest). Takes nothing
 * after a fatal error. */
size_t sccp_stream_feed(struct sccp_stream *s, const uint8_t *data, size_t len);

/* Next message: 1 when *out holds one; 0 when more bytes are needed; SCCP_ERR_SHORT_BODY or
 * SCCP_ERR_INVALID when one PDU was dropped as malformed (out->id and out->hv name it; call
 * again); SCCP_ERR_OVERSIZE or SCCP_ERR_BAD_LENGTH when the stream is broken (close it). */
int sccp_stream_next(struct sccp_stream *s, struct sccp_msg *out);

/* True for the results of sccp_stream_next() after which the connection must be closed. */
static inline bool sccp_stream_is_fatal(int rc)
{
	return rc == SCCP_ERR_OVERSIZE || rc == SCCP_ERR_BAD_LENGTH;
}

/* Bytes held that are not yet a whole PDU (or not yet consumed). */
size_t sccp_stream_buffered(const struct sccp_stream *s);

#endif
