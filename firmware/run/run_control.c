/* The control socket of `vmport run`: status, MWI by hand, the call monitor. */
#include "run.h"

#include "ports/port_group.h"

#include <stdio.h>
#include <string.h>

void vm_run_control_path(const struct vmport_config *cfg, char *out, size_t cap)
{
	snprintf(out, cap, "%s/vmport.sock", cfg->state_dir);
}

static void reply_status(struct vm_run *r, struct vm_control *ctl)
{
	size_t n = vm_port_group_count(r->group);
	vm_control_reply(ctl,
	                 "port group %s: %zu of %zu ports registered, %s, %llu messages saved, %llu failed\n",
	                 r->cfg.group_name, vm_port_group_registered(r->group), n,
	                 vmport_security_mode_name(r->cfg.security_mode),
	                 (unsigned long long)r->messages_saved, (unsigned long long)r->messages_failed);
	vm_control_reply(ctl, "%-15s %-14s %-22s %-8s %-28s %-13s %5s %5s %5s %9s %9s %5s  %s\n", "PORT",
	                 "STATE", "SERVER", "TLS", "CIPHER", "SECURITY", "CALLS", "MSGS", "MWI", "SRTP-TX",
	                 "SRTP-RX", "AUTHF", "LAST ERROR");
	for (unsigned i = 0; i < n; i++) {
		struct vm_port_status st;
		vm_port_group_status(r->group, i, &st);
		const struct media_stats *ms = &r->last_stats[i];
		vm_control_reply(
		    ctl, "%-15s %-14s %-22s %-8s %-28s %-13s %5u %5u %5u %9llu %9llu %5u  %s\n",
		    st.device_name, st.state, st.server, st.tls_version[0] ? st.tls_version : "-",
		    st.tls_cipher[0] ? st.tls_cipher : "-", st.security, st.calls, st.messages, st.mwi_done,
		    (unsigned long long)ms->tx_packets, (unsigned long long)ms->rx_packets, ms->auth_failures,
		    st.last_error[0] ? st.last_error : "-");
	}
	vm_run_monitor_status(r, ctl);
}

int vm_run_control_handler(void *arg, struct vm_control *ctl, int argc, char **argv)
{
	struct vm_run *r = arg;
	if (!strcmp(argv[0], "status")) {
		reply_status(r, ctl);
		return 0;
	}
	if (!strcmp(argv[0], "mwi") && argc == 3 && (!strcmp(argv[1], "on") || !strcmp(argv[1], "off"))) {
		if (vm_port_group_mwi(r->group, argv[2], !strcmp(argv[1], "on")) < 0) {
			vm_control_reply(ctl, "error: MWI %s for %s not started (see the vmport log)\n",
			                 argv[1], argv[2]);
			return -1;
		}
		vm_control_reply(ctl, "MWI %s for %s: dialling %s\n", argv[1], argv[2],
		                 !strcmp(argv[1], "on") ? r->cfg.mwi_on_extension : r->cfg.mwi_off_extension);
		return 0;
	}
	if (!strcmp(argv[0], "monitor"))
		return vm_run_monitor_request(r, ctl, argc, argv);
	vm_control_reply(ctl, "error: unknown request '%s' (status | mwi on|off EXT | monitor [PORT|off])\n",
	                 argv[0]);
	return -1;
}
