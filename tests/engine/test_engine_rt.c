/* hal/rt and the media thread's real-time start-up: the policy is applied when allowed; when it
 * is not (CAP_SYS_NICE and CAP_IPC_LOCK dropped), the engine says so and runs anyway. Clips:
 * greetings load from 8 kHz mono WAV files (16-bit, µ-law, A-law) and odd files are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock/hal_clock.h"
#include "g711/g711.h"
#include "media.h"
#include "media_clip.h"
#include "rt/hal_rt.h"
#include "wav/wav.h"

static void test_backends(void **state)
{
	(void)state;
	assert_non_null(hal_rt_find("linux"));
	assert_non_null(hal_rt_find("null"));
	assert_null(hal_rt_find("vxworks"));
	struct hal_rt_policy p = {.priority = 50, .cpu = 0, .lock_memory = true};
	struct hal_rt_result r;
	assert_int_equal(hal_rt_apply(hal_rt_find("null"), &p, &r), 0);
	char buf[160];
	hal_rt_describe(&p, &r, buf, sizeof(buf));
	assert_string_equal(buf, "SCHED_FIFO 50 on CPU 0, memory locked");
	r.sched_err = -EPERM;
	hal_rt_describe(&p, &r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "SCHED_FIFO 50 refused (Operation not permitted), normal scheduling"));
}

static void *apply_fifo(void *arg)
{
	struct hal_rt_result *r = arg;
	struct hal_rt_policy p = {.priority = 10, .cpu = 0, .stack_prefault = 128 * 1024};
	if (hal_rt_apply(hal_rt_find("linux"), &p, r) != 0)
		return NULL;
	int policy;
	struct sched_param sp;
	pthread_getschedparam(pthread_self(), &policy, &sp);
	cpu_set_t set;
	pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
	return (policy == SCHED_FIFO && sp.sched_priority == 10 && CPU_ISSET(0, &set) && CPU_COUNT(&set) == 1)
	           ? (void *)1
	           : NULL;
}

static void test_linux_backend_applies_the_policy(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct hal_rt_result r;
	pthread_t t;
	void *ok;
	assert_int_equal(pthread_create(&t, NULL, apply_fifo, &r), 0);
	pthread_join(t, &ok);
	assert_int_equal(r.sched_err, 0);
	assert_non_null(ok);
}

static void test_absolute_sleep_never_wakes_early(void **state)
{
	(void)state;
	uint64_t t = hal_clock_now_ns();
	for (int i = 0; i < 50; i++) {
		t += 2000000;
		hal_rt_sleep_until_ns(t);
		assert_true(hal_clock_now_ns() >= t);
	}
	/* A deadline already past returns at once instead of sleeping a period. */
	uint64_t before = hal_clock_now_ns();
	hal_rt_sleep_until_ns(before - 1000000);
	assert_true(hal_clock_now_ns() - before < 1000000000u);
}

static int drop_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].effective = 0;
		d[i].permitted = 0;
		d[i].inheritable = 0;
	}
	return (int)syscall(SYS_capset, &h, d);
}

static void test_engine_runs_without_real_time(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* No CAP_SYS_NICE nor CAP_IPC_LOCK, and no real-time budget: SCHED_FIFO is refused. */
		if (drop_caps() != 0)
			_exit(3);
		struct media_engine_config cfg;
		media_engine_config_defaults(&cfg);
		cfg.max_channels = 1;
		cfg.bind_addr = htonl(INADDR_LOOPBACK);
		cfg.port_min = 52000;
		cfg.port_max = 52099;
		cfg.rt_backend = "linux";
		cfg.rt.priority = 60;
		cfg.rt.lock_memory = true;
		struct media_engine *e;
		if (media_engine_create(&cfg, &e) != 0 || media_engine_start(e) != 0)
			_exit(4);
		struct media_open_req r = {.ptime_ms = 20, .codec = MEDIA_CODEC_PCMU};
		if (media_open(e, 0, &r) != 0)
			_exit(5);
		struct media_event ev;
		uint64_t end = hal_clock_now_ms() + 5000;
		while (hal_clock_now_ms() < end) {
			if (media_poll_event(e, &ev) == 1)
				break;
			usleep(2000);
		}
		int ok = ev.type == MEDIA_EV_OPENED && ev.u.opened.status == MEDIA_OK;
		media_engine_destroy(e);
		_exit(ok ? 0 : 6);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		skip(); /* capabilities cannot be dropped here */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- clips ---- */

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* A WAV header by hand (the recorder's builder only writes 16-bit PCM). */
static size_t wav_by_hand(uint8_t *out, uint16_t format, uint16_t bits, uint32_t rate, uint16_t channels,
                          uint32_t data_len)
{
	uint16_t align = (uint16_t)(channels * bits / 8);
	uint32_t v[] = {36 + data_len, 16, rate * align};
	memcpy(out, "RIFF", 4);
	memcpy(out + 4, &v[0], 4);
	memcpy(out + 8, "WAVEfmt ", 8);
	memcpy(out + 16, &v[1], 4);
	memcpy(out + 20, &format, 2);
	memcpy(out + 22, &channels, 2);
	memcpy(out + 24, &rate, 4);
	memcpy(out + 28, &v[2], 4);
	memcpy(out + 32, &align, 2);
	memcpy(out + 34, &bits, 2);
	memcpy(out + 36, "data", 4);
	memcpy(out + 40, &data_len, 4);
	return 44;
}

static void test_clip_from_wav_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/vmport-clip-XXXXXX", path[128], err[256];
	assert_non_null(mkdtemp(dir));
	uint8_t buf[44 + 2 * 800];
	struct media_clip *c;

	/* 16-bit PCM */
	size_t off = (size_t)wav_build_header(buf, sizeof(buf), 2 * 800);
	for (int i = 0; i < 800; i++) {
		int16_t s = (int16_t)(i * 40 - 16000);
		buf[off + 2 * i] = (uint8_t)s;
		buf[off + 2 * i + 1] = (uint8_t)((uint16_t)s >> 8);
	}
	snprintf(path, sizeof(path), "%s/pcm.wav", dir);
	write_file(path, buf, off + 1600);
	assert_int_equal(media_clip_load_wav(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c->samples, 800);
	assert_int_equal(c->pcm[0], -16000);
	assert_int_equal(c->pcm[799], 799 * 40 - 16000);
	assert_int_equal(c->ulaw[10], g711_linear_to_ulaw(c->pcm[10]));
	assert_int_equal(c->alaw[10], g711_linear_to_alaw(c->pcm[10]));
	media_clip_unref(c);

	/* µ-law */
	off = wav_by_hand(buf, WAV_FORMAT_MULAW, 8, 8000, 1, 800);
	for (int i = 0; i < 800; i++)
		buf[off + i] = (uint8_t)i;
	snprintf(path, sizeof(path), "%s/ulaw.wav", dir);
	write_file(path, buf, off + 800);
	assert_int_equal(media_clip_load_wav(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c->samples, 800);
	assert_int_equal(c->pcm[77], g711_ulaw_to_linear(77));
	media_clip_unref(c);

	/* A recorder that died: the header claims more data than the file holds. */
	off = (size_t)wav_build_header(buf, sizeof(buf), 1000000);
	snprintf(path, sizeof(path), "%s/short.wav", dir);
	write_file(path, buf, off + 1600);
	assert_int_equal(media_clip_load_wav(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c->samples, 800);
	media_clip_unref(c);

	/* Refused: 16 kHz, stereo, missing */
	off = wav_by_hand(buf, WAV_FORMAT_PCM, 16, 16000, 1, 1600);
	snprintf(path, sizeof(path), "%s/16k.wav", dir);
	write_file(path, buf, off + 1600);
	assert_int_equal(media_clip_load_wav(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "16k.wav"));
	print_message("refused: %s\n", err);
	off = wav_by_hand(buf, WAV_FORMAT_PCM, 16, 8000, 2, 1600);
	snprintf(path, sizeof(path), "%s/stereo.wav", dir);
	write_file(path, buf, off + 1600);
	assert_int_equal(media_clip_load_wav(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/none.wav", dir);
	assert_int_equal(media_clip_load_wav(path, &c, err, sizeof(err)), -ENOENT);

	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_tone_clip_loops_seamlessly(void **state)
{
	(void)state;
	struct media_clip *c;
	assert_int_equal(media_clip_tone(1000, 8000, 1000, &c), 0);
	assert_int_equal(c->samples % 8, 0); /* whole periods of 1 kHz at 8 kHz */
	assert_int_equal(c->samples, 8000);
	media_clip_unref(c);
	assert_int_equal(media_clip_tone(440, 8000, 100, &c), 0);
	assert_int_equal((c->samples * 440) % 8000, 0);
	media_clip_unref(c);
	assert_int_equal(media_clip_tone(5000, 8000, 100, &c), -EINVAL); /* above Nyquist */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backends),
	    cmocka_unit_test(test_linux_backend_applies_the_policy),
	    cmocka_unit_test(test_absolute_sleep_never_wakes_early),
	    cmocka_unit_test(test_engine_runs_without_real_time),
	    cmocka_unit_test(test_clip_from_wav_files),
	    cmocka_unit_test(test_tone_clip_loops_seamlessly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
