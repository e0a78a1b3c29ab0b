/* The port group: every voicemail port of one CONF, each with its own connection (TCP, or TLS on
 * 2443) and SCCP state machine, all driven by one event loop.
 *
 * The group decides when ports connect (paced at register_rate per second), to which server
 * (failover in the `cucm` order; back to a recovered higher-order server one idle port at a time
 * when reconnect_to_higher_order is set), and what the state machines' actions mean for the rest
 * of the program (media, recordings, MWI). It learns about trust and media through the services
 * given at creation, so it can be driven in tests without either. */
#ifndef VMPORT_PORT_GROUP_H
#define VMPORT_PORT_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop/loop.h"
#include "sccp/sccp_port.h"

struct vm_port_group;
struct tls_ctx;

/* What the group needs from the rest of the program. Any member may be NULL. */
struct vm_port_services {
	void *arg;
	/* Trust: the CTL's CallManager certificate for cucm[server]. Returns 0 and the DER, or -1
	 * (the reason is already logged; the group retries later without connecting). */
	int (*server_cert)(void *arg, size_t server, const uint8_t **der, size_t *len);
	/* Trust: a server's certificate did not match the pinned one: fetch the CTL again. */
	void (*server_cert_refused)(void *arg, size_t server);
	/* TLS: the client context holding the port's own certificate and key (each port presents
	 * its own certificate). Required in authenticated and encrypted modes. */
	struct tls_ctx *(*port_tls)(void *arg, unsigned port_index);
	/* Media: carry out an action of the state machine (OPEN_RX, START_TX, STOP_TX, CLOSE_RX,
	 * PLAY_GREETING, RECORD, CALL_ENDED). OPEN_RX is answered later with
	 * vm_port_group_rx_opened(). */
	void (*media_action)(void *arg, unsigned port_index, const struct sccp_port_action *act);
	/* Every port has unregistered after vm_port_group_shutdown(). */
	void (*all_stopped)(void *arg);
	/* Registered-port count or MWI lamp set changed (LEDs). */
	void (*status_changed)(void *arg);
};

enum vm_link_state {
	VM_LINK_IDLE,        /* not connected; waiting for its turn or a retry */
	VM_LINK_CONNECTING,  /* TCP connect in progress */
	VM_LINK_HANDSHAKING, /* TLS handshake in progress */
	VM_LINK_UP,          /* transport up: the state machine runs */
	VM_LINK_CLOSED,      /* stopped for good (shutdown) */
};

/* One port's status line for `vmport status`. */
struct vm_port_status {
	char device_name[16];
	const char *state; /* the state machine's state name */
	const char *link;  /* vm_link_state name */
	char server[160];  /* host:port in use or last tried */
	char tls_version[16];
	char tls_cipher[64];
	const char *security; /* nonsecure | authenticated | encrypted */
	char dn[26];
	uint32_t registrations;
	uint32_t calls;
	uint32_t messages;
	uint32_t mwi_done;
	char last_error[200];
};

int vm_port_group_new(struct vm_port_group **out, const struct vmport_config *cfg, struct vm_loop *loop,
                      const struct vm_port_services *svc, char *err, size_t err_cap);
void vm_port_group_free(struct vm_port_group *g);

/* Begin connecting the ports, paced. */
void vm_port_group_start(struct vm_port_group *g);
/* Unregister every port (SIGTERM); services.all_stopped is called when the last one is closed. */
void vm_port_group_shutdown(struct vm_port_group *g);

/* SIGHUP: take the new configuration. Ports whose registration changes (device name, type,
 * protocol version, their server) unregister and register again, each when idle; settings used
 * at run time (MWI dialling, mailbox choice) change in place. A different number of ports or
 * security mode needs a restart (logged). */
void vm_port_group_reload(struct vm_port_group *g, const struct vmport_config *fresh);

/* Media answers to PORT_ACT_OPEN_RX, and media-side events. */
void vm_port_group_rx_opened(struct vm_port_group *g, unsigned port, uint32_t pass_through_party_id,
                             uint32_t status, const uint8_t ip[4], uint16_t udp_port);
void vm_port_group_dtmf(struct vm_port_group *g, unsigned port, char digit);
/* The media side ended the call locally (recording finished: '#', max length, silence). */
void vm_port_group_hangup(struct vm_port_group *g, unsigned port);
/* A message was saved for mailbox `ext`; the group counts it and may set MWI. */
void vm_port_group_message_saved(struct vm_port_group *g, unsigned port, const char *ext);

/* The network went away (link down): every port goes out of service without reconnecting.
 * resume() brings them back, paced at register_rate. */
void vm_port_group_suspend(struct vm_port_group *g, const char *why);
void vm_port_group_resume(struct vm_port_group *g);

/* Whether some mailbox's lamp was last turned on (by this group's MWI calls). */
bool vm_port_group_any_mwi(const struct vm_port_group *g);

/* Set or clear the message-waiting lamp of `ext` (dialled by an idle registered port). */
int vm_port_group_mwi(struct vm_port_group *g, const char *ext, bool on);

/* The local IPv4 address of the port's signalling connection (where media is announced). */
void vm_port_group_local_ip(const struct vm_port_group *g, unsigned port, uint8_t ip[4]);

size_t vm_port_group_count(const struct vm_port_group *g);
size_t vm_port_group_registered(const struct vm_port_group *g);
void vm_port_group_status(const struct vm_port_group *g, unsigned port, struct vm_port_status *st);
const char *vm_link_state_name(enum vm_link_state s);

#endif
