/* Two media engines on 127.0.0.1, as the port and its far end: a 1 kHz tone each way under SRTP,
 * recorded to WAV and checked by ear (Goertzel); a corrupted packet; RFC 2833 digits; key bytes
 * gone from the command queue; refusals; a full disk seen through the engine.
 *
 * No timing bounds are asserted (the VM's scheduling is not ours): the checks are on what
 * arrived and what was recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock/hal_clock.h"
#include "media.h"
#include "media_clip.h"
#include "media_internal.h"
#include "wav/wav.h"
#include "wav_listen.h"

#define MAX_EVENTS 512

struct side {
	struct media_engine *e;
	struct media_event ev[MAX_EVENTS];
	size_t n_ev;
};

static char tmpdir[128];

static void engine_up(struct side *s, uint16_t port_min, bool start)
{
	struct media_engine_config cfg;
	media_engine_config_defaults(&cfg);
	cfg.max_channels = 4;
	cfg.bind_addr = htonl(INADDR_LOOPBACK);
	cfg.port_min = port_min;
	cfg.port_max = (uint16_t)(port_min + 99);
	/* As in production, the media thread asks for SCHED_FIFO (without mlockall); where that is
	 * refused it says so and runs anyway. With a generous playout delay, the scheduling of a
	 * busy test machine does not put gaps into the audio. */
	cfg.rt_backend = "linux";
	cfg.rt.priority = 10;
	cfg.rt.lock_memory = false;
	cfg.jitter_min_ms = 100;
	cfg.jitter_max_ms = 400;
	cfg.rtcp_interval_ms = 1000;
	memset(s, 0, sizeof(*s));
	assert_int_equal(media_engine_create(&cfg, &s->e), 0);
	if (start)
		assert_int_equal(media_engine_start(s->e), 0);
}

static void engine_down(struct side *s)
{
	media_engine_destroy(s->e);
	s->e = NULL;
}

static void pump(struct side *s)
{
	while (s->n_ev < MAX_EVENTS && media_poll_event(s->e, &s->ev[s->n_ev]) == 1)
		s->n_ev++;
}

/* Wait for (and remove) the first event of `type` on channel ch. */
static struct media_event wait_for(struct side *s, int type, uint32_t ch, unsigned timeout_ms)
{
	uint64_t end = hal_clock_now_ms() + timeout_ms;
	for (;;) {
		pump(s);
		for (size_t i = 0; i < s->n_ev; i++) {
			if (s->ev[i].type == type && s->ev[i].ch == ch) {
				struct media_event ev = s->ev[i];
				memmove(&s->ev[i], &s->ev[i + 1], (s->n_ev - i - 1) * sizeof(ev));
				s->n_ev--;
				return ev;
			}
		}
		if (hal_clock_now_ms() > end)
			fail_msg("no %s event on channel %u after %u ms", media_event_name(type), ch,
			         timeout_ms);
		usleep(2000);
	}
}

static void random_key(struct media_key *k, uint32_t alg)
{
	memset(k, 0, sizeof(*k));
	k->algorithm = alg;
	if (alg == MEDIA_CRYPTO_NONE)
		return;
	k->key_len = alg == MEDIA_CRYPTO_AEAD_AES_256_GCM ? 32 : 16;
	k->salt_len = alg >= MEDIA_CRYPTO_AEAD_AES_128_GCM ? 12 : 14;
	assert_int_equal(hal_random_bytes(k->key, k->key_len), 0);
	assert_int_equal(hal_random_bytes(k->salt, k->salt_len), 0);
}

static uint16_t open_channel(struct side *s, uint32_t ch, const struct media_key *rx_key)
{
	struct media_open_req r = {.ptime_ms = 20, .codec = MEDIA_CODEC_PCMU, .dtmf_pt = 101, .key = *rx_key};
	assert_int_equal(media_open(s->e, ch, &r), 0);
	struct media_event ev = wait_for(s, MEDIA_EV_OPENED, ch, 5000);
	assert_int_equal(ev.u.opened.status, MEDIA_OK);
	assert_true(ev.u.opened.local_port % 2 == 0);
	return ev.u.opened.local_port;
}

static void start_tx(struct side *s, uint32_t ch, uint16_t remote_port, const struct media_key *tx_key)
{
	struct media_tx_req t = {.remote_addr = htonl(INADDR_LOOPBACK),
	                         .remote_port = remote_port,
	                         .ptime_ms = 20,
	                         .tos = 0xB8,
	                         .codec = MEDIA_CODEC_PCMU,
	                         .key = *tx_key};
	assert_int_equal(media_start_tx(s->e, ch, &t), 0);
	assert_int_equal(wait_for(s, MEDIA_EV_TX_STARTED, ch, 5000).u.status, MEDIA_OK);
}

static struct media_stats stats_of(struct side *s, uint32_t ch)
{
	assert_int_equal(media_request_stats(s->e, ch, false), 0);
	return wait_for(s, MEDIA_EV_STATS, ch, 5000).u.stats;
}

/* ---- listening to a recording ---- */

struct tone_report {
	size_t frames;      /* 20 ms frames in the recording */
	size_t first, last; /* first and last frame carrying the tone */
	size_t tone_frames; /* frames in [first, last] carrying the tone */
	size_t longest_gap; /* longest run of frames without it inside [first, last] */
	double ratio_db;    /* 1 kHz energy over the strongest neighbour, whole segment */
};

static bool frame_has_tone(const int16_t *f)
{
	double p = goertzel(f, 160, 1000);
	double rms2 = 0;
	for (int i = 0; i < 160; i++)
		rms2 += (double)f[i] * f[i];
	rms2 /= 160;
	double worst = 0;
	static const double others[] = {500, 750, 1250, 1500, 2000, 3000};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		double q = goertzel(f, 160, others[i]);
		if (q > worst)
			worst = q;
	}
	/* Loud enough (a concealment frame at half amplitude still counts) and clean. */
	return rms2 > 1000.0 * 1000.0 && p > 100.0 * worst;
}

static struct tone_report listen_to(const char *path)
{
	size_t n;
	int16_t *pcm = load_wav(path, &n);
	struct tone_report r = {.frames = n / 160, .first = SIZE_MAX};
	bool *tone = calloc(r.frames + 1, sizeof(bool));
	for (size_t f = 0; f < r.frames; f++) {
		tone[f] = frame_has_tone(pcm + 160 * f);
		if (tone[f]) {
			if (r.first == SIZE_MAX)
				r.first = f;
			r.last = f;
			r.tone_frames++;
		}
	}
	if (r.first != SIZE_MAX) {
		/* Gaps only between the first and the last tone frame. */
		size_t g = 0;
		for (size_t f = r.first; f <= r.last; f++) {
			g = tone[f] ? 0 : g + 1;
			if (g > r.longest_gap)
				r.longest_gap = g;
		}
		const int16_t *seg = pcm + 160 * r.first;
		size_t len = 160 * (r.last - r.first + 1);
		double p = goertzel(seg, len, 1000), worst = 0;
		static const double others[] = {900, 950, 1050, 1100, 500, 2000, 3000};
		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
			double q = goertzel(seg, len, others[i]);
			if (q > worst)
				worst = q;
		}
		r.ratio_db = 10.0 * log10(p / (worst > 0 ? worst : 1e-9));
	}
	free(tone);
	free(pcm);
	return r;
}

static unsigned hidden_files(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ---- tests ---- */

static void test_tone_both_ways_srtp(void **state)
{
	(void)state;
	struct side a, b;
	struct media_key k_ab, k_ba, k;
	struct media_clip *tone;
	char path_a[256], path_b[256];

	engine_up(&a, 41000, true);
	engine_up(&b, 42000, true);
	assert_int_equal(media_clip_tone(1000, 10000, 1000, &tone), 0);
	random_key(&k_ab, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	random_key(&k_ba, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32);

	k = k_ba;
	uint16_t port_a = open_channel(&a, 0, &k);
	k = k_ab;
	uint16_t port_b = open_channel(&b, 0, &k);
	snprintf(path_a, sizeof(path_a), "%s/heard-by-a.wav", tmpdir);
	snprintf(path_b, sizeof(path_b), "%s/heard-by-b.wav", tmpdir);
	assert_int_equal(media_record(a.e, 0, path_a, 0), 0);
	assert_int_equal(media_record(b.e, 0, path_b, 0), 0);
	wait_for(&a, MEDIA_EV_RECORD_STARTED, 0, 5000);
	wait_for(&b, MEDIA_EV_RECORD_STARTED, 0, 5000);
	assert_int_equal(media_play(a.e, 0, tone, true), 0);
	assert_int_equal(media_play(b.e, 0, tone, true), 0);
	assert_int_equal(tone->refs, 3);
	start_tx(&a, 0, port_b, &k_ab);
	start_tx(&b, 0, port_a, &k_ba);

	sleep(5);

	assert_int_equal(media_stop_tx(a.e, 0), 0);
	assert_int_equal(media_stop_tx(b.e, 0), 0);
	wait_for(&a, MEDIA_EV_TX_STOPPED, 0, 5000);
	wait_for(&b, MEDIA_EV_TX_STOPPED, 0, 5000);
	usleep(500000); /* what is in flight and in the jitter buffers plays out */
	assert_int_equal(media_stop_record(a.e, 0, true), 0);
	assert_int_equal(media_stop_record(b.e, 0, true), 0);
	struct media_event sa = wait_for(&a, MEDIA_EV_RECORD_SAVED, 0, 5000);
	struct media_event sb = wait_for(&b, MEDIA_EV_RECORD_SAVED, 0, 5000);
	assert_string_equal(sa.u.rec.path, path_a);
	assert_string_equal(sb.u.rec.path, path_b);
	assert_int_equal(sa.u.rec.dropped_ms, 0);

	struct media_stats st_a = stats_of(&a, 0), st_b = stats_of(&b, 0);
	print_message(
	    "A: tx %llu rx %llu lost %u late %u conc %u auth %u rtcp %u/%u jitter %u ms depth %u ms rtt %d\n",
	    (unsigned long long)st_a.tx_packets, (unsigned long long)st_a.rx_packets, st_a.lost, st_a.late,
	    st_a.concealed, st_a.auth_failures, st_a.rtcp_tx, st_a.rtcp_rx, st_a.jitter_ms,
	    st_a.jitter_depth_ms, st_a.rtt_ms);
	print_message(
	    "B: tx %llu rx %llu lost %u late %u conc %u auth %u rtcp %u/%u jitter %u ms depth %u ms rtt %d\n",
	    (unsigned long long)st_b.tx_packets, (unsigned long long)st_b.rx_packets, st_b.lost, st_b.late,
	    st_b.concealed, st_b.auth_failures, st_b.rtcp_tx, st_b.rtcp_rx, st_b.jitter_ms,
	    st_b.jitter_depth_ms, st_b.rtt_ms);
	/* Every packet sent arrived, authenticated, in sequence: nothing lost, late or repeated. */
	assert_true(st_a.tx_packets >= 200);
	assert_true(st_b.tx_packets >= 200);
	assert_int_equal(st_a.rx_packets, st_b.tx_packets);
	assert_int_equal(st_b.rx_packets, st_a.tx_packets);
	assert_int_equal(st_a.lost + st_a.late + st_a.duplicates + st_a.auth_failures + st_a.replay_drops, 0);
	assert_int_equal(st_b.lost + st_b.late + st_b.duplicates + st_b.auth_failures + st_b.replay_drops, 0);
	assert_int_equal(st_a.malformed + st_b.malformed, 0);
	/* RTCP went both ways under SRTCP (1 s interval in this test). */
	assert_true(st_a.rtcp_tx >= 2 && st_a.rtcp_rx >= 2);
	assert_true(st_b.rtcp_tx >= 2 && st_b.rtcp_rx >= 2);

	assert_int_equal(hidden_files(tmpdir), 0); /* the temp files became the messages */
	const char *paths[] = {path_a, path_b};
	const struct media_stats *senders[] = {&st_b, &st_a};
	for (int i = 0; i < 2; i++) {
		struct tone_report r = listen_to(paths[i]);
		print_message(
		    "%s: %zu frames, tone %zu..%zu (%zu frames), longest gap %zu, 1 kHz %.1f dB over "
		    "neighbours\n",
		    paths[i], r.frames, r.first, r.last, r.tone_frames, r.longest_gap, r.ratio_db);
		assert_true(r.first != SIZE_MAX);
		/* The whole tone arrived: as many tone frames as packets were sent (give or take the
		 * first packet, which may share a frame boundary), no gap longer than one packet. */
		assert_true(r.tone_frames + 2 >= senders[i]->tx_packets);
		assert_true(r.longest_gap <= 1);
		assert_true(r.ratio_db > 30.0);
	}

	assert_int_equal(media_close(a.e, 0), 0);
	assert_int_equal(media_close(b.e, 0), 0);
	wait_for(&a, MEDIA_EV_CLOSED, 0, 5000);
	wait_for(&b, MEDIA_EV_CLOSED, 0, 5000);
	engine_down(&a);
	engine_down(&b);
	assert_int_equal(tone->refs, 1); /* both engines let go of the clip */
	media_clip_unref(tone);
}

/* A UDP relay between B and A that flips one bit of one packet. */
struct relay {
	int fd;
	uint16_t port;
	uint16_t to_port;
	unsigned corrupt_at; /* 1-based packet number */
	unsigned forwarded;
	atomic_bool stop;
	pthread_t thread;
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(r->to_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sched_param sp = {.sched_priority = 10};
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); /* like the engines, when allowed */
	uint8_t buf[2048];
	while (!atomic_load(&r->stop)) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		if (++r->forwarded == r->corrupt_at)
			buf[40] ^= 0x10; /* one bit of the encrypted G.711 payload */
		sendto(r->fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
	}
	return NULL;
}

static void test_corrupted_packet_is_dropped_and_concealed(void **state)
{
	(void)state;
	struct side a, b;
	struct media_key k_ab, k_ba, k;
	struct media_clip *tone;
	char path[256];

	engine_up(&a, 43000, true);
	engine_up(&b, 44000, true);
	assert_int_equal(media_clip_tone(1000, 10000, 1000, &tone), 0);
	random_key(&k_ab, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	random_key(&k_ba, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	k = k_ba;
	uint16_t port_a = open_channel(&a, 0, &k);
	k = k_ab;
	open_channel(&b, 0, &k);

	struct relay rl = {.to_port = port_a, .corrupt_at = 50};
	rl.fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(rl.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(rl.fd, (struct sockaddr *)&sa, &sl);
	rl.port = ntohs(sa.sin_port);
	atomic_init(&rl.stop, false);
	assert_int_equal(pthread_create(&rl.thread, NULL, relay_main, &rl), 0);

	snprintf(path, sizeof(path), "%s/corrupted.wav", tmpdir);
	assert_int_equal(media_record(a.e, 0, path, 0), 0);
	assert_int_equal(media_play(b.e, 0, tone, true), 0);
	start_tx(&b, 0, rl.port, &k_ba); /* B -> relay -> A */
	sleep(3);
	assert_int_equal(media_stop_tx(b.e, 0), 0);
	wait_for(&b, MEDIA_EV_TX_STOPPED, 0, 5000);
	usleep(500000);
	assert_int_equal(media_stop_record(a.e, 0, true), 0);
	wait_for(&a, MEDIA_EV_RECORD_SAVED, 0, 5000);
	atomic_store(&rl.stop, true);
	pthread_join(rl.thread, NULL);
	close(rl.fd);

	struct media_stats st_a = stats_of(&a, 0), st_b = stats_of(&b, 0);
	print_message("A: rx %llu of %llu sent, auth failures %u, lost %u, concealed %u\n",
	              (unsigned long long)st_a.rx_packets, (unsigned long long)st_b.tx_packets,
	              st_a.auth_failures, st_a.lost, st_a.concealed);
	assert_true(rl.forwarded >= 100);
	assert_int_equal(st_a.auth_failures, 1);
	assert_int_equal(st_a.rx_packets, st_b.tx_packets - 1);
	assert_int_equal(st_a.lost, 1); /* the dropped packet's turn came and went ... */
	/* ... and was filled in (plus, possibly, one concealment frame when the stream ends) */
	assert_true(st_a.concealed >= 1 && st_a.concealed <= 2);
	/* The audio stays clean: every frame from the first tone frame to the last is the tone
	 * (the concealment frame repeats the previous one at half level), nothing else. */
	struct tone_report r = listen_to(path);
	print_message("corrupted.wav: tone %zu..%zu, %zu tone frames, longest gap %zu, %.1f dB\n", r.first,
	              r.last, r.tone_frames, r.longest_gap, r.ratio_db);
	assert_int_equal(r.longest_gap, 0);
	assert_true(r.ratio_db > 30.0);
	assert_true(r.tone_frames + 2 >= st_b.tx_packets);

	engine_down(&a);
	engine_down(&b);
	media_clip_unref(tone);
}

static void test_rfc2833_digits(void **state)
{
	(void)state;
	struct side a, b;
	struct media_key k_ab, k_ba, k;
	engine_up(&a, 45000, true);
	engine_up(&b, 46000, true);
	random_key(&k_ab, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80);
	random_key(&k_ba, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_80);
	k = k_ba;
	open_channel(&a, 0, &k);
	k = k_ab;
	uint16_t port_b = open_channel(&b, 0, &k);
	start_tx(&a, 0, port_b, &k_ab);
	assert_int_equal(media_send_digits(a.e, 0, "159#*D"), 0);
	assert_int_equal(media_send_digits(a.e, 0, "12x"), -EINVAL);
	wait_for(&a, MEDIA_EV_DIGITS_SENT, 0, 10000);
	const char *want = "159#*D";
	for (size_t i = 0; i < strlen(want); i++) {
		struct media_event ev = wait_for(&b, MEDIA_EV_DTMF, 0, 5000);
		assert_int_equal(ev.u.dtmf.digit, want[i]);
		assert_true(ev.u.dtmf.end_seen);
		assert_true(ev.u.dtmf.duration_ms >= 80 && ev.u.dtmf.duration_ms <= 120);
	}
	usleep(200000);
	pump(&b);
	for (size_t i = 0; i < b.n_ev; i++)
		assert_int_not_equal(b.ev[i].type, MEDIA_EV_DTMF); /* each digit exactly once */
	assert_int_equal(stats_of(&b, 0).dtmf_rx, 6);
	engine_down(&a);
	engine_down(&b);
}

static void test_keys_are_wiped_from_the_command_queue(void **state)
{
	(void)state;
	struct side a;
	engine_up(&a, 47000, false); /* not started: commands stay queued */
	struct media_key rx, tx;
	random_key(&rx, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	random_key(&tx, MEDIA_CRYPTO_AEAD_AES_256_GCM);
	struct media_key rx_copy = rx, tx_copy = tx, zero;
	memset(&zero, 0, sizeof(zero));

	struct media_open_req r = {.ptime_ms = 20, .codec = MEDIA_CODEC_PCMA, .key = rx};
	assert_int_equal(media_open(a.e, 1, &r), 0);
	assert_memory_equal(&r.key, &zero, sizeof(zero)); /* the caller's copy is wiped at once */
	size_t len;
	const uint8_t *mem = media_engine_cmd_storage(a.e, &len);
	/* Before the media thread has run, the key is in the slot: the check below can see it. */
	assert_non_null(memmem(mem, len, rx_copy.key, rx_copy.key_len));

	assert_int_equal(media_engine_start(a.e), 0);
	struct media_event ev = wait_for(&a, MEDIA_EV_OPENED, 1, 5000);
	assert_int_equal(ev.u.opened.status, MEDIA_OK);
	assert_null(memmem(mem, len, rx_copy.key, rx_copy.key_len));
	assert_null(memmem(mem, len, rx_copy.salt, rx_copy.salt_len));

	struct media_tx_req t = {.remote_addr = htonl(INADDR_LOOPBACK),
	                         .remote_port = 9,
	                         .ptime_ms = 30,
	                         .codec = MEDIA_CODEC_PCMA,
	                         .key = tx};
	assert_int_equal(media_start_tx(a.e, 1, &t), 0);
	assert_memory_equal(&t.key, &zero, sizeof(zero));
	assert_int_equal(wait_for(&a, MEDIA_EV_TX_STARTED, 1, 5000).u.status, MEDIA_OK);
	assert_null(memmem(mem, len, tx_copy.key, tx_copy.key_len));
	assert_null(memmem(mem, len, tx_copy.salt, tx_copy.salt_len));
	/* Nor anywhere in the engine's own memory (channels, scratch buffers). */
	struct media_engine *e = a.e;
	assert_null(memmem(e, sizeof(*e), tx_copy.key, tx_copy.key_len));
	assert_null(memmem(e->ch, 4 * sizeof(*e->ch), tx_copy.key, tx_copy.key_len));
	assert_null(memmem(e->ch, 4 * sizeof(*e->ch), rx_copy.key, rx_copy.key_len));
	engine_down(&a);
	explicit_bzero(&rx_copy, sizeof(rx_copy));
	explicit_bzero(&tx_copy, sizeof(tx_copy));
}

static void test_refusals(void **state)
{
	(void)state;
	struct side a;
	struct media_key k;
	engine_up(&a, 48000, true);

	struct media_open_req r = {.ptime_ms = 25, .codec = MEDIA_CODEC_PCMU};
	assert_int_equal(media_open(a.e, 0, &r), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_OPENED, 0, 5000).u.opened.status,
	                 MEDIA_ERR_INVALID_PACKET_SIZE);
	r = (struct media_open_req){.ptime_ms = 20, .codec = 7};
	assert_int_equal(media_open(a.e, 0, &r), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_OPENED, 0, 5000).u.opened.status, MEDIA_ERR_INVALID_CODEC);
	random_key(&k, MEDIA_CRYPTO_AES_CM_128_HMAC_SHA1_32);
	k.salt_len = 12;
	r = (struct media_open_req){.ptime_ms = 20, .codec = MEDIA_CODEC_PCMU, .key = k};
	assert_int_equal(media_open(a.e, 0, &r), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_OPENED, 0, 5000).u.opened.status, MEDIA_ERR_CRYPTO);
	r = (struct media_open_req){.local_port = 48001, .ptime_ms = 20, .codec = MEDIA_CODEC_PCMU}; /* odd */
	assert_int_equal(media_open(a.e, 0, &r), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_OPENED, 0, 5000).u.opened.status, MEDIA_ERR_OUT_OF_SOCKETS);

	/* Plain RTP opens (algorithm 0); a second open of the same channel is refused. */
	memset(&k, 0, sizeof(k));
	open_channel(&a, 0, &k);
	r = (struct media_open_req){.ptime_ms = 20, .codec = MEDIA_CODEC_PCMU};
	assert_int_equal(media_open(a.e, 0, &r), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_OPENED, 0, 5000).u.opened.status, MEDIA_ERR_NO_CHANNELS);

	struct media_tx_req t = {.remote_addr = htonl(INADDR_LOOPBACK), .remote_port = 9, .ptime_ms = 20};
	assert_int_equal(media_start_tx(a.e, 2, &t), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_TX_STARTED, 2, 5000).u.status, MEDIA_ERR_INVALID_PARTY);
	assert_int_equal(media_close(a.e, 3), 0);
	assert_int_equal(wait_for(&a, MEDIA_EV_REJECTED, 3, 5000).u.status, MEDIA_ERR_INVALID_PARTY);
	assert_int_equal(media_close(a.e, 4), -EINVAL); /* beyond max_channels */
	assert_int_equal(media_record(a.e, 0, "", 0), -EINVAL);
	engine_down(&a);
}

static void test_play_once_and_record_max_length(void **state)
{
	(void)state;
	struct side a, b;
	struct media_key none;
	struct media_clip *clip;
	char path[256];
	memset(&none, 0, sizeof(none));
	engine_up(&a, 49000, true);
	engine_up(&b, 50000, true);
	uint16_t port_a = open_channel(&a, 0, &none);
	open_channel(&b, 0, &none);
	assert_int_equal(media_clip_tone(1000, 10000, 300, &clip), 0);
	snprintf(path, sizeof(path), "%s/max.wav", tmpdir);
	assert_int_equal(media_record(a.e, 0, path, 700), 0);
	assert_int_equal(media_play(b.e, 0, clip, false), 0);
	start_tx(&b, 0, port_a, &none); /* plain RTP */
	wait_for(&b, MEDIA_EV_PLAY_DONE, 0, 5000);
	struct media_event ev = wait_for(&a, MEDIA_EV_RECORD_SAVED, 0, 5000);
	assert_int_equal(ev.u.rec.duration_ms, 700);
	struct tone_report r = listen_to(path);
	/* 300 ms of tone (15 frames) somewhere in 700 ms of recording. */
	assert_true(r.first != SIZE_MAX);
	assert_true(r.tone_frames >= 14 && r.tone_frames <= 16);
	struct media_stats st = stats_of(&a, 0);
	assert_int_equal(st.auth_failures, 0);
	assert_true(st.rx_packets > 0);
	engine_down(&a);
	engine_down(&b);
	assert_int_equal(clip->refs, 1);
	media_clip_unref(clip);
}

static void test_full_disk_through_the_engine(void **state)
{
	(void)state;
	char mnt[160], first[256], second[256];
	snprintf(mnt, sizeof(mnt), "%s/full", tmpdir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=32k") != 0) {
		print_message(
		    "tmpfs mount not permitted (%s); test_engine_recorder covers the RLIMIT_FSIZE case\n",
		    strerror(errno));
		skip();
	}
	struct side a;
	struct media_key none;
	memset(&none, 0, sizeof(none));
	engine_up(&a, 51000, true);
	open_channel(&a, 0, &none);
	snprintf(first, sizeof(first), "%s/first.wav", mnt);
	snprintf(second, sizeof(second), "%s/second.wav", mnt);
	assert_int_equal(media_record(a.e, 0, first, 500), 0); /* 8 KB of silence */
	wait_for(&a, MEDIA_EV_RECORD_SAVED, 0, 5000);
	struct stat st0, st1;
	assert_int_equal(stat(first, &st0), 0);
	assert_int_equal(media_record(a.e, 0, second, 4000), 0); /* 64 KB: no room */
	struct media_event ev = wait_for(&a, MEDIA_EV_RECORD_FAILED, 0, 10000);
	print_message("event: %s %s: %s\n", media_event_name(ev.type), ev.u.rec.path, ev.u.rec.reason);
	assert_string_equal(ev.u.rec.path, second);
	assert_int_equal(ev.u.rec.err, ENOSPC);
	assert_non_null(strstr(ev.u.rec.reason, "No space left"));
	assert_int_equal(stat(first, &st1), 0);
	assert_int_equal(st0.st_size, st1.st_size);
	assert_int_equal(st0.st_mtime, st1.st_mtime);
	assert_int_equal(access(second, F_OK), -1);
	assert_int_equal(hidden_files(mnt), 0);
	/* The channel and the engine carry on. */
	struct media_stats s = stats_of(&a, 0);
	(void)s;
	engine_down(&a);
	assert_int_equal(umount(mnt), 0);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmport-engine-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tone_both_ways_srtp),
	    cmocka_unit_test(test_corrupted_packet_is_dropped_and_concealed),
	    cmocka_unit_test(test_rfc2833_digits),
	    cmocka_unit_test(test_keys_are_wiped_from_the_command_queue),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_play_once_and_record_max_length),
	    cmocka_unit_test(test_full_disk_through_the_engine),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
