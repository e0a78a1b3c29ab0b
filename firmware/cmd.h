/* vmport sub-commands: each is `int cmd_<name>(int argc, char **argv)` returning the exit status. */
#ifndef VMPORT_CMD_H
#define VMPORT_CMD_H

int cmd_decode(int argc, char **argv);

#endif
