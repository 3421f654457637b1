/* state.c -- being written. */
#include "helpdesk.h"

HdCommand hdStateCommands[] = {{NULL}};
