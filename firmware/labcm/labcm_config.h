/* `vmport labcm`'s configuration (INI, parsed with inih like firmware/config.c): where the lab
 * CallManager listens, which voicemail port devices it knows (name → DN, security mode), its
 * MWI numbers, timers, and where its state (CTL, SAST key, CallManager certificate) and its
 * CallManager-trust directory live. Unknown sections and keys are errors that name the line.
 *
 *   [labcm]
 *   listen = 127.0.0.1           ; IPv4 address for SCCP, SCCP/TLS and TFTP
 *   sccp_port = 2000             ; plain TCP (Non-secure devices); 0 = off
 *   tls_port = 2443              ; TLS (Authenticated / Encrypted devices); 0 = off
 *   tftp_port = 69               ; read-only TFTP of the state directory's CTL; 0 = off
 *   state_dir = /var/lib/vmport-labcm
 *   mwi_on_number = 9999991
 *   mwi_off_number = 9999990
 *
 *   [devices]                    ; one group: prefix + count ...
 *   prefix = CiscoUM1-VI
 *   count = 1000
 *   first_dn = 8001
 *   security_mode = encrypted
 *
 *   [devices extra]              ; ... or any number of groups, and explicit devices
 *   device = CiscoUM9-VI1 9001 nonsecure
 */
#ifndef VMPORT_LABCM_CONFIG_H
#define VMPORT_LABCM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sccp/cm_device.h"

#define LABCM_MAX_DEVICES 4096
#define LABCM_MAX_GROUPS 32
#define LABCM_PATH_MAX 256
#define LABCM_NUMBER_MAX 24

struct labcm_device_def {
	char name[SCCP_DEVICE_NAME_LEN]; /* at most 15 characters */
	char dn[LABCM_NUMBER_MAX + 1];
	enum cm_security security;
};

struct labcm_config {
	/* [labcm] */
	char server_name[40];
	char listen[64];    /* IPv4 address */
	uint16_t sccp_port; /* 0 = no plain TCP listener */
	uint16_t tls_port;  /* 0 = no TLS listener */
	uint16_t tftp_port; /* 0 = no TFTP server */
	/* The TLS listener's suites: one wolfSSL context serves one mode (tls.h), so 2443 speaks
	 * either the encrypting suites (Encrypted devices) or the NULL ones (Authenticated). */
	enum cm_security tls_mode;
	char state_dir[LABCM_PATH_MAX];
	char trust_dir[LABCM_PATH_MAX]; /* default <state_dir>/CallManager-trust */
	char mwi_on[LABCM_NUMBER_MAX + 1];
	char mwi_off[LABCM_NUMBER_MAX + 1];
	unsigned keepalive_s;
	unsigned keepalive_grace_ms;
	unsigned max_protocol_version;
	unsigned register_timeout_s;
	unsigned ring_timeout_s;
	unsigned max_connections; /* default: devices + 64 */
	/* The test caller's media: RTP from this address, ports from this range. */
	char caller_rtp_ip[64]; /* default: listen */
	uint16_t caller_rtp_min;
	uint16_t caller_rtp_max;
	char tls_keylog[LABCM_PATH_MAX]; /* lab only: NSS key log of the TLS listener; empty = off */

	/* [devices ...] */
	struct labcm_device_def *devices; /* n_devices entries, owned (labcm_config_free) */
	size_t n_devices;
};

void labcm_config_defaults(struct labcm_config *cfg);
/* Parse INI text (`name` is used in messages). Returns 0, or -1 with "name:line: problem" in err. */
int labcm_config_parse_string(struct labcm_config *cfg, const char *text, const char *name, char *err,
                              size_t err_cap);
int labcm_config_load(struct labcm_config *cfg, const char *path, char *err, size_t err_cap);
void labcm_config_free(struct labcm_config *cfg);

/* "<state_dir>/labcm.sock". */
void labcm_control_path(const struct labcm_config *cfg, char *out, size_t cap);
/* "nonsecure" / "authenticated" / "encrypted" → mode; -1 for anything else. */
int labcm_security_parse(const char *s, enum cm_security *out);

#endif
