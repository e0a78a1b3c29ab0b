/* libFuzzer target: the SCCP decoder and stream framer on arbitrary bytes.
 *
 * Oracles beyond "no crash, no sanitizer report": whatever decodes must encode again, and the
 * re-encoded PDU must decode to the very same message (the walks are one description for both
 * directions, so any asymmetry is a layout bug). The same bytes are then fed to a stream in
 * uneven chunks, which must never return a message the one-shot decoder would refuse. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sccp/sccp_format.h"
#include "sccp/sccp_msg.h"
#include "sccp/sccp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const uint8_t *data, size_t size)
{
	static struct sccp_msg m, back;
	static uint8_t pdu[SCCP_MAX_PDU];
	char line[1024];

	int rc = sccp_decode(data, size, &m);
	if (rc != SCCP_OK)
		return;
	sccp_msg_format(&m, line, sizeof(line));
	int n = sccp_encode(&m, pdu, sizeof(pdu));
	if (n < 0)
		__builtin_trap(); /* a decoded message the encoder cannot carry */
	if (sccp_decode(pdu, (size_t)n, &back) != SCCP_OK || back.id != m.id)
		__builtin_trap();
	if (memcmp(&m, &back, sizeof(m)) != 0)
		__builtin_trap(); /* decode and encode disagree on a layout */
}

static void check_stream(const uint8_t *data, size_t size)
{
	static struct sccp_stream s;
	static struct sccp_msg m;
	sccp_stream_init(&s);
	/* Chunk sizes from a small LCG seeded by the input: splits land anywhere, reproducibly. */
	uint32_t seed = (uint32_t)size * 2654435761u;
	size_t off = 0;
	while (off < size) {
		seed = seed * 1103515245u + 12345u;
		size_t chunk = 1 + (seed >> 16) % 700;
		if (chunk > size - off)
			chunk = size - off;
		size_t took = sccp_stream_feed(&s, data + off, chunk);
		off += took;
		/* After draining, less than one PDU is held, so a non-empty feed always takes bytes. */
		if (took == 0)
			__builtin_trap();
		int rc;
		while ((rc = sccp_stream_next(&s, &m)) != 0) {
			if (sccp_stream_is_fatal(rc))
				return;
			if (rc == 1) {
				char line[1024];
				sccp_msg_format(&m, line, sizeof(line));
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_one(data, size);
	check_stream(data, size);
	return 0;
}
