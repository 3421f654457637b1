/* hd_people.h -- helpers shared by customer.c and agent.c. */
#ifndef HD_PEOPLE_H
#define HD_PEOPLE_H

#include "helpdesk.h"

#define HD_EMAIL_MAX 254
#define HD_NAME_MAX 256

/* 1 when s looks like an e-mail address: 1..254 bytes, no spaces or control
 * characters, exactly one '@' with a non-empty local part, and a domain that
 * contains a '.' which is not its first or last byte. */
int hdValidEmail(const char *s, size_t len);

/* Members of the SET at key, sorted bytewise. Returns the count and sets
 * *out to an array allocated with RedisModule_PoolAlloc (freed when the
 * command returns; NULL when empty). A missing key reads as empty. */
size_t hdSetMembersSorted(Hd *hd, RedisModuleString *key, RedisModuleString ***out);

/* Ticket ids of a SET of "ticket:<tid>" members, ascending; members that do
 * not parse are skipped. Allocation as for hdSetMembersSorted. */
size_t hdSetTicketIds(Hd *hd, RedisModuleString *key, long long **out);

/* Replies with the array of ticket ids of such a SET, ascending. */
void hdReplyTicketIds(Hd *hd, RedisModuleString *key);

#endif
