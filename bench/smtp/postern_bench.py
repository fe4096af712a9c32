#!/usr/bin/python3
"""SMTP acceptance and end-to-end (delivered into the mailbox) rate of Postern, plus memory at
K idle SMTP sessions, with the load drivers of ../shared/bench (smtp_load.py).

Each measurement starts a fresh Postern from a build directory with a generated config in a
scratch directory (SMTP on 127.0.0.1:2526, plain, domain bench.test, user1..user100@bench.test
with password "pass", fsync on, log level 15 = no protocol lines), runs smtp_load.py against it,
and stops it again. Postern has no IMAP yet, so deliveries are counted from its own side:

  - during the load, the "delivered to <" lines in the log are counted every --poll seconds;
  - after the last 250, each poll also asks `posternctl --json queue counts`;
  - done = the first poll at which the queue is empty and the log shows every accepted message
    delivered (`storage report` totals are checked afterwards).

  end-to-end msgs/s = accepted / (done - first connect), as ../shared/bench/delivered_wait.py.

The log writer flushes about once a second, so the figure is conservative by up to a poll
interval plus that flush, about as delivered_wait.py's 1 s maildir polling is for the peers.

usage:
  postern_bench.py run [--conc 16,64] [--reps 2] [-n 8000] [-s 10240] [--idle-k 1000]
                       [--json FILE] [--perf DIR] [--build DIR] [--dir DIR]
  postern_bench.py start [--build DIR] [--dir DIR]     # leave a bench server running
  (--config-extra '[processing]\nthreads = 8' appends TOML to the generated config)
  postern_bench.py stop [--dir DIR]
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = Path(os.environ.get("SHARED_BENCH", ROOT.parent / "shared" / "bench"))
PORT = 2526

CONFIG = """\
[server]
hostname = "mx.bench.test"
data_dir = "{dir}/data"
shutdown_grace = "5s"

[log]
level = 15
directory = "{dir}/log"

[services.smtp]
enabled = true
max_message_size = "50M"
max_connections = 0
max_connections_per_ip = 0
new_connections = "0/1s"
new_connections_per_ip = "0/1s"
idle_timeout = "10m"

[[services.smtp.listener]]
address = "127.0.0.1:{port}"
tls = "none"
max_connections = 0
max_connections_per_ip = 0
"""


def log(msg):
    print(f"[postern_bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Postern:
    def __init__(self, build: Path, directory: Path, port: int = PORT, extra_config: str = ""):
        self.build, self.dir, self.port = build, directory, port
        self.extra_config = extra_config
        self.posternd = build / "src" / "daemon" / "posternd"
        self.posternctl = build / "src" / "tools" / "posternctl"
        self.config = directory / "postern.toml"
        self.pidfile = directory / "posternd.pid"
        self.logfile = directory / "log" / "postern.log"
        self.proc = None
        self._log_pos = 0
        self._delivered = 0

    # --- lifecycle ---------------------------------------------------------------------------
    def stop_stale(self):
        """Stops a server a previous (interrupted) run left in this directory."""
        try:
            pid = int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError):
            return
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"posternd" not in f.read():
                    return
            log(f"stopping a posternd left running (pid {pid})")
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists(f"/proc/{pid}"):
                    break
                time.sleep(0.1)
            else:
                os.killpg(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass

    def prepare(self):
        self.stop_stale()
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.config.write_text(CONFIG.format(dir=self.dir, port=self.port) + self.extra_config.replace("\\n", "\n") + "\n")
        self.ctl("domain", "add", "bench.test", offline=True)
        csv = self.dir / "accounts.csv"
        # "pass" is below the default password policy; a {PLAIN} hash is imported as it is
        csv.write_text("address,password\n" + "".join(f"user{i}@bench.test,{{PLAIN}}pass\n" for i in range(1, 101)))
        imported = self.ctl("account", "import", str(csv), offline=True, as_json=True)
        if imported.get("imported") != 100:
            raise SystemExit(f"account import failed: {imported}")

    def start(self):
        if port_open(self.port):
            raise SystemExit(f"127.0.0.1:{self.port} is already in use")
        out = open(self.dir / "posternd.out", "wb")

        def raise_nofile():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.proc = subprocess.Popen([str(self.posternd), "--config", str(self.config)], stdout=out, stderr=out,
                                     start_new_session=True, preexec_fn=raise_nofile)
        self.pidfile.write_text(f"{self.proc.pid}\n")
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("posternd did not start:\n" + (self.dir / "posternd.out").read_text(errors="replace"))
            time.sleep(0.05)
        while self.worker_pid() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            self.pidfile.unlink()
        except OSError:
            pass

    def worker_pid(self):
        try:
            return int((self.dir / "data" / "run" / "worker.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def ctl(self, *args, offline=False, as_json=False):
        cmd = [str(self.posternctl), "--config", str(self.config)] + (["--offline"] if offline else []) + \
              (["--json"] if as_json else []) + [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"posternctl {' '.join(map(str, args))}: {r.stdout}{r.stderr}")
        return json.loads(r.stdout) if as_json else r.stdout

    # --- observation -------------------------------------------------------------------------
    def delivered(self):
        """'delivered to <' lines in the log so far (reads only what was appended)."""
        try:
            with open(self.logfile, "rb") as f:
                f.seek(self._log_pos)
                data = f.read()
        except OSError:
            return self._delivered
        cut = data.rfind(b"\n") + 1
        self._delivered += data[:cut].count(b"delivered to <")
        self._log_pos += cut
        return self._delivered

    def cpu_seconds(self):
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.proc.pid, self.worker_pid()]:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    s = f.read()
                v = s[s.rindex(")") + 2:].split()
                total += (int(v[11]) + int(v[12])) / tick
            except (OSError, ValueError, TypeError):
                pass
        return total


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def e2e(server: Postern, conc, count, size, poll, wait_timeout, perf_dir=None):
    """One smtp_load.py run against the server; returns acceptance and end-to-end figures."""
    base = server.delivered()
    jpath = server.dir / f"smtp_load.{os.getpid()}.json"
    load_before = loadavg()
    cpu0 = server.cpu_seconds()
    perf = None
    if perf_dir:
        Path(perf_dir).mkdir(parents=True, exist_ok=True)
        pdata = Path(perf_dir) / f"perf-c{conc}.data"
        perf = subprocess.Popen(["perf", "record", "-q", "-g", "-F", "499", "-o", str(pdata), "-p",
                                 f"{server.proc.pid},{server.worker_pid()}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmd = [sys.executable, str(SHARED / "smtp_load.py"), "--port", str(server.port), "-n", str(count),
           "-s", str(size), "-c", str(conc), "--json", str(jpath)]
    proc = subprocess.Popen(cmd)
    samples = []
    while proc.poll() is None:
        samples.append((time.time(), server.delivered()))
        time.sleep(poll)
    res = json.loads(jpath.read_text())
    jpath.unlink()
    target = base + res["accepted"]
    done_at, queue_left = None, None
    deadline = time.time() + wait_timeout
    while time.time() < deadline:
        now = time.time()
        counts = server.ctl("queue", "counts", as_json=True)
        queue_left = counts["messages"]
        if queue_left == 0 and server.delivered() >= target:
            done_at = now
            break
        time.sleep(poll)
    cpu1 = server.cpu_seconds()
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=60)
    start = res["start_epoch"]
    out = {
        "server": "postern", "conc": conc, "size": size, "requested": count, "accepted": res["accepted"],
        "rejected": res["rejected"], "conn_errors": res["conn_errors"],
        "smtp_msgs_per_s": res["msgs_per_s"], "smtp_elapsed_s": res["elapsed_s"],
        "lat_ms_p50": res["lat_ms_p50"], "lat_ms_p99": res["lat_ms_p99"],
        "host_cpu_busy_pct": res.get("host_cpu_busy_pct"), "client_cpu_pct_of_host": res.get("client_cpu_pct_of_host"),
        "delivered_logged": server.delivered() - base, "queue_left": queue_left,
        "e2e_elapsed_s": round(done_at - start, 3) if done_at else None,
        "e2e_msgs_per_s": round(res["accepted"] / (done_at - start), 2) if done_at else None,
        "lag_after_last_accept_s": round(done_at - res["last_accept_epoch"], 3) if done_at else None,
        "server_cpu_s": round(cpu1 - cpu0, 2),
        "server_cpu_ms_per_msg": round(1000 * (cpu1 - cpu0) / max(1, res["accepted"]), 3),
        "load_before": load_before, "load_after": loadavg(),
    }
    return out


def storage_total(server: Postern):
    rep = server.ctl("storage", "report", as_json=True)
    return rep.get("messages")


def idle_memory(server: Postern, k, json_path=None):
    cmd = [sys.executable, str(HERE / "idle_smtp.py"), "--port", str(server.port), "-k", str(k),
           "--pid", str(server.proc.pid)]
    if json_path:
        cmd += ["--json", str(json_path)]
    subprocess.run(cmd, timeout=600)
    if json_path and Path(json_path).exists():
        return json.loads(Path(json_path).read_text())
    return None


def summary_line(r):
    e2e_rate = r["e2e_msgs_per_s"]
    return (f"c={r['conc']}: accepted {r['accepted']}/{r['requested']} at {r['smtp_msgs_per_s']:.0f} msgs/s, "
            f"end-to-end {e2e_rate if e2e_rate is not None else 'n/a'} msgs/s (lag {r['lag_after_last_accept_s']} s), "
            f"stored {r.get('stored')}, server CPU {r['server_cpu_ms_per_msg']} ms/msg, "
            f"load {r['load_before']:.2f}->{r['load_after']:.2f}")


def cmd_run(a):
    directory = Path(a.dir)
    results = []
    idle = None
    concs = [int(c) for c in a.conc.split(",") if c]
    ulimit = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (ulimit[1], ulimit[1]))
    try:
        for rep in range(a.reps):
            for conc in concs:
                server = Postern(Path(a.build), directory, extra_config=a.config_extra)
                server.prepare()
                server.start()
                try:
                    time.sleep(1)
                    r = e2e(server, conc, a.count, a.size, a.poll, a.wait_timeout,
                            perf_dir=a.perf if rep == 0 else None)
                    r["rep"] = rep + 1
                    r["stored"] = storage_total(server)
                    results.append(r)
                    log(summary_line(r))
                finally:
                    server.stop()
        if a.idle_k:
            server = Postern(Path(a.build), directory, extra_config=a.config_extra)
            server.prepare()
            server.start()
            try:
                time.sleep(1)
                idle = idle_memory(server, a.idle_k, a.idle_json or directory.parent / "postern-idle.json")
            finally:
                server.stop()
    finally:
        if not a.keep and directory.exists():
            shutil.rmtree(directory, ignore_errors=True)
    out = {"runs": results, "idle": idle, "medians": {}}
    for conc in concs:
        rs = [r for r in results if r["conc"] == conc]
        e2es = [r["e2e_msgs_per_s"] for r in rs if r["e2e_msgs_per_s"]]
        out["medians"][str(conc)] = {
            "smtp_msgs_per_s": statistics.median(r["smtp_msgs_per_s"] for r in rs) if rs else None,
            "e2e_msgs_per_s": statistics.median(e2es) if e2es else None,
        }
        log(f"median c={conc}: accepted {out['medians'][str(conc)]['smtp_msgs_per_s']} msgs/s, "
            f"end-to-end {out['medians'][str(conc)]['e2e_msgs_per_s']} msgs/s over {len(rs)} run(s)")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    ok = all(r["e2e_msgs_per_s"] and r["stored"] == r["accepted"] for r in results)
    return 0 if ok else 1


def cmd_start(a):
    server = Postern(Path(a.build), Path(a.dir))
    server.prepare()
    server.start()
    server.proc = None  # leave it running
    log(f"posternd running: config {server.config}, pid file {server.pidfile}, SMTP 127.0.0.1:{PORT}")
    return 0


def cmd_stop(a):
    Postern(Path(a.build), Path(a.dir)).stop_stale()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "start", "stop"])
    ap.add_argument("--build", default=os.environ.get("POSTERN_BUILD", str(ROOT / "build-bench")))
    ap.add_argument("--dir", default="/tmp/postern-smtp-bench/server",
                    help="scratch directory (config, data, log); emptied first")
    ap.add_argument("--conc", default="16,64", help="concurrent connections, comma separated")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("-n", "--count", type=int, default=8000)
    ap.add_argument("-s", "--size", type=int, default=10240)
    ap.add_argument("--poll", type=float, default=1.0)
    ap.add_argument("--wait-timeout", type=float, default=300)
    ap.add_argument("--idle-k", type=int, default=0, help="also measure memory at K idle sessions")
    ap.add_argument("--config-extra", default="",
                    help='TOML appended to the config, starting with a table, e.g. "[processing]\\nthreads = 8"')
    ap.add_argument("--idle-json", help="where idle_smtp.py writes its JSON")
    ap.add_argument("--perf", metavar="DIR", help="perf record the server during the first repetition")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--json")
    a = ap.parse_args()
    return {"run": cmd_run, "start": cmd_start, "stop": cmd_stop}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
