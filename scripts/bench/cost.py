#!/usr/bin/python3
"""cost.py -- instructions per call of the hot commands against their own
effects, counted by callgrind (deterministic on a busy machine).

    scripts/bench/cost.py [--server redis|valkey] [-n N] [--aof off,on]
                            [--replication commands|effects] [--keep]

For each command (TICKET.CREATE, TICKET.CLAIM topping up one ticket for an
agent holding 14, TICKET.CLOSE, TICKET.NEXT) it counts, with AOF off and on:

  module   the command itself, N times, sent pipelined to a server with the
           module loaded;
  effects  the same effects as a client would send them: the module's own
           replication stream of that workload (captured from the AOF of a
           first, uninstrumented run), each command's effects as one
           MULTI/EXEC of plain commands, replayed to a server WITHOUT the
           module;
  lua      for CREATE, the Lua peer scripts/bench/create.lua (EVALSHA).

Each server runs under valgrind --tool=callgrind with collection on only
inside processInputBuffer (parsing, lookup, the command, propagation to the
AOF buffer and the replies), so the event loop and the cron are not counted;
callgrind_control zeroes and dumps the counters around each phase. A PING
measured the same way is subtracted from every call (and from every
MULTI/EXEC block), as the fixed cost of any request. CLAIM is measured as
CLAIM+CLOSE pairs minus CLOSE.

Prints one line per figure, "KEY VALUE", on stdout (scripts/bench/run reads
them), e.g. "create.off.module 95123"; progress on stderr. Profiles stay in
build/bench/cost/ (callgrind_annotate them).
"""
import argparse
import glob
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "scripts", "bench")
MARK = b"hd:bench:mark"
SUBJ = "Charged twice for order %d"
BODY = "My card was billed two times"
HELD = 14          # CLAIM: the agent holds 14 and tops up to 15


def say(msg):
    print("[cost] " + msg, file=sys.stderr, flush=True)


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# ---- a tiny pipelining client ------------------------------------------------

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bulk(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            return RuntimeError(rest.decode(errors="replace"))
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._bulk(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)

    def pipe(self, cmds, what, errors_ok=False):
        """Sends encoded commands in chunks, reads every reply; fails on
        an error reply (inside EXEC's array too) unless errors_ok."""
        replies = []
        for i in range(0, len(cmds), 2000):
            chunk = cmds[i:i + 2000]
            self.s.sendall(b"".join(chunk))
            replies += [self.reply() for _ in chunk]
        if not errors_ok:
            for r in replies:
                for x in (r if isinstance(r, list) else [r]):
                    if isinstance(x, RuntimeError):
                        raise RuntimeError("%s: error reply: %s" % (what, x))
        return replies

    def call(self, *args):
        return self.pipe([resp(*args)], " ".join(map(str, args[:2])))[0]


# ---- servers -------------------------------------------------------------------

def free_port():
    while True:
        p = random.randint(20000, 29999)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", p)) != 0:
                return p


class Server:
    def __init__(self, binary, workdir, name, module, aof, callgrind, modargs=()):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.callgrind = callgrind
        self.dumps = 0
        for _ in range(5):
            self.port = free_port()
            cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "yes" if aof else "no", "--appendfsync", "everysec",
                   "--dir", self.dir, "--daemonize", "no"]
            if module:
                cmd += ["--loadmodule", module] + list(modargs)
            if callgrind:
                cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=processInputBuffer",
                       "--callgrind-out-file=" + os.path.join(self.dir, "cg.out")] + cmd
            self.log = open(os.path.join(self.dir, "server.log"), "wb")
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 60
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    self.conn = Conn(self.port)
                    if self.conn.call("PING") == b"PONG":
                        return
                except (OSError, RuntimeError):
                    time.sleep(0.1)
            self.stop()
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace")
            if "Address already in use" not in tail:
                raise RuntimeError("%s did not start:\n%s" % (name, tail))
        raise RuntimeError("%s: no free port" % name)

    def control(self, opt):
        subprocess.run(["callgrind_control", opt, str(self.proc.pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    def measure(self, cmds, what):
        """Instructions spent in processInputBuffer while running cmds."""
        self.control("-z")
        self.conn.pipe(cmds, what)
        self.control("-d")
        self.dumps += 1
        path = os.path.join(self.dir, "cg.out.%d" % self.dumps)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    for line in f:
                        if line.startswith(b"totals:"):
                            return int(line.split()[1])
            time.sleep(0.1)
        raise RuntimeError("no callgrind dump %s" % path)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- the workload --------------------------------------------------------------

def creates(first, n, desk="m"):
    return [resp("TICKET.CREATE", desk, SUBJ % i, "BODY", BODY, "CUSTOMER", "1",
                 "PRIORITY", "10", "CATEGORY", "billing") for i in range(first, first + n)]


def workload(n):
    """Phases in order: (name, measured, commands). Unmeasured phases set
    the stage; every phase ends with a marker the AOF split uses. Ticket ids
    are predictable: the pool is 1..P, claims take the lowest id first."""
    agents_c = (n + HELD - 1) // HELD
    pool = 2 * n + HELD + agents_c * HELD + n
    setup = [resp("DESK.CONFIG", "SET", "m", "flood-threshold", "0"),
             resp("CUSTOMER.CREATE", "m", "Ada Lovelace", "ada@example.com", "ID", "1"),
             resp("AGENT.CREATE", "m", "B1", "Agent B1", "SKILLS", "billing", "CAPACITY", "15"),
             resp("AGENT.CREATE", "m", "N1", "Agent N1", "SKILLS", "billing",
                  "CAPACITY", str(n + 1))]
    setup += [resp("AGENT.CREATE", "m", "C%d" % j, "Agent C%d" % j, "SKILLS", "billing",
                   "CAPACITY", "15") for j in range(agents_c)]
    setup += creates(1, pool)
    ph = [("setup", False, setup)]
    ph.append(("create", True, creates(pool + 1, n)))
    # B1 holds tickets 1..14; each CLAIM takes the next one, CLOSE the oldest.
    ph.append(("claimprep", False, [resp("TICKET.CLAIM", "m", "B1", "COUNT", str(HELD))]))
    pairs = []
    for i in range(1, n + 1):
        pairs.append(resp("TICKET.CLAIM", "m", "B1", "COUNT", str(HELD + 1)))
        pairs.append(resp("TICKET.CLOSE", "m", str(i), "RESOLUTION", "done"))
    ph.append(("claimclose", True, pairs))
    # Agents C* hold 14 each (ids after B1's), and close N of them.
    first = n + HELD + 1
    ph.append(("closeprep", False, [resp("TICKET.CLAIM", "m", "C%d" % j, "COUNT", str(HELD))
                                    for j in range(agents_c)]))
    ph.append(("close", True, [resp("TICKET.CLOSE", "m", str(t), "RESOLUTION", "done")
                               for t in range(first, first + n)]))
    ph.append(("next", True, [resp("TICKET.NEXT", "m", "N1") for _ in range(n)]))
    return ph


def marker(name):
    return resp("SET", MARK, name)


# ---- capture: the module's own effects, from its AOF ----------------------------

def parse_aof(data):
    cmds, i = [], 0
    while i < len(data):
        if data[i:i + 1] != b"*":
            raise RuntimeError("AOF: unexpected byte at %d" % i)
        j = data.index(b"\r\n", i)
        n = int(data[i + 1:j])
        i = j + 2
        args = []
        for _ in range(n):
            j = data.index(b"\r\n", i)
            ln = int(data[i + 1:j])
            args.append(data[j + 2:j + 2 + ln])
            i = j + 2 + ln + 2
        cmds.append(args)
    return cmds


def capture(binary, module, workdir, phases):
    """Runs the workload natively with AOF on and returns, per phase, the
    effects it wrote: a list of 'units', each the encoded commands of one
    client command (one MULTI..EXEC block, or a single command)."""
    # Effects mode whatever is measured: the effects side replays the plain
    # commands the module's effects are.
    srv = Server(binary, workdir, "capture", module, aof=True, callgrind=False,
                 modargs=("replication", "effects"))
    try:
        for name, _, cmds in phases:
            srv.conn.pipe(cmds, "capture " + name)
            srv.conn.call("SET", MARK, name)
        srv.conn.call("PING")
    finally:
        srv.stop()
    files = sorted(glob.glob(os.path.join(srv.dir, "appendonlydir", "*.incr.aof")))
    if not files:
        raise RuntimeError("capture: no AOF in %s" % srv.dir)
    data = b"".join(open(f, "rb").read() for f in files)
    effects, units, cur = {}, [], None
    for args in parse_aof(data):
        head = args[0].upper()
        if head == b"SET" and len(args) == 3 and args[1] == MARK:
            effects[args[2].decode()] = units
            units = []
            continue
        enc = resp(*args)
        if cur is not None:
            cur.append(enc)
            if head == b"EXEC":
                units.append(cur)
                cur = None
        elif head == b"MULTI":
            cur = [enc]
        elif head == b"SELECT":
            units.append([enc])
        else:
            units.append([enc])
    return effects


def flatten(units):
    return [c for u in units for c in u]


# ---- runs ----------------------------------------------------------------------

def run_module(binary, module, workdir, phases, aof, n, out, replication):
    srv = Server(binary, workdir, "module-aof-" + aof, module, aof=aof == "on", callgrind=True,
                 modargs=("replication", replication))
    try:
        ping = srv.measure([resp("PING")] * n, "ping") / n
        out["ping.%s.module" % aof] = ping
        for name, measured, cmds in phases:
            if measured:
                say("module, AOF %s: %s x%d" % (aof, name, n))
                per = srv.measure(cmds, name) / n
                calls = len(cmds) // n
                out["%s.%s.module" % (name, aof)] = per - calls * ping
            else:
                srv.conn.pipe(cmds, name)
            srv.conn.call("SET", MARK, name)
    finally:
        srv.stop()


def run_effects(binary, workdir, phases, effects, aof, n, out):
    srv = Server(binary, workdir, "effects-aof-" + aof, None, aof=aof == "on", callgrind=True)
    try:
        ping = srv.measure([resp("PING")] * n, "ping") / n
        out["ping.%s.effects" % aof] = ping
        for name, measured, _ in phases:
            units = effects[name]
            if measured:
                say("effects, AOF %s: %s x%d (%d commands)" % (aof, name, n,
                                                               len(flatten(units))))
                per = srv.measure(flatten(units), name) / n
                out["%s.%s.effects" % (name, aof)] = per - len(units) / n * ping
            else:
                srv.conn.pipe(flatten(units), name)
        # The Lua peer of CREATE, on the same plain server.
        sha = srv.conn.call("SCRIPT", "LOAD", open(os.path.join(HERE, "create.lua")).read())
        srv.conn.call("HSET", "l:user:1", "name", "Ada Lovelace", "email", "ada@example.com")
        lua = [resp("EVALSHA", sha, "0", "l", SUBJ % i, BODY, "1", "10", "billing", "0.000")
               for i in range(1, n + 1)]
        say("lua, AOF %s: create x%d" % (aof, n))
        out["create.%s.lua" % aof] = srv.measure(lua, "lua") / n - ping
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--server", choices=["redis", "valkey"],
                    default=os.environ.get("SERVER", "redis"))
    ap.add_argument("-n", type=int, default=1000, help="calls per measured phase")
    ap.add_argument("--aof", default="off,on", help="comma list: off, on")
    ap.add_argument("--module-only", action="store_true",
                    help="measure the module's commands only (no effects or Lua runs)")
    ap.add_argument("--keep", action="store_true", help="keep the servers' directories")
    ap.add_argument("--replication", choices=["commands", "effects"], default="commands",
                    help="helpdesk.replication of the module side (default: commands, "
                         "the module's default)")
    args = ap.parse_args()
    binary = {"redis": "redis-server", "valkey": "valkey-server"}[args.server]
    for tool in (binary, "valgrind", "callgrind_control"):
        if not shutil.which(tool):
            sys.exit("cost: %s is not installed" % tool)
    module = os.environ.get("HELPDESK_SO", os.path.join(ROOT, "build", "helpdesk.so"))
    if not os.path.exists(module):
        sys.exit("cost: module %s not found (run make)" % module)
    outdir = os.path.join(ROOT, "build", "bench", "cost")
    os.makedirs(outdir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="helpdesk-cost.")
    # A rebuild during the run must not change the module under it.
    shutil.copy(module, os.path.join(workdir, "helpdesk.so"))
    module = os.path.join(workdir, "helpdesk.so")

    phases = workload(args.n)
    out = {}
    try:
        sides = ("module",) if args.module_only else ("module", "effects")
        if not args.module_only:
            say("%s: capturing the module's effects (AOF) ..." % binary)
            effects = capture(binary, module, workdir, phases)
        for aof in args.aof.split(","):
            run_module(binary, module, workdir, phases, aof, args.n, out, args.replication)
            if not args.module_only:
                run_effects(binary, workdir, phases, effects, aof, args.n, out)
        for aof in args.aof.split(","):
            for side in sides:
                pair, close = out.pop("claimclose.%s.%s" % (aof, side)), \
                    out["close.%s.%s" % (aof, side)]
                out["claim.%s.%s" % (aof, side)] = pair - close
        for k in sorted(out):
            print("%s %.0f" % (k, out[k]))
        for d in glob.glob(os.path.join(workdir, "*")):
            for f in glob.glob(os.path.join(d, "cg.out*")):
                shutil.copy(f, os.path.join(outdir, "%s-%s-%s" % (
                    args.server, os.path.basename(d), os.path.basename(f))))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say("kept " + workdir)


if __name__ == "__main__":
    main()
