#include "media_hist.h"

uint64_t media_hist_percentile(const struct media_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q >= 1.0)
		return h->max_ns;
	/* rank of the sample we want, 1-based: the smallest r with r >= q * count */
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < MEDIA_HIST_FINE; i++) {
		seen += h->fine[i];
		if (seen >= rank) {
			uint64_t edge = (uint64_t)(i + 1) * 1000u;
			return edge < h->max_ns ? edge : h->max_ns;
		}
	}
	for (unsigned i = 0; i < MEDIA_HIST_COARSE; i++) {
		seen += h->coarse[i];
		if (seen >= rank) {
			uint64_t edge = ((uint64_t)MEDIA_HIST_FINE + (uint64_t)(i + 1) * 100u) * 1000u;
			return edge < h->max_ns ? edge : h->max_ns;
		}
	}
	return h->max_ns;
}

void media_hist_merge(struct media_hist *dst, const struct media_hist *src)
{
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (unsigned i = 0; i < MEDIA_HIST_FINE; i++)
		dst->fine[i] += src->fine[i];
	for (unsigned i = 0; i < MEDIA_HIST_COARSE; i++)
		dst->coarse[i] += src->coarse[i];
	dst->over += src->over;
}
