"""Starts the real posternd on loopback with a temporary data directory, for end-to-end tests.

A Server writes a config from a template (free ports filled in), makes a self-signed
certificate, runs `posternd` (supervised, as in production), waits until its listeners
accept, and stops it at the end. Tests talk to it with real clients over real sockets.
"""
import collections
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("POSTERN_BUILD", ROOT / "build"))
POSTERND = BUILD / "src" / "daemon" / "posternd"
POSTERNCTL = BUILD / "src" / "tools" / "posternctl"


_recent_ports = collections.deque(maxlen=1024)


def free_port(host="127.0.0.1", kind=socket.SOCK_STREAM):
    """A port nobody listens on now and that this test run has not handed out lately.

    The kernel may give the same ephemeral port to two binds in a row once the first socket is
    closed, so one server's listeners could otherwise collide with each other."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _recent_ports:
            _recent_ports.append(port)
            return port


def wait_for(condition, timeout=10.0, interval=0.05, what="condition"):
    """Polls `condition` until it returns a truthy value; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def make_certificate(directory: Path):
    key, cert = directory / "server.key", directory / "server.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=mail.example.test", "-addext", "subjectAltName=DNS:mail.example.test,DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


class LineClient:
    """A line-oriented client for SMTP (and any CRLF protocol), for what smtplib cannot do:
    raw bytes, PROXY headers, pipelining, replies read one line at a time."""

    def __init__(self, port, host="127.0.0.1", source=None, timeout=5.0, tls=False, cafile=None):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        if tls:
            self.sock = client_tls_context(cafile).wrap_socket(self.sock, server_hostname="mail.example.test")
        self.buffer = b""

    def start_tls(self, cafile):
        self.sock = client_tls_context(cafile).wrap_socket(self.sock, server_hostname="mail.example.test")

    def send(self, data: bytes):
        self.sock.sendall(data)

    def line(self) -> str:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def command(self, text: str) -> str:
        self.send(text.encode() + b"\r\n")
        return self.line()

    def reply(self) -> list:
        """The lines of one SMTP reply, multi-line ("250-...", ..., "250 ...") or not."""
        lines = [self.line()]
        while len(lines[-1]) >= 4 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines

    def ehlo(self, name="client.test") -> list:
        """Sends EHLO; returns the reply's lines (the first names the server, the others its extensions)."""
        self.send(f"EHLO {name}\r\n".encode())
        lines = self.reply()
        assert lines[-1].startswith("250 "), lines
        return lines

    def closed(self, timeout=5.0) -> bool:
        """True when the server closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def client_tls_context(cafile):
    ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if not cafile:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Server:
    def __init__(self, config_template: str, ports=(), udp_ports=(), extra=None):
        self.dir = Path(tempfile.mkdtemp(prefix="postern-e2e-"))
        os.chmod(self.dir, 0o755)
        self.cert, self.key = make_certificate(self.dir)
        self.ports = {name: free_port() for name in ports}
        self.ports.update({name: free_port(kind=socket.SOCK_DGRAM) for name in udp_ports})
        self.values = dict(self.ports, dir=str(self.dir), cert=str(self.cert), key=str(self.key), **(extra or {}))
        self.config = self.dir / "postern.toml"
        self.write_config(config_template)
        self.process = None
        self.output = self.dir / "posternd.out"

    def write_config(self, template: str):
        self.config.write_text(template.format(**self.values))

    @property
    def log_file(self):
        return self.dir / "log" / "postern.log"

    def log_text(self):
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def wait_log(self, text, timeout=10.0):
        """Log lines reach the file within about a second (the writer batches); wait for them."""
        wait_for(lambda: text in self.log_text(), timeout=timeout, what=f"log line containing {text!r}")

    def ctl(self, *args, offline=False, check=True, json_output=False, input=None):
        cmd = [str(POSTERNCTL), "--config", str(self.config)]
        if offline:
            cmd.append("--offline")
        if json_output:
            cmd.append("--json")
        cmd += [str(a) for a in args]
        result = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"posternctl {' '.join(map(str, args))} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        if json_output and result.returncode == 0:
            return json.loads(result.stdout)
        return result

    def start(self, wait_ports=None):
        out = open(self.output, "wb")
        self.process = subprocess.Popen([str(POSTERND), "--config", str(self.config)], stdout=out, stderr=out,
                                        start_new_session=True)
        for port in (wait_ports if wait_ports is not None else self.tcp_ports()):
            wait_for(lambda: self.accepts(port) or self.process.poll() is not None, what=f"port {port}")
            if self.process.poll() is not None:
                raise AssertionError("posternd exited:\n" + self.output.read_text(errors="replace"))
        wait_for(lambda: self.worker_pid(), what="worker pid file")
        return self

    def tcp_ports(self):
        return [p for name, p in self.ports.items() if not name.startswith("udp")]

    def accepts(self, port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def worker_pid(self):
        path = self.dir / "data" / "run" / "worker.pid"
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    def reload(self):
        """SIGHUP to the supervisor; returns once the worker logged the reload."""
        before = self.log_text().count("configuration reloaded")
        os.kill(self.process.pid, signal.SIGHUP)
        wait_for(lambda: self.log_text().count("configuration reloaded") > before, what="reload")

    def stop(self, timeout=30):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode if self.process else None
