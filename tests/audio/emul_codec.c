/* The emulated codec: see emul_codec.h. Loaded by alsa-lib with dlopen; one PCM per stream and any
 * number of control handles may be open at once (the tests open at most that). */
#include "emul_codec.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <alsa/control_external.h>
#include <alsa/pcm_external.h>

/* The entry points alsa-lib looks up (the macros below define them without a prototype). */
int _snd_pcm_vmport_emul_open(snd_pcm_t **pcmp, const char *name, snd_config_t *root, snd_config_t *conf,
                              snd_pcm_stream_t stream, int mode);
int _snd_ctl_vmport_emul_open(snd_ctl_t **handlep, const char *name, snd_config_t *root, snd_config_t *conf,
                              int mode);

/* ---- PCM ---------------------------------------------------------------------------------------- */

struct emul_pcm {
	snd_pcm_ioplug_t io;
	int fd;            /* an eventfd ALSA can poll; never signalled, the tests do not poll */
	uint64_t start_ns; /* when the stream started; frames move from here on */
	bool running;
	bool xrun;         /* latched until the next prepare, counted once */
	uint64_t produced; /* capture: frames handed to the application so far */
};

static struct emul_pcm *live[2];
static unsigned xruns[2];
static int16_t tap[EMUL_TAP_FRAMES];
static size_t tap_len;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Frames the codec has moved since start. */
static uint64_t elapsed_frames(const struct emul_pcm *p)
{
	return p->running ? (now_ns() - p->start_ns) * p->io.rate / 1000000000u : 0;
}

static int emul_start(snd_pcm_ioplug_t *io)
{
	struct emul_pcm *p = io->private_data;
	p->start_ns = now_ns();
	p->running = true;
	return 0;
}

static int emul_stop(snd_pcm_ioplug_t *io)
{
	struct emul_pcm *p = io->private_data;
	p->running = false;
	return 0;
}

static int emul_prepare(snd_pcm_ioplug_t *io)
{
	struct emul_pcm *p = io->private_data;
	p->running = false;
	p->xrun = false;
	p->produced = 0;
	return 0;
}

static snd_pcm_sframes_t emul_pointer(snd_pcm_ioplug_t *io)
{
	struct emul_pcm *p = io->private_data;
	if (p->xrun)
		return -EPIPE;
	uint64_t hw = elapsed_frames(p);
	uint64_t appl = io->appl_ptr; /* frames the application wrote or read since prepare */
	/* Playback: the codec played everything queued (an underrun, as the kernel declares it).
	 * Capture: the application left the buffer full for longer than it holds (an overrun). */
	if (p->running &&
	    (io->stream == SND_PCM_STREAM_PLAYBACK ? hw >= appl : hw > appl + io->buffer_size)) {
		p->xrun = true;
		p->running = false;
		xruns[io->stream]++;
		return -EPIPE;
	}
	return (snd_pcm_sframes_t)(hw % io->buffer_size);
}

static snd_pcm_sframes_t emul_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas,
                                       snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	struct emul_pcm *p = io->private_data;
	const snd_pcm_channel_area_t *ch0 = &areas[0];
	for (snd_pcm_uframes_t i = 0; i < size; i++) {
		int16_t *s = (int16_t *)((char *)ch0->addr + (ch0->first + (offset + i) * ch0->step) / 8);
		if (io->stream == SND_PCM_STREAM_PLAYBACK) {
			if (tap_len < EMUL_TAP_FRAMES)
				tap[tap_len++] = *s;
		} else {
			for (unsigned c = 0; c < io->channels; c++)
				s[c] = (int16_t)(p->produced % 32768u);
			p->produced++;
		}
	}
	return (snd_pcm_sframes_t)size;
}

static int emul_resume(snd_pcm_ioplug_t *io)
{
	/* Like a codec that lost its position while powered down: the application must prepare. */
	struct emul_pcm *p = io->private_data;
	p->running = false;
	snd_pcm_ioplug_set_state(io, SND_PCM_STATE_SETUP);
	return 0;
}

static int emul_close(snd_pcm_ioplug_t *io)
{
	struct emul_pcm *p = io->private_data;
	if (live[io->stream] == p)
		live[io->stream] = NULL;
	close(p->fd);
	free(p);
	return 0;
}

static const snd_pcm_ioplug_callback_t emul_pcm_callbacks = {
    .start = emul_start,
    .stop = emul_stop,
    .prepare = emul_prepare,
    .pointer = emul_pointer,
    .transfer = emul_transfer,
    .resume = emul_resume,
    .close = emul_close,
};

SND_PCM_PLUGIN_DEFINE_FUNC(vmport_emul)
{
	(void)root;
	long fixed_rate = 0;
	snd_config_iterator_t i, next;
	snd_config_for_each(i, next, conf)
	{
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;
		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (strcmp(id, "comment") == 0 || strcmp(id, "type") == 0 || strcmp(id, "hint") == 0)
			continue;
		if (strcmp(id, "rate") == 0 && snd_config_get_integer(n, &fixed_rate) >= 0)
			continue;
		SNDERR("vmport_emul: unknown field %s", id);
		return -EINVAL;
	}

	struct emul_pcm *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->io.version = SND_PCM_IOPLUG_VERSION;
	p->io.name = "vmport emulated codec";
	p->io.flags = SND_PCM_IOPLUG_FLAG_MONOTONIC;
	p->io.poll_fd = p->fd;
	p->io.poll_events = stream == SND_PCM_STREAM_PLAYBACK ? POLLOUT : POLLIN;
	p->io.mmap_rw = 0;
	p->io.callback = &emul_pcm_callbacks;
	p->io.private_data = p;
	int err = snd_pcm_ioplug_create(&p->io, name, stream, mode);
	if (err < 0) {
		close(p->fd);
		free(p);
		return err;
	}
	static const unsigned access[] = {SND_PCM_ACCESS_RW_INTERLEAVED};
	static const unsigned formats[] = {SND_PCM_FORMAT_S16_LE};
	unsigned rmin = fixed_rate > 0 ? (unsigned)fixed_rate : 8000,
	         rmax = fixed_rate > 0 ? (unsigned)fixed_rate : 48000;
	if ((err = snd_pcm_ioplug_set_param_list(&p->io, SND_PCM_IOPLUG_HW_ACCESS, 1, access)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_list(&p->io, SND_PCM_IOPLUG_HW_FORMAT, 1, formats)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_CHANNELS, 1, 2)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_RATE, rmin, rmax)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 32, 65536)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 64)) < 0) {
		snd_pcm_ioplug_delete(&p->io);
		return err;
	}
	if (stream == SND_PCM_STREAM_PLAYBACK)
		tap_len = 0;
	live[stream] = p;
	*pcmp = p->io.pcm;
	return 0;
}
SND_PCM_PLUGIN_SYMBOL(vmport_emul)

/* ---- controls ----------------------------------------------------------------------------------- */

struct emul_ctl_def {
	const char *name;
	int type; /* SND_CTL_ELEM_TYPE_* */
	long min, max;
	const char *const *items;
	unsigned n_items;
	long init;
};

static const char *const source_items[] = {"Mic", "Line"};
static const char *const bias_items[] = {"1.8V", "2.5V", "3.3V"};

static const struct emul_ctl_def defs[] = {
    {"Master Playback Volume", SND_CTL_ELEM_TYPE_INTEGER, 0, 127, NULL, 0, 100},
    {"Master Playback Switch", SND_CTL_ELEM_TYPE_BOOLEAN, 0, 1, NULL, 0, 1},
    {"Capture Volume", SND_CTL_ELEM_TYPE_INTEGER, 0, 31, NULL, 0, 16},
    {"Capture Switch", SND_CTL_ELEM_TYPE_BOOLEAN, 0, 1, NULL, 0, 0},
    {"Capture Source", SND_CTL_ELEM_TYPE_ENUMERATED, 0, 1, source_items, 2, 1},
    {"Mic Bias Voltage", SND_CTL_ELEM_TYPE_ENUMERATED, 0, 2, bias_items, 3, 0},
};
#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

static long regs[N_DEFS];
static bool regs_ready;

/* Open control handles, each with the controls changed since it last read its events: what the
 * kernel does for a sound card's control devices, so a mixer's cached values can be refreshed. */
#define MAX_HANDLES 8
struct emul_ctl {
	snd_ctl_ext_t ext;
	bool subscribed;
	uint32_t pending; /* bit k: defs[k] changed */
};
static struct emul_ctl *handles[MAX_HANDLES];

static void notify_change(size_t k)
{
	for (size_t h = 0; h < MAX_HANDLES; h++) {
		if (handles[h] != NULL && handles[h]->subscribed) {
			handles[h]->pending |= 1u << k;
			uint64_t one = 1;
			if (write(handles[h]->ext.poll_fd, &one, sizeof(one)) < 0) {
				/* the counter is saturated: it is readable anyway */
			}
		}
	}
}

void vmport_emul_reset_controls(void)
{
	for (size_t k = 0; k < N_DEFS; k++) {
		bool changed = regs_ready && regs[k] != defs[k].init;
		regs[k] = defs[k].init;
		if (changed)
			notify_change(k);
	}
	regs_ready = true;
}

long vmport_emul_control(const char *name)
{
	if (!regs_ready)
		vmport_emul_reset_controls();
	for (size_t k = 0; k < N_DEFS; k++)
		if (strcmp(defs[k].name, name) == 0)
			return regs[k];
	return -1;
}

static int ctl_elem_count(snd_ctl_ext_t *ext)
{
	(void)ext;
	return (int)N_DEFS;
}

static int ctl_elem_list(snd_ctl_ext_t *ext, unsigned int offset, snd_ctl_elem_id_t *id)
{
	(void)ext;
	snd_ctl_elem_id_set_interface(id, SND_CTL_ELEM_IFACE_MIXER);
	snd_ctl_elem_id_set_name(id, defs[offset].name);
	return 0;
}

static snd_ctl_ext_key_t ctl_find_elem(snd_ctl_ext_t *ext, const snd_ctl_elem_id_t *id)
{
	(void)ext;
	const char *name = snd_ctl_elem_id_get_name(id);
	for (size_t k = 0; k < N_DEFS; k++)
		if (strcmp(defs[k].name, name) == 0)
			return k;
	return SND_CTL_EXT_KEY_NOT_FOUND;
}

static int ctl_get_attribute(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, int *type, unsigned int *acc,
                             unsigned int *count)
{
	(void)ext;
	*type = defs[key].type;
	*acc = SND_CTL_EXT_ACCESS_READWRITE;
	*count = 1;
	return 0;
}

static int ctl_get_integer_info(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, long *imin, long *imax,
                                long *istep)
{
	(void)ext;
	*imin = defs[key].min;
	*imax = defs[key].max;
	*istep = 1;
	return 0;
}

static int ctl_get_enumerated_info(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, unsigned int *items)
{
	(void)ext;
	*items = defs[key].n_items;
	return 0;
}

static int ctl_get_enumerated_name(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, unsigned int item, char *name,
                                   size_t name_max_len)
{
	(void)ext;
	if (item >= defs[key].n_items)
		return -EINVAL;
	snprintf(name, name_max_len, "%s", defs[key].items[item]);
	return 0;
}

static int ctl_read_integer(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, long *value)
{
	(void)ext;
	*value = regs[key];
	return 0;
}

static int ctl_write_integer(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, long *value)
{
	(void)ext;
	if (*value < defs[key].min || *value > defs[key].max)
		return -EINVAL;
	int changed = regs[key] != *value;
	regs[key] = *value;
	if (changed)
		notify_change(key);
	return changed;
}

static int ctl_read_enumerated(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, unsigned int *items)
{
	(void)ext;
	*items = (unsigned)regs[key];
	return 0;
}

static int ctl_write_enumerated(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, unsigned int *items)
{
	(void)ext;
	if (*items >= defs[key].n_items)
		return -EINVAL;
	int changed = regs[key] != (long)*items;
	regs[key] = (long)*items;
	if (changed)
		notify_change(key);
	return changed;
}

static void ctl_subscribe_events(snd_ctl_ext_t *ext, int subscribe)
{
	struct emul_ctl *c = ext->private_data;
	c->subscribed = subscribe != 0;
	if (!c->subscribed)
		c->pending = 0;
}

static int ctl_read_event(snd_ctl_ext_t *ext, snd_ctl_elem_id_t *id, unsigned int *event_mask)
{
	struct emul_ctl *c = ext->private_data;
	if (c->pending == 0) {
		uint64_t count;
		if (read(ext->poll_fd, &count, sizeof(count)) < 0) {
			/* nothing was signalled */
		}
		return -EAGAIN;
	}
	unsigned k = (unsigned)__builtin_ctz(c->pending);
	c->pending &= ~(1u << k);
	snd_ctl_elem_id_set_numid(id, k + 1); /* ctl_ext numbers elements from 1 in list order */
	snd_ctl_elem_id_set_interface(id, SND_CTL_ELEM_IFACE_MIXER);
	snd_ctl_elem_id_set_name(id, defs[k].name);
	*event_mask = SND_CTL_EVENT_MASK_VALUE;
	return 1;
}

static void ctl_close(snd_ctl_ext_t *ext)
{
	struct emul_ctl *c = ext->private_data;
	for (size_t h = 0; h < MAX_HANDLES; h++)
		if (handles[h] == c)
			handles[h] = NULL;
	close(ext->poll_fd);
	free(c);
}

static const snd_ctl_ext_callback_t emul_ctl_callbacks = {
    .close = ctl_close,
    .elem_count = ctl_elem_count,
    .elem_list = ctl_elem_list,
    .find_elem = ctl_find_elem,
    .get_attribute = ctl_get_attribute,
    .get_integer_info = ctl_get_integer_info,
    .get_enumerated_info = ctl_get_enumerated_info,
    .get_enumerated_name = ctl_get_enumerated_name,
    .read_integer = ctl_read_integer,
    .read_enumerated = ctl_read_enumerated,
    .write_integer = ctl_write_integer,
    .write_enumerated = ctl_write_enumerated,
    .subscribe_events = ctl_subscribe_events,
    .read_event = ctl_read_event,
};

SND_CTL_PLUGIN_DEFINE_FUNC(vmport_emul)
{
	(void)root;
	(void)conf;
	if (!regs_ready)
		vmport_emul_reset_controls();
	size_t slot = 0;
	while (slot < MAX_HANDLES && handles[slot] != NULL)
		slot++;
	if (slot == MAX_HANDLES)
		return -EBUSY;
	struct emul_ctl *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	snd_ctl_ext_t *ext = &c->ext;
	ext->version = SND_CTL_EXT_VERSION;
	ext->card_idx = 0;
	snprintf(ext->id, sizeof(ext->id), "vmportemul");
	snprintf(ext->driver, sizeof(ext->driver), "vmport_emul");
	snprintf(ext->name, sizeof(ext->name), "vmport emulated codec");
	snprintf(ext->longname, sizeof(ext->longname), "vmport emulated codec (tests/audio)");
	snprintf(ext->mixername, sizeof(ext->mixername), "vmport emul");
	ext->poll_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ext->callback = &emul_ctl_callbacks;
	ext->private_data = c;
	int err = snd_ctl_ext_create(ext, name, mode);
	if (err < 0) {
		close(ext->poll_fd);
		free(c);
		return err;
	}
	handles[slot] = c;
	*handlep = ext->handle;
	return 0;
}
SND_CTL_PLUGIN_SYMBOL(vmport_emul)

/* ---- test hooks --------------------------------------------------------------------------------- */

int vmport_emul_suspend(int stream)
{
	if (stream < 0 || stream > 1 || live[stream] == NULL)
		return -1;
	live[stream]->running = false;
	snd_pcm_ioplug_set_state(&live[stream]->io, SND_PCM_STATE_SUSPENDED);
	return 0;
}

size_t vmport_emul_tap(int16_t *out, size_t max)
{
	size_t n = tap_len < max ? tap_len : max;
	memcpy(out, tap, n * sizeof(*out));
	return n;
}

unsigned vmport_emul_xruns(int stream)
{
	return stream == 0 || stream == 1 ? xruns[stream] : 0;
}
