"""Client certificates, total session time, the message size limit (SIZE, DATA, BDAT), and the
login cache, on the real SMTP service."""
import base64
import json
import socket
import ssl
import subprocess
import time

import pytest

from harness import LineClient, wait_for
from mailflow import wait_delivered

CONFIG = """
[server]
hostname = "mail.example.test"
data_dir = "{dir}/data"
shutdown_grace = "2s"

[tls]
cert = "{cert}"
key = "{key}"

[log]
level = 31
directory = "{dir}/log"

[auth]
argon2_memory_kib = 8192
argon2_iterations = 1

[services.smtp]
enabled = true
allow_plaintext_auth = true
session_timeout = "3s"
idle_timeout = "60s"
max_message_size = "1M"

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"

[[services.smtp.listener]]
address = "127.0.0.1:{mtls}"
tls = "implicit"
client_cert = "required"
ca_file = "{dir}/ca.crt"
verify_depth = 2
"""

LIMIT = 1 << 20


def make_client_ca(directory):
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test Client CA",
        "-keyout", f"{directory}/ca.key", "-out", f"{directory}/ca.crt")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client.example.test",
        "-keyout", f"{directory}/client.key", "-out", f"{directory}/client.csr")
    run("openssl", "x509", "-req", "-in", f"{directory}/client.csr", "-CA", f"{directory}/ca.crt",
        "-CAkey", f"{directory}/ca.key", "-CAcreateserial", "-days", "2", "-out", f"{directory}/client.crt")


@pytest.fixture
def server(make_server):
    def setup(s):
        make_client_ca(s.dir)
        s.ctl("domain", "add", "example.test", offline=True)
        s.ctl("account", "add", "alice@example.test", "--password", "Correct-Horse-9", offline=True)
    return make_server(CONFIG, ports=("smtp", "mtls"), setup=setup)


def tls_connect(server, with_cert):
    ctx = ssl.create_default_context(cafile=str(server.cert))
    if with_cert:
        ctx.load_cert_chain(f"{server.dir}/client.crt", f"{server.dir}/client.key")
    raw = socket.create_connection(("127.0.0.1", server.ports["mtls"]), timeout=5)
    s = ctx.wrap_socket(raw, server_hostname="mail.example.test")
    return s


def greeted(server):
    c = LineClient(server.ports["smtp"])
    assert c.line().startswith("220 ")
    return c


def test_client_certificate_required(server):
    s = tls_connect(server, with_cert=True)
    assert s.recv(200).startswith(b"220 mail.example.test ESMTP")
    s.sendall(b"EHLO client.test\r\n")
    reply = b""
    while b"\r\n250 " not in reply:  # the last line of the EHLO reply
        reply += s.recv(4096)
    assert reply.startswith(b"250-mail.example.test Hello client.test")
    s.close()
    # Without a certificate the handshake fails (TLS 1.3 reports it at the first read).
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        s = tls_connect(server, with_cert=False)
        data = s.recv(200)
        if not data:
            raise ConnectionResetError("closed")


def test_total_session_time_is_enforced(server):
    c = greeted(server)
    started = time.monotonic()
    # Busy, never idle: only the total session limit (3 s) can end it.
    closed = False
    while time.monotonic() - started < 15:
        try:
            reply = c.command("NOOP")
        except (ConnectionError, OSError):
            closed = True
            break
        if reply != "250 Ok":
            assert reply.startswith("421 "), reply
            closed = True
            break
        time.sleep(0.2)
    assert closed
    assert 2.5 < time.monotonic() - started < 10


def message_of(size, subject):
    """A message of exactly `size` octets (as counted by SMTP: CRLF lines, before dot-stuffing)."""
    header = f"From: carol@elsewhere.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\n".encode()
    left = size - len(header)
    full, rest = divmod(left, 78)
    lines = [b"x" * 76 + b"\r\n"] * full
    if rest == 1:
        lines[-1] = b"x" * 77 + b"\r\n"
    elif rest:
        lines.append(b"y" * (rest - 2) + b"\r\n")
    data = header + b"".join(lines)
    assert len(data) == size
    return data


def data_transaction(c, body):
    assert c.command("MAIL FROM:<carol@elsewhere.test>").startswith("250 ")
    assert c.command("RCPT TO:<alice@example.test>").startswith("250 ")
    assert c.command("DATA").startswith("354 ")
    c.send(body + b".\r\n")
    return c.line()


def test_message_size_limit(server):
    c = greeted(server)
    assert f"250-SIZE {LIMIT}" in c.ehlo()
    # Announced too large: refused at MAIL, before any of it is sent.
    assert c.command("MAIL FROM:<carol@elsewhere.test> SIZE=2000000") == \
        "552 5.3.4 Message size exceeds fixed maximum message size"
    # Exactly at the limit over DATA: accepted.
    assert data_transaction(c, message_of(LIMIT, "at-limit")).startswith("250 ")
    # One octet over: the whole message is read and refused, and the session goes on.
    assert data_transaction(c, message_of(LIMIT + 1, "over")) == \
        "552 5.3.4 Message size exceeds fixed maximum message size"
    assert c.command("NOOP") == "250 2.0.0 Ok"
    # BDAT (RFC 3030): a chunk past the limit is read and thrown away, then refused.
    assert c.command("MAIL FROM:<carol@elsewhere.test>").startswith("250 ")
    assert c.command("RCPT TO:<alice@example.test>").startswith("250 ")
    big = message_of(LIMIT + 1000, "bdat-over")
    c.send(f"BDAT {len(big)} LAST\r\n".encode() + big)
    assert c.line().startswith("552 ")
    assert c.command("NOOP") == "250 2.0.0 Ok"
    # A small one in chunks still goes through.
    assert c.command("MAIL FROM:<carol@elsewhere.test>").startswith("250 ")
    assert c.command("RCPT TO:<alice@example.test>").startswith("250 ")
    small = message_of(500, "bdat-small")
    c.send(f"BDAT {len(small)} LAST\r\n".encode() + small)
    assert c.line().startswith("250 ")
    assert c.command("QUIT").startswith("221 ")
    wait_delivered(server, 2)
    time.sleep(1.5)  # nothing else trickles in
    assert server.log_text().count("delivered to <") == 2


def test_repeated_logins_cost_one_password_hash(server):
    def status():
        return json.loads(server.ctl("--json", "status").stdout)["auth"]

    credentials = base64.b64encode(b"\0alice@example.test\0Correct-Horse-9").decode()
    before = status()
    for _ in range(20):
        c = greeted(server)
        c.ehlo()
        assert c.command(f"AUTH PLAIN {credentials}") == "235 2.7.0 Authentication successful"
        c.close()
    after = status()
    assert after["hash_verifications"] - before["hash_verifications"] == 1
    assert after["cache_hits"] - before["cache_hits"] == 19
    wait_for(lambda: server.log_text().count("authenticated as alice@example.test (PLAIN)") == 20,
             what="20 logins in the log")
