/* Control socket requests of `vmport labcm` (see labcm.h). */
#include "labcm/labcm_internal.h"

#include "tls/tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/hal_clock.h"

static void format_time(uint64_t unix_ms, char *out, size_t cap)
{
	time_t t = (time_t)(unix_ms / 1000u);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void reply_status(struct labcm *lab, struct vm_control *ctl)
{
	const struct labcm_config *cfg = &lab->cfg;
	vm_control_reply(ctl,
	                 "labcm %s: %zu devices, %zu registered, %zu calls up, %zu connections; sccp %s:%u, "
	                 "tls %s:%u (%s)\n",
	                 cfg->server_name, lab->n_devices, lab->registered, labcm_calls_up(lab),
	                 lab->conns_in_use, cfg->listen, cfg->sccp_port, cfg->listen, cfg->tls_port,
	                 lab->tls_ctx ? cm_security_name(cfg->tls_mode) : "off");
	vm_control_reply(ctl, "%-15s %-8s %-13s %-12s %-21s %-5s %-7s %-29s %5s %5s  %s\n", "DEVICE", "DN",
	                 "MODE", "STATE", "PEER", "PROTO", "TLS", "CIPHER", "CALLS", "REGS", "LAST");
	for (size_t i = 0; i < lab->n_devices; i++) {
		const struct labcm_device *d = &lab->devices[i];
		const struct labcm_conn *c = d->conn;
		const char *state = c ? cm_device_state_name(cm_device_state(&c->cm)) : "unregistered";
		char proto[8] = "-";
		if (c)
			snprintf(proto, sizeof(proto), "%u", c->cm.protocol_version);
		vm_control_reply(ctl, "%-15s %-8s %-13s %-12s %-21s %-5s %-7s %-29s %5u %5u  %s\n",
		                 d->def.name, d->def.dn, cm_security_name(d->def.security), state,
		                 c ? c->peer : "-", proto, c && c->tls ? tls_conn_version(c->tls) : "-",
		                 c && c->tls ? tls_conn_cipher(c->tls) : "-", d->calls, d->registrations,
		                 d->last_event[0] ? d->last_event : "-");
	}
	vm_control_reply(ctl, "lamps: %zu\n", lab->n_lamps);
	for (size_t i = 0; i < lab->n_lamps; i++) {
		const struct labcm_lamp *l = &lab->lamps[i];
		char when[32];
		format_time(l->changed_unix_ms, when, sizeof(when));
		vm_control_reply(ctl, "lamp %-10s %-3s  changed %u times, last %s\n", l->ext,
		                 l->on ? "on" : "off", l->changes, when);
	}
	size_t shown = 0;
	for (size_t i = 0; i < LABCM_MAX_CALLS; i++) {
		const struct labcm_call *c = &lab->calls[i];
		if (c->state == LABCM_CALL_FREE)
			continue;
		if (!shown++)
			vm_control_reply(ctl, "calls:\n");
		vm_control_reply(ctl, "call %08x %-8s %s -> %s%s on %s\n", c->id,
		                 labcm_call_state_name(c->state), c->from, c->to,
		                 c->forwarded ? " (forwarded)" : "", c->device_name);
	}
	vm_control_reply(ctl,
	                 "totals: %llu connections accepted, %llu refused, %llu registrations, %llu rejects, "
	                 "%llu keepalive timeouts, %llu protocol errors\n",
	                 (unsigned long long)lab->stats.accepted, (unsigned long long)lab->stats.refused,
	                 (unsigned long long)lab->stats.registrations, (unsigned long long)lab->stats.rejects,
	                 (unsigned long long)lab->stats.keepalive_timeouts,
	                 (unsigned long long)lab->stats.protocol_errors);
}

/* One line a client can parse: key=value pairs after "call ID STATE". */
static void reply_call(struct labcm *lab, struct vm_control *ctl, struct labcm_call *c)
{
	(void)lab;
	bool over = c->state == LABCM_CALL_ENDED || c->state == LABCM_CALL_CLOSING;
	uint64_t answer_ms = c->answered_ms ? c->answered_ms - c->offered_ms : 0;
	uint64_t end = over ? c->ended_ms : hal_clock_now_ms();
	uint64_t dur = c->answered_ms && end > c->answered_ms ? end - c->answered_ms : 0;
	char addr[INET_ADDRSTRLEN] = "-";
	if (c->device_port)
		inet_ntop(AF_INET, c->device_ip, addr, sizeof(addr));
	const char *rec = "-";
	if (c->record[0] && c->state == LABCM_CALL_ENDED)
		rec = strncmp(c->record_result, "recorded", 8) ? "failed" : "saved";
	vm_control_reply(
	    ctl,
	    "call %08x %s port=%s answered=%s answer_ms=%llu duration_ms=%llu media=%s:%u srtp=%s "
	    "tx_packets=%llu rx_packets=%llu auth_failures=%u record=%s reason=%s\n",
	    c->id, labcm_call_state_name(c->state), c->device_name, c->answered_ms ? "yes" : "no",
	    (unsigned long long)answer_ms, (unsigned long long)dur, addr, c->device_port,
	    c->encrypted ? "yes" : "no", (unsigned long long)c->tx_packets, (unsigned long long)c->rx_packets,
	    c->auth_failures, rec, c->state == LABCM_CALL_ENDED ? cm_call_end_text(c->end_reason) : "-");
	if (c->state == LABCM_CALL_ENDED)
		c->result_read = true;
}

static bool parse_id(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);
	if (*s == '\0' || *end || v > 0xFFFFFFFFul)
		return false;
	*id = (uint32_t)v;
	return true;
}

int labcm_control_handler(void *arg, struct vm_control *ctl, int argc, char **argv)
{
	struct labcm *lab = arg;
	if (!strcmp(argv[0], "status") && argc == 1) {
		reply_status(lab, ctl);
		return 0;
	}
	if (!strcmp(argv[0], "call") && argc == 7) {
		char err[256];
		unsigned long secs = strtoul(argv[4], NULL, 10);
		if (secs == 0 || secs > 3600) {
			vm_control_reply(ctl, "error: seconds must be 1 to 3600\n");
			return -1;
		}
		const char *play = strcmp(argv[5], "-") ? argv[5] : NULL;
		const char *record = strcmp(argv[6], "-") ? argv[6] : NULL;
		struct labcm_call *c = labcm_call_place(lab, argv[1], argv[2], !strcmp(argv[3], "1"),
		                                        (unsigned)secs, play, record, err, sizeof(err));
		if (!c) {
			vm_control_reply(ctl, "error: %s\n", err);
			return -1;
		}
		reply_call(lab, ctl, c);
		return 0;
	}
	if ((!strcmp(argv[0], "callinfo") || !strcmp(argv[0], "hangup")) && argc == 2) {
		uint32_t id;
		struct labcm_call *c = parse_id(argv[1], &id) ? labcm_call_find(lab, id) : NULL;
		if (!c) {
			vm_control_reply(ctl, "error: no call %s\n", argv[1]);
			return -1;
		}
		if (!strcmp(argv[0], "hangup"))
			labcm_call_hangup(lab, c);
		reply_call(lab, ctl, c);
		return 0;
	}
	if (!strcmp(argv[0], "lamp") && argc == 2) {
		const struct labcm_lamp *l = labcm_lamp_get(lab, argv[1]);
		vm_control_reply(ctl, "lamp %s %s\n", argv[1], l ? (l->on ? "on" : "off") : "unknown");
		return 0;
	}
	vm_control_reply(
	    ctl,
	    "error: unknown request '%s' (status | call FROM TO FWD SECS PLAY REC | callinfo ID | "
	    "hangup ID | lamp EXT)\n",
	    argv[0]);
	return -1;
}
