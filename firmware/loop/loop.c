#include "loop.h"

#include "clock/hal_clock.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

int vm_loop_init(struct vm_loop *loop)
{
	*loop = (struct vm_loop){.epfd = epoll_create1(EPOLL_CLOEXEC)};
	if (loop->epfd < 0)
		return -errno;
	loop->now_ms = hal_clock_now_ms();
	return 0;
}

void vm_loop_close(struct vm_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
	free(loop->heap);
	loop->heap = NULL;
	loop->heap_len = loop->heap_cap = 0;
}

int vm_loop_add(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, h->fd, &ev) < 0)
		return -errno;
	h->events = events;
	return 0;
}

int vm_loop_modify(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	if (h->events == events)
		return 0;
	struct epoll_event ev = {.events = events, .data.ptr = h};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0)
		return -errno;
	h->events = events;
	return 0;
}

void vm_loop_remove(struct vm_loop *loop, struct vm_fd *h)
{
	if (h->fd >= 0)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->events = 0;
}

/* ---- timer heap (min-heap on due_ms) ---- */

static void heap_swap(struct vm_loop *loop, size_t a, size_t b)
{
	struct vm_timer *t = loop->heap[a];
	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_index = a;
	loop->heap[b]->heap_index = b;
}

static void heap_up(struct vm_loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (loop->heap[parent]->due_ms <= loop->heap[i]->due_ms)
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void heap_down(struct vm_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;
		if (l < loop->heap_len && loop->heap[l]->due_ms < loop->heap[min]->due_ms)
			min = l;
		if (r < loop->heap_len && loop->heap[r]->due_ms < loop->heap[min]->due_ms)
			min = r;
		if (min == i)
			return;
		heap_swap(loop, i, min);
		i = min;
	}
}

void vm_timer_cancel(struct vm_loop *loop, struct vm_timer *t)
{
	if (!t->armed)
		return;
	size_t i = t->heap_index;
	t->armed = false;
	loop->heap_len--;
	if (i == loop->heap_len)
		return;
	loop->heap[i] = loop->heap[loop->heap_len];
	loop->heap[i]->heap_index = i;
	heap_down(loop, i);
	heap_up(loop, i);
}

int vm_timer_arm_at(struct vm_loop *loop, struct vm_timer *t, uint64_t due_ms)
{
	vm_timer_cancel(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct vm_timer **grown = realloc(loop->heap, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		loop->heap = grown;
		loop->heap_cap = cap;
	}
	t->due_ms = due_ms;
	t->armed = true;
	t->heap_index = loop->heap_len;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, t->heap_index);
	return 0;
}

int vm_timer_arm_in(struct vm_loop *loop, struct vm_timer *t, uint64_t delay_ms)
{
	return vm_timer_arm_at(loop, t, hal_clock_now_ms() + delay_ms);
}

/* ---- running ---- */

static void run_due_timers(struct vm_loop *loop)
{
	loop->now_ms = hal_clock_now_ms();
	/* A timer armed by a callback for "now" runs on the next iteration, so a callback that
	 * re-arms itself with zero delay cannot starve the sockets. */
	uint64_t horizon = loop->now_ms;
	while (loop->heap_len > 0 && loop->heap[0]->due_ms <= horizon && !loop->stopping) {
		struct vm_timer *t = loop->heap[0];
		vm_timer_cancel(loop, t);
		t->cb(loop, t);
	}
}

static int next_wait_ms(const struct vm_loop *loop, int max_wait_ms)
{
	if (loop->heap_len == 0)
		return max_wait_ms;
	uint64_t now = hal_clock_now_ms();
	uint64_t due = loop->heap[0]->due_ms;
	uint64_t wait = due > now ? due - now : 0;
	if (max_wait_ms >= 0 && wait > (uint64_t)max_wait_ms)
		return max_wait_ms;
	return wait > 60000 ? 60000 : (int)wait;
}

int vm_loop_run_once(struct vm_loop *loop, int max_wait_ms)
{
	struct epoll_event events[64];
	int n = epoll_wait(loop->epfd, events, 64, next_wait_ms(loop, max_wait_ms));
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	loop->now_ms = hal_clock_now_ms();
	loop->iterations++;
	for (int i = 0; i < n && !loop->stopping; i++) {
		struct vm_fd *h = events[i].data.ptr;
		/* An earlier handler in this batch may have closed this one (fd set to -1); its
		 * memory stays valid because owners never free a vm_fd inside the loop. */
		if (h->fd >= 0 && h->events)
			h->cb(loop, h, events[i].events);
	}
	run_due_timers(loop);
	return 0;
}

int vm_loop_run(struct vm_loop *loop)
{
	loop->stopping = false;
	while (!loop->stopping) {
		int rc = vm_loop_run_once(loop, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void vm_loop_stop(struct vm_loop *loop)
{
	loop->stopping = true;
}

uint64_t vm_loop_now(const struct vm_loop *loop)
{
	return loop->now_ms;
}
