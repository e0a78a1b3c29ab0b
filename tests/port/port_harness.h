/* Test harness for the port state machine: one port, a fake clock, and a scripted CallManager.
 *
 * Every message the test "CallManager" sends goes through sccp_encode + sccp_decode first, so the
 * port sees exactly what the codec would hand it. Every output is checked the same way: each
 * message encodes, carries the header version the port negotiated (Register: 0), and nothing
 * overflowed the output. */
#ifndef VMPORT_TEST_PORT_HARNESS_H
#define VMPORT_TEST_PORT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sccp/sccp_msg.h"
#include "sccp/sccp_port.h"

#define H_CALL_REF 0x01000001u
#define H_PASS 0x00ABC001u

struct harness {
	struct sccp_port_config cfg;
	struct sccp_port port;
	struct sccp_port_output out;
	uint64_t now;
	uint32_t cm_hv; /* header version the fake CallManager sends with */
};

extern struct harness H;

/* cmocka setup: default config (device CiscoUM1-VI1, seed 7), port initialised, clock at 1000. */
int h_setup(void **state);
/* Re-initialise the port after a test changed H.cfg. */
void h_reinit(void);

/* Events. Each runs sccp_port_handle and checks the output (see above). */
void h_event(const struct sccp_port_event *ev);
void h_up(void);
void h_down(void);
void h_timer(void);                 /* at H.now */
void h_advance_to_deadline(void);   /* move the clock to the next deadline and fire it */
void h_deliver(struct sccp_msg *m); /* encode, decode, hand to the port */
void h_rx_opened(uint32_t pass, uint32_t status);
void h_hangup(uint32_t call_ref);
void h_dtmf(char digit);
void h_mwi(const char *ext, const char *dial, bool on);
void h_unregister(void);

/* Messages from the fake CallManager (hv = H.cm_hv). */
struct sccp_msg h_msg(uint32_t id);
void h_send_empty(uint32_t id);
void h_send_u32(uint32_t id, uint32_t value);
void h_register_ack(uint32_t keepalive_s, uint8_t max_protocol);
void h_call_state(uint32_t state, uint32_t call_ref);
void h_call_info(uint32_t call_type, const char *calling, const char *called, const char *orig,
                 const char *last, uint32_t call_ref);
void h_open_rx(uint32_t pass, uint32_t codec, uint32_t alg, uint32_t call_ref);
void h_start_tx(uint32_t pass, uint32_t codec, uint32_t alg, uint32_t call_ref);
void h_stop_media(uint32_t id, uint32_t pass, uint32_t call_ref);

/* Scripted sequences. */
void h_register(uint8_t max_protocol); /* TRANSPORT_UP, RegisterAck(30 s), CapabilitiesReq */
/* RingIn + CallInfo(forwarded from 1001) + ORC(alg 1) + RX_OPENED + SMT: a call with media. */
void h_call_with_media(void);

/* Looking at the last output. */
const struct sccp_msg *h_find_msg(uint32_t id); /* first with this id, or NULL */
size_t h_count_msgs(uint32_t id);
const struct sccp_port_action *h_find_act(enum sccp_port_action_type t);
size_t h_count_acts(enum sccp_port_action_type t);
/* Assert the output is exactly these message ids, in order (terminated by UINT32_MAX). */
void h_expect_msgs(const uint32_t *ids);
/* Assert the output actions are exactly these types, in order (terminated by -1). */
void h_expect_acts(const int *types);
int h_encoded_len(const struct sccp_msg *m);

#define END_MSGS UINT32_MAX
#define END_ACTS (-1)

#endif
