#!/usr/bin/python3
"""IMAP client side of bench/imap/compare.sh (Python 3 stdlib only): fills mailboxes and times
big-mailbox commands against any IMAP server with plaintext LOGIN (Postern, Dovecot).

  fill     APPENDs the messages of an mbox file (LF or CRLF; ">From " unescaped, sent with CRLF)
           to one mailbox: MULTIAPPEND commands of --batch messages with LITERAL+ literals,
           --inflight commands pipelined on each of --conns connections (default 4; batches are
           handed out in mbox order, so the mailbox order interleaves a little). Prints msgs/s;
           checks the count with STATUS afterwards.
  seed     gives each of users --first..--last --per-user messages taken round-robin from an
           mbox (a different starting message per user), --conns users at a time.
  bigmsg   APPENDs one message with a deterministic --attachment-bytes (20,000,000) base64
           attachment to --mailbox (created when missing).
  measure  --reps times, each on a new connection: LOGIN, SELECT INBOX, UID FETCH 1:* (FLAGS UID),
           SEARCH TEXT <word> for each of --words, EXAMINE --big-mailbox and UID FETCH <last>
           BODY.PEEK[] (MB/s = literal bytes / time to the tagged OK), LOGOUT. Each time runs from
           writing the command to reading its tagged answer, client parsing included.
  cpu      prints the CPU seconds (user+sys, plus reaped children) of a process and its
           descendants, for before/after differences.

Common: --host 127.0.0.1 --port 1143 --user user100@bench.test --password pass --json FILE
"""
import argparse
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class ImapError(Exception):
    pass


class Conn:
    def __init__(self, host, port, timeout=600):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.r = self.sock.makefile("rb", buffering=1 << 20)
        self.n = 0
        greeting = self.r.readline()
        if not greeting.startswith(b"* OK"):
            raise ImapError("greeting: %r" % greeting[:200])
        self.caps = set()
        self._caps_from(greeting)

    def _caps_from(self, line):
        up = line.upper()
        i = up.find(b"[CAPABILITY ")
        if i >= 0:
            self.caps = set(up[i + 12:up.index(b"]", i)].split())

    def tag(self):
        self.n += 1
        return b"t%d" % self.n

    def send(self, data):
        self.sock.sendall(data)

    def read_answer(self, tag, collect=False):
        """Reads until the tagged line. Returns (tagged line, untagged count, literal bytes,
        untagged lines if collect). Literals ({n}, ~{n}) are read and counted, not kept."""
        untagged, lit_bytes, lines = 0, 0, []
        r = self.r
        prefix = tag + b" "
        while True:
            line = r.readline()
            if not line:
                raise ImapError("connection closed")
            while line.endswith(b"}\r\n"):
                i = line.rfind(b"{")
                n = int(line[i + 1:-3].rstrip(b"+"))
                left = n
                while left:
                    chunk = r.read(min(left, 1 << 20))
                    if not chunk:
                        raise ImapError("connection closed in a literal")
                    left -= len(chunk)
                lit_bytes += n
                more = r.readline()
                if not more:
                    raise ImapError("connection closed after a literal")
                line = line + b"<literal>" + more if collect else more
            if line.startswith(prefix):
                return line, untagged, lit_bytes, lines
            if line.startswith(b"* "):
                untagged += 1
                if collect:
                    lines.append(line)

    def command(self, text, collect=False, ok=True):
        t = self.tag()
        t0 = time.perf_counter()
        self.send(t + b" " + text + b"\r\n")
        line, untagged, lit, lines = self.read_answer(t, collect)
        dt = time.perf_counter() - t0
        status = line.split(b" ", 2)[1].upper() if b" " in line else b""
        if ok and status != b"OK":
            raise ImapError("%s -> %s" % (text[:80].decode("latin-1"), line[:300].decode("latin-1").strip()))
        if b"[CAPABILITY " in line.upper():
            self._caps_from(line)
        return {"line": line, "untagged": untagged, "literal_bytes": lit, "lines": lines, "s": dt, "status": status}

    def login(self, user, password):
        def q(s):
            return b'"' + s.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        r = self.command(b"LOGIN " + q(user) + b" " + q(password))
        if b"LITERAL+" not in self.caps:
            for l in self.command(b"CAPABILITY", collect=True)["lines"]:
                if l.upper().startswith(b"* CAPABILITY "):
                    self.caps = set(l.upper().split()[2:])
        return r

    def close(self):
        try:
            self.command(b"LOGOUT", ok=False)
        except (OSError, ImapError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def mbox_messages(path):
    """Yields the messages of an mbox file as CRLF bytes (mboxo ">From " unescaped)."""
    cur = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From ") and (cur is None or (cur and cur[-1] in (b"\r\n", b"\n"))):
                if cur is not None:
                    if cur and cur[-1] in (b"\r\n", b"\n"):
                        cur.pop()  # the blank line before the separator
                    yield b"".join(cur)
                cur = []
                continue
            if cur is None:
                continue
            if line.startswith(b">From "):
                line = line[1:]
            if line.endswith(b"\r\n"):
                cur.append(line)
            elif line.endswith(b"\n"):
                cur.append(line[:-1] + b"\r\n")
            else:
                cur.append(line + b"\r\n")
    if cur:
        if cur[-1] in (b"\r\n", b"\n"):
            cur.pop()
        yield b"".join(cur)


def quote_mailbox(name):
    return b'"' + name.encode() + b'"'


class Source:
    """Hands out batches of an iterable of messages to several connections."""

    def __init__(self, it):
        self.it, self.lock = iter(it), threading.Lock()

    def take(self, n):
        with self.lock:
            return [m for _, m in zip(range(n), self.it)]


def append_stream(conn, mailbox, messages, batch, inflight):
    """MULTIAPPEND of the messages of a Source (shared by other connections or not); returns
    (state: appended, failed commands, bytes, errors; seconds)."""
    if b"LITERAL+" not in conn.caps:
        raise ImapError("the server does not offer LITERAL+ (needed for pipelined APPEND)")
    if b"MULTIAPPEND" not in conn.caps:
        batch = 1
    sem = threading.Semaphore(inflight)
    pending = []  # (tag, count)
    lock = threading.Lock()
    done = threading.Event()
    state = {"appended": 0, "failed": 0, "bytes": 0, "errors": [], "sent": 0}
    box = quote_mailbox(mailbox)

    def writer():
        try:
            while True:
                buf = messages.take(batch)
                if not buf:
                    break
                send_batch(buf)
        except Exception as e:  # noqa: BLE001 - reported by the reader
            state["errors"].append("writer: %r" % e)
        finally:
            with lock:
                pending.append((None, 0))
            sem.release()

    def send_batch(msgs):
        sem.acquire()
        t = conn.tag()
        parts = [t, b" APPEND ", box]
        size = 0
        for m in msgs:
            parts.append(b" {%d+}\r\n" % len(m))
            parts.append(m)
            size += len(m)
        parts.append(b"\r\n")
        with lock:
            pending.append((t, len(msgs), size))
        conn.send(b"".join(parts))
        state["sent"] += len(msgs)

    t0 = time.perf_counter()
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    while True:
        # wait until the writer has queued something
        while True:
            with lock:
                item = pending[0] if pending else None
            if item is not None:
                break
            time.sleep(0.001)
        if item[0] is None:
            break
        tag, count, size = item
        line, _, _, _ = conn.read_answer(tag)
        with lock:
            pending.pop(0)
        if line.split(b" ", 2)[1].upper() == b"OK":
            state["appended"] += count
            state["bytes"] += size
        else:
            state["failed"] += 1
            if len(state["errors"]) < 5:
                state["errors"].append(line[:300].decode("latin-1").strip())
        sem.release()
    w.join()
    return state, time.perf_counter() - t0


def cmd_fill(a):
    c = Conn(a.host, a.port)
    c.login(a.user, a.password)
    if a.mailbox.upper() != "INBOX":
        c.command(b"CREATE " + quote_mailbox(a.mailbox), ok=False)
    before = status_messages(c, a.mailbox)
    msgs = mbox_messages(a.mbox)
    if a.limit:
        msgs = (m for i, m in zip(range(a.limit), msgs))
    src = Source(msgs)
    conns = [c] + [Conn(a.host, a.port) for _ in range(a.conns - 1)]
    for x in conns[1:]:
        x.login(a.user, a.password)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(conns)) as ex:
        parts = list(ex.map(lambda x: append_stream(x, a.mailbox, src, a.batch, a.inflight)[0], conns))
    secs = time.perf_counter() - t0
    st = {"appended": sum(p["appended"] for p in parts), "failed": sum(p["failed"] for p in parts),
          "bytes": sum(p["bytes"] for p in parts), "errors": [e for p in parts for e in p["errors"]][:5]}
    after = status_messages(c, a.mailbox)
    for x in conns:
        x.close()
    res = {"user": a.user, "mailbox": a.mailbox, "appended": st["appended"], "failed_commands": st["failed"],
           "errors": st["errors"], "bytes": st["bytes"], "seconds": round(secs, 3),
           "msgs_per_s": round(st["appended"] / secs, 1) if secs else None,
           "mb_per_s": round(st["bytes"] / 1e6 / secs, 2) if secs else None,
           "messages_before": before, "messages_after": after, "batch": a.batch, "inflight": a.inflight,
           "conns": a.conns}
    print("fill %s:%d %s %s: %d appended (%d failed commands) over %d connection(s) in %.1f s = %.0f msgs/s, "
          "%.1f MB/s; mailbox %s -> %s messages" % (a.host, a.port, a.user, a.mailbox, st["appended"], st["failed"],
                                                    a.conns, secs, res["msgs_per_s"] or 0, res["mb_per_s"] or 0,
                                                    before, after))
    for e in st["errors"]:
        print("  error: %s" % e)
    dump(a, res)
    return 0 if st["failed"] == 0 and not st["errors"] else 1


def status_messages(c, mailbox):
    r = c.command(b"STATUS " + quote_mailbox(mailbox) + b" (MESSAGES)", collect=True, ok=False)
    for l in r["lines"]:
        u = l.upper()
        i = u.find(b"MESSAGES ")
        if u.startswith(b"* STATUS") and i >= 0:
            return int(u[i + 9:].split(b")")[0].split()[0])
    return None


def cmd_seed(a):
    pool = list(mbox_messages(a.mbox))
    users = list(range(a.first, a.last + 1))

    def one(u):
        c = Conn(a.host, a.port)
        try:
            c.login(a.user_fmt % u, a.password)
            start = (u * 37) % len(pool)
            msgs = Source(pool[(start + i) % len(pool)] for i in range(a.per_user))
            st, _ = append_stream(c, "INBOX", msgs, a.batch, a.inflight)
            return st
        finally:
            c.close()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.conns) as ex:
        results = list(ex.map(one, users))
    secs = time.perf_counter() - t0
    appended = sum(r["appended"] for r in results)
    failed = sum(r["failed"] for r in results)
    errors = [e for r in results for e in r["errors"]][:5]
    res = {"users": len(users), "per_user": a.per_user, "appended": appended, "failed_commands": failed,
           "errors": errors, "seconds": round(secs, 3), "msgs_per_s": round(appended / secs, 1)}
    print("seed %s:%d users %d..%d: %d appended (%d failed commands) in %.1f s = %.0f msgs/s"
          % (a.host, a.port, a.first, a.last, appended, failed, secs, appended / secs))
    for e in errors:
        print("  error: %s" % e)
    dump(a, res)
    return 0 if failed == 0 and not errors else 1


def big_message(nbytes, seed=20):
    rng = random.Random(seed)
    blob = rng.randbytes(nbytes)
    import base64
    b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    bnd = b"----=_Big_%08x" % seed
    head = (b"Date: Thu, 01 Jan 2026 12:00:00 +0000\r\n"
            b"From: \"Alice Smith\" <alice.smith@example.org>\r\n"
            b"To: <user100@bench.test>\r\n"
            b"Subject: big attachment\r\n"
            b"Message-ID: <big.%d@example.org>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"" % seed + bnd + b"\"\r\n\r\n")
    body = (b"This is a multi-part message in MIME format.\r\n\r\n--" + bnd +
            b"\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe figures are attached.\r\n\r\n--" + bnd +
            b"\r\nContent-Type: application/octet-stream; name=\"figures.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"figures.bin\"\r\n\r\n" + b64 +
            b"\r\n--" + bnd + b"--\r\n")
    return head + body


def cmd_bigmsg(a):
    c = Conn(a.host, a.port)
    c.login(a.user, a.password)
    c.command(b"CREATE " + quote_mailbox(a.mailbox), ok=False)
    msg = big_message(a.attachment_bytes)
    t = c.tag()
    t0 = time.perf_counter()
    c.send(t + b" APPEND " + quote_mailbox(a.mailbox) + b" {%d+}\r\n" % len(msg) + msg + b"\r\n")
    line, _, _, _ = c.read_answer(t)
    secs = time.perf_counter() - t0
    ok = line.split(b" ", 2)[1].upper() == b"OK"
    n = status_messages(c, a.mailbox)
    c.close()
    res = {"mailbox": a.mailbox, "message_bytes": len(msg), "attachment_bytes": a.attachment_bytes,
           "append_s": round(secs, 3), "ok": ok, "answer": line.decode("latin-1").strip()[:300], "messages": n}
    print("bigmsg %s:%d %s: %d-byte message (%d-byte attachment) APPEND %s in %.2f s; %s now holds %s"
          % (a.host, a.port, a.user, len(msg), a.attachment_bytes, "OK" if ok else "FAILED: " + res["answer"],
             secs, a.mailbox, n))
    dump(a, res)
    return 0 if ok else 1


def cmd_measure(a):
    words = [w for w in a.words.split(",") if w]
    reps = []
    for rep in range(a.reps):
        r = {"rep": rep + 1}
        c = Conn(a.host, a.port)
        try:
            t0 = time.perf_counter()
            c.login(a.user, a.password)
            r["login_s"] = time.perf_counter() - t0
            x = c.command(b"SELECT INBOX", collect=True)
            r["select_s"] = x["s"]
            r["exists"] = next((int(l.split()[1]) for l in x["lines"] if l.upper().rstrip().endswith(b"EXISTS")), None)
            x = c.command(b"UID FETCH 1:* (FLAGS UID)")
            r["fetch_flags_s"] = x["s"]
            r["fetch_flags_lines"] = x["untagged"]
            r["select_fetch_s"] = r["select_s"] + r["fetch_flags_s"]
            for w in words:
                x = c.command(b"SEARCH TEXT " + quote_mailbox(w), collect=True)
                hits = sum(len(l.split()) - 2 for l in x["lines"] if l.upper().startswith(b"* SEARCH"))
                r["search_%s_s" % w] = x["s"]
                r["search_%s_hits" % w] = hits
            if a.big_mailbox:
                x = c.command(b"EXAMINE " + quote_mailbox(a.big_mailbox), collect=True)
                x = c.command(b"UID FETCH * (UID RFC822.SIZE)", collect=True)
                uid = None
                for l in x["lines"]:
                    u = l.upper()
                    if b"UID " in u:
                        uid = int(u[u.index(b"UID ") + 4:].split()[0].rstrip(b")"))
                if uid is None:
                    raise ImapError("no message in %s" % a.big_mailbox)
                x = c.command(b"UID FETCH %d BODY.PEEK[]" % uid)
                r["big_fetch_s"] = x["s"]
                r["big_fetch_bytes"] = x["literal_bytes"]
                r["big_fetch_mb_per_s"] = x["literal_bytes"] / 1e6 / x["s"]
        except (OSError, ImapError) as e:
            r["error"] = str(e)
        finally:
            c.close()
        reps.append(r)
        print("measure %s:%d rep %d: %s" % (a.host, a.port, rep + 1, fmt_rep(r, words)), flush=True)
    res = {"host": a.host, "port": a.port, "user": a.user, "words": words, "reps": reps,
           "cold": reps[0] if reps else None, "warm": {}}
    warm = reps[1:]
    if warm:
        keys = [k for k in warm[0] if k.endswith("_s") or k.endswith("_per_s")]
        for k in keys:
            v = [r[k] for r in warm if isinstance(r.get(k), (int, float))]
            if v:
                res["warm"][k] = statistics.median(v)
    dump(a, res)
    return 0 if all("error" not in r for r in reps) else 1


def fmt_rep(r, words):
    if "error" in r and "select_s" not in r:
        return "ERROR " + r["error"]
    s = ("login %.1f ms, SELECT %.1f ms (EXISTS %s), UID FETCH 1:* (FLAGS UID) %.1f ms (%d lines)"
         % (1e3 * r["login_s"], 1e3 * r["select_s"], r.get("exists"), 1e3 * r.get("fetch_flags_s", 0),
            r.get("fetch_flags_lines", 0)))
    for w in words:
        if "search_%s_s" % w in r:
            s += ", SEARCH TEXT %s %.1f ms (%d hits)" % (w, 1e3 * r["search_%s_s" % w], r["search_%s_hits" % w])
    if "big_fetch_s" in r:
        s += ", BODY[] %d bytes in %.2f s = %.1f MB/s" % (r["big_fetch_bytes"], r["big_fetch_s"], r["big_fetch_mb_per_s"])
    if "error" in r:
        s += ", ERROR " + r["error"]
    return s


def tree_cpu(pid):
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    s = f.read()
                v = s[s.rindex(")") + 2:].split()
                procs[int(d)] = (int(v[1]), sum(int(x) for x in v[11:15]))
            except (OSError, ValueError, IndexError):
                pass
    kids = {}
    for p, (pp, _) in procs.items():
        kids.setdefault(pp, []).append(p)
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        if p in procs:
            total += procs[p][1]
            todo.extend(kids.get(p, []))
    return total / tick


def cmd_cpu(a):
    print("%.2f" % tree_cpu(a.pid))
    return 0


def dump(a, res):
    if getattr(a, "json", None):
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=1143)
        p.add_argument("--user", default="user100@bench.test")
        p.add_argument("--password", default="pass")
        p.add_argument("--json")
    p = sub.add_parser("fill")
    common(p)
    p.add_argument("--mbox", required=True)
    p.add_argument("--mailbox", default="INBOX")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--inflight", type=int, default=2)
    p.add_argument("--conns", type=int, default=4, help="connections appending to the mailbox at once")
    p = sub.add_parser("seed")
    common(p)
    p.add_argument("--mbox", required=True)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--last", type=int, default=99)
    p.add_argument("--per-user", type=int, default=200)
    p.add_argument("--user-fmt", default="user%d@bench.test")
    p.add_argument("--conns", type=int, default=4)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--inflight", type=int, default=2)
    p = sub.add_parser("bigmsg")
    common(p)
    p.add_argument("--mailbox", default="Big")
    p.add_argument("--attachment-bytes", type=int, default=20_000_000)
    p = sub.add_parser("measure")
    common(p)
    p.add_argument("--reps", type=int, default=4)
    p.add_argument("--words", default="Mallory,thursday,zanzibar")
    p.add_argument("--big-mailbox", default="Big")
    p = sub.add_parser("cpu")
    p.add_argument("--pid", type=int, required=True)
    a = ap.parse_args()
    return {"fill": cmd_fill, "seed": cmd_seed, "bigmsg": cmd_bigmsg, "measure": cmd_measure, "cpu": cmd_cpu}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
