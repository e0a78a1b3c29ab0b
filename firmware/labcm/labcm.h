/* `vmport labcm`: a CallManager for the bench. It provisions voicemail port devices by name
 * (DN and security mode), serves SCCP on TCP (Non-secure) and TLS (Authenticated/Encrypted),
 * supervises keepalives, rings ports with a test caller, and turns calls to its MWI On/Off
 * numbers into lamp changes ("SetLamp 0x0F on for 1001"). One event loop carries every
 * connection; each connection runs proto/sccp/cm_device.h.
 *
 * A control socket (<state_dir>/labcm.sock, firmware/control) answers:
 *   status                          devices, lamps and calls
 *   call FROM TO FWD SECS PLAY REC  place a test call (FWD 1 = forwarded to voicemail; PLAY/REC
 *                                   are WAV paths or "-"); answers "call ID ..."
 *   callinfo ID                     one line: the call's state and, once over, its result
 *   hangup ID                       the caller hangs up now
 *   lamp EXT                        "lamp EXT on|off|unknown" */
#ifndef VMPORT_LABCM_H
#define VMPORT_LABCM_H

#include <stddef.h>

#include "labcm/labcm_config.h"

struct labcm;

/* Build everything (listeners, control socket, state directory, device directory). Returns 0,
 * or -errno with the reason in err. Takes ownership of cfg->devices (cfg is copied). */
int labcm_create(struct labcm_config *cfg, struct labcm **out, char *err, size_t err_cap);
/* Run until SIGTERM or SIGINT. Returns 0, or -errno if the loop itself failed. */
int labcm_run(struct labcm *lab);
/* One loop iteration, waiting at most max_wait_ms (tests drive the server and clients in turn). */
int labcm_run_once(struct labcm *lab, int max_wait_ms);
void labcm_destroy(struct labcm *lab);

#endif
