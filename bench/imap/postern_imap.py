#!/usr/bin/python3
"""Starts and stops a Postern instance for the IMAP benchmarks (bench/imap/compare.sh).

The instance follows bench/smtp/postern_bench.py: a generated config in a scratch directory
(data, log, pid file there), domain bench.test, accounts user1..user100@bench.test with password
"pass" (imported as {PLAIN}; the first login re-hashes with the configured argon2id cost), log
level 15 (no protocol lines). Only IMAP is enabled: plain on 127.0.0.1:1144 with
allow_plaintext_auth = true (the bench clients log in without TLS, as against Dovecot's peer)
and no connection limits.

usage:
  postern_imap.py start   [--build DIR] [--dir DIR] [--port 1144] [--fresh]
  postern_imap.py restart [--build DIR] [--dir DIR]     # same data: the next SELECT is "cold"
  (start and restart take --imap-keys 'threads_max = 32' for keys inside [services.imap])
  postern_imap.py stop    [--dir DIR]
  postern_imap.py pids    [--dir DIR]                   # "supervisor worker"

`start --fresh` empties the directory first; without it an existing data directory is reused.
The server runs in its own session and survives this script; `stop` ends it (SIGTERM, then
SIGKILL of its process group after 30 s). `--config-extra 'TOML'` is appended to the config.
"""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "bench" / "smtp"))
from postern_bench import Postern, port_open  # noqa: E402

PORT = 1144

CONFIG = """\
[server]
hostname = "mx.bench.test"
data_dir = "{dir}/data"
shutdown_grace = "5s"

[log]
level = 15
directory = "{dir}/log"

[services.imap]
enabled = true
allow_plaintext_auth = true
{imap_keys}max_connections = 0
max_connections_per_ip = 0
new_connections = "0/1s"
new_connections_per_ip = "0/1s"

[[services.imap.listener]]
address = "127.0.0.1:{port}"
tls = "none"
max_connections = 0
max_connections_per_ip = 0
"""


def log(msg):
    print(f"[postern_imap {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class PosternImap(Postern):
    imap_keys = ""

    def write_config(self):
        keys = self.imap_keys.replace("\\n", "\n").strip()
        self.config.write_text(CONFIG.format(dir=self.dir, port=self.port, imap_keys=keys + "\n" if keys else "") +
                               self.extra_config.replace("\\n", "\n") + "\n")

    def prepare(self):
        self.stop_stale()
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.write_config()
        self.ctl("domain", "add", "bench.test", offline=True)
        csv = self.dir / "accounts.csv"
        csv.write_text("address,password\n" + "".join(f"user{i}@bench.test,{{PLAIN}}pass\n" for i in range(1, 101)))
        imported = self.ctl("account", "import", str(csv), offline=True, as_json=True)
        if imported.get("imported") != 100:
            raise SystemExit(f"account import failed: {imported}")

    def start_detached(self):
        """Starts posternd and forgets the child (it stays up after this script exits)."""
        if port_open(self.port):
            raise SystemExit(f"127.0.0.1:{self.port} is already in use")
        out = open(self.dir / "posternd.out", "ab")

        def raise_nofile():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        proc = subprocess.Popen([str(self.posternd), "--config", str(self.config)], stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=raise_nofile)
        self.pidfile.write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + 60
        while not port_open(self.port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("posternd did not start:\n" + (self.dir / "posternd.out").read_text(errors="replace")[-4000:])
            time.sleep(0.05)
        while not self.worker_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return proc.pid

    def worker_alive(self, supervisor):
        """True once worker.pid names a live child of the supervisor (not a previous run's)."""
        w = self.worker_pid()
        try:
            with open(f"/proc/{w}/stat") as f:
                st = f.read()
            return int(st[st.rindex(")") + 2:].split()[1]) == supervisor
        except (OSError, ValueError, TypeError):
            return False

    def supervisor_pid(self):
        try:
            return int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError):
            return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "restart", "stop", "pids"])
    ap.add_argument("--build", default=os.environ.get("POSTERN_BUILD", str(ROOT / "build-imap-bench")))
    ap.add_argument("--dir", default="/tmp/postern-imap-bench/server")
    ap.add_argument("--port", type=int, default=PORT)
    ap.add_argument("--fresh", action="store_true", help="empty the directory and import the accounts first")
    ap.add_argument("--config-extra", default="", help="TOML appended to the config (new tables)")
    ap.add_argument("--imap-keys", default="",
                    help='keys added to [services.imap], e.g. "threads_min = 2\\nthreads_max = 32"')
    a = ap.parse_args()
    s = PosternImap(Path(a.build), Path(a.dir), port=a.port, extra_config=a.config_extra)
    s.imap_keys = a.imap_keys
    if a.command == "pids":
        print(s.supervisor_pid() or 0, s.worker_pid() or 0)
        return 0
    if a.command in ("stop", "restart"):
        s.stop_stale()
        for _ in range(100):
            if not port_open(a.port):
                break
            time.sleep(0.1)
        try:
            s.pidfile.unlink()
        except OSError:
            pass
        if a.command == "stop":
            return 0
    if a.command == "start" and (a.fresh or not (s.dir / "data").exists()):
        s.prepare()
    else:  # restart, or start on existing data: the config is written again (new --imap-keys)
        s.stop_stale()
        s.write_config()
    pid = s.start_detached()
    log(f"posternd running: supervisor {pid}, worker {s.worker_pid()}, IMAP 127.0.0.1:{a.port}, dir {a.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
