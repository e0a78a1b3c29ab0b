/* hal/audio: the interface itself (backend table, configuration, dispatch wrappers) and the two
 * twins: "file" (a WAV round trip, temp + rename, G.711 input, a full disk) and "null". */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio/hal_audio.h"
#include "g711/g711.h"
#include "wav/wav.h"

#define RATE 8000
#define PACKET 160

static char dir[64];

static void path_in_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void tone(int16_t *out, size_t n, double hz)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (int16_t)lrint(12000.0 * sin(2.0 * M_PI * hz * (double)i / RATE));
}

/* Entries in dir whose name starts with prefix (".": temp files). */
static int count_entries(const char *prefix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmport-audio-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- interface ----------------------------------------------------------------------------------- */

static void test_backends_by_name(void **state)
{
	(void)state;
	assert_string_equal(hal_audio_find("alsa")->name, "alsa");
	assert_string_equal(hal_audio_find("file")->name, "file");
	assert_string_equal(hal_audio_find("null")->name, "null");
	assert_null(hal_audio_find("oss"));
	assert_null(hal_audio_find(NULL));

	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "pulse", &cfg), -ENOENT);
	assert_non_null(strstr(a.error, "'pulse'"));
	assert_non_null(strstr(a.error, "alsa, file, null"));
}

static void test_config_defaults_and_controls(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	assert_int_equal(cfg.dir, HAL_AUDIO_CAPTURE);
	assert_int_equal(cfg.rate, 8000);
	assert_int_equal(cfg.channels, 1);
	assert_int_equal(cfg.format, HAL_AUDIO_S16_LE);
	assert_int_equal(cfg.period_ms, 20);
	assert_int_equal(cfg.buffer_periods, 4);
	assert_null(cfg.alsa_lconf);

	assert_int_equal(hal_audio_config_add_control(&cfg, "  Master Playback Volume = 80% "), 0);
	assert_string_equal(cfg.controls[0].name, "Master Playback Volume");
	assert_string_equal(cfg.controls[0].value, "80%");
	assert_int_equal(hal_audio_config_add_control(&cfg, "Capture Source=Mic"), 0);
	assert_string_equal(cfg.controls[1].value, "Mic");
	assert_int_equal(cfg.n_controls, 2);

	assert_int_equal(hal_audio_config_add_control(&cfg, "Master 80%"), -EINVAL);
	assert_int_equal(hal_audio_config_add_control(&cfg, "=80%"), -EINVAL);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master= "), -EINVAL);
	char longname[200];
	memset(longname, 'x', sizeof(longname));
	snprintf(longname + 150, sizeof(longname) - 150, "=1");
	assert_int_equal(hal_audio_config_add_control(&cfg, longname), -EINVAL);
	assert_int_equal(cfg.n_controls, 2);
	while (cfg.n_controls < HAL_AUDIO_MAX_CONTROLS)
		assert_int_equal(hal_audio_config_add_control(&cfg, "Master=on"), 0);
	assert_int_equal(hal_audio_config_add_control(&cfg, "Master=off"), -ENOSPC);
}

static void test_config_check_refuses_with_reasons(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	char err[HAL_AUDIO_ERROR_MAX];

	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.rate = 16000;
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "16000 Hz"));

	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.channels = 2;
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mono"));

	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.period_ms = 5;
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "5 ms"));
	cfg.period_ms = 61;
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), -EINVAL);
	for (unsigned ms = 10; ms <= 60; ms += 10) {
		cfg.period_ms = ms;
		assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), 0);
	}

	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.buffer_periods = 1;
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1 periods"));

	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.dir = (enum hal_audio_dir)7;
	assert_int_equal(hal_audio_config_check(&cfg, err, sizeof(err)), -EINVAL);

	/* The instance keeps the reason when open refuses. */
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.rate = 44100;
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "null", &cfg), -EINVAL);
	assert_non_null(strstr(a.error, "44100 Hz"));
	assert_int_equal(hal_audio_write(&a, NULL, 0), -EBADF);
}

static int only_open(struct hal_audio *a)
{
	(void)a;
	return 0;
}

static void test_missing_operations_are_enosys(void **state)
{
	(void)state;
	static const struct hal_audio_ops bare = {.name = "bare", .open = only_open};
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	struct hal_audio a;
	assert_int_equal(hal_audio_open(&a, &bare, &cfg), 0);
	struct hal_audio_caps caps;
	int16_t s[4] = {0};
	assert_int_equal(hal_audio_caps(&a, &caps), -ENOSYS);
	assert_int_equal(hal_audio_start(&a), -ENOSYS);
	assert_int_equal(hal_audio_write(&a, s, 4), -ENOSYS);
	assert_int_equal(hal_audio_read(&a, s, 4), -ENOSYS);
	assert_int_equal(hal_audio_stop(&a), -ENOSYS);
	assert_int_equal(hal_audio_close(&a), -ENOSYS);
	assert_int_equal(hal_audio_close(&a), 0); /* already closed */

	static const struct hal_audio_ops nothing = {.name = "nothing"};
	assert_int_equal(hal_audio_open(&a, &nothing, &cfg), -ENOSYS);
	assert_int_equal(hal_audio_start(&a), -EBADF);
}

static void test_wrappers_check_state_and_direction(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	struct hal_audio a;
	int16_t s[PACKET] = {0};
	assert_int_equal(hal_audio_open_by_name(&a, "null", &cfg), 0);
	assert_int_equal(hal_audio_write(&a, s, PACKET), -EBADFD); /* not started */
	assert_int_equal(hal_audio_read(&a, s, PACKET), -EINVAL);  /* a playback instance */
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(hal_audio_write(&a, s, PACKET), PACKET);
	assert_int_equal(hal_audio_stop(&a), 0);
	assert_int_equal(hal_audio_write(&a, s, PACKET), -EBADFD);
	assert_int_equal(hal_audio_close(&a), 0);
	assert_int_equal(hal_audio_write(&a, s, PACKET), -EBADF); /* closed */
	assert_int_equal(hal_audio_close(&a), 0);

	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	assert_int_equal(hal_audio_open_by_name(&a, "null", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(hal_audio_write(&a, s, PACKET), -EINVAL); /* a capture instance */
	assert_int_equal(hal_audio_close(&a), 0);
}

/* ---- null ---------------------------------------------------------------------------------------- */

static void test_null_counts_and_reads_silence(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	cfg.period_ms = 30;
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "null", &cfg), 0);
	struct hal_audio_caps caps;
	assert_int_equal(hal_audio_caps(&a, &caps), 0);
	assert_true(caps.playback && caps.capture && !caps.paced && !caps.mixer);
	assert_int_equal(caps.period_frames, 240);
	assert_int_equal(caps.buffer_frames, 960);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t s[240];
	tone(s, 240, 1000.0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(hal_audio_write(&a, s, 240), 240);
	assert_int_equal(a.stats.frames_written, 24000);
	assert_int_equal(a.stats.frames_dropped, 0);
	assert_int_equal(hal_audio_close(&a), 0);

	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	assert_int_equal(hal_audio_open_by_name(&a, "null", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	memset(s, 0x55, sizeof(s));
	assert_int_equal(hal_audio_read(&a, s, PACKET), PACKET);
	for (int i = 0; i < PACKET; i++)
		assert_int_equal(s[i], 0);
	assert_int_equal(a.stats.frames_read, PACKET);
	assert_int_equal(hal_audio_close(&a), 0);
}

/* ---- file ---------------------------------------------------------------------------------------- */

static void test_file_round_trip(void **state)
{
	(void)state;
	char path[128];
	path_in_dir(path, sizeof(path), "monitor.wav");
	int16_t sent[RATE];
	tone(sent, RATE, 1000.0);

	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	for (size_t off = 0; off < RATE; off += PACKET)
		assert_int_equal(hal_audio_write(&a, sent + off, PACKET), PACKET);
	assert_int_equal(hal_audio_stop(&a), 0);
	/* Until close, only a hidden temp file exists: a reader never sees half a recording. */
	struct stat st;
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(count_entries(".monitor.wav."), 1);
	assert_int_equal(hal_audio_close(&a), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, WAV_HEADER_LEN + 2 * RATE);
	assert_int_equal(count_entries(".monitor.wav."), 0);
	assert_int_equal(a.stats.frames_written, RATE);

	/* The header is the real one. */
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t hdr[WAV_HEADER_LEN];
	assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	struct wav_info info;
	assert_int_equal(wav_parse_header(hdr, sizeof(hdr), &info), WAV_OK);
	assert_int_equal(info.data_len, 2 * RATE);

	/* Read it back through the capture side. */
	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t got[RATE];
	for (size_t off = 0; off < RATE; off += PACKET)
		assert_int_equal(hal_audio_read(&a, got + off, PACKET), PACKET);
	assert_memory_equal(got, sent, sizeof(sent));
	/* The end: 0 frames of silence. */
	int16_t after[PACKET];
	memset(after, 0x55, sizeof(after));
	assert_int_equal(hal_audio_read(&a, after, PACKET), 0);
	for (int i = 0; i < PACKET; i++)
		assert_int_equal(after[i], 0);
	assert_int_equal(a.stats.frames_read, RATE);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_file_partial_packet_at_the_end(void **state)
{
	(void)state;
	char path[128];
	path_in_dir(path, sizeof(path), "short.wav");
	int16_t sent[250];
	tone(sent, 250, 440.0);
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	assert_int_equal(hal_audio_write(&a, sent, 250), 250);
	assert_int_equal(hal_audio_close(&a), 0);

	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t got[2 * PACKET];
	assert_int_equal(hal_audio_read(&a, got, PACKET), PACKET);
	assert_int_equal(hal_audio_read(&a, got + PACKET, PACKET), 90);
	assert_memory_equal(got, sent, sizeof(sent));
	for (int i = 250; i < 2 * PACKET; i++)
		assert_int_equal(got[i], 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_file_capture_expands_g711(void **state)
{
	(void)state;
	char path[128];
	path_in_dir(path, sizeof(path), "ulaw.wav");
	/* A µ-law WAV (format 7, 8-bit), as greetings often are. */
	uint8_t codes[PACKET];
	for (int i = 0; i < PACKET; i++)
		codes[i] = (uint8_t)(i * 37);
	uint8_t hdr[WAV_HEADER_LEN];
	assert_int_equal(wav_build_header(hdr, sizeof(hdr), PACKET), WAV_HEADER_LEN);
	hdr[20] = 7;                                 /* format tag: µ-law */
	hdr[28] = 0x40, hdr[29] = 0x1f, hdr[30] = 0; /* byte rate 8000 */
	hdr[32] = 1;                                 /* block align */
	hdr[34] = 8;                                 /* bits */
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(codes, 1, sizeof(codes), f);
	fclose(f);

	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	struct hal_audio a;
	int rc = hal_audio_open_by_name(&a, "file", &cfg);
	if (rc != 0)
		fail_msg("open: %s", a.error);
	assert_int_equal(hal_audio_start(&a), 0);
	int16_t got[PACKET];
	assert_int_equal(hal_audio_read(&a, got, PACKET), PACKET);
	for (int i = 0; i < PACKET; i++)
		assert_int_equal(got[i], g711_ulaw_to_linear(codes[i]));
	assert_int_equal(hal_audio_read(&a, got, PACKET), 0);
	assert_int_equal(hal_audio_close(&a), 0);
}

static void test_file_errors_name_the_file(void **state)
{
	(void)state;
	struct hal_audio_config cfg;
	struct hal_audio a;

	hal_audio_config_init(&cfg, HAL_AUDIO_CAPTURE);
	path_in_dir(cfg.device, sizeof(cfg.device), "missing.wav");
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), -ENOENT);
	assert_non_null(strstr(a.error, "missing.wav"));

	/* Not a WAV. */
	char path[128];
	path_in_dir(path, sizeof(path), "notes.txt");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs("not audio at all, just words", f);
	fclose(f);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), -EINVAL);
	assert_non_null(strstr(a.error, "notes.txt"));

	/* A WAV at the wrong rate: the reason from the header parser. */
	path_in_dir(path, sizeof(path), "cd.wav");
	uint8_t hdr[WAV_HEADER_LEN];
	wav_build_header(hdr, sizeof(hdr), 0);
	hdr[24] = 0x44, hdr[25] = 0xac; /* 44100 Hz */
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(hdr, 1, sizeof(hdr), f);
	fclose(f);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), -EINVAL);
	assert_non_null(strstr(a.error, "cd.wav"));
	assert_non_null(strstr(a.error, "44100"));

	/* Playback into a directory that does not exist. */
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	path_in_dir(cfg.device, sizeof(cfg.device), "no/such/dir/out.wav");
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), -ENOENT);
	assert_non_null(strstr(a.error, "no/such/dir/out.wav"));

	/* No path at all. */
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), -EINVAL);
}

/* A disk that fills up mid-call (RLIMIT_FSIZE stands in for ENOSPC): the write fails once with a
 * reason, later writes fail, close removes the temp file and saves nothing. */
static void test_file_full_disk_saves_nothing(void **state)
{
	(void)state;
	char path[128];
	path_in_dir(path, sizeof(path), "full.wav");
	struct hal_audio_config cfg;
	hal_audio_config_init(&cfg, HAL_AUDIO_PLAYBACK);
	snprintf(cfg.device, sizeof(cfg.device), "%s", path);
	struct hal_audio a;
	assert_int_equal(hal_audio_open_by_name(&a, "file", &cfg), 0);
	assert_int_equal(hal_audio_start(&a), 0);

	struct rlimit old, small = {.rlim_cur = 8192, .rlim_max = RLIM_INFINITY};
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

	int16_t s[PACKET] = {0};
	int rc = 0;
	for (int i = 0; i < 100 && rc >= 0; i++)
		rc = hal_audio_write(&a, s, PACKET);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);

	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(a.error, "full.wav"));
	assert_int_equal(a.stats.errors, 1);
	assert_int_equal(hal_audio_write(&a, s, PACKET), -EIO); /* abandoned */
	assert_int_equal(hal_audio_close(&a), -EIO);
	struct stat st;
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(count_entries(".full.wav."), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backends_by_name),
	    cmocka_unit_test(test_config_defaults_and_controls),
	    cmocka_unit_test(test_config_check_refuses_with_reasons),
	    cmocka_unit_test(test_missing_operations_are_enosys),
	    cmocka_unit_test(test_wrappers_check_state_and_direction),
	    cmocka_unit_test(test_null_counts_and_reads_silence),
	    cmocka_unit_test(test_file_round_trip),
	    cmocka_unit_test(test_file_partial_packet_at_the_end),
	    cmocka_unit_test(test_file_capture_expands_g711),
	    cmocka_unit_test(test_file_errors_name_the_file),
	    cmocka_unit_test(test_file_full_disk_saves_nothing),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
