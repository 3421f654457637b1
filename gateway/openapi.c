/* openapi.c -- /openapi.json, an OpenAPI 3.1 document generated from the
 * route tables themselves, so it cannot list a route that does not exist
 * or miss one that does. Body specs ("name:type!,...") become schemas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw.h"

static const char *lowerMethod(int m) {
    switch (m) {
    case EVHTTP_REQ_GET: return "get";
    case EVHTTP_REQ_POST: return "post";
    case EVHTTP_REQ_PUT: return "put";
    case EVHTTP_REQ_PATCH: return "patch";
    case EVHTTP_REQ_DELETE: return "delete";
    default: return "get";
    }
}

static json_t *typeSchema(char t) {
    switch (t) {
    case 's': return json_pack("{s:s}", "type", "string");
    case 'i': return json_pack("{s:s}", "type", "integer");
    case 'n': return json_pack("{s:s}", "type", "number");
    case 'b': return json_pack("{s:s}", "type", "boolean");
    case 'o': return json_pack("{s:s}", "type", "object");
    case 'a': return json_pack("{s:s,s:{s:s}}", "type", "array", "items", "type", "string");
    case 'I': return json_pack("{s:[s,s]}", "type", "string", "integer");
    default: return json_object();
    }
}

static json_t *bodySchema(const char *spec) {
    if (!strcmp(spec, "*"))
        return json_pack("{s:s,s:b}", "type", "object", "additionalProperties", 1);
    json_t *props = json_object(), *req = json_array();
    const char *p = spec;
    while (*p) {
        const char *colon = strchr(p, ':');
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (!colon || colon > end) break;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
        json_object_set_new(props, name, typeSchema(colon[1]));
        if (end[-1] == '!') json_array_append_new(req, json_string(name));
        p = *end ? end + 1 : end;
    }
    json_t *s = json_pack("{s:s,s:o,s:b}", "type", "object", "properties", props,
                          "additionalProperties", 0);
    if (json_array_size(req)) json_object_set_new(s, "required", req);
    else json_decref(req);
    return s;
}

static json_t *pathParams(const char *pattern) {
    json_t *params = json_array();
    const char *p = pattern;
    while ((p = strchr(p, '{'))) {
        const char *e = strchr(p, '}');
        if (!e) break;
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", name, "in",
                                                "path", "required", 1, "schema", "type",
                                                "string"));
        p = e + 1;
    }
    return params;
}

static void addRoutes(json_t *paths, const Route *routes, const char *tag) {
    for (const Route *r = routes; r->pattern; r++) {
        json_t *item = json_object_get(paths, r->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        json_t *op = json_pack("{s:s,s:[s],s:o,s:{s:{s:s},s:{s:s}}}", "summary", r->summary,
                               "tags", tag, "parameters", pathParams(r->pattern),
                               "responses", "default", "description", "a response",
                               "4XX", "description",
                               "{\"error\":{\"code\":...,\"message\":...}}");
        char opid[160];
        snprintf(opid, sizeof(opid), "%s %s", lowerMethod(r->method), r->pattern);
        json_object_set_new(op, "operationId", json_string(opid));
        if (r->body && r->body[0])
            json_object_set_new(op, "requestBody", json_pack(
                "{s:{s:{s:o}}}", "content", "application/json", "schema", bodySchema(r->body)));
        json_object_set_new(item, lowerMethod(r->method), op);
    }
}

/* The document never changes while the process runs: built once. */
static json_t *document;

void openapiServe(Req *q) {
    if (document) {
        reqJson(q, 200, json_incref(document));
        return;
    }
    json_t *paths = json_object();
    addRoutes(paths, serviceRoutes, "service");
    addRoutes(paths, nativeRoutes, "native");
    addRoutes(paths, seedRoutes, "seed-compatible");
    json_t *doc = json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:o,s:{s:{s:{s:s,s:s}}},s:[{s:[]},{}]}",
        "openapi", "3.1.0",
        "info", "title", "helpdesk HTTP API", "version", "1",
        "description", "The helpdesk Redis module over HTTP (SPEC section 10). Credentials "
                       "are Redis ACL users.",
        "paths", paths,
        "components", "securitySchemes", "basic", "type", "http", "scheme", "basic",
        "security", "basic");
    document = doc;
    reqJson(q, 200, json_incref(document));
}
