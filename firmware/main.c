/* vmport: secure SCCP voicemail ports for embedded Linux boards. Dispatches sub-commands. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

#ifndef VMPORT_VERSION
#define VMPORT_VERSION "0.0.0"
#endif

struct vmport_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vmport %s\n", VMPORT_VERSION);
	return 0;
}

static const struct vmport_cmd commands[] = {
	{"version", cmd_version, "version                 print the version"},
	{"decode", cmd_decode,
	 "decode HEX... | -f FILE decode SCCP PDUs given as hex, or a raw SCCP byte stream from FILE (- for stdin)"},
};

static void usage(FILE *to)
{
	fprintf(to, "usage: vmport COMMAND [ARGS]\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vmport: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
