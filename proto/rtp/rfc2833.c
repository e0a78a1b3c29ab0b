/* RFC 4733 telephone events (obsoletes RFC 2833; same payload format). */
#include "rfc2833.h"

#include "rtp.h"
#include "rtp_bytes.h"

int rfc2833_parse(const uint8_t *payload, size_t len, struct rfc2833_event *out)
{
	if (len < RFC2833_PAYLOAD_LEN)
		return RTP_ERR_TRUNCATED;
	/* event (8) | E (1) R (1) volume (6) | duration (16); R is reserved and ignored. */
	out->event = payload[0];
	out->end = payload[1] & 0x80;
	out->volume = payload[1] & 0x3F;
	out->duration = get_be16(payload + 2);
	return RTP_OK;
}

int rfc2833_build(const struct rfc2833_event *e, uint8_t *out, size_t cap)
{
	if (e->volume > RFC2833_MAX_VOLUME)
		return RTP_ERR_INVALID;
	if (cap < RFC2833_PAYLOAD_LEN)
		return RTP_ERR_NO_SPACE;
	out[0] = e->event;
	out[1] = (uint8_t)((e->end ? 0x80 : 0) | e->volume);
	put_be16(out + 2, e->duration);
	return RFC2833_PAYLOAD_LEN;
}

static const char dtmf_digits[RFC2833_DTMF_EVENTS] = "0123456789*#ABCD";

char rfc2833_event_to_digit(uint8_t event)
{
	return event < RFC2833_DTMF_EVENTS ? dtmf_digits[event] : '\0';
}

int rfc2833_digit_to_event(char digit)
{
	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	for (int i = 0; i < RFC2833_DTMF_EVENTS; i++)
		if (dtmf_digits[i] == digit)
			return i;
	return RTP_ERR_INVALID;
}

void rfc2833_decoder_init(struct rfc2833_decoder *d)
{
	*d = (struct rfc2833_decoder){0};
}

static uint32_t rfc2833_total_duration(const struct rfc2833_decoder *d)
{
	return d->duration_before_segment + d->segment_duration;
}

/* Report the tracked event once. Returns 1 when a digit was written. */
static int rfc2833_report(struct rfc2833_decoder *d, bool end_seen, struct rfc2833_digit *out)
{
	if (!d->active || d->reported)
		return 0;
	d->reported = true;
	char digit = rfc2833_event_to_digit(d->event);
	if (!digit)
		return 0;
	*out = (struct rfc2833_digit){
	    .digit = digit,
	    .event = d->event,
	    .timestamp = d->timestamp,
	    .duration = rfc2833_total_duration(d),
	    .volume = d->volume,
	    .end_seen = end_seen,
	};
	return 1;
}

int rfc2833_decoder_feed(struct rfc2833_decoder *d, uint32_t rtp_timestamp, const uint8_t *payload,
                         size_t len, struct rfc2833_digit out[2])
{
	struct rfc2833_event e;
	int err = rfc2833_parse(payload, len, &e);
	if (err)
		return err;
	if (e.event >= RFC2833_DTMF_EVENTS)
		d->ignored++;

	int n = 0;
	if (d->active && rtp_timestamp == d->segment_timestamp) {
		/* Same timestamp, same event: an update, an end, or a retransmitted end. */
		if (d->reported)
			return 0;
		if (e.duration > d->segment_duration)
			d->segment_duration = e.duration;
		d->volume = e.volume;
		return e.end ? rfc2833_report(d, true, &out[0]) : 0;
	}
	/* An older timestamp is a straggler: from an earlier segment of this event, or from an
	 * earlier event within the window, already dealt with. One older than the event's start by
	 * more than the window means the sender restarted its timestamps: treat it as a new event,
	 * or the decoder would stay deaf until the new timestamps caught up. */
	int32_t behind_segment = rtp_ts_diff(d->segment_timestamp, rtp_timestamp);
	int32_t before_start = rtp_ts_diff(d->timestamp, rtp_timestamp);
	if (d->active && behind_segment > 0 && before_start <= RFC2833_STRAGGLER_WINDOW)
		return 0;

	/* A long event goes on in a new segment whose timestamp is where the previous segment's
	 * 0xFFFF-unit duration ended (RFC 4733 §2.5.2.3): the same digit, not a new one. */
	if (d->active && !d->reported && e.event == d->event &&
	    rtp_timestamp == d->segment_timestamp + UINT16_MAX) {
		d->duration_before_segment += UINT16_MAX;
		d->segment_timestamp = rtp_timestamp;
		d->segment_duration = e.duration;
		d->volume = e.volume;
		return e.end ? rfc2833_report(d, true, &out[0]) : 0;
	}

	/* A new event. The previous one, if its end packets were all lost, ends here. */
	n += rfc2833_report(d, false, &out[n]);
	d->active = true;
	d->reported = false;
	d->event = e.event;
	d->volume = e.volume;
	d->timestamp = rtp_timestamp;
	d->segment_timestamp = rtp_timestamp;
	d->duration_before_segment = 0;
	d->segment_duration = e.duration;
	if (e.end)
		n += rfc2833_report(d, true, &out[n]);
	return n;
}

int rfc2833_decoder_poll(struct rfc2833_decoder *d, uint32_t now_ts, uint32_t timeout,
                         struct rfc2833_digit *out)
{
	if (!d->active || d->reported)
		return 0;
	uint32_t last_heard = d->segment_timestamp + d->segment_duration;
	int32_t silent_for = rtp_ts_diff(now_ts, last_heard);
	if (silent_for <= 0 || (uint32_t)silent_for <= timeout)
		return 0;
	return rfc2833_report(d, false, out);
}

int rfc2833_decoder_flush(struct rfc2833_decoder *d, struct rfc2833_digit *out)
{
	return rfc2833_report(d, false, out);
}
