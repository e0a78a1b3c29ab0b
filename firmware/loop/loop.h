/* The event loop: one thread, epoll for every socket, a binary heap of timers. Signalling for
 * every port, the control socket and the lab CallManager all run on it; nothing on it blocks.
 *
 * Handlers and timers are embedded in their owners (no allocation per registration). */
#ifndef VMPORT_LOOP_H
#define VMPORT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_loop;

/* A file descriptor watched by the loop. `events` passed to the callback are EPOLL* bits.
 * Owners keep a vm_fd's memory valid while the loop runs: to drop one, vm_loop_remove() it and
 * set fd to -1 (a handler later in the same epoll batch is then skipped). */
struct vm_fd {
	int fd;
	uint32_t events;
	void (*cb)(struct vm_loop *loop, struct vm_fd *h, uint32_t events);
	void *arg;
};

struct vm_timer {
	uint64_t due_ms;
	size_t heap_index; /* position in the heap while armed */
	bool armed;
	void (*cb)(struct vm_loop *loop, struct vm_timer *t);
	void *arg;
};

struct vm_loop {
	int epfd;
	bool stopping;
	uint64_t now_ms; /* monotonic time, refreshed once per iteration and before timers run */
	struct vm_timer **heap;
	size_t heap_len;
	size_t heap_cap;
	uint64_t iterations;
};

int vm_loop_init(struct vm_loop *loop);
void vm_loop_close(struct vm_loop *loop);

/* Watch h->fd for `events`; h must stay valid until removed. Returns 0 or -errno. */
int vm_loop_add(struct vm_loop *loop, struct vm_fd *h, uint32_t events);
int vm_loop_modify(struct vm_loop *loop, struct vm_fd *h, uint32_t events);
void vm_loop_remove(struct vm_loop *loop, struct vm_fd *h);

/* Arm (or re-arm) t to fire at due_ms on the monotonic clock; cancel is a no-op when not armed. */
int vm_timer_arm_at(struct vm_loop *loop, struct vm_timer *t, uint64_t due_ms);
int vm_timer_arm_in(struct vm_loop *loop, struct vm_timer *t, uint64_t delay_ms);
void vm_timer_cancel(struct vm_loop *loop, struct vm_timer *t);

/* Run until vm_loop_stop(); returns 0, or -errno if epoll itself failed. */
int vm_loop_run(struct vm_loop *loop);
/* Run one iteration waiting at most max_wait_ms (tests and tools). */
int vm_loop_run_once(struct vm_loop *loop, int max_wait_ms);
void vm_loop_stop(struct vm_loop *loop);
uint64_t vm_loop_now(const struct vm_loop *loop);

#endif
