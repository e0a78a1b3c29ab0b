/* hal/net "linux" against the real kernel, inside network namespaces that
 * test_boardhal_netns.sh creates (never the host's own network). Run by that script as
 *   ip netns exec $NS_A boardhal_netns
 * with VMPORT_NS_B naming the peer namespace. Namespace A holds:
 *   va0  10.231.0.1/24  fd31::1/64   peer vb0 in B (10.231.0.2, fd31::2)
 *   va1  10.231.1.1/24               peer vb1 in B (10.231.1.2); A's default route goes via vb1
 * Link changes are made with ip(8): on A's side (administrative down) and on B's side (the peer
 * going down takes the carrier away, as a pulled cable does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/hal_net.h"

#define MAX_EVENTS 256

static struct hal_net_event events[MAX_EVENTS];
static size_t n_events;
static const char *ns_b;

static void on_event(void *arg, const struct hal_net_event *ev)
{
	(void)arg;
	if (n_events < MAX_EVENTS)
		events[n_events++] = *ev;
	print_message("  event: %s %s%s%s usable=%d\n",
	              ev->type == HAL_NET_EV_LINK_UP     ? "LINK_UP"
	              : ev->type == HAL_NET_EV_LINK_DOWN ? "LINK_DOWN"
	                                                 : "ADDRESS",
	              ev->ifname, ev->vlan ? " (vlan)" : "", ev->removed ? " removed" : "", ev->usable);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool want_removed; /* find_event: only LINK_DOWN events that say the interface is gone */

static const struct hal_net_event *find_event(enum hal_net_event_type type, const char *ifname)
{
	for (size_t i = 0; i < n_events; i++)
		if (events[i].type == type && strcmp(events[i].ifname, ifname) == 0 &&
		    (!want_removed || events[i].removed))
			return &events[i];
	return NULL;
}

/* Run the event fd through poll + handle, as the event loop would, until the event arrives. */
static const struct hal_net_event *wait_event(struct hal_net *n, enum hal_net_event_type type,
                                              const char *ifname)
{
	uint64_t deadline = now_ms() + 5000;
	for (;;) {
		const struct hal_net_event *ev = find_event(type, ifname);
		if (ev)
			return ev;
		uint64_t now = now_ms();
		if (now >= deadline)
			return NULL;
		struct pollfd pfd = {.fd = hal_net_event_fd(n), .events = POLLIN};
		int rc = poll(&pfd, 1, (int)(deadline - now));
		assert_true(rc >= 0);
		if (rc > 0)
			assert_true(hal_net_handle_events(n) >= 0);
	}
}

static void open_linux(struct hal_net *n, const char *ifname, const char *vlan)
{
	struct hal_net_config cfg = {.on_event = on_event};
	snprintf(cfg.ifname, sizeof(cfg.ifname), "%s", ifname);
	snprintf(cfg.vlan, sizeof(cfg.vlan), "%s", vlan);
	int rc = hal_net_open_by_name(n, "linux", &cfg);
	if (rc != 0)
		fail_msg("open %s: %s", ifname, n->error);
	n_events = 0;
}

static void assert_address(struct hal_net *n, int family, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	assert_int_equal(hal_net_address(n, family, &ss, &len), 0);
	char text[64];
	assert_string_equal(hal_net_ntop(&ss, text, sizeof(text)), want);
	assert_int_equal(len,
	                 ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}

static void test_default_route_interface(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "", "");
	assert_string_equal(n.main.name, "va1");
	assert_true(n.main.up);
	assert_true(hal_net_usable(&n));
	assert_non_null(strstr(n.note, "IPv4 default route"));
	assert_address(&n, AF_INET, "10.231.1.1");
	assert_address(&n, AF_UNSPEC, "10.231.1.1");
	/* va1 has only its link-local IPv6 address, which never carries Register or media. */
	struct sockaddr_storage ss;
	assert_int_equal(hal_net_address(&n, AF_INET6, &ss, NULL), -EADDRNOTAVAIL);
	hal_net_close(&n);
}

static void test_named_interface(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va0", "");
	assert_string_equal(n.main.name, "va0");
	assert_string_equal(n.note, "named by the board");
	assert_address(&n, AF_INET, "10.231.0.1");
	assert_address(&n, AF_INET6, "fd31::1"); /* not the fe80:: one */
	hal_net_close(&n);
}

static void test_missing_interface_is_named(void **state)
{
	(void)state;
	struct hal_net n;
	struct hal_net_config cfg = {.ifname = "nosuch0"};
	assert_int_equal(hal_net_open_by_name(&n, "linux", &cfg), -ENODEV);
	assert_non_null(strstr(n.error, "nosuch0"));
	struct hal_net_config vcfg = {.ifname = "va0", .vlan = "nosuch0.100"};
	assert_int_equal(hal_net_open_by_name(&n, "linux", &vcfg), -ENODEV);
	assert_non_null(strstr(n.error, "nosuch0.100"));
}

static void test_peer_down_is_carrier_loss(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va0", "");
	sh("ip -n %s link set vb0 down", ns_b);
	const struct hal_net_event *ev = wait_event(&n, HAL_NET_EV_LINK_DOWN, "va0");
	assert_non_null(ev);
	assert_false(ev->usable);
	assert_false(ev->removed);
	assert_int_equal(ev->ifindex, n.main.index);
	assert_false(hal_net_usable(&n));
	sh("ip -n %s link set vb0 up", ns_b);
	ev = wait_event(&n, HAL_NET_EV_LINK_UP, "va0");
	assert_non_null(ev);
	assert_true(ev->usable);
	/* Only changes are reported: one down, one up, however many RTM_NEWLINK came. */
	size_t links = 0;
	for (size_t i = 0; i < n_events; i++)
		links += events[i].type != HAL_NET_EV_ADDRESS;
	assert_int_equal(links, 2);
	assert_true(n.stats.messages >= 2);
	hal_net_close(&n);
}

static void test_admin_down_up(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va0", "");
	sh("ip link set va0 down");
	assert_non_null(wait_event(&n, HAL_NET_EV_LINK_DOWN, "va0"));
	sh("ip link set va0 up");
	const struct hal_net_event *ev = wait_event(&n, HAL_NET_EV_LINK_UP, "va0");
	assert_non_null(ev);
	assert_true(ev->usable);
	/* An unrelated interface changing says nothing about ours. */
	n_events = 0;
	sh("ip link set va1 down && ip link set va1 up && ip route replace default via 10.231.1.2 dev va1");
	usleep(200 * 1000);
	assert_true(hal_net_handle_events(&n) >= 0);
	assert_null(find_event(HAL_NET_EV_LINK_DOWN, "va1"));
	assert_int_equal(n_events, 0);
	hal_net_close(&n);
}

static void test_address_events(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va0", "");
	sh("ip addr add 10.231.0.9/24 dev va0");
	const struct hal_net_event *ev = wait_event(&n, HAL_NET_EV_ADDRESS, "va0");
	assert_non_null(ev);
	assert_true(ev->added);
	assert_int_equal(ev->family, AF_INET);
	assert_address(&n, AF_INET, "10.231.0.1"); /* the primary stays first choice */
	n_events = 0;
	sh("ip addr del 10.231.0.9/24 dev va0");
	ev = wait_event(&n, HAL_NET_EV_ADDRESS, "va0");
	assert_non_null(ev);
	assert_false(ev->added);
	n_events = 0;
	sh("ip addr add fd31::99/64 dev va0 nodad && ip addr del fd31::99/64 dev va0");
	ev = wait_event(&n, HAL_NET_EV_ADDRESS, "va0");
	assert_non_null(ev);
	assert_int_equal(ev->family, AF_INET6);
	hal_net_close(&n);
}

/* The kernel here has no 8021q: a second veth stands in for the voice VLAN interface. The
 * lower-device check for real VLANs cannot run; the rest (addresses from the VLAN interface,
 * traffic needs both links) can. */
static void test_voice_interface_stand_in(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va1", "va0");
	assert_string_equal(n.main.name, "va1");
	assert_string_equal(n.vlan.name, "va0");
	assert_string_equal(hal_net_traffic_link(&n)->name, "va0");
	assert_address(&n, AF_INET, "10.231.0.1");
	assert_true(hal_net_usable(&n));
	sh("ip -n %s link set vb0 down", ns_b);
	const struct hal_net_event *ev = wait_event(&n, HAL_NET_EV_LINK_DOWN, "va0");
	assert_non_null(ev);
	assert_true(ev->vlan);
	assert_false(ev->usable);
	sh("ip -n %s link set vb0 up", ns_b);
	ev = wait_event(&n, HAL_NET_EV_LINK_UP, "va0");
	assert_non_null(ev);
	assert_true(ev->usable);
	n_events = 0;
	sh("ip -n %s link set vb1 down", ns_b);
	ev = wait_event(&n, HAL_NET_EV_LINK_DOWN, "va1");
	assert_non_null(ev);
	assert_false(ev->vlan);
	assert_false(ev->usable);
	sh("ip -n %s link set vb1 up", ns_b);
	assert_non_null(wait_event(&n, HAL_NET_EV_LINK_UP, "va1"));
	assert_true(hal_net_usable(&n));
	hal_net_close(&n);
	sh("ip route replace default via 10.231.1.2 dev va1");
}

/* A USB NIC unplugged and plugged back: the interface disappears, then returns under its old
 * name with a new index. */
static void test_interface_removed_and_back(void **state)
{
	(void)state;
	sh("ip link add va2 type veth peer name vb2 netns %s && ip link set va2 up && ip -n %s link set vb2 "
	   "up",
	   ns_b, ns_b);
	struct hal_net n;
	open_linux(&n, "va2", "");
	if (!n.main.up) /* the carrier may still have been coming up at open */
		assert_non_null(wait_event(&n, HAL_NET_EV_LINK_UP, "va2"));
	int old_index = n.main.index;
	n_events = 0;
	sh("ip link del va2");
	/* The kernel takes it down (LINK_DOWN), then deletes it (LINK_DOWN, removed). */
	const struct hal_net_event *ev = wait_event(&n, HAL_NET_EV_LINK_DOWN, "va2");
	assert_non_null(ev);
	want_removed = true;
	ev = wait_event(&n, HAL_NET_EV_LINK_DOWN, "va2");
	want_removed = false;
	assert_non_null(ev);
	assert_true(ev->removed);
	assert_false(ev->usable);
	assert_false(n.main.present);
	n_events = 0;
	sh("ip link add va2 type veth peer name vb2 netns %s && ip link set va2 up && ip -n %s link set vb2 "
	   "up",
	   ns_b, ns_b);
	ev = wait_event(&n, HAL_NET_EV_LINK_UP, "va2");
	assert_non_null(ev);
	assert_true(n.main.present);
	assert_int_not_equal(n.main.index, old_index);
	assert_int_equal(ev->ifindex, n.main.index);
	hal_net_close(&n);
	sh("ip link del va2");
}

/* Lost notifications (the socket's buffer overflowed) are recovered by asking the kernel. */
static void test_overrun_resyncs(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va0", "");
	int small = 1; /* the kernel rounds up to its minimum, a few KiB */
	assert_int_equal(setsockopt(hal_net_event_fd(&n), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	sh("for i in $(seq 101 160); do ip addr add 10.231.0.$i/24 dev va0; done; ip -n %s link set vb0 "
	   "down; "
	   "for i in $(seq 101 160); do ip addr del 10.231.0.$i/24 dev va0; done",
	   ns_b);
	assert_non_null(wait_event(&n, HAL_NET_EV_LINK_DOWN, "va0"));
	assert_true(n.stats.resyncs >= 1);
	assert_false(hal_net_usable(&n));
	sh("ip -n %s link set vb0 up", ns_b);
	assert_non_null(wait_event(&n, HAL_NET_EV_LINK_UP, "va0"));
	hal_net_close(&n);
}

/* Marks read back with getsockopt; the script also checks them in a capture taken in B. */
static void test_dscp_marks(void **state)
{
	(void)state;
	struct hal_net n;
	open_linux(&n, "va0", "");

	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(udp >= 0);
	assert_int_equal(hal_net_mark_socket(&n, udp, hal_net_dscp_from_tos(0xB8)), 0);
	assert_int_equal(hal_net_socket_dscp(udp), HAL_NET_DSCP_EF);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(40000)};
	inet_pton(AF_INET, "10.231.0.2", &to.sin_addr);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sendto(udp, "rtp", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	close(udp);

	int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(tcp >= 0);
	assert_int_equal(hal_net_mark_socket(&n, tcp, HAL_NET_DSCP_CS3), 0);
	assert_int_equal(hal_net_socket_dscp(tcp), HAL_NET_DSCP_CS3);
	struct sockaddr_in cm = {.sin_family = AF_INET, .sin_port = htons(2000)};
	inet_pton(AF_INET, "10.231.0.2", &cm.sin_addr);
	connect(tcp, (struct sockaddr *)&cm, sizeof(cm)); /* the SYN carries the mark; B answers RST */
	usleep(100 * 1000);
	close(tcp);

	int udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_true(udp6 >= 0);
	assert_int_equal(hal_net_mark_socket(&n, udp6, HAL_NET_DSCP_EF), 0);
	assert_int_equal(hal_net_socket_dscp(udp6), HAL_NET_DSCP_EF);
	struct sockaddr_in6 to6 = {.sin6_family = AF_INET6, .sin6_port = htons(40002)};
	inet_pton(AF_INET6, "fd31::2", &to6.sin6_addr);
	/* Spread over 1.5 s: the first ones wait for neighbour discovery, which a peer whose link
	 * has just come up may answer only after the kernel's link watch has run (up to 1 s). */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(sendto(udp6, "rtp6", 4, 0, (struct sockaddr *)&to6, sizeof(to6)), 4);
		usleep(150 * 1000);
	}
	close(udp6);

	assert_int_equal(hal_net_mark_socket(&n, 12345, HAL_NET_DSCP_EF), -EBADF);
	assert_int_equal(hal_net_mark_socket(&n, 0, 64), -EINVAL);
	hal_net_close(&n);
}

int main(void)
{
	ns_b = getenv("VMPORT_NS_B");
	if (ns_b == NULL) {
		fprintf(stderr,
		        "boardhal_netns: run me through test_boardhal_netns.sh (needs VMPORT_NS_B)\n");
		return 2;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dscp_marks), /* first: before the links flap (see there) */
	    cmocka_unit_test(test_default_route_interface),
	    cmocka_unit_test(test_named_interface),
	    cmocka_unit_test(test_missing_interface_is_named),
	    cmocka_unit_test(test_peer_down_is_carrier_loss),
	    cmocka_unit_test(test_admin_down_up),
	    cmocka_unit_test(test_address_events),
	    cmocka_unit_test(test_voice_interface_stand_in),
	    cmocka_unit_test(test_interface_removed_and_back),
	    cmocka_unit_test(test_overrun_resyncs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
