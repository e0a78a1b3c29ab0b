/* hal/clock: the monotonic clock never goes back, entropy fills whole buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock/hal_clock.h"

static void test_monotonic_never_goes_back(void **state)
{
	(void)state;
	uint64_t prev = hal_clock_now_ns();
	for (int i = 0; i < 100000; i++) {
		uint64_t now = hal_clock_now_ns();
		assert_true(now >= prev);
		prev = now;
	}
	assert_true(hal_clock_now_ms() >= prev / 1000000u);
}

static void test_wall_clock_is_after_2024(void **state)
{
	(void)state;
	assert_true(hal_clock_wall_s() > 1704067200); /* 2024-01-01: certificates depend on it */
}

static void test_random_fills_and_differs(void **state)
{
	(void)state;
	uint8_t a[64], b[64], zero[64] = {0};
	assert_int_equal(hal_random_bytes(a, sizeof(a)), 0);
	assert_int_equal(hal_random_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_monotonic_never_goes_back),
	    cmocka_unit_test(test_wall_clock_is_after_2024),
	    cmocka_unit_test(test_random_fills_and_differs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
