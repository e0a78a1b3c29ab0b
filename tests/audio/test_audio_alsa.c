/* hal/audio "alsa" backend, driven through real snd_pcm and snd_mixer calls with no sound card:
 *  - ALSA's `file` plug-in over `null` (opened from a configuration text with snd_pcm_open_lconf):
 *    playback makes a real WAV with exactly the samples written, capture returns the infile;
 *  - ALSA's `null` plug-in alone;
 *  - the emulated codec (emul_codec.c, an ALSA ioplug + ctl_ext plug-in on a real clock), the only
 *    way to get genuine underruns, overruns and suspends, and mixer controls, without hardware
 *    (the null and file plug-ins never xrun: they are not paced);
 *  - errors: a PCM that does not exist, a rate the device refuses, controls it lacks. */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio/hal_audio.h"
#include "emul_codec.h"
#include "wav/wav.h"

#define RATE 8000
#define PACKET 160 /* 20 ms */

static char dir[64];
static char lconf[4096];
static void *emul;

static long (*emul_control)(const char *);
static void (*emul_reset_controls)(void);
static int (*emul_suspend)(int);
static size_t (*emul_tap)(int16_t *, size_t);
static unsigned (*emul_xruns)(int);

static void path_in_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void tone(int16_t *out, size_t n, size_t first, double hz)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (int16_t)lrint(8000.0 * sin(2.0 * M_PI * hz * (double)(first + i) / RATE));
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The emulated codec's PCMs and control device, by name, for every test that uses it. */
static const char *emul_lconf(void)
{
	snprintf(lconf, sizeof(lconf),
	         "pcm_type.vmport_emul { lib \"%s\" }\n"
	         "ctl_type.vmport_emul { lib \"%s\" }\n"
	         "pcm.codec { type vmport_emul }\n"
	         "pcm.codec48k { type vmport_emul rate 48000 }\n"
	         "ctl.codec { type vmport_emul }\n",
	         VMPORT_ALSA_EMUL, VMPORT_ALSA_EMUL);
	return lconf;
}

static void emul_config(struct hal_audio_config *cfg, enum hal_audio_dir d, unsigned buffer_periods)
{
	hal_audio_config_init(cfg, d);
	snprintf(cfg->device, sizeof(cfg->device), "codec");
	snprintf(cfg->mixer, sizeof(cfg->mixer), "codec");
	cfg->buffer_periods = buffer_periods;
	cfg->alsa_lconf = emul_lconf();
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmport-audio-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	/* The same object alsa-lib loads by path: dlopen returns that instance, so the hooks see the
	 * codec the PCMs run on. */
	emul = dlopen(VMPORT_ALSA_EMUL, RTLD_NOW);
	if (emul == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", VMPORT_ALSA_EMUL, dlerror());
		return -1;
	}
	*(void **)&emul_control = dlsym(emul, "vmport_emul_control");
	*(void **)&emul_reset_controls = dlsym(emul, "vmport_emul_reset_controls");
	*(void **)&emul_suspend = dlsym(emul, "vmport_emul_suspend");
	*(void **)&emul_tap = dlsym(emul, "vmport_emul_tap");
	*(void **)&emul_xruns = dlsym(emul, "vmport_emul_xruns");
	if (!emul_control || !emul_reset_controls || !emul_suspend || !emul_tap || !emul_xruns)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

/* ---- ALSA's file and null plug-ins --------------------------------------------------------------- */

static void test_file_plugin_playback_makes_the_wav_written(void **state)
{
	(void)state;
	char out[128], in[128];
	path_in_dir(out, sizeof(out), "monitor.wav");
	path_in_dir(in, sizeof(in), "unused.raw");
	write_file(in, "", 0);
	snprintf(lconf, sizeof(lconf),
	         "pcm.x { type file slave.pcm { type null } file \"%s\" format \"wav\" infile \"%s\" }", out,
	         in);

	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "x");
	cfg.alsa_lconf = lconf;
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	struct hal_audio_caps caps;
	assert_int_equal(hal_audio_caps(&a, &caps), 0);
	assert_true(caps.playback && caps.paced && !caps.mixer);
	assert_int_equal(caps.rate, RATE);
	assert_int_equal(caps.period_frames, PACKET);
	assert_int_equal(caps.buffer_frames, 4 * PACKET);
	assert_int_equal(hal_audio_start(&a), 0);

	/* 1 s of a 1 kHz tone, one 20 ms packet at a time, as the media thread sends it. */
	int16_t *sent = malloc(RATE * sizeof(*sent));
	assert_non_null(sent);
	tone(sent, RATE, 0, 1000.0);
	for (size_t off = 0; off < RATE; off += PACKET)
		assert_int_equal(hal_audio_write(&a, sent + off, PACKET), PACKET);
	assert_int_equal(a.stats.frames_written, RATE);
	assert_int_equal(a.stats.frames_dropped, 0);
	assert_int_equal(a.stats.underruns, 0);
	assert_int_equal(hal_audio_stop(&a), 0);
	assert_int_equal(hal_audio_close(&a), 0);

	size_t len;
	uint8_t *wav = read_file(out, &len);
	struct wav_info info;
	assert_int_equal(wav_parse_header(wav, len, &info), WAV_OK);
	assert_int_equal(info.encoding, WAV_PCM16);
	assert_int_equal(info.sample_rate, RATE);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.data_len, RATE * 2);
	assert_int_equal(len, info.data_offset + RATE * 2);
	for (size_t i = 0; i < RATE; i++) {
		const uint8_t *p = wav + info.data_offset + 2 * i;
		int16_t got = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
		if (got != sent[i])
			fail_msg("sample %zu: wrote %d, the WAV has %d", i, sent[i], got);
	}
	free(wav);
	free(sent);
}

static void test_file_plugin_capture_returns_the_infile(void **state)
{
	(void)state;
	char out[128], in[128];
	path_in_dir(out, sizeof(out), "captured.raw");
	path_in_dir(in, sizeof(in), "greeting.raw");
	enum { N = 4000 }; /* 0.5 s */
	uint8_t raw[2 * N];
	int16_t expect[N];
	tone(expect, N, 0, 440.0);
	for (size_t i = 0; i < N; i++) {
		raw[2 * i] = (uint8_t)((uint16_t)expect[i] & 0xff);
		raw[2 * i + 1] = (uint8_t)((uint16_t)expect[i] >> 8);
	}
	write_file(in, raw, sizeof(raw));
	snprintf(lconf, sizeof(lconf),
	         "pcm.x { type file slave.pcm { type null } file \"%s\" format \"raw\" infile \"%s\" }", out,
	         in);

	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	snprintf(cfg.device, sizeof(cfg.device), "x");
	cfg.alsa_lconf = lconf;
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);

	/* Reads bounded to the infile: the plug-in reports full reads after its end. */
	int16_t got[N];
	for (size_t off = 0; off < N; off += PACKET)
		assert_int_equal(hal_audio_read(&a, got + off, PACKET), PACKET);
	assert_memory_equal(got, expect, sizeof(expect));
	assert_int_equal(a.stats.frames_read, N);

	/* Past the end the plug-in leaves the buffer untouched: the HAL gives silence, not garbage. */
	int16_t after[PACKET];
	memset(after, 0x55, sizeof(after));
	assert_int_equal(hal_audio_read(&a, after, PACKET), PACKET);
	for (size_t i = 0; i < PACKET; i++)
		assert_int_equal(after[i], 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_null_plugin_accepts_and_reads_silence(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "x");
	cfg.alsa_lconf = "pcm.x { type null }";
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t pkt[PACKET];
	tone(pkt, PACKET, 0, 1000.0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	assert_int_equal(a.stats.frames_written, 50 * PACKET);
	assert_int_equal(hal_audio_close(&a), 0);

	cfg.dir = HAL_AUDIO_CAPTURE;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	memset(pkt, 0x55, sizeof(pkt));
	assert_int_equal(hal_audio_read(&a, pkt, PACKET), PACKET);
	for (size_t i = 0; i < PACKET; i++)
		assert_int_equal(pkt[i], 0);
	assert_int_equal(a.stats.frames_read, PACKET);
	assert_int_equal(hal_audio_close(&a), 0);
}

/* ---- the emulated codec: pacing, xruns, suspend ------------------------------------------------- */

static void test_underrun_is_recovered_and_counted(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	/* A 320 ms buffer that starts half full: the test survives a loaded machine's stalls. */
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 16);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	unsigned xruns_before = emul_xruns(0);

	int16_t pkt[PACKET];
	tone(pkt, PACKET, 0, 1000.0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	/* The media thread stalls for 500 ms: the codec plays its 160 ms and runs dry. */
	sleep_ms(500);
	assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	assert_int_equal(a.stats.underruns, 1);
	assert_int_equal(emul_xruns(0), xruns_before + 1);
	assert_int_equal(a.stats.errors, 0);
	/* And it plays on. */
	assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	assert_int_equal(a.stats.frames_written, 10 * PACKET);
	assert_int_equal(a.stats.frames_dropped, 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_overrun_is_recovered_and_counted(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_CAPTURE, 16); /* 320 ms */
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t pkt[PACKET];

	/* Paced: right after start the codec has captured little or nothing. */
	int n = hal_audio_read(&a, pkt, PACKET);
	assert_true(n >= 0 && n <= PACKET);
	int first = n;
	/* 30 ms later a whole packet is there, and the ramp starts at 0 with nothing lost. */
	sleep_ms(30);
	n = hal_audio_read(&a, pkt + first, (size_t)(PACKET - first));
	assert_int_equal(n, PACKET - first);
	for (int i = 0; i < PACKET; i++)
		assert_int_equal(pkt[i], i);
	assert_int_equal(a.stats.frames_read, PACKET);

	/* The thread stalls for 500 ms with a 320 ms buffer: overrun, recovered, counted. */
	sleep_ms(500);
	n = hal_audio_read(&a, pkt, PACKET);
	assert_true(n >= 0);
	assert_int_equal(a.stats.overruns, 1);
	assert_int_equal(a.stats.errors, 0);
	/* Capture runs again after the recovery. */
	sleep_ms(30);
	assert_true(hal_audio_read(&a, pkt, PACKET) > 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_write_never_blocks_when_the_buffer_is_full(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 16); /* 320 ms */
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t pkt[PACKET];
	tone(pkt, PACKET, 0, 1000.0);

	/* 30 packets at once into a 16-packet buffer: the excess is dropped and counted. A blocking
	 * write would have waited for room instead and dropped nothing. */
	enum { BURST = 30 };
	for (int i = 0; i < BURST; i++) {
		int n = hal_audio_write(&a, pkt, PACKET);
		assert_true(n >= 0 && n <= PACKET);
	}
	assert_int_equal(a.stats.frames_written + a.stats.frames_dropped, BURST * PACKET);
	assert_true(a.stats.frames_written >= 16 * PACKET);
	assert_true(a.stats.frames_dropped > 0);
	assert_int_equal(a.stats.underruns, 0);

	/* The codec received exactly the accepted frames, in order. */
	static int16_t heard[BURST * PACKET];
	size_t got = emul_tap(heard, BURST * PACKET);
	assert_int_equal(got, a.stats.frames_written);
	for (size_t i = 0; i < got; i++)
		assert_int_equal(heard[i], pkt[i % PACKET]);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_suspend_is_recovered_and_counted(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t pkt[PACKET];
	tone(pkt, PACKET, 0, 1000.0);
	assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	assert_int_equal(emul_suspend(0), 0);
	/* -ESTRPIPE: resumed (this codec then needs a prepare), and the packet still goes out. */
	assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
	assert_int_equal(a.stats.suspends, 1);
	assert_int_equal(a.stats.errors, 0);
	assert_int_equal(hal_audio_close(&a), 0);

	emul_config(&cfg, HAL_AUDIO_CAPTURE, 4);
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(emul_suspend(1), 0);
	assert_true(hal_audio_read(&a, pkt, PACKET) >= 0);
	assert_int_equal(a.stats.suspends, 1);
	sleep_ms(30);
	assert_true(hal_audio_read(&a, pkt, PACKET) > 0); /* capturing again */
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_stop_and_start_again(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 16);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	int16_t pkt[PACKET] = {0};
	for (int call = 0; call < 3; call++) {
		assert_int_equal(hal_audio_start(&a), 0);
		for (int i = 0; i < 9; i++) /* 8 start the codec */
			assert_int_equal(hal_audio_write(&a, pkt, PACKET), PACKET);
		assert_int_equal(hal_audio_stop(&a), 0);
		assert_int_equal(hal_audio_write(&a, pkt, PACKET), -EBADFD); /* stopped */
	}
	assert_int_equal(a.stats.frames_written, 27 * PACKET);
	assert_int_equal(a.stats.underruns, 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

/* ---- mixer controls ------------------------------------------------------------------------------ */

static void test_mixer_controls_are_set_at_start(void **state)
{
	(void)state;
	emul_reset_controls();
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Volume=80%"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Switch=on"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture Volume=20"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture Switch=on"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture Source=Mic"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Mic Bias Voltage=2.5V"), 0);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	struct hal_audio_caps caps;
	assert_int_equal(hal_audio_caps(&a, &caps), 0);
	assert_true(caps.mixer);
	/* Resolved at open, written at start. */
	assert_int_equal(emul_control("Master Playback Volume"), 100);
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(emul_control("Master Playback Volume"), 102); /* 80% of 0..127, rounded */
	assert_int_equal(emul_control("Master Playback Switch"), 1);
	assert_int_equal(emul_control("Capture Volume"), 20);
	assert_int_equal(emul_control("Capture Switch"), 1);
	assert_int_equal(emul_control("Capture Source"), 0); /* Mic */
	assert_int_equal(emul_control("Mic Bias Voltage"), 1);
	assert_int_equal(hal_audio_stop(&a), 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_mixer_simple_element_names(void **state)
{
	(void)state;
	emul_reset_controls();
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_CAPTURE, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master=0%"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master=mute"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture=100%"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Line=on"), 0); /* a capture source */
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(emul_control("Master Playback Volume"), 0);
	assert_int_equal(emul_control("Master Playback Switch"), 0);
	assert_int_equal(emul_control("Capture Volume"), 31);
	assert_int_equal(emul_control("Capture Source"), 1); /* Line */
	assert_int_equal(hal_audio_close(&a), 0);
}

/* Re-asserted at every start: someone moved the volume between two calls. */
static void test_mixer_values_are_put_back_at_each_start(void **state)
{
	(void)state;
	emul_reset_controls();
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Volume=64"), 0);
	struct hal_audio a, other;
	assert_int_equal(hal_audio_open_by_name(&a, "alsa", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(emul_control("Master Playback Volume"), 64);
	assert_int_equal(hal_audio_stop(&a), 0);

	struct hal_audio_config cfg2;
	emul_config(&cfg2, HAL_AUDIO_CAPTURE, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg2, "Master Playback Volume=10"), 0);
	assert_int_equal(hal_audio_open_by_name(&other, "alsa", &cfg2), 0);
	assert_int_equal(hal_audio_start(&other), 0);
	assert_int_equal(emul_control("Master Playback Volume"), 10);
	assert_int_equal(hal_audio_close(&other), 0);

	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(emul_control("Master Playback Volume"), 64);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void expect_open_error(struct hal_audio_config *cfg, int err, const char *const *needles)
{
	struct hal_audio a;
	int rc = hal_audio_open_by_name(&a, "alsa", cfg);
	if (rc != err)
		fail_msg("open returned %d (%s), expected %d", rc, a.error, err);
	for (size_t i = 0; needles[i] != NULL; i++)
		if (strstr(a.error, needles[i]) == NULL)
			fail_msg("error \"%s\" does not mention \"%s\"", a.error, needles[i]);
	assert_int_equal(hal_audio_close(&a), 0); /* never opened: a no-op */
}

static void test_mixer_missing_control_names_it(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Volume=80%"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Headphone Playback Volume=50%"), 0);
	const char *const n1[] = {"'Headphone Playback Volume'", "'codec'", "Master", "Capture", NULL};
	expect_open_error(&cfg, -ENOENT, n1);

	emul_config(&cfg, HAL_AUDIO_CAPTURE, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture Source=Guitar"), 0);
	const char *const n2[] = {"'Guitar'", "'Capture Source'", "Mic", "Line", NULL};
	expect_open_error(&cfg, -ENOENT, n2);
}

static void test_mixer_bad_values_name_the_control(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Volume=150%"), 0);
	const char *const n1[] = {"'Master Playback Volume'", "150%", NULL};
	expect_open_error(&cfg, -ERANGE, n1);

	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture Volume=32"), 0);
	const char *const n2[] = {"'Capture Volume'", "0..31", NULL};
	expect_open_error(&cfg, -ERANGE, n2);

	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Mic Bias Voltage=5V"), 0);
	const char *const n3[] = {"'Mic Bias Voltage'", "'5V'", "1.8V, 2.5V, 3.3V", NULL};
	expect_open_error(&cfg, -EINVAL, n3);

	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Switch=loud"), 0);
	const char *const n4[] = {"'Master Playback Switch'", "'loud'", NULL};
	expect_open_error(&cfg, -EINVAL, n4);

	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Mic Bias Voltage Playback Volume=3"), 0);
	const char *const n5[] = {"'Mic Bias Voltage Playback Volume'", "no playback volume", NULL};
	expect_open_error(&cfg, -EINVAL, n5);
}

static void test_mixer_device_that_does_not_exist(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	snprintf(cfg.mixer, sizeof(cfg.mixer), "nosuchmixer");
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master Playback Volume=80%"), 0);
	struct hal_audio a;
	int rc = hal_audio_open_by_name(&a, "alsa", &cfg);
	assert_true(rc < 0);
	assert_non_null(strstr(a.error, "'nosuchmixer'"));
	assert_non_null(strstr(a.error, "'Master Playback Volume'"));
}

/* ---- errors opening the PCM ---------------------------------------------------------------------- */

static void test_bad_pcm_name_is_named(void **state)
{
	(void)state;
	/* The global configuration (alsa.conf): no such PCM. */
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "vmport_no_such_pcm");
	const char *const n1[] = {"'vmport_no_such_pcm'", "playback", NULL};
	expect_open_error(&cfg, -ENOENT, n1);

	/* A configuration text that does not define it. */
	emul_config(&cfg, HAL_AUDIO_CAPTURE, 4);
	snprintf(cfg.device, sizeof(cfg.device), "codek");
	const char *const n2[] = {"'codek'", "capture", NULL};
	expect_open_error(&cfg, -ENOENT, n2);

	/* A configuration text that does not parse. */
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "x");
	cfg.alsa_lconf = "pcm.x { type null ";
	struct hal_audio a;
	assert_true(hal_audio_open_by_name(&a, "alsa", &cfg) < 0);
	assert_non_null(strstr(a.error, "does not parse"));
}

static void test_rate_the_device_refuses_is_named(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	emul_config(&cfg, HAL_AUDIO_PLAYBACK, 4);
	snprintf(cfg.device, sizeof(cfg.device), "codec48k");
	const char *const n[] = {"'codec48k'", "8000 Hz", "plughw", NULL};
	expect_open_error(&cfg, -EINVAL, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_plugin_playback_makes_the_wav_written),
	    cmocka_unit_test(test_file_plugin_capture_returns_the_infile),
	    cmocka_unit_test(test_null_plugin_accepts_and_reads_silence),
	    cmocka_unit_test(test_underrun_is_recovered_and_counted),
	    cmocka_unit_test(test_overrun_is_recovered_and_counted),
	    cmocka_unit_test(test_write_never_blocks_when_the_buffer_is_full),
	    cmocka_unit_test(test_suspend_is_recovered_and_counted),
	    cmocka_unit_test(test_stop_and_start_again),
	    cmocka_unit_test(test_mixer_controls_are_set_at_start),
	    cmocka_unit_test(test_mixer_simple_element_names),
	    cmocka_unit_test(test_mixer_values_are_put_back_at_each_start),
	    cmocka_unit_test(test_mixer_missing_control_names_it),
	    cmocka_unit_test(test_mixer_bad_values_name_the_control),
	    cmocka_unit_test(test_mixer_device_that_does_not_exist),
	    cmocka_unit_test(test_bad_pcm_name_is_named),
	    cmocka_unit_test(test_rate_the_device_refuses_is_named),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
