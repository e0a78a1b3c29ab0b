/* SCCP (Skinny) messages: ids, decoded forms, and the codec entry points.
 *
 * Layouts follow ../shared/docs/protocol.md (§1–§5, §8). Integers on the wire are little-endian;
 * IPv4 addresses are raw network-order bytes. A decoded message is a plain struct: strings are
 * NUL-terminated copies of fixed-size wire fields (one byte longer than the field), addresses keep
 * their wire bytes. The header version (hv) selects layouts; the length gates optional tails. */
#ifndef VMPORT_SCCP_MSG_H
#define VMPORT_SCCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCCP_HEADER_LEN 12u
#define SCCP_MAX_PDU 4096u /* whole PDU, header included; protocol.md §1.3 */

/* Header versions (protocol.md §1.2). */
enum sccp_hv {
	SCCP_HV_BASIC = 0x00,
	SCCP_HV_V11 = 0x0B,
	SCCP_HV_V15 = 0x0F,
	SCCP_HV_V16 = 0x10,
	SCCP_HV_V17 = 0x11,
	SCCP_HV_V18 = 0x12,
};

enum sccp_msg_id {
	/* device → CallManager */
	SCCP_KEEPALIVE = 0x0000,
	SCCP_REGISTER = 0x0001,
	SCCP_KEYPAD_BUTTON = 0x0003,
	SCCP_ENBLOC_CALL = 0x0004,
	SCCP_STIMULUS = 0x0005,
	SCCP_OFFHOOK = 0x0006,
	SCCP_ONHOOK = 0x0007,
	SCCP_FORWARD_STAT_REQ = 0x0009,
	SCCP_LINE_STAT_REQ = 0x000B,
	SCCP_CONFIG_STAT_REQ = 0x000C,
	SCCP_TIME_DATE_REQ = 0x000D,
	SCCP_BUTTON_TEMPLATE_REQ = 0x000E,
	SCCP_VERSION_REQ = 0x000F,
	SCCP_CAPABILITIES_RES = 0x0010,
	SCCP_OPEN_RECEIVE_CHANNEL_ACK = 0x0022,
	SCCP_CONNECTION_STATISTICS_RES = 0x0023,
	SCCP_OFFHOOK_WITH_CGPN = 0x0024,
	SCCP_SOFTKEY_SET_REQ = 0x0025,
	SCCP_SOFTKEY_EVENT = 0x0026,
	SCCP_UNREGISTER = 0x0027,
	SCCP_SOFTKEY_TEMPLATE_REQ = 0x0028,
	SCCP_REGISTER_TOKEN_REQ = 0x0029,
	SCCP_MEDIA_TRANSMISSION_FAILURE = 0x002A,
	SCCP_REGISTER_AVAILABLE_LINES = 0x002D,
	/* CallManager → device */
	SCCP_REGISTER_ACK = 0x0081,
	SCCP_START_TONE = 0x0082,
	SCCP_STOP_TONE = 0x0083,
	SCCP_SET_RINGER = 0x0085,
	SCCP_SET_LAMP = 0x0086,
	SCCP_SET_SPEAKER_MODE = 0x0088,
	SCCP_START_MEDIA_TRANSMISSION = 0x008A,
	SCCP_STOP_MEDIA_TRANSMISSION = 0x008B,
	SCCP_CALL_INFO = 0x008F,
	SCCP_LINE_STAT_RES = 0x0092,
	SCCP_CONFIG_STAT_RES = 0x0093,
	SCCP_DEFINE_TIME_DATE = 0x0094,
	SCCP_BUTTON_TEMPLATE_RES = 0x0097,
	SCCP_VERSION = 0x0098,
	SCCP_CAPABILITIES_REQ = 0x009B,
	SCCP_REGISTER_REJECT = 0x009D,
	SCCP_RESET = 0x009F,
	SCCP_KEEPALIVE_ACK = 0x0100,
	SCCP_OPEN_RECEIVE_CHANNEL = 0x0105,
	SCCP_CLOSE_RECEIVE_CHANNEL = 0x0106,
	SCCP_CONNECTION_STATISTICS_REQ = 0x0107,
	SCCP_SOFTKEY_TEMPLATE_RES = 0x0108,
	SCCP_SOFTKEY_SET_RES = 0x0109,
	SCCP_SELECT_SOFTKEYS = 0x0110,
	SCCP_CALL_STATE = 0x0111,
	SCCP_DISPLAY_PROMPT_STATUS = 0x0112,
	SCCP_CLEAR_PROMPT_STATUS = 0x0113,
	SCCP_ACTIVATE_CALL_PLANE = 0x0116,
	SCCP_DEACTIVATE_CALL_PLANE = 0x0117,
	SCCP_UNREGISTER_ACK = 0x0118,
	SCCP_REGISTER_TOKEN_ACK = 0x011A,
	SCCP_REGISTER_TOKEN_REJECT = 0x011B,
	SCCP_DIALED_NUMBER = 0x011D,
	SCCP_FEATURE_STAT_RES = 0x011F,
	SCCP_DISPLAY_PRI_NOTIFY = 0x0120,
	SCCP_NOTIFY_DTMF_TONE = 0x0127,
	SCCP_SEND_DTMF_TONE = 0x0128,
	SCCP_DISPLAY_PROMPT_STATUS_V2 = 0x0145,
	SCCP_CALL_INFO_V2 = 0x014A,
	SCCP_START_MEDIA_TRANSMISSION_ACK = 0x0154,
};

/* Codec results: 0 or a positive byte count on success, one of these on failure. */
enum sccp_err {
	SCCP_OK = 0,
	SCCP_ERR_TRUNCATED = -1,  /* fewer bytes than the header's length says */
	SCCP_ERR_OVERSIZE = -2,   /* PDU larger than SCCP_MAX_PDU */
	SCCP_ERR_BAD_LENGTH = -3, /* length field below 4 (no room for the message id) */
	SCCP_ERR_SHORT_BODY = -4, /* body too short for the message's mandatory fields */
	SCCP_ERR_UNKNOWN_ID = -5, /* well framed, but an id this codec does not know */
	SCCP_ERR_NO_SPACE = -6,   /* encode: output buffer too small */
	SCCP_ERR_INVALID = -7,    /* a field value the layout cannot carry */
};

const char *sccp_strerror(int err);
/* Wireshark-style message name ("RegisterMessage" etc.), or NULL for an unknown id. */
const char *sccp_msg_name(uint32_t id);

/* String field sizes on the wire. */
#define SCCP_DEVICE_NAME_LEN 16
#define SCCP_DN_LEN 24 /* directory numbers; 25 at hv >= V18 */
#define SCCP_DN_MAX 25
#define SCCP_NAME_LEN 40
#define SCCP_V2_NAME_MAX 121

/* An ipv4or6 field. Below V17 only IPv4 (4 bytes) travels; from V17, type + 16-byte area. */
struct sccp_ip {
	uint32_t type; /* 0 IPv4, 1 IPv6, 2 both */
	uint8_t addr[16];
};

/* MediaEncryptionKeyInfo, 48 bytes (protocol.md §4.1). */
enum sccp_media_alg {
	SCCP_ALG_NONE = 0,
	SCCP_ALG_AES_CM_128_HMAC_SHA1_32 = 1,
	SCCP_ALG_AES_CM_128_HMAC_SHA1_80 = 2,
	SCCP_ALG_F8_128_HMAC_SHA1_32 = 3,
	SCCP_ALG_F8_128_HMAC_SHA1_80 = 4,
	SCCP_ALG_AEAD_AES_128_GCM = 5,
	SCCP_ALG_AEAD_AES_256_GCM = 6,
};
struct sccp_key_info {
	uint32_t algorithm;
	uint16_t key_len;
	uint16_t salt_len;
	uint8_t key[16];
	uint8_t salt[16];
	uint32_t mki_present;
	uint32_t key_derivation_rate;
};

struct sccp_register {
	char device_name[SCCP_DEVICE_NAME_LEN + 1];
	uint32_t user_id;
	uint32_t instance;
	uint8_t station_ip[4];
	uint32_t device_type;
	uint32_t max_streams;
	bool has_ext; /* body > 36: activeStreams .. maxConferences */
	uint32_t active_streams;
	uint8_t protocol_ver;
	uint8_t unknown;
	uint16_t phone_features;
	uint32_t max_conferences;
	bool has_full; /* body >= 124: activeConferences .. firmwareLoadName */
	uint32_t active_conferences;
	uint8_t mac[12];
	uint32_t ipv4_scope;
	uint32_t max_lines;
	uint8_t ipv6_addr[16];
	uint32_t ipv6_scope;
	char firmware[32 + 1];
	bool has_config_stamp;
	char config_stamp[48 + 1];
};

struct sccp_register_ack {
	uint32_t keepalive;
	char date_template[6 + 1];
	uint32_t secondary_keepalive;
	uint8_t max_protocol_ver;
	uint8_t unknown;
	uint16_t features;
};

struct sccp_text32 {
	char text[32 + 1];
};

#define SCCP_MAX_CAPS 18
struct sccp_capability {
	uint32_t payload;
	uint32_t max_frames_per_packet;
	uint8_t params[8];
};
struct sccp_capabilities_res {
	uint32_t count;
	struct sccp_capability caps[SCCP_MAX_CAPS];
};

#define SCCP_MAX_BUTTONS 56
struct sccp_button_template_res {
	uint32_t offset;
	uint32_t count;
	uint32_t total;
	struct {
		uint8_t instance;
		uint8_t definition;
	} buttons[SCCP_MAX_BUTTONS];
};

#define SCCP_SOFTKEY_TEMPLATE_ENTRIES 32
struct sccp_softkey_template_res {
	uint32_t offset;
	uint32_t count;
	uint32_t total;
	struct {
		char label[16 + 1];
		uint32_t event;
	} keys[SCCP_SOFTKEY_TEMPLATE_ENTRIES];
};

#define SCCP_SOFTKEY_SETS 16
struct sccp_softkey_set_res {
	uint32_t offset;
	uint32_t count;
	uint32_t total;
	struct {
		uint8_t template_index[16];
		uint16_t info_index[16];
	} sets[SCCP_SOFTKEY_SETS];
};

struct sccp_select_softkeys {
	uint32_t line_instance;
	uint32_t call_reference;
	uint32_t softkey_set_index;
	uint32_t valid_key_mask;
};

struct sccp_line_stat_res {
	uint32_t line_number;
	char dir_number[SCCP_DN_LEN + 1];
	char fq_display_name[SCCP_NAME_LEN + 1];
	char text_label[SCCP_NAME_LEN + 1];
	bool has_display_options;
	uint32_t display_options;
};

struct sccp_config_stat_res {
	char device_name[SCCP_DEVICE_NAME_LEN + 1];
	uint32_t reserved;
	uint32_t instance;
	char user_name[SCCP_NAME_LEN + 1];
	char server_name[SCCP_NAME_LEN + 1];
	uint32_t number_lines;
	uint32_t number_speed_dials;
};

struct sccp_define_time_date {
	uint32_t year, month, day_of_week, day, hour, minute, second, milliseconds;
	uint32_t system_time;
};

struct sccp_call_state {
	uint32_t call_state;
	uint32_t line_instance;
	uint32_t call_reference;
	bool has_privacy; /* privacy and precedence: present in newer layouts */
	uint32_t privacy;
	uint32_t precedence_level;
	uint32_t precedence_domain;
};

enum sccp_call_state_value {
	SCCP_CS_IDLE = 0,
	SCCP_CS_OFFHOOK = 1,
	SCCP_CS_ONHOOK = 2,
	SCCP_CS_RINGOUT = 3,
	SCCP_CS_RINGIN = 4,
	SCCP_CS_CONNECTED = 5,
	SCCP_CS_BUSY = 6,
	SCCP_CS_CONGESTION = 7,
	SCCP_CS_HOLD = 8,
	SCCP_CS_PROCEED = 12,
	SCCP_CS_INVALID_NUMBER = 14,
};

/* CallInfo 0x008F and CallInfoV2 0x014A decode into the same form. */
enum sccp_call_type { SCCP_CALL_INBOUND = 1, SCCP_CALL_OUTBOUND = 2, SCCP_CALL_FORWARD = 3 };
struct sccp_call_info {
	char calling_party_name[SCCP_V2_NAME_MAX + 1];
	char calling_party[SCCP_DN_MAX + 1];
	char alternate_calling_party[SCCP_DN_MAX + 1]; /* V2 only */
	char called_party_name[SCCP_V2_NAME_MAX + 1];
	char called_party[SCCP_DN_MAX + 1];
	uint32_t line_instance;
	uint32_t call_reference;
	uint32_t call_type;
	char original_called_party_name[SCCP_V2_NAME_MAX + 1];
	char original_called_party[SCCP_DN_MAX + 1];
	char last_redirecting_party_name[SCCP_V2_NAME_MAX + 1];
	char last_redirecting_party[SCCP_DN_MAX + 1];
	uint32_t original_cdpn_redirect_reason;
	uint32_t last_redirecting_reason;
	char cgpn_voice_mailbox[SCCP_DN_MAX + 1];
	char cdpn_voice_mailbox[SCCP_DN_MAX + 1];
	char original_cdpn_voice_mailbox[SCCP_DN_MAX + 1];
	char last_redirecting_voice_mailbox[SCCP_DN_MAX + 1];
	uint32_t call_instance;
	uint32_t call_security_status;
	uint32_t party_pi_restriction_bits;
	char hunt_pilot_number[SCCP_DN_MAX + 1]; /* V2 at >= V17 */
	char hunt_pilot_name[SCCP_V2_NAME_MAX + 1];
};

struct sccp_display_prompt_status {
	uint32_t timeout;
	char text[32 + 1];
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_display_pri_notify {
	uint32_t timeout;
	uint32_t priority;
	char text[32 + 1];
};

struct sccp_feature_stat_res {
	uint32_t instance;
	uint32_t type;
	uint32_t status;
	char text_label[SCCP_NAME_LEN + 1];
};

struct sccp_line_call_ref { /* ClearPromptStatus, and OffHook/OnHook bodies */
	bool present;       /* OffHook/OnHook: fields sent (body non-empty) */
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_set_ringer {
	uint32_t ring_mode;
	uint32_t ring_duration;
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_set_lamp {
	uint32_t stimulus;
	uint32_t stimulus_instance;
	uint32_t lamp_mode;
};
enum sccp_lamp_mode {
	SCCP_LAMP_OFF = 1,
	SCCP_LAMP_ON = 2,
	SCCP_LAMP_WINK = 3,
	SCCP_LAMP_FLASH = 4,
	SCCP_LAMP_BLINK = 5
};
#define SCCP_STIMULUS_LINE 0x09
#define SCCP_STIMULUS_VOICEMAIL 0x0F

struct sccp_u32 { /* bodies of one u32: SetSpeakerMode, ActivateCallPlane, RegisterAvailableLines, Reset, ...
	           */
	uint32_t value;
};

struct sccp_dialed_number {
	char number[SCCP_DN_MAX + 1];
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_start_tone {
	uint32_t tone;
	uint32_t direction;
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_stop_tone {
	uint32_t line_instance;
	uint32_t call_reference;
	bool has_tone; /* from V11 */
	uint32_t tone;
};

struct sccp_offhook_with_cgpn {
	char calling_party[SCCP_DN_MAX + 1];
	char cgpn_voice_mailbox[SCCP_DN_MAX + 1];
	uint32_t line_instance;
};

struct sccp_enbloc_call {
	char called_party[SCCP_DN_MAX + 1];
	bool has_line_instance;
	uint32_t line_instance;
};

struct sccp_keypad_button {
	uint32_t button;
	bool has_call; /* lineInstance and callReference present */
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_stimulus {
	uint32_t stimulus;
	uint32_t line_instance;
	uint32_t call_reference;
	uint32_t status;
};

struct sccp_softkey_event {
	uint32_t event;
	uint32_t line_instance;
	uint32_t call_reference;
};

struct sccp_dtmf_tone { /* NotifyDtmfTone / SendDtmfTone */
	uint32_t tone;
	uint32_t conference_id;
	uint32_t pass_through_party_id;
};

struct sccp_open_receive_channel {
	uint32_t conference_id;
	uint32_t pass_through_party_id;
	uint32_t packet_ms;
	uint32_t compression_type;
	uint32_t ec_value;
	uint32_t codec_params; /* g723BitRate (<= V10) or the codecParams union */
	bool has_key;          /* callReference and the key block (absent in short 4.x bodies) */
	uint32_t call_reference;
	struct sccp_key_info rx_key;
	uint32_t stream_pass_through_id;
	uint32_t associated_stream_id;
	uint32_t rfc2833_payload_type;
	uint32_t dtmf_type;
	bool has_source; /* hv >= V11: mixingMode .. sourcePortNumber */
	uint32_t mixing_mode;
	uint32_t party_direction;
	struct sccp_ip source_ip;
	uint32_t source_port;
	bool has_requested_ip_type; /* hv >= V16 */
	uint32_t requested_ip_type;
	bool has_audio_level; /* hv >= V17 and length > 132 */
	int32_t audio_level_adjustment;
};

struct sccp_open_receive_channel_ack {
	uint32_t status;
	struct sccp_ip ip;
	uint32_t port;
	uint32_t pass_through_party_id;
	bool has_call_reference;
	uint32_t call_reference;
};

struct sccp_start_media_transmission {
	uint32_t conference_id;
	uint32_t pass_through_party_id;
	struct sccp_ip remote_ip;
	uint32_t remote_port;
	uint32_t packet_ms;
	uint32_t compression_type;
	uint32_t precedence;
	uint32_t silence_suppression;
	uint16_t max_frames_per_packet;
	uint32_t codec_params;
	bool has_key; /* callReference and the key block (absent in short 4.x bodies) */
	uint32_t call_reference;
	struct sccp_key_info tx_key;
	uint32_t stream_pass_through_id;
	uint32_t associated_stream_id;
	uint32_t rfc2833_payload_type;
	uint32_t dtmf_type;
	uint32_t mixing_mode;
	bool has_party_direction; /* hv >= V15 */
	uint32_t party_direction;
};

struct sccp_start_media_transmission_ack {
	uint32_t conference_id;
	uint32_t pass_through_party_id;
	uint32_t call_reference;
	struct sccp_ip ip;
	uint32_t port;
	uint32_t status;
};

struct sccp_media_transmission_failure {
	uint32_t conference_id;
	uint32_t pass_through_party_id;
	struct sccp_ip remote_ip;
	uint32_t remote_port;
	uint32_t call_reference;
};

struct sccp_stop_media { /* StopMediaTransmission and CloseReceiveChannel */
	uint32_t conference_id;
	uint32_t pass_through_party_id;
	bool has_call_reference;
	uint32_t call_reference;
	bool has_port_handling;
	uint32_t port_handling_flag;
};

struct sccp_connection_statistics_req {
	char dir_number[28 + 1];
	uint32_t call_reference;
	uint32_t processing_mode;
};

struct sccp_connection_statistics_res {
	char dir_number[28 + 1];
	uint32_t call_reference;
	uint32_t processing_mode;
	uint32_t packets_sent, octets_sent, packets_received, octets_received;
	uint32_t packets_lost, jitter, latency;
};

struct sccp_register_token_req {
	char device_name[SCCP_DEVICE_NAME_LEN + 1];
	uint32_t reserved;
	uint32_t instance;
	uint8_t station_ip[4];
	uint32_t device_type;
	/* Always sent in the long form (address area + u32): Wireshark and chan-sccp know no other.
	 * A short form received decodes with these zero. */
	uint8_t ipv6_addr[16];
	uint32_t unknown;
};

struct sccp_unregister {
	bool has_reason;
	uint32_t reason;
};

/* One decoded message. `hv` is the header version it came with (decode) or goes with (encode). */
struct sccp_msg {
	uint32_t id;
	uint32_t hv;
	union {
		struct sccp_register reg;
		struct sccp_register_ack register_ack;
		struct sccp_text32 register_reject;
		struct sccp_capabilities_res capabilities;
		struct sccp_button_template_res button_template;
		struct sccp_softkey_template_res softkey_template;
		struct sccp_softkey_set_res softkey_set;
		struct sccp_select_softkeys select_softkeys;
		struct sccp_u32 line_stat_req;
		struct sccp_line_stat_res line_stat;
		struct sccp_config_stat_res config_stat;
		struct sccp_define_time_date time_date;
		struct sccp_u32 forward_stat_req;
		struct sccp_text32 version; /* Version 0x0098: version[16] */
		struct sccp_u32 register_available_lines;
		struct sccp_unregister unregister;
		struct sccp_u32 unregister_ack;
		struct sccp_u32 reset;
		struct sccp_register_token_req register_token_req;
		struct sccp_u32 register_token_reject;
		struct sccp_call_state call_state;
		struct sccp_call_info call_info;
		struct sccp_display_prompt_status display_prompt;
		struct sccp_line_call_ref clear_prompt;
		struct sccp_display_pri_notify display_pri_notify;
		struct sccp_feature_stat_res feature_stat;
		struct sccp_set_ringer set_ringer;
		struct sccp_set_lamp set_lamp;
		struct sccp_u32 set_speaker_mode;
		struct sccp_u32 activate_call_plane;
		struct sccp_u32 deactivate_call_plane;
		struct sccp_dialed_number dialed_number;
		struct sccp_start_tone start_tone;
		struct sccp_stop_tone stop_tone;
		struct sccp_line_call_ref offhook; /* OffHook and OnHook */
		struct sccp_offhook_with_cgpn offhook_cgpn;
		struct sccp_enbloc_call enbloc;
		struct sccp_keypad_button keypad;
		struct sccp_stimulus stimulus;
		struct sccp_softkey_event softkey_event;
		struct sccp_dtmf_tone dtmf_tone;
		struct sccp_open_receive_channel orc;
		struct sccp_open_receive_channel_ack orc_ack;
		struct sccp_start_media_transmission smt;
		struct sccp_start_media_transmission_ack smt_ack;
		struct sccp_media_transmission_failure mtf;
		struct sccp_stop_media stop_media; /* StopMediaTransmission, CloseReceiveChannel */
		struct sccp_connection_statistics_req stats_req;
		struct sccp_connection_statistics_res stats_res;
	} u;
};

/* Frame boundary in a byte stream: how long the PDU starting at buf is.
 * Returns the PDU length (> 0) when it is wholly in buf, 0 when more bytes are needed, or
 * SCCP_ERR_BAD_LENGTH / SCCP_ERR_OVERSIZE when the header can never frame a valid PDU. */
int sccp_frame_len(const uint8_t *buf, size_t len);

/* Decode one whole PDU (header included). Returns SCCP_OK or an sccp_err. On
 * SCCP_ERR_UNKNOWN_ID, out->id and out->hv are still set so the caller can skip and count. */
int sccp_decode(const uint8_t *pdu, size_t len, struct sccp_msg *out);

/* Encode m with header version m->hv, body padded to a multiple of 4.
 * Returns the PDU length or an sccp_err. */
int sccp_encode(const struct sccp_msg *m, uint8_t *buf, size_t cap);

/* Zero a message and set its id and header version. */
void sccp_msg_init(struct sccp_msg *m, uint32_t id, uint32_t hv);

#endif
