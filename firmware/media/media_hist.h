/* Latency histogram: fixed memory, O(1) insert, no allocation, so the media thread can record
 * the lateness of every packet it sends. 1 µs buckets below 2 ms, 100 µs buckets to 100 ms,
 * one overflow bucket above; percentiles report a bucket's upper edge. */
#ifndef VMPORT_MEDIA_HIST_H
#define VMPORT_MEDIA_HIST_H

#include <stdint.h>
#include <string.h>

#define MEDIA_HIST_FINE 2000  /* 1 µs buckets: 0..2 ms */
#define MEDIA_HIST_COARSE 980 /* 100 µs buckets: 2..100 ms */

struct media_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint32_t fine[MEDIA_HIST_FINE];
	uint32_t coarse[MEDIA_HIST_COARSE];
	uint32_t over;
};

static inline void media_hist_reset(struct media_hist *h)
{
	memset(h, 0, sizeof(*h));
}

static inline void media_hist_add(struct media_hist *h, int64_t ns)
{
	uint64_t v = ns > 0 ? (uint64_t)ns : 0;
	uint64_t us = v / 1000u;
	h->count++;
	h->sum_ns += v;
	if (v > h->max_ns)
		h->max_ns = v;
	if (us < MEDIA_HIST_FINE)
		h->fine[us]++;
	else if (us < MEDIA_HIST_FINE + (uint64_t)MEDIA_HIST_COARSE * 100u)
		h->coarse[(us - MEDIA_HIST_FINE) / 100u]++;
	else
		h->over++;
}

/* The value (ns) below which a fraction q (0..1) of the samples lie; 0 when empty. */
uint64_t media_hist_percentile(const struct media_hist *h, double q);
/* Add every sample of src to dst. */
void media_hist_merge(struct media_hist *dst, const struct media_hist *src);

/* An engine's own lateness figures, for benchmarks. `send`: due time to sendto(), per packet;
 * `wake`: deadline to wake-up, per wake that had a slot due. Reset takes effect at the media
 * thread's next wake; read after media_engine_stop() for exact figures. */
struct media_engine;
void media_engine_timing_reset(struct media_engine *e);
void media_engine_timing(const struct media_engine *e, struct media_hist *send, struct media_hist *wake);

#endif
