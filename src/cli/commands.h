/*
 * The `geneva` subcommands. Each takes argc/argv after the subcommand name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 nothing found / ok, 1 something found, 2 error (like clamscan).
 */
#ifndef GV_CLI_COMMANDS_H
#define GV_CLI_COMMANDS_H

int gv_cmd_version(int argc, char **argv);
int gv_cmd_scan(int argc, char **argv);
int gv_cmd_eval(int argc, char **argv);
int gv_cmd_learn(int argc, char **argv);
int gv_cmd_unlearn(int argc, char **argv);
int gv_cmd_files(int argc, char **argv);
int gv_cmd_milter(int argc, char **argv);
int gv_cmd_quarantine(int argc, char **argv);
int gv_cmd_watch(int argc, char **argv);
int gv_cmd_notify(int argc, char **argv);
int gv_cmd_intel(int argc, char **argv);
int gv_cmd_report(int argc, char **argv);
int gv_cmd_domains(int argc, char **argv);
/* geneva domains watch (cmd-domains-watch.c); config: --config or NULL */
int gv_cmd_domains_watch(int argc, char **argv, const char *config);

#endif
