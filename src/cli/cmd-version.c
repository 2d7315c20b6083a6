#include <stdio.h>

#include "cli/commands.h"

int gv_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("geneva %s\n", GV_VERSION);
	return 0;
}
