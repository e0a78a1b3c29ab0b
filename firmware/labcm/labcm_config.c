/* labcm configuration: one key table for [labcm], device groups expanded after parsing. */
#include "labcm/labcm_config.h"
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type { KEY_STR, KEY_UINT, KEY_DIGITS, KEY_SECURITY, KEY_IPV4 };

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size; /* KEY_STR/KEY_DIGITS/KEY_IPV4: buffer size; KEY_UINT: field width */
	unsigned min;
	unsigned max;
};

#define FIELD(f) offsetof(struct labcm_config, f), sizeof(((struct labcm_config *)0)->f)

/* [labcm] */
static const struct key_def keys[] = {
    {"name", KEY_STR, FIELD(server_name), 0, 0},
    {"listen", KEY_IPV4, FIELD(listen), 0, 0},
    {"sccp_port", KEY_UINT, FIELD(sccp_port), 0, 65535},
    {"tls_port", KEY_UINT, FIELD(tls_port), 0, 65535},
    {"tftp_port", KEY_UINT, FIELD(tftp_port), 0, 65535},
    {"tls_mode", KEY_SECURITY, FIELD(tls_mode), 0, 0},
    {"state_dir", KEY_STR, FIELD(state_dir), 0, 0},
    {"trust_dir", KEY_STR, FIELD(trust_dir), 0, 0},
    {"mwi_on_number", KEY_DIGITS, FIELD(mwi_on), 0, 0},
    {"mwi_off_number", KEY_DIGITS, FIELD(mwi_off), 0, 0},
    {"keepalive", KEY_UINT, FIELD(keepalive_s), 1, 3600},
    {"keepalive_grace_ms", KEY_UINT, FIELD(keepalive_grace_ms), 0, 600000},
    {"max_protocol_version", KEY_UINT, FIELD(max_protocol_version), 3, 22},
    {"register_timeout", KEY_UINT, FIELD(register_timeout_s), 1, 3600},
    {"ring_timeout", KEY_UINT, FIELD(ring_timeout_s), 1, 3600},
    {"max_connections", KEY_UINT, FIELD(max_connections), 1, LABCM_MAX_DEVICES * 2},
    {"caller_rtp_ip", KEY_IPV4, FIELD(caller_rtp_ip), 0, 0},
    {"caller_rtp_min", KEY_UINT, FIELD(caller_rtp_min), 1024, 65534},
    {"caller_rtp_max", KEY_UINT, FIELD(caller_rtp_max), 1025, 65535},
    {"tls_keylog", KEY_STR, FIELD(tls_keylog), 0, 0},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* One [devices ...] section. */
struct group {
	char section[64];
	char prefix[SCCP_DEVICE_NAME_LEN];
	unsigned first; /* number of the first device: <prefix><first> */
	unsigned count;
	char first_dn[LABCM_NUMBER_MAX + 1];
	enum cm_security security;
	unsigned seen; /* bit per key below */
	int line;      /* where the section started, for messages */
};

enum { G_PREFIX = 1, G_COUNT = 2, G_FIRST = 4, G_FIRST_DN = 8, G_SECURITY = 16 };

struct parse_state {
	struct labcm_config *cfg;
	char err[256];
	bool seen[N_KEYS];
	struct group groups[LABCM_MAX_GROUPS];
	size_t n_groups;
	size_t cap_devices;
};

void labcm_config_defaults(struct labcm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->server_name, sizeof(cfg->server_name), "vmport-labcm");
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1");
	cfg->sccp_port = 2000;
	cfg->tls_port = 2443;
	cfg->tftp_port = 69;
	cfg->tls_mode = CM_SECURITY_ENCRYPTED;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/vmport-labcm");
	cfg->keepalive_s = 30;
	cfg->keepalive_grace_ms = 5000;
	cfg->max_protocol_version = 17;
	cfg->register_timeout_s = 10;
	cfg->ring_timeout_s = 30;
	cfg->caller_rtp_min = 40000;
	cfg->caller_rtp_max = 40999;
}

void labcm_config_free(struct labcm_config *cfg)
{
	free(cfg->devices);
	cfg->devices = NULL;
	cfg->n_devices = 0;
}

int labcm_security_parse(const char *s, enum cm_security *out)
{
	static const enum cm_security modes[] = {CM_SECURITY_NONSECURE, CM_SECURITY_AUTHENTICATED,
	                                         CM_SECURITY_ENCRYPTED};
	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(s, cm_security_name(modes[i]))) {
			*out = modes[i];
			return 0;
		}
	}
	return -1;
}

void labcm_control_path(const struct labcm_config *cfg, char *out, size_t cap)
{
	snprintf(out, cap, "%s/labcm.sock", cfg->state_dir);
}

static void fail(struct parse_state *st, const char *fmt, ...)
{
	if (st->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

static bool digits_ok(const char *v)
{
	if (!*v || strlen(v) > LABCM_NUMBER_MAX)
		return false;
	for (const char *p = v; *p; p++)
		if (!strchr("0123456789*#", *p))
			return false;
	return true;
}

static bool parse_uint(const char *v, unsigned min, unsigned max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < min || n > max)
		return false;
	*out = n;
	return true;
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
	case KEY_IPV4: {
		struct in_addr a;
		if (strlen(value) >= k->size || inet_pton(AF_INET, value, &a) != 1) {
			fail(st, "%s = '%s': must be an IPv4 address", k->name, value);
			return 0;
		}
		strcpy(field, value);
		return 1;
	}
	case KEY_DIGITS:
		if (!digits_ok(value)) {
			fail(st, "%s = '%s': must be 1 to %d digits (0-9, * and #)", k->name, value,
			     LABCM_NUMBER_MAX);
			return 0;
		}
		strcpy(field, value);
		return 1;
	case KEY_UINT: {
		unsigned long v;
		if (!parse_uint(value, k->min, k->max, &v)) {
			fail(st, "%s = '%s': must be a whole number from %u to %u", k->name, value, k->min,
			     k->max);
			return 0;
		}
		if (k->size == sizeof(uint16_t))
			*(uint16_t *)field = (uint16_t)v;
		else
			*(unsigned *)field = (unsigned)v;
		return 1;
	}
	case KEY_SECURITY:
		if (labcm_security_parse(value, field) < 0) {
			fail(st, "%s = '%s': must be nonsecure, authenticated or encrypted", k->name, value);
			return 0;
		}
		return 1;
	}
	return 0;
}

static int add_device(struct parse_state *st, const char *name, const char *dn, enum cm_security sec)
{
	struct labcm_config *cfg = st->cfg;
	if (cfg->n_devices >= LABCM_MAX_DEVICES) {
		fail(st, "more than %d devices", LABCM_MAX_DEVICES);
		return 0;
	}
	if (cfg->n_devices == st->cap_devices) {
		size_t cap = st->cap_devices ? st->cap_devices * 2 : 64;
		struct labcm_device_def *grown = realloc(cfg->devices, cap * sizeof(*grown));
		if (!grown) {
			fail(st, "out of memory");
			return 0;
		}
		cfg->devices = grown;
		st->cap_devices = cap;
	}
	struct labcm_device_def *d = &cfg->devices[cfg->n_devices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->dn, sizeof(d->dn), "%s", dn);
	d->security = sec;
	return 1;
}

/* device = NAME DN MODE */
static int parse_device_line(struct parse_state *st, const char *value)
{
	char buf[160], *save = NULL;
	if (strlen(value) >= sizeof(buf)) {
		fail(st, "device = '%s': too long", value);
		return 0;
	}
	strcpy(buf, value);
	char *name = strtok_r(buf, " \t", &save), *dn = strtok_r(NULL, " \t", &save),
	     *mode = strtok_r(NULL, " \t", &save), *extra = strtok_r(NULL, " \t", &save);
	enum cm_security sec;
	if (!name || !dn || !mode || extra) {
		fail(st, "device = '%s': must be NAME DN MODE", value);
		return 0;
	}
	if (strlen(name) > 15) {
		fail(st, "device '%s': names are at most 15 characters", name);
		return 0;
	}
	if (!digits_ok(dn)) {
		fail(st, "device '%s': DN '%s' must be 1 to %d digits", name, dn, LABCM_NUMBER_MAX);
		return 0;
	}
	if (labcm_security_parse(mode, &sec) < 0) {
		fail(st, "device '%s': mode '%s' must be nonsecure, authenticated or encrypted", name, mode);
		return 0;
	}
	return add_device(st, name, dn, sec);
}

static struct group *group_for(struct parse_state *st, const char *section)
{
	for (size_t i = 0; i < st->n_groups; i++)
		if (!strcmp(st->groups[i].section, section))
			return &st->groups[i];
	if (st->n_groups == LABCM_MAX_GROUPS) {
		fail(st, "more than %d [devices] sections", LABCM_MAX_GROUPS);
		return NULL;
	}
	struct group *g = &st->groups[st->n_groups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->section, sizeof(g->section), "%s", section);
	g->first = 1;
	g->security = CM_SECURITY_ENCRYPTED;
	return g;
}

static int on_group_key(struct parse_state *st, const char *section, const char *name, const char *value)
{
	if (!strcmp(name, "device"))
		return parse_device_line(st, value);
	struct group *g = group_for(st, section);
	if (!g)
		return 0;
	static const struct {
		const char *name;
		unsigned bit;
	} gk[] = {{"prefix", G_PREFIX},
	          {"count", G_COUNT},
	          {"first", G_FIRST},
	          {"first_dn", G_FIRST_DN},
	          {"security_mode", G_SECURITY}};
	unsigned bit = 0;
	for (size_t i = 0; i < sizeof(gk) / sizeof(gk[0]); i++)
		if (!strcmp(name, gk[i].name))
			bit = gk[i].bit;
	if (!bit) {
		fail(st, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (g->seen & bit) {
		fail(st, "%s given twice in [%s]", name, section);
		return 0;
	}
	g->seen |= bit;
	unsigned long v;
	switch (bit) {
	case G_PREFIX:
		if (!*value || strlen(value) >= sizeof(g->prefix)) {
			fail(st, "prefix = '%s': must be 1 to 14 characters", value);
			return 0;
		}
		strcpy(g->prefix, value);
		return 1;
	case G_COUNT:
		if (!parse_uint(value, 1, LABCM_MAX_DEVICES, &v)) {
			fail(st, "count = '%s': must be from 1 to %d", value, LABCM_MAX_DEVICES);
			return 0;
		}
		g->count = (unsigned)v;
		return 1;
	case G_FIRST:
		if (!parse_uint(value, 0, 999999, &v)) {
			fail(st, "first = '%s': must be a number from 0 to 999999", value);
			return 0;
		}
		g->first = (unsigned)v;
		return 1;
	case G_FIRST_DN:
		if (!*value || strlen(value) > 18 || strspn(value, "0123456789") != strlen(value)) {
			fail(st, "first_dn = '%s': must be 1 to 18 digits", value);
			return 0;
		}
		strcpy(g->first_dn, value);
		return 1;
	case G_SECURITY:
		if (labcm_security_parse(value, &g->security) < 0) {
			fail(st, "security_mode = '%s': must be nonsecure, authenticated or encrypted",
			     value);
			return 0;
		}
		return 1;
	}
	return 0;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	if (!strcmp(section, "devices") || !strncmp(section, "devices ", 8))
		return on_group_key(st, section, name, value);
	if (strcmp(section, "labcm") != 0) {
		fail(st, "unknown section [%s]", section);
		return 0;
	}
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(name, keys[i].name))
			continue;
		if (st->seen[i]) {
			fail(st, "%s given twice in [labcm]", name);
			return 0;
		}
		st->seen[i] = true;
		return set_value(st, &keys[i], value);
	}
	fail(st, "unknown key '%s' in [labcm]", name);
	return 0;
}

/* <prefix><first .. first+count-1>, DNs counting up from first_dn with its width kept. */
static int expand_group(struct parse_state *st, const struct group *g)
{
	if (!(g->seen & G_PREFIX) || !(g->seen & G_COUNT) || !(g->seen & G_FIRST_DN)) {
		if (g->seen)
			fail(st, "[%s] needs prefix, count and first_dn", g->section);
		return g->seen ? 0 : 1;
	}
	unsigned long long dn0 = strtoull(g->first_dn, NULL, 10);
	int width = (int)strlen(g->first_dn);
	for (unsigned i = 0; i < g->count; i++) {
		char name[64], dn[32];
		snprintf(name, sizeof(name), "%s%u", g->prefix, g->first + i);
		if (strlen(name) > 15) {
			fail(st, "[%s]: device name '%s' is longer than 15 characters", g->section, name);
			return 0;
		}
		snprintf(dn, sizeof(dn), "%0*llu", width, dn0 + i);
		if (strlen(dn) > LABCM_NUMBER_MAX) {
			fail(st, "[%s]: DN '%s' is longer than %d digits", g->section, dn, LABCM_NUMBER_MAX);
			return 0;
		}
		if (!add_device(st, name, dn, g->security))
			return 0;
	}
	return 1;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct labcm_device_def *)a)->name, ((const struct labcm_device_def *)b)->name);
}

static int cmp_dn(const void *a, const void *b)
{
	return strcmp(((const struct labcm_device_def *)a)->dn, ((const struct labcm_device_def *)b)->dn);
}

/* Names and DNs must be unique: a sorted copy finds duplicates in O(n log n). */
static int check_unique(struct labcm_config *cfg, char *err, size_t cap, const char *file)
{
	if (cfg->n_devices < 2)
		return 0;
	struct labcm_device_def *copy = malloc(cfg->n_devices * sizeof(*copy));
	if (!copy) {
		snprintf(err, cap, "%s: out of memory", file);
		return -1;
	}
	int rc = 0;
	memcpy(copy, cfg->devices, cfg->n_devices * sizeof(*copy));
	qsort(copy, cfg->n_devices, sizeof(*copy), cmp_name);
	for (size_t i = 1; i < cfg->n_devices && !rc; i++) {
		if (!strcmp(copy[i].name, copy[i - 1].name)) {
			snprintf(err, cap, "%s: device %s is defined twice", file, copy[i].name);
			rc = -1;
		}
	}
	qsort(copy, cfg->n_devices, sizeof(*copy), cmp_dn);
	for (size_t i = 1; i < cfg->n_devices && !rc; i++) {
		if (!strcmp(copy[i].dn, copy[i - 1].dn)) {
			snprintf(err, cap, "%s: DN %s is given to both %s and %s", file, copy[i].dn,
			         copy[i - 1].name, copy[i].name);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int check_whole(struct labcm_config *cfg, char *err, size_t cap, const char *file)
{
	if (cfg->n_devices == 0) {
		snprintf(err, cap, "%s: no devices: add a [devices] section (prefix, count, first_dn)", file);
		return -1;
	}
	if (check_unique(cfg, err, cap, file) < 0)
		return -1;
	if (cfg->sccp_port == 0 && cfg->tls_port == 0) {
		snprintf(err, cap, "%s: sccp_port and tls_port are both 0: nothing to listen on", file);
		return -1;
	}
	if (cfg->mwi_on[0] && !strcmp(cfg->mwi_on, cfg->mwi_off)) {
		snprintf(err, cap, "%s: mwi_on_number and mwi_off_number are the same", file);
		return -1;
	}
	if (cfg->tls_mode == CM_SECURITY_NONSECURE) {
		snprintf(err, cap, "%s: tls_mode must be authenticated or encrypted", file);
		return -1;
	}
	if (cfg->caller_rtp_min >= cfg->caller_rtp_max) {
		snprintf(err, cap, "%s: caller_rtp_min %u must be below caller_rtp_max %u", file,
		         cfg->caller_rtp_min, cfg->caller_rtp_max);
		return -1;
	}
	if (!cfg->trust_dir[0]) {
		int n =
		    snprintf(cfg->trust_dir, sizeof(cfg->trust_dir), "%s/CallManager-trust", cfg->state_dir);
		if (n < 0 || (size_t)n >= sizeof(cfg->trust_dir)) {
			snprintf(err, cap, "%s: state_dir too long", file);
			return -1;
		}
	}
	if (!cfg->caller_rtp_ip[0])
		snprintf(cfg->caller_rtp_ip, sizeof(cfg->caller_rtp_ip), "%s", cfg->listen);
	if (cfg->max_connections == 0)
		cfg->max_connections = (unsigned)cfg->n_devices + 64;
	return 0;
}

int labcm_config_parse_string(struct labcm_config *cfg, const char *text, const char *name, char *err,
                              size_t err_cap)
{
	labcm_config_defaults(cfg);
	static struct parse_state st; /* large (groups); parsing happens once, at start */
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	int line = ini_parse_string(text, on_ini_entry, &st);
	if (line != 0) {
		snprintf(err, err_cap, "%s:%d: %s", name, line,
		         st.err[0] ? st.err : "not an INI line (no '=' or ']')");
		labcm_config_free(cfg);
		return -1;
	}
	for (size_t i = 0; i < st.n_groups; i++) {
		if (!expand_group(&st, &st.groups[i])) {
			snprintf(err, err_cap, "%s: %s", name, st.err);
			labcm_config_free(cfg);
			return -1;
		}
	}
	if (check_whole(cfg, err, err_cap, name) < 0) {
		labcm_config_free(cfg);
		return -1;
	}
	return 0;
}

int labcm_config_load(struct labcm_config *cfg, const char *path, char *err, size_t err_cap)
{
	char *text;
	if (vmport_read_text_file(path, VMPORT_CONFIG_MAX_BYTES, &text, err, err_cap) < 0) {
		labcm_config_defaults(cfg);
		return -1;
	}
	int rc = labcm_config_parse_string(cfg, text, path, err, err_cap);
	free(text);
	return rc;
}
