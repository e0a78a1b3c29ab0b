/* How a fetched CTL differs from the cached one, record by record: what a field engineer wants to
 * see after CUCM regenerated a certificate or a node was added. */
#include "trust/trust_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool bytes_eq(struct ctl_bytes a, struct ctl_bytes b)
{
	return a.len == b.len && (a.len == 0 || !memcmp(a.data, b.data, a.len));
}

/* Identity of a record: role + subject; records without a subject (non-secure CTLs) use the DNS
 * name, then the IP address. */
static bool same_identity(const struct ctl_record *a, const struct ctl_record *b)
{
	if (a->role != b->role)
		return false;
	if (a->subject.len || b->subject.len)
		return bytes_eq(a->subject, b->subject);
	if (a->dns_name.len || b->dns_name.len)
		return bytes_eq(a->dns_name, b->dns_name);
	return !memcmp(a->ip, b->ip, 4);
}

static void describe(const struct ctl_record *r, size_t index, char *buf, size_t cap)
{
	char fp[96] = "(no certificate)";
	if (r->cert.len)
		vm_trust_fingerprint(r->cert.data, r->cert.len, fp);
	struct ctl_bytes name = r->subject.len ? r->subject : r->dns_name;
	snprintf(buf, cap, "record #%zu %s %.*s IP %u.%u.%u.%u SHA-256 %s", index + 1, ctl_role_name(r->role),
	         (int)(name.len > 200 ? 200 : name.len), name.len ? (const char *)name.data : "(no name)",
	         r->ip[0], r->ip[1], r->ip[2], r->ip[3], fp);
}

static void emitf(vm_trust_line_fn fn, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void emitf(vm_trust_line_fn fn, void *ctx, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (fn)
		fn(ctx, line);
}

void vm_trust_diff(const struct ctl_file *old_ctl, const struct ctl_file *new_ctl, vm_trust_line_fn fn,
                   void *ctx, struct vm_trust_diff_counts *counts)
{
	struct vm_trust_diff_counts c = {0};
	bool matched[CTL_MAX_RECORDS] = {false};
	char a[600], b[600];
	size_t n_old = old_ctl ? old_ctl->n_records : 0, n_new = new_ctl ? new_ctl->n_records : 0;
	for (size_t i = 0; i < n_old; i++) {
		const struct ctl_record *o = &old_ctl->records[i];
		size_t j = 0;
		while (j < n_new && (matched[j] || !same_identity(o, &new_ctl->records[j])))
			j++;
		describe(o, i, a, sizeof(a));
		if (j == n_new) {
			c.removed++;
			emitf(fn, ctx, "- removed %s", a);
			continue;
		}
		matched[j] = true;
		const struct ctl_record *n = &new_ctl->records[j];
		if (bytes_eq(o->cert, n->cert) && !memcmp(o->ip, n->ip, 4) &&
		    bytes_eq(o->dns_name, n->dns_name)) {
			c.same++;
			continue;
		}
		c.changed++;
		describe(n, j, b, sizeof(b));
		emitf(fn, ctx, "~ changed %s", a);
		emitf(fn, ctx, "       to %s", b);
	}
	for (size_t j = 0; j < n_new; j++) {
		if (matched[j])
			continue;
		c.added++;
		describe(&new_ctl->records[j], j, b, sizeof(b));
		emitf(fn, ctx, "+ added %s", b);
	}
	if (counts)
		*counts = c;
}
