/* Logging: one line per event on stderr, "time level component: text". A line says which port,
 * which peer, what failed and what happens next. The media thread's hot path never logs. */
#ifndef VMPORT_LOG_H
#define VMPORT_LOG_H

#include <stdarg.h>

enum vm_log_level { VM_LOG_ERROR, VM_LOG_WARN, VM_LOG_INFO, VM_LOG_DEBUG };

void vm_log_set_level(enum vm_log_level level);
enum vm_log_level vm_log_get_level(void);
/* Parse "error", "warn", "info", "debug"; returns -1 for anything else. */
int vm_log_level_parse(const char *name);

void vm_log(enum vm_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vm_vlog(enum vm_log_level level, const char *component, const char *fmt, va_list ap);

#define LOGE(comp, ...) vm_log(VM_LOG_ERROR, comp, __VA_ARGS__)
#define LOGW(comp, ...) vm_log(VM_LOG_WARN, comp, __VA_ARGS__)
#define LOGI(comp, ...) vm_log(VM_LOG_INFO, comp, __VA_ARGS__)
#define LOGD(comp, ...)                                                                                      \
	do {                                                                                                 \
		if (vm_log_get_level() >= VM_LOG_DEBUG)                                                      \
			vm_log(VM_LOG_DEBUG, comp, __VA_ARGS__);                                             \
	} while (0)

#endif
