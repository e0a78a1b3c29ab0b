/* The call monitor (media_monitor.c) through the real engine and the HAL's `file` backend: two
 * channels of one engine call each other over loopback with SRTP, channel 0 playing 1 kHz and
 * channel 1 playing 440 Hz; channel 0 is monitored. The WAV the device wrote must hold both
 * tones (what channel 0 sent, what it received), the device must stop when monitoring is
 * switched off and when the channel closes, and start again when the channel carries a new call.
 * A device whose write fails ends monitoring with one MEDIA_EV_MONITOR_FAILED naming the
 * device's error. The control-side refusals (no device, channel out of range, attach after
 * start) come first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/hal_audio.h"
#include "clock/hal_clock.h"
#include "media.h"
#include "media_clip.h"
#include "wav_listen.h"

static struct media_event wait_for(struct media_engine *e, int type, int ch)
{
	struct media_event ev;
	uint64_t end = hal_clock_now_ms() + 5000;
	while (hal_clock_now_ms() < end) {
		while (media_poll_event(e, &ev) == 1) {
			if (ev.type == type && (ch < 0 || ev.ch == (uint32_t)ch))
				return ev;
		}
		usleep(2000);
	}
	fail_msg("no %s event", media_event_name(type));
	return ev;
}

static struct media_engine *new_engine(uint16_t port_min)
{
	struct media_engine_config cfg;
	struct media_engine *e;
	media_engine_config_defaults(&cfg);
	cfg.max_channels = 2;
	cfg.bind_addr = htonl(INADDR_LOOPBACK);
	cfg.port_min = port_min;
	cfg.port_max = (uint16_t)(port_min + 99);
	cfg.rt_backend = "null";
	assert_int_equal(media_engine_create(&cfg, &e), 0);
	return e;
}

/* 1 kHz for channel 0, 440 Hz for channel 1. */
static void make_tones(struct media_clip *tones[2])
{
	assert_int_equal(media_clip_tone(1000, 8000, 1000, &tones[0]), 0);
	assert_int_equal(media_clip_tone(440, 8000, 1000, &tones[1]), 0);
}

/* An engine monitoring through `dev`, opened with `ops` on `device`, started. */
static struct media_engine *monitored_engine(uint16_t port_min, struct hal_audio *dev,
                                             const struct hal_audio_ops *ops, const char *device)
{
	struct media_engine *e = new_engine(port_min);
	struct hal_audio_config ac;
	memset(dev, 0, sizeof(*dev));
	hal_audio_config_init(&ac, HAL_AUDIO_PLAYBACK);
	snprintf(ac.device, sizeof(ac.device), "%s", device);
	assert_int_equal(hal_audio_open(dev, ops, &ac), 0);
	assert_int_equal(media_monitor_attach(e, dev), 0);
	assert_int_equal(media_engine_start(e), 0);
	return e;
}

static void make_key(struct media_key *k)
{
	memset(k, 0, sizeof(*k));
	k->algorithm = MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32;
	k->key_len = 16;
	k->salt_len = 14;
	assert_int_equal(hal_random_bytes(k->key, 16), 0);
	assert_int_equal(hal_random_bytes(k->salt, 14), 0);
}

/* Channels 0 and 1 call each other (SRTP both ways); channel ch plays tones[ch] looped. */
static void call(struct media_engine *e, struct media_clip *tones[2])
{
	struct media_key keys[2];
	uint16_t port[2];
	make_key(&keys[0]);
	make_key(&keys[1]);
	for (int ch = 0; ch < 2; ch++) {
		struct media_open_req r = {.ptime_ms = 20, .codec = MEDIA_CODEC_PCMU, .key = keys[1 - ch]};
		assert_int_equal(media_open(e, (unsigned)ch, &r), 0);
		port[ch] = wait_for(e, MEDIA_EV_OPENED, ch).u.opened.local_port;
	}
	for (int ch = 0; ch < 2; ch++) {
		struct media_tx_req t = {.remote_addr = htonl(INADDR_LOOPBACK),
		                         .remote_port = port[1 - ch],
		                         .ptime_ms = 20,
		                         .codec = MEDIA_CODEC_PCMU,
		                         .key = keys[ch]};
		assert_int_equal(media_start_tx(e, (unsigned)ch, &t), 0);
		assert_int_equal(media_play(e, (unsigned)ch, tones[ch], true), 0);
	}
}

static void hang_up(struct media_engine *e)
{
	for (int ch = 0; ch < 2; ch++) {
		assert_int_equal(media_close(e, (unsigned)ch), 0);
		struct media_stats st = wait_for(e, MEDIA_EV_CLOSED, ch).u.stats;
		assert_int_equal(st.auth_failures, 0);
	}
}

static void wait_playing(struct media_engine *e, bool playing)
{
	struct media_monitor_status ms;
	uint64_t end = hal_clock_now_ms() + 2000;
	do {
		media_monitor_status(e, &ms);
		if (ms.playing == playing)
			return;
		usleep(2000);
	} while (hal_clock_now_ms() < end);
	fail_msg("the monitor device did not %s", playing ? "start" : "stop");
}

static void test_refusals(void **state)
{
	(void)state;
	struct media_engine *e = new_engine(53200);
	struct hal_audio dev, capture;
	struct hal_audio_config ac;
	memset(&dev, 0, sizeof(dev));
	memset(&capture, 0, sizeof(capture));
	assert_int_equal(media_monitor(e, 0), -ENODEV);
	hal_audio_config_init(&ac, HAL_AUDIO_CAPTURE);
	assert_int_equal(hal_audio_open_by_name(&capture, "null", &ac), 0);
	assert_int_equal(media_monitor_attach(e, &capture), -EINVAL); /* not a playback device */
	hal_audio_config_init(&ac, HAL_AUDIO_PLAYBACK);
	assert_int_equal(hal_audio_open_by_name(&dev, "null", &ac), 0);
	assert_int_equal(media_monitor_attach(e, &dev), 0);
	assert_int_equal(media_engine_start(e), 0);
	assert_int_equal(media_monitor_attach(e, &dev), -EBUSY);
	assert_int_equal(media_monitor(e, 2), -EINVAL);
	assert_int_equal(media_monitor(e, -2), -EINVAL);
	/* The status says what was asked at once, not after the media thread's next wake (up to
	 * 10 ms later): `vmport monitor 1` then `vmport status` must agree. */
	struct media_monitor_status ms;
	assert_int_equal(media_monitor(e, 1), 0);
	media_monitor_status(e, &ms);
	assert_true(ms.attached);
	assert_int_equal(ms.ch, 1);
	assert_int_equal(media_monitor(e, -1), 0);
	media_monitor_status(e, &ms);
	assert_int_equal(ms.ch, -1);
	media_engine_destroy(e);
	hal_audio_close(&dev);
	hal_audio_close(&capture);
}

static void test_both_directions_on_the_device(void **state)
{
	(void)state;
	char dir[] = "/tmp/vmport-monitor-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/monitor.wav", dir);
	struct media_clip *tones[2];
	make_tones(tones);
	struct hal_audio dev;
	struct media_engine *e = monitored_engine(53300, &dev, hal_audio_find("file"), path);
	assert_int_equal(media_monitor(e, 0), 0);

	/* First call: monitored for 1.5 s, then monitoring off while the call goes on. */
	call(e, tones);
	wait_playing(e, true);
	usleep(1500000);
	assert_int_equal(media_monitor(e, -1), 0);
	wait_playing(e, false);
	struct media_monitor_status ms;
	media_monitor_status(e, &ms);
	uint64_t after_off = ms.frames_written;
	assert_int_equal(ms.ch, -1);
	usleep(300000);
	media_monitor_status(e, &ms);
	assert_int_equal(ms.frames_written, after_off); /* nothing more reached the device */
	hang_up(e);

	/* Second call on the same channel, selected while idle: the device starts with the call
	 * and stops when the channel closes. */
	assert_int_equal(media_monitor(e, 0), 0);
	usleep(100000);
	media_monitor_status(e, &ms);
	assert_int_equal(ms.ch, 0);
	assert_false(ms.playing);
	call(e, tones);
	wait_playing(e, true);
	usleep(500000);
	hang_up(e);
	wait_playing(e, false);
	media_monitor_status(e, &ms);
	print_message("monitor: %llu frames written, %llu dropped, %u underruns, %u errors\n",
	              (unsigned long long)ms.frames_written, (unsigned long long)ms.frames_dropped,
	              ms.underruns, ms.errors);
	assert_true(ms.frames_written >= after_off + 3000);
	assert_int_equal(ms.errors, 0);
	media_engine_destroy(e);
	assert_int_equal(hal_audio_close(&dev), 0);

	size_t n;
	int16_t *pcm = load_wav(path, &n);
	assert_int_equal(n, ms.frames_written);
	/* Every half second of the first call's part holds both tones well above a neighbour. */
	size_t checked = 0;
	for (size_t at = 1600; at + 4000 <= after_off; at += 4000, checked++) {
		double e1000 = goertzel(pcm + at, 4000, 1000), e440 = goertzel(pcm + at, 4000, 440);
		double side = goertzel(pcm + at, 4000, 700) + 1;
		print_message("  %zu: 1 kHz %.3g, 440 Hz %.3g, 700 Hz %.3g\n", at, e1000, e440, side);
		assert_true(e1000 > 100 * side); /* what channel 0 sent */
		assert_true(e440 > 100 * side);  /* what it received from channel 1 */
	}
	assert_true(checked >= 1);
	free(pcm);
	media_clip_unref(tones[0]);
	media_clip_unref(tones[1]);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A device that accepts a second of audio and then fails like an unplugged USB codec. */
static int unplug_open(struct hal_audio *a)
{
	(void)a;
	return 0;
}
static int unplug_start(struct hal_audio *a)
{
	(void)a;
	return 0;
}
static int unplug_write(struct hal_audio *a, const int16_t *frames, size_t n)
{
	(void)frames;
	if (a->stats.frames_written >= 8000) {
		a->stats.errors++;
		snprintf(a->error, sizeof(a->error), "test: PCM 'usb' disappeared");
		return -ENODEV;
	}
	a->stats.frames_written += n;
	return (int)n;
}
static int unplug_stop(struct hal_audio *a)
{
	(void)a;
	return 0;
}
static const struct hal_audio_ops unplug_ops = {
    .name = "unplug", .open = unplug_open, .start = unplug_start, .write = unplug_write, .stop = unplug_stop};

static void test_device_failure_ends_monitoring(void **state)
{
	(void)state;
	struct media_clip *tones[2];
	make_tones(tones);
	struct hal_audio dev;
	struct media_engine *e = monitored_engine(53400, &dev, &unplug_ops, "usb");
	assert_int_equal(media_monitor(e, 1), 0);
	call(e, tones);
	struct media_event ev = wait_for(e, MEDIA_EV_MONITOR_FAILED, 1);
	assert_int_equal(ev.u.monitor.err, -ENODEV);
	assert_string_equal(ev.u.monitor.error, "test: PCM 'usb' disappeared");
	struct media_monitor_status ms;
	media_monitor_status(e, &ms);
	assert_int_equal(ms.ch, -1);
	assert_int_equal(ms.errors, 1);
	/* Exactly one event: monitoring stopped, the call goes on. */
	usleep(300000);
	while (media_poll_event(e, &ev) == 1)
		assert_int_not_equal(ev.type, MEDIA_EV_MONITOR_FAILED);
	assert_int_equal(media_request_stats(e, 1, false), 0);
	assert_true(wait_for(e, MEDIA_EV_STATS, 1).u.stats.rx_packets > 50);
	hang_up(e);
	media_engine_destroy(e);
	media_clip_unref(tones[0]);
	media_clip_unref(tones[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_both_directions_on_the_device),
	    cmocka_unit_test(test_device_failure_ends_monitoring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
