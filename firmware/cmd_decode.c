/* `vmport decode`: turn SCCP bytes into one readable line per message. For field engineers
 * reading a trace, and for checking what a CallManager actually sent. */
#include "cmd.h"

#include "sccp/sccp_format.h"
#include "sccp/sccp_msg.h"
#include "sccp/sccp_stream.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int hex_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Hex digits to bytes; spaces and colons between bytes are allowed. Returns the byte count or -1. */
static long hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = hex; *p;) {
		if (*p == ' ' || *p == ':' || *p == '\n' || *p == '\r' || *p == '\t') {
			p++;
			continue;
		}
		int hi = hex_value((unsigned char)p[0]);
		int lo = p[1] ? hex_value((unsigned char)p[1]) : -1;
		if (hi < 0 || lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	return (long)n;
}

static void print_msg(const struct sccp_msg *m)
{
	char line[1024];
	sccp_msg_format(m, line, sizeof(line));
	printf("%s\n", line);
}

static int decode_hex_args(int argc, char **argv)
{
	int failures = 0;
	for (int i = 1; i < argc; i++) {
		static uint8_t pdu[SCCP_MAX_PDU + 64];
		long n = hex_to_bytes(argv[i], pdu, sizeof(pdu));
		if (n < 0) {
			fprintf(stderr, "vmport decode: argument %d is not hex (or longer than %u bytes)\n",
			        i, SCCP_MAX_PDU);
			failures++;
			continue;
		}
		struct sccp_msg m;
		int rc = sccp_decode(pdu, (size_t)n, &m);
		if (rc == SCCP_OK) {
			print_msg(&m);
			continue;
		}
		if (rc == SCCP_ERR_UNKNOWN_ID)
			printf("unknown message id 0x%04X hv=%u, %ld bytes: skipped\n", m.id, m.hv, n);
		else
			fprintf(stderr, "vmport decode: argument %d (%ld bytes): %s\n", i, n,
			        sccp_strerror(rc));
		failures++;
	}
	return failures ? 1 : 0;
}

static int decode_stream_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "vmport decode: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	static struct sccp_stream s;
	sccp_stream_init(&s);
	uint8_t chunk[1024];
	size_t offset = 0, pending = 0, messages = 0;
	int status = 0;
	bool eof = false;
	while (!status) {
		if (!eof && pending == 0) {
			pending = fread(chunk, 1, sizeof(chunk), f);
			eof = pending == 0;
			offset = 0;
		}
		if (pending) {
			size_t took = sccp_stream_feed(&s, chunk + offset, pending);
			offset += took;
			pending -= took;
		}
		struct sccp_msg m;
		int rc;
		while ((rc = sccp_stream_next(&s, &m)) != 0) {
			if (rc == 1) {
				print_msg(&m);
				messages++;
			} else if (rc == SCCP_ERR_SHORT_BODY || rc == SCCP_ERR_INVALID) {
				printf("malformed %s (0x%04X): %s\n",
				       sccp_msg_name(m.id) ? sccp_msg_name(m.id) : "?", m.id,
				       sccp_strerror(rc));
			} else {
				fprintf(stderr, "vmport decode: %s: stream broken after %zu messages: %s\n",
				        path, messages, sccp_strerror(rc));
				status = 1;
				break;
			}
		}
		if (eof)
			break;
	}
	if (!status && sccp_stream_buffered(&s) > 0) {
		fprintf(stderr, "vmport decode: %s: %zu trailing bytes do not make a whole message\n", path,
		        sccp_stream_buffered(&s));
		status = 1;
	}
	printf("%zu messages, %u unknown ids skipped, %u malformed\n", messages, s.unknown_count,
	       s.malformed_count);
	if (f != stdin)
		fclose(f);
	return status;
}

int cmd_decode(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: vmport decode HEX... | vmport decode -f FILE\n");
		return 2;
	}
	if (!strcmp(argv[1], "-f")) {
		if (argc != 3) {
			fprintf(stderr, "usage: vmport decode -f FILE\n");
			return 2;
		}
		return decode_stream_file(argv[2]);
	}
	return decode_hex_args(argc, argv);
}
