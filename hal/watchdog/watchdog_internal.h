/* Shared between the hal/watchdog backends; not part of the public interface. */
#ifndef VMPORT_HAL_WATCHDOG_INTERNAL_H
#define VMPORT_HAL_WATCHDOG_INTERNAL_H

#include "hal_watchdog.h"

extern const struct hal_watchdog_ops hal_watchdog_linux_ops;
extern const struct hal_watchdog_ops hal_watchdog_null_ops;

void hal_watchdog_set_error(struct hal_watchdog *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
