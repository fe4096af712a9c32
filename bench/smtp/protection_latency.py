#!/usr/bin/python3
"""Added latency of SMTP-time protection (docs/smtp-protection.md) with a warm DNS cache.

Starts Postern twice against the e2e test DNS server (tests/e2e/dns_server.py): once with no
protection, once with two DNSBL zones (one listing the client as "header" only), a DNSWL zone,
greylisting (the triplet passed beforehand), the reverse-DNS and sender-domain checks and a
country CSV. For each it times, over N rounds after a warm-up: connect→220, MAIL→250,
RCPT→250, DATA (a 1 KiB message, until its 250 after the queue's fsync) and the whole
transaction from connect to the DATA reply (one connection per round, then QUIT). Prints medians
and p90 in microseconds.

    POSTERN_BUILD=build /usr/bin/python3 bench/smtp/protection_latency.py [N]
"""
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from harness import Server  # noqa: E402
from mailflow import CONFIG, PASSWORD, zones  # noqa: E402
from dns_server import start_dns_server  # noqa: E402

PROTECTION = """
[protection.dnsbl]
[[protection.dnsbl.zone]]
zone = "bl.test"
[[protection.dnsbl.zone]]
zone = "hdr.test"
action = "header"
[[protection.dnsbl.zone]]
zone = "wl.test"
allow = true

[protection.greylist]
delay = "1s"

[protection.dns_checks]
confirmed_reverse = "reject"
sender_domain = "reject"

[protection.country]
csv = "{dir}/countries.csv"
deny = ["XX"]
"""


def dns_zones():
    z = zones()
    for zone in ("bl.test", "hdr.test", "wl.test", "in-addr.arpa"):
        z["soa"][zone] = {"ttl": 3600, "minimum": 3600}
    z["names"]["1.0.0.127.hdr.test"] = {"ttl": 3600, "A": ["127.0.0.3"]}
    z["names"]["1.0.0.127.in-addr.arpa"] = {"ttl": 3600, "PTR": ["client.remote.test"]}
    z["names"]["client.remote.test"] = {"ttl": 3600, "A": ["127.0.0.1"]}
    z["names"]["remote.test"]["ttl"] = 3600
    return z


# About 1 KiB, ending with the end-of-data line.
MESSAGE = ("From: carol@remote.test\r\nTo: alice@example.test\r\nSubject: bench\r\n\r\n"
           + ("y" * 70 + "\r\n") * 13 + ".")


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def reply(self):
        while True:
            lines = self.buf.split(b"\r\n")
            for i, line in enumerate(lines[:-1]):
                if len(line) >= 4 and line[3:4] == b" ":
                    self.buf = b"\r\n".join(lines[i + 1:])
                    return line.decode()
            self.buf += self.sock.recv(65536)

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()


def rounds(port, n):
    out = {"connect": [], "mail": [], "rcpt": [], "data": [], "total": []}
    for _ in range(n):
        t0 = time.perf_counter()
        c = Client(port)
        assert c.reply().startswith("220"), "greeting"
        t1 = time.perf_counter()
        assert c.cmd("EHLO client.remote.test").startswith("250")
        t2 = time.perf_counter()
        r = c.cmd("MAIL FROM:<carol@remote.test>")
        t3 = time.perf_counter()
        assert r.startswith("250"), r
        r = c.cmd("RCPT TO:<alice@example.test>")
        t4 = time.perf_counter()
        assert r.startswith("250") or r.startswith("451"), r
        t5 = t4
        if r.startswith("250"):
            assert c.cmd("DATA").startswith("354")
            r = c.cmd(MESSAGE)
            assert r.startswith("250"), r
            t5 = time.perf_counter()
        else:
            c.cmd("RSET")
        c.cmd("QUIT")
        c.sock.close()
        out["connect"].append((t1 - t0) * 1e6)
        out["mail"].append((t3 - t2) * 1e6)
        out["rcpt"].append((t4 - t3) * 1e6)
        if t5 != t4:
            out["data"].append((t5 - t4) * 1e6)
            out["total"].append((t5 - t0) * 1e6)
    return out


def run(protection, n):
    dns = start_dns_server(dns_zones())
    template = CONFIG.replace("{queue_extra}", protection)
    values = {"auth_extra": "", "delivery_extra": "", "queue_extra": "", "smtp_extra": "", "max_size": "10M",
              "max_rcpt": 100, "dns": dns.port, "sink": 1}
    server = Server(template, ports=("smtp", "submission", "smtps"), extra=values)
    server.config.write_text(server.config.read_text().replace("{dir}", str(server.dir)))
    (server.dir / "countries.csv").write_text("127.0.0.0,127.255.255.255,ZZ\n")
    server.ctl("domain", "add", "example.test", offline=True)
    server.ctl("account", "add", "alice@example.test", "--password", PASSWORD, offline=True)
    server.start()
    try:
        rounds(server.ports["smtp"], 3)  # warm the DNS cache and pass the greylist triplet
        time.sleep(1.2)
        rounds(server.ports["smtp"], 20)
        return rounds(server.ports["smtp"], n)
    finally:
        server.stop()
        dns.stop()


def summary(values):
    values = sorted(values)
    return statistics.median(values), values[int(len(values) * 0.9)]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    base = run("", n)
    prot = run(PROTECTION, n)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"{'step':8} {'off p50':>9} {'off p90':>9} {'on p50':>9} {'on p90':>9}  (microseconds, n={n})")
    for step in ("connect", "mail", "rcpt", "data", "total"):
        b50, b90 = summary(base[step])
        p50, p90 = summary(prot[step])
        print(f"{step:8} {b50:9.0f} {b90:9.0f} {p50:9.0f} {p90:9.0f}")


if __name__ == "__main__":
    main()
