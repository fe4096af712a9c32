#!/usr/bin/env python3
"""PROCESSING throughput with spamd + clamd on vs off (docs/performance.md "Scanning").

Queues N messages with PROCESSING disabled, then enables it (SIGHUP) and times until every
message is delivered into the local mailboxes. Run once without scanners and once with spamd
and clamd (both started here, private configs, no network; see tests/e2e/scanners.py).

  bench/scan/scan_throughput.py -n 100 --threads 8 --modes off,clamd,spamd,on --reps 2

Modes: off (no scanner), clamd, spamd, on (spamd and clamd).
"""
import argparse
import os
import smtplib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("POSTERN_BUILD", str(ROOT / "build"))

from harness import Server, wait_for  # noqa: E402
from scanners import Clamd, Spamd  # noqa: E402

CONFIG = """
[server]
hostname = "mx.bench.test"
data_dir = "{dir}/data"
shutdown_grace = "3s"

[log]
level = 15
directory = "{dir}/log"

[processing]
enabled = {processing}
threads = {threads}

{scan}

[services.smtp]
enabled = true

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
"""

BODY = ("Hello team,\r\n\r\nthe quarterly figures are attached below as plain text. Revenue grew in the "
        "northern region while costs stayed flat; the southern office reports two new customers.\r\n") * 20


def message(i):
    return (f"From: carol@partner.test\r\nTo: user{i % 10}@bench.test\r\nSubject: report {i}\r\n"
            f"Message-ID: <{i}.{time.time_ns()}@partner.test>\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n"
            f"\r\n{BODY}").encode()


def scan_section(spamd, clamd, concurrency):
    out = "[scan]\n" if spamd or clamd else ""
    if spamd:
        out += (f'[[scan.scanner]]\nname = "spamd"\ntype = "spamd"\naddress = "127.0.0.1:{spamd.port}"\n'
                f'max_concurrent = {concurrency}\n')
    if clamd:
        out += (f'[[scan.scanner]]\nname = "clamd"\ntype = "clamd"\naddress = "127.0.0.1:{clamd.port}"\n'
                f'max_concurrent = {concurrency}\n')
    return out


def run(n, threads, spamd, clamd):
    values = {"threads": threads, "scan": scan_section(spamd, clamd, threads), "processing": "false"}
    server = Server(CONFIG, ports=("smtp",), extra=values)
    server.ctl("domain", "add", "bench.test", offline=True)
    for u in range(10):
        server.ctl("account", "add", f"user{u}@bench.test", "--password", "Bench-Pass-1", offline=True)
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=60) as c:
            for i in range(n):
                c.sendmail("carol@partner.test", [f"user{i % 10}@bench.test"], message(i))
        values["processing"] = "true"
        server.values.update(values)
        server.write_config(CONFIG)
        t0 = time.monotonic()
        server.reload()
        wait_for(lambda: server.log_text().count("delivered to <") >= n, timeout=3600, interval=0.05,
                 what=f"{n} deliveries")
        elapsed = time.monotonic() - t0
        log = server.log_text()
        assert log.count("filter server/") >= n * ((spamd is not None) + (clamd is not None)), "every scan ran"
        return n / elapsed
    finally:
        server.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--modes", default="off,on")
    a = p.parse_args()
    spamd = clamd = None
    results = {}
    try:
        for mode in a.modes.split(","):
            if mode in ("on", "clamd") and clamd is None:
                clamd = Clamd().start()
            if mode in ("on", "spamd") and spamd is None:
                spamd = Spamd().start()
            for r in range(a.reps):
                load = os.getloadavg()[0]
                rate = run(a.n, a.threads, spamd if mode in ("on", "spamd") else None,
                           clamd if mode in ("on", "clamd") else None)
                results.setdefault(mode, []).append(rate)
                print(f"scanners {mode}: {rate:.1f} msgs/s (n={a.n}, threads={a.threads}, load before {load:.1f})",
                      flush=True)
    finally:
        for d in (spamd, clamd):
            if d:
                d.cleanup()
    for mode, rates in results.items():
        print(f"{mode}: median {statistics.median(rates):.1f} msgs/s over {len(rates)} runs: "
              + ", ".join(f"{x:.1f}" for x in rates))


if __name__ == "__main__":
    main()
