/* Layouts of the media-channel messages (protocol.md §4). */
#include "sccp_codec_internal.h"

size_t sccp_dn_len(uint32_t hv)
{
	return hv >= SCCP_HV_V18 ? 25 : 24;
}

void sccp_walk_ip(struct sccp_cur *c, struct sccp_ip *ip)
{
	if (c->hv >= SCCP_HV_V17) {
		cur_u32(c, &ip->type);
		cur_bytes(c, ip->addr, 16);
	} else {
		if (!c->enc)
			ip->type = 0;
		cur_bytes(c, ip->addr, 4);
	}
}

void sccp_walk_key_info(struct sccp_cur *c, struct sccp_key_info *k)
{
	cur_u32(c, &k->algorithm);
	cur_u16(c, &k->key_len);
	cur_u16(c, &k->salt_len);
	cur_bytes(c, k->key, 16);
	cur_bytes(c, k->salt, 16);
	cur_u32(c, &k->mki_present);
	cur_u32(c, &k->key_derivation_rate);
	if (c->err)
		return;
	if (k->key_len > 16 || k->salt_len > 16)
		c->err = SCCP_ERR_INVALID;
}

/* callReference + key block + stream ids + DTMF fields. CallManager 4.x sends short bodies
 * (68-byte OpenReceiveChannel, 84-byte StartMediaTransmission) that carry the callReference and
 * 40 bytes of zeros instead: such a call has no encryption, and the rest is left unparsed. */
static bool walk_key_group(struct sccp_cur *c, bool *has_key, uint32_t *call_ref, struct sccp_key_info *k,
                           size_t trailer)
{
	if (!cur_opt(c, has_key, 4 + 48 + trailer)) {
		bool has_ref = c->enc || cur_left(c) >= 4;
		if (has_ref)
			cur_u32(c, call_ref);
		return false;
	}
	cur_u32(c, call_ref);
	sccp_walk_key_info(c, k);
	return true;
}

void sccp_walk_open_receive_channel(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_open_receive_channel *o = &m->u.orc;
	cur_u32(c, &o->conference_id);
	cur_u32(c, &o->pass_through_party_id);
	cur_u32(c, &o->packet_ms);
	cur_u32(c, &o->compression_type);
	cur_u32(c, &o->ec_value);
	cur_u32(c, &o->codec_params);
	if (!walk_key_group(c, &o->has_key, &o->call_reference, &o->rx_key, 16))
		return;
	cur_u32(c, &o->stream_pass_through_id);
	cur_u32(c, &o->associated_stream_id);
	cur_u32(c, &o->rfc2833_payload_type);
	cur_u32(c, &o->dtmf_type);
	if (c->hv < SCCP_HV_V11)
		return;
	size_t src = 8 + (c->hv >= SCCP_HV_V17 ? 20 : 4) + 4;
	if (cur_opt(c, &o->has_source, src)) {
		cur_u32(c, &o->mixing_mode);
		cur_u32(c, &o->party_direction);
		sccp_walk_ip(c, &o->source_ip);
		cur_u32(c, &o->source_port);
	}
	if (c->hv >= SCCP_HV_V16 && o->has_source && cur_opt(c, &o->has_requested_ip_type, 4))
		cur_u32(c, &o->requested_ip_type);
	if (c->hv >= SCCP_HV_V17 && o->has_requested_ip_type && cur_opt(c, &o->has_audio_level, 4))
		cur_i32(c, &o->audio_level_adjustment);
}

void sccp_walk_open_receive_channel_ack(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_open_receive_channel_ack *a = &m->u.orc_ack;
	cur_u32(c, &a->status);
	sccp_walk_ip(c, &a->ip);
	cur_u32(c, &a->port);
	cur_u32(c, &a->pass_through_party_id);
	if (cur_opt(c, &a->has_call_reference, 4))
		cur_u32(c, &a->call_reference);
}

void sccp_walk_start_media_transmission(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_start_media_transmission *s = &m->u.smt;
	cur_u32(c, &s->conference_id);
	cur_u32(c, &s->pass_through_party_id);
	sccp_walk_ip(c, &s->remote_ip);
	cur_u32(c, &s->remote_port);
	cur_u32(c, &s->packet_ms);
	cur_u32(c, &s->compression_type);
	cur_u32(c, &s->precedence);
	cur_u32(c, &s->silence_suppression);
	cur_u16(c, &s->max_frames_per_packet);
	cur_skip(c, 2);
	cur_u32(c, &s->codec_params);
	if (!walk_key_group(c, &s->has_key, &s->call_reference, &s->tx_key, 20))
		return;
	cur_u32(c, &s->stream_pass_through_id);
	cur_u32(c, &s->associated_stream_id);
	cur_u32(c, &s->rfc2833_payload_type);
	cur_u32(c, &s->dtmf_type);
	cur_u32(c, &s->mixing_mode);
	if (c->hv >= SCCP_HV_V15 && cur_opt(c, &s->has_party_direction, 4))
		cur_u32(c, &s->party_direction);
}

void sccp_walk_start_media_transmission_ack(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_start_media_transmission_ack *a = &m->u.smt_ack;
	cur_u32(c, &a->conference_id);
	cur_u32(c, &a->pass_through_party_id);
	cur_u32(c, &a->call_reference);
	sccp_walk_ip(c, &a->ip);
	cur_u32(c, &a->port);
	cur_u32(c, &a->status);
}

void sccp_walk_media_transmission_failure(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_media_transmission_failure *f = &m->u.mtf;
	cur_u32(c, &f->conference_id);
	cur_u32(c, &f->pass_through_party_id);
	sccp_walk_ip(c, &f->remote_ip);
	cur_u32(c, &f->remote_port);
	cur_u32(c, &f->call_reference);
}

void sccp_walk_stop_media(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_stop_media *s = &m->u.stop_media;
	cur_u32(c, &s->conference_id);
	cur_u32(c, &s->pass_through_party_id);
	if (cur_opt(c, &s->has_call_reference, 4))
		cur_u32(c, &s->call_reference);
	if (s->has_call_reference && cur_opt(c, &s->has_port_handling, 4))
		cur_u32(c, &s->port_handling_flag);
}

void sccp_walk_connection_statistics_req(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_connection_statistics_req *r = &m->u.stats_req;
	cur_str(c, r->dir_number, c->hv >= SCCP_HV_V18 ? 28 : 24);
	cur_u32(c, &r->call_reference);
	cur_u32(c, &r->processing_mode);
}

void sccp_walk_connection_statistics_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_connection_statistics_res *r = &m->u.stats_res;
	cur_str(c, r->dir_number, c->hv >= SCCP_HV_V18 ? 28 : 24);
	cur_u32(c, &r->call_reference);
	cur_u32(c, &r->processing_mode);
	cur_u32(c, &r->packets_sent);
	cur_u32(c, &r->octets_sent);
	cur_u32(c, &r->packets_received);
	cur_u32(c, &r->octets_received);
	cur_u32(c, &r->packets_lost);
	cur_u32(c, &r->jitter);
	cur_u32(c, &r->latency);
}
