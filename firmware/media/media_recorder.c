#include "media_recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "spsc.h"
#include "wav/wav.h"

#define TMP_SUFFIX ".tmp"

/* What the writer knows about the recording on one channel. */
struct rec_file {
	int fd;         /* -1: none open */
	bool failed;    /* an error was reported; drop data until END */
	uint64_t bytes; /* sample bytes written */
	char path[MEDIA_PATH_MAX];
	char tmp[MEDIA_PATH_MAX + 8];
};

struct media_recorder {
	unsigned max_channels;
	size_t pool_blocks;
	struct media_rec_block *pool;
	struct spsc msgq; /* media -> writer */
	void *msgq_mem;
	struct spsc freeq; /* writer -> media: struct media_rec_block * */
	void *freeq_mem;
	struct spsc evq; /* writer -> control: struct media_event */
	void *evq_mem;
	int kick_fd;  /* media -> writer wake-up */
	int event_fd; /* writer -> control wake-up (the engine's) */
	bool posted;  /* media side: something posted since the last kick */
	struct rec_file *files;
	pthread_t thread;
	bool running;
	atomic_bool stop;
};

static size_t pow2_at_least(size_t n)
{
	size_t p = 2;
	while (p < n)
		p <<= 1;
	return p;
}

int media_recorder_create(unsigned max_channels, size_t pool_blocks, int event_fd,
                          struct media_recorder **out)
{
	struct media_recorder *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->max_channels = max_channels;
	r->pool_blocks = pool_blocks;
	r->event_fd = event_fd;
	r->kick_fd = -1;
	atomic_init(&r->stop, false);

	size_t msg_cap = pow2_at_least(2 * pool_blocks + 2);
	size_t free_cap = pow2_at_least(pool_blocks + 1);
	size_t ev_cap = pow2_at_least(2 * (size_t)max_channels + 16);
	r->pool = calloc(pool_blocks, sizeof(*r->pool));
	r->msgq_mem = calloc(msg_cap, sizeof(struct media_rec_msg));
	r->freeq_mem = calloc(free_cap, sizeof(struct media_rec_block *));
	r->evq_mem = calloc(ev_cap, sizeof(struct media_event));
	r->files = calloc(max_channels, sizeof(*r->files));
	if (r->pool == NULL || r->msgq_mem == NULL || r->freeq_mem == NULL || r->evq_mem == NULL ||
	    r->files == NULL) {
		media_recorder_destroy(r);
		return -ENOMEM;
	}
	spsc_init(&r->msgq, r->msgq_mem, sizeof(struct media_rec_msg), msg_cap);
	spsc_init(&r->freeq, r->freeq_mem, sizeof(struct media_rec_block *), free_cap);
	spsc_init(&r->evq, r->evq_mem, sizeof(struct media_event), ev_cap);
	/* Nothing runs yet: this thread may play the writer's part and fill the free queue. */
	for (size_t i = 0; i < pool_blocks; i++) {
		struct media_rec_block **slot = spsc_push_slot(&r->freeq);
		*slot = &r->pool[i];
		spsc_push_commit(&r->freeq);
	}
	for (unsigned i = 0; i < max_channels; i++)
		r->files[i].fd = -1;
	r->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->kick_fd < 0) {
		int rc = -errno;
		media_recorder_destroy(r);
		return rc;
	}
	*out = r;
	return 0;
}

void media_recorder_destroy(struct media_recorder *r)
{
	if (r == NULL)
		return;
	if (r->running)
		media_recorder_stop(r);
	if (r->files != NULL) {
		for (unsigned i = 0; i < r->max_channels; i++) {
			if (r->files[i].fd >= 0) {
				close(r->files[i].fd);
				unlink(r->files[i].tmp);
			}
		}
	}
	if (r->kick_fd >= 0)
		close(r->kick_fd);
	free(r->pool);
	free(r->msgq_mem);
	free(r->freeq_mem);
	free(r->evq_mem);
	free(r->files);
	free(r);
}

/* ---- media thread side ---- */

struct media_rec_block *media_recorder_take_block(struct media_recorder *r)
{
	struct media_rec_block **slot = spsc_pop_slot(&r->freeq);
	if (slot == NULL)
		return NULL;
	struct media_rec_block *b = *slot;
	spsc_pop_release(&r->freeq);
	return b;
}

bool media_recorder_post(struct media_recorder *r, const struct media_rec_msg *m)
{
	struct media_rec_msg *slot = spsc_push_slot(&r->msgq);
	if (slot == NULL)
		return false;
	*slot = *m;
	spsc_push_commit(&r->msgq);
	r->posted = true;
	return true;
}

void media_recorder_kick(struct media_recorder *r)
{
	if (!r->posted)
		return;
	r->posted = false;
	uint64_t one = 1;
	/* A full counter (never in practice) means the writer is awake anyway. */
	ssize_t n = write(r->kick_fd, &one, sizeof(one));
	(void)n;
}

/* ---- writer thread ---- */

static void give_back(struct media_recorder *r, struct media_rec_block *b)
{
	if (b == NULL)
		return;
	struct media_rec_block **slot;
	/* The free queue holds the whole pool, so this cannot be full. */
	while ((slot = spsc_push_slot(&r->freeq)) == NULL)
		usleep(1000);
	*slot = b;
	spsc_push_commit(&r->freeq);
}

static void post_event(struct media_recorder *r, int type, uint32_t ch, const struct rec_file *f,
                       uint32_t duration_ms, uint32_t dropped_ms, int err)
{
	struct media_event *ev;
	/* The writer is not real-time: if the control side is slow to poll, wait rather than lose
	 * the news that a message was saved or lost. */
	while ((ev = spsc_push_slot(&r->evq)) == NULL) {
		if (atomic_load(&r->stop))
			return;
		usleep(2000);
	}
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint16_t)type;
	ev->ch = ch;
	snprintf(ev->u.rec.path, sizeof(ev->u.rec.path), "%s", f->path);
	ev->u.rec.duration_ms = duration_ms;
	ev->u.rec.dropped_ms = dropped_ms;
	ev->u.rec.err = err;
	if (err != 0)
		snprintf(ev->u.rec.reason, sizeof(ev->u.rec.reason), "%s", strerror(err));
	spsc_push_commit(&r->evq);
	uint64_t one = 1;
	ssize_t n = write(r->event_fd, &one, sizeof(one));
	(void)n;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void file_fail(struct media_recorder *r, uint32_t ch, struct rec_file *f, int err)
{
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	unlink(f->tmp);
	f->failed = true;
	LOGE("media", "recording %s failed: %s; its temporary file was removed, nothing was saved", f->path,
	     strerror(err));
	post_event(r, MEDIA_EV_RECORD_FAILED, ch, f, (uint32_t)(f->bytes / 16u), 0, err);
}

static void make_tmp_name(struct rec_file *f)
{
	const char *slash = strrchr(f->path, '/');
	if (slash == NULL)
		snprintf(f->tmp, sizeof(f->tmp), ".%s" TMP_SUFFIX, f->path);
	else
		snprintf(f->tmp, sizeof(f->tmp), "%.*s/.%s" TMP_SUFFIX, (int)(slash - f->path), f->path,
		         slash + 1);
}

static void on_begin(struct media_recorder *r, const struct media_rec_msg *m)
{
	struct rec_file *f = &r->files[m->ch];
	if (f->fd >= 0) { /* an END was lost: should not happen; do not leak the file */
		close(f->fd);
		unlink(f->tmp);
	}
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	memcpy(f->path, m->block->samples, sizeof(f->path));
	f->path[sizeof(f->path) - 1] = '\0';
	make_tmp_name(f);
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (f->fd < 0) {
		file_fail(r, m->ch, f, errno);
		return;
	}
	uint8_t hdr[WAV_HEADER_LEN];
	wav_build_header(hdr, sizeof(hdr), 0);
	int err = write_all(f->fd, hdr, sizeof(hdr));
	if (err != 0) {
		file_fail(r, m->ch, f, err);
		return;
	}
	post_event(r, MEDIA_EV_RECORD_STARTED, m->ch, f, 0, 0, 0);
}

static void append(struct media_recorder *r, uint32_t ch, struct rec_file *f, struct media_rec_block *b,
                   uint32_t n)
{
	if (f->failed || f->fd < 0 || n == 0)
		return;
	if (f->bytes + 2u * n > WAV_MAX_DATA_LEN) {
		file_fail(r, ch, f, EFBIG);
		return;
	}
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (uint32_t i = 0; i < n; i++)
		b->samples[i] = (int16_t)__builtin_bswap16((uint16_t)b->samples[i]);
#endif
	int err = write_all(f->fd, b->samples, 2u * n);
	if (err != 0) {
		file_fail(r, ch, f, err);
		return;
	}
	f->bytes += 2u * n;
}

static int fsync_dir_of(const char *path)
{
	char dir[MEDIA_PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = fsync(fd) == 0 ? 0 : errno;
	close(fd);
	return err;
}

static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	/* File systems without RENAME_NOREPLACE: link() refuses an existing name just the same. */
	if (link(from, to) != 0)
		return errno;
	unlink(from);
	return 0;
}

static void on_end(struct media_recorder *r, const struct media_rec_msg *m)
{
	struct rec_file *f = &r->files[m->ch];
	if (m->block != NULL)
		append(r, m->ch, f, m->block, m->nsamples);
	if (f->failed || f->fd < 0) {
		f->failed = false;
		return;
	}
	uint32_t duration_ms = (uint32_t)(f->bytes / 16u);
	if (!m->keep) {
		close(f->fd);
		f->fd = -1;
		unlink(f->tmp);
		post_event(r, MEDIA_EV_RECORD_DISCARDED, m->ch, f, duration_ms, m->dropped_ms, 0);
		return;
	}
	uint8_t hdr[WAV_HEADER_LEN];
	wav_build_header(hdr, sizeof(hdr), (uint32_t)f->bytes);
	int err = 0;
	ssize_t n = pwrite(f->fd, hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr))
		err = n < 0 ? errno : EIO;
	if (err == 0 && fsync(f->fd) != 0)
		err = errno;
	if (err != 0) {
		file_fail(r, m->ch, f, err);
		f->failed = false;
		return;
	}
	int fd = f->fd;
	f->fd = -1;
	if (close(fd) != 0) {
		err = errno;
		file_fail(r, m->ch, f, err);
		f->failed = false;
		return;
	}
	err = rename_noreplace(f->tmp, f->path);
	if (err != 0) {
		file_fail(r, m->ch, f, err);
		f->failed = false;
		return;
	}
	err = fsync_dir_of(f->path);
	if (err != 0) /* the file is complete and named; only its durability is in doubt */
		LOGW("media", "recording %s saved but fsync of its directory failed: %s", f->path,
		     strerror(err));
	post_event(r, MEDIA_EV_RECORD_SAVED, m->ch, f, duration_ms, m->dropped_ms, 0);
}

static bool drain(struct media_recorder *r)
{
	bool any = false;
	struct media_rec_msg *m;
	while ((m = spsc_pop_slot(&r->msgq)) != NULL) {
		struct media_rec_msg msg = *m;
		spsc_pop_release(&r->msgq);
		any = true;
		if (msg.ch >= r->max_channels) {
			give_back(r, msg.block);
			continue;
		}
		switch (msg.type) {
		case MEDIA_REC_BEGIN:
			on_begin(r, &msg);
			break;
		case MEDIA_REC_DATA:
			append(r, msg.ch, &r->files[msg.ch], msg.block, msg.nsamples);
			break;
		case MEDIA_REC_END:
			on_end(r, &msg);
			break;
		}
		give_back(r, msg.block);
	}
	return any;
}

static void *writer_main(void *arg)
{
	struct media_recorder *r = arg;
	struct pollfd pfd = {.fd = r->kick_fd, .events = POLLIN};
	while (!atomic_load(&r->stop)) {
		if (poll(&pfd, 1, 200) > 0) {
			uint64_t v;
			ssize_t n = read(r->kick_fd, &v, sizeof(v));
			(void)n;
		}
		drain(r);
	}
	/* The media thread has stopped before us: finish what it queued. */
	drain(r);
	return NULL;
}

int media_recorder_start(struct media_recorder *r)
{
	atomic_store(&r->stop, false);
	int rc = pthread_create(&r->thread, NULL, writer_main, r);
	if (rc != 0)
		return -rc;
	pthread_setname_np(r->thread, "vmport-writer");
	r->running = true;
	return 0;
}

void media_recorder_stop(struct media_recorder *r)
{
	if (!r->running)
		return;
	atomic_store(&r->stop, true);
	uint64_t one = 1;
	ssize_t n = write(r->kick_fd, &one, sizeof(one));
	(void)n;
	pthread_join(r->thread, NULL);
	r->running = false;
}

/* ---- control side ---- */

int media_recorder_poll_event(struct media_recorder *r, struct media_event *ev)
{
	struct media_event *slot = spsc_pop_slot(&r->evq);
	if (slot == NULL)
		return 0;
	*ev = *slot;
	spsc_pop_release(&r->evq);
	return 1;
}

int media_recorder_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -errno;
	int removed = 0;
	struct dirent *de;
	size_t suffix = strlen(TMP_SUFFIX);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len <= suffix + 1 ||
		    strcmp(de->d_name + len - suffix, TMP_SUFFIX) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
			LOGW("media", "removed %s/%s, a recording interrupted by a crash", dir, de->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
}
