#!/usr/bin/python3
"""Server memory at K concurrent idle SMTP sessions (Python 3 stdlib, asyncio).

Sums VmRSS and Pss (from /proc/PID/smaps_rollup) over the server's processes -- the process in
--pidfile/--pid and all its descendants -- then opens K SMTP connections that each wait for the
220 greeting, send EHLO and wait for its 250 reply, keeps them idle for --settle seconds,
measures again, and closes them with QUIT. Prints the totals before/after and the difference
per session; --json FILE writes the same as JSON.

A server that caps its sessions (Postfix's process limit, a listener limit) leaves the rest
waiting for the greeting; they are counted as "not established" and only established sessions
divide the difference. Needs root (or the server's user) for smaps_rollup and `ulimit -n` > K.

usage: idle_smtp.py [--host 127.0.0.1] --port PORT [-k 1000] (--pidfile FILE | --pid PID)
                    [--parallel 50] [--settle 3] [--timeout 120] [--json FILE]
"""
import argparse
import asyncio
import json
import os
import sys
import time


def process_tree(root):
    """root and all its descendants (by walking /proc's parent links)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            ppid = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
            todo.extend(children.get(p, []))
    return out


def read_kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(root):
    pids = process_tree(root)
    rss = sum(read_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(read_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    return {"processes": len(pids), "rss_kib": rss, "pss_kib": pss}


async def open_session(a, sem, sessions, stats):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), a.step_timeout)
        except (OSError, asyncio.TimeoutError):
            stats["connect_failed"] += 1
            return
        try:
            async def reply():
                while True:
                    line = await reader.readline()
                    if not line:
                        raise ConnectionError("closed")
                    if len(line) < 4 or line[3:4] != b"-":
                        return line[:3]
            if await asyncio.wait_for(reply(), a.step_timeout) != b"220":
                raise ConnectionError("no 220")
            writer.write(b"EHLO idle.bench.test\r\n")
            if await asyncio.wait_for(reply(), a.step_timeout) != b"250":
                raise ConnectionError("EHLO refused")
            sessions.append((reader, writer))
        except (OSError, ConnectionError, asyncio.TimeoutError):
            stats["not_established"] += 1
            sessions.append((reader, writer))  # keep it open (it may be queued by the server)


async def run(a, root):
    before = measure(root)
    sem = asyncio.Semaphore(a.parallel)
    sessions, stats = [], {"connect_failed": 0, "not_established": 0}
    t0 = time.monotonic()
    await asyncio.gather(*(open_session(a, sem, sessions, stats) for _ in range(a.k)))
    setup_s = time.monotonic() - t0
    await asyncio.sleep(a.settle)
    after = measure(root)
    established = a.k - stats["connect_failed"] - stats["not_established"]
    for _, w in sessions:
        try:
            w.write(b"QUIT\r\n")
        except Exception:
            pass
    await asyncio.sleep(0.5)
    for _, w in sessions:
        try:
            w.close()
        except Exception:
            pass
    per = max(1, established)
    return {
        "k": a.k, "established": established, **stats, "setup_s": round(setup_s, 2),
        "before": before, "after": after,
        "rss_delta_kib": after["rss_kib"] - before["rss_kib"],
        "pss_delta_kib": after["pss_kib"] - before["pss_kib"],
        "rss_per_session_kib": round((after["rss_kib"] - before["rss_kib"]) / per, 1),
        "pss_per_session_kib": round((after["pss_kib"] - before["pss_kib"]) / per, 1),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-k", type=int, default=1000, help="sessions (default 1000)")
    ap.add_argument("--pidfile")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--parallel", type=int, default=50, help="connections being set up at once")
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--step-timeout", type=float, default=10.0)
    ap.add_argument("--timeout", type=float, default=180.0, help="bound for the whole run")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.pidfile:
        with open(a.pidfile) as f:
            root = int(f.read().split()[0])
    elif a.pid:
        root = a.pid
    else:
        ap.error("--pidfile or --pid is required")
    res = asyncio.run(asyncio.wait_for(run(a, root), a.timeout))
    print(f"idle SMTP {a.host}:{a.port}: {res['established']}/{a.k} sessions established in {res['setup_s']} s "
          f"({res['not_established']} not established, {res['connect_failed']} connect failures)")
    b, f = res["before"], res["after"]
    print(f"  before: {b['processes']} processes, RSS {b['rss_kib'] / 1024:.1f} MiB, PSS {b['pss_kib'] / 1024:.1f} MiB")
    print(f"  after:  {f['processes']} processes, RSS {f['rss_kib'] / 1024:.1f} MiB, PSS {f['pss_kib'] / 1024:.1f} MiB")
    print(f"  per session: RSS {res['rss_per_session_kib']} KiB, PSS {res['pss_per_session_kib']} KiB")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return 0 if res["established"] == a.k else 1


if __name__ == "__main__":
    sys.exit(main())
