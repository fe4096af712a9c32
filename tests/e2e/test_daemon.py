"""posternd end to end: listeners, rules, limits, TLS, timeouts, reload, supervisor, logging, seen
through the real SMTP service (SMTP-IN) with raw sockets."""
import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import time

import pytest

from harness import LineClient, POSTERND, free_port, wait_for
from mailflow import mailbox, wait_delivered

BASE = """
[server]
hostname = "mail.example.test"
data_dir = "{dir}/data"
shutdown_grace = "3s"
restart_backoff_min = "200ms"
restart_backoff_max = "1s"

[tls]
cert = "{cert}"
key = "{key}"

[log]
level = 31
directory = "{dir}/log"

[services.smtp]
enabled = true
idle_timeout = "2s"
max_bad_commands = 3
max_line_length = 1024
"""

LISTENERS = """
[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
tls = "starttls"
max_connections_per_ip = 5

[[services.smtp.listener]]
address = "127.0.0.1:{tls}"
tls = "implicit"

[[services.smtp.rule]]
action = "deny"
match = "127.0.0.2"
priority = 10

[[services.smtp.rule]]
action = "deny"
match = "127.0.0.4/30"
priority = 20

[[services.smtp.rule]]
action = "allow"
match = "127.0.0.5"
priority = 15
"""


@pytest.fixture
def server(make_server):
    return make_server(BASE + LISTENERS, ports=("smtp", "tls"))


REFUSAL = "554 5.7.1 Access denied"


def greet(port, host="mail.example.test", **kw):
    c = LineClient(port, **kw)
    assert c.line().startswith(f"220 {host} ESMTP")
    return c


def send_message(c, subject, sender="carol@elsewhere.test", to="alice@example.test"):
    """One mail transaction on a greeted, EHLO'd connection; returns the reply to the final dot."""
    assert c.command(f"MAIL FROM:<{sender}>").startswith("250 ")
    assert c.command(f"RCPT TO:<{to}>").startswith("250 ")
    assert c.command("DATA").startswith("354 ")
    c.send(f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello.\r\n.\r\n".encode())
    return c.line()


def received_ip(raw: bytes) -> str:
    """The client address in the message's first (our) Received field: "... [IP]) by ..."."""
    text = raw.decode("utf-8", "replace")
    start = text.index("Received:")  # after our Authentication-Results field, if any
    field = " ".join(text[start:text.index(";", start)].split())
    return re.search(r"\[([0-9a-fA-F.:]+)\]\)", field).group(1)


def test_listener_accepts_and_answers(server):
    c = greet(server.ports["smtp"])
    lines = c.ehlo("client.test")
    assert lines[0] == "250-mail.example.test Hello client.test"
    assert "250-STARTTLS" in lines  # a plain connection on a STARTTLS listener
    assert not any("AUTH" in l for l in lines)  # no logins in clear text
    assert c.command("NOOP") == "250 2.0.0 Ok"
    assert c.command("QUIT") == "221 2.0.0 Bye"
    assert c.closed()
    server.wait_log("connection accepted from [127.0.0.1:")


def test_deny_rule_closes_connection(server):
    c = LineClient(server.ports["smtp"], source="127.0.0.2")
    assert c.line() == REFUSAL
    assert c.closed()
    server.wait_log("connection refused from [127.0.0.2")


def test_rule_priority_order(server):
    # 127.0.0.5 matches deny 127.0.0.4/30 (20) and allow 127.0.0.5 (15): the allow wins.
    greet(server.ports["smtp"], source="127.0.0.5").close()
    # 127.0.0.6 only matches the deny range.
    c = LineClient(server.ports["smtp"], source="127.0.0.6")
    assert c.line() == REFUSAL
    # 127.0.0.9 is outside every rule.
    greet(server.ports["smtp"], source="127.0.0.9").close()


def test_per_ip_limit_holds(server):
    open_clients = [greet(server.ports["smtp"]) for _ in range(5)]
    extra = LineClient(server.ports["smtp"])
    assert extra.line() == REFUSAL
    assert extra.closed()
    # Another address is not affected, and closing one frees a slot.
    greet(server.ports["smtp"], source="127.0.0.9").close()
    assert open_clients.pop().command("QUIT").startswith("221 ")
    wait_for(lambda: _accepts_session(server.ports["smtp"]), what="a free slot")
    for c in open_clients:
        c.close()


def _accepts_session(port):
    c = LineClient(port)
    ok = c.line().startswith("220 ")
    c.close()
    return ok


def test_tls_handshakes_with_generated_certificate(server):
    # Implicit TLS: verified against the generated certificate; under TLS, AUTH is offered and
    # STARTTLS is not.
    c = greet(server.ports["tls"], tls=True, cafile=server.cert)
    assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
    lines = c.ehlo()
    assert any(l[4:].startswith("AUTH ") for l in lines), lines
    assert "250-STARTTLS" not in lines
    c.close()
    # STARTTLS on the plain listener.
    s = greet(server.ports["smtp"])
    assert not any("AUTH" in l for l in s.ehlo())
    assert s.command("STARTTLS") == "220 2.0.0 Ready to start TLS"
    s.start_tls(server.cert)
    assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
    lines = s.ehlo()
    assert any(l[4:].startswith("AUTH ") for l in lines), lines
    assert "250-STARTTLS" not in lines
    assert s.command("STARTTLS").startswith("503 ")  # TLS is already on
    server.wait_log("TLS established")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_below_minimum_version_is_refused(server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    with socket.create_connection(("127.0.0.1", server.ports["tls"]), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            ctx.wrap_socket(raw, server_hostname="mail.example.test")


def test_commands_pipelined_after_starttls_are_discarded(server):
    c = greet(server.ports["smtp"])
    c.ehlo()
    c.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
    assert c.line() == "220 2.0.0 Ready to start TLS"
    c.start_tls(server.cert)
    # The plaintext MAIL must not be executed inside the TLS session: the first reply under TLS
    # is to our EHLO, and no transaction exists.
    c.ehlo()
    assert c.command("RCPT TO:<alice@example.test>").startswith("503 ")


def test_auth_is_refused_before_tls(server):
    c = greet(server.ports["smtp"])
    c.ehlo()
    # "\0demo@example.test\0secret": refused before any password is looked at.
    reply = c.command("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA==")
    assert reply[:3] in ("503", "538"), reply
    server.wait_log("<< AUTH ***")
    assert "authentication failed" not in server.log_text()


def test_oversized_line_gets_an_error_and_the_session_goes_on(server):
    c = greet(server.ports["smtp"])
    c.send(b"NOOP " + b"x" * (1 << 20) + b"\r\n")
    assert c.line() == "500 Line too long"  # no enhanced status codes before EHLO
    assert c.command("NOOP") == "250 Ok"
    c.ehlo()
    c.send(b"NOOP " + b"x" * 2000 + b"\r\n")
    assert c.line() == "500 5.5.2 Line too long"
    # At the limit (1024 bytes with CRLF) a line is still a command.
    assert c.command("NOOP " + "y" * (1024 - 7)) == "250 2.0.0 Ok"
    server.wait_log("command line longer than 1024 bytes")


def test_too_many_bad_commands_closes_the_session(server):
    c = greet(server.ports["smtp"])
    c.ehlo()
    for _ in range(3):
        assert c.command("BOGUS") == "500 5.5.2 Command not recognized"
    assert c.command("BOGUS") == "500 5.5.2 Command not recognized"
    assert c.line() == "421 4.7.0 Too many errors, closing connection"
    assert c.closed()


def test_silent_client_times_out(server):
    c = greet(server.ports["smtp"])
    started = time.monotonic()
    assert c.line() == "421 Timeout exceeded, closing connection"
    assert c.closed()
    assert 1.5 < time.monotonic() - started < 10


def test_client_that_connects_and_sends_nothing_is_dropped(server):
    # Not even reading the greeting: the idle timeout still ends the session.
    raw = socket.create_connection(("127.0.0.1", server.ports["smtp"]), timeout=10)
    started = time.monotonic()
    wait_for(lambda: "timeout, closing" in server.log_text(), timeout=10, what="the idle timeout")
    data = b""
    while chunk := raw.recv(4096):
        data += chunk
    assert data.startswith(b"220 ") and data.endswith(b"421 Timeout exceeded, closing connection\r\n")
    assert time.monotonic() - started < 10
    raw.close()


def test_garbage_and_nul_bytes(server):
    c = greet(server.ports["smtp"])
    c.send(b"\x00\xff\x80garbage\r\n")
    assert c.line().startswith("500 ")
    c.send(b"\x16\x03\x01\x02\x00" + os.urandom(64) + b"\r\n")  # a TLS hello on the plain port
    assert c.line()[:1] in ("4", "5")
    # Whatever it made of that, the daemon serves the next client.
    greet(server.ports["smtp"], source="127.0.0.9").close()


def test_thousand_connections_from_one_ip(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    socks, greeted, refused = [], 0, 0
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", server.ports["smtp"]), timeout=10)
            socks.append(s)
        for s in socks:
            line = s.recv(200)
            if line.startswith(b"220 mail.example.test"):
                greeted += 1
            elif line.startswith(REFUSAL.encode()):
                refused += 1
    finally:
        for s in socks:
            s.close()
    assert greeted == 5
    assert refused == 995
    # The server is still healthy for everyone.
    greet(server.ports["smtp"], source="127.0.0.9").close()
    wait_for(lambda: _accepts_session(server.ports["smtp"]), what="slots freed")


def test_reload_applies_new_rule_without_dropping_sessions(make_server):
    base = BASE.replace('idle_timeout = "2s"', 'idle_timeout = "60s"')  # the session must outlive reloads
    server = make_server(base + LISTENERS, ports=("smtp", "tls"))
    established = greet(server.ports["smtp"])
    established.ehlo()
    assert established.command("MAIL FROM:<carol@elsewhere.test>").startswith("250 ")
    server.write_config(base + LISTENERS + """
[[services.smtp.rule]]
action = "deny"
match = "127.0.0.1"
priority = 1
""")
    server.reload()
    refused = LineClient(server.ports["smtp"])
    assert refused.line() == REFUSAL
    assert established.command("NOOP") == "250 2.0.0 Ok"
    server.write_config(base + LISTENERS)
    server.reload()
    greet(server.ports["smtp"]).close()
    # The transaction begun before both reloads is still there.
    assert established.command("MAIL FROM:<other@elsewhere.test>").startswith("503 ")
    assert established.command("RSET") == "250 2.0.0 Ok"
    assert established.command("QUIT") == "221 2.0.0 Bye"


def test_reload_with_bad_config_keeps_running(server):
    server.write_config(BASE + LISTENERS + "\n[services.smtp]\nbogus = 1\n")
    os.kill(server.process.pid, signal.SIGHUP)
    wait_for(lambda: "configuration not reloaded" in server.log_text(), what="reload refusal")
    greet(server.ports["smtp"]).close()


def test_reload_stops_and_starts_a_service(server):
    server.write_config((BASE + LISTENERS).replace("[services.smtp]\nenabled = true", "[services.smtp]\nenabled = false"))
    server.reload()
    wait_for(lambda: not server.accepts(server.ports["smtp"]), what="listener closed")
    server.write_config(BASE + LISTENERS)
    server.reload()
    wait_for(lambda: server.accepts(server.ports["smtp"]), what="listener open again")
    greet(server.ports["smtp"]).close()


def test_kill_9_of_the_worker_is_restarted_by_the_supervisor(server):
    first = server.worker_pid()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: server.worker_pid() not in (None, first) and server.accepts(server.ports["smtp"]),
             timeout=15, what="a new worker")
    greet(server.ports["smtp"]).close()
    assert "killed by signal 9; restarting" in server.output.read_text()


def test_sigterm_is_a_clean_shutdown(server):
    busy = greet(server.ports["smtp"])
    busy.ehlo()
    assert server.stop() == 0
    assert busy.line() == "421 4.3.2 Service shutting down, closing connection"
    assert "stopped" in server.log_text()
    assert not (server.dir / "data" / "run" / "worker.pid").exists()


def test_log_lines_have_the_documented_format(server):
    greet(server.ports["smtp"]).command("QUIT")
    wait_for(lambda: "<< QUIT" in server.log_text(), what="protocol line in the log")
    pattern = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} (\d\d) mail\.example\.test ([A-Z-]+):([0-9A-F]{8}): .+$")
    lines = server.log_text().splitlines()
    assert lines
    for line in lines:
        m = pattern.match(line)
        assert m, line
        assert int(m.group(1)) in (1, 2, 4, 8, 16)
    assert any(" 16 mail.example.test SMTP-IN:" in l and "<< QUIT" in l for l in lines)


def test_invalid_config_refuses_to_start(tmp_path):
    config = tmp_path / "postern.toml"
    config.write_text('[server]\nhostname = "x"\n\n[services.smtp]\nthreads_min = 0\nunknown_key = 1\n')
    result = subprocess.run([str(POSTERND), "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert f"{config}:5: services.smtp.threads_min:" in result.stderr
    assert f"{config}:6: services.smtp.unknown_key: unknown key" in result.stderr
    check = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 1
    config.write_text('[server]\nhostname = "x"\n')
    check = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # The old built-in test responder is gone: its section is an unknown key, not silently ignored.
    config.write_text('[server]\nhostname = "x"\n\n[services.test]\nenabled = true\n')
    check = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 1 and "services.test: unknown key" in check.stderr, check.stderr


def test_port_in_use_fails_loudly(make_server):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    server = make_server(BASE + '[[services.smtp.listener]]\naddress = "127.0.0.1:{busy}"\n', ports=(),
                         extra={"busy": port}, start=False)
    result = subprocess.run([str(POSTERND), "--config", str(server.config)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0
    assert "Address already in use" in result.stderr
    blocker.close()


PROXY = BASE + """
[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
proxy_protocol = true
proxy_trusted = ["127.0.0.1"]

[[services.smtp.rule]]
action = "deny"
match = "192.0.2.66"
"""


def with_alice(server):
    server.ctl("domain", "add", "example.test", offline=True)
    server.ctl("account", "add", "alice@example.test", "--password", "Correct-Horse-9", offline=True)


def test_proxy_protocol_from_trusted_balancer(make_server):
    server = make_server(PROXY, setup=with_alice)
    port = server.ports["smtp"]
    c = LineClient(port)
    c.send(f"PROXY TCP4 192.0.2.7 127.0.0.1 5555 {port}\r\n".encode())
    assert c.line().startswith("220 ")
    c.ehlo("v1.client.test")
    assert send_message(c, "via-v1").startswith("250 ")
    server.wait_log("connection accepted from [192.0.2.7:5555]")
    # Rules apply to the client's address, not the balancer's.
    denied = LineClient(port)
    denied.send(f"PROXY TCP4 192.0.2.66 127.0.0.1 5555 {port}\r\n".encode())
    assert denied.line() == REFUSAL
    # v2 binary header
    v2 = LineClient(port)
    header = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11, 0, 12]) + bytes([198, 51, 100, 9, 127, 0, 0, 1]) + \
        (4242).to_bytes(2, "big") + port.to_bytes(2, "big")
    v2.send(header)
    assert v2.line().startswith("220 ")
    v2.ehlo("v2.client.test")
    assert send_message(v2, "via-v2").startswith("250 ")
    # A malformed header closes the connection.
    bad = LineClient(port)
    bad.send(b"PROXY NONSENSE\r\n")
    assert bad.closed()
    # The client's address is the one the Received fields name.
    wait_delivered(server, 2)
    by_subject = {re.search(rb"Subject: (\S+)", m).group(1): m for m in mailbox(server, "alice@example.test")}
    assert received_ip(by_subject[b"via-v1"]) == "192.0.2.7"
    assert received_ip(by_subject[b"via-v2"]) == "198.51.100.9"


def test_proxy_header_from_untrusted_peer_is_not_believed(make_server):
    server = make_server(PROXY.replace('proxy_trusted = ["127.0.0.1"]', 'proxy_trusted = ["10.9.9.9"]'),
                         setup=with_alice)
    c = LineClient(server.ports["smtp"])
    assert c.line().startswith("220 ")  # treated as a direct client
    c.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\r\n")
    assert c.line() == "500 Command not recognized"
    c.ehlo()
    assert send_message(c, "direct").startswith("250 ")
    wait_delivered(server, 1)
    [raw] = mailbox(server, "alice@example.test")
    assert received_ip(raw) == "127.0.0.1"
    log = server.log_text()
    assert "connection accepted from [127.0.0.1:" in log and "PROXY: 192.0.2.7" not in log


REMOTE_SENDER = """
[server]
hostname = "node2.example.test"
data_dir = "{dir}/data"
[log]
level = 31
type = "remote"
remote = "127.0.0.1:{collector}"
directory = "{dir}/log"
[services.smtp]
enabled = true
[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
"""

COLLECTOR = """
[server]
hostname = "node1.example.test"
data_dir = "{dir}/data"
[log]
level = 31
directory = "{dir}/log"
[services.log]
enabled = true
listen = ["127.0.0.1:{udp_log}"]
"""


def test_remote_logging_to_another_nodes_log_service(make_server):
    collector = make_server(COLLECTOR, ports=(), udp_ports=("udp_log",))
    sender = make_server(REMOTE_SENDER, ports=("smtp",), extra={"collector": collector.ports["udp_log"]})
    assert greet(sender.ports["smtp"], host="node2.example.test").command("HELO over-udp.test").startswith("250 ")
    wait_for(lambda: "node2.example.test SMTP-IN:" in collector.log_text()
             and "<< HELO over-udp.test" in collector.log_text(), what="remote lines at the collector")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_binds_privileged_port_then_drops_root(make_server):
    port = next(p for p in range(990, 900, -1) if _port_free(p))
    server = make_server(BASE.replace('data_dir = "{dir}/data"', 'data_dir = "{dir}/data"\nuser = "nobody"') +
                         '[[services.smtp.listener]]\naddress = "127.0.0.1:{low}"\n', ports=(), extra={"low": port},
                         start=False)
    server.start(wait_ports=[port])
    uid_line = next(l for l in open(f"/proc/{server.worker_pid()}/status") if l.startswith("Uid:"))
    assert uid_line.split()[1] != "0"
    greet(port).close()
    # A restarted worker (no longer root) still gets its privileged port from the supervisor.
    first = server.worker_pid()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: server.worker_pid() not in (None, first) and server.accepts(port), timeout=15,
             what="restarted worker")
    greet(port).close()


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
