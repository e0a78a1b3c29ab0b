/* Real-time scheduling for the calling thread: SCHED_FIFO priority, CPU affinity, locked memory,
 * and the absolute-deadline sleep the media thread's grid is built on.
 *
 * Backends: "linux" (sched_setscheduler, sched_setaffinity, mlockall) and "null", a twin that
 * changes nothing and reports success, for tests and sanitizer builds (mlockall over ASan's
 * shadow memory would pin terabytes of address space). The board file names the backend, the
 * priority and the CPU; callers never #ifdef. */
#ifndef VMPORT_HAL_RT_H
#define VMPORT_HAL_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hal_rt_policy {
	int priority;          /* SCHED_FIFO 1..99; 0 keeps the normal scheduler */
	int cpu;               /* CPU to pin the thread to; -1 leaves the affinity alone */
	bool lock_memory;      /* mlockall(MCL_CURRENT | MCL_FUTURE) for the whole process */
	size_t stack_prefault; /* bytes of stack to touch now so the thread never faults on it later */
};

/* What each part of a policy came to: 0 applied (or not asked for), or -errno. */
struct hal_rt_result {
	int sched_err;
	int affinity_err;
	int lock_err;
};

struct hal_rt_ops {
	const char *name;
	/* Apply the policy to the calling thread. Returns 0 when every part asked for was applied,
	 * otherwise the first -errno; *result says which part failed. Never fatal: a thread that
	 * could not get real-time scheduling still runs. */
	int (*apply)(const struct hal_rt_policy *policy, struct hal_rt_result *result);
};

/* The backend called `name` ("linux" or "null"), or NULL when there is none. */
const struct hal_rt_ops *hal_rt_find(const char *name);

static inline int hal_rt_apply(const struct hal_rt_ops *ops, const struct hal_rt_policy *policy,
                               struct hal_rt_result *result)
{
	return ops->apply(policy, result);
}

/* One line for the log: "SCHED_FIFO 80 on CPU 1, memory locked" or what failed and why. */
void hal_rt_describe(const struct hal_rt_policy *policy, const struct hal_rt_result *result, char *buf,
                     size_t cap);

/* Sleep until the monotonic clock (hal_clock_now_ns) reads deadline_ns. Absolute, so a late
 * wake-up never shifts the following deadlines; returns at once when the deadline has passed. */
void hal_rt_sleep_until_ns(uint64_t deadline_ns);

#endif
