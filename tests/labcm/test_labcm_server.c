/* The lab CallManager server over real sockets: the real labcm (event loop, directory, connection
 * slots) and real port state machines as its clients, each on its own TCP connection to
 * 127.0.0.1, driven in turn from one thread. 1000 ports register; a unknown name and a duplicate
 * are refused; a test call is answered and hung up; MWI sets a lamp; lost keepalives drop a
 * device with reason 13. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock/hal_clock.h"
#include "labcm/labcm_internal.h"
#include "sccp/sccp_port.h"

struct client {
	struct sccp_port port;
	struct sccp_port_output out;
	struct sccp_stream rx;
	int fd;
	bool drop_keepalive;
	int registered, rejected, calls_ended, mwi_done, downs;
	char reject_text[33];
	enum sccp_port_mwi_result last_mwi;
	uint32_t last_call_ref;
};

static struct labcm *lab;
static struct client *clients;
static size_t n_clients;
static uint16_t tcp_port;
static char state_dir[128];

static void client_event(struct client *c, const struct sccp_port_event *ev);

static void client_send(struct client *c, const struct sccp_msg *m)
{
	if (c->fd < 0 || (c->drop_keepalive && m->id == SCCP_KEEPALIVE))
		return;
	uint8_t buf[SCCP_MAX_PDU];
	int n = sccp_encode(m, buf, sizeof(buf));
	assert_true(n > 0);
	for (int off = 0; off < n;) {
		ssize_t w = send(c->fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue; /* small messages into a large buffer: practically never */
		if (w < 0)
			return; /* the server closed: the read side will see it */
		off += (int)w;
	}
}

static void client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	c->downs++;
	client_event(c, &(struct sccp_port_event){.type = PORT_EV_TRANSPORT_DOWN});
}

static void client_event(struct client *c, const struct sccp_port_event *ev)
{
	sccp_port_handle(&c->port, ev, hal_clock_now_ms(), &c->out);
	assert_int_equal(c->port.stats.output_overflow, 0);
	for (size_t i = 0; i < c->out.n_msgs; i++)
		client_send(c, &c->out.msgs[i]);
	struct sccp_port_action acts[SCCP_PORT_MAX_ACTS];
	size_t n = c->out.n_acts;
	memcpy(acts, c->out.acts, n * sizeof(acts[0]));
	for (size_t i = 0; i < n; i++) {
		const struct sccp_port_action *a = &acts[i];
		switch (a->type) {
		case PORT_ACT_REGISTERED:
			c->registered++;
			break;
		case PORT_ACT_REJECTED:
			c->rejected++;
			snprintf(c->reject_text, sizeof(c->reject_text), "%s", a->u.rejected.text);
			break;
		case PORT_ACT_CLOSE_TRANSPORT:
			client_close(c);
			break;
		case PORT_ACT_OPEN_RX: {
			struct sccp_port_event r = {.type = PORT_EV_RX_OPENED};
			r.u.rx_opened.pass_through_party_id = a->u.media.pass_through_party_id;
			memcpy(r.u.rx_opened.ip, (uint8_t[]){127, 0, 0, 1}, 4);
			r.u.rx_opened.port = 30000;
			client_event(c, &r);
			break;
		}
		case PORT_ACT_CALL_ENDED:
			c->calls_ended++;
			c->last_call_ref = a->u.call_ended.call_reference;
			break;
		case PORT_ACT_MWI_DONE:
			c->mwi_done++;
			c->last_mwi = a->u.mwi_done.result;
			break;
		default:
			break;
		}
	}
	sccp_secure_wipe(acts, sizeof(acts));
}

static void client_connect(struct client *c, const char *name, uint32_t seed)
{
	struct sccp_port_config cfg;
	sccp_port_config_defaults(&cfg);
	snprintf(cfg.device_name, sizeof(cfg.device_name), "%s", name);
	memcpy(cfg.station_ip, (uint8_t[]){127, 0, 0, 1}, 4);
	cfg.rng_seed = seed;
	memset(c, 0, sizeof(*c));
	assert_int_equal(sccp_port_init(&c->port, &cfg), 0);
	sccp_stream_init(&c->rx);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(tcp_port), .sin_addr.s_addr = htonl(0x7F000001)};
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect: %s", strerror(errno));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	client_event(c, &(struct sccp_port_event){.type = PORT_EV_TRANSPORT_UP});
}

static void client_poll(struct client *c)
{
	uint8_t buf[4096];
	while (c->fd >= 0) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(c);
			return;
		}
		if (n < 0)
			break;
		for (size_t off = 0; off < (size_t)n;) {
			off += sccp_stream_feed(&c->rx, buf + off, (size_t)n - off);
			struct sccp_msg m;
			int rc;
			while ((rc = sccp_stream_next(&c->rx, &m)) != 0) {
				assert_int_equal(rc, 1);
				client_event(c,
				             &(struct sccp_port_event){.type = PORT_EV_MESSAGE, .u.msg = &m});
			}
		}
	}
	if (sccp_port_next_deadline(&c->port) <= hal_clock_now_ms())
		client_event(c, &(struct sccp_port_event){.type = PORT_EV_TIMER});
}

/* Server and clients in turn for `ms` milliseconds, or until done() says so. */
static void pump_until(uint64_t ms, bool (*done)(void))
{
	uint64_t end = hal_clock_now_ms() + ms;
	while (hal_clock_now_ms() < end) {
		assert_int_equal(labcm_run_once(lab, 1), 0);
		for (size_t i = 0; i < n_clients; i++)
			client_poll(&clients[i]);
		if (done && done())
			return;
	}
}

static bool all_registered(void)
{
	return lab->registered == n_clients;
}

static void start_lab(unsigned devices, unsigned keepalive_s)
{
	tcp_port = (uint16_t)(23000 + getpid() % 2000);
	snprintf(state_dir, sizeof(state_dir), "/tmp/labcm-test-%d", (int)getpid());
	char text[1024], err[512];
	snprintf(
	    text, sizeof(text),
	    "[labcm]\nlisten = 127.0.0.1\nsccp_port = %u\ntls_port = 0\ntftp_port = 0\nstate_dir = %s\n"
	    "mwi_on_number = 9999991\nmwi_off_number = 9999990\nkeepalive = %u\nkeepalive_grace_ms = 500\n"
	    "caller_rtp_min = %u\ncaller_rtp_max = %u\n"
	    "[devices]\nprefix = CiscoUM1-VI\ncount = %u\nfirst_dn = 8001\nsecurity_mode = nonsecure\n",
	    tcp_port, state_dir, keepalive_s, tcp_port + 10000u, tcp_port + 10200u, devices);
	struct labcm_config cfg;
	if (labcm_config_parse_string(&cfg, text, "test", err, sizeof(err)) < 0)
		fail_msg("%s", err);
	if (labcm_create(&cfg, &lab, err, sizeof(err)) < 0)
		fail_msg("labcm_create: %s", err);
	clients = calloc(devices + 2, sizeof(*clients));
	assert_non_null(clients);
	n_clients = 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_clients; i++)
		if (clients[i].fd >= 0)
			close(clients[i].fd);
	free(clients);
	clients = NULL;
	n_clients = 0;
	labcm_destroy(lab);
	lab = NULL;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void connect_ports(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "CiscoUM1-VI%u", (unsigned)(i + 1) % 10000u);
		client_connect(&clients[n_clients++], name, (uint32_t)i + 1);
		if (i % 50 == 49)
			pump_until(5, NULL); /* let the server accept as they come */
	}
}

static void test_thousand_ports(void **state)
{
	(void)state;
	start_lab(1000, 30);
	uint64_t t0 = hal_clock_now_ms();
	connect_ports(1000);
	pump_until(30000, all_registered);
	uint64_t took = hal_clock_now_ms() - t0;
	pump_until(300, NULL); /* the last ports' LineStatRes and DefineTimeDate */
	assert_int_equal(lab->registered, 1000);
	for (size_t i = 0; i < n_clients; i++) {
		assert_int_equal(clients[i].registered, 1);
		assert_int_equal(sccp_port_state(&clients[i].port), SCCP_PORT_IDLE);
		char dn[8];
		snprintf(dn, sizeof(dn), "%zu", 8001 + i);
		assert_string_equal(sccp_port_directory_number(&clients[i].port), dn);
	}
	assert_int_equal(lab->conns_in_use, 1000);
	assert_int_equal(lab->stats.rejects, 0);
	print_message("1000 ports registered in %llu ms\n", (unsigned long long)took);

	/* A duplicate of a registered name, and a name nobody provisioned. */
	client_connect(&clients[n_clients++], "CiscoUM1-VI7", 99);
	client_connect(&clients[n_clients++], "Nobody-VI1", 100);
	pump_until(2000, NULL);
	assert_int_equal(clients[1000].rejected, 1);
	assert_string_equal(clients[1000].reject_text, CM_REJECT_DUPLICATE);
	assert_int_equal(clients[1001].rejected, 1);
	assert_string_equal(clients[1001].reject_text, CM_REJECT_UNKNOWN);
	assert_int_equal(lab->registered, 1000);
	assert_int_equal(lab->stats.rejects, 2);
	assert_int_equal(lab->conns_in_use, 1000); /* both refused connections were closed */
	/* The original CiscoUM1-VI7 is untouched. */
	assert_int_equal(sccp_port_state(&clients[6].port), SCCP_PORT_IDLE);
	assert_true(labcm_dir_by_name(lab, "CiscoUM1-VI7")->conn != NULL);
}

static struct labcm_call *the_call;
static bool call_ended(void)
{
	return the_call->state == LABCM_CALL_ENDED;
}

static void test_call_and_mwi(void **state)
{
	(void)state;
	start_lab(4, 30);
	connect_ports(4);
	pump_until(5000, all_registered);
	assert_int_equal(lab->registered, 4);

	char err[256];
	the_call = labcm_call_place(lab, "2002", "1001", true, 1, NULL, NULL, err, sizeof(err));
	assert_non_null(the_call);
	pump_until(200, NULL);
	assert_int_equal(the_call->state, LABCM_CALL_ANSWERED);
	assert_int_equal(the_call->device_port, 30000);
	pump_until(3000, call_ended);
	assert_int_equal(the_call->state, LABCM_CALL_ENDED);
	assert_int_equal(the_call->end_reason, CM_CALL_END_CALLER_HANGUP);
	uint64_t dur = the_call->ended_ms - the_call->answered_ms;
	assert_true(dur >= 1000 && dur < 1500);
	struct client *c = &clients[the_call->device_index];
	assert_int_equal(c->calls_ended, 1);
	assert_int_equal(c->last_call_ref, the_call->id);
	assert_int_equal(labcm_dir_by_name(lab, the_call->device_name)->calls, 1);

	/* A direct call needs a device with that DN; a DN nobody has is refused. */
	assert_null(labcm_call_place(lab, "2002", "5555", false, 1, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no device has DN 5555"));
	struct labcm_call *direct =
	    labcm_call_place(lab, "2002", "8003", false, 1, NULL, NULL, err, sizeof(err));
	assert_non_null(direct);
	assert_string_equal(direct->device_name, "CiscoUM1-VI3");
	pump_until(200, NULL);
	assert_int_equal(direct->state, LABCM_CALL_ANSWERED);
	labcm_call_hangup(lab, direct);
	the_call = direct; /* over at SCCP at once; ended once the media channel reported */
	pump_until(3000, call_ended);
	assert_int_equal(direct->state, LABCM_CALL_ENDED);
	assert_int_equal(direct->end_reason, CM_CALL_END_CALLER_HANGUP);

	/* MWI on, then off: the lamp follows. */
	struct sccp_port_event ev = {.type = PORT_EV_MWI};
	strcpy(ev.u.mwi.extension, "1001");
	strcpy(ev.u.mwi.dial, "9999991");
	ev.u.mwi.on = true;
	client_event(&clients[1], &ev);
	pump_until(300, NULL);
	assert_int_equal(clients[1].mwi_done, 1);
	assert_int_equal(clients[1].last_mwi, SCCP_MWI_DIALLED);
	assert_non_null(labcm_lamp_get(lab, "1001"));
	assert_true(labcm_lamp_get(lab, "1001")->on);
	strcpy(ev.u.mwi.dial, "9999990");
	ev.u.mwi.on = false;
	client_event(&clients[2], &ev);
	pump_until(300, NULL);
	assert_false(labcm_lamp_get(lab, "1001")->on);
	assert_int_equal(labcm_lamp_get(lab, "1001")->changes, 2);
	assert_null(labcm_lamp_get(lab, "1002"));
}

static bool first_down(void)
{
	return clients[0].downs > 0;
}

static void test_keepalive_loss(void **state)
{
	(void)state;
	start_lab(2, 1); /* keepalive 1 s: dropped after 2 × 1 s + 0.5 s */
	connect_ports(2);
	pump_until(5000, all_registered);
	clients[0].drop_keepalive = true;
	uint64_t t0 = hal_clock_now_ms();
	pump_until(6000, first_down);
	uint64_t took = hal_clock_now_ms() - t0;
	assert_int_equal(clients[0].downs, 1);
	assert_true(took >= 1500 && took < 4000);
	assert_int_equal(lab->stats.keepalive_timeouts, 1);
	assert_non_null(strstr(labcm_dir_by_name(lab, "CiscoUM1-VI1")->last_event, "KeepAliveTimeout (13)"));
	assert_null(labcm_dir_by_name(lab, "CiscoUM1-VI1")->conn);
	/* The other port kept its keepalives going and stays. */
	assert_int_equal(clients[1].downs, 0);
	assert_int_equal(lab->registered, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_thousand_ports, teardown),
	    cmocka_unit_test_teardown(test_call_and_mwi, teardown),
	    cmocka_unit_test_teardown(test_keepalive_loss, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
