/* hal/rt backends: "linux" applies the policy, "null" is the test twin. */
#include "hal_rt.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static void prefault_stack(size_t bytes)
{
	/* Touch the pages now so each is mapped (and locked, after mlockall) before the thread's
	 * deadlines start. Capped so a bad board file cannot overflow the stack here. */
	if (bytes > (1u << 20))
		bytes = 1u << 20;
	volatile unsigned char area[bytes];
	for (size_t i = 0; i < bytes; i += 4096)
		area[i] = 0;
	(void)area[0]; /* a read: gcc counts a volatile array only written as unused */
}

static int linux_apply(const struct hal_rt_policy *p, struct hal_rt_result *r)
{
	memset(r, 0, sizeof(*r));
	if (p->lock_memory) {
		if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
			r->lock_err = -errno;
		/* With every future page locked, a heap that shrinks and grows again faults and locks
		 * pages on the way (libraries on the real-time path allocate per packet, see
		 * firmware/media/README.md): keep what the heap has, and never mmap a block. */
		mallopt(M_TRIM_THRESHOLD, -1);
		mallopt(M_MMAP_MAX, 0);
	}
	if (p->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (rc != 0)
			r->affinity_err = -rc;
	}
	if (p->priority > 0) {
		struct sched_param sp = {.sched_priority = p->priority};
		int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (rc != 0)
			r->sched_err = -rc;
	}
	if (p->stack_prefault > 0)
		prefault_stack(p->stack_prefault);
	if (r->sched_err)
		return r->sched_err;
	if (r->affinity_err)
		return r->affinity_err;
	return r->lock_err;
}

static int null_apply(const struct hal_rt_policy *p, struct hal_rt_result *r)
{
	(void)p;
	memset(r, 0, sizeof(*r));
	return 0;
}

static const struct hal_rt_ops linux_ops = {.name = "linux", .apply = linux_apply};
static const struct hal_rt_ops null_ops = {.name = "null", .apply = null_apply};

const struct hal_rt_ops *hal_rt_find(const char *name)
{
	if (name == NULL || strcmp(name, "linux") == 0)
		return &linux_ops;
	if (strcmp(name, "null") == 0)
		return &null_ops;
	return NULL;
}

void hal_rt_describe(const struct hal_rt_policy *p, const struct hal_rt_result *r, char *buf, size_t cap)
{
	size_t off = 0;
	int n;
#define APPEND(...)                                                                                          \
	do {                                                                                                 \
		n = snprintf(buf + off, cap > off ? cap - off : 0, __VA_ARGS__);                             \
		if (n > 0)                                                                                   \
			off += (size_t)n;                                                                    \
	} while (0)
	if (cap == 0)
		return;
	buf[0] = '\0';
	if (p->priority <= 0)
		APPEND("normal scheduling");
	else if (r->sched_err)
		APPEND("SCHED_FIFO %d refused (%s), normal scheduling", p->priority, strerror(-r->sched_err));
	else
		APPEND("SCHED_FIFO %d", p->priority);
	if (p->cpu >= 0) {
		if (r->affinity_err)
			APPEND(", CPU %d refused (%s)", p->cpu, strerror(-r->affinity_err));
		else
			APPEND(" on CPU %d", p->cpu);
	}
	if (p->lock_memory) {
		if (r->lock_err)
			APPEND(", memory not locked (%s)", strerror(-r->lock_err));
		else
			APPEND(", memory locked");
	}
#undef APPEND
}

void hal_rt_sleep_until_ns(uint64_t deadline_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
	                      .tv_nsec = (long)(deadline_ns % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
