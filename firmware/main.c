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
     "decode HEX... | -f FILE decode SCCP PDUs given as hex, or a raw SCCP byte stream from FILE (- for "
     "stdin)"},
    {"ctl", cmd_ctl,
     "ctl show FILE [-c CONF] | show --fetch -c CONF [--timeout MS]  the CTL as CUCM's `show ctl`"},
    {"run", cmd_run,
     "run -c CONF [-b BOARD] [--monitor PORT] [-v]  run the port group in the foreground (SIGTERM: "
     "unregister, exit)"},
    {"status", cmd_status, "status -c CONF          one line per port of the running port group"},
    {"mwi", cmd_mwi, "mwi on|off EXT -c CONF  set or clear the message-waiting lamp of EXT"},
    {"monitor", cmd_monitor, "monitor [PORT|off] -c CONF  listen to a port's calls on the board's codec"},
    {"messages", cmd_messages, "messages heard EXT -c CONF  mark EXT's messages heard (MWI off)"},
    {"greeting", cmd_greeting,
     "greeting record -c CONF [-b BOARD] [--seconds N] [-o FILE]  record the greeting from the board's "
     "codec input"},
    {"ca", cmd_ca, "ca init|export-root|show -c CONF [-o ROOT.pem]  the root CA and port certificates"},
    {"labcm", cmd_labcm,
     "labcm -c LABCONF | status -c LABCONF | call --from N --to N [--forward-to-voicemail] [--play F] "
     "[--record F] "
     "[--seconds N] -c LABCONF  the lab CallManager"},
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
