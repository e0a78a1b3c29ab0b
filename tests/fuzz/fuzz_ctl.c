/* libFuzzer target for proto/ctl: parse arbitrary bytes; whatever parses is also formatted, searched
 * for CCM servers, listed for pinning and verified. Seeds: corpus/fuzz_ctl/ (written by
 * `ctl_tool seeds DIR`, tests/ctl/ctl_tool.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctl/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_file file; /* large: keep it off the stack */

static void count_line(void *ctx, const char *line)
{
	*(size_t *)ctx += strlen(line) + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_error err;
	char msg[300];
	if (ctl_parse(data, size, &file, &err) != CTL_OK) {
		ctl_error_format(&err, msg, sizeof(msg));
		return 0;
	}

	size_t chars = 0;
	char small[97];
	ctl_format(&file, NULL, count_line, &chars);
	if (ctl_format_buf(&file, NULL, small, sizeof(small)) != chars)
		__builtin_trap();

	static const uint8_t ip[4] = {10, 0, 0, 10};
	ctl_select_ccm(&file, ip, NULL, &err);
	ctl_select_ccm(&file, NULL, "cucm-pub.lab.example", &err);
	ctl_select_ccm(&file, NULL, "10.48.47.153", &err);
	if (file.n_records > 0 && file.records[0].dns_name.len > 0 && file.records[0].dns_name.len < 64) {
		char host[64];
		memcpy(host, file.records[0].dns_name.data, file.records[0].dns_name.len);
		host[file.records[0].dns_name.len] = '\0';
		ctl_select_ccm(&file, NULL, host, &err);
	}

	struct ctl_bytes pins[4];
	size_t n = ctl_sast_certs(&file, pins, 4);
	struct ctl_verify_opts opts = {pins, n < 4 ? n : 4, CTL_VERIFY_CERT_HASHES};
	size_t signer;
	ctl_verify(&file, n ? &opts : NULL, &signer, &err);
	ctl_error_format(&err, msg, sizeof(msg));
	return 0;
}
