/* hal/net "linux" backend: rtnetlink for everything the kernel knows about interfaces.
 *
 * One netlink socket stays subscribed to link and address notifications (the event fd); short
 * request/response exchanges on a fresh socket answer the questions asked at open and on demand
 * (which interface holds the default route, a link's flags and lower device, the addresses).
 * Subscribing before the first query means no change between the two is lost; a netlink overrun
 * (ENOBUFS: the kernel dropped notifications) is recovered by querying the links again. */
#include "net_internal.h"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NL_BUF_BYTES 32768
#define NL_RCVBUF_BYTES (256 * 1024) /* room for a burst at boot: many links, many addresses */
#define NL_TIMEOUT_S 2

struct net_linux {
	int fd; /* subscribed to RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR */
};

/* What an RTM_NEWLINK message says about one interface. */
struct link_info {
	int index;
	unsigned flags;
	char name[HAL_NET_IFNAME_MAX];
	int lower; /* IFLA_LINK: the lower device, meaningful for kind "vlan" */
	char kind[16];
};

static bool flags_up(unsigned flags)
{
	return (flags & IFF_UP) && (flags & IFF_RUNNING);
}

/* ---- request/response on a fresh socket ---- */

typedef int (*nl_reply_fn)(const struct nlmsghdr *h, void *arg);

/* Send req; call fn for each reply until NLMSG_DONE (a dump) or the one reply (a get). The
 * kernel's own error (NLMSG_ERROR) comes back as its -errno. */
static int nl_exchange(struct nlmsghdr *req, nl_reply_fn fn, void *arg)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct timeval tv = {.tv_sec = NL_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	req->nlmsg_seq = 1;
	int rc = 0;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	long buf[NL_BUF_BYTES / sizeof(long)]; /* aligned for nlmsghdr */
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			rc = (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (len == 0) {
			rc = -ECONNRESET;
			goto out;
		}
		size_t left = (size_t)len;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				rc = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EPROTO;
				goto out;
			}
			rc = fn(h, arg);
			if (rc < 0 || !dump)
				goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static void parse_link(const struct nlmsghdr *h, struct link_info *li)
{
	memset(li, 0, sizeof(*li));
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	li->index = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	unsigned len = IFLA_PAYLOAD(h);
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t plen = RTA_PAYLOAD(a);
		if (a->rta_type == IFLA_IFNAME && plen > 0) {
			size_t n = strnlen(RTA_DATA(a), plen);
			if (n < sizeof(li->name)) {
				memcpy(li->name, RTA_DATA(a), n);
				li->name[n] = '\0';
			}
		} else if (a->rta_type == IFLA_LINK && plen >= sizeof(int)) {
			memcpy(&li->lower, RTA_DATA(a), sizeof(int));
		} else if (a->rta_type == IFLA_LINKINFO) {
			unsigned ilen = (unsigned)plen;
			for (const struct rtattr *i = RTA_DATA(a); RTA_OK(i, ilen); i = RTA_NEXT(i, ilen)) {
				size_t klen = RTA_PAYLOAD(i);
				if (i->rta_type != IFLA_INFO_KIND || klen == 0)
					continue;
				size_t n = strnlen(RTA_DATA(i), klen);
				if (n < sizeof(li->kind)) {
					memcpy(li->kind, RTA_DATA(i), n);
					li->kind[n] = '\0';
				}
			}
		}
	}
}

static int on_link_reply(const struct nlmsghdr *h, void *arg)
{
	if (h->nlmsg_type != RTM_NEWLINK)
		return -EPROTO;
	parse_link(h, arg);
	return 0;
}

/* The kernel's view of one interface: -ENODEV when it does not exist. */
static int query_link(int index, struct link_info *li)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
	          .nlmsg_type = RTM_GETLINK,
	          .nlmsg_flags = NLM_F_REQUEST},
	    .ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index},
	};
	memset(li, 0, sizeof(*li));
	return nl_exchange(&req.h, on_link_reply, li);
}

/* ---- the default route ---- */

struct route_pick {
	int oif;
	uint32_t metric;
	bool found;
};

static int on_route(const struct nlmsghdr *h, void *arg)
{
	struct route_pick *best = arg;
	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return 0;
	const struct rtmsg *rt = NLMSG_DATA(h);
	if (rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST)
		return 0;
	uint32_t table = rt->rtm_table, metric = 0;
	int oif = 0;
	unsigned len = RTM_PAYLOAD(h);
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t plen = RTA_PAYLOAD(a);
		if (a->rta_type == RTA_TABLE && plen >= 4)
			memcpy(&table, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_OIF && plen >= 4)
			memcpy(&oif, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_PRIORITY && plen >= 4)
			memcpy(&metric, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_MULTIPATH && plen >= sizeof(struct rtnexthop) && oif == 0) {
			const struct rtnexthop *nh = RTA_DATA(a); /* ECMP: the first next hop's device */
			oif = nh->rtnh_ifindex;
		}
	}
	if (table != RT_TABLE_MAIN || oif <= 0)
		return 0;
	if (!best->found || metric < best->metric)
		*best = (struct route_pick){.oif = oif, .metric = metric, .found = true};
	return 0;
}

static int default_route(int family, struct route_pick *best)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rt;
	} req = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
	          .nlmsg_type = RTM_GETROUTE,
	          .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .rt = {.rtm_family = (unsigned char)family},
	};
	memset(best, 0, sizeof(*best));
	return nl_exchange(&req.h, on_route, best);
}

/* ---- addresses ---- */

struct addr_pick {
	int index;
	int family;
	int score; /* -1: none yet */
	struct sockaddr_storage ss;
	socklen_t len;
};

/* How much an address suits Register and media; -1 never. IPv6: a stable, preferred, global
 * address (not a privacy address, not being checked for duplicates, not link-local). IPv4: the
 * primary global address. */
static int addr_score(int family, unsigned flags, unsigned scope)
{
	if (family == AF_INET6) {
		if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
			return -1;
		if (scope == RT_SCOPE_LINK || scope == RT_SCOPE_HOST)
			return -1;
		return ((flags & IFA_F_DEPRECATED) ? 0 : 4) + ((flags & IFA_F_TEMPORARY) ? 0 : 2) +
		       (scope == RT_SCOPE_UNIVERSE ? 1 : 0);
	}
	return (scope == RT_SCOPE_UNIVERSE ? 4
	        : scope == RT_SCOPE_LINK   ? 2
	                                   : 0) +
	       ((flags & IFA_F_SECONDARY) ? 0 : 1);
}

static int on_addr_reply(const struct nlmsghdr *h, void *arg)
{
	struct addr_pick *p = arg;
	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if ((int)ifa->ifa_index != p->index || ifa->ifa_family != p->family)
		return 0;
	unsigned flags = ifa->ifa_flags;
	const void *local = NULL, *address = NULL;
	size_t alen = p->family == AF_INET ? 4 : 16;
	unsigned len = IFA_PAYLOAD(h);
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t plen = RTA_PAYLOAD(a);
		if (a->rta_type == IFA_FLAGS && plen >= 4)
			memcpy(&flags, RTA_DATA(a), 4); /* the full 32 bits; ifa_flags holds the low 8 */
		else if (a->rta_type == IFA_LOCAL && plen >= alen)
			local = RTA_DATA(a);
		else if (a->rta_type == IFA_ADDRESS && plen >= alen)
			address = RTA_DATA(a);
	}
	const void *ip = local ? local : address; /* point-to-point links: IFA_LOCAL is ours */
	int score = addr_score(p->family, flags, ifa->ifa_scope);
	if (ip == NULL || score <= p->score)
		return 0;
	p->score = score;
	memset(&p->ss, 0, sizeof(p->ss));
	if (p->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&p->ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip, 4);
		p->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip, 16);
		p->len = sizeof(*sin6);
	}
	return 0;
}

static int best_address(int index, int family, struct addr_pick *p)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
	          .nlmsg_type = RTM_GETADDR,
	          .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .ifa = {.ifa_family = (unsigned char)family},
	};
	*p = (struct addr_pick){.index = index, .family = family, .score = -1};
	int rc = nl_exchange(&req.h, on_addr_reply, p);
	if (rc < 0)
		return rc;
	return p->score < 0 ? -EADDRNOTAVAIL : 0;
}

/* ---- the backend ---- */

static void adopt(struct hal_net_link *l, const struct link_info *li)
{
	snprintf(l->name, sizeof(l->name), "%s", li->name);
	l->index = li->index;
	l->present = true;
	l->up = flags_up(li->flags);
}

/* Which interface is the NIC: named, the VLAN's lower device, or the default route's. */
static int resolve_main(struct hal_net *n, const struct link_info *vlan, int *index)
{
	if (n->cfg.ifname[0]) {
		*index = (int)if_nametoindex(n->cfg.ifname);
		if (*index == 0) {
			hal_net_set_error(n, "net: interface '%s' named by the board does not exist",
			                  n->cfg.ifname);
			return -ENODEV;
		}
		snprintf(n->note, sizeof(n->note), "named by the board");
		return 0;
	}
	if (vlan != NULL && strcmp(vlan->kind, "vlan") == 0 && vlan->lower > 0) {
		*index = vlan->lower;
		snprintf(n->note, sizeof(n->note), "the lower device of VLAN %s", vlan->name);
		return 0;
	}
	static const int families[] = {AF_INET, AF_INET6};
	for (size_t i = 0; i < 2; i++) {
		struct route_pick r;
		int rc = default_route(families[i], &r);
		if (rc < 0) {
			hal_net_set_error(n, "net: cannot read the routing table: %s", strerror(-rc));
			return rc;
		}
		if (r.found) {
			*index = r.oif;
			snprintf(n->note, sizeof(n->note), "holds the %s default route (metric %u)",
			         families[i] == AF_INET ? "IPv4" : "IPv6", r.metric);
			return 0;
		}
	}
	hal_net_set_error(n, "net: the board names no interface and there is no default route (IPv4 or "
	                     "IPv6) to choose one by");
	return -ENETUNREACH;
}

static int linux_open(struct hal_net *n)
{
	struct net_linux *nl = calloc(1, sizeof(*nl));
	if (nl == NULL) {
		hal_net_set_error(n, "net: out of memory");
		return -ENOMEM;
	}
	int rc;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		rc = -errno;
		hal_net_set_error(n, "net: rtnetlink socket: %s", strerror(-rc));
		goto fail_alloc;
	}
	int rcvbuf = NL_RCVBUF_BYTES;
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_nl local = {
	    .nl_family = AF_NETLINK,
	    .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	if (bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		rc = -errno;
		hal_net_set_error(n, "net: rtnetlink subscribe: %s", strerror(-rc));
		goto fail_socket;
	}

	struct link_info vlan = {0}, main_li;
	if (n->cfg.vlan[0]) {
		int vindex = (int)if_nametoindex(n->cfg.vlan);
		rc = vindex ? query_link(vindex, &vlan) : -ENODEV;
		if (rc < 0) {
			hal_net_set_error(n,
			                  "net: voice VLAN interface '%s' named by the board does not exist",
			                  n->cfg.vlan);
			goto fail_socket;
		}
	}
	int index = 0;
	rc = resolve_main(n, n->cfg.vlan[0] ? &vlan : NULL, &index);
	if (rc < 0)
		goto fail_socket;
	rc = query_link(index, &main_li);
	if (rc < 0) {
		hal_net_set_error(n, "net: interface %d: %s", index, strerror(-rc));
		goto fail_socket;
	}
	if (n->cfg.vlan[0]) {
		if (vlan.index == main_li.index) {
			hal_net_set_error(n, "net: VLAN interface '%s' is the NIC itself", vlan.name);
			rc = -EINVAL;
			goto fail_socket;
		}
		if (strcmp(vlan.kind, "vlan") == 0 && vlan.lower != main_li.index) {
			char lower[IF_NAMESIZE] = "?";
			if_indextoname((unsigned)vlan.lower, lower);
			hal_net_set_error(n, "net: VLAN '%s' sits on '%s', not on the NIC '%s'", vlan.name,
			                  lower, main_li.name);
			rc = -EINVAL;
			goto fail_socket;
		}
		adopt(&n->vlan, &vlan);
	}
	adopt(&n->main, &main_li);
	n->priv = nl;
	return 0;

fail_socket:
	close(nl->fd);
fail_alloc:
	free(nl);
	return rc;
}

static int linux_address(struct hal_net *n, int family, struct sockaddr_storage *out, socklen_t *len)
{
	const struct hal_net_link *l = hal_net_traffic_link(n);
	if (!l->present)
		return -ENODEV;
	static const int both[] = {AF_INET, AF_INET6};
	int rc = -EADDRNOTAVAIL;
	for (size_t i = 0; i < 2; i++) {
		if (family != AF_UNSPEC && family != both[i])
			continue;
		struct addr_pick p;
		rc = best_address(l->index, both[i], &p);
		if (rc == 0) {
			*out = p.ss;
			if (len)
				*len = p.len;
			return 0;
		}
		if (rc != -EADDRNOTAVAIL)
			return rc;
	}
	return rc;
}

static int linux_mark_socket(struct hal_net *n, int fd, unsigned dscp)
{
	(void)n;
	return hal_net_set_dscp(fd, dscp);
}

static int linux_event_fd(const struct hal_net *n)
{
	const struct net_linux *nl = n->priv;
	return nl->fd;
}

/* A watched link changed: report it when its up/down state flipped, or when it disappeared
 * (the kernel takes an interface down before deleting it: that is a second LINK_DOWN, removed). */
static int update_link(struct hal_net *n, struct hal_net_link *l, bool vlan, bool present, bool up,
                       bool removed)
{
	bool vanished = removed && l->present;
	l->present = present;
	if (l->up == up && !vanished)
		return 0;
	l->up = up;
	struct hal_net_event ev = {
	    .type = up ? HAL_NET_EV_LINK_UP : HAL_NET_EV_LINK_DOWN,
	    .ifindex = l->index,
	    .vlan = vlan,
	    .removed = removed,
	};
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", l->name);
	hal_net_emit(n, &ev);
	return 1;
}

/* The link a notification is about: by index while it exists, by name once it has gone (a USB
 * NIC plugged back in gets a new index under its old name). */
static struct hal_net_link *watched(struct hal_net *n, const struct link_info *li, bool *vlan)
{
	struct hal_net_link *links[2] = {&n->main, &n->vlan};
	for (int i = 0; i < 2; i++) {
		struct hal_net_link *l = links[i];
		if (l->name[0] == '\0')
			continue;
		if ((l->present && l->index == li->index) ||
		    (!l->present && strcmp(l->name, li->name) == 0)) {
			*vlan = (i == 1);
			return l;
		}
	}
	return NULL;
}

static int on_link_note(struct hal_net *n, const struct nlmsghdr *h)
{
	struct link_info li;
	parse_link(h, &li);
	bool vlan = false;
	struct hal_net_link *l = watched(n, &li, &vlan);
	if (l == NULL)
		return 0;
	if (h->nlmsg_type == RTM_DELLINK)
		return update_link(n, l, vlan, false, false, true);
	l->index = li.index;
	if (li.name[0])
		snprintf(l->name, sizeof(l->name), "%s", li.name); /* follows a rename */
	return update_link(n, l, vlan, true, flags_up(li.flags), false);
}

static int on_addr_note(struct hal_net *n, const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct hal_net_link *l = hal_net_traffic_link(n);
	if (!l->present || (int)ifa->ifa_index != l->index)
		return 0;
	/* Link-local and host addresses never carry Register or media: not worth a wake-up. */
	if (ifa->ifa_scope == RT_SCOPE_HOST ||
	    (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK))
		return 0;
	struct hal_net_event ev = {
	    .type = HAL_NET_EV_ADDRESS,
	    .ifindex = l->index,
	    .vlan = l == &n->vlan,
	    .added = h->nlmsg_type == RTM_NEWADDR,
	    .family = ifa->ifa_family,
	};
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", l->name);
	hal_net_emit(n, &ev);
	return 1;
}

/* Notifications were lost: ask the kernel for each watched link's state now. */
static int resync(struct hal_net *n)
{
	n->stats.resyncs++;
	int events = 0;
	struct hal_net_link *links[2] = {&n->main, &n->vlan};
	for (int i = 0; i < 2; i++) {
		struct hal_net_link *l = links[i];
		if (l->name[0] == '\0')
			continue;
		int index = (int)if_nametoindex(l->name);
		struct link_info li;
		if (index == 0 || query_link(index, &li) < 0) {
			events += update_link(n, l, i == 1, false, false, true);
			continue;
		}
		l->index = index;
		events += update_link(n, l, i == 1, true, flags_up(li.flags), false);
	}
	return events;
}

static int linux_handle_events(struct hal_net *n)
{
	struct net_linux *nl = n->priv;
	long buf[NL_BUF_BYTES / sizeof(long)];
	int events = 0;
	for (;;) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		ssize_t len =
		    recvfrom(nl->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				events += resync(n);
				continue;
			}
			hal_net_set_error(n, "net: rtnetlink read: %s", strerror(errno));
			return -errno;
		}
		if (from.nl_pid != 0)
			continue; /* only the kernel speaks for the kernel */
		size_t left = (size_t)len;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			n->stats.messages++;
			switch (h->nlmsg_type) {
			case RTM_NEWLINK:
			case RTM_DELLINK:
				events += on_link_note(n, h);
				break;
			case RTM_NEWADDR:
			case RTM_DELADDR:
				events += on_addr_note(n, h);
				break;
			default:
				break;
			}
		}
	}
	return events;
}

static int linux_close(struct hal_net *n)
{
	struct net_linux *nl = n->priv;
	if (nl != NULL) {
		close(nl->fd);
		free(nl);
	}
	n->priv = NULL;
	return 0;
}

const struct hal_net_ops hal_net_linux_ops = {
    .name = "linux",
    .open = linux_open,
    .address = linux_address,
    .mark_socket = linux_mark_socket,
    .event_fd = linux_event_fd,
    .handle_events = linux_handle_events,
    .close = linux_close,
};
