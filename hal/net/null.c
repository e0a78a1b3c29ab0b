/* hal/net "null" backend: one loopback interface, always up, at 127.0.0.1 and ::1. Link and
 * address events happen only when a test injects them (hal_net_null_inject); they then arrive
 * through an eventfd exactly as the kernel's arrive through rtnetlink, so the event loop's code
 * path is the same. Sockets are marked for real: DSCP is a socket option, not a device. */
#include "net_internal.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NULL_QUEUE 32u

struct net_null {
	int efd;
	struct hal_net_event queue[NULL_QUEUE];
	unsigned head, count;
};

static void null_link(struct hal_net_link *l, const char *name, const char *fallback)
{
	snprintf(l->name, sizeof(l->name), "%s", name[0] ? name : fallback);
	l->index = (int)if_nametoindex(l->name);
	if (l->index == 0)
		l->index = 1; /* a name the host lacks: still one interface, as far as callers know */
	l->present = true;
	l->up = true;
}

static int null_open(struct hal_net *n)
{
	struct net_null *nn = calloc(1, sizeof(*nn));
	if (nn == NULL) {
		hal_net_set_error(n, "net: out of memory");
		return -ENOMEM;
	}
	nn->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (nn->efd < 0) {
		int rc = -errno;
		hal_net_set_error(n, "net: eventfd: %s", strerror(-rc));
		free(nn);
		return rc;
	}
	null_link(&n->main, n->cfg.ifname, "lo");
	if (n->cfg.vlan[0])
		null_link(&n->vlan, n->cfg.vlan, "");
	snprintf(n->note, sizeof(n->note), "null twin: always up at 127.0.0.1 and ::1");
	n->priv = nn;
	return 0;
}

static int null_address(struct hal_net *n, int family, struct sockaddr_storage *out, socklen_t *len)
{
	(void)n;
	memset(out, 0, sizeof(*out));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		if (len)
			*len = sizeof(*sin6);
		return 0;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (len)
		*len = sizeof(*sin);
	return 0;
}

static int null_mark_socket(struct hal_net *n, int fd, unsigned dscp)
{
	(void)n;
	return hal_net_set_dscp(fd, dscp);
}

static int null_event_fd(const struct hal_net *n)
{
	const struct net_null *nn = n->priv;
	return nn->efd;
}

static int null_handle_events(struct hal_net *n)
{
	struct net_null *nn = n->priv;
	uint64_t ticks;
	while (read(nn->efd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		;
	int events = 0;
	while (nn->count > 0) {
		struct hal_net_event ev = nn->queue[nn->head];
		nn->head = (nn->head + 1) % NULL_QUEUE;
		nn->count--;
		if (ev.type != HAL_NET_EV_ADDRESS) {
			struct hal_net_link *l = ev.vlan ? &n->vlan : &n->main;
			bool up = ev.type == HAL_NET_EV_LINK_UP;
			if (l->up == up)
				continue; /* only changes are reported, as by the linux backend */
			l->up = up;
		}
		n->stats.messages++;
		hal_net_emit(n, &ev);
		events++;
	}
	return events;
}

static int null_close(struct hal_net *n)
{
	struct net_null *nn = n->priv;
	if (nn != NULL) {
		close(nn->efd);
		free(nn);
	}
	n->priv = NULL;
	return 0;
}

const struct hal_net_ops hal_net_null_ops = {
    .name = "null",
    .open = null_open,
    .address = null_address,
    .mark_socket = null_mark_socket,
    .event_fd = null_event_fd,
    .handle_events = null_handle_events,
    .close = null_close,
};

int hal_net_null_inject(struct hal_net *n, enum hal_net_event_type type, bool vlan, int family)
{
	if (!n->opened || n->ops != &hal_net_null_ops)
		return -EINVAL;
	if (vlan && n->vlan.name[0] == '\0')
		return -EINVAL;
	struct net_null *nn = n->priv;
	if (nn->count == NULL_QUEUE)
		return -ENOSPC;
	const struct hal_net_link *l = vlan ? &n->vlan : &n->main;
	struct hal_net_event ev = {
	    .type = type,
	    .ifindex = l->index,
	    .vlan = vlan,
	    .added = true,
	    .family = family,
	};
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", l->name);
	nn->queue[(nn->head + nn->count) % NULL_QUEUE] = ev;
	nn->count++;
	uint64_t one = 1;
	if (write(nn->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return -errno;
	return 0;
}
