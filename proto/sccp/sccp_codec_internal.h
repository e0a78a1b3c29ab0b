/* Internal to proto/sccp: the message table and the per-message layout walks. */
#ifndef VMPORT_SCCP_CODEC_INTERNAL_H
#define VMPORT_SCCP_CODEC_INTERNAL_H

#include "sccp_cursor.h"
#include "sccp_msg.h"

typedef void (*sccp_walk_fn)(struct sccp_cur *c, struct sccp_msg *m);

enum sccp_dir { SCCP_DIR_TO_CM, SCCP_DIR_TO_DEVICE };

struct sccp_msg_def {
	uint32_t id;
	const char *name; /* Wireshark's name for the id (tshark -G values, skinny.messageId) */
	enum sccp_dir dir;
	sccp_walk_fn walk; /* NULL: empty body */
};

const struct sccp_msg_def *sccp_msg_def_find(uint32_t id);
/* The whole table, for tests and tools (README catalogue, fuzz seeds). */
const struct sccp_msg_def *sccp_msg_defs(size_t *count);

/* Shared field groups. */
void sccp_walk_ip(struct sccp_cur *c, struct sccp_ip *ip);
void sccp_walk_key_info(struct sccp_cur *c, struct sccp_key_info *k);
size_t sccp_dn_len(uint32_t hv);

/* Registration and management (sccp_walk_register.c) */
void sccp_walk_register(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_register_ack(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_register_reject(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_capabilities_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_button_template_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_softkey_template_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_softkey_set_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_select_softkeys(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_line_stat_req(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_line_stat_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_config_stat_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_define_time_date(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_forward_stat_req(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_version(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_register_available_lines(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_unregister(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_unregister_ack(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_reset(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_register_token_req(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_register_token_reject(struct sccp_cur *c, struct sccp_msg *m);

/* Call control, prompts, lamps, tones (sccp_walk_call.c) */
void sccp_walk_call_state(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_call_info(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_call_info_v2(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_display_prompt_status(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_display_prompt_status_v2(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_clear_prompt_status(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_display_pri_notify(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_feature_stat_res(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_set_ringer(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_set_lamp(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_set_speaker_mode(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_activate_call_plane(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_deactivate_call_plane(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_dialed_number(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_start_tone(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_stop_tone(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_offhook(struct sccp_cur *c, struct sccp_msg *m); /* OffHook and OnHook */
void sccp_walk_offhook_with_cgpn(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_enbloc_call(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_keypad_button(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_stimulus(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_softkey_event(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_dtmf_tone(struct sccp_cur *c, struct sccp_msg *m);

/* Media channels (sccp_walk_media.c) */
void sccp_walk_open_receive_channel(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_open_receive_channel_ack(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_start_media_transmission(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_start_media_transmission_ack(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_media_transmission_failure(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_stop_media(struct sccp_cur *c, struct sccp_msg *m); /* Stop/Close */
void sccp_walk_connection_statistics_req(struct sccp_cur *c, struct sccp_msg *m);
void sccp_walk_connection_statistics_res(struct sccp_cur *c, struct sccp_msg *m);

#endif
