/* The media thread's packet path allocates nothing: malloc, calloc and realloc are interposed in
 * this program and counted when the media thread calls them, over two seconds of steady state
 * with every per-packet feature busy (tone playback, jitter buffer, recording, RTCP, RFC 2833
 * both ways). First in plain RTP, so that libsrtp's own allocations, a property of its crypto
 * backend, cannot hide ours; then with AES_CM_128_HMAC_SHA1_80 where libsrtp runs
 * media_srtp_ossl.c's AES-CM and HMAC-SHA1, which allocate nothing per packet either (skipped
 * with another backend). Channel 0 is also monitored on a `null` audio device (the mix and
 * hal_audio_write on every period). Not built with AddressSanitizer, which owns malloc itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "audio/hal_audio.h"
#include "clock/hal_clock.h"
#include "media.h"
#include "media_clip.h"
#include "media_srtp.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_ulong media_allocs;
static atomic_bool counting;

static void count(void)
{
	if (!atomic_load_explicit(&counting, memory_order_relaxed))
		return;
	char name[16] = "";
	prctl(PR_GET_NAME, name);
	if (strcmp(name, "vmport-media") == 0)
		atomic_fetch_add(&media_allocs, 1);
}

void *malloc(size_t n)
{
	count();
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	count();
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	count();
	return __libc_realloc(p, n);
}

static void *named_thread_allocates(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "vmport-media");
	/* Through a volatile pointer: the compiler may drop a free(malloc()) pair (it does at -Os). */
	void *(*volatile alloc)(size_t) = malloc;
	free(alloc(32));
	return NULL;
}

/* The counter itself: a thread with the media thread's name that allocates is seen. */
static void test_counter_sees_allocations(void **state)
{
	(void)state;
	pthread_t t;
	atomic_store(&counting, true);
	assert_int_equal(pthread_create(&t, NULL, named_thread_allocates, NULL), 0);
	pthread_join(t, NULL);
	atomic_store(&counting, false);
	assert_true(atomic_load(&media_allocs) >= 1);
	atomic_store(&media_allocs, 0);
}

static struct media_event wait_for(struct media_engine *e, int type, uint32_t ch)
{
	struct media_event ev;
	uint64_t end = hal_clock_now_ms() + 5000;
	while (hal_clock_now_ms() < end) {
		while (media_poll_event(e, &ev) == 1) {
			if (ev.type == type && ev.ch == ch)
				return ev;
		}
		usleep(2000);
	}
	fail_msg("no %s event", media_event_name(type));
	return ev;
}

static void drain(struct media_engine *e)
{
	struct media_event ev;
	while (media_poll_event(e, &ev) == 1)
		;
}

/* Keys for both directions of the two channels: channel ch sends with tx[ch], which is what the
 * other channel receives with. */
static void make_keys(uint32_t algorithm, struct media_key tx[2])
{
	memset(tx, 0, 2 * sizeof(*tx));
	for (unsigned ch = 0; ch < 2 && algorithm != MEDIA_CRYPTO_NONE; ch++) {
		tx[ch].algorithm = algorithm;
		tx[ch].key_len = 16;
		tx[ch].salt_len = 14;
		assert_int_equal(hal_random_bytes(tx[ch].key, 16), 0);
		assert_int_equal(hal_random_bytes(tx[ch].salt, 14), 0);
	}
}

static void run_packet_path(uint32_t algorithm)
{
	struct media_key keys[2];
	struct media_engine_config cfg;
	struct media_engine *e;
	struct media_clip *tone;
	char dir[] = "/tmp/vmport-noalloc-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	media_engine_config_defaults(&cfg);
	cfg.max_channels = 2;
	cfg.bind_addr = htonl(INADDR_LOOPBACK);
	cfg.port_min = 53000;
	cfg.port_max = 53099;
	cfg.rt_backend = "null";
	cfg.rtcp_interval_ms = 500;
	assert_int_equal(media_engine_create(&cfg, &e), 0);
	struct hal_audio monitor;
	struct hal_audio_config ac;
	memset(&monitor, 0, sizeof(monitor));
	hal_audio_config_init(&ac, HAL_AUDIO_PLAYBACK);
	assert_int_equal(hal_audio_open_by_name(&monitor, "null", &ac), 0);
	assert_int_equal(media_monitor_attach(e, &monitor), 0);
	assert_int_equal(media_engine_start(e), 0);
	assert_int_equal(media_monitor(e, 0), 0);
	assert_int_equal(media_clip_tone(1000, 8000, 1000, &tone), 0);

	uint16_t port[2];
	make_keys(algorithm, keys);
	for (unsigned ch = 0; ch < 2; ch++) {
		struct media_open_req r = {
		    .ptime_ms = 20, .codec = MEDIA_CODEC_PCMU, .dtmf_pt = 101, .key = keys[1 - ch]};
		assert_int_equal(media_open(e, ch, &r), 0);
		port[ch] = wait_for(e, MEDIA_EV_OPENED, ch).u.opened.local_port;
	}
	for (unsigned ch = 0; ch < 2; ch++) {
		struct media_tx_req t = {.remote_addr = htonl(INADDR_LOOPBACK),
		                         .remote_port = port[1 - ch],
		                         .ptime_ms = 20,
		                         .codec = MEDIA_CODEC_PCMU,
		                         .key = keys[ch]};
		assert_int_equal(media_start_tx(e, ch, &t), 0);
		assert_int_equal(media_play(e, ch, tone, true), 0);
	}
	snprintf(path, sizeof(path), "%s/rec.wav", dir);
	assert_int_equal(media_record(e, 0, path, 0), 0);
	usleep(1200000); /* warm: streams running, first recording blocks in flight */
	drain(e);

	atomic_store(&counting, true);
	assert_int_equal(media_send_digits(e, 0, "123"), 0);
	assert_int_equal(media_send_digits(e, 1, "#"), 0);
	usleep(2000000);
	atomic_store(&counting, false);
	unsigned long n = atomic_load(&media_allocs);

	assert_int_equal(media_request_stats(e, 1, false), 0);
	struct media_stats st = wait_for(e, MEDIA_EV_STATS, 1).u.stats;
	print_message(
	    "media thread allocations in 2 s: %lu (channel 1 received %llu packets, %u digits, %u RTCP)\n", n,
	    (unsigned long long)st.rx_packets, st.dtmf_rx, st.rtcp_rx);
	assert_true(st.rx_packets >= 100);
	assert_int_equal(st.dtmf_rx, 3);
	assert_true(st.rtcp_rx >= 2);
	assert_int_equal(st.auth_failures, 0);
	struct media_monitor_status ms;
	media_monitor_status(e, &ms);
	print_message("monitor: %llu frames written\n", (unsigned long long)ms.frames_written);
	assert_true(ms.playing && ms.frames_written >= 2 * 8000);
	assert_int_equal(n, 0);

	media_engine_destroy(e);
	assert_int_equal(hal_audio_close(&monitor), 0);
	media_clip_unref(tone);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_packet_path_allocates_nothing(void **state)
{
	(void)state;
	run_packet_path(MEDIA_CRYPTO_NONE);
}

static void test_srtp_packet_path_allocates_nothing(void **state)
{
	(void)state;
	if (!media_srtp_cm_alloc_free()) {
		print_message("libsrtp runs its own AES-CM and HMAC-SHA1 here: %s\n",
		              media_srtp_implementation());
		skip();
	}
	run_packet_path(MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_sees_allocations),
	    cmocka_unit_test(test_packet_path_allocates_nothing),
	    cmocka_unit_test(test_srtp_packet_path_allocates_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
