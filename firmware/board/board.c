/* The board file: one table of keys drives parsing, range checks and the error messages. */
#include "board.h"
#include "config.h"
#include "data_dir.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef VMPORT_SOURCE_BOARDS
#define VMPORT_SOURCE_BOARDS "/usr/share/vmport/board"
#endif

enum key_type {
	KEY_STR,     /* free text up to size-1 */
	KEY_NAME,    /* an interface or LED name: no '/', no blanks */
	KEY_UINT,    /* unsigned within [min, max] */
	KEY_INT,     /* signed within [min, max] */
	KEY_BOOL,    /* yes/no, on/off, true/false, 1/0 */
	KEY_BACKEND, /* a backend name the HAL knows */
	KEY_ARCH,    /* x86_64 | aarch64 | armhf */
	KEY_CONTROL, /* NAME=VALUE mixer setting; repeatable */
};

enum hal_kind { HAL_AUDIO, HAL_NET, HAL_LED, HAL_WATCHDOG, HAL_RT };

struct key_def {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;
	long min; /* KEY_UINT, KEY_INT range; KEY_BACKEND: enum hal_kind */
	long max;
};

#define FIELD(f) offsetof(struct vm_board, f), sizeof(((struct vm_board *)0)->f)

static const struct key_def keys[] = {
    {"board", "name", KEY_NAME, FIELD(name), 0, 0},
    {"board", "arch", KEY_ARCH, FIELD(arch), 0, 0},
    {"board", "description", KEY_STR, FIELD(description), 0, 0},
    {"audio", "backend", KEY_BACKEND, FIELD(audio.backend), HAL_AUDIO, 0},
    {"audio", "monitor", KEY_STR, FIELD(audio.monitor), 0, 0},
    {"audio", "capture", KEY_STR, FIELD(audio.capture), 0, 0},
    {"audio", "mixer", KEY_STR, FIELD(audio.mixer), 0, 0},
    {"audio", "control", KEY_CONTROL, 0, 0, 0, 0},
    {"net", "backend", KEY_BACKEND, FIELD(net.backend), HAL_NET, 0},
    {"net", "iface", KEY_NAME, FIELD(net.iface), 0, 0},
    {"net", "vlan", KEY_NAME, FIELD(net.vlan), 0, 0},
    {"leds", "backend", KEY_BACKEND, FIELD(leds.backend), HAL_LED, 0},
    {"leds", "root", KEY_STR, FIELD(leds.root), 0, 0},
    {"leds", "registered", KEY_NAME, FIELD(leds.registered), 0, 0},
    {"leds", "mwi", KEY_NAME, FIELD(leds.mwi), 0, 0},
    {"watchdog", "backend", KEY_BACKEND, FIELD(watchdog.backend), HAL_WATCHDOG, 0},
    {"watchdog", "device", KEY_STR, FIELD(watchdog.device), 0, 0},
    {"watchdog", "timeout_s", KEY_UINT, FIELD(watchdog.timeout_s), 0, HAL_WATCHDOG_MAX_TIMEOUT_S},
    {"media_thread", "rt", KEY_BACKEND, FIELD(media.rt), HAL_RT, 0},
    {"media_thread", "cpu", KEY_INT, FIELD(media.cpu), -1, 1023},
    {"media_thread", "priority", KEY_INT, FIELD(media.priority), 0, 99},
    {"media_thread", "lock_memory", KEY_BOOL, FIELD(media.lock_memory), 0, 0},
    {"ports", "budget", KEY_UINT, FIELD(port_budget), 1, 1000},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

struct parse_state {
	struct vm_board *b;
	char err[320]; /* the first problem; inih tells the line */
	bool seen[N_KEYS];
};

void vm_board_defaults(struct vm_board *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->audio.backend, sizeof(b->audio.backend), "null");
	snprintf(b->net.backend, sizeof(b->net.backend), "linux");
	snprintf(b->leds.backend, sizeof(b->leds.backend), "null");
	snprintf(b->watchdog.backend, sizeof(b->watchdog.backend), "null");
	snprintf(b->media.rt, sizeof(b->media.rt), "linux");
	b->media.cpu = -1;
}

static void fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parse_state *st, const char *fmt, ...)
{
	if (st->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

static bool backend_known(enum hal_kind kind, const char *name, const char **known)
{
	switch (kind) {
	case HAL_AUDIO:
		*known = hal_audio_backend_names();
		return hal_audio_find(name) != NULL;
	case HAL_NET:
		*known = hal_net_backend_names();
		return hal_net_find(name) != NULL;
	case HAL_LED:
		*known = hal_led_backend_names();
		return hal_led_find(name) != NULL;
	case HAL_WATCHDOG:
		*known = hal_watchdog_backend_names();
		return hal_watchdog_find(name) != NULL;
	case HAL_RT:
		*known = "linux, null";
		return hal_rt_find(name) != NULL;
	}
	*known = "";
	return false;
}

static int set_value(struct parse_state *st, const struct key_def *k, const char *value)
{
	void *field = (char *)st->b + k->offset;
	switch (k->type) {
	case KEY_NAME:
		if (strpbrk(value, "/ \t") != NULL || !strcmp(value, ".") || !strcmp(value, "..")) {
			fail(st, "%s = '%s': a name, not a path (no '/' or blanks)", k->name, value);
			return 0;
		}
		/* fall through */
	case KEY_STR:
		if (strlen(value) >= k->size) {
			fail(st, "%s = '%s': longer than %zu characters", k->name, value, k->size - 1);
			return 0;
		}
		memcpy(field, value, strlen(value) + 1);
		return 1;
	case KEY_ARCH:
		if (strcmp(value, "x86_64") && strcmp(value, "aarch64") && strcmp(value, "armhf")) {
			fail(st, "arch = '%s': must be x86_64, aarch64 or armhf", value);
			return 0;
		}
		snprintf(field, k->size, "%s", value);
		return 1;
	case KEY_BACKEND: {
		const char *known;
		if (!backend_known((enum hal_kind)k->min, value, &known)) {
			fail(st, "%s = '%s': unknown backend (known: %s)", k->name, value, known);
			return 0;
		}
		snprintf(field, k->size, "%s", value);
		return 1;
	}
	case KEY_UINT:
	case KEY_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max) {
			fail(st, "%s = '%s': must be a whole number from %ld to %ld", k->name, value, k->min,
			     k->max);
			return 0;
		}
		if (k->type == KEY_UINT)
			*(unsigned *)field = (unsigned)v;
		else
			*(int *)field = (int)v;
		return 1;
	}
	case KEY_BOOL:
		if (!vmport_parse_bool(value, field)) {
			fail(st, "%s = '%s': must be yes or no", k->name, value);
			return 0;
		}
		return 1;
	case KEY_CONTROL: {
		struct hal_audio_config tmp;
		hal_audio_config_init(&tmp, HAL_AUDIO_PLAYBACK);
		memcpy(tmp.controls, st->b->audio.controls, sizeof(tmp.controls));
		tmp.n_controls = st->b->audio.n_controls;
		int rc = hal_audio_config_add_control(&tmp, value);
		if (rc == -ENOSPC) {
			fail(st, "control = '%s': more than %u mixer settings", value,
			     HAL_AUDIO_MAX_CONTROLS);
			return 0;
		}
		if (rc != 0) {
			fail(st, "control = '%s': must be NAME=VALUE (\"PCM Playback Volume=80%%\")", value);
			return 0;
		}
		memcpy(st->b->audio.controls, tmp.controls, sizeof(tmp.controls));
		st->b->audio.n_controls = tmp.n_controls;
		return 1;
	}
	}
	return 0;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	bool section_known = false;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(section, keys[i].section))
			continue;
		section_known = true;
		if (strcmp(name, keys[i].name))
			continue;
		if (st->seen[i] && keys[i].type != KEY_CONTROL) {
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
static int check_whole(const struct vm_board *b, char *err, size_t cap, const char *name)
{
	if (!b->name[0] || !b->arch[0]) {
		snprintf(err, cap, "%s: [board] name and arch are required", name);
		return -1;
	}
	if (b->port_budget == 0) {
		snprintf(err, cap, "%s: [ports] budget is required (how many ports this board carries)",
		         name);
		return -1;
	}
	if (strcmp(b->audio.backend, "null") && !b->audio.monitor[0] && !b->audio.capture[0]) {
		snprintf(err, cap, "%s: [audio] backend %s needs a monitor or a capture device", name,
		         b->audio.backend);
		return -1;
	}
	if (!strcmp(b->leds.backend, "sysfs") && !b->leds.registered[0] && !b->leds.mwi[0]) {
		snprintf(err, cap, "%s: [leds] backend sysfs needs a registered or an mwi LED name", name);
		return -1;
	}
	if (b->leds.registered[0] && !strcmp(b->leds.registered, b->leds.mwi)) {
		snprintf(err, cap, "%s: [leds] registered and mwi are the same LED '%s'", name, b->leds.mwi);
		return -1;
	}
	if (b->net.vlan[0] && !strcmp(b->net.vlan, b->net.iface)) {
		snprintf(err, cap, "%s: [net] vlan '%s' is the NIC itself", name, b->net.vlan);
		return -1;
	}
	return 0;
}

int vm_board_parse_string(struct vm_board *b, const char *text, const char *name, char *err, size_t err_cap)
{
	vm_board_defaults(b);
	struct parse_state st = {.b = b};
	int line = ini_parse_string(text, on_ini_entry, &st);
	if (line != 0) {
		snprintf(err, err_cap, "%s:%d: %s", name, line,
		         st.err[0] ? st.err : "not an INI line (no '=' or ']')");
		return -1;
	}
	return check_whole(b, err, err_cap, name);
}

int vm_board_load(struct vm_board *b, const char *path, char *err, size_t err_cap)
{
	/* A board file is a page of text; anything larger is not one. */
	char *text;
	if (vmport_read_text_file(path, 64 * 1024, &text, err, err_cap) < 0)
		return -1;
	int rc = vm_board_parse_string(b, text, path, err, err_cap);
	free(text);
	return rc;
}

int vm_board_path(const char *board, char *out, size_t cap)
{
	if (board == NULL || board[0] == '\0' || cap == 0)
		return -EINVAL;
	if (strchr(board, '/')) {
		snprintf(out, cap, "%s", board);
		return access(out, R_OK) == 0 ? 0 : -ENOENT;
	}
	const char *dir = getenv("VMPORT_BOARD_DIR");
	if (dir != NULL && dir[0] != '\0') {
		snprintf(out, cap, "%s/%s/board.ini", dir, board);
		if (access(out, R_OK) == 0)
			return 0;
	}
	char rel[128];
	if ((size_t)snprintf(rel, sizeof(rel), "board/%s/board.ini", board) >= sizeof(rel))
		return -ENAMETOOLONG;
	return vm_data_find(rel, out, cap);
}

bool vm_board_audio_config(const struct vm_board *b, enum hal_audio_dir dir, struct hal_audio_config *cfg)
{
	hal_audio_config_init(cfg, dir);
	const char *device = dir == HAL_AUDIO_PLAYBACK ? b->audio.monitor : b->audio.capture;
	snprintf(cfg->device, sizeof(cfg->device), "%s", device);
	snprintf(cfg->mixer, sizeof(cfg->mixer), "%s", b->audio.mixer);
	memcpy(cfg->controls, b->audio.controls, sizeof(cfg->controls));
	cfg->n_controls = b->audio.n_controls;
	return !strcmp(b->audio.backend, "null") || device[0] != '\0';
}

void vm_board_net_config(const struct vm_board *b, struct hal_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", b->net.iface);
	snprintf(cfg->vlan, sizeof(cfg->vlan), "%s", b->net.vlan);
}

bool vm_board_led_config(const struct vm_board *b, enum vm_board_led which, struct hal_led_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	const char *name = which == VM_BOARD_LED_REGISTERED ? b->leds.registered : b->leds.mwi;
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	snprintf(cfg->root, sizeof(cfg->root), "%s", b->leds.root);
	return name[0] != '\0';
}

void vm_board_watchdog_config(const struct vm_board *b, struct hal_watchdog_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->device, sizeof(cfg->device), "%s", b->watchdog.device);
	cfg->timeout_s = b->watchdog.timeout_s;
}

void vm_board_rt_policy(const struct vm_board *b, struct hal_rt_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	policy->priority = b->media.priority;
	policy->cpu = b->media.cpu;
	policy->lock_memory = b->media.lock_memory;
	policy->stack_prefault = 64 * 1024;
}

void vm_board_describe(const struct vm_board *b, char *buf, size_t cap)
{
	char cpu[16] = "any CPU";
	if (b->media.cpu >= 0)
		snprintf(cpu, sizeof(cpu), "CPU %d", b->media.cpu);
	snprintf(buf, cap,
	         "board %s (%s): audio %s%s%s, net %s %s%s%s, leds %s, watchdog %s%s%s, media thread %s "
	         "priority %d on %s%s, up to %u ports",
	         b->name, b->arch, b->audio.backend, b->audio.monitor[0] ? " " : "", b->audio.monitor,
	         b->net.backend, b->net.iface[0] ? b->net.iface : "(default route)",
	         b->net.vlan[0] ? " vlan " : "", b->net.vlan, b->leds.backend, b->watchdog.backend,
	         !strcmp(b->watchdog.backend, "linux") ? " " : "",
	         !strcmp(b->watchdog.backend, "linux")
	             ? (b->watchdog.device[0] ? b->watchdog.device : HAL_WATCHDOG_DEFAULT_DEVICE)
	             : "",
	         b->media.rt, b->media.priority, cpu, b->media.lock_memory ? ", memory locked" : "",
	         b->port_budget);
}
