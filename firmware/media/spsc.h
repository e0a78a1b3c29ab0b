/* Lock-free single-producer/single-consumer queue of fixed-size slots.
 *
 * The only link between the event loop and the media thread (commands one way, events the
 * other) and between the media thread and the recorder's writer thread. Slots are used in place:
 * the producer fills the slot the queue lends it and commits; the consumer reads the slot, may
 * scrub it (key material is wiped in the slot itself before release), then releases it. No
 * locks, no allocation after init, no system calls: a push or pop is two atomic loads and one
 * atomic store. Each index lives on its own cache line with the other side's cached copy, so the
 * two threads share a line only when the cache of the other index is stale. */
#ifndef VMPORT_SPSC_H
#define VMPORT_SPSC_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SPSC_CACHE_LINE 64

struct spsc {
	/* consumer's line: the index it advances and its view of the producer's */
	alignas(SPSC_CACHE_LINE) atomic_size_t head;
	size_t tail_cache;
	/* producer's line */
	alignas(SPSC_CACHE_LINE) atomic_size_t tail;
	size_t head_cache;
	/* read-only after init */
	alignas(SPSC_CACHE_LINE) unsigned char *slots;
	size_t slot_size;
	size_t mask;
};

/* Bytes of storage a queue of `capacity` slots of `slot_size` bytes needs. */
static inline size_t spsc_storage_size(size_t slot_size, size_t capacity)
{
	return slot_size * capacity;
}

/* Set up over caller storage. capacity must be a power of two (>= 2), slot_size > 0; the
 * storage should be aligned for whatever the slots hold. Returns 0 or -EINVAL. */
int spsc_init(struct spsc *q, void *storage, size_t slot_size, size_t capacity);

/* Producer: the next free slot to fill, or NULL when the queue is full. The slot becomes
 * visible to the consumer only at spsc_push_commit(). */
void *spsc_push_slot(struct spsc *q);
void spsc_push_commit(struct spsc *q);

/* Consumer: the oldest filled slot, or NULL when empty. It stays the consumer's until
 * spsc_pop_release(); after that the producer may overwrite it. */
void *spsc_pop_slot(struct spsc *q);
void spsc_pop_release(struct spsc *q);

/* Slots released by the consumer so far (monotonic). A producer that handed the consumer a
 * pointer in push number k (counting from 0) knows the consumer is done with that command once
 * this exceeds k. */
static inline size_t spsc_consumed(const struct spsc *q)
{
	return atomic_load_explicit(&q->head, memory_order_acquire);
}
/* Slots committed by the producer so far; called by the producer it is exact. */
static inline size_t spsc_produced(const struct spsc *q)
{
	return atomic_load_explicit(&q->tail, memory_order_relaxed);
}

/* Capacity in slots and the raw storage (tests inspect it for leftover key bytes). */
static inline size_t spsc_capacity(const struct spsc *q)
{
	return q->mask + 1;
}
static inline const void *spsc_storage(const struct spsc *q, size_t *len)
{
	*len = q->slot_size * (q->mask + 1);
	return q->slots;
}

#endif
