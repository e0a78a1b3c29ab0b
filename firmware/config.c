/* Configuration: one table of keys drives parsing, range checks and the error messages. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type { KEY_STR, KEY_UINT, KEY_BOOL, KEY_SECURITY_MODE, KEY_MWI_DIAL, KEY_DIGITS, KEY_SERVERS };

struct key_def {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;  /* KEY_STR/KEY_DIGITS: buffer size; KEY_UINT: field width; KEY_SERVERS: list offset of
	                 count */
	unsigned min; /* KEY_UINT range; KEY_SERVERS default port */
	unsigned max;
};

#define FIELD(f) offsetof(struct vmport_config, f), sizeof(((struct vmport_config *)0)->f)

static const struct key_def keys[] = {
    {"port_group", "name", KEY_STR, FIELD(group_name), 0, 0},
    {"port_group", "device_name_prefix", KEY_STR, FIELD(device_name_prefix), 0, 0},
    {"port_group", "ports", KEY_UINT, FIELD(ports), 1, VMPORT_MAX_PORTS},
    {"port_group", "security_mode", KEY_SECURITY_MODE, FIELD(security_mode), 0, 0},
    {"port_group", "mwi_on_extension", KEY_DIGITS, FIELD(mwi_on_extension), 0, 0},
    {"port_group", "mwi_off_extension", KEY_DIGITS, FIELD(mwi_off_extension), 0, 0},
    {"port_group", "device_type", KEY_UINT, FIELD(device_type), 1, 65535},
    {"port_group", "protocol_version", KEY_UINT, FIELD(protocol_version), 3, 22},
    {"port_group", "use_last_redirecting_number", KEY_BOOL, FIELD(use_last_redirecting), 0, 0},
    {"port_group", "mwi_dial_method", KEY_MWI_DIAL, FIELD(mwi_dial), 0, 0},
    {"port_group", "register_rate", KEY_UINT, FIELD(register_rate), 1, 1000},
    {"port_group", "reconnect_to_higher_order", KEY_BOOL, FIELD(reconnect_to_higher_order), 0, 0},
    {"port_group", "max_message_seconds", KEY_UINT, FIELD(max_message_seconds), 1, 3600},
    {"servers", "cucm", KEY_SERVERS, offsetof(struct vmport_config, cucm),
     offsetof(struct vmport_config, n_cucm), 0, 0},
    {"servers", "tftp", KEY_SERVERS, offsetof(struct vmport_config, tftp),
     offsetof(struct vmport_config, n_tftp), 69, 0},
    {"security", "state_dir", KEY_STR, FIELD(state_dir), 0, 0},
    {"security", "ctl_verify", KEY_BOOL, FIELD(ctl_verify), 0, 0},
    {"security", "tls_keylog", KEY_STR, FIELD(tls_keylog), 0, 0},
    {"media", "messages_dir", KEY_STR, FIELD(messages_dir), 0, 0},
    {"media", "greeting", KEY_STR, FIELD(greeting), 0, 0},
    {"media", "rtp_port_min", KEY_UINT, FIELD(rtp_port_min), 1024, 65534},
    {"media", "rtp_port_max", KEY_UINT, FIELD(rtp_port_max), 1025, 65535},
};

struct parse_state {
	struct vmport_config *cfg;
	char err[256]; /* first problem; inih tells the line */
	bool seen[sizeof(keys) / sizeof(keys[0])];
};

void vmport_config_defaults(struct vmport_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->group_name, sizeof(cfg->group_name), "PhoneSystem-1");
	snprintf(cfg->device_name_prefix, sizeof(cfg->device_name_prefix), "CiscoUM1-VI");
	cfg->ports = 2;
	cfg->security_mode = VMPORT_ENCRYPTED;
	cfg->device_type = 80;
	cfg->protocol_version = 17;
	cfg->mwi_dial = VMPORT_MWI_KEYPAD;
	cfg->register_rate = 10;
	cfg->max_message_seconds = 300;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/vmport");
	cfg->ctl_verify = true;
	cfg->rtp_port_min = 16384;
	cfg->rtp_port_max = 32766;
}

static void fail(struct parse_state *st, const char *fmt, ...)
{
	if (st->err[0])
		return; /* keep the first problem: it is the line inih reports */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

bool vmport_parse_bool(const char *v, bool *out)
{
	static const char *yes[] = {"yes", "on", "true", "1"}, *no[] = {"no", "off", "false", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* "host:port, host, [v6]:port" in failover order. A missing port takes the default (0: decided
 * later by the security mode: 2000 plain, 2443 TLS). */
static int parse_servers(struct parse_state *st, const struct key_def *k, const char *value)
{
	struct vmport_server *list = (struct vmport_server *)((char *)st->cfg + k->offset);
	size_t *count = (size_t *)((char *)st->cfg + k->size);
	*count = 0;
	char buf[512];
	if (strlen(value) >= sizeof(buf)) {
		fail(st, "%s: list too long", k->name);
		return 0;
	}
	strcpy(buf, value);
	for (char *save = NULL, *item = strtok_r(buf, ", \t", &save); item;
	     item = strtok_r(NULL, ", \t", &save)) {
		if (*count == VMPORT_MAX_SERVERS) {
			fail(st, "%s: more than %d servers", k->name, VMPORT_MAX_SERVERS);
			return 0;
		}
		struct vmport_server *s = &list[*count];
		char *host = item, *port = NULL;
		if (*item == '[') { /* [IPv6]:port */
			char *close = strchr(item, ']');
			if (!close) {
				fail(st, "%s: '%s' has no closing ']'", k->name, item);
				return 0;
			}
			*close = '\0';
			host = item + 1;
			if (close[1] == ':')
				port = close + 2;
			else if (close[1]) {
				fail(st, "%s: unexpected text after ']' in '%s'", k->name, item);
				return 0;
			}
		} else if ((port = strrchr(item, ':')) != NULL) {
			*port++ = '\0';
		}
		if (!*host || strlen(host) >= sizeof(s->host)) {
			fail(st, "%s: bad host '%s'", k->name, host);
			return 0;
		}
		strcpy(s->host, host);
		s->port = (uint16_t)k->min;
		if (port) {
			char *end;
			errno = 0;
			unsigned long p = strtoul(port, &end, 10);
			if (errno || *end || p == 0 || p > 65535) {
				fail(st, "%s: bad port '%s' for %s", k->name, port, host);
				return 0;
			}
			s->port = (uint16_t)p;
		}
		(*count)++;
	}
	if (*count == 0) {
		fail(st, "%s: no server given", k->name);
		return 0;
	}
	return 1;
}

static int set_value(struct parse_state *st, const struct key_def *k, const char *value)
{
	void *field = (char *)st->cfg + k->offset;
	switch (k->type) {
	case KEY_STR:
		if (strlen(value) >= k->size) {
			fail(st, "%s = '%s': longer than %zu characters", k->name, value, k->size - 1);
			return 0;
		}
		strcpy(field, value);
		return 1;
	case KEY_DIGITS:
		for (const char *p = value; *p; p++) {
			if (!isdigit((unsigned char)*p) && *p != '*' && *p != '#') {
				fail(st, "%s = '%s': only digits, * and # can be dialled", k->name, value);
				return 0;
			}
		}
		if (!*value || strlen(value) >= k->size) {
			fail(st, "%s = '%s': must be 1 to %zu digits", k->name, value, k->size - 1);
			return 0;
		}
		strcpy(field, value);
		return 1;
	case KEY_UINT: {
		char *end;
		errno = 0;
		unsigned long v = strtoul(value, &end, 10);
		if (errno || end == value || *end || value[0] == '-' || v < k->min || v > k->max) {
			fail(st, "%s = '%s': must be a whole number from %u to %u", k->name, value, k->min,
			     k->max);
			return 0;
		}
		if (k->size == sizeof(uint8_t))
			*(uint8_t *)field = (uint8_t)v;
		else if (k->size == sizeof(uint16_t))
			*(uint16_t *)field = (uint16_t)v;
		else
			*(uint32_t *)field = (uint32_t)v;
		return 1;
	}
	case KEY_BOOL:
		if (!vmport_parse_bool(value, field)) {
			fail(st, "%s = '%s': must be yes or no", k->name, value);
			return 0;
		}
		return 1;
	case KEY_SECURITY_MODE: {
		static const enum vmport_security_mode modes[] = {VMPORT_NONSECURE, VMPORT_AUTHENTICATED,
		                                                  VMPORT_ENCRYPTED};
		for (size_t i = 0; i < 3; i++) {
			if (!strcasecmp(value, vmport_security_mode_name(modes[i]))) {
				*(enum vmport_security_mode *)field = modes[i];
				return 1;
			}
		}
		fail(st, "security_mode = '%s': must be nonsecure, authenticated or encrypted", value);
		return 0;
	}
	case KEY_MWI_DIAL:
		if (!strcasecmp(value, "keypad"))
			*(enum vmport_mwi_dial *)field = VMPORT_MWI_KEYPAD;
		else if (!strcasecmp(value, "enbloc"))
			*(enum vmport_mwi_dial *)field = VMPORT_MWI_ENBLOC;
		else {
			fail(st, "mwi_dial_method = '%s': must be keypad or enbloc", value);
			return 0;
		}
		return 1;
	case KEY_SERVERS:
		return parse_servers(st, k, value);
	}
	return 0;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	bool section_known = false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(section, keys[i].section))
			continue;
		section_known = true;
		if (strcmp(name, keys[i].name))
			continue;
		if (st->seen[i]) {
			fail(st, "%s given twice in [%s]", name, section);
			return 0;
		}
		st->seen[i] = true;
		return set_value(st, &keys[i], value);
	}
	if (!section_known)
		fail(st, "unknown section [%s]", section);
	else
		fail(st, "unknown key '%s' in [%s]", name, section);
	return 0;
}

/* Rules that span keys, checked once the whole file is read. */
static int check_whole(struct vmport_config *cfg, char *err, size_t cap, const char *name)
{
	char longest[32];
	snprintf(longest, sizeof(longest), "%s%u", cfg->device_name_prefix, cfg->ports);
	if (strlen(longest) > 15) {
		snprintf(err, cap,
		         "%s: device_name_prefix '%s' with %u ports makes '%s', longer than 15 characters",
		         name, cfg->device_name_prefix, cfg->ports, longest);
		return -1;
	}
	if (cfg->n_cucm == 0) {
		snprintf(err, cap, "%s: [servers] cucm is required (host:port list in failover order)", name);
		return -1;
	}
	if (cfg->security_mode != VMPORT_NONSECURE && cfg->n_tftp == 0) {
		snprintf(err, cap, "%s: [servers] tftp is required in %s mode (the CTL file comes from it)",
		         name, vmport_security_mode_name(cfg->security_mode));
		return -1;
	}
	if (cfg->rtp_port_min >= cfg->rtp_port_max) {
		snprintf(err, cap, "%s: rtp_port_min %u must be below rtp_port_max %u", name,
		         cfg->rtp_port_min, cfg->rtp_port_max);
		return -1;
	}
	uint16_t default_port = cfg->security_mode == VMPORT_NONSECURE ? 2000 : 2443;
	for (size_t i = 0; i < cfg->n_cucm; i++) {
		if (cfg->cucm[i].port == 0)
			cfg->cucm[i].port = default_port;
	}
	if (!cfg->messages_dir[0]) {
		int n = snprintf(cfg->messages_dir, sizeof(cfg->messages_dir), "%s/messages", cfg->state_dir);
		if (n < 0 || (size_t)n >= sizeof(cfg->messages_dir)) {
			snprintf(err, cap, "%s: state_dir too long", name);
			return -1;
		}
	}
	return 0;
}

int vmport_config_parse_string(struct vmport_config *cfg, const char *text, const char *name, char *err,
                               size_t err_cap)
{
	vmport_config_defaults(cfg);
	struct parse_state st = {.cfg = cfg};
	int line = ini_parse_string(text, on_ini_entry, &st);
	if (line != 0) {
		snprintf(err, err_cap, "%s:%d: %s", name, line,
		         st.err[0] ? st.err : "not an INI line (no '=' or ']')");
		return -1;
	}
	return check_whole(cfg, err, err_cap, name);
}

int vmport_read_text_file(const char *path, size_t max_len, char **out, char *err, size_t err_cap)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	char *text = malloc(max_len + 1);
	if (!text) {
		fclose(f);
		snprintf(err, err_cap, "%s: out of memory", path);
		return -1;
	}
	/* One byte more than allowed tells "too large" from "exactly the limit". */
	size_t len = fread(text, 1, max_len + 1, f);
	bool read_error = ferror(f);
	fclose(f);
	if (read_error || len > max_len) {
		free(text);
		if (read_error)
			snprintf(err, err_cap, "%s: read error", path);
		else if (max_len % 1024 == 0)
			snprintf(err, err_cap, "%s: larger than %zu KiB", path, max_len / 1024);
		else
			snprintf(err, err_cap, "%s: larger than %zu bytes", path, max_len);
		return -1;
	}
	text[len] = '\0';
	*out = text;
	return 0;
}

int vmport_config_load(struct vmport_config *cfg, const char *path, char *err, size_t err_cap)
{
	char *text;
	if (vmport_read_text_file(path, VMPORT_CONFIG_MAX_BYTES, &text, err, err_cap) < 0)
		return -1;
	int rc = vmport_config_parse_string(cfg, text, path, err, err_cap);
	free(text);
	return rc;
}

void vmport_config_device_name(const struct vmport_config *cfg, unsigned n, char out[16])
{
	char name[40]; /* check_whole() keeps prefix + number within 15 characters */
	snprintf(name, sizeof(name), "%s%u", cfg->device_name_prefix, n);
	memcpy(out, name, 15);
	out[15] = '\0';
}

const char *vmport_security_mode_name(enum vmport_security_mode mode)
{
	switch (mode) {
	case VMPORT_NONSECURE:
		return "nonsecure";
	case VMPORT_AUTHENTICATED:
		return "authenticated";
	case VMPORT_ENCRYPTED:
		return "encrypted";
	}
	return "?";
}
