#include "spsc.h"

#include <errno.h>

int spsc_init(struct spsc *q, void *storage, size_t slot_size, size_t capacity)
{
	if (storage == NULL || slot_size == 0 || capacity < 2 || (capacity & (capacity - 1)) != 0)
		return -EINVAL;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->tail_cache = 0;
	q->head_cache = 0;
	q->slots = storage;
	q->slot_size = slot_size;
	q->mask = capacity - 1;
	return 0;
}

void *spsc_push_slot(struct spsc *q)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	if (tail - q->head_cache > q->mask) {
		/* Looks full with the cached head: refresh it. Acquire pairs with the consumer's
		 * release, so the consumer is really done with the slot we are about to reuse. */
		q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
		if (tail - q->head_cache > q->mask)
			return NULL;
	}
	return q->slots + (tail & q->mask) * q->slot_size;
}

void spsc_push_commit(struct spsc *q)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
}

void *spsc_pop_slot(struct spsc *q)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (head == q->tail_cache) {
		q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (head == q->tail_cache)
			return NULL;
	}
	return q->slots + (head & q->mask) * q->slot_size;
}

void spsc_pop_release(struct spsc *q)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
}
