/* "The CallManager certificate for server X" (protocol.md §6.5): a CCM or CCM+TFTP record whose
 * IP_ADDRESS, DNS_NAME or subject CN names the configured server. */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_internal.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool name_eq(struct ctl_bytes a, const char *b)
{
	size_t n = strlen(b);
	if (a.len != n || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(a.data[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Strict dotted quad: four decimal numbers 0..255, no leading '+', no spaces. */
static bool parse_ipv4(const char *s, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

/* CN of a SUBJECT_NAME string such as `CN=cucm-pub;OU=TAC;O=Cisco` or `cn="SAST-ADN0054f509 ";ou=IPCBU`. */
static struct ctl_bytes subject_string_cn(struct ctl_bytes s)
{
	struct ctl_bytes none = {NULL, 0};
	size_t i = 0;
	while (i < s.len) {
		while (i < s.len && (s.data[i] == ' ' || s.data[i] == ';' || s.data[i] == ','))
			i++;
		size_t start = i;
		while (i < s.len && s.data[i] != ';' && s.data[i] != ',')
			i++;
		const uint8_t *p = s.data + start;
		size_t n = i - start;
		if (n >= 3 && lower(p[0]) == 'c' && lower(p[1]) == 'n' && p[2] == '=') {
			struct ctl_bytes v = {p + 3, n - 3};
			while (v.len > 0 && v.data[0] == '"') {
				v.data++;
				v.len--;
			}
			while (v.len > 0 && (v.data[v.len - 1] == '"' || v.data[v.len - 1] == ' '))
				v.len--;
			return v;
		}
	}
	return none;
}

static struct ctl_bytes record_cn(const struct ctl_record *r)
{
	struct ctl_x509 x;
	if (r->cert.len > 0 && ctl_x509_parse(r->cert.data, r->cert.len, &x) == 0) {
		struct ctl_bytes cn = ctl_x509_cn(x.subject);
		if (cn.len > 0)
			return cn;
	}
	return subject_string_cn(r->subject);
}

static bool is_ccm(const struct ctl_record *r)
{
	return CTL_HAS(r, CTL_REC_FUNCTION) && (r->role == CTL_ROLE_CCM || r->role == CTL_ROLE_CCM_TFTP);
}

const struct ctl_record *ctl_select_ccm(const struct ctl_file *f, const uint8_t *ipv4, const char *host,
                                        struct ctl_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (host != NULL && host[0] == '\0')
		host = NULL;
	if (f == NULL || (ipv4 == NULL && host == NULL)) {
		ctl_fail(err, CTL_ERR_ARG, -1, -1, -1, "ctl_select_ccm: no server address or name");
		return NULL;
	}
	uint8_t ip[4];
	bool have_ip = false;
	if (ipv4 != NULL) {
		memcpy(ip, ipv4, 4);
		have_ip = true;
	} else {
		have_ip = parse_ipv4(host, ip);
	}
	static const uint8_t zero[4];
	if (have_ip && memcmp(ip, zero, 4) == 0)
		have_ip = false; /* records without an address carry 0.0.0.0 */

	char label[96];
	if (host != NULL)
		snprintf(label, sizeof(label), "%.80s", host);
	else
		snprintf(label, sizeof(label), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);

	int certless = 0; /* first matching record without a certificate, 1-based */
	size_t n_ccm = 0;
	/* Pass 0 matches the address, pass 1 the names: an address is what the port group configures. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < f->n_records; i++) {
			const struct ctl_record *r = &f->records[i];
			if (!is_ccm(r))
				continue;
			n_ccm += pass == 0;
			bool match;
			if (pass == 0)
				match =
				    have_ip && CTL_HAS(r, CTL_REC_IP_ADDRESS) && memcmp(r->ip, ip, 4) == 0;
			else
				match = host != NULL &&
				        (name_eq(r->dns_name, host) || name_eq(record_cn(r), host));
			if (!match)
				continue;
			if (r->cert.len > 0)
				return r;
			if (certless == 0)
				certless = (int)i + 1;
		}
	}
	if (certless != 0)
		ctl_fail(err, CTL_ERR_NOT_FOUND, (long)f->records[certless - 1].offset, certless,
		         CTL_REC_CERTIFICATE,
		         "failed to find CCM Server '%s' in CTL File: record %d (%s) names it but has no "
		         "CERTIFICATE",
		         label, certless, ctl_role_name(f->records[certless - 1].role));
	else
		ctl_fail(err, CTL_ERR_NOT_FOUND, -1, -1, -1,
		         "failed to find CCM Server '%s' in CTL File: none of its %zu CCM/CCM+TFTP records "
		         "has that "
		         "IP_ADDRESS, DNS_NAME or subject CN",
		         label, n_ccm);
	return NULL;
}
