#!/usr/bin/env python3
"""SMTP-time cost of a milter (docs/performance.md "Milters at SMTP time").

Starts Postern with PROCESSING disabled (so only SMTP-IN and the queue work), then sends N
messages (~4 KiB) over one SMTP connection, one at a time, and times each transaction
(MAIL ... final 250). Modes:

  none      no milter
  test      tests/e2e/milter_server.py (python3-milter on libmilter; CONTINUE everywhere,
            ACCEPT at the end: the cost of the protocol round trips)
  clamav    clamav-milter in front of clamd with the one-signature EICAR database
            (tests/e2e/scanners.py)

  bench/scan/milter_smtp_cost.py -n 300 --reps 2 --modes none,test,clamav
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

from harness import Server  # noqa: E402
from scanners import ClamavMilter, Clamd  # noqa: E402
from test_milter_smtp import TestMilterServer  # noqa: E402

CONFIG = """
[server]
hostname = "mx.bench.test"
data_dir = "{dir}/data"
shutdown_grace = "3s"

[log]
level = 15
directory = "{dir}/log"

[processing]
enabled = false

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


def run(n, port):
    scan = ""
    if port:
        scan = (f'[scan]\n[[scan.scanner]]\nname = "m"\ntype = "milter"\nstage = "smtp"\n'
                f'address = "127.0.0.1:{port}"\n')
    server = Server(CONFIG, ports=("smtp",), extra={"scan": scan})
    server.ctl("domain", "add", "bench.test", offline=True)
    for u in range(10):
        server.ctl("account", "add", f"user{u}@bench.test", "--password", "Bench-Pass-1", offline=True)
    server.start()
    try:
        times = []
        with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=60) as c:
            c.ehlo("bench.client")
            for i in range(n):
                raw = message(i)
                t0 = time.perf_counter()
                c.sendmail("carol@partner.test", [f"user{i % 10}@bench.test"], raw)
                times.append(time.perf_counter() - t0)
        return times
    finally:
        server.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--modes", default="none,test,clamav")
    a = p.parse_args()
    clamd = clamav = test = None
    results = {}
    try:
        for mode in a.modes.split(","):
            port = None
            if mode == "test":
                test = test or TestMilterServer().start()
                port = test.port
            elif mode == "clamav":
                clamd = clamd or Clamd().start()
                clamav = clamav or ClamavMilter(clamd).start()
                port = clamav.port
            for _ in range(a.reps):
                load = os.getloadavg()[0]
                times = run(a.n, port)
                med = statistics.median(times) * 1000
                p90 = sorted(times)[int(len(times) * 0.9)] * 1000
                rate = len(times) / sum(times)
                results.setdefault(mode, []).append((med, p90, rate))
                print(f"{mode}: median {med:.2f} ms, p90 {p90:.2f} ms per message, {rate:.0f} msgs/s "
                      f"(n={a.n}, load before {load:.1f})", flush=True)
    finally:
        for d in (test, clamav, clamd):
            if d:
                d.cleanup()
    for mode, runs in results.items():
        print(f"{mode}: " + "; ".join(f"median {m:.2f} ms p90 {q:.2f} ms {r:.0f}/s" for m, q, r in runs))


if __name__ == "__main__":
    main()
