/* Real CallManager frames (tests/vectors/cucm-frames.json, see its README): every complete frame
 * decodes with the values CallManager put in it; the frames the capture cut short are reported as
 * truncated, and once padded back to their stated length decode too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sccp/sccp_format.h"
#include "sccp/sccp_msg.h"

#define MAX_FRAMES 96
#define MAX_FRAME_BYTES 1024

struct frame {
	char scenario[40];
	char label[40];
	uint8_t bytes[MAX_FRAME_BYTES];
	size_t len;
};

static struct frame frames[MAX_FRAMES];
static size_t frame_count;

/* The file is {"scenario": {"label": "hex", ...}, ...}: two levels of objects holding strings, no
 * escapes. A scanner for exactly that shape is enough; anything else fails the test. */
struct scan {
	const char *p;
	const char *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static bool take(struct scan *s, char ch)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == ch) {
		s->p++;
		return true;
	}
	return false;
}

/* A string's contents, unquoted; NULL on a malformed or over-long string. */
static const char *string(struct scan *s, size_t *len)
{
	if (!take(s, '"'))
		return NULL;
	const char *start = s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			return NULL;
		s->p++;
	}
	if (s->p == s->end)
		return NULL;
	*len = (size_t)(s->p - start);
	s->p++;
	return start;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void load_vectors(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/vectors/cucm-frames.json", VMPORT_TEST_DATA);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	static char text[64 * 1024];
	size_t n = fread(text, 1, sizeof(text), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(text));

	struct scan s = {text, text + n};
	frame_count = 0;
	assert_true(take(&s, '{'));
	do {
		size_t sl = 0, ll = 0, hl = 0;
		const char *sc = string(&s, &sl);
		assert_non_null(sc);
		assert_true(sl < sizeof(frames[0].scenario));
		assert_true(take(&s, ':'));
		assert_true(take(&s, '{'));
		do {
			const char *label = string(&s, &ll);
			assert_non_null(label);
			assert_true(ll < sizeof(frames[0].label));
			assert_true(take(&s, ':'));
			const char *hex = string(&s, &hl);
			assert_non_null(hex);
			assert_true(hl % 2 == 0 && hl / 2 <= MAX_FRAME_BYTES);
			assert_true(frame_count < MAX_FRAMES);
			struct frame *fr = &frames[frame_count++];
			memcpy(fr->scenario, sc, sl);
			fr->scenario[sl] = '\0';
			memcpy(fr->label, label, ll);
			fr->label[ll] = '\0';
			for (size_t i = 0; i < hl / 2; i++) {
				int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
				assert_true(hi >= 0 && lo >= 0);
				fr->bytes[i] = (uint8_t)(hi << 4 | lo);
			}
			fr->len = hl / 2;
		} while (take(&s, ','));
		assert_true(take(&s, '}'));
	} while (take(&s, ','));
	assert_true(take(&s, '}'));
	skip_ws(&s);
	assert_true(s.p == s.end);
}

static int setup(void **state)
{
	(void)state;
	load_vectors();
	return 0;
}

static const struct frame *find(const char *scenario, const char *label)
{
	for (size_t i = 0; i < frame_count; i++)
		if (!strcmp(frames[i].scenario, scenario) && !strcmp(frames[i].label, label))
			return &frames[i];
	fail_msg("no frame %s/%s", scenario, label);
	return NULL;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool complete(const struct frame *f)
{
	return f->len >= 8 && (size_t)le32(f->bytes) + 8 == f->len;
}

/* Decode a complete frame, which must succeed. */
static void decode(const char *scenario, const char *label, uint32_t id, struct sccp_msg *m)
{
	const struct frame *f = find(scenario, label);
	assert_true(complete(f));
	int rc = sccp_decode(f->bytes, f->len, m);
	if (rc != SCCP_OK)
		fail_msg("%s/%s: %s", scenario, label, sccp_strerror(rc));
	assert_int_equal(m->id, id);
	assert_int_equal(m->hv, 0);
}

/* A frame the capture cut short: truncated as it is; padded with zeros to its stated length it
 * decodes (the lost bytes are the tail of the last field). */
static void decode_repaired(const char *scenario, const char *label, uint32_t id, struct sccp_msg *m)
{
	const struct frame *f = find(scenario, label);
	assert_false(complete(f));
	assert_int_equal(sccp_decode(f->bytes, f->len, m), SCCP_ERR_TRUNCATED);
	size_t want = (size_t)le32(f->bytes) + 8;
	assert_true(want > f->len && want <= MAX_FRAME_BYTES);
	uint8_t fixed[MAX_FRAME_BYTES] = {0};
	memcpy(fixed, f->bytes, f->len);
	int rc = sccp_decode(fixed, want, m);
	if (rc != SCCP_OK)
		fail_msg("%s/%s repaired: %s", scenario, label, sccp_strerror(rc));
	assert_int_equal(m->id, id);
}

static bool is_cut_scenario(const char *scenario)
{
	return !strcmp(scenario, "cm_cap_assets") || !strcmp(scenario, "cm31_reg") ||
	       !strcmp(scenario, "cm33_reg");
}

static void test_every_frame(void **state)
{
	(void)state;
	size_t whole = 0, cut = 0;
	for (size_t i = 0; i < frame_count; i++) {
		const struct frame *f = &frames[i];
		struct sccp_msg m;
		int rc = sccp_decode(f->bytes, f->len, &m);
		if (!complete(f)) {
			/* Only the scenarios the README names are cut, and they fail cleanly. */
			assert_true(is_cut_scenario(f->scenario));
			if (rc != SCCP_ERR_TRUNCATED)
				fail_msg("%s/%s: %s", f->scenario, f->label, sccp_strerror(rc));
			cut++;
			continue;
		}
		if (rc != SCCP_OK)
			fail_msg("%s/%s: %s", f->scenario, f->label, sccp_strerror(rc));
		whole++;
		/* What we decoded encodes back to an equivalent message. */
		uint8_t again[SCCP_MAX_PDU];
		int n = sccp_encode(&m, again, sizeof(again));
		assert_true(n > 0);
		struct sccp_msg back;
		assert_int_equal(sccp_decode(again, (size_t)n, &back), SCCP_OK);
		if (memcmp(&m, &back, sizeof(m)) != 0)
			fail_msg("%s/%s does not re-encode", f->scenario, f->label);
		char line[1024];
		assert_true(sccp_msg_format(&m, line, sizeof(line)) > 0);
	}
	assert_int_equal(whole, 30);
	assert_int_equal(cut, 16);
	assert_int_equal(frame_count, 46);
}

/* The complete frames whose re-encoding is byte-identical: CallManager filled every byte. */
static void test_byte_identical(void **state)
{
	(void)state;
	size_t same = 0;
	for (size_t i = 0; i < frame_count; i++) {
		const struct frame *f = &frames[i];
		if (!complete(f))
			continue;
		struct sccp_msg m;
		assert_int_equal(sccp_decode(f->bytes, f->len, &m), SCCP_OK);
		uint8_t again[SCCP_MAX_PDU];
		int n = sccp_encode(&m, again, sizeof(again));
		/* FeatureStatRes carries stack garbage after its label's NUL, and the short 4.x media
		 * messages 40 zero bytes where the key block would be: both re-encode shorter/cleaner. */
		if (m.id == SCCP_FEATURE_STAT_RES || m.id == SCCP_OPEN_RECEIVE_CHANNEL ||
		    m.id == SCCP_START_MEDIA_TRANSMISSION)
			continue;
		assert_int_equal(n, (int)f->len);
		assert_memory_equal(again, f->bytes, f->len);
		same++;
	}
	assert_int_equal(same, 27);
}

static void test_new_call(void **state)
{
	(void)state;
	struct sccp_msg m;

	decode("cm_cap_new_call", "80", SCCP_SET_RINGER, &m);
	assert_int_equal(m.u.set_ringer.ring_mode, 1);
	assert_int_equal(m.u.set_ringer.ring_duration, 1);
	assert_int_equal(m.u.set_ringer.line_instance, 0);

	decode("cm_cap_new_call", "81", SCCP_SET_SPEAKER_MODE, &m);
	assert_int_equal(m.u.set_speaker_mode.value, 1);

	decode("cm_cap_new_call", "82", SCCP_SET_LAMP, &m);
	assert_int_equal(m.u.set_lamp.stimulus, SCCP_STIMULUS_LINE);
	assert_int_equal(m.u.set_lamp.stimulus_instance, 1);
	assert_int_equal(m.u.set_lamp.lamp_mode, SCCP_LAMP_ON);

	decode("cm_cap_new_call", "83", SCCP_CALL_STATE, &m);
	assert_int_equal(m.u.call_state.call_state, SCCP_CS_OFFHOOK);
	assert_int_equal(m.u.call_state.line_instance, 1);
	assert_int_equal(m.u.call_state.call_reference, 0x100001a);
	assert_true(m.u.call_state.has_privacy);
	assert_int_equal(m.u.call_state.privacy, 0);
	assert_int_equal(m.u.call_state.precedence_level, 4);

	decode("cm_cap_new_call", "84", SCCP_SELECT_SOFTKEYS, &m);
	assert_int_equal(m.u.select_softkeys.line_instance, 1);
	assert_int_equal(m.u.select_softkeys.call_reference, 0x100001a);
	assert_int_equal(m.u.select_softkeys.softkey_set_index, 4);
	assert_int_equal(m.u.select_softkeys.valid_key_mask, 0xFFFFFFFF);

	decode("cm_cap_new_call", "85", SCCP_DISPLAY_PROMPT_STATUS, &m);
	assert_int_equal(m.u.display_prompt.timeout, 0);
	assert_string_equal(m.u.display_prompt.text, "\x80\x20"); /* label code: Enter Number */
	assert_int_equal(m.u.display_prompt.line_instance, 1);
	assert_int_equal(m.u.display_prompt.call_reference, 0x100001a);

	decode("cm_cap_new_call", "86", SCCP_ACTIVATE_CALL_PLANE, &m);
	assert_int_equal(m.u.activate_call_plane.value, 1);

	decode("cm_cap_new_call", "87", SCCP_START_TONE, &m);
	assert_int_equal(m.u.start_tone.tone, 0x21); /* inside dial tone */
	assert_int_equal(m.u.start_tone.direction, 0);
	assert_int_equal(m.u.start_tone.line_instance, 1);
	assert_int_equal(m.u.start_tone.call_reference, 0x100001a);
}

static void test_registration_idle(void **state)
{
	(void)state;
	struct sccp_msg m;
	decode("cm_cap_reg_idle", "45", SCCP_SELECT_SOFTKEYS, &m);
	assert_int_equal(m.u.select_softkeys.softkey_set_index, 0);
	assert_int_equal(m.u.select_softkeys.valid_key_mask, 0xFFFFFFFF);
	decode("cm_cap_reg_idle", "46", SCCP_DISPLAY_PROMPT_STATUS, &m);
	assert_string_equal(m.u.display_prompt.text, "\x80\x13"); /* Your current options */
	decode("cm_cap_reg_ready", "63", SCCP_DISPLAY_PROMPT_STATUS, &m);
	assert_string_equal(m.u.display_prompt.text, "\x80\x13");
	assert_int_equal(m.u.display_prompt.call_reference, 0);

	/* Wireshark's order: index, id, label[40], status. */
	decode("cm_cap_assets", "50", SCCP_FEATURE_STAT_RES, &m);
	assert_int_equal(m.u.feature_stat.instance, 1);
	assert_int_equal(m.u.feature_stat.type, 3);
	assert_string_equal(m.u.feature_stat.text_label, "\x80");
	assert_int_equal(m.u.feature_stat.status, 0);
}

static void test_call_ring_and_answer(void **state)
{
	(void)state;
	struct sccp_msg m;

	decode("cm_call_ring", "132", SCCP_CALL_STATE, &m);
	assert_int_equal(m.u.call_state.call_state, SCCP_CS_RINGIN);
	assert_int_equal(m.u.call_state.line_instance, 1);
	assert_int_equal(m.u.call_state.call_reference, 0x100001f);
	decode("cm_call_ring", "133", SCCP_SELECT_SOFTKEYS, &m);
	assert_int_equal(m.u.select_softkeys.softkey_set_index, 3); /* RingIn */
	decode("cm_call_ring", "134", SCCP_DISPLAY_PROMPT_STATUS, &m);
	assert_string_equal(m.u.display_prompt.text, "\x80\x17"
	                                             "1003"); /* From 1003 */
	assert_int_equal(m.u.display_prompt.call_reference, 0x100001f);
	decode("cm_call_ring", "135", SCCP_DISPLAY_PRI_NOTIFY, &m);
	assert_int_equal(m.u.display_pri_notify.timeout, 10);
	assert_int_equal(m.u.display_pri_notify.priority, 5);
	assert_string_equal(m.u.display_pri_notify.text, "\x80\x17"
	                                                 "1003");
	decode("cm_call_ring", "137", SCCP_SET_LAMP, &m);
	assert_int_equal(m.u.set_lamp.stimulus, SCCP_STIMULUS_LINE);
	assert_int_equal(m.u.set_lamp.lamp_mode, SCCP_LAMP_BLINK);
	decode("cm_call_ring", "138", SCCP_SET_RINGER, &m);
	assert_int_equal(m.u.set_ringer.ring_mode, 2); /* inside ring */
	assert_int_equal(m.u.set_ringer.line_instance, 1);
	assert_int_equal(m.u.set_ringer.call_reference, 0x100001f);

	decode("cm_call_answer", "141", SCCP_SET_RINGER, &m);
	assert_int_equal(m.u.set_ringer.ring_mode, 1); /* off */
	decode("cm_call_answer", "142", SCCP_SET_SPEAKER_MODE, &m);
	assert_int_equal(m.u.set_speaker_mode.value, 1);
	decode("cm_call_answer", "143", SCCP_SET_LAMP, &m);
	assert_int_equal(m.u.set_lamp.lamp_mode, SCCP_LAMP_ON);
	decode("cm_call_answer", "144", SCCP_CALL_STATE, &m);
	assert_int_equal(m.u.call_state.call_state, SCCP_CS_OFFHOOK);
	assert_int_equal(m.u.call_state.call_reference, 0x100001f);
	decode("cm_call_answer", "145", SCCP_ACTIVATE_CALL_PLANE, &m);
	assert_int_equal(m.u.activate_call_plane.value, 1);
	decode("cm_call_answer", "146", SCCP_SET_RINGER, &m);
	assert_int_equal(m.u.set_ringer.ring_mode, 1);
	assert_int_equal(m.u.set_ringer.call_reference, 0x100001f);
	decode("cm_call_answer", "147", SCCP_STOP_TONE, &m);
	assert_int_equal(m.u.stop_tone.line_instance, 1);
	assert_int_equal(m.u.stop_tone.call_reference, 0x100001f);
	assert_false(m.u.stop_tone.has_tone);
	decode("cm_call_answer", "150", SCCP_CALL_STATE, &m);
	assert_int_equal(m.u.call_state.call_state, SCCP_CS_CONNECTED);
	decode("cm_call_answer", "151", SCCP_SELECT_SOFTKEYS, &m);
	assert_int_equal(m.u.select_softkeys.softkey_set_index, 1); /* Connected */
	assert_int_equal(m.u.select_softkeys.valid_key_mask, 0xFFFFFDFF);
}

static void test_media(void **state)
{
	(void)state;
	struct sccp_msg m;

	/* CallManager 4.x: the 68-byte OpenReceiveChannel has no key block: no encryption. */
	decode("cm_call_open_rx", "148", SCCP_OPEN_RECEIVE_CHANNEL, &m);
	const struct sccp_open_receive_channel *o = &m.u.orc;
	assert_int_equal(o->conference_id, 0x100001f);
	assert_int_equal(o->pass_through_party_id, 0x1000101);
	assert_int_equal(o->packet_ms, 20);
	assert_int_equal(o->compression_type, 4);
	assert_int_equal(o->ec_value, 0);
	assert_int_equal(o->call_reference, 0x100001f);
	assert_false(o->has_key);
	assert_int_equal(o->rx_key.algorithm, SCCP_ALG_NONE);
	assert_false(o->has_source);

	decode("cm_call_media", "154", SCCP_START_MEDIA_TRANSMISSION, &m);
	const struct sccp_start_media_transmission *s = &m.u.smt;
	assert_int_equal(s->pass_through_party_id, 0x1000101);
	assert_memory_equal(s->remote_ip.addr, ((const uint8_t[]){0x0a, 0x66, 0xdb, 0x1b}), 4);
	assert_int_equal(s->remote_port, 0xeb1a);
	assert_int_equal(s->packet_ms, 20);
	assert_int_equal(s->compression_type, 4);
	assert_int_equal(s->precedence, 0xb8);
	assert_int_equal(s->call_reference, 0x100001f);
	assert_false(s->has_key);
	char line[512];
	sccp_msg_format(&m, line, sizeof(line));
	assert_non_null(strstr(line, "remote=10.102.219.27:60186"));
	assert_non_null(strstr(line, "key=absent"));

	decode("cm_call_media", "155", SCCP_OPEN_RECEIVE_CHANNEL_ACK, &m);
	const struct sccp_open_receive_channel_ack *a = &m.u.orc_ack;
	assert_int_equal(a->status, 0);
	assert_memory_equal(a->ip.addr, ((const uint8_t[]){0x0a, 0x66, 0x0a, 0xd1}), 4);
	assert_int_equal(a->port, 0x4000);
	assert_int_equal(a->pass_through_party_id, 0x1000101);
	assert_false(a->has_call_reference);
}

static void test_cut_registration_frames(void **state)
{
	(void)state;
	struct sccp_msg m;

	decode_repaired("cm33_reg", "config_stat", SCCP_CONFIG_STAT_RES, &m);
	assert_string_equal(m.u.config_stat.device_name, "SEP222233334444");
	assert_string_equal(m.u.config_stat.user_name, "");
	assert_string_equal(m.u.config_stat.server_name, "PUB33");
	decode_repaired("cm31_reg", "config_stat", SCCP_CONFIG_STAT_RES, &m);
	assert_string_equal(m.u.config_stat.server_name, "PUBLISHER");

	decode_repaired("cm31_reg", "line_stat", SCCP_LINE_STAT_RES, &m);
	assert_int_equal(m.u.line_stat.line_number, 1);
	assert_string_equal(m.u.line_stat.dir_number, "1003");
	assert_string_equal(m.u.line_stat.fq_display_name, "8165551003");
	assert_string_equal(m.u.line_stat.text_label, ""); /* 3.1 sends no label */
	assert_false(m.u.line_stat.has_display_options);
	decode_repaired("cm33_reg", "line_stat", SCCP_LINE_STAT_RES, &m);
	assert_string_equal(m.u.line_stat.dir_number, "1003");
	assert_string_equal(m.u.line_stat.fq_display_name, "8165551003");
	assert_string_equal(m.u.line_stat.text_label, "Line 1003");
	assert_false(m.u.line_stat.has_display_options);

	decode_repaired("cm31_reg", "time_date", SCCP_DEFINE_TIME_DATE, &m);
	assert_int_equal(m.u.time_date.year, 2026);
	assert_int_equal(m.u.time_date.month, 6);
	assert_int_equal(m.u.time_date.day_of_week, 5);
	assert_int_equal(m.u.time_date.day, 5);
	assert_int_equal(m.u.time_date.hour, 23);
	assert_int_equal(m.u.time_date.minute, 18);
	assert_int_equal(m.u.time_date.second, 47);
	decode_repaired("cm33_reg", "time_date", SCCP_DEFINE_TIME_DATE, &m);
	assert_int_equal(m.u.time_date.day, 6);
	assert_int_equal(m.u.time_date.hour, 4);
	assert_int_equal(m.u.time_date.minute, 21);
	assert_int_equal(m.u.time_date.second, 37);

	decode_repaired("cm31_reg", "button_template", SCCP_BUTTON_TEMPLATE_RES, &m);
	assert_int_equal(m.u.button_template.count, 6);
	assert_int_equal(m.u.button_template.total, 6);
	assert_int_equal(m.u.button_template.buttons[0].instance, 1);
	assert_int_equal(m.u.button_template.buttons[0].definition, 0x09); /* line 1 */
	assert_int_equal(m.u.button_template.buttons[1].definition, 0x09); /* line 2 */
	assert_int_equal(m.u.button_template.buttons[5].instance, 4);
	assert_int_equal(m.u.button_template.buttons[5].definition, 0x02); /* speed dial 4 */
	decode_repaired("cm33_reg", "button_template", SCCP_BUTTON_TEMPLATE_RES, &m);
	assert_int_equal(m.u.button_template.count, 8);

	static const char *const labels31[] = {"Redial",   "NewCall",      "Hold",   "Trnsfer", "CFwdAll",
	                                       "CFwdBusy", "CFwdNoAnswer", "<<",     "EndCall", "Resume",
	                                       "Answer",   "Info",         "Confrn", "Park",    "Join",
	                                       "MeetMe",   "PickUp",       "GPickUp"};
	decode_repaired("cm31_reg", "softkey_template", SCCP_SOFTKEY_TEMPLATE_RES, &m);
	assert_int_equal(m.u.softkey_template.count, 18);
	for (uint32_t i = 0; i < 18; i++) {
		assert_string_equal(m.u.softkey_template.keys[i].label, labels31[i]);
		assert_int_equal(m.u.softkey_template.keys[i].event, i + 1);
	}
	decode_repaired("cm33_reg", "softkey_template", SCCP_SOFTKEY_TEMPLATE_RES, &m);
	assert_int_equal(m.u.softkey_template.count, 16);
	assert_string_equal(m.u.softkey_template.keys[5].label, "<<");
	assert_int_equal(m.u.softkey_template.keys[5].event, 8);
	assert_string_equal(m.u.softkey_template.keys[15].label, "Barge");
	assert_int_equal(m.u.softkey_template.keys[15].event, 21);

	decode_repaired("cm31_reg", "select_softkeys", SCCP_SELECT_SOFTKEYS, &m);
	assert_int_equal(m.u.select_softkeys.valid_key_mask, 0);
	decode_repaired("cm33_reg", "display", SCCP_DISPLAY_PROMPT_STATUS, &m);
	assert_string_equal(m.u.display_prompt.text, "Your current options");

	/* CallManager 4.x asset frames cut at 536 bytes by the capture. */
	decode_repaired("cm_cap_assets", "40", SCCP_SOFTKEY_TEMPLATE_RES, &m);
	assert_int_equal(m.u.softkey_template.count, 20);
	assert_string_equal(m.u.softkey_template.keys[0].label, "\x80\x01"); /* Redial label code */
	assert_int_equal(m.u.softkey_template.keys[19].event, 33);
	decode_repaired("cm_cap_assets", "43", SCCP_SOFTKEY_SET_RES, &m);
	assert_int_equal(m.u.softkey_set.count, 11);
	assert_int_equal(m.u.softkey_set.sets[0].template_index[2], 5);
	assert_int_equal(m.u.softkey_set.sets[0].info_index[0], 301);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_frame),
	    cmocka_unit_test(test_byte_identical),
	    cmocka_unit_test(test_new_call),
	    cmocka_unit_test(test_registration_idle),
	    cmocka_unit_test(test_call_ring_and_answer),
	    cmocka_unit_test(test_media),
	    cmocka_unit_test(test_cut_registration_frames),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
