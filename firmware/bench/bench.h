/* vmport-bench sub-commands. Each takes the arguments after its name and returns the exit status. */
#ifndef VMPORT_BENCH_H
#define VMPORT_BENCH_H

struct bench_command {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

int bench_media_main(int argc, char **argv);
int bench_register_main(int argc, char **argv);

#endif
