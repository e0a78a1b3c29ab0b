/* RFC 2833 / RFC 4733 telephone-event payloads, and a decoder that turns the packet stream of
 * one RTP source into DTMF digits, each reported exactly once.
 *
 * A telephone event is sent as a train of packets sharing the RTP timestamp of the event's
 * start: updates with a growing duration, then the end packet (E bit), normally sent three
 * times. The timestamp identifies the event, so the decoder reports a digit when it first sees
 * the event end, and never again for that timestamp. If every end packet is lost, the digit is
 * reported when the next event starts, or when the caller flushes or polls for a timeout. */
#ifndef VMPORT_RFC2833_H
#define VMPORT_RFC2833_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RFC2833_PAYLOAD_LEN 4u
#define RFC2833_MAX_VOLUME 63  /* -dBm0, 6 bits */
#define RFC2833_DTMF_EVENTS 16 /* events 0..15 are the DTMF digits */
#define RFC2833_DEFAULT_PT 101 /* what chan-sccp and most peers use (protocol.md §3.6) */
/* Packets up to this much older than the current event are stragglers and ignored; older still
 * means the sender's timestamps restarted (10 s at the 8 kHz telephone-event clock). */
#define RFC2833_STRAGGLER_WINDOW 80000

struct rfc2833_event {
	uint8_t event;     /* 0..9 digits, 10 '*', 11 '#', 12..15 'A'..'D', others non-DTMF */
	bool end;          /* E bit: the event has ended */
	uint8_t volume;    /* power level as -dBm0, 0..63 */
	uint16_t duration; /* in timestamp units since the event's timestamp */
};

/* Parse the first event of a telephone-event payload (RFC 4733 §2.3). Further 4-byte blocks
 * (§2.5.1.5 packs several in one packet) are ignored. 0 or a negative rtp_err. */
int rfc2833_parse(const uint8_t *payload, size_t len, struct rfc2833_event *out);
/* Write one event. Returns 4 or a negative rtp_err (volume above 63: RTP_ERR_INVALID). */
int rfc2833_build(const struct rfc2833_event *e, uint8_t *out, size_t cap);

/* '0'..'9', '*', '#', 'A'..'D' for events 0..15; '\0' for anything else. */
char rfc2833_event_to_digit(uint8_t event);
/* The inverse (lower-case 'a'..'d' accepted); negative rtp_err for a character that is no digit. */
int rfc2833_digit_to_event(char digit);

/* A digit as the decoder reports it. */
struct rfc2833_digit {
	char digit;
	uint8_t event;
	uint32_t timestamp; /* RTP timestamp of the event (its start) */
	uint32_t duration;  /* total, timestamp units (long events can exceed 16 bits) */
	uint8_t volume;
	bool end_seen; /* false: reported without an end packet (lost, or flushed) */
};

struct rfc2833_decoder {
	bool active;   /* an event is being tracked */
	bool reported; /* ... and has been reported already */
	uint8_t event;
	uint8_t volume;
	uint32_t timestamp;         /* of the event (its first segment) */
	uint32_t segment_timestamp; /* of the current segment (RFC 4733 §2.5.2.3) */
	uint32_t duration_before_segment;
	uint16_t segment_duration;
	uint32_t ignored; /* packets that carried a non-DTMF event */
};

void rfc2833_decoder_init(struct rfc2833_decoder *d);

/* Feed one telephone-event packet: its RTP timestamp and payload. Writes up to two digits to out
 * (the previous event, if it never ended, and this one) and returns how many, or a negative
 * rtp_err for a malformed payload (the decoder state is unchanged then). Only events 0..15 are
 * reported; others are tracked so they still separate digits, and counted in `ignored`. */
int rfc2833_decoder_feed(struct rfc2833_decoder *d, uint32_t rtp_timestamp, const uint8_t *payload,
                         size_t len, struct rfc2833_digit out[2]);

/* The event in progress has had no end packet and no update until now_ts (the stream's current
 * timestamp, for example the latest audio packet's): report it if now_ts is more than
 * `timeout` units past its last known duration. Returns 1 with *out filled, or 0. */
int rfc2833_decoder_poll(struct rfc2833_decoder *d, uint32_t now_ts, uint32_t timeout,
                         struct rfc2833_digit *out);

/* The stream stops: report an event still in progress. Returns 1 with *out filled, or 0. */
int rfc2833_decoder_flush(struct rfc2833_decoder *d, struct rfc2833_digit *out);

#endif
