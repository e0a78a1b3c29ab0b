/* The SCCP message table: id, Wireshark name, direction, layout walk. Sorted by id. */
#include "sccp_codec_internal.h"

static const struct sccp_msg_def defs[] = {
    {SCCP_KEEPALIVE, "KeepAliveReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_REGISTER, "RegisterReq", SCCP_DIR_TO_CM, sccp_walk_register},
    {SCCP_KEYPAD_BUTTON, "KeypadButton", SCCP_DIR_TO_CM, sccp_walk_keypad_button},
    {SCCP_ENBLOC_CALL, "EnblocCall", SCCP_DIR_TO_CM, sccp_walk_enbloc_call},
    {SCCP_STIMULUS, "Stimulus", SCCP_DIR_TO_CM, sccp_walk_stimulus},
    {SCCP_OFFHOOK, "OffHook", SCCP_DIR_TO_CM, sccp_walk_offhook},
    {SCCP_ONHOOK, "OnHook", SCCP_DIR_TO_CM, sccp_walk_offhook},
    {SCCP_FORWARD_STAT_REQ, "ForwardStatReq", SCCP_DIR_TO_CM, sccp_walk_forward_stat_req},
    {SCCP_LINE_STAT_REQ, "LineStatReq", SCCP_DIR_TO_CM, sccp_walk_line_stat_req},
    {SCCP_CONFIG_STAT_REQ, "ConfigStatReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_TIME_DATE_REQ, "TimeDateReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_BUTTON_TEMPLATE_REQ, "ButtonTemplateReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_VERSION_REQ, "VersionReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_CAPABILITIES_RES, "CapabilitiesRes", SCCP_DIR_TO_CM, sccp_walk_capabilities_res},
    {SCCP_OPEN_RECEIVE_CHANNEL_ACK, "OpenReceiveChannelAck", SCCP_DIR_TO_CM,
     sccp_walk_open_receive_channel_ack},
    {SCCP_CONNECTION_STATISTICS_RES, "ConnectionStatisticsRes", SCCP_DIR_TO_CM,
     sccp_walk_connection_statistics_res},
    {SCCP_OFFHOOK_WITH_CGPN, "OffHookWithCallingPartyNumber", SCCP_DIR_TO_CM, sccp_walk_offhook_with_cgpn},
    {SCCP_SOFTKEY_SET_REQ, "SoftKeySetReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_SOFTKEY_EVENT, "SoftKeyEvent", SCCP_DIR_TO_CM, sccp_walk_softkey_event},
    {SCCP_UNREGISTER, "UnregisterReq", SCCP_DIR_TO_CM, sccp_walk_unregister},
    {SCCP_SOFTKEY_TEMPLATE_REQ, "SoftKeyTemplateReq", SCCP_DIR_TO_CM, NULL},
    {SCCP_REGISTER_TOKEN_REQ, "RegisterTokenReq", SCCP_DIR_TO_CM, sccp_walk_register_token_req},
    {SCCP_MEDIA_TRANSMISSION_FAILURE, "MediaTransmissionFailure", SCCP_DIR_TO_CM,
     sccp_walk_media_transmission_failure},
    {SCCP_REGISTER_AVAILABLE_LINES, "RegisterAvailableLines", SCCP_DIR_TO_CM,
     sccp_walk_register_available_lines},
    {SCCP_REGISTER_ACK, "RegisterAck", SCCP_DIR_TO_DEVICE, sccp_walk_register_ack},
    {SCCP_START_TONE, "StartTone", SCCP_DIR_TO_DEVICE, sccp_walk_start_tone},
    {SCCP_STOP_TONE, "StopTone", SCCP_DIR_TO_DEVICE, sccp_walk_stop_tone},
    {SCCP_SET_RINGER, "SetRinger", SCCP_DIR_TO_DEVICE, sccp_walk_set_ringer},
    {SCCP_SET_LAMP, "SetLamp", SCCP_DIR_TO_DEVICE, sccp_walk_set_lamp},
    {SCCP_SET_SPEAKER_MODE, "SetSpeakerMode", SCCP_DIR_TO_DEVICE, sccp_walk_set_speaker_mode},
    {SCCP_START_MEDIA_TRANSMISSION, "StartMediaTransmission", SCCP_DIR_TO_DEVICE,
     sccp_walk_start_media_transmission},
    {SCCP_STOP_MEDIA_TRANSMISSION, "StopMediaTransmission", SCCP_DIR_TO_DEVICE, sccp_walk_stop_media},
    {SCCP_CALL_INFO, "CallInfo", SCCP_DIR_TO_DEVICE, sccp_walk_call_info},
    {SCCP_LINE_STAT_RES, "LineStatRes", SCCP_DIR_TO_DEVICE, sccp_walk_line_stat_res},
    {SCCP_CONFIG_STAT_RES, "ConfigStatRes", SCCP_DIR_TO_DEVICE, sccp_walk_config_stat_res},
    {SCCP_DEFINE_TIME_DATE, "TimeDateRes", SCCP_DIR_TO_DEVICE, sccp_walk_define_time_date},
    {SCCP_BUTTON_TEMPLATE_RES, "ButtonTemplateRes", SCCP_DIR_TO_DEVICE, sccp_walk_button_template_res},
    {SCCP_VERSION, "VersionRes", SCCP_DIR_TO_DEVICE, sccp_walk_version},
    {SCCP_CAPABILITIES_REQ, "CapabilitiesReq", SCCP_DIR_TO_DEVICE, NULL},
    {SCCP_REGISTER_REJECT, "RegisterReject", SCCP_DIR_TO_DEVICE, sccp_walk_register_reject},
    {SCCP_RESET, "Reset", SCCP_DIR_TO_DEVICE, sccp_walk_reset},
    {SCCP_KEEPALIVE_ACK, "KeepAliveAck", SCCP_DIR_TO_DEVICE, NULL},
    {SCCP_OPEN_RECEIVE_CHANNEL, "OpenReceiveChannel", SCCP_DIR_TO_DEVICE, sccp_walk_open_receive_channel},
    {SCCP_CLOSE_RECEIVE_CHANNEL, "CloseReceiveChannel", SCCP_DIR_TO_DEVICE, sccp_walk_stop_media},
    {SCCP_CONNECTION_STATISTICS_REQ, "ConnectionStatisticsReq", SCCP_DIR_TO_DEVICE,
     sccp_walk_connection_statistics_req},
    {SCCP_SOFTKEY_TEMPLATE_RES, "SoftKeyTemplateRes", SCCP_DIR_TO_DEVICE, sccp_walk_softkey_template_res},
    {SCCP_SOFTKEY_SET_RES, "SoftKeySetRes", SCCP_DIR_TO_DEVICE, sccp_walk_softkey_set_res},
    {SCCP_SELECT_SOFTKEYS, "SelectSoftKeys", SCCP_DIR_TO_DEVICE, sccp_walk_select_softkeys},
    {SCCP_CALL_STATE, "CallState", SCCP_DIR_TO_DEVICE, sccp_walk_call_state},
    {SCCP_DISPLAY_PROMPT_STATUS, "DisplayPromptStatus", SCCP_DIR_TO_DEVICE, sccp_walk_display_prompt_status},
    {SCCP_CLEAR_PROMPT_STATUS, "ClearPromptStatus", SCCP_DIR_TO_DEVICE, sccp_walk_clear_prompt_status},
    {SCCP_ACTIVATE_CALL_PLANE, "ActivateCallPlane", SCCP_DIR_TO_DEVICE, sccp_walk_activate_call_plane},
    {SCCP_DEACTIVATE_CALL_PLANE, "DeactivateCallPlane", SCCP_DIR_TO_DEVICE, sccp_walk_deactivate_call_plane},
    {SCCP_UNREGISTER_ACK, "UnregisterAck", SCCP_DIR_TO_DEVICE, sccp_walk_unregister_ack},
    {SCCP_REGISTER_TOKEN_ACK, "RegisterTokenAck", SCCP_DIR_TO_DEVICE, NULL},
    {SCCP_REGISTER_TOKEN_REJECT, "RegisterTokenReject", SCCP_DIR_TO_DEVICE, sccp_walk_register_token_reject},
    {SCCP_DIALED_NUMBER, "DialedNumber", SCCP_DIR_TO_DEVICE, sccp_walk_dialed_number},
    {SCCP_FEATURE_STAT_RES, "FeatureStatRes", SCCP_DIR_TO_DEVICE, sccp_walk_feature_stat_res},
    {SCCP_DISPLAY_PRI_NOTIFY, "DisplayPriNotify", SCCP_DIR_TO_DEVICE, sccp_walk_display_pri_notify},
    {SCCP_NOTIFY_DTMF_TONE, "NotifyDtmfTone", SCCP_DIR_TO_DEVICE, sccp_walk_dtmf_tone},
    {SCCP_SEND_DTMF_TONE, "SendDtmfTone", SCCP_DIR_TO_DEVICE, sccp_walk_dtmf_tone},
    {SCCP_DISPLAY_PROMPT_STATUS_V2, "DisplayPromptStatusV2", SCCP_DIR_TO_DEVICE,
     sccp_walk_display_prompt_status_v2},
    {SCCP_CALL_INFO_V2, "CallInfoV2", SCCP_DIR_TO_DEVICE, sccp_walk_call_info_v2},
    {SCCP_START_MEDIA_TRANSMISSION_ACK, "StartMediaTransmissionAck", SCCP_DIR_TO_CM,
     sccp_walk_start_media_transmission_ack},
};

const struct sccp_msg_def *sccp_msg_defs(size_t *count)
{
	*count = sizeof(defs) / sizeof(defs[0]);
	return defs;
}

const struct sccp_msg_def *sccp_msg_def_find(uint32_t id)
{
	size_t lo = 0, hi = sizeof(defs) / sizeof(defs[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (defs[mid].id == id)
			return &defs[mid];
		if (defs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
