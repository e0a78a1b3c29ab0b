/* Test bench: the real port state machine (sccp_port.h) and the lab CallManager's device state
 * machine (cm_device.h) connected back to back, with a fake clock.
 *
 * Every message either side sends is encoded with sccp_encode and decoded with sccp_decode
 * before the other side sees it, and travels through an in-order queue (a TCP connection). A
 * CLOSE from either side works like a socket close: the closer stops hearing, the other side
 * gets what was already sent and then TRANSPORT_DOWN. The bench plays the port's media side
 * (OPEN_RX is answered at once with 10.0.0.5:20000) and the lab's provisioning table. Every
 * output is checked: each message encodes and decodes to the same id, its header version is the
 * one the sender negotiated, and no output overflowed. */
#ifndef VMPORT_TEST_CM_BENCH_H
#define VMPORT_TEST_CM_BENCH_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sccp/cm_device.h"
#include "sccp/sccp_msg.h"
#include "sccp/sccp_port.h"

#define B_MAX_LOG 512
#define B_MAX_QUEUE 64
#define B_MAX_PROV 8

struct b_prov {
	char name[SCCP_DEVICE_NAME_LEN + 1];
	struct cm_provision prov;
	bool registered_elsewhere;
};

struct b_trace {
	bool to_cm; /* direction: port → CM */
	uint32_t id;
	uint32_t hv;
};

struct bench {
	struct sccp_port_config pcfg;
	struct sccp_port port;
	struct sccp_port_output pout;
	struct cm_device_config ccfg;
	struct cm_device cm;
	struct cm_device_output cout;
	struct cm_transport transport;
	uint64_t now;
	uint64_t unix_ms;

	struct b_prov provs[B_MAX_PROV];
	size_t n_provs;
	unsigned lookups;

	/* The connection: encoded PDUs in flight each way. */
	struct {
		uint8_t pdu[SCCP_MAX_PDU];
		size_t len;
	} to_cm[B_MAX_QUEUE], to_port[B_MAX_QUEUE];
	size_t n_to_cm, n_to_port;
	bool up;
	bool cm_closed, port_closed; /* that side closed: it hears nothing more */
	bool cm_down_due, port_down_due;
	uint32_t drop_to_cm_id;  /* a message id the "network" eats on its way to CM (UINT32_MAX: none) */
	uint32_t rx_open_status; /* what the fake media side answers OPEN_RX with */
	/* Every PDU that goes onto the connection, in order (the wire test writes them to a pcap). */
	void (*tap)(bool to_cm, const uint8_t *pdu, size_t len);

	/* Everything that happened, in order. */
	struct b_trace trace[B_MAX_LOG];
	size_t n_trace;
	struct cm_device_action cm_acts[B_MAX_LOG];
	size_t n_cm_acts;
	struct sccp_port_action port_acts[B_MAX_LOG];
	size_t n_port_acts;
	/* The last decoded copy of some messages, for field checks. */
	struct sccp_msg last_call_info, last_orc, last_smt, last_register_ack, last_line_stat, last_time_date,
	    last_call_state, last_reject, last_unregister_ack;
};

extern struct bench B;

#define B_DEVICE "CiscoUM1-VI1"
#define B_DN "8001"
#define B_MWI_ON "9999991"
#define B_MWI_OFF "9999990"
#define B_PORT_IP_INIT                                                                                       \
	{                                                                                                    \
		10, 0, 0, 5                                                                                  \
	}
#define B_CALLER_IP_INIT                                                                                     \
	{                                                                                                    \
		10, 0, 0, 9                                                                                  \
	}
#define B_CALLER_PORT 30000

/* cmocka setup: port CiscoUM1-VI1 (seed 7), CM with the MWI numbers above, provisioned
 * CiscoUM1-VI1 → DN 8001 non-secure, a plain TCP transport, clock at 1000. */
int b_setup(void **state);
int b_teardown(void **state);
void b_reinit(void); /* after a test changed B.pcfg / B.ccfg */
void b_provision(const char *name, const char *dn, enum cm_security sec);
void b_use_tls(const char *peer_name, bool encrypting);

/* Connect (TRANSPORT_UP both sides) and run until quiet. */
void b_connect(void);
/* Run queued messages and events until nothing moves. */
void b_pump(void);
/* Advance the fake clock to `until`, firing every deadline of either side on the way. */
void b_run_until(uint64_t until);
void b_run_for(uint64_t ms);

/* Program events. */
void b_cm_event(const struct cm_device_event *ev);
void b_port_event(const struct sccp_port_event *ev);
void b_cm_message(struct sccp_msg *m); /* inject a message as if the device had sent it */
/* The test caller: a forwarded call from 2002 to 1001 (or a direct one to the port's DN). */
void b_offer_call(uint32_t call_ref, bool forwarded, bool srtp);
struct sccp_key_info b_key(uint8_t fill);

/* Looking at what happened since the last b_mark(). */
void b_mark(void);
size_t b_count_cm_acts(enum cm_action_type t);
size_t b_count_port_acts(enum sccp_port_action_type t);
const struct cm_device_action *b_find_cm_act(enum cm_action_type t); /* first since mark */
const struct sccp_port_action *b_find_port_act(enum sccp_port_action_type t);
size_t b_count_msgs(bool to_cm, uint32_t id);
/* Assert the messages since the mark, one direction, are exactly these ids (END_IDS ends). */
void b_expect_trace(bool to_cm, const uint32_t *ids);
/* Neither side noted anything odd, nothing overflowed. */
void b_expect_clean(void);

#define END_IDS UINT32_MAX

#endif
