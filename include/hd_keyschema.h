/* hd_keyschema.h -- the key schema read backwards (module/keyschema.c):
 * which kind of desk key a name is, the type each kind must have and
 * whether DESK.REPAIR rebuilds it. keys.c's builders spell the same names
 * forwards; DESK.CHECK (check.c) is the user. */
#ifndef HD_KEYSCHEMA_H
#define HD_KEYSCHEMA_H

#include "helpdesk.h"

typedef enum {
    K_OTHER, K_TICKET, K_TICKET_LOG, K_TICKET_CHAT, K_TICKET_STATE,
    K_QUEUE_PRIORITY, K_QUEUE_SLA, K_QUEUE_ROUTING, K_QUEUE_CREATED,
    K_AGENTS, K_AGENT, K_AGENT_OPEN, K_AGENT_SKILLS, K_SKILL,
    K_USER, K_USER_TICKETS, K_EMAIL_INDEX,
    K_STATS, K_EVENTS, K_CONFIG, K_SEQ, K_ADMINS,
    /* The module's own keys (SPEC leaves their layout to the module): only
     * their type is checked, since the hot commands refuse a wrong one with
     * "run DESK.CHECK"; D:sla:timer is rebuilt from the tickets. */
    K_SLA_TIMER, K_SLA_RELAX, K_SLA_REASSIGN, K_FLOOD_RECENT, K_FLOOD_MASTERS,
    K_FLOOD_CHILDREN, K_REPORT_DAY, K_TICKET_REPORT, K_MODEL_META, K_MODEL_WORDS,
    K_NKINDS
} KeyKind;

/* The type each kind must have, and whether REPAIR rebuilds it. */
typedef struct HdKindRule {
    int type;
    int derived;
} HdKindRule;
extern const HdKindRule hdKindRules[K_NKINDS];

typedef struct KeyInfo {
    KeyKind kind;
    RedisModuleString *key;
    long long tid;          /* K_TICKET* */
    const char *id;         /* agent/customer id, skill, category or email */
    size_t idlen;
} KeyInfo;

/* Which key of the schema a name is (fills ki); K_OTHER for anything else.
 * Ticket ids must be canonical (DESK.CHECK's stricter parse). */
KeyKind hdClassifyKey(Hd *hd, const char *s, size_t len, KeyInfo *ki);
/* An agent or customer id that can name keys: no ':' (it would name another
 * key) and short enough for "<desk>:user:<id>:tickets" to fit HD_KEY_MAX. */
int hdUsableIdBuf(Hd *hd, const char *s, size_t len);
/* A ticket id as DESK.CHECK reads key names and members: canonical (1-18
 * digits, no leading zero), hdParseTicketId's stricter mode. */
int hdCanonicalTid(const char *s, size_t len, long long *tid);
/* A report day as keys.c names D:report:<day>: yyyymmdd. */
int hdIsReportDay(const char *s, size_t len);

#endif
