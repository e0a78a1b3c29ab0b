/* The recorder's writer thread, driven the way the media thread drives it: saved messages are
 * complete WAV files that appear under their name only when done (temp file, fsync, rename), a
 * full disk is an event naming the file and leaves earlier messages alone, an existing message
 * is never replaced, a crash leaves only a hidden temp file that the start-up sweep removes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media_recorder.h"
#include "wav/wav.h"

struct fixture {
	char dir[128];
	int evfd;
	struct media_recorder *r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vmport-rec-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (media_recorder_create(4, 16, f->evfd, &f->r) != 0 || media_recorder_start(f->r) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	media_recorder_destroy(f->r);
	close(f->evfd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct media_rec_block *take(struct media_recorder *r)
{
	struct media_rec_block *b;
	for (int i = 0; i < 5000; i++) {
		if ((b = media_recorder_take_block(r)) != NULL)
			return b;
		usleep(1000);
	}
	fail_msg("no free recorder block for 5 s");
	return NULL;
}

static int16_t pattern(unsigned rec, size_t i)
{
	return (int16_t)((i * 37u + rec * 1001u) & 0x7fff);
}

/* What the media thread does for a recording of nblocks full blocks plus `tail` samples. */
static void record(struct media_recorder *r, uint32_t ch, const char *path, unsigned id, unsigned nblocks,
                   unsigned tail, bool end, bool keep)
{
	struct media_rec_block *b = take(r);
	snprintf((char *)b->samples, MEDIA_PATH_MAX, "%s", path);
	struct media_rec_msg m = {.type = MEDIA_REC_BEGIN, .ch = ch, .block = b};
	assert_true(media_recorder_post(r, &m));
	size_t n = 0;
	for (unsigned k = 0; k < nblocks; k++) {
		b = take(r);
		for (unsigned i = 0; i < MEDIA_REC_BLOCK_SAMPLES; i++)
			b->samples[i] = pattern(id, n++);
		m = (struct media_rec_msg){
		    .type = MEDIA_REC_DATA, .ch = ch, .nsamples = MEDIA_REC_BLOCK_SAMPLES, .block = b};
		assert_true(media_recorder_post(r, &m));
		media_recorder_kick(r);
	}
	if (end) {
		b = NULL;
		if (tail > 0) {
			b = take(r);
			for (unsigned i = 0; i < tail; i++)
				b->samples[i] = pattern(id, n++);
		}
		m = (struct media_rec_msg){
		    .type = MEDIA_REC_END, .keep = keep, .ch = ch, .nsamples = tail, .block = b};
		assert_true(media_recorder_post(r, &m));
	}
	media_recorder_kick(r);
}

static struct media_event wait_event(struct fixture *f, int type)
{
	struct media_event ev;
	for (int i = 0; i < 1000; i++) {
		while (media_recorder_poll_event(f->r, &ev) == 1) {
			if (ev.type == type)
				return ev;
			if (ev.type != MEDIA_EV_RECORD_STARTED)
				fail_msg("unexpected event %s (%s: %s)", media_event_name(ev.type),
				         ev.u.rec.path, ev.u.rec.reason);
		}
		struct pollfd p = {.fd = f->evfd, .events = POLLIN};
		poll(&p, 1, 10);
		uint64_t v;
		if (read(f->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
	}
	fail_msg("no %s event", media_event_name(type));
	return ev;
}

static unsigned count_entries(const char *dir, int hidden_only)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!hidden_only || de->d_name[0] == '.')
			n++;
	}
	closedir(d);
	return n;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void check_wav(const char *path, unsigned id, size_t samples)
{
	size_t len;
	uint8_t *buf = read_file(path, &len);
	struct wav_info info;
	assert_int_equal(wav_parse_header(buf, len, &info), WAV_OK);
	assert_int_equal(info.encoding, WAV_PCM16);
	assert_int_equal(info.sample_rate, 8000);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.data_len, samples * 2);
	assert_int_equal(len, info.data_offset + samples * 2);
	const uint8_t *d = buf + info.data_offset;
	for (size_t i = 0; i < samples; i++) {
		int16_t v = (int16_t)(uint16_t)(d[2 * i] | (d[2 * i + 1] << 8));
		if (v != pattern(id, i))
			fail_msg("%s: sample %zu is %d, want %d", path, i, v, pattern(id, i));
	}
	free(buf);
}

static void test_saved_message_is_complete_and_named_at_the_end(void **state)
{
	struct fixture *f = *state;
	char path[256];
	snprintf(path, sizeof(path), "%s/msg1.wav", f->dir);
	record(f->r, 0, path, 1, 3, 1234, false, true);
	struct media_event ev = wait_event(f, MEDIA_EV_RECORD_STARTED);
	assert_string_equal(ev.u.rec.path, path);
	/* Data is flowing but the recording is not finished: no file under the final name. */
	usleep(100000);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_entries(f->dir, 1), 1); /* the hidden temp file */

	struct media_rec_block *b = take(f->r);
	for (unsigned i = 0; i < 1234; i++)
		b->samples[i] = pattern(1, 3 * MEDIA_REC_BLOCK_SAMPLES + i);
	struct media_rec_msg m = {.type = MEDIA_REC_END, .keep = true, .ch = 0, .nsamples = 1234, .block = b};
	assert_true(media_recorder_post(f->r, &m));
	media_recorder_kick(f->r);
	ev = wait_event(f, MEDIA_EV_RECORD_SAVED);
	assert_string_equal(ev.u.rec.path, path);
	assert_int_equal(ev.u.rec.duration_ms, (3 * MEDIA_REC_BLOCK_SAMPLES + 1234) / 8);
	check_wav(path, 1, 3 * MEDIA_REC_BLOCK_SAMPLES + 1234);
	assert_int_equal(count_entries(f->dir, 0), 1);
	assert_int_equal(count_entries(f->dir, 1), 0);
}

static void test_discarded_message_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char path[256];
	snprintf(path, sizeof(path), "%s/discard.wav", f->dir);
	record(f->r, 1, path, 2, 2, 0, true, false);
	struct media_event ev = wait_event(f, MEDIA_EV_RECORD_DISCARDED);
	assert_string_equal(ev.u.rec.path, path);
	assert_int_equal(count_entries(f->dir, 0), 0);
}

static void test_existing_message_is_never_replaced(void **state)
{
	struct fixture *f = *state;
	char path[256];
	snprintf(path, sizeof(path), "%s/old.wav", f->dir);
	record(f->r, 0, path, 3, 1, 0, true, true);
	wait_event(f, MEDIA_EV_RECORD_SAVED);
	size_t len0;
	uint8_t *before = read_file(path, &len0);
	record(f->r, 2, path, 4, 2, 0, true, true);
	struct media_event ev = wait_event(f, MEDIA_EV_RECORD_FAILED);
	assert_string_equal(ev.u.rec.path, path);
	assert_int_equal(ev.u.rec.err, EEXIST);
	size_t len1;
	uint8_t *after = read_file(path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	assert_int_equal(count_entries(f->dir, 0), 1); /* and its temp file is gone */
	free(before);
	free(after);
}

static void test_full_disk_is_an_event_and_spares_earlier_messages(void **state)
{
	struct fixture *f = *state;
	char mnt[160], first[256], second[256];
	snprintf(mnt, sizeof(mnt), "%s/small", f->dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	bool mounted = mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0;
	struct rlimit old_limit;
	if (!mounted) {
		/* Not allowed to mount (not root): a file-size limit fails writes the same way, with
		 * EFBIG instead of ENOSPC. */
		print_message("tmpfs mount not permitted (%s): using RLIMIT_FSIZE\n", strerror(errno));
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old_limit);
		struct rlimit lim = {.rlim_cur = 40000, .rlim_max = old_limit.rlim_max};
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	}
	snprintf(first, sizeof(first), "%s/first.wav", mnt);
	snprintf(second, sizeof(second), "%s/second.wav", mnt);

	record(f->r, 0, first, 5, 2, 100, true, true); /* 16 KB */
	wait_event(f, MEDIA_EV_RECORD_SAVED);
	size_t len0;
	uint8_t *before = read_file(first, &len0);

	record(f->r, 1, second, 6, 12, 0, true, true); /* 96 KB: does not fit */
	struct media_event ev = wait_event(f, MEDIA_EV_RECORD_FAILED);
	assert_string_equal(ev.u.rec.path, second);
	if (mounted) {
		assert_int_equal(ev.u.rec.err, ENOSPC);
		assert_non_null(strstr(ev.u.rec.reason, "No space left"));
	} else {
		assert_int_equal(ev.u.rec.err, EFBIG);
	}
	/* The earlier message is byte for byte what it was; the failed one left nothing. */
	size_t len1;
	uint8_t *after = read_file(first, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	check_wav(first, 5, 2 * MEDIA_REC_BLOCK_SAMPLES + 100);
	assert_int_equal(access(second, F_OK), -1);
	assert_int_equal(count_entries(mnt, 0), 1);

	/* The recorder keeps working once there is room again. */
	if (mounted) {
		char third[256];
		snprintf(third, sizeof(third), "%s/third.wav", mnt);
		record(f->r, 2, third, 7, 1, 0, true, true);
		wait_event(f, MEDIA_EV_RECORD_SAVED);
		check_wav(third, 7, MEDIA_REC_BLOCK_SAMPLES);
		assert_int_equal(umount(mnt), 0);
	} else {
		setrlimit(RLIMIT_FSIZE, &old_limit);
	}
	free(before);
	free(after);
}

static void test_crash_leaves_only_a_temp_file_that_the_sweep_removes(void **state)
{
	struct fixture *f = *state;
	char path[256];
	snprintf(path, sizeof(path), "%s/crash.wav", f->dir);
	if (getenv("VMPORT_EMULATOR") != NULL) {
		/* qemu-user 7.2 aborts when a child of a multi-threaded process starts a thread
		 * (qemu_plugin_vcpu_init_hook assertion): a limit of the emulator, not of the board. */
		skip();
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A fresh recorder in the child; it dies in the middle of the message. */
		struct media_recorder *r;
		int fd = eventfd(0, EFD_NONBLOCK);
		if (media_recorder_create(1, 8, fd, &r) != 0 || media_recorder_start(r) != 0)
			_exit(2);
		record(r, 0, path, 8, 3, 0, false, true);
		usleep(300000);
		_exit(0); /* no END, no cleanup: like a crash */
	}
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(access(path, F_OK), -1); /* never a half-written message under its name */
	assert_int_equal(count_entries(f->dir, 1), 1);
	assert_int_equal(media_recorder_sweep(f->dir), 1);
	assert_int_equal(count_entries(f->dir, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_saved_message_is_complete_and_named_at_the_end, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_discarded_message_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_existing_message_is_never_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_disk_is_an_event_and_spares_earlier_messages, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_crash_leaves_only_a_temp_file_that_the_sweep_removes, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
