/* vmport's configuration file (INI, parsed with inih). Unknown sections and keys are errors that
 * name the line, so a typo never silently changes behaviour. */
#ifndef VMPORT_CONFIG_H
#define VMPORT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMPORT_MAX_SERVERS 8
#define VMPORT_MAX_PORTS 1000
#define VMPORT_PATH_MAX 256
#define VMPORT_EXT_MAX 24

enum vmport_security_mode { VMPORT_NONSECURE, VMPORT_AUTHENTICATED, VMPORT_ENCRYPTED };
enum vmport_mwi_dial { VMPORT_MWI_KEYPAD, VMPORT_MWI_ENBLOC };

struct vmport_server {
	char host[128];
	uint16_t port;
};

struct vmport_config {
	/* [port_group] */
	char group_name[64];
	char device_name_prefix[16];
	unsigned ports;
	enum vmport_security_mode security_mode;
	char mwi_on_extension[VMPORT_EXT_MAX + 1];
	char mwi_off_extension[VMPORT_EXT_MAX + 1];
	uint32_t device_type;          /* UNCONFIRMED for CUC (protocol.md §2.8): default 80 VoiceInBox */
	uint8_t protocol_version;      /* UNCONFIRMED (§2.9): default 17 */
	bool use_last_redirecting;     /* §3.3: mailbox from the last (not first) redirecting number */
	enum vmport_mwi_dial mwi_dial; /* UNCONFIRMED (§5.2): digits as KeypadButton or EnblocCall */
	unsigned register_rate;        /* registrations started per second */
	bool reconnect_to_higher_order;
	unsigned max_message_seconds;
	/* [servers] */
	struct vmport_server cucm[VMPORT_MAX_SERVERS];
	size_t n_cucm;
	struct vmport_server tftp[VMPORT_MAX_SERVERS];
	size_t n_tftp;
	/* [security] */
	char state_dir[VMPORT_PATH_MAX];
	bool ctl_verify;
	char tls_keylog[VMPORT_PATH_MAX]; /* lab only: NSS key log for Wireshark; empty = off */
	/* [media] */
	char messages_dir[VMPORT_PATH_MAX];
	char greeting[VMPORT_PATH_MAX]; /* empty: the shipped greeting */
	uint16_t rtp_port_min;
	uint16_t rtp_port_max;
};

/* Defaults for every optional key. */
void vmport_config_defaults(struct vmport_config *cfg);

/* Parse the INI text (`name` is used in error messages). Returns 0, or -1 with a message naming
 * the file, the line and the problem in err. */
int vmport_config_parse_string(struct vmport_config *cfg, const char *text, const char *name, char *err,
                               size_t err_cap);
int vmport_config_load(struct vmport_config *cfg, const char *path, char *err, size_t err_cap);

/* "<prefix><n>" for port n (1-based). */
void vmport_config_device_name(const struct vmport_config *cfg, unsigned n, char out[16]);
const char *vmport_security_mode_name(enum vmport_security_mode mode);
/* A configuration file (vmport's, labcm's) larger than this is refused: they are a few KiB. */
#define VMPORT_CONFIG_MAX_BYTES (1024u * 1024u)

/* The whole text file at `path`, NUL-terminated, into *out (free()); at most max_len bytes.
 * 0, or -1 with err naming the file and the problem (cannot open: ..., read error, larger than N
 * KiB, out of memory). */
int vmport_read_text_file(const char *path, size_t max_len, char **out, char *err, size_t err_cap);

/* An INI boolean: yes/on/true/1 or no/off/false/0, any case (the configuration and board files). */
bool vmport_parse_bool(const char *v, bool *out);

#endif
