/* The lock-free SPSC queue: order, full and empty, wrap-around, and two threads hammering it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "spsc.h"

static void test_init_checks(void **state)
{
	(void)state;
	struct spsc q;
	uint64_t mem[8];
	assert_int_equal(spsc_init(&q, mem, 8, 3), -EINVAL); /* not a power of two */
	assert_int_equal(spsc_init(&q, mem, 0, 4), -EINVAL);
	assert_int_equal(spsc_init(&q, NULL, 8, 4), -EINVAL);
	assert_int_equal(spsc_init(&q, mem, 8, 8), 0);
}

static void test_fill_drain_wrap(void **state)
{
	(void)state;
	struct spsc q;
	uint32_t mem[4];
	assert_int_equal(spsc_init(&q, mem, sizeof(uint32_t), 4), 0);
	assert_null(spsc_pop_slot(&q));
	uint32_t next_in = 0, next_out = 0;
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 4; i++) {
			uint32_t *s = spsc_push_slot(&q);
			assert_non_null(s);
			*s = next_in++;
			spsc_push_commit(&q);
		}
		assert_null(spsc_push_slot(&q)); /* full */
		for (int i = 0; i < 3; i++) {
			uint32_t *s = spsc_pop_slot(&q);
			assert_non_null(s);
			assert_int_equal(*s, next_out++);
			spsc_pop_release(&q);
		}
		uint32_t *s = spsc_pop_slot(&q);
		assert_int_equal(*s, next_out++);
		spsc_pop_release(&q);
		assert_null(spsc_pop_slot(&q)); /* empty */
	}
	assert_int_equal(spsc_consumed(&q), 40);
	assert_int_equal(spsc_produced(&q), 40);
}

struct stress {
	struct spsc q;
	uint64_t mem[256];
	uint64_t n;
	uint64_t sum_out;
	int order_ok;
};

static void *producer(void *arg)
{
	struct stress *st = arg;
	for (uint64_t i = 1; i <= st->n;) {
		uint64_t *s = spsc_push_slot(&st->q);
		if (s == NULL) {
			sched_yield(); /* the consumer may share our CPU */
			continue;
		}
		*s = i++;
		spsc_push_commit(&st->q);
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	(void)state;
	static struct stress st;
	st.n = 2000000;
	st.order_ok = 1;
	assert_int_equal(spsc_init(&st.q, st.mem, sizeof(uint64_t), 256), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &st), 0);
	uint64_t expect = 1;
	while (expect <= st.n) {
		uint64_t *s = spsc_pop_slot(&st.q);
		if (s == NULL) {
			sched_yield();
			continue;
		}
		if (*s != expect)
			st.order_ok = 0;
		st.sum_out += *s;
		expect++;
		spsc_pop_release(&st.q);
	}
	pthread_join(t, NULL);
	assert_true(st.order_ok);
	assert_true(st.sum_out == st.n * (st.n + 1) / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_checks),
	    cmocka_unit_test(test_fill_drain_wrap),
	    cmocka_unit_test(test_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
