/* hal/net: the board's network interface as one small interface. Which NIC carries vmport's
 * traffic, its IPv4/IPv6 address for Register and media, link up/down as it happens, and DSCP
 * marking of sockets.
 *
 * One constant operations table per backend, picked by name from the board file:
 *   "linux"  rtnetlink: the interface the board names (or the one holding the default route),
 *            an optional voice VLAN interface on it, link and address events from the kernel
 *   "null"   one loopback interface that is always up at 127.0.0.1 / ::1; events are injected by
 *            tests with hal_net_null_inject()
 * The caller owns a `struct hal_net` and drives it through the inline wrappers below; an
 * operation a backend does not have is NULL and the wrapper returns -ENOSYS.
 *
 * Events. hal_net_event_fd() is a file descriptor for the event loop's epoll (EPOLLIN); when it
 * is readable, call hal_net_handle_events(), which reads everything pending and calls
 * cfg.on_event once per change. Only changes are reported: the kernel repeats RTM_NEWLINK for
 * many reasons (MTU, statistics, promiscuity); a LINK_UP/LINK_DOWN event means the interface's
 * up state flipped, with one exception: an interface that disappears gets a LINK_DOWN with
 * `removed` set even when it was already down (the kernel takes it down before deleting it), so
 * treat LINK_DOWN as idempotent. What to do about it is the caller's policy (the HAL only
 * reports it).
 *
 * Threads. Everything runs on the event loop, except hal_net_mark_socket() and
 * hal_net_socket_dscp(), which touch only the socket given and may be called from any thread
 * (the media thread marks its own RTP sockets).
 *
 * Errors are negative errno values; the instance's `error` string then says what failed in
 * words, naming the interface. */
#ifndef VMPORT_HAL_NET_H
#define VMPORT_HAL_NET_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HAL_NET_IFNAME_MAX 16 /* IF_NAMESIZE: 15 characters and the NUL */
#define HAL_NET_ERROR_MAX 256u
#define HAL_NET_NOTE_MAX 128u

/* DiffServ code points vmport uses (RFC 4594): media is telephony, SCCP is call signalling. */
#define HAL_NET_DSCP_EF 46u  /* Expedited Forwarding: RTP/SRTP/RTCP */
#define HAL_NET_DSCP_CS3 24u /* Class Selector 3: SCCP over TCP/TLS, TFTP */

enum hal_net_event_type {
	HAL_NET_EV_LINK_UP,   /* the interface is up and has carrier */
	HAL_NET_EV_LINK_DOWN, /* it lost carrier, was set down, or disappeared (`removed`) */
	HAL_NET_EV_ADDRESS,   /* an address of the traffic interface was added or removed */
};

struct hal_net_event {
	enum hal_net_event_type type;
	char ifname[HAL_NET_IFNAME_MAX];
	int ifindex;
	bool vlan;    /* the event is about the voice VLAN interface, not the NIC */
	bool removed; /* LINK_DOWN: the interface was deleted (USB NIC unplugged, VLAN removed) */
	bool added;   /* ADDRESS: added (true) or removed (false) */
	int family;   /* ADDRESS: AF_INET or AF_INET6 */
	/* After this event: can traffic flow (hal_net_usable)? Ports go out of service when it
	 * becomes false and register again when it becomes true. */
	bool usable;
};

struct hal_net_config {
	/* The NIC by name ("eth0", "end0"); "" takes the interface holding the default route
	 * (IPv4's lowest metric, else IPv6's), looked up once at open. */
	char ifname[HAL_NET_IFNAME_MAX];
	/* Optional voice VLAN interface ("eth0.100"), created by the OS. When set, addresses come
	 * from it and traffic needs both it and the NIC. If it is a kernel VLAN device it must sit on
	 * ifname; with ifname "" its lower device becomes the NIC. */
	char vlan[HAL_NET_IFNAME_MAX];
	/* Called from hal_net_handle_events() for each change. May be NULL. */
	void (*on_event)(void *arg, const struct hal_net_event *ev);
	void *arg;
};

/* One watched interface. */
struct hal_net_link {
	char name[HAL_NET_IFNAME_MAX];
	int index;    /* kernel ifindex; 0 when not watched */
	bool present; /* exists now (a USB NIC can vanish and come back under the same name) */
	bool up;      /* IFF_UP and IFF_RUNNING: administratively up with carrier */
};

struct hal_net_stats {
	uint64_t messages;    /* rtnetlink messages read */
	uint32_t link_events; /* LINK_UP/LINK_DOWN reported */
	uint32_t addr_events; /* ADDRESS reported */
	uint32_t resyncs;     /* netlink overruns recovered by re-reading the link state */
};

struct hal_net;

struct hal_net_ops {
	const char *name;
	/* n->cfg is set; resolve the interfaces, fill n->main / n->vlan, start listening. On failure
	 * free everything and fill n->error. */
	int (*open)(struct hal_net *n);
	/* The best address of the traffic interface in `family` (AF_INET, AF_INET6, or AF_UNSPEC for
	 * IPv4 then IPv6), port 0. -EADDRNOTAVAIL when it has none. */
	int (*address)(struct hal_net *n, int family, struct sockaddr_storage *out, socklen_t *len);
	/* Set the socket's DSCP (IP_TOS / IPV6_TCLASS). dscp 0..63. */
	int (*mark_socket)(struct hal_net *n, int fd, unsigned dscp);
	int (*event_fd)(const struct hal_net *n);
	/* Read every pending notification; call cfg.on_event per change. Events reported, or -errno. */
	int (*handle_events)(struct hal_net *n);
	int (*close)(struct hal_net *n);
};

/* One instance: constant ops, mutable state. Zero-initialise, then hal_net_open(). */
struct hal_net {
	const struct hal_net_ops *ops;
	struct hal_net_config cfg;
	struct hal_net_link main; /* the NIC */
	struct hal_net_link vlan; /* the voice VLAN interface; index 0 when the board names none */
	struct hal_net_stats stats;
	bool opened;
	char note[HAL_NET_NOTE_MAX];   /* how the NIC was chosen, for the start-up log line */
	char error[HAL_NET_ERROR_MAX]; /* the last failure in words; "" when none */
	void *priv;
};

/* The backend called `name` ("linux", "null"), or NULL. */
const struct hal_net_ops *hal_net_find(const char *name);
/* Backend names joined by ", ", for error messages. */
const char *hal_net_backend_names(void);

/* Copy cfg into n, reset state (used by hal_net_open). -EINVAL for names too long. */
int hal_net_bind(struct hal_net *n, const struct hal_net_ops *ops, const struct hal_net_config *cfg);
/* Look the backend up by name and open it; an unknown name is -ENOENT naming the known ones. */
int hal_net_open_by_name(struct hal_net *n, const char *backend, const struct hal_net_config *cfg);

/* DSCP from StartMediaTransmission's precedenceValue, which CallManager fills with an IP TOS byte
 * (0xB8 = EF): its upper six bits. 0 (not given) and values beyond a byte give EF. */
unsigned hal_net_dscp_from_tos(uint32_t precedence);
/* What every backend's mark_socket does, for code that holds no hal_net instance (the media
 * thread): IP_TOS for IPv4 sockets; IPV6_TCLASS (and IP_TOS, for v4-mapped peers) for IPv6 ones.
 * 0, -EINVAL (dscp > 63), -EAFNOSUPPORT (not an IP socket) or -errno. */
int hal_net_set_dscp(int fd, unsigned dscp);
/* The DSCP a socket carries now (IP_TOS or IPV6_TCLASS read back), or -errno. */
int hal_net_socket_dscp(int fd);
/* The address as text ("192.0.2.10", "2001:db8::10") for log lines. */
const char *hal_net_ntop(const struct sockaddr_storage *ss, char *buf, size_t cap);

/* The interface traffic leaves by: the VLAN interface when there is one, else the NIC. */
static inline const struct hal_net_link *hal_net_traffic_link(const struct hal_net *n)
{
	return n->vlan.name[0] ? &n->vlan : &n->main;
}

/* Traffic can flow: the NIC is up with carrier, and so is the VLAN interface if there is one. */
static inline bool hal_net_usable(const struct hal_net *n)
{
	return n->main.up && (n->vlan.name[0] == '\0' || n->vlan.up);
}

static inline int hal_net_open(struct hal_net *n, const struct hal_net_ops *ops,
                               const struct hal_net_config *cfg)
{
	int rc = hal_net_bind(n, ops, cfg);
	if (rc != 0)
		return rc;
	if (ops->open == NULL)
		return -ENOSYS;
	rc = ops->open(n);
	n->opened = (rc == 0);
	return rc;
}

static inline int hal_net_address(struct hal_net *n, int family, struct sockaddr_storage *out, socklen_t *len)
{
	if (!n->opened)
		return -EBADF;
	if (n->ops->address == NULL)
		return -ENOSYS;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	return n->ops->address(n, family, out, len);
}

static inline int hal_net_mark_socket(struct hal_net *n, int fd, unsigned dscp)
{
	if (!n->opened)
		return -EBADF;
	if (n->ops->mark_socket == NULL)
		return -ENOSYS;
	if (fd < 0 || dscp > 63)
		return -EINVAL;
	return n->ops->mark_socket(n, fd, dscp);
}

static inline int hal_net_event_fd(const struct hal_net *n)
{
	if (!n->opened)
		return -EBADF;
	if (n->ops->event_fd == NULL)
		return -ENOSYS;
	return n->ops->event_fd(n);
}

static inline int hal_net_handle_events(struct hal_net *n)
{
	if (!n->opened)
		return -EBADF;
	if (n->ops->handle_events == NULL)
		return -ENOSYS;
	return n->ops->handle_events(n);
}

/* Safe on an instance that never opened or is already closed (returns 0). */
static inline int hal_net_close(struct hal_net *n)
{
	if (!n->opened)
		return 0;
	n->opened = false;
	if (n->ops->close == NULL)
		return -ENOSYS;
	return n->ops->close(n);
}

/* Null twin only: queue an event as if the kernel had reported it (LINK_UP/LINK_DOWN update the
 * link state first; ADDRESS uses `family`). The event fd becomes readable; -EINVAL on another
 * backend, -ENOSPC when 32 events are already queued. */
int hal_net_null_inject(struct hal_net *n, enum hal_net_event_type type, bool vlan, int family);

#endif
