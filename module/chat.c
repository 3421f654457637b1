/* chat.c -- being written. */
#include "helpdesk.h"

HdCommand hdChatCommands[] = {{NULL}};
