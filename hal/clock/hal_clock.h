/* Time and entropy from the operating system. The rest of vmport takes time as an argument
 * (proto/ is pure); the event loop and the media thread read it here. */
#ifndef VMPORT_HAL_CLOCK_H
#define VMPORT_HAL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock (never jumps with wall-clock changes). */
uint64_t hal_clock_now_ms(void);
/* Nanoseconds on the monotonic clock, for the media thread's absolute grid and benchmarks. */
uint64_t hal_clock_now_ns(void);
/* Seconds since the Unix epoch (wall clock), for certificates and file stamps. */
int64_t hal_clock_wall_s(void);
/* Fill buf with len bytes from the kernel's CSPRNG. Returns 0 or -errno. */
int hal_random_bytes(void *buf, size_t len);

#endif
