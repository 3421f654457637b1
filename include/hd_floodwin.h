/* hd_floodwin.h -- the flood window D:flood:recent and its copy in memory
 * (module/floodwin.c), as flood.c's incidents use it.
 *
 * The window holds "<tid>:<sketch hex>" members scored by created_at. A
 * create syncs the window (trims it and gets the copy, held until
 * windowRelease), asks for the members alike its sketch, then adds itself
 * or removes the members it merged. Nothing else may write the key except
 * to delete it. */
#ifndef HD_FLOODWIN_H
#define HD_FLOODWIN_H

#include "helpdesk.h"
#include "hd_textsig.h"

typedef struct RecentCache FloodWindow;
typedef struct RecentEntry FloodMember;

/* Trims the window to flood-window seconds and room for one more, and
 * returns its copy in step with the key, held until windowRelease. */
FloodWindow *windowSync(Hd *hd, const DeskConfig *cfg, RedisModuleString *rkey);
void windowRelease(void);
/* The members alike sk other than ticket self's, in window order, into *out
 * (pool memory); returns how many. */
int windowAlike(Hd *hd, FloodWindow *w, const Sketch *sk, long long self, FloodMember ***out);
long long windowMemberTicket(const FloodMember *m);
/* Removes a member from the key and the copy. */
void windowRemove(Hd *hd, FloodWindow *w, RedisModuleString *rkey, FloodMember *m);
/* Records ticket tid's sketch (and its hex) at now. */
void windowAdd(Hd *hd, FloodWindow *w, RedisModuleString *rkey, long long tid,
               const Sketch *sk, const char *hex, size_t hexlen);
/* Removes ticket t's member, found by its created_at (nothing read when the
 * desk has no window). */
void windowForgetTicket(Hd *hd, const Ticket *t);

#endif
