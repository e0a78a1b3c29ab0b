/* The event loop: timers fire in order and only once, cancel and re-arm work, sockets wake it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock/hal_clock.h"
#include "loop/loop.h"

struct fired {
	int order[64];
	int n;
};

struct tagged_timer {
	struct vm_timer t;
	int tag;
	struct fired *log;
};

static void on_timer(struct vm_loop *loop, struct vm_timer *t)
{
	struct tagged_timer *tt = (struct tagged_timer *)t;
	tt->log->order[tt->log->n++] = tt->tag;
	if (tt->log->n == 5)
		vm_loop_stop(loop);
}

static void test_timers_fire_in_due_order(void **state)
{
	(void)state;
	struct vm_loop loop;
	assert_int_equal(vm_loop_init(&loop), 0);
	struct fired log = {0};
	struct tagged_timer timers[6];
	const int delays[6] = {40, 10, 30, 20, 50, 15};
	uint64_t start = hal_clock_now_ms(); /* before arming: the last timer is due >= start + 50 */
	for (int i = 0; i < 6; i++) {
		timers[i] = (struct tagged_timer){.t.cb = on_timer, .tag = delays[i], .log = &log};
		assert_int_equal(vm_timer_arm_in(&loop, &timers[i].t, (uint64_t)delays[i]), 0);
	}
	vm_timer_cancel(&loop, &timers[5].t); /* 15 never fires */
	vm_timer_cancel(&loop, &timers[5].t); /* cancelling twice is harmless */
	assert_int_equal(vm_loop_run(&loop), 0);
	assert_int_equal(log.n, 5);
	const int want[5] = {10, 20, 30, 40, 50};
	assert_memory_equal(log.order, want, sizeof(want));
	assert_true(hal_clock_now_ms() - start >= 50);
	assert_int_equal(loop.heap_len, 0);
	vm_loop_close(&loop);
}

static void test_rearm_moves_timer(void **state)
{
	(void)state;
	struct vm_loop loop;
	assert_int_equal(vm_loop_init(&loop), 0);
	struct fired log = {0};
	struct tagged_timer a = {.t.cb = on_timer, .tag = 1, .log = &log};
	struct tagged_timer b = {.t.cb = on_timer, .tag = 2, .log = &log};
	vm_timer_arm_in(&loop, &a.t, 5);
	vm_timer_arm_in(&loop, &b.t, 10);
	vm_timer_arm_in(&loop, &a.t, 20); /* re-arm: a now after b, and only once */
	assert_int_equal(loop.heap_len, 2);
	for (int i = 0; i < 50 && log.n < 2; i++)
		vm_loop_run_once(&loop, 10);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.order[0], 2);
	assert_int_equal(log.order[1], 1);
	vm_loop_close(&loop);
}

static void test_many_timers_heap_stays_ordered(void **state)
{
	(void)state;
	struct vm_loop loop;
	assert_int_equal(vm_loop_init(&loop), 0);
	enum { N = 1000 };
	struct vm_timer *t = calloc(N, sizeof(*t));
	assert_non_null(t);
	srand(7);
	for (int i = 0; i < N; i++)
		vm_timer_arm_at(&loop, &t[i], (uint64_t)(rand() % 100000));
	for (int i = 0; i < N; i += 3)
		vm_timer_cancel(&loop, &t[i]);
	uint64_t last = 0;
	while (loop.heap_len) {
		struct vm_timer *top = loop.heap[0];
		assert_true(top->due_ms >= last);
		last = top->due_ms;
		vm_timer_cancel(&loop, top);
	}
	free(t);
	vm_loop_close(&loop);
}

struct pipe_reader {
	struct vm_fd h;
	char got[16];
	int reads;
};

static void on_readable(struct vm_loop *loop, struct vm_fd *h, uint32_t events)
{
	struct pipe_reader *r = (struct pipe_reader *)h;
	assert_true(events & EPOLLIN);
	ssize_t n = read(h->fd, r->got, sizeof(r->got) - 1);
	assert_true(n > 0);
	r->reads++;
	vm_loop_stop(loop);
}

static void test_fd_wakes_loop(void **state)
{
	(void)state;
	struct vm_loop loop;
	assert_int_equal(vm_loop_init(&loop), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct pipe_reader r = {.h = {.fd = p[0], .cb = on_readable}};
	assert_int_equal(vm_loop_add(&loop, &r.h, EPOLLIN), 0);
	assert_int_equal(write(p[1], "ping", 4), 4);
	assert_int_equal(vm_loop_run(&loop), 0);
	assert_int_equal(r.reads, 1);
	assert_string_equal(r.got, "ping");
	vm_loop_remove(&loop, &r.h);
	close(p[0]);
	close(p[1]);
	vm_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers_fire_in_due_order),
	    cmocka_unit_test(test_rearm_moves_timer),
	    cmocka_unit_test(test_many_timers_heap_stays_ordered),
	    cmocka_unit_test(test_fd_wakes_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
