/* A two-way cursor over an SCCP body: each message's layout is written once, as a "walk" that
 * either reads fields from the wire (decode) or writes them (encode). One description per
 * message keeps both directions symmetric by construction.
 *
 * Every access is bounds-checked. A failed access sets `err` and turns the cursor into a no-op,
 * so a walk can run to its end and the caller checks `err` once. Internal to proto/sccp. */
#ifndef VMPORT_SCCP_CURSOR_H
#define VMPORT_SCCP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sccp_msg.h"

struct sccp_cur {
	uint8_t *buf; /* encode: output body; decode: input body (never written) */
	size_t len;   /* decode: body length; encode: capacity */
	size_t off;
	uint32_t hv; /* header version choosing the layout */
	bool enc;    /* true: write fields; false: read them */
	int err;     /* first error (an sccp_err), 0 when fine */
};

static inline bool cur_ok(const struct sccp_cur *c)
{
	return c->err == 0;
}
static inline size_t cur_left(const struct sccp_cur *c)
{
	return c->off <= c->len ? c->len - c->off : 0;
}

/* Claim n bytes at the cursor; NULL (and err set) when they are not there. */
static inline uint8_t *cur_take(struct sccp_cur *c, size_t n)
{
	if (c->err)
		return NULL;
	if (cur_left(c) < n) {
		c->err = c->enc ? SCCP_ERR_NO_SPACE : SCCP_ERR_SHORT_BODY;
		return NULL;
	}
	uint8_t *p = c->buf + c->off;
	c->off += n;
	return p;
}

static inline void cur_u8(struct sccp_cur *c, uint8_t *v)
{
	uint8_t *p = cur_take(c, 1);
	if (!p)
		return;
	if (c->enc)
		p[0] = *v;
	else
		*v = p[0];
}

static inline void cur_u16(struct sccp_cur *c, uint16_t *v)
{
	uint8_t *p = cur_take(c, 2);
	if (!p)
		return;
	if (c->enc) {
		p[0] = (uint8_t)(*v & 0xFF);
		p[1] = (uint8_t)(*v >> 8);
	} else {
		*v = (uint16_t)(p[0] | (p[1] << 8));
	}
}

static inline void cur_u32(struct sccp_cur *c, uint32_t *v)
{
	uint8_t *p = cur_take(c, 4);
	if (!p)
		return;
	if (c->enc) {
		p[0] = (uint8_t)(*v & 0xFF);
		p[1] = (uint8_t)((*v >> 8) & 0xFF);
		p[2] = (uint8_t)((*v >> 16) & 0xFF);
		p[3] = (uint8_t)(*v >> 24);
	} else {
		*v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
	}
}

static inline void cur_i32(struct sccp_cur *c, int32_t *v)
{
	uint32_t u = (uint32_t)*v;
	cur_u32(c, &u);
	if (!c->enc)
		*v = (int32_t)u;
}

/* Raw bytes kept in wire order (addresses, MACs, keys). */
static inline void cur_bytes(struct sccp_cur *c, uint8_t *b, size_t n)
{
	uint8_t *p = cur_take(c, n);
	if (!p)
		return;
	if (c->enc)
		memcpy(p, b, n);
	else
		memcpy(b, p, n);
}

/* Reserved or padding bytes: zero on encode, skipped on decode. */
static inline void cur_skip(struct sccp_cur *c, size_t n)
{
	uint8_t *p = cur_take(c, n);
	if (p && c->enc)
		memset(p, 0, n);
}

/* A fixed char[n] field; s holds n + 1 bytes. Decode copies up to the first NUL and always
 * terminates (a field that fills its array has no NUL on the wire). Encode NUL-pads; a longer
 * string cannot be carried and is an error, never silently cut. */
static inline void cur_str(struct sccp_cur *c, char *s, size_t n)
{
	if (c->enc) {
		size_t sl = strnlen(s, n + 1);
		if (sl > n) {
			if (!c->err)
				c->err = SCCP_ERR_INVALID;
			return;
		}
		uint8_t *p = cur_take(c, n);
		if (!p)
			return;
		memset(p, 0, n);
		memcpy(p, s, sl);
	} else {
		uint8_t *p = cur_take(c, n);
		if (!p) {
			s[0] = '\0';
			return;
		}
		size_t sl = strnlen((const char *)p, n);
		memcpy(s, p, sl);
		s[sl] = '\0';
	}
}

/* A packed NUL-terminated string of a V2 (dynamic) message; s holds max + 1 bytes. Decode of a
 * string longer than max, or one that runs off the body, is an error. */
static inline void cur_vstr(struct sccp_cur *c, char *s, size_t max)
{
	if (c->enc) {
		size_t sl = strnlen(s, max + 1);
		if (sl > max) {
			if (!c->err)
				c->err = SCCP_ERR_INVALID;
			return;
		}
		cur_bytes(c, (uint8_t *)s, sl + 1);
		return;
	}
	if (c->err) {
		s[0] = '\0';
		return;
	}
	const uint8_t *p = c->buf + c->off;
	size_t left = cur_left(c);
	const uint8_t *nul = memchr(p, 0, left < max + 1 ? left : max + 1);
	if (!nul) {
		c->err = left <= max ? SCCP_ERR_SHORT_BODY : SCCP_ERR_INVALID;
		s[0] = '\0';
		return;
	}
	size_t sl = (size_t)(nul - p);
	memcpy(s, p, sl);
	s[sl] = '\0';
	c->off += sl + 1;
}

/* An optional trailing group of n bytes. Decode: present when the body still holds n bytes (a
 * shorter remainder is an unparsed tail, tolerated). Encode: present as the struct says. */
static inline bool cur_opt(struct sccp_cur *c, bool *present, size_t n)
{
	if (c->err)
		return false;
	if (!c->enc)
		*present = cur_left(c) >= n;
	return *present;
}

#endif
