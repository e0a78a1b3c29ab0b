/* vmport sub-commands: each is `int cmd_<name>(int argc, char **argv)` returning the exit status. */
#ifndef VMPORT_CMD_H
#define VMPORT_CMD_H

int cmd_decode(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_mwi(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_messages(int argc, char **argv);
int cmd_labcm(int argc, char **argv);
int cmd_greeting(int argc, char **argv);

#endif
