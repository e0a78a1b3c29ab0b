/* Layouts of the registration and management messages (protocol.md §2, §8). */
#include "sccp_codec_internal.h"

/* A trailing field that old servers leave out and the struct has no flag for: always written on
 * encode; read on decode only when the body still holds it (else it stays zero). */
static bool cur_has(struct sccp_cur *c, size_t n)
{
	return cur_ok(c) && (c->enc || cur_left(c) >= n);
}

/* A count that bounds a fixed array: larger values cannot be carried either way. */
static uint32_t walk_count(struct sccp_cur *c, uint32_t *count, uint32_t max)
{
	cur_u32(c, count);
	if (!cur_ok(c))
		return 0;
	if (*count > max) {
		c->err = SCCP_ERR_INVALID;
		return 0;
	}
	return *count;
}

void sccp_walk_register(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_register *r = &m->u.reg;
	cur_str(c, r->device_name, SCCP_DEVICE_NAME_LEN);
	cur_u32(c, &r->user_id);
	cur_u32(c, &r->instance);
	cur_bytes(c, r->station_ip, 4);
	cur_u32(c, &r->device_type);
	cur_u32(c, &r->max_streams);
	/* The 7960 and 6961 send a 68-byte body whose tail after offset 48 is packed differently:
	 * the groups below are taken only when whole, and a shorter tail is left unparsed. */
	if (!cur_opt(c, &r->has_ext, 12))
		return;
	cur_u32(c, &r->active_streams);
	cur_u8(c, &r->protocol_ver);
	cur_u8(c, &r->unknown);
	cur_u16(c, &r->phone_features);
	cur_u32(c, &r->max_conferences);
	if (!cur_opt(c, &r->has_full, 76))
		return;
	cur_u32(c, &r->active_conferences);
	cur_bytes(c, r->mac, sizeof(r->mac));
	cur_u32(c, &r->ipv4_scope);
	cur_u32(c, &r->max_lines);
	cur_bytes(c, r->ipv6_addr, sizeof(r->ipv6_addr));
	cur_u32(c, &r->ipv6_scope);
	cur_str(c, r->firmware, 32);
	if (!cur_opt(c, &r->has_config_stamp, 48))
		return;
	cur_str(c, r->config_stamp, 48);
}

void sccp_walk_register_ack(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_register_ack *a = &m->u.register_ack;
	cur_u32(c, &a->keepalive);
	cur_str(c, a->date_template, 6);
	cur_skip(c, 2);
	cur_u32(c, &a->secondary_keepalive);
	/* Servers before protocol versioning end the body here: maxProtocolVer reads as 0 (basic). */
	if (!cur_has(c, 4))
		return;
	cur_u8(c, &a->max_protocol_ver);
	cur_u8(c, &a->unknown);
	cur_u16(c, &a->features);
}

void sccp_walk_register_reject(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_str(c, m->u.register_reject.text, 32);
}

void sccp_walk_capabilities_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_capabilities_res *r = &m->u.capabilities;
	uint32_t n = walk_count(c, &r->count, SCCP_MAX_CAPS);
	for (uint32_t i = 0; i < n && cur_ok(c); i++) {
		cur_u32(c, &r->caps[i].payload);
		cur_u32(c, &r->caps[i].max_frames_per_packet);
		cur_bytes(c, r->caps[i].params, sizeof(r->caps[i].params));
	}
}

/* CallManager sends the button array as 42 fixed slots (Wireshark reads 42; chan-sccp allows 56).
 * Decode reads the `count` entries in use; encode fills the slots up to 42 like CallManager does. */
#define BUTTON_WIRE_SLOTS 42u

void sccp_walk_button_template_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_button_template_res *b = &m->u.button_template;
	cur_u32(c, &b->offset);
	uint32_t n = walk_count(c, &b->count, SCCP_MAX_BUTTONS);
	cur_u32(c, &b->total);
	for (uint32_t i = 0; i < n && cur_ok(c); i++) {
		cur_u8(c, &b->buttons[i].instance);
		cur_u8(c, &b->buttons[i].definition);
	}
	if (c->enc && n < BUTTON_WIRE_SLOTS)
		cur_skip(c, 2 * (BUTTON_WIRE_SLOTS - n));
}

/* The soft-key template and set arrays have a fixed size on the wire; entries past `count` are
 * padding: zeros on encode, not read on decode (CallManager leaves stack garbage in them). */
void sccp_walk_softkey_template_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_softkey_template_res *t = &m->u.softkey_template;
	cur_u32(c, &t->offset);
	uint32_t n = walk_count(c, &t->count, SCCP_SOFTKEY_TEMPLATE_ENTRIES);
	cur_u32(c, &t->total);
	for (uint32_t i = 0; i < n && cur_ok(c); i++) {
		cur_str(c, t->keys[i].label, 16);
		cur_u32(c, &t->keys[i].event);
	}
	if (c->enc)
		cur_skip(c, 20 * (SCCP_SOFTKEY_TEMPLATE_ENTRIES - n));
}

void sccp_walk_softkey_set_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_softkey_set_res *s = &m->u.softkey_set;
	cur_u32(c, &s->offset);
	uint32_t n = walk_count(c, &s->count, SCCP_SOFTKEY_SETS);
	cur_u32(c, &s->total);
	for (uint32_t i = 0; i < n && cur_ok(c); i++) {
		cur_bytes(c, s->sets[i].template_index, sizeof(s->sets[i].template_index));
		for (size_t k = 0; k < 16; k++)
			cur_u16(c, &s->sets[i].info_index[k]);
	}
	if (c->enc)
		cur_skip(c, 48 * (SCCP_SOFTKEY_SETS - n));
}

void sccp_walk_select_softkeys(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_select_softkeys *s = &m->u.select_softkeys;
	cur_u32(c, &s->line_instance);
	cur_u32(c, &s->call_reference);
	cur_u32(c, &s->softkey_set_index);
	cur_u32(c, &s->valid_key_mask);
}

void sccp_walk_line_stat_req(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.line_stat_req.value);
}

void sccp_walk_line_stat_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_line_stat_res *l = &m->u.line_stat;
	cur_u32(c, &l->line_number);
	cur_str(c, l->dir_number, SCCP_DN_LEN);
	cur_str(c, l->fq_display_name, SCCP_NAME_LEN);
	/* CallManager 3.1 ends the body after the display name (68 bytes), 3.3 after the text
	 * label (108 bytes); only the 112-byte form carries the display options. */
	if (!cur_has(c, SCCP_NAME_LEN))
		return;
	cur_str(c, l->text_label, SCCP_NAME_LEN);
	if (cur_opt(c, &l->has_display_options, 4))
		cur_u32(c, &l->display_options);
}

void sccp_walk_config_stat_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_config_stat_res *s = &m->u.config_stat;
	cur_str(c, s->device_name, SCCP_DEVICE_NAME_LEN);
	cur_u32(c, &s->reserved);
	cur_u32(c, &s->instance);
	cur_str(c, s->user_name, SCCP_NAME_LEN);
	cur_str(c, s->server_name, SCCP_NAME_LEN);
	cur_u32(c, &s->number_lines);
	cur_u32(c, &s->number_speed_dials);
}

void sccp_walk_define_time_date(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_define_time_date *t = &m->u.time_date;
	cur_u32(c, &t->year);
	cur_u32(c, &t->month);
	cur_u32(c, &t->day_of_week);
	cur_u32(c, &t->day);
	cur_u32(c, &t->hour);
	cur_u32(c, &t->minute);
	cur_u32(c, &t->second);
	cur_u32(c, &t->milliseconds);
	cur_u32(c, &t->system_time);
}

void sccp_walk_forward_stat_req(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.forward_stat_req.value);
}

void sccp_walk_version(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_str(c, m->u.version.text, 16);
}

void sccp_walk_register_available_lines(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.register_available_lines.value);
}

void sccp_walk_unregister(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_unregister *u = &m->u.unregister;
	if (cur_opt(c, &u->has_reason, 4))
		cur_u32(c, &u->reason);
}

void sccp_walk_unregister_ack(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.unregister_ack.value);
}

void sccp_walk_reset(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.reset.value);
}

void sccp_walk_register_token_req(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_register_token_req *t = &m->u.register_token_req;
	cur_str(c, t->device_name, SCCP_DEVICE_NAME_LEN);
	cur_u32(c, &t->reserved);
	cur_u32(c, &t->instance);
	cur_bytes(c, t->station_ip, 4);
	cur_u32(c, &t->device_type);
	/* Wireshark and chan-sccp know only the long form (address area + u32): always send it;
	 * accept the short form on decode (the rest reads as zero). */
	if (!c->enc && cur_left(c) < 16)
		return;
	cur_bytes(c, t->ipv6_addr, sizeof(t->ipv6_addr));
	if (cur_has(c, 4))
		cur_u32(c, &t->unknown);
}

void sccp_walk_register_token_reject(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.register_token_reject.value);
}
