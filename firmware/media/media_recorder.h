/* Recorder: gets received audio from the real-time media thread onto disk without the media
 * thread ever touching a file.
 *
 * Design. The media thread owns, per recording channel, one block from a preallocated pool
 * (0.5 s of samples). It appends each played-out frame to it; a full block is handed to the
 * writer thread on an SPSC queue and a fresh one taken from the free queue (another SPSC queue,
 * writer -> media). Handing off is two atomic stores; the media thread wakes the writer through
 * an eventfd at most once per wake-up. If the writer falls behind (slow disk) and the pool runs
 * dry, the media thread drops audio and counts it (reported as dropped_ms), it never waits.
 *
 * The writer thread (normal priority) writes each recording to ".<name>.tmp" in the target
 * directory: a WAV header with zero sizes first, samples as they come, then the real header,
 * fsync, close, rename to the final name (RENAME_NOREPLACE: an existing message is never
 * replaced) and fsync of the directory. A crash leaves at most a hidden .tmp file, which
 * media_recorder_sweep() removes at start-up; a full disk (ENOSPC, EFBIG, EDQUOT) removes the temp
 * file and reports MEDIA_EV_RECORD_FAILED naming the message and the reason. Earlier messages are
 * separate files that are never reopened. */
#ifndef VMPORT_MEDIA_RECORDER_H
#define VMPORT_MEDIA_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media.h"

#define MEDIA_REC_BLOCK_SAMPLES 4000 /* 0.5 s at 8 kHz */

struct media_rec_block {
	int16_t samples[MEDIA_REC_BLOCK_SAMPLES];
};

enum media_rec_msg_type {
	MEDIA_REC_BEGIN, /* block holds the final path as a NUL-terminated string */
	MEDIA_REC_DATA,  /* block holds nsamples samples */
	MEDIA_REC_END,   /* optional block with the last nsamples; keep or discard */
};

struct media_rec_msg {
	uint8_t type;
	bool keep;
	uint32_t ch;
	uint32_t nsamples;
	uint32_t dropped_ms;           /* END: audio the media side had to drop */
	struct media_rec_block *block; /* returned to the pool by the writer */
};

struct media_recorder;

/* pool_blocks blocks for max_channels channels; event_fd is signalled when the writer posts an
 * event. 0 or -errno. */
int media_recorder_create(unsigned max_channels, size_t pool_blocks, int event_fd,
                          struct media_recorder **out);
int media_recorder_start(struct media_recorder *r);
/* Finish every message already queued (recordings that were ended are saved), then join. */
void media_recorder_stop(struct media_recorder *r);
void media_recorder_destroy(struct media_recorder *r);

/* ---- media thread ---- */
/* A free block, or NULL when the pool is exhausted. */
struct media_rec_block *media_recorder_take_block(struct media_recorder *r);
/* Queue a message for the writer. Never fails for messages that carry a pool block or END
 * messages, as the queue holds twice the pool. Returns false only if misused. */
bool media_recorder_post(struct media_recorder *r, const struct media_rec_msg *m);
/* Wake the writer if anything was posted since the last kick (one syscall at most). */
void media_recorder_kick(struct media_recorder *r);

/* ---- control thread ---- */
int media_recorder_poll_event(struct media_recorder *r, struct media_event *ev);

/* Remove temp files a crash left in dir (".*.tmp" made by this recorder). Returns how many were
 * removed, or -errno. */
int media_recorder_sweep(const char *dir);

#endif
