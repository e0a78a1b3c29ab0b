/* trust_fixture DIR: fresh test identities and CTL files for test_ctl_cli.sh (made when the test
 * runs, so nothing can expire):
 *   good.tlv        signed by SAST-1, CCM+TFTP cucm1.lab 10.0.0.1
 *   changed.tlv     same SAST, cucm1's certificate regenerated, cucm2.lab 10.0.0.2 added
 *   other-sast.tlv  signed by an unrelated SAST-2
 *   corrupt.tlv     changed.tlv cut short by 7 bytes */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trust_test_util.h"

static int put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n == 0 || tt_write_file(path, p, n) != 0) {
		fprintf(stderr, "trust_fixture: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: trust_fixture DIR\n");
		return 2;
	}
	static struct tt_id sast1, sast2, ccm1, ccm1b, ccm2;
	if (tt_make_id(&sast1, 2048, "SAST-1", "SAST", 0x1111) ||
	    tt_make_id(&sast2, 2048, "SAST-2", "SAST", 0x2222) ||
	    tt_make_id(&ccm1, 2048, "cucm1.lab", "CCM", 0x3333) ||
	    tt_make_id(&ccm1b, 2048, "cucm1.lab", "CCM", 0x3334) ||
	    tt_make_id(&ccm2, 2048, "cucm2.lab", "CCM", 0x4444)) {
		fprintf(stderr, "trust_fixture: key generation failed\n");
		return 1;
	}
	static uint8_t good[16384], changed[16384], other[16384];
	uint32_t now = (uint32_t)time(NULL);
	struct ctl_build_record r[2] = {
	    {.role = CTL_ROLE_CCM_TFTP,
	     .cert = ccm1.cert,
	     .cert_len = ccm1.cert_len,
	     .ip = {10, 0, 0, 1},
	     .dns_name = "cucm1.lab"},
	    {.role = CTL_ROLE_CCM_TFTP,
	     .cert = ccm2.cert,
	     .cert_len = ccm2.cert_len,
	     .ip = {10, 0, 0, 2},
	     .dns_name = "cucm2.lab"},
	};
	size_t n_good = tt_build_ctl(good, sizeof(good), &sast1, r, 1, now);
	size_t n_other = tt_build_ctl(other, sizeof(other), &sast2, r, 1, now + 60);
	r[0].cert = ccm1b.cert;
	r[0].cert_len = ccm1b.cert_len;
	size_t n_changed = tt_build_ctl(changed, sizeof(changed), &sast1, r, 2, now + 120);
	if (put(argv[1], "good.tlv", good, n_good) || put(argv[1], "changed.tlv", changed, n_changed) ||
	    put(argv[1], "other-sast.tlv", other, n_other) ||
	    put(argv[1], "corrupt.tlv", changed, n_changed - 7))
		return 1;
	return 0;
}
