/* `vmport ca`: the integration's root CA and port certificates (protocol.md §7.3).
 *   ca init -c CONF                  create what is missing; print what was created and kept
 *   ca export-root -c CONF -o FILE   the root as PEM plus its "<subject-hash>.0" copy, for CUCM
 *   ca show -c CONF                  what is there, changing nothing */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

#include "clock/hal_clock.h"
#include "config.h"
#include "log.h"
#include "pki/pki.h"

#define CA_USAGE                                                                                             \
	"usage: vmport ca init -c CONF [-v]\n"                                                               \
	"       vmport ca export-root -c CONF -o ROOT.pem\n"                                                 \
	"       vmport ca show -c CONF\n"

struct ca_args {
	const char *conf;
	const char *out;
	bool verbose;
};

static int parse_args(int argc, char **argv, struct ca_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			a->conf = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			a->out = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			a->verbose = true;
		else
			return -1;
	}
	return a->conf ? 0 : -1;
}

static void print_cert(const char *label, const uint8_t *der, size_t len)
{
	struct pki_cert_facts f;
	if (pki_cert_facts(der, len, &f)) {
		printf("%s: unreadable certificate\n", label);
		return;
	}
	char fp[96], from[32], until[32];
	pki_format_fingerprint(f.sha256, fp);
	pki_format_time(f.not_before, from);
	pki_format_time(f.not_after, until);
	printf("%s\n  subject      %s\n  issuer       %s\n  serial       %s\n  valid        %s to %s\n"
	       "  SHA-256      %s\n  subject hash %08x\n",
	       label, f.subject, f.issuer, f.serial_hex, from, until, fp, f.subject_hash);
}

static const char *action_name(enum pki_action a)
{
	return a == PKI_CREATED ? "created" : a == PKI_REISSUED ? "re-issued" : "kept";
}

static void on_item(void *arg, const char *name, enum pki_action action, const char *reason)
{
	(void)arg;
	char label[32];
	if (strcmp(name, "root"))
		snprintf(label, sizeof(label), "port %s", name);
	else
		snprintf(label, sizeof(label), "root");
	printf("%-20s %s%s%s\n", label, action_name(action), reason[0] ? ": " : "", reason);
}

static int load_config(const struct ca_args *a, struct vmport_config *cfg)
{
	char err[512];
	if (vmport_config_load(cfg, a->conf, err, sizeof(err))) {
		fprintf(stderr, "vmport ca: %s\n", err);
		return -1;
	}
	if (a->verbose)
		vm_log_set_level(VM_LOG_DEBUG);
	return 0;
}

static int ensure(const struct vmport_config *cfg, bool print_items, struct pki_report *rep)
{
	char err[512];
	memset(rep, 0, sizeof(*rep));
	rep->on_item = print_items ? on_item : NULL;
	if (pki_ensure_report(cfg, hal_clock_wall_s(), rep, err, sizeof(err))) {
		fprintf(stderr, "vmport ca: %s\n", err);
		return -1;
	}
	return 0;
}

static int print_root(const struct vmport_config *cfg)
{
	uint8_t der[PKI_CERT_DER_MAX];
	size_t len = 0;
	char err[512], label[VMPORT_PATH_MAX + 64], path[VMPORT_PATH_MAX + 32];
	if (pki_load_root(cfg, der, sizeof(der), &len, err, sizeof(err))) {
		fprintf(stderr, "vmport ca: %s\n", err);
		return -1;
	}
	pki_root_path(cfg, ".pem", path, sizeof(path));
	snprintf(label, sizeof(label), "root certificate %s", path);
	print_cert(label, der, len);
	return 0;
}

static int ca_init(const struct vmport_config *cfg)
{
	struct pki_report rep;
	if (ensure(cfg, true, &rep) || print_root(cfg))
		return 1;
	printf("%u created, %u re-issued, %u kept", rep.created, rep.reissued, rep.kept);
	if (rep.keygens)
		printf("; %u RSA-%d keys generated, %.0f ms each on average", rep.keygens, PKI_RSA_BITS,
		       rep.keygen_ms_total / rep.keygens);
	printf("\n");
	if (rep.root != PKI_KEPT)
		printf("The root is new: run `vmport ca export-root -c CONF -o ROOT.pem` and upload it to "
		       "CUCM.\n");
	return 0;
}

static int ca_export_root(const struct vmport_config *cfg, const char *out)
{
	struct pki_report rep;
	if (ensure(cfg, false, &rep))
		return 1;
	char copy[VMPORT_PATH_MAX + 64], err[512];
	if (pki_export_root(cfg, out, copy, sizeof(copy), err, sizeof(err))) {
		fprintf(stderr, "vmport ca: %s\n", err);
		return 1;
	}
	if (print_root(cfg))
		return 1;
	printf("wrote %s\n", out);
	printf("wrote %s (the same certificate, named by its OpenSSL subject hash)\n", copy);
	printf("Next: upload %s to every CUCM node as CallManager-trust, then restart Cisco CallManager.\n",
	       out);
	return 0;
}

static int ca_show(const struct vmport_config *cfg)
{
	uint8_t root[PKI_CERT_DER_MAX];
	size_t root_len = 0;
	char err[512];
	if (pki_load_root(cfg, root, sizeof(root), &root_len, err, sizeof(err))) {
		fprintf(stderr, "vmport ca: %s\n", err);
		return 1;
	}
	if (print_root(cfg))
		return 1;
	int64_t now = hal_clock_wall_s();
	unsigned bad = 0;
	for (unsigned n = 1; n <= cfg->ports; n++) {
		char device[16], reason[512];
		vmport_config_device_name(cfg, n, device);
		int rc = pki_port_check(cfg, device, root, root_len, now, reason, sizeof(reason));
		if (rc < 0) {
			fprintf(stderr, "vmport ca: port %s: %s\n", device, reason);
			return 1;
		}
		if (rc > 0) {
			printf("port %-15s NEEDS ISSUING: %s\n", device, reason);
			bad++;
			continue;
		}
		struct pki_identity id_store, *id = &id_store;
		struct pki_cert_facts f;
		if (pki_load_port_identity(cfg, device, id, err, sizeof(err)) == 0 &&
		    pki_cert_facts(id->cert, id->cert_len, &f) == 0) {
			char fp[96], until[32];
			pki_format_fingerprint(f.sha256, fp);
			pki_format_time(f.not_after, until);
			printf("port %-15s ok, valid until %s, SHA-256 %s\n", device, until, fp);
		}
		pki_identity_wipe(id);
	}
	if (bad)
		printf("%u of %u ports need certificates: run `vmport ca init -c CONF`\n", bad, cfg->ports);
	return bad ? 1 : 0;
}

int cmd_ca(int argc, char **argv)
{
	struct ca_args a;
	if (argc < 2 || parse_args(argc, argv, &a)) {
		fprintf(stderr, CA_USAGE);
		return 2;
	}
	struct vmport_config cfg;
	if (!strcmp(argv[1], "init")) {
		return load_config(&a, &cfg) ? 1 : ca_init(&cfg);
	} else if (!strcmp(argv[1], "export-root")) {
		if (!a.out) {
			fprintf(stderr, CA_USAGE);
			return 2;
		}
		return load_config(&a, &cfg) ? 1 : ca_export_root(&cfg, a.out);
	} else if (!strcmp(argv[1], "show")) {
		return load_config(&a, &cfg) ? 1 : ca_show(&cfg);
	}
	fprintf(stderr, "vmport ca: unknown sub-command '%s'\n" CA_USAGE, argv[1]);
	return 2;
}
