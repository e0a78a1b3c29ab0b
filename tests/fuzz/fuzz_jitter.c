/* Fuzz the jitter buffer with arbitrary packet and tick sequences. Checks: no crash, output is
 * always a full frame of one of the three kinds, depth within capacity, and every inserted
 * packet is accounted for exactly once by the counters or is still held. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME 4

/* An invariant broke: say which before aborting, so a crash file explains itself. */
#define check(ok)                                                                                            \
	do {                                                                                                 \
		if (!(ok)) {                                                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #ok);           \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* First byte: configuration. */
	uint16_t capacity = (uint16_t)(2u << (data[0] % 6)); /* 2..64 */
	uint16_t max_depth = (uint16_t)(1 + (data[1] % capacity));
	uint16_t min_depth = (uint16_t)(1 + (data[1] / 16) % max_depth);
	struct jitter_config cfg = {
	    .frame_samples = FRAME, .capacity = capacity, .min_depth = min_depth, .max_depth = max_depth};
	static int16_t storage[JITTER_STORAGE_SAMPLES(JITTER_MAX_CAPACITY, FRAME)];
	struct jitter_buffer jb;
	check(jitter_init(&jb, &cfg, storage, sizeof storage / sizeof storage[0]) == 0);

	/* Then records of 5 bytes: op, seq (2), arrival jitter (1), spare. */
	uint32_t inserted = 0, now = 0;
	uint16_t seq = 0;
	for (size_t off = 2; off + 5 <= size; off += 5) {
		uint8_t op = data[off];
		if (op & 1) {
			int16_t out[FRAME];
			memset(out, 0x7F, sizeof out);
			enum jitter_frame k = jitter_pop(&jb, out);
			check(k == JITTER_AUDIO || k == JITTER_CONCEALED || k == JITTER_SILENCE);
			if (k == JITTER_SILENCE)
				for (int i = 0; i < FRAME; i++)
					check(out[i] == 0);
			now += FRAME;
			continue;
		}
		/* Sequence: a small step from the last one, or an absolute value. */
		uint16_t raw = (uint16_t)(data[off + 1] << 8 | data[off + 2]);
		seq = (op & 2) ? raw : (uint16_t)(seq + (int8_t)data[off + 1]);
		int16_t pcm[FRAME] = {(int16_t)seq, 1, 2, 3};
		int rc = jitter_insert(&jb, seq, (uint32_t)seq * FRAME, now + data[off + 3], pcm, FRAME);
		check(rc >= JITTER_STORED && rc <= JITTER_RESYNCED);
		inserted++;
		check(jitter_depth(&jb) <= capacity);
		check(jitter_held(&jb) <= capacity);
		check(jitter_target(&jb) >= min_depth && jitter_target(&jb) <= max_depth);
	}
	const struct jitter_counters *c = jitter_counters(&jb);
	check(c->played + c->late + c->duplicate + c->overflow + c->shrunk + c->strays + c->flushed +
	          jitter_held(&jb) ==
	      inserted);
	return 0;
}
