/* Internal to the port state machine: helpers shared by sccp_port.c (registration, keepalive,
 * unregister), sccp_port_call.c (incoming calls, media, DTMF) and sccp_port_mwi.c (MWI dialling). */
#ifndef VMPORT_SCCP_PORT_INTERNAL_H
#define VMPORT_SCCP_PORT_INTERNAL_H

#include "sccp_port.h"

#define SCCP_NO_MSG_ID UINT32_MAX

/* OpenReceiveChannelAck / StartMediaTransmissionAck statuses used here (protocol.md §4.2). */
enum sccp_media_status {
	SCCP_MEDIA_OK = 0,
	SCCP_MEDIA_NOT_ENOUGH_CHANNELS = 2,
	SCCP_MEDIA_INVALID_CODEC = 6,
	SCCP_MEDIA_ENC_DEC_FAILED = 9,
};

/* Output slots. NULL (and stats.output_overflow counted) when the output is full; the sizes are
 * chosen so that never happens, and the tests and the fuzzer check the counter stays 0. */
struct sccp_msg *port_send(struct sccp_port *p, struct sccp_port_output *out, uint32_t id);
struct sccp_port_action *port_act(struct sccp_port *p, struct sccp_port_output *out,
                                  enum sccp_port_action_type type);
/* Something that makes no sense in the current state: counted, reported, otherwise ignored. */
void port_note(struct sccp_port *p, struct sccp_port_output *out, const char *what, uint32_t msg_id,
               uint32_t value);

void port_arm(struct sccp_port *p, enum sccp_port_timer t, uint64_t due_ms);
void port_disarm(struct sccp_port *p, enum sccp_port_timer t);

bool port_is_registered(const struct sccp_port *p); /* IDLE, RINGING, IN_CALL or MWI */
/* The line is free again: go IDLE and let a queued MWI request start at the next timer event. */
void port_became_idle(struct sccp_port *p, uint64_t now_ms);
/* OnHook(line, callRef), or an empty OnHook when the callRef is not known. */
void port_send_onhook(struct sccp_port *p, struct sccp_port_output *out, bool has_ref, uint32_t line,
                      uint32_t call_ref);
/* Copy a string that is known to fit (both sides are NUL-terminated arrays). */
void port_strcpy(char *dst, size_t cap, const char *src);

/* sccp_port_call.c */
void port_call_on_call_state(struct sccp_port *p, const struct sccp_call_state *cs, uint64_t now_ms,
                             struct sccp_port_output *out);
void port_call_on_call_info(struct sccp_port *p, const struct sccp_msg *m, uint64_t now_ms,
                            struct sccp_port_output *out);
void port_call_on_open_receive_channel(struct sccp_port *p, const struct sccp_open_receive_channel *orc,
                                       struct sccp_port_output *out);
void port_call_on_rx_opened(struct sccp_port *p, const struct sccp_port_event *ev,
                            struct sccp_port_output *out);
void port_call_on_start_media(struct sccp_port *p, const struct sccp_start_media_transmission *smt,
                              struct sccp_port_output *out);
void port_call_on_stop_media(struct sccp_port *p, const struct sccp_msg *m, struct sccp_port_output *out);
void port_call_on_keypad(struct sccp_port *p, const struct sccp_keypad_button *kb,
                         struct sccp_port_output *out);
void port_call_on_start_tone(struct sccp_port *p, const struct sccp_start_tone *st,
                             struct sccp_port_output *out);
void port_call_on_dtmf(struct sccp_port *p, char digit, struct sccp_port_output *out);
void port_call_on_hangup(struct sccp_port *p, uint32_t call_ref, uint64_t now_ms,
                         struct sccp_port_output *out);
void port_call_on_answer_timer(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out);
/* End the call (answered or still ringing) locally: close its media legs, CALL_ENDED if it was
 * answered. Leaves the state to the caller. */
void port_call_finish(struct sccp_port *p, struct sccp_port_output *out, enum sccp_port_call_end reason);

/* sccp_port_mwi.c */
void port_mwi_submit(struct sccp_port *p, const struct sccp_port_mwi_request *req, uint64_t now_ms,
                     struct sccp_port_output *out);
void port_mwi_on_call_state(struct sccp_port *p, const struct sccp_call_state *cs, uint64_t now_ms,
                            struct sccp_port_output *out);
void port_mwi_on_timer(struct sccp_port *p, uint64_t now_ms, struct sccp_port_output *out);
/* Signalling is going away mid-dial: hang up if asked, and put the request back at the head of
 * the queue so it runs after the next registration (MWI requests are idempotent). */
void port_mwi_abort(struct sccp_port *p, struct sccp_port_output *out, bool send_onhook);

#endif
