/* hal/net: the null twin, the shared helpers, and the backend table. The linux backend against
 * a real kernel is test_boardhal_netns (network namespaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/hal_net.h"

static struct hal_net_event seen[8];
static size_t n_seen;

static void on_event(void *arg, const struct hal_net_event *ev)
{
	(void)arg;
	if (n_seen < 8)
		seen[n_seen++] = *ev;
}

static void test_backends_by_name(void **state)
{
	(void)state;
	assert_non_null(hal_net_find("linux"));
	assert_non_null(hal_net_find("null"));
	assert_null(hal_net_find("bogus"));
	assert_null(hal_net_find(NULL));
	struct hal_net n;
	struct hal_net_config cfg = {0};
	assert_int_equal(hal_net_open_by_name(&n, "bogus", &cfg), -ENOENT);
	assert_non_null(strstr(n.error, "linux, null"));
	/* Never opened: every wrapper refuses, close is harmless. */
	struct sockaddr_storage ss;
	assert_int_equal(hal_net_address(&n, AF_INET, &ss, NULL), -EBADF);
	assert_int_equal(hal_net_event_fd(&n), -EBADF);
	assert_int_equal(hal_net_close(&n), 0);
}

static void test_config_checks(void **state)
{
	(void)state;
	struct hal_net n;
	struct hal_net_config cfg = {.ifname = "eth0", .vlan = "eth0"};
	assert_int_equal(hal_net_open_by_name(&n, "null", &cfg), -EINVAL);
	assert_non_null(strstr(n.error, "NIC itself"));
	memset(&cfg, 'x', sizeof(cfg.ifname)); /* no terminator */
	assert_int_equal(hal_net_open_by_name(&n, "null", &cfg), -EINVAL);
}

static void test_dscp_from_tos(void **state)
{
	(void)state;
	assert_int_equal(hal_net_dscp_from_tos(0xB8), HAL_NET_DSCP_EF); /* CallManager's usual value */
	assert_int_equal(hal_net_dscp_from_tos(0x60), HAL_NET_DSCP_CS3);
	assert_int_equal(hal_net_dscp_from_tos(0xA0), 40);              /* CS5 */
	assert_int_equal(hal_net_dscp_from_tos(0xB9), HAL_NET_DSCP_EF); /* ECN bits ignored */
	assert_int_equal(hal_net_dscp_from_tos(0), HAL_NET_DSCP_EF);    /* not given: EF */
	assert_int_equal(hal_net_dscp_from_tos(0x1B8), HAL_NET_DSCP_EF);
}

static void test_null_twin(void **state)
{
	(void)state;
	struct hal_net n;
	struct hal_net_config cfg = {.vlan = "lo.100", .on_event = on_event};
	n_seen = 0;
	assert_int_equal(hal_net_open_by_name(&n, "null", &cfg), 0);
	assert_string_equal(n.main.name, "lo");
	assert_string_equal(hal_net_traffic_link(&n)->name, "lo.100");
	assert_true(hal_net_usable(&n));

	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];
	assert_int_equal(hal_net_address(&n, AF_INET, &ss, &len), 0);
	assert_string_equal(hal_net_ntop(&ss, text, sizeof(text)), "127.0.0.1");
	assert_int_equal(hal_net_address(&n, AF_INET6, &ss, &len), 0);
	assert_string_equal(hal_net_ntop(&ss, text, sizeof(text)), "::1");
	assert_int_equal(hal_net_address(&n, AF_PACKET, &ss, &len), -EAFNOSUPPORT);

	/* Nothing pending: the fd is quiet. */
	struct pollfd pfd = {.fd = hal_net_event_fd(&n), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 0);

	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_LINK_DOWN, false, 0), 0);
	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_LINK_DOWN, false, 0), 0); /* no change */
	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_ADDRESS, true, AF_INET6), 0);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(hal_net_handle_events(&n), 2);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(n_seen, 2);
	assert_int_equal(seen[0].type, HAL_NET_EV_LINK_DOWN);
	assert_string_equal(seen[0].ifname, "lo");
	assert_false(seen[0].usable);
	assert_int_equal(seen[1].type, HAL_NET_EV_ADDRESS);
	assert_true(seen[1].vlan);
	assert_int_equal(seen[1].family, AF_INET6);

	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_LINK_DOWN, true, 0), 0);
	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_LINK_UP, false, 0), 0);
	assert_int_equal(hal_net_handle_events(&n), 2);
	assert_false(seen[3].usable); /* NIC back, VLAN still down */
	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_LINK_UP, true, 0), 0);
	assert_int_equal(hal_net_handle_events(&n), 1);
	assert_true(seen[4].usable);
	assert_int_equal(n.stats.link_events, 4);
	assert_int_equal(n.stats.addr_events, 1);

	for (int i = 0; i < 32; i++)
		assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_ADDRESS, false, AF_INET), 0);
	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_ADDRESS, false, AF_INET), -ENOSPC);
	assert_int_equal(hal_net_close(&n), 0);
	assert_int_equal(hal_net_null_inject(&n, HAL_NET_EV_LINK_UP, false, 0), -EINVAL);
}

/* DSCP marking needs no device: checked on loopback sockets with either backend. */
static void test_mark_sockets(void **state)
{
	(void)state;
	struct hal_net n;
	struct hal_net_config cfg = {0};
	assert_int_equal(hal_net_open_by_name(&n, "null", &cfg), 0);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0), t4 = socket(AF_INET, SOCK_STREAM, 0);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0), un = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(u4 >= 0 && t4 >= 0 && u6 >= 0 && un >= 0);
	assert_int_equal(hal_net_socket_dscp(u4), 0);
	assert_int_equal(hal_net_mark_socket(&n, u4, HAL_NET_DSCP_EF), 0);
	assert_int_equal(hal_net_socket_dscp(u4), 46);
	assert_int_equal(hal_net_mark_socket(&n, t4, HAL_NET_DSCP_CS3), 0);
	assert_int_equal(hal_net_socket_dscp(t4), 24);
	assert_int_equal(hal_net_mark_socket(&n, u6, HAL_NET_DSCP_EF), 0);
	assert_int_equal(hal_net_socket_dscp(u6), 46);
	int tos = 0;
	socklen_t len = sizeof(tos);
	assert_int_equal(getsockopt(u6, IPPROTO_IP, IP_TOS, &tos, &len), 0);
	assert_int_equal(tos, 0xB8); /* v4-mapped peers get the mark too */
	assert_int_equal(hal_net_mark_socket(&n, un, HAL_NET_DSCP_EF), -EAFNOSUPPORT);
	assert_int_equal(hal_net_mark_socket(&n, u4, 64), -EINVAL);
	assert_int_equal(hal_net_mark_socket(&n, -1, 0), -EINVAL);
	/* The instance-free form the media thread uses. */
	assert_int_equal(hal_net_set_dscp(u4, 34), 0); /* AF41 */
	assert_int_equal(hal_net_socket_dscp(u4), 34);
	assert_int_equal(hal_net_set_dscp(u4, 64), -EINVAL);
	close(u4);
	close(t4);
	close(u6);
	close(un);
	hal_net_close(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backends_by_name), cmocka_unit_test(test_config_checks),
	    cmocka_unit_test(test_dscp_from_tos),    cmocka_unit_test(test_null_twin),
	    cmocka_unit_test(test_mark_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
