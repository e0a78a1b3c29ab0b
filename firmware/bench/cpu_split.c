#include "cpu_split.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Data pages of the ring (a power of two): 64 KiB with 4 KiB pages, 4096 samples of 16 bytes. */
#define RING_DATA_PAGES 16u

/* utime and stime of one of our threads, in clock ticks. */
static bool read_ticks(int tid, unsigned long long out[2])
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name (field 2) is in parentheses and may contain anything: parse after the last ')'.
	 * utime and stime are fields 14 and 15. */
	const char *p = strrchr(buf, ')');
	return p != NULL &&
	       sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &out[0], &out[1]) == 2;
}

static int open_sampler(int tid, uint64_t period_ns)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK; /* advances only while the thread runs */
	a.sample_period = period_ns;
	a.sample_type = PERF_SAMPLE_IP; /* the mode is in every record's header */
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int cpu_split_start(struct cpu_split *s, int tid, uint64_t period_ns)
{
	memset(s, 0, sizeof(*s));
	s->tid = tid;
	s->fd = -1;
	s->have_ticks = tid > 0 && read_ticks(tid, s->ticks0);
	if (tid <= 0)
		return -1;
	s->fd = open_sampler(tid, period_ns);
	if (s->fd >= 0) {
		s->ring_len = (1 + RING_DATA_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
		s->ring = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
		if (s->ring == MAP_FAILED) {
			s->ring = NULL;
			close(s->fd);
			s->fd = -1;
		}
	}
	if (s->fd >= 0)
		return 0;
	return s->have_ticks ? 1 : -1;
}

/* The u64 at byte `off` of the data area (records are 8-aligned: a u64 never wraps). */
static uint64_t ring_u64(const uint8_t *data, uint64_t size, uint64_t off)
{
	uint64_t v;
	memcpy(&v, data + off % size, sizeof(v));
	return v;
}

void cpu_split_poll(struct cpu_split *s)
{
	if (s->ring == NULL)
		return;
	struct perf_event_mmap_page *meta = (struct perf_event_mmap_page *)s->ring;
	const uint8_t *data = s->ring + meta->data_offset;
	uint64_t size = meta->data_size;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	while (tail < head) {
		struct perf_event_header h;
		memcpy(&h, data + tail % size, sizeof(h));
		if (h.size == 0)
			break;
		if (h.type == PERF_RECORD_SAMPLE) {
			unsigned mode = h.misc & PERF_RECORD_MISC_CPUMODE_MASK;
			if (mode == PERF_RECORD_MISC_USER)
				s->user++;
			else if (mode == PERF_RECORD_MISC_KERNEL)
				s->kernel++;
			else
				s->other++;
		} else if (h.type == PERF_RECORD_LOST) {
			s->lost += ring_u64(data, size, tail + 16); /* header, id, lost */
		}
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

void cpu_split_stop(struct cpu_split *s)
{
	if (s->fd >= 0) {
		ioctl(s->fd, PERF_EVENT_IOC_DISABLE, 0);
		if (read(s->fd, &s->clock_ns, sizeof(s->clock_ns)) != sizeof(s->clock_ns))
			s->clock_ns = 0;
	}
	cpu_split_poll(s);
	if (s->have_ticks)
		s->have_ticks = read_ticks(s->tid, s->ticks);
	if (s->ring != NULL)
		munmap(s->ring, s->ring_len);
	if (s->fd >= 0)
		close(s->fd);
	s->ring = NULL;
	s->fd = -1;
}

double cpu_split_unseen_share(const struct cpu_split *s, uint64_t cpu_ns)
{
	if (cpu_ns == 0 || s->clock_ns == 0 || s->clock_ns >= cpu_ns)
		return 0;
	return (double)(cpu_ns - s->clock_ns) / (double)cpu_ns;
}

double cpu_split_user_share(const struct cpu_split *s, uint64_t cpu_ns)
{
	uint64_t n = s->user + s->kernel;
	if (n == 0)
		return -1;
	return (double)s->user / (double)n * (1 - cpu_split_unseen_share(s, cpu_ns));
}

double cpu_split_tick_user_share(const struct cpu_split *s)
{
	if (!s->have_ticks)
		return -1;
	unsigned long long u = s->ticks[0] - s->ticks0[0], k = s->ticks[1] - s->ticks0[1];
	return u + k > 0 ? (double)u / (double)(u + k) : -1;
}

uint64_t cpu_split_samples(const struct cpu_split *s)
{
	return s->user + s->kernel;
}
