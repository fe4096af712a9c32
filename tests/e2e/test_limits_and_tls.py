"""Client certificates, total session time, the literal size limit, and the login cache."""
import json
import socket
import ssl
import subprocess
import time

import pytest

from harness import LineClient, wait_for

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

[services.test]
enabled = true
allow_plaintext_auth = true
session_timeout = "3s"
idle_timeout = "60s"
max_literal_size = "1M"

[[services.test.listener]]
address = "127.0.0.1:{test}"

[[services.test.listener]]
address = "127.0.0.1:{mtls}"
tls = "implicit"
client_cert = "required"
ca_file = "{dir}/ca.crt"
verify_depth = 2
"""


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
    return make_server(CONFIG, ports=("test", "mtls"), setup=setup)


def tls_connect(server, with_cert):
    ctx = ssl.create_default_context(cafile=str(server.cert))
    if with_cert:
        ctx.load_cert_chain(f"{server.dir}/client.crt", f"{server.dir}/client.key")
    raw = socket.create_connection(("127.0.0.1", server.ports["mtls"]), timeout=5)
    s = ctx.wrap_socket(raw, server_hostname="mail.example.test")
    return s


def test_client_certificate_required(server):
    s = tls_connect(server, with_cert=True)
    assert s.recv(200).startswith(b"+OK")
    s.close()
    # Without a certificate the handshake fails (TLS 1.3 reports it at the first read).
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        s = tls_connect(server, with_cert=False)
        data = s.recv(200)
        if not data:
            raise ConnectionResetError("closed")


def test_total_session_time_is_enforced(server):
    c = LineClient(server.ports["test"])
    c.line()
    started = time.monotonic()
    # Busy, never idle: only the total session limit (3 s) can end it.
    closed = False
    while time.monotonic() - started < 15:
        try:
            reply = c.command("NOOP")
        except (ConnectionError, OSError):
            closed = True
            break
        if reply != "+OK":
            closed = True
            break
        time.sleep(0.2)
    assert closed
    assert 2.5 < time.monotonic() - started < 10


def test_literal_size_limit(server):
    c = LineClient(server.ports["test"])
    c.line()
    assert c.command("LITERAL 2000000") == "-ERR literal larger than 1048576 bytes"
    assert c.command("LITERAL 5") == "+ go ahead"
    c.send(b"hello")
    assert c.line() == "+OK 5 bytes"
    assert c.command("LITERAL 1048576") == "+ go ahead"
    c.send(b"x" * 1048576)
    assert c.line() == "+OK 1048576 bytes"


def test_repeated_logins_cost_one_password_hash(server):
    def status():
        return json.loads(server.ctl("--json", "status").stdout)["auth"]

    before = status()
    for _ in range(20):
        c = LineClient(server.ports["test"])
        c.line()
        assert c.command("AUTH alice@example.test Correct-Horse-9") == "+OK authenticated as alice@example.test"
        c.close()
    after = status()
    assert after["hash_verifications"] - before["hash_verifications"] == 1
    assert after["cache_hits"] - before["cache_hits"] == 19
