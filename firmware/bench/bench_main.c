/* vmport-bench: figures measured on this machine, each next to the baseline it should be judged
 * against (bare library cost, bare timer thread), printed in one run. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const struct bench_command commands[] = {
    {"media",
     "media --streams N --seconds S [--suite 1|2|5|6] [--ptime MS] [--prio P] [--cpu C] "
     "[--peer-cpu C] [--warmup S] [--slot-fill K] [--no-rt]",
     bench_media_main},
    {"register",
     "register --ports N[,N...] [--repeat K] [--rate R] [--dir DIR] [--keep] (register --help: all)",
     bench_register_main},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vmport-bench COMMAND [options]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  vmport-bench %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vmport-bench: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
