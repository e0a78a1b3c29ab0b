/* Internal to firmware/ports: one port's connection and the group. */
#ifndef VMPORT_PORT_INTERNAL_H
#define VMPORT_PORT_INTERNAL_H

#include "port_group.h"

#include "sccp/sccp_stream.h"

#include <netinet/in.h>
#include <sys/socket.h>

#define VM_PORT_OUTBUF 4096 /* bytes queued for the socket; a port sends little */

struct tls_conn;

struct vm_server_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	bool resolved;
	char text[160];         /* host:port as configured */
	uint64_t down_until_ms; /* a failed server is not retried before this (ports fail over) */
};

struct vm_port {
	struct vm_port_group *group;
	unsigned index; /* 0-based; the device is <prefix><index + 1> */
	char device_name[16];
	struct sccp_port sm;

	/* transport */
	struct vm_fd io;
	enum vm_link_state link;
	struct tls_conn *tls;
	size_t server;    /* index into cfg->cucm in use / being tried */
	bool want_higher; /* fallback: move to server 0 when idle */
	struct sccp_stream in;
	uint8_t out[VM_PORT_OUTBUF];
	size_t out_len;
	uint64_t connect_started_ms;
	unsigned consecutive_failures;

	struct vm_timer sm_timer;    /* the state machine's next deadline */
	struct vm_timer retry_timer; /* reconnect after a failure */
	bool queued;                 /* waiting in the pacing queue */
	bool stopping;               /* shutdown: do not reconnect */
	bool has_pending_config;     /* SIGHUP changed this port's registration: re-register when idle */
	struct sccp_port_config pending_config;

	/* status */
	char tls_version[16];
	char tls_cipher[64];
	char last_error[200];
	uint32_t calls;
	uint32_t messages;
	bool in_call;
	bool counted_registered; /* counted in group->registered */
};

struct vm_port_group {
	struct vmport_config cfg;
	struct vm_loop *loop;
	struct vm_port_services svc;
	struct vm_server_addr servers[VMPORT_MAX_SERVERS];
	struct vm_port *ports;
	size_t n_ports;

	/* pacing: ports wait here for their turn to connect */
	unsigned *pace_queue;
	size_t pace_head, pace_len;
	struct vm_timer pace_timer;
	struct vm_timer fallback_timer; /* reconnect_to_higher_order probing */

	/* MWI asked for while no port was registered: dialled once one registers. */
	struct {
		char ext[SCCP_DN_LEN + 1];
		bool on;
	} mwi_pending[64];
	size_t n_mwi_pending;
	bool mwi_flush_due;

	/* Lamps this group turned on (MWI_DONE on), for the board's MWI LED. */
	char lamps_on[256][SCCP_DN_LEN + 1];
	size_t n_lamps_on;

	bool suspended; /* network down: ports wait for vm_port_group_resume() */
	bool shutting_down;
	size_t registered;
	unsigned mwi_rr;        /* round robin over ports for MWI dialling */
	unsigned fallback_port; /* 1 + index of the port moving back to server 0; 0 none */
};

/* port_link.c: connection handling */
void vm_port_link_connect(struct vm_port *p);
void vm_port_link_close(struct vm_port *p, const char *why);
int vm_port_link_send(struct vm_port *p, const struct sccp_msg *m);
void vm_port_link_flush(struct vm_port *p);
void vm_port_link_init(struct vm_port *p);

/* port_group.c: what the link tells the group */
void vm_port_connect_started(struct vm_port *p);
void vm_port_transport_up(struct vm_port *p);
void vm_port_transport_down(struct vm_port *p, bool failed);
void vm_port_feed_event(struct vm_port *p, const struct sccp_port_event *ev);
void vm_port_schedule_connect(struct vm_port *p, uint64_t delay_ms);

#endif
