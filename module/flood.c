/* flood.c -- being written: flood detection and merging are not active yet. */
#include "helpdesk.h"

int floodCheckKeys(Hd *hd) { return 1; }
void floodOnCreate(Hd *hd, const DeskConfig *cfg, Ticket *t,
                   RedisModuleString *subject, RedisModuleString *body) {}
int floodCheckChildren(Hd *hd, Ticket *t) { return 1; }
void floodOnMasterClosed(Hd *hd, const DeskConfig *cfg, Ticket *t) {}
void floodOnDelete(Hd *hd, const DeskConfig *cfg, Ticket *t) {}
void slaTimerStart(RedisModuleCtx *ctx) {}

HdCommand hdFloodCommands[] = {{NULL}};
