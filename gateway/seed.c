/* seed.c -- the routes of the two services this project replaces, on desk
 * --desk, so their clients and test scripts work unchanged but for host and
 * port (SPEC section 10, "Seed-compatible routes").
 *
 *  - the FastAPI ticket router: POST /tickets (202), /tickets/{id}/status,
 *    /queue, /tickets/next. Classification and routing happen inside
 *    TICKET.CREATE ... ROUTE, so the status is `completed` at once.
 *  - the Django batch service: /api/agent/tickets/assign/ (TICKET.CLAIM ...
 *    ORDER CREATED, 15), /api/agent/tickets/sell/{id}/ (TICKET.CLOSE as the
 *    caller: Redis answers DENIED for another agent's ticket), admin CRUD
 *    under /api/admin/tickets/ (what agents may not do, Redis refuses). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include "gw.h"

#define BATCH 15

/* Field `name` of a flat RESP2 map, or NULL. */
static const redisReply *mapGet(const redisReply *m, const char *name) {
    if (m->type != REDIS_REPLY_ARRAY) return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; i + 1 < m->elements; i += 2)
        if (m->element[i]->len == n && !memcmp(m->element[i]->str, name, n))
            return m->element[i + 1];
    return NULL;
}

static int mapIs(const redisReply *m, const char *name, const char *value) {
    const redisReply *v = mapGet(m, name);
    return v && v->type == REDIS_REPLY_STRING && v->len == strlen(value) &&
           !memcmp(v->str, value, v->len);
}

static json_t *idJson(const redisReply *v) {
    if (!v) return json_null();
    if (v->type == REDIS_REPLY_INTEGER) return json_integer(v->integer);
    if (v->type == REDIS_REPLY_STRING) {
        char *end, buf[32];
        snprintf(buf, sizeof(buf), "%.*s", (int)(v->len < 30 ? v->len : 30), v->str);
        long long n = strtoll(buf, &end, 10);
        if (!*end && *buf) return json_integer(n);
    }
    return replyToJson(v, SHAPE_VALUE);
}

/* ---- the FastAPI router --------------------------------------------------- */

static void replyAccepted(Req *q, redisReply *r) {
    char url[64];
    snprintf(url, sizeof(url), "/tickets/%lld/status", r->integer);
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Location", url);
    reqJson(q, 202, json_pack("{s:I,s:s,s:s}", "ticket_id", (json_int_t)r->integer,
                              "status", "accepted", "status_url", url));
}

/* The seed took subject, body and/or description (at least one). */
static void seedCreate(Req *q) {
    if (!reqParseBody(q, 1) || !reqBodyCheck(q, "subject:s,body:s,description:s")) return;
    const char *subject = bodyStr(q, "subject"), *body = bodyStr(q, "body"),
               *desc = bodyStr(q, "description");
    if (!subject && !body && !desc) {
        reqError(q, 400, "INVALID", "send at least one of subject, body or description");
        return;
    }
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.CREATE");
    argsAdd(&a, q->desk);
    if (subject) {
        argsAdd(&a, subject);
    } else {
        /* No subject: the first line of the text, as the seed's UI showed. */
        const char *t = desc ? desc : body;
        size_t n = strcspn(t, "\n");
        argsAddLen(&a, t, n > 200 ? 200 : n);
    }
    if (body && desc) {
        size_t n = strlen(body) + strlen(desc) + 2;
        char *both = malloc(n);
        snprintf(both, n, "%s\n%s", body, desc);
        argsAdd(&a, "BODY");
        argsAdd(&a, both);
        free(both);
    } else if (body || (desc && subject)) {
        argsAdd(&a, "BODY");
        argsAdd(&a, body ? body : desc);
    }
    argsAdd(&a, "ROUTE");
    q->is_write = 1;
    reqSend(q, &a, replyAccepted);
}

static const char *urgencyLabel(double s) {
    return s >= 0.8 ? "high" : s >= 0.4 ? "medium" : "low";
}

/* The seed's TicketStatusResponse from a TICKET.GET map. */
static json_t *seedStatus(const redisReply *m) {
    json_t *j = json_object();
    int incident = mapIs(m, "status", "merged") || mapIs(m, "master", "self");
    json_object_set_new(j, "ticket_id", idJson(mapGet(m, "id")));
    json_object_set_new(j, "status", json_string(incident ? "master_incident" : "completed"));
    const redisReply *cat = mapGet(m, "category");
    if (cat && cat->type == REDIS_REPLY_STRING && cat->len) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*s", (int)(cat->len < 60 ? cat->len : 60), cat->str);
        buf[0] = (char)toupper((unsigned char)buf[0]);
        json_object_set_new(j, "category", json_string(buf));
    } else {
        json_object_set_new(j, "category", json_null());
    }
    const redisReply *u = mapGet(m, "urgency");
    if (u && u->type == REDIS_REPLY_STRING && u->len) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*s", (int)(u->len < 60 ? u->len : 60), u->str);
        double s = strtod(buf, NULL);
        json_object_set_new(j, "urgency_score", json_real(s));
        json_object_set_new(j, "urgency_label", json_string(urgencyLabel(s)));
    } else {
        json_object_set_new(j, "urgency_score", json_null());
        json_object_set_new(j, "urgency_label", json_null());
    }
    const redisReply *ag = mapGet(m, "assigned_agent");
    json_object_set_new(j, "assigned_agent", ag ? replyToJson(ag, SHAPE_VALUE) : json_null());
    json_object_set_new(j, "ticket_status", replyToJson(mapGet(m, "status") ? mapGet(m, "status")
                                                        : &(redisReply){ .type = REDIS_REPLY_NIL },
                                                        SHAPE_VALUE));
    const redisReply *pr = mapGet(m, "priority");
    if (pr) json_object_set_new(j, "priority", idJson(pr));
    return j;
}

static void replySeedStatus(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) {
        reqError(q, 404, "NOTFOUND", "ticket %s does not exist", q->seg[1]);
        return;
    }
    reqJson(q, 200, seedStatus(r));
}

static void seedStatusGet(Req *q) {
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.GET");
    argsAdd(&a, q->desk);
    argsAdd(&a, q->seg[1]);
    reqSend(q, &a, replySeedStatus);
}

/* PEEK maps with the seed's ticket_id name added. */
static json_t *peekList(const redisReply *r) {
    json_t *list = replyToJson(r, SHAPE_MAPLIST);
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t) {
        json_t *id = json_object_get(t, "id");
        if (id) json_object_set(t, "ticket_id", id);
    }
    return list;
}

static void replyQueue(Req *q, redisReply *r) { reqJson(q, 200, peekList(r)); }

static void seedQueue(Req *q) {
    long long count = 1000;
    if (!queryInt(q, "count", 1, 10000, &count)) return;
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.PEEK");
    argsAdd(&a, q->desk);
    argsAdd(&a, "COUNT");
    argsAddf(&a, "%lld", count);
    reqSend(q, &a, replyQueue);
}

/* /tickets/next as an agent: TICKET.NEXT. */
static void replyNextTicket(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) {
        reqError(q, 404, "NOTFOUND", "no unassigned ticket fits agent %s", q->aux);
        return;
    }
    json_t *t = replyToJson(r, SHAPE_MAP);
    json_t *st = seedStatus(r);
    json_object_update_missing(st, t);
    json_decref(t);
    reqJson(q, 200, st);
}

static void peekForRoute(Req *q);

/* /tickets/next without an agent: the most urgent unassigned ticket, routed
 * with TICKET.ROUTE D tid. A STATE reply means someone took it meanwhile:
 * look again (bounded). */
static void replyRoutedNext(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) {
        reqError(q, 409, "UNAVAILABLE", "no online agent with a fitting skill and free "
                 "capacity can take ticket %s now", q->aux);
        return;
    }
    json_t *t = q->acc;
    q->acc = NULL;
    json_object_set_new(t, "assigned_agent", replyToJson(r, SHAPE_VALUE));
    json_object_set_new(t, "status", json_string("completed"));
    reqJson(q, 200, t);
}

static void onRouteError(Req *q, redisReply *r);

static void replyPeekOne(Req *q, redisReply *r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        reqError(q, 404, "NOTFOUND", "no unassigned ticket is waiting");
        return;
    }
    const redisReply *m = r->element[0];
    const redisReply *id = mapGet(m, "id");
    json_t *jid = idJson(id);
    snprintf(q->aux, sizeof(q->aux), "%lld", (long long)json_integer_value(jid));
    json_decref(jid);
    if (q->acc) json_decref(q->acc);
    q->acc = peekList(r);
    json_t *first = json_incref(json_array_get(q->acc, 0));
    json_decref(q->acc);
    q->acc = first;
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.ROUTE");
    argsAdd(&a, q->desk);
    argsAdd(&a, q->aux);
    q->is_write = 1;
    q->raw_errors = 1;
    reqSend(q, &a, onRouteError);
}

static void onRouteError(Req *q, redisReply *r) {
    q->raw_errors = 0;
    if (r->type != REDIS_REPLY_ERROR) { replyRoutedNext(q, r); return; }
    if (!strncmp(r->str, "STATE ", 6) && ++q->tries < 5) { peekForRoute(q); return; }
    reqRedisError(q, r);
}

static void peekForRoute(Req *q) {
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.PEEK");
    argsAdd(&a, q->desk);
    argsAdd(&a, "COUNT");
    argsAdd(&a, "1");
    argsAdd(&a, "UNASSIGNED");
    reqSend(q, &a, replyPeekOne);
}

static void seedNext(Req *q) {
    const char *agent = reqQuery(q, "agent");
    if (!agent) agent = q->user;
    if (!agent) { peekForRoute(q); return; }
    snprintf(q->aux, sizeof(q->aux), "%s", agent);
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.NEXT");
    argsAdd(&a, q->desk);
    argsAdd(&a, agent);
    q->is_write = 1;
    reqSend(q, &a, replyNextTicket);
}

/* ---- the Django batch service -------------------------------------------- */

static void replyBatchTicket(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_ARRAY) json_array_append_new(q->acc, replyToJson(r, SHAPE_MAP));
    if (--q->want > 0) return;
    json_t *list = q->acc;
    q->acc = NULL;
    reqJson(q, 200, list);
}

/* The claimed ids, then each ticket read back (pipelined, in order). */
static void replyClaimed(Req *q, redisReply *r) {
    q->acc = json_array();
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        json_t *list = q->acc;
        q->acc = NULL;
        reqJson(q, 200, list);
        return;
    }
    q->want = (int)r->elements;
    for (size_t i = 0; i < r->elements; i++) {
        Args a;
        argsInit(&a);
        argsAdd(&a, "TICKET.GET");
        argsAdd(&a, q->desk);
        if (r->element[i]->type == REDIS_REPLY_INTEGER) argsAddf(&a, "%lld", r->element[i]->integer);
        else argsAddLen(&a, r->element[i]->str, r->element[i]->len);
        reqSend(q, &a, replyBatchTicket);
    }
}

static int needAgent(Req *q) {
    if (q->user) return 1;
    reqError(q, 401, "UNAUTHORIZED", "the agent routes act for the signed-in agent: send its "
             "Basic credentials");
    return 0;
}

static void seedAssign(Req *q) {
    if (!needAgent(q)) return;
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.CLAIM");
    argsAdd(&a, q->desk);
    argsAdd(&a, q->user);
    argsAdd(&a, "COUNT");
    argsAddf(&a, "%d", BATCH);
    argsAdd(&a, "ORDER");
    argsAdd(&a, "CREATED");
    reqSend(q, &a, replyClaimed);
}

static void replySold(Req *q, redisReply *r) {
    reqJson(q, 200, json_pack("{s:o,s:s}", "id", idJson(&(redisReply){ .type = REDIS_REPLY_STRING,
                              .str = q->seg[4], .len = strlen(q->seg[4]) }), "status", "sold"));
}

static void seedSell(Req *q) {
    if (!needAgent(q) || !reqParseBody(q, 0) || !reqBodyCheck(q, "")) return;
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.CLOSE");
    argsAdd(&a, q->desk);
    argsAdd(&a, q->seg[4]);
    argsAdd(&a, "RESOLUTION");
    argsAdd(&a, "sold");
    reqSend(q, &a, replySold);
}

static void replyAdminList(Req *q, redisReply *r) {
    reqJson(q, 200, replyToJson(r, SHAPE_MAPLIST));
}

static void adminList(Req *q) {
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.PEEK");
    argsAdd(&a, q->desk);
    argsAdd(&a, "COUNT");
    argsAdd(&a, "10000");
    reqSend(q, &a, replyAdminList);
}

static void replyAdminTicket(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) {
        reqError(q, 404, "NOTFOUND", "ticket %s does not exist", q->aux);
        return;
    }
    reqJson(q, q->ok_status ? q->ok_status : 200, replyToJson(r, SHAPE_MAP));
}

static void readTicket(Req *q, const char *id) {
    snprintf(q->aux, sizeof(q->aux), "%s", id);
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.GET");
    argsAdd(&a, q->desk);
    argsAdd(&a, id);
    reqSend(q, &a, replyAdminTicket);
}

static void replyAdminCreated(Req *q, redisReply *r) {
    char id[32], loc[80];
    snprintf(id, sizeof(id), "%lld", r->integer);
    snprintf(loc, sizeof(loc), "/api/admin/tickets/%s/", id);
    evhttp_add_header(evhttp_request_get_output_headers(q->er), "Location", loc);
    q->ok_status = 201;
    readTicket(q, id);
}

#define ADMIN_FIELDS "title:s,subject:s,description:s,body:s,priority:i,category:s"

static const char *adminSubject(Req *q) {
    const char *s = bodyStr(q, "subject");
    return s ? s : bodyStr(q, "title");
}
static const char *adminBody(Req *q) {
    const char *s = bodyStr(q, "body");
    return s ? s : bodyStr(q, "description");
}

static void adminCreate(Req *q) {
    if (!reqParseBody(q, 1) || !reqBodyCheck(q, ADMIN_FIELDS)) return;
    if (!adminSubject(q)) {
        reqError(q, 400, "INVALID", "field 'title' (or 'subject') is required");
        return;
    }
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.CREATE");
    argsAdd(&a, q->desk);
    argsAdd(&a, adminSubject(q));
    if (adminBody(q)) { argsAdd(&a, "BODY"); argsAdd(&a, adminBody(q)); }
    json_t *p = json_object_get(q->body, "priority");
    if (p) { argsAdd(&a, "PRIORITY"); argsAddf(&a, "%lld", (long long)json_integer_value(p)); }
    if (bodyStr(q, "category")) { argsAdd(&a, "CATEGORY"); argsAdd(&a, bodyStr(q, "category")); }
    q->is_write = 1;
    reqSend(q, &a, replyAdminCreated);
}

static void replyAdminUpdated(Req *q, redisReply *r) { readTicket(q, q->seg[3]); }

static void adminUpdate(Req *q) {
    if (!reqParseBody(q, 1) || !reqBodyCheck(q, ADMIN_FIELDS)) return;
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.UPDATE");
    argsAdd(&a, q->desk);
    argsAdd(&a, q->seg[3]);
    if (adminSubject(q)) { argsAdd(&a, "subject"); argsAdd(&a, adminSubject(q)); }
    if (adminBody(q)) { argsAdd(&a, "body"); argsAdd(&a, adminBody(q)); }
    json_t *p = json_object_get(q->body, "priority");
    if (p) { argsAdd(&a, "priority"); argsAddf(&a, "%lld", (long long)json_integer_value(p)); }
    if (bodyStr(q, "category")) { argsAdd(&a, "category"); argsAdd(&a, bodyStr(q, "category")); }
    if (a.n == 3) {
        argsFree(&a);
        reqError(q, 400, "INVALID", "nothing to update: send title, description, priority or "
                 "category");
        return;
    }
    reqSend(q, &a, replyAdminUpdated);
}

static void replyAdminDeleted(Req *q, redisReply *r) {
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) reqNoContent(q);
    else reqError(q, 404, "NOTFOUND", "ticket %s does not exist", q->seg[3]);
}

static void adminDelete(Req *q) {
    Args a;
    argsInit(&a);
    argsAdd(&a, "TICKET.DEL");
    argsAdd(&a, q->desk);
    argsAdd(&a, q->seg[3]);
    reqSend(q, &a, replyAdminDeleted);
}

#define G EVHTTP_REQ_GET
#define P EVHTTP_REQ_POST
#define U EVHTTP_REQ_PUT
#define D EVHTTP_REQ_DELETE

const Route seedRoutes[] = {
    {P, "/tickets", seedCreate, "Seed 001: submit a ticket; 202 with ticket_id and status_url",
     "subject:s,body:s,description:s"},
    {G, "/tickets/next", seedNext, "Seed 001: pop the most urgent unassigned ticket "
     "(TICKET.NEXT for the caller or ?agent=, else TICKET.ROUTE)", NULL},
    {G, "/tickets/{id}/status", seedStatusGet, "Seed 001: the ticket's status", NULL},
    {G, "/queue", seedQueue, "Seed 001: active tickets, most urgent first", NULL},
    {G, "/api/agent/tickets/assign", seedAssign, "Seed 004: the caller's batch of 15, "
     "creation order (TICKET.CLAIM ... ORDER CREATED)", NULL},
    {P, "/api/agent/tickets/sell/{id}", seedSell, "Seed 004: sell (close) the caller's ticket", ""},
    {G, "/api/admin/tickets", adminList, "Seed 004: list tickets", NULL},
    {P, "/api/admin/tickets", adminCreate, "Seed 004: create a ticket", ADMIN_FIELDS},
    {U, "/api/admin/tickets/{id}", adminUpdate, "Seed 004: update a ticket", ADMIN_FIELDS},
    {D, "/api/admin/tickets/{id}", adminDelete, "Seed 004: delete a ticket", NULL},
    {0, NULL, NULL, NULL, NULL}
};
