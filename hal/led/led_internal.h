/* Shared between the hal/led backends; not part of the public interface. */
#ifndef VMPORT_HAL_LED_INTERNAL_H
#define VMPORT_HAL_LED_INTERNAL_H

#include "hal_led.h"

extern const struct hal_led_ops hal_led_sysfs_ops;
extern const struct hal_led_ops hal_led_null_ops;

void hal_led_set_error(struct hal_led *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
