#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static enum vm_log_level current_level = VM_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void vm_log_set_level(enum vm_log_level level)
{
	current_level = level;
}

enum vm_log_level vm_log_get_level(void)
{
	return current_level;
}

int vm_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (!strcmp(name, level_names[i]))
			return i;
	}
	return -1;
}

void vm_vlog(enum vm_log_level level, const char *component, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char line[1024];
	int n =
	    snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	             level_names[level], component);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write per line so lines from the two threads never interleave. */
	fprintf(stderr, "%s\n", line);
}

void vm_log(enum vm_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_vlog(level, component, fmt, ap);
	va_end(ap);
}
