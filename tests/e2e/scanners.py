"""Real scanners for the end-to-end tests, each started in a temp directory with its own
configuration and no network access: SpamAssassin's spamd (local tests only, no Bayes),
ClamAV's clamd with a one-signature database (the EICAR test string; no freshclam), and
clamav-milter in front of that clamd. Each can be stopped and started again on the same port."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from harness import free_port, wait_for

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def _ask(port, request: bytes, timeout=1.0) -> bytes:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return out
                out += chunk
    except OSError:
        return b""


class Daemon:
    """One scanner process in the foreground, stopped with SIGTERM (SIGKILL after 10 s)."""

    name = "daemon"

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix=f"postern-{self.name}-"))
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.process = None

    def command(self):
        raise NotImplementedError

    def alive(self):
        raise NotImplementedError

    def start(self, timeout=60):
        out = open(self.dir / "output.log", "ab")
        self.process = subprocess.Popen(self.command(), stdout=out, stderr=out, start_new_session=True)
        try:
            wait_for(lambda: self.alive() or self.process.poll() is not None, timeout=timeout,
                     interval=0.1, what=f"{self.name} to answer")
        except AssertionError:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited:\n" + (self.dir / "output.log").read_text(errors="replace"))
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # Wait until the port is really closed (the kernel may take a moment).
        wait_for(lambda: not self.alive(), timeout=10, what=f"{self.name} to stop")

    def cleanup(self):
        self.stop()
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class Spamd(Daemon):
    name = "spamd"

    def __init__(self):
        super().__init__()
        # The site config replaces /etc/spamassassin: its plugin loaders (.pre) plus ours.
        for pre in Path("/etc/spamassassin").glob("*.pre"):
            shutil.copy(pre, self.dir)
        (self.dir / "local.cf").write_text(
            "use_bayes 0\nbayes_auto_learn 0\nskip_rbl_checks 1\ndns_available no\n"
            "use_auto_whitelist 0\n")

    def command(self):
        return ["spamd", f"--listen=127.0.0.1:{self.port}", f"--siteconfigpath={self.dir}", "--local",
                "--nouser-config", "--max-children=4", "--min-children=1", "--syslog=stderr",
                f"--pidfile={self.dir}/spamd.pid", "-u", "nobody", f"--helper-home-dir={self.dir}"]

    def alive(self):
        return b"PONG" in _ask(self.port, b"PING SPAMC/1.5\r\n\r\n")


class Clamd(Daemon):
    name = "clamd"

    def __init__(self, stream_max="5M"):
        super().__init__()
        hexsig = EICAR.hex()
        (self.dir / "postern-test.ndb").write_text(f"Postern-Test.EICAR:0:*:{hexsig}\n")
        (self.dir / "clamd.conf").write_text(
            f"Foreground yes\nDatabaseDirectory {self.dir}\nTCPSocket {self.port}\nTCPAddr 127.0.0.1\n"
            f"LogFile {self.dir}/clamd.log\nStreamMaxLength {stream_max}\nUser root\n"
            "MaxThreads 4\nSelfCheck 0\n")

    def command(self):
        return ["clamd", "-c", str(self.dir / "clamd.conf")]

    def alive(self):
        return b"PONG" in _ask(self.port, b"zPING\0")


class ClamavMilter(Daemon):
    """clamav-milter asking `clamd`; rejects infected mail and adds X-Virus-Scanned/-Status."""

    name = "clamav-milter"

    def __init__(self, clamd):
        super().__init__()
        (self.dir / "milter.conf").write_text(
            f"MilterSocket inet:{self.port}@127.0.0.1\nClamdSocket tcp:127.0.0.1:{clamd.port}\n"
            f"Foreground yes\nUser root\nLogFile {self.dir}/milter.log\nOnInfected Reject\n"
            "RejectMsg Virus found: %v\nAddHeader Replace\n")

    def command(self):
        return ["clamav-milter", "-c", str(self.dir / "milter.conf")]

    def alive(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False
