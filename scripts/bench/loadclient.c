/* loadclient.c -- a tiny closed-loop load generator for chained helpdesk
 * commands, which redis-benchmark cannot do (each step needs the reply of the
 * one before). Plain sockets, RESP written and parsed by hand, no hiredis.
 *
 *   loadclient -p port -d desk -m batch|next [-h host] [-c clients]
 *              [-t seconds] [-n iterations] [-k count] [-a agent-prefix] [-r] [-P]
 *
 * Each client is one agent, <prefix><1..c>, on its own connection, and loops:
 *   batch  TICKET.CLAIM desk agent COUNT k   (tops its batch up to k)
 *          TICKET.CLOSE desk <lowest id it holds>      ("sell one")
 *   next   TICKET.NEXT desk agent  ->  TICKET.CLOSE desk <that id>
 *   -r     then TICKET.CREATE a new ticket (priority 5, general: every agent
 *          serves it), keeping the open level constant
 *   -P     (batch) one round trip per iteration: the CLOSE of the lowest id
 *          of the previous CLAIM reply and the next CLAIM go out together
 * One loop is one iteration. It stops after -t seconds or -n iterations in
 * all, whichever comes first, and prints one line:
 *   iterations=N seconds=S rate=R errors=E empty=Z
 * `empty` counts loops where there was nothing to take (the pool ran dry).
 * Single-threaded: all connections are driven from one poll() loop, like
 * redis-benchmark. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 256
#define BUF_SIZE (1 << 16)

enum { MODE_BATCH, MODE_NEXT };
enum { ST_TAKE, ST_CLOSE, ST_REFILL, ST_PIPE_CLOSE };

/* What we need from a reply: whether it was an error, and the first integer
 * in it (CLAIM: the lowest id held; NEXT: the id, the map's second item). */
typedef struct Reply {
    int is_error, is_nil, nints;
    long long first_int;
    char err[160];
} Reply;

typedef struct Client {
    int fd, state;
    long long next_close;           /* -P: the ticket to close next, 0 = none */
    char out[8192];
    size_t outlen;
    char agent[80];
    char buf[BUF_SIZE];
    size_t len;
} Client;

static const char *desk = "bench", *prefix = "B";
static int mode = MODE_BATCH, refill = 0, pipelined = 0;
static long long claim_count = 15;
static long long iterations, errors, empties, refills;
static char first_error[200];

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadclient: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* ---- RESP out --------------------------------------------------------- */

static void send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Appends argv as a RESP array of bulk strings to the client's output. */
static void queue_command(Client *c, int argc, const char **argv) {
    char *out = c->out;
    size_t off = c->outlen;
    off += (size_t)snprintf(out + off, sizeof(c->out) - off, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (off + len + 32 > sizeof(c->out)) die("command too long");
        off += (size_t)snprintf(out + off, sizeof(c->out) - off, "$%zu\r\n", len);
        memcpy(out + off, argv[i], len);
        off += len;
        out[off++] = '\r';
        out[off++] = '\n';
    }
    c->outlen = off;
}

/* Writes what was queued, in one write() when it fits the socket buffer. */
static void flush_client(Client *c) {
    send_all(c->fd, c->out, c->outlen);
    c->outlen = 0;
}

/* ---- RESP in ---------------------------------------------------------- */

/* Parses one reply at p (RESP2). Returns the bytes it used, 0 when the
 * buffer does not hold a whole reply yet, -1 on a protocol error. */
static long parse_reply(const char *p, const char *end, Reply *r) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return 0;
    long head = nl - p + 1;
    long long n;
    switch (p[0]) {
    case '+':
        return head;
    case '-':
        if (!r->is_error) {
            r->is_error = 1;
            snprintf(r->err, sizeof(r->err), "%.*s", (int)(head - 3), p + 1);
        }
        return head;
    case ':':
        n = strtoll(p + 1, NULL, 10);
        if (r->nints++ == 0) r->first_int = n;
        return head;
    case '$':
        n = strtoll(p + 1, NULL, 10);
        if (n < 0) { r->is_nil = 1; return head; }
        if (end - nl - 1 < n + 2) return 0;
        return head + n + 2;
    case '*': {
        n = strtoll(p + 1, NULL, 10);
        if (n < 0) { r->is_nil = 1; return head; }
        long used = head;
        for (long long i = 0; i < n; i++) {
            long u = parse_reply(p + used, end, r);
            if (u <= 0) return u;
            used += u;
        }
        return used;
    }
    default:
        return -1;
    }
}

/* ---- the agent's loop ------------------------------------------------- */

static void queue_close(Client *c, long long tid) {
    char id[24];
    snprintf(id, sizeof(id), "%lld", tid);
    const char *argv[] = { "TICKET.CLOSE", desk, id };
    queue_command(c, 3, argv);
}

static void send_take(Client *c) {
    char count[24];
    snprintf(count, sizeof(count), "%lld", claim_count);
    c->state = ST_TAKE;
    if (pipelined && c->next_close) {
        queue_close(c, c->next_close);
        c->state = ST_PIPE_CLOSE;
    }
    if (mode == MODE_BATCH) {
        const char *argv[] = { "TICKET.CLAIM", desk, c->agent, "COUNT", count };
        queue_command(c, 5, argv);
    } else {
        const char *argv[] = { "TICKET.NEXT", desk, c->agent };
        queue_command(c, 3, argv);
    }
    flush_client(c);
}

static void send_close(Client *c, long long tid) {
    queue_close(c, tid);
    flush_client(c);
    c->state = ST_CLOSE;
}

static void send_refill(Client *c) {
    char subject[64];
    snprintf(subject, sizeof(subject), "Refill: parcel %lld not delivered", refills++);
    const char *argv[] = { "TICKET.CREATE", desk, subject, "BODY",
                           "Tracking has not moved for five days.",
                           "PRIORITY", "5", "CATEGORY", "general" };
    queue_command(c, 9, argv);
    flush_client(c);
    c->state = ST_REFILL;
}

static void note_error(const Reply *r) {
    errors++;
    if (!first_error[0]) snprintf(first_error, sizeof(first_error), "%s", r->err);
}

/* Handles one reply; returns 1 when an iteration has just completed. */
static int on_reply(Client *c, const Reply *r) {
    switch (c->state) {
    case ST_PIPE_CLOSE:             /* the CLAIM's reply follows */
        if (r->is_error) note_error(r);
        c->next_close = 0;
        c->state = ST_TAKE;
        return 0;
    case ST_TAKE:
        if (r->is_error) { note_error(r); return 1; }
        if (r->nints == 0) { empties++; return 1; }
        if (pipelined) { c->next_close = r->first_int; return 1; }
        send_close(c, r->first_int);
        return 0;
    case ST_CLOSE:
        if (r->is_error) note_error(r);
        if (refill) { send_refill(c); return 0; }
        return 1;
    default:
        if (r->is_error) note_error(r);
        return 1;
    }
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints = { 0 }, *res;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) die("%s:%s: %s", host, port, gai_strerror(rc));
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0)
        die("connect %s:%s: %s", host, port, strerror(errno));
    freeaddrinfo(res);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void usage(void) {
    fprintf(stderr, "usage: loadclient -p port -d desk -m batch|next [-h host] [-c clients]\n"
                    "                  [-t seconds] [-n iterations] [-k count] [-a prefix] [-r] [-P]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *port = NULL;
    int nclients = 8, opt;
    double seconds = 10;
    long long max_iter = -1;
    static Client clients[MAX_CLIENTS];
    struct pollfd pfd[MAX_CLIENTS];

    while ((opt = getopt(argc, argv, "h:p:d:m:c:t:n:k:a:rP")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = optarg; break;
        case 'd': desk = optarg; break;
        case 'm':
            if (!strcmp(optarg, "batch")) mode = MODE_BATCH;
            else if (!strcmp(optarg, "next")) mode = MODE_NEXT;
            else usage();
            break;
        case 'c': nclients = atoi(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'n': max_iter = atoll(optarg); break;
        case 'k': claim_count = atoll(optarg); break;
        case 'a': prefix = optarg; break;
        case 'r': refill = 1; break;
        case 'P': pipelined = 1; break;
        default: usage();
        }
    }
    if (!port || nclients < 1 || nclients > MAX_CLIENTS) usage();
    if (pipelined && (mode != MODE_BATCH || refill)) die("-P is for -m batch without -r");

    for (int i = 0; i < nclients; i++) {
        Client *c = &clients[i];
        c->fd = connect_to(host, port);
        snprintf(c->agent, sizeof(c->agent), "%s%d", prefix, i + 1);
        pfd[i].fd = c->fd;
        pfd[i].events = POLLIN;
    }

    double start = now_sec(), deadline = start + seconds, last = start;
    int active = nclients, stopping = 0;
    for (int i = 0; i < nclients; i++) send_take(&clients[i]);

    while (active > 0) {
        int n = poll(pfd, (nfds_t)nclients, 100);
        if (n < 0 && errno != EINTR) die("poll: %s", strerror(errno));
        for (int i = 0; i < nclients && n > 0; i++) {
            Client *c = &clients[i];
            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
            if (got <= 0) die("server closed the connection (%s)", got ? strerror(errno) : "EOF");
            c->len += (size_t)got;
            size_t off = 0;
            for (;;) {
                Reply r = { 0 };
                long used = parse_reply(c->buf + off, c->buf + c->len, &r);
                if (used < 0) die("protocol error from server");
                if (used == 0) break;
                off += (size_t)used;
                if (!on_reply(c, &r)) continue;
                /* An iteration completed. */
                iterations++;
                last = now_sec();
                if (max_iter >= 0 && iterations >= max_iter) stopping = 1;
                if (last >= deadline) stopping = 1;
                if (errors > 1000 && errors > iterations / 2) stopping = 1;
                if (empties > 100 && empties > iterations / 10) stopping = 1;
                if (stopping) {
                    pfd[i].fd = -1;
                    active--;
                    break;
                }
                send_take(c);
            }
            if (off == c->len) c->len = 0;
            else if (off) { memmove(c->buf, c->buf + off, c->len - off); c->len -= off; }
            if (c->len == sizeof(c->buf)) die("reply larger than %d bytes", BUF_SIZE);
        }
    }
    double secs = last - start;
    long long done = iterations - empties - errors;
    printf("iterations=%lld seconds=%.3f rate=%.1f errors=%lld empty=%lld\n",
           done, secs, secs > 0 ? done / secs : 0.0, errors, empties);
    if (first_error[0]) fprintf(stderr, "loadclient: first error: %s\n", first_error);
    return 0;
}
