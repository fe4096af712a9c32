"""ManageSieve (RFC 5804; docs/sieve.md) against the real daemon: capabilities, STARTTLS and
SASL PLAIN with a raw-socket client, every script command and its response codes, limits
(script size, script count, oversized literal), auth failures, and the whole path with a real
client: sieve-connect uploads and activates a script, a message arrives over SMTP and is filed
by that script."""
import base64
import os
import shutil
import socket
import ssl
import subprocess

import pytest

from harness import client_tls_context
from mailflow import CONFIG, PASSWORD, account_id, mailbox, make_mail_server, wait_delivered
from test_sieve import send

MS_CONFIG = CONFIG + """
[services.managesieve]
enabled = true
max_scripts = 3
max_script_size = "4K"
{ms_extra}

[[services.managesieve.listener]]
address = "127.0.0.1:{managesieve}"
tls = "starttls"
"""

PORTS = ("smtp", "submission", "smtps", "managesieve")

FILE_REPORTS = """require ["fileinto", "mailbox"];
if header :contains "subject" "report" {
    fileinto :create "Reports";
}
"""


def make_ms_server(make_server, ms_extra="", start=True):
    return make_mail_server(make_server, extra={"ms_extra": ms_extra}, config=MS_CONFIG, ports=PORTS,
                            start=start)


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(text):
    data = text.encode()
    return b"{%d+}\r\n" % len(data) + data


class SieveClient:
    """A raw ManageSieve client: sends command lines (with literals) and reads responses."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.greeting = self.response()

    def starttls(self):
        lines = self.command("STARTTLS")
        assert lines[-1].startswith("OK"), lines
        self.sock = client_tls_context(None).wrap_socket(self.sock, server_hostname="mail.example.test")
        self.buffer = b""
        return self.response()  # the capabilities again (RFC 5804 §2.2)

    def raw_line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def line(self):
        """One response line with any literal at its end inlined as its text."""
        line = self.raw_line()
        if line.endswith(b"}") and b"{" in line:
            head, size = line.rsplit(b"{", 1)
            data = self.read_exact(int(size[:-1].rstrip(b"+")))
            return (head + data).decode("utf-8", "replace") + self.line()
        return line.decode("utf-8", "replace")

    def response(self):
        """Lines up to and including the OK/NO/BYE line."""
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].split(" ", 1)[0] in ("OK", "NO", "BYE"):
                return lines

    def send(self, data: bytes):
        self.sock.sendall(data)

    def command(self, *parts):
        data = b" ".join(p if isinstance(p, bytes) else p.encode() for p in parts)
        self.send(data + b"\r\n")
        return self.response()

    def login(self, user="alice@example.test", password=PASSWORD):
        self.starttls()
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return self.command("AUTHENTICATE", quote("PLAIN"), quote(token))

    def closed(self, timeout=5.0):
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def capabilities(lines):
    caps = {}
    for line in lines[:-1]:
        parts = line.split('" "', 1)
        name = parts[0].strip('"')
        caps[name] = parts[1].rstrip('"') if len(parts) == 2 else None
    return caps


def test_capabilities_starttls_and_plain_auth(make_server):
    mail = make_ms_server(make_server)
    c = SieveClient(mail.ports["managesieve"])
    caps = capabilities(c.greeting)
    assert c.greeting[-1].startswith("OK")
    assert caps["IMPLEMENTATION"] == "Postern"
    assert "STARTTLS" in caps
    assert caps["SASL"] == ""  # no plaintext mechanism before TLS (allow_plaintext_auth = false)
    assert {"fileinto", "vacation", "include", "imap4flags"} <= set(caps["SIEVE"].split())
    assert caps["VERSION"] == "1.0"
    token = base64.b64encode(f"\0alice@example.test\0{PASSWORD}".encode()).decode()
    refused = c.command("AUTHENTICATE", quote("PLAIN"), quote(token))
    assert refused[-1].startswith("NO (ENCRYPT-NEEDED)"), refused
    assert c.command("LISTSCRIPTS")[-1].startswith("NO"), "script commands need authentication"
    tls_caps = capabilities(c.starttls())
    assert "STARTTLS" not in tls_caps and "PLAIN" in tls_caps["SASL"].split()
    assert c.command("AUTHENTICATE", quote("PLAIN"), quote(token))[-1].startswith("OK")
    after = capabilities(c.command("CAPABILITY"))
    assert after["OWNER"] == "alice@example.test"
    assert c.command("NOOP", quote("sync-1"))[-1] == 'OK (TAG "sync-1") "Done"'
    assert c.command("AUTHENTICATE", quote("PLAIN"))[-1].startswith("NO")  # already authenticated
    assert c.command("UNAUTHENTICATE")[-1].startswith("OK")
    assert c.command("LISTSCRIPTS")[-1].startswith("NO")
    # SASL with a challenge: AUTHENTICATE "LOGIN", the client answers each challenge with a string
    c.send(b'AUTHENTICATE "LOGIN"\r\n')
    assert base64.b64decode(c.line().strip('"')).lower().startswith(b"user")
    c.send(quote(base64.b64encode(b"bob@example.test").decode()).encode() + b"\r\n")
    c.line()
    c.send(literal(base64.b64encode(PASSWORD.encode()).decode()) + b"\r\n")
    assert c.response()[-1].startswith("OK")
    assert capabilities(c.command("CAPABILITY"))["OWNER"] == "bob@example.test"
    assert c.command("LOGOUT")[-1].startswith("OK")
    assert c.closed()
    mail.wait_log("MANAGESIEVE")


def test_invalid_script_is_refused_with_its_position_and_never_stored(make_server):
    mail = make_ms_server(make_server)
    c = SieveClient(mail.ports["managesieve"])
    assert c.login()[-1].startswith("OK")
    bad = 'require "fileinto";\nif header :contains "subject" "x" {\n  fileinto "A"\n}\n'
    reply = c.command("PUTSCRIPT", quote("broken"), literal(bad))
    assert reply[-1].startswith("NO"), reply
    assert "line 4:1" in reply[-1] or "line 3:" in reply[-1] or "line 4:" in reply[-1], reply
    unknown = c.command("PUTSCRIPT", quote("broken"), literal('require "extlists";\nkeep;\n'))
    assert unknown[-1].startswith("NO") and "extlists" in unknown[-1]
    assert c.command("CHECKSCRIPT", literal(bad))[-1].startswith("NO")
    assert c.command("CHECKSCRIPT", literal("keep;\n"))[-1].startswith("OK")
    assert c.command("LISTSCRIPTS") == ['OK "Listscripts completed"']
    ident = account_id(mail, "alice@example.test")
    scripts = mail.dir / "data" / "sieve" / "accounts" / ident / "scripts"
    assert not scripts.exists() or not any(scripts.iterdir())


def test_script_commands_and_response_codes(make_server):
    mail = make_ms_server(make_server)
    c = SieveClient(mail.ports["managesieve"])
    assert c.login()[-1].startswith("OK")
    assert c.command("PUTSCRIPT", quote("one"), literal("keep;\n"))[-1].startswith("OK")
    assert c.command("PUTSCRIPT", quote("two"), literal("discard;\n"))[-1].startswith("OK")
    assert c.command("HAVESPACE", quote("three"), "100")[-1].startswith("OK")
    assert c.command("HAVESPACE", quote("three"), "5000")[-1].startswith("NO (QUOTA/MAXSIZE)")
    assert c.command("SETACTIVE", quote("nope"))[-1].startswith("NO (NONEXISTENT)")
    assert c.command("SETACTIVE", quote("one"))[-1].startswith("OK")
    assert c.command("LISTSCRIPTS") == ['"one" ACTIVE', '"two"', 'OK "Listscripts completed"']
    assert c.command("DELETESCRIPT", quote("one"))[-1].startswith("NO (ACTIVE)")
    assert c.command("RENAMESCRIPT", quote("one"), quote("two"))[-1].startswith("NO (ALREADYEXISTS)")
    assert c.command("RENAMESCRIPT", quote("one"), quote("first"))[-1].startswith("OK")
    assert c.command("LISTSCRIPTS") == ['"first" ACTIVE', '"two"', 'OK "Listscripts completed"']
    ident = account_id(mail, "alice@example.test")
    active = mail.dir / "data" / "sieve" / "accounts" / ident / "active.sieve"
    assert os.readlink(active) == "scripts/first.sieve"
    assert c.command("GETSCRIPT", quote("first")) == ["keep;\n", 'OK "Getscript completed"']
    assert c.command("GETSCRIPT", quote("one"))[-1].startswith("NO (NONEXISTENT)")
    assert c.command("GETSCRIPT", quote("../x"))[-1].startswith("NO")
    # the third script fits, a fourth does not (max_scripts = 3); replacing one is fine
    assert c.command("PUTSCRIPT", quote("three"), literal("stop;\n"))[-1].startswith("OK")
    assert c.command("PUTSCRIPT", quote("four"), literal("stop;\n"))[-1].startswith("NO (QUOTA/MAXSCRIPTS)")
    assert c.command("HAVESPACE", quote("four"), "10")[-1].startswith("NO (QUOTA/MAXSCRIPTS)")
    assert c.command("PUTSCRIPT", quote("three"), literal("keep;\n"))[-1].startswith("OK")
    # a script literal over max_script_size is refused and skipped; the session goes on
    big = "# " + "x" * 5000 + "\nkeep;\n"
    assert c.command("PUTSCRIPT", quote("big"), literal(big))[-1].startswith("NO (QUOTA/MAXSIZE)")
    assert c.command("NOOP")[-1].startswith("OK")
    assert c.command("SETACTIVE", quote(""))[-1].startswith("OK")
    assert not os.path.lexists(active)
    assert c.command("DELETESCRIPT", quote("first"))[-1].startswith("OK")
    assert c.command("LISTSCRIPTS") == ['"three"', '"two"', 'OK "Listscripts completed"']
    assert c.command("FROBNICATE")[-1].startswith("NO")
    c.close()


def test_plain_active_script_is_adopted(make_server):
    mail = make_ms_server(make_server, start=False)
    ident = account_id(mail, "alice@example.test")
    base = mail.dir / "data" / "sieve" / "accounts" / ident
    base.mkdir(parents=True)
    (base / "active.sieve").write_text("keep;\n")
    mail.start()
    c = SieveClient(mail.ports["managesieve"])
    assert c.login()[-1].startswith("OK")
    assert c.command("LISTSCRIPTS") == ['"main" ACTIVE', 'OK "Listscripts completed"']
    assert os.readlink(base / "active.sieve") == "scripts/main.sieve"


def test_failed_logins_close_the_session(make_server):
    mail = make_ms_server(make_server)
    c = SieveClient(mail.ports["managesieve"])
    c.starttls()
    token = base64.b64encode(b"\0alice@example.test\0wrong").decode()
    for attempt in range(3):  # max_auth_failures = 3
        assert c.command("AUTHENTICATE", quote("PLAIN"), quote(token))[-1].startswith("NO")
    assert c.response()[-1].startswith("BYE")
    assert c.closed()
    mail.wait_log("authentication failed")


def test_overlong_line_and_hostile_literal(make_server):
    mail = make_ms_server(make_server)
    c = SieveClient(mail.ports["managesieve"])
    c.send(b"NOOP " + b"x" * 10000 + b"\r\n")
    assert c.response()[-1].startswith("BYE")
    assert c.closed()
    c = SieveClient(mail.ports["managesieve"])
    c.send(b'PUTSCRIPT "a" {99999999999999+}\r\n')
    assert c.response()[-1].startswith("BYE")
    assert c.closed()


@pytest.mark.skipif(shutil.which("sieve-connect") is None, reason="sieve-connect is not installed")
def test_sieve_connect_uploads_and_activates_a_script_that_files_delivered_mail(make_server, tmp_path):
    mail = make_ms_server(make_server)
    script = tmp_path / "reports.sieve"
    script.write_text(FILE_REPORTS)

    def sieve_connect(*args):
        cmd = ["sieve-connect", "--server", "127.0.0.1", "--port", str(mail.ports["managesieve"]), "--nosrv",
               "--user", "alice@example.test", "--passwordfd", "0", "--authmech", "PLAIN",
               "--tlscafile", str(mail.cert), "--tlshostname", "mail.example.test", *args]
        out = subprocess.run(cmd, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout + out.stderr

    sieve_connect("--upload", "--localsieve", str(script), "--remotesieve", "reports")
    sieve_connect("--activate", "--remotesieve", "reports")
    listed = sieve_connect("--list")
    assert "reports" in listed and "ACTIVE" in listed
    downloaded = tmp_path / "back.sieve"
    sieve_connect("--download", "--remotesieve", "reports", "--localsieve", str(downloaded))
    assert downloaded.read_text() == FILE_REPORTS
    broken = tmp_path / "broken.sieve"
    broken.write_text('require "fileinto";\nfileinto "Unclosed;\n')
    cmd_fail = subprocess.run(
        ["sieve-connect", "--server", "127.0.0.1", "--port", str(mail.ports["managesieve"]), "--nosrv",
         "--user", "alice@example.test", "--passwordfd", "0", "--authmech", "PLAIN", "--tlscafile", str(mail.cert),
         "--tlshostname", "mail.example.test", "--upload", "--localsieve", str(broken), "--remotesieve", "broken"],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert cmd_fail.returncode != 0
    send(mail, "carol@remote.test", "alice@example.test", "monthly report")
    send(mail, "carol@remote.test", "alice@example.test", "hello")
    wait_delivered(mail, 2)
    mail.wait_log("sieve account <alice@example.test>: store Reports")
    reports = mailbox(mail, "alice@example.test", "Reports")
    assert len(reports) == 1 and b"Subject: monthly report" in reports[0]
    inbox = mailbox(mail, "alice@example.test")
    assert len(inbox) == 1 and b"Subject: hello" in inbox[0]
