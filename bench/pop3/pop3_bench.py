#!/usr/bin/python3
"""POP3 drain benchmark (Python 3 stdlib, asyncio): C connections take users 1..M in turn; for
each user: USER/PASS, STAT, then RETR n and DELE n for every message, then QUIT (the deletes
are committed). Reports messages/s retrieved and deleted (first connect .. last QUIT reply),
MiB/s, per-user session latency p50/p90/p99, errors, and the server's CPU seconds when --pid
is given (that process and its descendants); --settle first waits until that tree is idle.

usage: pop3_bench.py [--host 127.0.0.1] --port PORT [-m 100] [-c 16] [--user-fmt user%d@bench.test]
                     [--password pass] [--pipeline] [--timeout 600] [--pid PID] [--json FILE]

--pipeline sends RETR n and DELE n together (RFC 2449 PIPELINING); the default waits for each
reply, as most clients do.
"""
import argparse
import asyncio
import json
import os
import sys
import time


def tree_cpu(pid):
    """CPU seconds (user + system) of pid and all its descendants, children reaped included."""
    if not pid:
        return 0.0
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            total += sum(int(x) for x in fields[11:15]) / tick
        except (OSError, ValueError):
            continue
        todo.extend(kids.get(p, []))
    return total


async def line(reader, t):
    l = await asyncio.wait_for(reader.readline(), t)
    if not l:
        raise ConnectionError("server closed connection")
    return l


async def ok(reader, t, what):
    l = await line(reader, t)
    if not l.startswith(b"+OK"):
        raise RuntimeError("%s -> %r" % (what, l[:200]))
    return l


async def worker(a, queue, st, deadline):
    t = a.io_timeout
    while time.monotonic() < deadline:
        try:
            u = queue.pop()
        except IndexError:
            return
        user = a.user_fmt % u
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(a.host, a.port, limit=1 << 24), t)
            await ok(reader, t, "greeting")
            writer.write(b"USER %s\r\n" % user.encode())
            await ok(reader, t, "USER")
            writer.write(b"PASS %s\r\n" % a.password.encode())
            await ok(reader, t, "PASS")
            writer.write(b"STAT\r\n")
            n = int((await ok(reader, t, "STAT")).split()[1])
            got = size = 0
            for i in range(1, n + 1):
                if time.monotonic() > deadline:
                    break
                if a.pipeline:
                    writer.write(b"RETR %d\r\nDELE %d\r\n" % (i, i))
                else:
                    writer.write(b"RETR %d\r\n" % i)
                await ok(reader, t, "RETR")
                data = await asyncio.wait_for(reader.readuntil(b"\r\n.\r\n"), t)
                if not a.pipeline:
                    writer.write(b"DELE %d\r\n" % i)
                await ok(reader, t, "DELE")
                got += 1
                size += len(data)
            writer.write(b"QUIT\r\n")
            await ok(reader, t, "QUIT")
            now = time.monotonic()
            st["msgs"] += got
            st["bytes"] += size
            st["last"] = now
            st["users"] += 1
            st["sessions"].append(now - started)
            writer.close()
        except (OSError, ConnectionError, RuntimeError, ValueError, asyncio.TimeoutError,
                asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            st["errors"] += 1
            if len(st["samples"]) < 5:
                st["samples"].append("%s: %r" % (user, e))


def pct(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def settle(pid, limit=120.0, quiet=0.05):
    """Waits until pid's process tree uses less than `quiet` of a core over one second (its
    background work after the seeding, e.g. Postern's full-text indexer, is done), at most
    `limit` seconds. Returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        c0 = tree_cpu(pid)
        time.sleep(1.0)
        if tree_cpu(pid) - c0 < quiet:
            break
    return time.monotonic() - start


async def run(a):
    if a.settle and a.pid:
        waited = settle(a.pid)
        print("server settled after %.0f s" % waited)
    st = {"msgs": 0, "bytes": 0, "users": 0, "errors": 0, "samples": [], "sessions": [], "last": None}
    queue = list(range(a.users, 0, -1))
    deadline = time.monotonic() + a.timeout
    c0 = tree_cpu(a.pid)
    t0 = time.monotonic()
    await asyncio.gather(*(worker(a, queue, st, deadline) for _ in range(a.conns)))
    elapsed = (st["last"] or time.monotonic()) - t0
    cpu = tree_cpu(a.pid) - c0
    res = {
        "users": st["users"], "messages": st["msgs"], "bytes": st["bytes"], "errors": st["errors"],
        "error_samples": st["samples"], "conns": a.conns, "pipeline": a.pipeline, "elapsed_s": round(elapsed, 3),
        "msgs_per_s": round(st["msgs"] / elapsed, 1) if elapsed > 0 else 0,
        "mib_per_s": round(st["bytes"] / elapsed / (1 << 20), 2) if elapsed > 0 else 0,
        "session_p50_ms": round(pct(st["sessions"], 50) * 1000, 1),
        "session_p90_ms": round(pct(st["sessions"], 90) * 1000, 1),
        "session_p99_ms": round(pct(st["sessions"], 99) * 1000, 1),
        "server_cpu_s": round(cpu, 2) if a.pid else None,
    }
    print("pop3 drain %s:%d: %d users, %d messages retrieved+deleted (%.1f MiB) in %.2f s = %.0f msgs/s, "
          "%.1f MiB/s; session p50 %.0f ms p99 %.0f ms; %d errors%s"
          % (a.host, a.port, res["users"], res["messages"], st["bytes"] / (1 << 20), elapsed, res["msgs_per_s"],
             res["mib_per_s"], res["session_p50_ms"], res["session_p99_ms"], res["errors"],
             "; server CPU %.1f s" % cpu if a.pid else ""))
    for s in st["samples"]:
        print("  error: " + s)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0 if st["errors"] == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-m", "--users", type=int, default=100)
    ap.add_argument("-c", "--conns", type=int, default=16)
    ap.add_argument("--user-fmt", default="user%d@bench.test")
    ap.add_argument("--password", default="pass")
    ap.add_argument("--pipeline", action="store_true")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--io-timeout", type=float, default=60)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--settle", action="store_true",
                    help="first wait (<= 120 s) until --pid's process tree is idle")
    ap.add_argument("--json")
    a = ap.parse_args()
    return asyncio.run(run(a))


if __name__ == "__main__":
    sys.exit(main())
