/* hal/net: the backend table and what every backend shares (DSCP marking, event delivery). */
#include "net_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct hal_net_ops *const backends[] = {
    &hal_net_linux_ops,
    &hal_net_null_ops,
};

const struct hal_net_ops *hal_net_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *hal_net_backend_names(void)
{
	return "linux, null";
}

void hal_net_set_error(struct hal_net *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->error, sizeof(n->error), fmt, ap);
	va_end(ap);
}

int hal_net_bind(struct hal_net *n, const struct hal_net_ops *ops, const struct hal_net_config *cfg)
{
	memset(n, 0, sizeof(*n));
	n->ops = ops;
	if (ops == NULL || cfg == NULL) {
		hal_net_set_error(n, "net: no backend or no configuration");
		return -EINVAL;
	}
	if (memchr(cfg->ifname, '\0', sizeof(cfg->ifname)) == NULL ||
	    memchr(cfg->vlan, '\0', sizeof(cfg->vlan)) == NULL) {
		hal_net_set_error(n, "net: interface name longer than %d characters", HAL_NET_IFNAME_MAX - 1);
		return -EINVAL;
	}
	if (cfg->vlan[0] && strcmp(cfg->vlan, cfg->ifname) == 0) {
		hal_net_set_error(n, "net: VLAN interface '%s' is the NIC itself", cfg->vlan);
		return -EINVAL;
	}
	n->cfg = *cfg;
	return 0;
}

int hal_net_open_by_name(struct hal_net *n, const char *backend, const struct hal_net_config *cfg)
{
	const struct hal_net_ops *ops = hal_net_find(backend);
	if (ops == NULL) {
		memset(n, 0, sizeof(*n));
		hal_net_set_error(n, "net: unknown backend '%s' (known: %s)", backend ? backend : "(none)",
		                  hal_net_backend_names());
		return -ENOENT;
	}
	return hal_net_open(n, ops, cfg);
}

unsigned hal_net_dscp_from_tos(uint32_t precedence)
{
	if (precedence == 0 || precedence > 0xFF)
		return HAL_NET_DSCP_EF;
	return (precedence >> 2) & 0x3F;
}

static int socket_family(int fd)
{
	int family = 0;
	socklen_t len = sizeof(family);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) != 0)
		return -errno;
	return family;
}

int hal_net_set_dscp(int fd, unsigned dscp)
{
	if (dscp > 63)
		return -EINVAL;
	int family = socket_family(fd);
	if (family < 0)
		return family;
	int tos = (int)(dscp << 2);
	if (family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) != 0)
			return -errno;
		return 0;
	}
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)) != 0)
			return -errno;
		/* A dual-stack socket talking to a v4-mapped peer sends IPv4, which takes IP_TOS. Linux
		 * accepts it on IPv6 sockets; where it does not, IPv6 traffic is still marked. */
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		return 0;
	}
	return -EAFNOSUPPORT;
}

int hal_net_socket_dscp(int fd)
{
	int family = socket_family(fd);
	if (family < 0)
		return family;
	int tos = 0;
	socklen_t len = sizeof(tos);
	int rc;
	if (family == AF_INET)
		rc = getsockopt(fd, IPPROTO_IP, IP_TOS, &tos, &len);
	else if (family == AF_INET6)
		rc = getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, &len);
	else
		return -EAFNOSUPPORT;
	if (rc != 0)
		return -errno;
	return (tos >> 2) & 0x3F;
}

const char *hal_net_ntop(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	const void *addr = NULL;
	if (ss->ss_family == AF_INET)
		addr = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (addr == NULL || cap == 0 || inet_ntop(ss->ss_family, addr, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

void hal_net_emit(struct hal_net *n, struct hal_net_event *ev)
{
	ev->usable = hal_net_usable(n);
	if (ev->type == HAL_NET_EV_ADDRESS)
		n->stats.addr_events++;
	else
		n->stats.link_events++;
	if (n->cfg.on_event)
		n->cfg.on_event(n->cfg.arg, ev);
}
