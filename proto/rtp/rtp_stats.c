/* Receiver statistics for one remote source, following RFC 3550 Appendix A.1 (sequence
 * validation), A.3 (expected and lost packets) and A.8 (interarrival jitter) closely enough that
 * the appendix reads as a commentary on this file. */
#include "rtcp.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u
#define MIN_SEQUENTIAL 2u

void rtp_source_init(struct rtp_source_stats *s, uint32_t ssrc)
{
	memset(s, 0, sizeof *s);
	s->ssrc = ssrc;
}

/* A.1 init_seq: (re)start counting at seq. */
static void rtp_source_restart(struct rtp_source_stats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so that seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

enum rtp_seq_verdict rtp_source_update_seq(struct rtp_source_stats *s, uint16_t seq)
{
	if (!s->started) {
		/* A new source is on probation until MIN_SEQUENTIAL packets arrive in order. */
		rtp_source_restart(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = MIN_SEQUENTIAL;
		s->started = true;
	}
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				rtp_source_restart(s, seq);
				s->received++;
				return RTP_SEQ_VALID;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return RTP_SEQ_PROBATION;
	}

	if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap; a smaller number means the 16 bits wrapped. */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A very large jump. Two sequential packets mean the sender restarted its
		 * numbering without telling us: resynchronise on them. */
		if (seq == s->bad_seq) {
			rtp_source_restart(s, seq);
			s->received++;
			return RTP_SEQ_RESTARTED;
		}
		s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
		return RTP_SEQ_JUMP;
	}
	/* Otherwise a duplicate or reordered packet: counted as received, max unchanged. */
	s->received++;
	return RTP_SEQ_VALID;
}

enum rtp_seq_verdict rtp_source_on_packet(struct rtp_source_stats *s, uint16_t seq, uint32_t rtp_timestamp,
                                          uint32_t arrival)
{
	enum rtp_seq_verdict v = rtp_source_update_seq(s, seq);
	if (v == RTP_SEQ_RESTARTED)
		s->jitter = (struct rtp_jitter){0}; /* a new timestamp base as well, most likely */
	if (v == RTP_SEQ_VALID || v == RTP_SEQ_RESTARTED)
		rtp_jitter_update(&s->jitter, rtp_timestamp, arrival);
	return v;
}

void rtp_source_on_sender_report(struct rtp_source_stats *s, const struct rtcp_sender_info *si,
                                 uint32_t arrival_q16)
{
	s->have_sr = true;
	s->last_sr_ntp_middle = rtcp_ntp_middle(si->ntp_sec, si->ntp_frac);
	s->last_sr_arrival_q16 = arrival_q16;
}

uint32_t rtp_source_extended_max(const struct rtp_source_stats *s)
{
	return s->cycles + s->max_seq;
}

int64_t rtp_source_expected(const struct rtp_source_stats *s)
{
	if (!s->started || s->probation)
		return 0;
	return (int64_t)rtp_source_extended_max(s) - s->base_seq + 1;
}

int64_t rtp_source_lost(const struct rtp_source_stats *s)
{
	return rtp_source_expected(s) - s->received;
}

void rtp_source_report_block(struct rtp_source_stats *s, uint32_t now_q16, struct rtcp_report_block *out)
{
	int64_t expected = rtp_source_expected(s);
	int64_t lost = expected - s->received;
	if (lost > RTCP_CUMULATIVE_LOST_MAX)
		lost = RTCP_CUMULATIVE_LOST_MAX;
	if (lost < RTCP_CUMULATIVE_LOST_MIN)
		lost = RTCP_CUMULATIVE_LOST_MIN;

	/* The interval counters wrap like the RFC's 32-bit ones; their differences stay right. */
	uint32_t expected_interval = (uint32_t)expected - s->expected_prior;
	s->expected_prior = (uint32_t)expected;
	uint32_t received_interval = s->received - s->received_prior;
	s->received_prior = s->received;
	int64_t lost_interval = (int64_t)expected_interval - received_interval;

	/* A.3's formula gives 256 when every packet of the interval was lost; the 8-bit field
	 * cannot carry that, so report the nearest value rather than let it wrap to 0. */
	int64_t fraction = 0;
	if (expected_interval != 0 && lost_interval > 0)
		fraction = (lost_interval << 8) / expected_interval;
	if (fraction > 255)
		fraction = 255;

	out->ssrc = s->ssrc;
	out->fraction_lost = (uint8_t)fraction;
	out->cumulative_lost = (int32_t)lost;
	out->highest_seq = rtp_source_extended_max(s);
	out->jitter = rtp_jitter_value(&s->jitter);
	out->lsr = s->have_sr ? s->last_sr_ntp_middle : 0;
	out->dlsr = s->have_sr ? now_q16 - s->last_sr_arrival_q16 : 0;
}
