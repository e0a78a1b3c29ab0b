/* Shared between the hal/net backends; not part of the public interface. */
#ifndef VMPORT_HAL_NET_INTERNAL_H
#define VMPORT_HAL_NET_INTERNAL_H

#include "hal_net.h"

extern const struct hal_net_ops hal_net_linux_ops;
extern const struct hal_net_ops hal_net_null_ops;

/* Fill n->error like printf. */
void hal_net_set_error(struct hal_net *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Deliver ev to cfg.on_event with `usable` filled in, and count it. */
void hal_net_emit(struct hal_net *n, struct hal_net_event *ev);

#endif
