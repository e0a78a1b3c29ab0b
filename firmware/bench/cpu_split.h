/* One thread's CPU time split into user mode and kernel mode, measured from another thread.
 *
 * The kernel's own split (utime/stime in /proc, getrusage) is one sample per scheduler tick of
 * the mode the thread happens to be in. The tick (4 ms at HZ=250) fires on the same
 * CLOCK_MONOTONIC boundaries as the media engine's 0.25 ms grid slots, right where the thread
 * wakes up, so it sees one part of the thread's cycle far more often than the rest: on the
 * media bench it says about 60% user where sampling says under 40%.
 *
 * cpu_split samples the thread's own CPU clock instead (perf task-clock, which runs only while
 * the thread runs) at a fixed period and counts the mode each sample found it in, so the samples
 * spread over the thread's CPU time whatever its timing. Two things it cannot see, both kernel
 * time, so what it calls user mode is an upper bound:
 *  - the part of each context switch before perf switches the task clock on: the thread's CPU
 *    clock runs, the task clock does not. The difference is measured and counted as kernel.
 *  - kernel code with interrupts off: a sample due there is taken when they come back on, often
 *    only on the return to user mode. On a synthetic thread that sleeps 4000 times a second
 *    (this VM; 150, 50, 20 us of user work per wake-up), user mode came out 6, 6 and 11 points
 *    above the truth even after the correction.
 * Each sample costs the measured thread one interrupt (about 1 us; 0.2% at one per 0.5 ms),
 * nothing on its own code path. Without permission for perf_event_open (perf_event_paranoid,
 * CAP_PERFMON) only the tick split is available, and the caller says which one it prints. */
#ifndef VMPORT_BENCH_CPU_SPLIT_H
#define VMPORT_BENCH_CPU_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu_split {
	int tid;
	int fd;        /* the perf event, -1 without one */
	uint8_t *ring; /* its mmap: one control page, then the data pages */
	size_t ring_len;
	uint64_t user, kernel, other, lost;     /* samples */
	uint64_t clock_ns;                      /* the task clock over the window */
	unsigned long long ticks0[2], ticks[2]; /* /proc utime, stime (clock ticks) */
	bool have_ticks;
};

/* Start measuring thread `tid` of this process, one sample per `period_ns` of its CPU time.
 * Returns 0 with samples, 1 with the tick split only, -1 if neither is readable. */
int cpu_split_start(struct cpu_split *s, int tid, uint64_t period_ns);
/* Count the samples taken so far; call at least every few seconds (the ring holds ~4000). */
void cpu_split_poll(struct cpu_split *s);
/* End of the window: count the rest, read the ticks, release everything. */
void cpu_split_stop(struct cpu_split *s);

/* User-mode share of the thread's CPU over the window (0..1), from the samples, given the
 * thread's CPU time over the same window (the time the task clock missed counts as kernel);
 * -1 without samples. */
double cpu_split_user_share(const struct cpu_split *s, uint64_t cpu_ns);
/* The share of cpu_ns the task clock did not see (context switches), 0..1. */
double cpu_split_unseen_share(const struct cpu_split *s, uint64_t cpu_ns);
/* The same from the kernel's tick accounting; -1 without. */
double cpu_split_tick_user_share(const struct cpu_split *s);
/* Samples counted (user + kernel). */
uint64_t cpu_split_samples(const struct cpu_split *s);

#endif
