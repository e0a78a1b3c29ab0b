/* Layouts of the call-control, prompt, lamp and tone messages (protocol.md §3). */
#include "sccp_codec_internal.h"

/* A trailing field that older peers leave out and the struct has no flag for: always written on
 * encode; read on decode only when the body still holds it (else it stays zero). */
static bool cur_has(struct sccp_cur *c, size_t n)
{
	return cur_ok(c) && (c->enc || cur_left(c) >= n);
}

void sccp_walk_call_state(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_call_state *s = &m->u.call_state;
	cur_u32(c, &s->call_state);
	cur_u32(c, &s->line_instance);
	cur_u32(c, &s->call_reference);
	if (!cur_opt(c, &s->has_privacy, 12))
		return;
	cur_u32(c, &s->privacy);
	cur_u32(c, &s->precedence_level);
	cur_u32(c, &s->precedence_domain);
}

/* The fixed CallInfo: 40-byte names and 24-byte numbers at every hv (Wireshark does not switch
 * this message to the V18 number size). */
void sccp_walk_call_info(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_call_info *i = &m->u.call_info;
	cur_str(c, i->calling_party_name, SCCP_NAME_LEN);
	cur_str(c, i->calling_party, SCCP_DN_LEN);
	cur_str(c, i->called_party_name, SCCP_NAME_LEN);
	cur_str(c, i->called_party, SCCP_DN_LEN);
	cur_u32(c, &i->line_instance);
	cur_u32(c, &i->call_reference);
	cur_u32(c, &i->call_type);
	cur_str(c, i->original_called_party_name, SCCP_NAME_LEN);
	cur_str(c, i->original_called_party, SCCP_DN_LEN);
	cur_str(c, i->last_redirecting_party_name, SCCP_NAME_LEN);
	cur_str(c, i->last_redirecting_party, SCCP_DN_LEN);
	cur_u32(c, &i->original_cdpn_redirect_reason);
	cur_u32(c, &i->last_redirecting_reason);
	cur_str(c, i->cgpn_voice_mailbox, SCCP_DN_LEN);
	cur_str(c, i->cdpn_voice_mailbox, SCCP_DN_LEN);
	cur_str(c, i->original_cdpn_voice_mailbox, SCCP_DN_LEN);
	cur_str(c, i->last_redirecting_voice_mailbox, SCCP_DN_LEN);
	/* callInstance, callSecurityStatus and the PI bits were added at the end in later releases;
	 * a body that stops before them still routes the call correctly. */
	if (cur_has(c, 4))
		cur_u32(c, &i->call_instance);
	if (cur_has(c, 4))
		cur_u32(c, &i->call_security_status);
	if (cur_has(c, 4))
		cur_u32(c, &i->party_pi_restriction_bits);
}

/* CallInfoV2: eight u32, then packed NUL-terminated strings in Wireshark's order. */
void sccp_walk_call_info_v2(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_call_info *i = &m->u.call_info;
	cur_u32(c, &i->line_instance);
	cur_u32(c, &i->call_reference);
	cur_u32(c, &i->call_type);
	cur_u32(c, &i->original_cdpn_redirect_reason);
	cur_u32(c, &i->last_redirecting_reason);
	cur_u32(c, &i->call_instance);
	cur_u32(c, &i->call_security_status);
	cur_u32(c, &i->party_pi_restriction_bits);
	cur_vstr(c, i->calling_party, SCCP_DN_MAX);
	cur_vstr(c, i->alternate_calling_party, SCCP_DN_MAX);
	cur_vstr(c, i->called_party, SCCP_DN_MAX);
	cur_vstr(c, i->original_called_party, SCCP_DN_MAX);
	cur_vstr(c, i->last_redirecting_party, SCCP_DN_MAX);
	cur_vstr(c, i->cgpn_voice_mailbox, SCCP_DN_MAX);
	cur_vstr(c, i->cdpn_voice_mailbox, SCCP_DN_MAX);
	cur_vstr(c, i->original_cdpn_voice_mailbox, SCCP_DN_MAX);
	cur_vstr(c, i->last_redirecting_voice_mailbox, SCCP_DN_MAX);
	cur_vstr(c, i->calling_party_name, SCCP_V2_NAME_MAX);
	cur_vstr(c, i->called_party_name, SCCP_V2_NAME_MAX);
	cur_vstr(c, i->original_called_party_name, SCCP_V2_NAME_MAX);
	cur_vstr(c, i->last_redirecting_party_name, SCCP_V2_NAME_MAX);
	if (c->hv < SCCP_HV_V17)
		return;
	/* The hunt-pilot strings are read only when bytes remain: a sender that stops after the
	 * names (or only pads to 4) is not malformed. */
	if (cur_has(c, 1))
		cur_vstr(c, i->hunt_pilot_number, SCCP_DN_MAX);
	if (cur_has(c, 1))
		cur_vstr(c, i->hunt_pilot_name, SCCP_V2_NAME_MAX);
}

void sccp_walk_display_prompt_status(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_display_prompt_status *d = &m->u.display_prompt;
	cur_u32(c, &d->timeout);
	cur_str(c, d->text, 32);
	cur_u32(c, &d->line_instance);
	cur_u32(c, &d->call_reference);
}

/* The V2 form moves the prompt to the end as a packed string (Wireshark
 * handle_DisplayPromptStatusV2Message); the decoded form keeps the 32-character limit. */
void sccp_walk_display_prompt_status_v2(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_display_prompt_status *d = &m->u.display_prompt;
	cur_u32(c, &d->timeout);
	cur_u32(c, &d->line_instance);
	cur_u32(c, &d->call_reference);
	cur_vstr(c, d->text, sizeof(d->text) - 1);
}

void sccp_walk_clear_prompt_status(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_line_call_ref *p = &m->u.clear_prompt;
	cur_u32(c, &p->line_instance);
	cur_u32(c, &p->call_reference);
}

void sccp_walk_display_pri_notify(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_display_pri_notify *d = &m->u.display_pri_notify;
	cur_u32(c, &d->timeout);
	cur_u32(c, &d->priority);
	cur_str(c, d->text, 32);
}

/* Wire order per Wireshark and chan-sccp: index, id, label[40], status. */
void sccp_walk_feature_stat_res(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_feature_stat_res *f = &m->u.feature_stat;
	cur_u32(c, &f->instance);
	cur_u32(c, &f->type);
	cur_str(c, f->text_label, SCCP_NAME_LEN);
	cur_u32(c, &f->status);
}

void sccp_walk_set_ringer(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_set_ringer *r = &m->u.set_ringer;
	cur_u32(c, &r->ring_mode);
	cur_u32(c, &r->ring_duration);
	cur_u32(c, &r->line_instance);
	cur_u32(c, &r->call_reference);
}

void sccp_walk_set_lamp(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_set_lamp *l = &m->u.set_lamp;
	cur_u32(c, &l->stimulus);
	cur_u32(c, &l->stimulus_instance);
	cur_u32(c, &l->lamp_mode);
}

void sccp_walk_set_speaker_mode(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.set_speaker_mode.value);
}

void sccp_walk_activate_call_plane(struct sccp_cur *c, struct sccp_msg *m)
{
	cur_u32(c, &m->u.activate_call_plane.value);
}

/* Wireshark and chan-sccp define no body for DeactivateCallPlane. A line instance is read when one
 * is present, and written only when non-zero so the usual message stays empty. */
void sccp_walk_deactivate_call_plane(struct sccp_cur *c, struct sccp_msg *m)
{
	uint32_t *line = &m->u.deactivate_call_plane.value;
	if (c->enc ? *line != 0 : cur_left(c) >= 4)
		cur_u32(c, line);
}

void sccp_walk_dialed_number(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_dialed_number *d = &m->u.dialed_number;
	cur_str(c, d->number, sccp_dn_len(c->hv));
	cur_u32(c, &d->line_instance);
	cur_u32(c, &d->call_reference);
}

void sccp_walk_start_tone(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_start_tone *t = &m->u.start_tone;
	cur_u32(c, &t->tone);
	cur_u32(c, &t->direction);
	cur_u32(c, &t->line_instance);
	cur_u32(c, &t->call_reference);
}

void sccp_walk_stop_tone(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_stop_tone *t = &m->u.stop_tone;
	cur_u32(c, &t->line_instance);
	cur_u32(c, &t->call_reference);
	if (c->hv >= SCCP_HV_V11 && cur_opt(c, &t->has_tone, 4))
		cur_u32(c, &t->tone);
}

/* OffHook and OnHook: an empty body from old phones, line + callRef from newer ones. */
void sccp_walk_offhook(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_line_call_ref *o = &m->u.offhook;
	if (!cur_opt(c, &o->present, 8))
		return;
	cur_u32(c, &o->line_instance);
	cur_u32(c, &o->call_reference);
}

void sccp_walk_offhook_with_cgpn(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_offhook_with_cgpn *o = &m->u.offhook_cgpn;
	size_t dn = sccp_dn_len(c->hv);
	cur_str(c, o->calling_party, dn);
	cur_str(c, o->cgpn_voice_mailbox, dn);
	cur_u32(c, &o->line_instance);
}

void sccp_walk_enbloc_call(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_enbloc_call *e = &m->u.enbloc;
	cur_str(c, e->called_party, sccp_dn_len(c->hv));
	if (cur_opt(c, &e->has_line_instance, 4))
		cur_u32(c, &e->line_instance);
}

void sccp_walk_keypad_button(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_keypad_button *k = &m->u.keypad;
	cur_u32(c, &k->button);
	if (!cur_opt(c, &k->has_call, 8))
		return;
	cur_u32(c, &k->line_instance);
	cur_u32(c, &k->call_reference);
}

/* Older phones send only stimulus + instance; callReference and status came later. */
void sccp_walk_stimulus(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_stimulus *s = &m->u.stimulus;
	cur_u32(c, &s->stimulus);
	cur_u32(c, &s->line_instance);
	if (cur_has(c, 4))
		cur_u32(c, &s->call_reference);
	if (cur_has(c, 4))
		cur_u32(c, &s->status);
}

void sccp_walk_softkey_event(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_softkey_event *e = &m->u.softkey_event;
	cur_u32(c, &e->event);
	cur_u32(c, &e->line_instance);
	cur_u32(c, &e->call_reference);
}

void sccp_walk_dtmf_tone(struct sccp_cur *c, struct sccp_msg *m)
{
	struct sccp_dtmf_tone *d = &m->u.dtmf_tone;
	cur_u32(c, &d->tone);
	cur_u32(c, &d->conference_id);
	cur_u32(c, &d->pass_through_party_id);
}
