/* One SCCP voicemail port as a pure state machine (protocol.md §2, §3, §4, §5, §8, §9).
 *
 * The port owns protocol decisions only. It never touches sockets, threads, clocks, files or the
 * heap: the program hands it one event at a time together with the current time, and gets back
 * the SCCP messages to send (in order, already carrying the right header version) and actions to
 * carry out (open media, play a greeting, close the transport, ...). Time-driven behaviour
 * (keepalives, timeouts, MWI pacing) is expressed as one deadline: `next_deadline_ms` in every
 * output. When the clock reaches it, the program sends PORT_EV_TIMER; a timer event that finds
 * nothing due does nothing, so the program never has to cancel anything. Randomness (keepalive
 * spread) comes from a PRNG seeded from the configuration, so a run is reproducible.
 *
 * Contracts with the program:
 * - Every PORT_ACT_OPEN_RX is matched later by exactly one PORT_ACT_CLOSE_RX, unless the program
 *   answered it with a failed PORT_EV_RX_OPENED. Every PORT_ACT_START_TX is matched by exactly one
 *   PORT_ACT_STOP_TX. Every answered call ends with exactly one PORT_ACT_CALL_ENDED, which comes
 *   after the CLOSE_RX / STOP_TX of its media legs. Every MWI request accepted by
 *   sccp_port_handle() ends with exactly one PORT_ACT_MWI_DONE, unless it is still queued.
 * - Actions of one output are meant to be carried out in order. The port is consistent between
 *   calls, so carrying one out may feed the port again (an OPEN_RX answered at once with
 *   RX_OPENED), with another output.
 * - Key material: OpenReceiveChannel / StartMediaTransmission keys are copied once, into the
 *   OPEN_RX / START_TX action. The port keeps no copy. The next sccp_port_handle() on the same
 *   output wipes it; the program should wipe the output, its own copies and the decoded message
 *   it passed in with sccp_secure_wipe() once the media side has taken them.
 */
#ifndef VMPORT_SCCP_PORT_H
#define VMPORT_SCCP_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sccp_msg.h"

/* ---------------------------------------------------------------------------------------------
 * Configuration */

/* How the port dials the MWI On/Off number after OffHookWithCgpn (protocol.md §5.2, UNCONFIRMED). */
enum sccp_mwi_dial {
	SCCP_MWI_KEYPAD, /* one KeypadButton per digit */
	SCCP_MWI_ENBLOC, /* one EnblocCall with the whole number */
};

#define SCCP_PORT_MAX_CODECS 8
#define SCCP_FEATURE_DYNAMIC_MESSAGES 0x0080 /* Register phoneFeatures: V2 (dynamic) messages */
#define SCCP_FEATURE_RFC2833 0x0200          /* Register phoneFeatures: RFC 2833 DTMF */

struct sccp_port_config {
	char device_name[SCCP_DEVICE_NAME_LEN]; /* e.g. "CiscoUM1-VI1", at most 15 characters */
	uint32_t device_type;                   /* 80 VoiceInBox (UNCONFIRMED, protocol.md §2.8) */
	uint32_t instance;                      /* Register instance; 1 (UNCONFIRMED for CUC) */
	uint8_t protocol_version;               /* advertised in Register; ≤ 17 recommended (§2.9) */
	uint8_t station_ip[4];                  /* network order */
	uint8_t mac[6];
	uint32_t max_streams;
	/* Register phoneFeatures. Default SCCP_FEATURE_RFC2833 only: dynamic messages (0x0080) stay
	 * off so that CallManager sends the fixed CallInfo (UNCONFIRMED it honours that, §10 #16). */
	uint16_t phone_features;
	char firmware_load_name[32 + 1];

	/* Codecs advertised in CapabilitiesRes, and the only ones OpenReceiveChannel may ask for.
	 * Default G.711 µ-law (4) and A-law (2). */
	uint32_t codecs[SCCP_PORT_MAX_CODECS];
	size_t n_codecs;
	uint32_t packet_ms; /* maxFramesPerPacket advertised per codec; 20 */

	/* Ask for the button/soft-key templates and ConfigStat after registering (§10 #15:
	 * unknown whether CUC does). LineStat, RegisterAvailableLines and TimeDate always go. */
	bool request_templates;

	/* Incoming calls (§3.3). */
	bool answer_calls;      /* CUC port setting "Answer Calls" */
	bool use_last_redirect; /* mailbox = lastRedirectingParty rather than originalCalledParty */
	char pilot_number[SCCP_DN_MAX + 1]; /* a call whose originalCalledParty is this is direct */
	uint32_t answer_without_info_ms;    /* RingIn with no CallInfo: answer as "direct" after this */
	/* C→D KeypadButton 0x0A: chan-sccp relays digit 0 as 0x0A, Wireshark's enum calls it 'A'
	 * (§3.6, §10 #3). false (default): 0x0A is '0'; true: 0x0A is 'A'. */
	bool keypad_0a_is_a;

	/* Media (§4). */
	bool send_smt_ack; /* StartMediaTransmissionAck after StartMediaTransmission (§10 #10); off */

	/* MWI dialling (§5.2, §9.3; the whole sequence is UNCONFIRMED). */
	enum sccp_mwi_dial mwi_dial;
	uint32_t mwi_dial_delay_ms; /* dial anyway if no CallState OffHook came after OffHookWithCgpn */
	uint32_t mwi_digit_gap_ms;  /* between KeypadButtons; 0 sends them back to back */
	uint32_t mwi_hangup_ms;     /* OnHook this long after dialling if no call progress came */

	/* Timers. */
	uint32_t register_timeout_ms;   /* TRANSPORT_UP → registered, else close */
	uint32_t unregister_timeout_ms; /* Unregister → UnregisterAck, else close anyway */
	uint32_t keepalive_default_s;   /* used when RegisterAck says 0 */
	uint32_t keepalive_max_missed;  /* unanswered KeepAlives before the link is declared lost; 3 */

	uint32_t rng_seed; /* keepalive spread; give every port its own */
};

/* Fill cfg with the defaults named above (device_name left empty: the caller must set it). */
void sccp_port_config_defaults(struct sccp_port_config *cfg);

/* ---------------------------------------------------------------------------------------------
 * Events (program → port) */

enum sccp_port_event_type {
	PORT_EV_TRANSPORT_UP,   /* TCP/TLS to a CallManager is up: register */
	PORT_EV_TRANSPORT_DOWN, /* it is gone (peer closed, error, or after PORT_ACT_CLOSE_TRANSPORT) */
	PORT_EV_MESSAGE,        /* one decoded SCCP message from CallManager */
	PORT_EV_TIMER,          /* the clock reached next_deadline_ms (early or repeated ones are harmless) */
	PORT_EV_MWI,            /* set or clear the message-waiting lamp of an extension */
	PORT_EV_RX_OPENED,      /* answer to PORT_ACT_OPEN_RX: socket bound, or a failure status */
	PORT_EV_DTMF,           /* a digit the media side decoded from RFC 2833 events */
	PORT_EV_HANGUP,         /* local decision to end the call: recording done, '#', max length */
	PORT_EV_UNREGISTER,     /* shutdown: unregister cleanly, then ask for the transport to close */
};

struct sccp_port_mwi_request {
	char extension[SCCP_DN_LEN + 1]; /* whose lamp: sent as the calling party */
	char dial[SCCP_DN_LEN + 1];      /* the MWI On or Off number of the port group */
	bool on;
};

struct sccp_port_event {
	enum sccp_port_event_type type;
	union {
		const struct sccp_msg *msg; /* PORT_EV_MESSAGE; not kept after the call */
		struct sccp_port_mwi_request mwi;
		struct {
			uint32_t pass_through_party_id; /* from the OPEN_RX action */
			uint32_t status; /* 0 ok, else a media status (§4.2): 8 out of sockets, ... */
			uint8_t ip[4];   /* local RTP address, network order */
			uint16_t port;   /* local RTP port (even) */
		} rx_opened;
		char digit;              /* PORT_EV_DTMF: '0'-'9', '*', '#', 'A'-'D' */
		uint32_t call_reference; /* PORT_EV_HANGUP: the call meant; 0 = whatever call is up */
	} u;
};

/* ---------------------------------------------------------------------------------------------
 * Actions (port → program) */

enum sccp_port_action_type {
	PORT_ACT_OPEN_RX,  /* bind a UDP port, set up the inbound (SRTP) context; answer with RX_OPENED */
	PORT_ACT_START_TX, /* start sending RTP to the remote address with the outbound context */
	PORT_ACT_STOP_TX,
	PORT_ACT_CLOSE_RX,
	PORT_ACT_PLAY_GREETING,   /* first media of an answered call: play the mailbox's greeting */
	PORT_ACT_RECORD,          /* after the greeting, record the caller into the mailbox */
	PORT_ACT_DIGIT,           /* a caller digit (e.g. '#' ends the recording) */
	PORT_ACT_CLOSE_TRANSPORT, /* close the connection; send TRANSPORT_DOWN once it is closed */
	PORT_ACT_REGISTERED,
	PORT_ACT_REJECTED,   /* RegisterReject; a CLOSE_TRANSPORT follows */
	PORT_ACT_CALL_ENDED, /* finish and keep the recording; the call is over */
	PORT_ACT_MWI_DONE,
	PORT_ACT_NOTE, /* something was ignored or odd: for the log, nothing to do */
};

enum sccp_port_close_reason {
	SCCP_CLOSE_REJECTED,         /* RegisterReject */
	SCCP_CLOSE_REGISTER_TIMEOUT, /* no RegisterAck + capabilities exchange in time */
	SCCP_CLOSE_KEEPALIVE_LOST,   /* keepalive_max_missed KeepAliveAcks missing: fail over */
	SCCP_CLOSE_RESET,            /* Reset from CallManager: register again */
	SCCP_CLOSE_UNREGISTERED,     /* UNREGISTER finished (acknowledged, refused or timed out) */
};

enum sccp_port_call_end {
	SCCP_CALL_END_REMOTE,          /* CallManager cleared the call (caller hung up) */
	SCCP_CALL_END_LOCAL,           /* PORT_EV_HANGUP */
	SCCP_CALL_END_SIGNALLING_LOST, /* transport down, keepalive lost, rejected: finished locally */
	SCCP_CALL_END_UNREGISTERED,    /* shutdown or Reset */
};

enum sccp_port_mwi_result {
	SCCP_MWI_DIALLED,   /* dialled; CallManager showed call progress (RingOut/Proceed/Connected/OnHook) */
	SCCP_MWI_NO_ANSWER, /* dialled; nothing came back before mwi_hangup_ms (§5.2: that is normal) */
	SCCP_MWI_REFUSED,   /* dialled; CallManager answered Busy, Congestion or InvalidNumber */
	SCCP_MWI_INVALID,   /* request not dialable: empty, too long, or not [0-9*#A-D+] */
	SCCP_MWI_DROPPED,   /* the queue was full, or a newer request for the extension replaced it */
};

enum sccp_digit_source { SCCP_DIGIT_KEYPAD, SCCP_DIGIT_TONE, SCCP_DIGIT_RFC2833 };

/* What the port knows about an answered call. The mailbox is empty for a direct call. */
struct sccp_port_call_desc {
	uint32_t call_reference;
	bool forwarded;
	char mailbox[SCCP_DN_MAX + 1];
	char caller[SCCP_DN_MAX + 1];
	char caller_name[SCCP_V2_NAME_MAX + 1];
	char called[SCCP_DN_MAX + 1];
	uint32_t call_type;       /* raw CallInfo callType */
	uint32_t redirect_reason; /* raw reason of the hop the mailbox came from (§3.3: log it) */
	uint32_t security_status; /* callSecurityStatus: 3 = encrypted */
};

struct sccp_port_media {
	uint32_t pass_through_party_id;
	uint32_t call_reference;
	uint32_t codec; /* compressionType (§2.4) */
	uint32_t packet_ms;
	uint32_t rfc2833_payload_type;
	struct sccp_key_info key; /* OPEN_RX: rx key; START_TX: tx key. algorithm 0 = plain RTP */
	uint8_t remote_ip[4];     /* START_TX only */
	uint32_t remote_port;     /* START_TX only */
	uint32_t precedence;      /* START_TX only: TOS byte */
};

struct sccp_port_action {
	enum sccp_port_action_type type;
	union {
		struct sccp_port_media media; /* OPEN_RX, START_TX */
		struct {
			uint32_t pass_through_party_id;
			uint32_t call_reference;
		} leg;                           /* STOP_TX, CLOSE_RX */
		struct sccp_port_call_desc call; /* PLAY_GREETING, RECORD */
		struct {
			char digit;
			enum sccp_digit_source source;
			uint32_t call_reference;
		} digit;
		struct {
			enum sccp_port_close_reason reason;
		} close;
		struct {
			uint8_t protocol_version; /* negotiated */
			uint32_t hv;              /* header version now used on the wire */
			uint32_t keepalive_s;
		} registered;
		struct sccp_text32 rejected;
		struct {
			uint32_t call_reference;
			enum sccp_port_call_end reason;
		} call_ended;
		struct {
			struct sccp_port_mwi_request request;
			enum sccp_port_mwi_result result;
			uint32_t last_call_state; /* last CallState seen during the MWI call, or 0 */
		} mwi_done;
		struct {
			const char *what; /* static text */
			uint32_t msg_id;  /* the message concerned, or UINT32_MAX */
			uint32_t value;   /* a number that explains it (passThru, callRef, status) */
		} note;
	} u;
};

#define SCCP_PORT_MAX_MSGS 8
#define SCCP_PORT_MAX_ACTS 8
#define SCCP_PORT_NO_DEADLINE UINT64_MAX

struct sccp_port_output {
	struct sccp_msg msgs[SCCP_PORT_MAX_MSGS];
	size_t n_msgs;
	struct sccp_port_action acts[SCCP_PORT_MAX_ACTS];
	size_t n_acts;
	uint64_t next_deadline_ms; /* send PORT_EV_TIMER at this time; SCCP_PORT_NO_DEADLINE = none */
};

/* ---------------------------------------------------------------------------------------------
 * The port. Caller-allocated; fields are the port's own: read them through the functions below. */

enum sccp_port_state {
	SCCP_PORT_DOWN,          /* no transport */
	SCCP_PORT_REGISTERING,   /* Register sent; RegisterAck and the capabilities exchange pending */
	SCCP_PORT_IDLE,          /* registered, no call */
	SCCP_PORT_RINGING,       /* RingIn seen, CallInfo awaited before answering */
	SCCP_PORT_IN_CALL,       /* answered */
	SCCP_PORT_MWI,           /* dialling an MWI On/Off number */
	SCCP_PORT_UNREGISTERING, /* Unregister sent; UnregisterAck awaited */
	SCCP_PORT_CLOSING,       /* CLOSE_TRANSPORT asked; TRANSPORT_DOWN awaited */
};

enum sccp_port_timer {
	SCCP_TIMER_REGISTER,
	SCCP_TIMER_KEEPALIVE,
	SCCP_TIMER_UNREGISTER,
	SCCP_TIMER_ANSWER,
	SCCP_TIMER_MWI,
	SCCP_TIMER_COUNT,
};

#define SCCP_PORT_MWI_QUEUE 32

struct sccp_port_stats {
	uint32_t registrations;
	uint32_t keepalives_sent;
	uint32_t keepalive_acks;
	uint32_t calls_answered;
	uint32_t mwi_done;
	uint32_t ignored;         /* messages or events that made no sense in their state */
	uint32_t output_overflow; /* messages or actions that did not fit an output (a bug if non-zero) */
};

struct sccp_port_leg {
	bool active; /* OPEN_RX / START_TX emitted and not yet closed */
	bool acked;  /* RX: OpenReceiveChannelAck sent */
	uint32_t pass_through_party_id;
	uint8_t ip[4];
	uint16_t port;
};

struct sccp_port_call {
	uint32_t call_reference;
	uint32_t line_instance;
	bool info_seen; /* CallInfo for call_reference arrived (it may precede RingIn) */
	bool greeting_started;
	struct sccp_port_call_desc desc;
	struct sccp_port_leg rx, tx;
};

enum sccp_port_mwi_phase {
	SCCP_MWI_PHASE_NONE,     /* no MWI call; the MWI timer, if set, starts the next queued one */
	SCCP_MWI_PHASE_OFFHOOK,  /* OffHookWithCgpn sent; CallState OffHook awaited */
	SCCP_MWI_PHASE_DIGITS,   /* sending KeypadButtons */
	SCCP_MWI_PHASE_PROGRESS, /* dialled; call progress awaited */
};

struct sccp_port {
	struct sccp_port_config cfg;
	enum sccp_port_state state;
	uint32_t hv;              /* header version of what we send */
	uint8_t protocol_version; /* negotiated; 0 until RegisterAck */
	bool got_register_ack;
	bool answered_capabilities;
	char dn[SCCP_DN_MAX + 1]; /* own directory number, from LineStatRes */
	uint32_t keepalive_s;
	uint32_t keepalives_unanswered;
	enum sccp_port_close_reason unregister_reason;
	uint64_t deadline[SCCP_TIMER_COUNT];
	uint32_t rng;

	struct sccp_port_call call; /* RINGING / IN_CALL; in IDLE it may hold an early CallInfo */
	bool has_last_call;         /* the call just finished: its stragglers are not news */
	uint32_t last_call_reference;

	struct sccp_port_mwi_request mwi_queue[SCCP_PORT_MWI_QUEUE];
	size_t mwi_head, mwi_count;
	struct {
		enum sccp_port_mwi_phase phase;
		struct sccp_port_mwi_request req;
		bool has_call_reference;
		uint32_t call_reference;
		size_t next_digit;
		uint32_t last_call_state;
	} mwi;

	struct sccp_port_stats stats;
};

/* Returns 0, or -EINVAL when the configuration cannot work (empty or long device name, no codec,
 * more codecs than CapabilitiesRes carries, zero timeouts). The port starts DOWN. */
int sccp_port_init(struct sccp_port *p, const struct sccp_port_config *cfg);

/* Feed one event. `out` is overwritten and need not be initialised; the key slots it held from a
 * previous call are wiped first. */
void sccp_port_handle(struct sccp_port *p, const struct sccp_port_event *ev, uint64_t now_ms,
                      struct sccp_port_output *out);

enum sccp_port_state sccp_port_state(const struct sccp_port *p);
const char *sccp_port_state_name(enum sccp_port_state s);
const char *sccp_port_action_name(enum sccp_port_action_type t);
const char *sccp_port_close_reason_text(enum sccp_port_close_reason r);
const char *sccp_port_call_end_text(enum sccp_port_call_end r);
const char *sccp_port_mwi_result_text(enum sccp_port_mwi_result r);
uint64_t sccp_port_next_deadline(const struct sccp_port *p);
const char *sccp_port_directory_number(const struct sccp_port *p); /* "" until LineStatRes */
uint32_t sccp_port_header_version(const struct sccp_port *p);
size_t sccp_port_mwi_pending(const struct sccp_port *p); /* queued, not yet started */
const struct sccp_port_stats *sccp_port_stats(const struct sccp_port *p);

/* Zero memory in a way the compiler may not drop (keys, decoded messages that carried keys). */
void sccp_secure_wipe(void *p, size_t n);

#endif
