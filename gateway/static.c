/* static.c -- the web console's files (--static DIR, default the repo's web/)
 * at /. Only GET and HEAD; any path that could leave DIR (a `..` segment,
 * a backslash, a NUL, a symlink pointing out) is refused with 400/404. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include "gw.h"

static char root[PATH_MAX + 16];

static const char *staticRoot(void) {
    if (root[0]) return root;
    char exe[PATH_MAX], tmp[PATH_MAX + 16];
    if (cfg.static_dir) {
        snprintf(tmp, sizeof(tmp), "%s", cfg.static_dir);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(tmp, sizeof(tmp), "%s/../web", exe);   /* build/helpdesk-http -> web/ */
    }
    if (!realpath(tmp, root)) snprintf(root, sizeof(root), "%s", tmp);
    return root;
}

static const char *mimeType(const char *path) {
    const char *dot = strrchr(path, '.');
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"}, {NULL, NULL}
    };
    for (int i = 0; dot && types[i].ext; i++)
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* A decoded path is safe when no segment is `..` and no byte could be read
 * as a separator or terminator by the filesystem. */
static int pathSafe(const char *p, size_t len) {
    if (memchr(p, '\0', len) || memchr(p, '\\', len)) return 0;
    const char *s = p;
    while (s < p + len) {
        const char *e = memchr(s, '/', p + len - s);
        if (!e) e = p + len;
        if (e - s == 2 && s[0] == '.' && s[1] == '.') return 0;
        s = e + 1;
    }
    return 1;
}

void staticServe(Req *q) {
    if (q->method != EVHTTP_REQ_GET && q->method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(q->er), "Allow", "GET, HEAD");
        reqError(q, 405, "METHOD", "%s is not allowed here; static files take GET and HEAD",
                 methodName(q->method));
        return;
    }
    const char *uri = evhttp_request_get_uri(q->er);
    size_t ulen = strcspn(uri, "?#");
    char *raw = strndup(uri, ulen);
    size_t dlen;
    char *dec = evhttp_uridecode(raw, 0, &dlen);
    free(raw);
    if (!dec || !pathSafe(dec, dlen)) {
        free(dec);
        reqError(q, 400, "INVALID", "path refused: it may not contain '..' segments, "
                 "backslashes or NUL bytes");
        return;
    }
    char path[PATH_MAX], real[PATH_MAX];
    const char *base = staticRoot();
    int n = snprintf(path, sizeof(path), "%s%s%s", base, dec,
                     dec[dlen ? dlen - 1 : 0] == '/' ? "index.html" : "");
    free(dec);
    struct stat st;
    if (n < (int)sizeof(path) && !stat(path, &st) && S_ISDIR(st.st_mode) &&
        strlen(path) + 12 < sizeof(path)) {
        strcat(path, "/index.html");
    }
    /* The resolved file must still be under the root (symlinks). */
    size_t blen = strlen(base);
    if (n >= (int)sizeof(path) || !realpath(path, real) || strncmp(real, base, blen) != 0 ||
        (real[blen] != '/' && real[blen] != '\0') || stat(real, &st) || !S_ISREG(st.st_mode)) {
        reqError(q, 404, "NOTFOUND", "no such file or route: %s", q->path);
        return;
    }
    int fd = open(real, O_RDONLY);
    if (fd < 0) {
        reqError(q, 404, "NOTFOUND", "cannot read %s", q->path);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(q->er);
    evhttp_add_header(h, "Content-Type", mimeType(real));
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    struct evbuffer *b = evbuffer_new();
    /* Console files are small and in the page cache: read them whole.
     * (evbuffer_add_file's file segments leak in libevent 2.1.12.) */
    while (evbuffer_read(b, fd, 65536) > 0) {}
    close(fd);
    q->status = 200;
    evhttp_send_reply(q->er, 200, "OK", b);
    evbuffer_free(b);
    reqFinish(q);
}
