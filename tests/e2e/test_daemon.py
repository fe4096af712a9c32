"""posternd end to end: listeners, rules, limits, TLS, timeouts, reload, supervisor, logging."""
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

[services.test]
enabled = true
idle_timeout = "2s"
max_bad_commands = 3
max_line_length = 1024
"""

LISTENERS = """
[[services.test.listener]]
address = "127.0.0.1:{test}"
tls = "starttls"
max_connections_per_ip = 5

[[services.test.listener]]
address = "127.0.0.1:{tls}"
tls = "implicit"

[[services.test.rule]]
action = "deny"
match = "127.0.0.2"
priority = 10

[[services.test.rule]]
action = "deny"
match = "127.0.0.4/30"
priority = 20

[[services.test.rule]]
action = "allow"
match = "127.0.0.5"
priority = 15
"""


@pytest.fixture
def server(make_server):
    return make_server(BASE + LISTENERS, ports=("test", "tls"))


def greet(port, host="mail.example.test", **kw):
    c = LineClient(port, **kw)
    assert c.line().startswith(f"+OK postern test responder ready {host} ")
    return c


def test_listener_accepts_and_answers(server):
    c = greet(server.ports["test"])
    assert c.command("ECHO hello world") == "+OK hello world"
    assert c.command("WHOAMI") == "+OK ip=127.0.0.1 tls=no user=-"
    assert c.command("QUIT") == "+OK bye"
    assert c.closed()


def test_deny_rule_closes_connection(server):
    c = LineClient(server.ports["test"], source="127.0.0.2")
    assert c.line() == "-ERR access denied"
    assert c.closed()
    server.wait_log("connection refused from [127.0.0.2")


def test_rule_priority_order(server):
    # 127.0.0.5 matches deny 127.0.0.4/30 (20) and allow 127.0.0.5 (15): the allow wins.
    greet(server.ports["test"], source="127.0.0.5").close()
    # 127.0.0.6 only matches the deny range.
    c = LineClient(server.ports["test"], source="127.0.0.6")
    assert c.line() == "-ERR access denied"
    # 127.0.0.9 is outside every rule.
    greet(server.ports["test"], source="127.0.0.9").close()


def test_per_ip_limit_holds(server):
    open_clients = [greet(server.ports["test"]) for _ in range(5)]
    extra = LineClient(server.ports["test"])
    assert extra.line() == "-ERR access denied"
    assert extra.closed()
    # Another address is not affected, and closing one frees a slot.
    greet(server.ports["test"], source="127.0.0.9").close()
    open_clients.pop().command("QUIT")
    wait_for(lambda: _accepts_session(server.ports["test"]), what="a free slot")
    for c in open_clients:
        c.close()


def _accepts_session(port):
    c = LineClient(port)
    ok = c.line().startswith("+OK")
    c.close()
    return ok


def test_tls_handshakes_with_generated_certificate(server):
    c = greet(server.ports["tls"], tls=True, cafile=server.cert)
    assert c.command("WHOAMI") == "+OK ip=127.0.0.1 tls=yes user=-"
    c.close()
    s = greet(server.ports["test"])
    assert s.command("STARTTLS") == "+OK begin TLS"
    s.start_tls(server.cert)
    assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
    assert s.command("WHOAMI") == "+OK ip=127.0.0.1 tls=yes user=-"
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
    c = greet(server.ports["test"])
    c.send(b"STARTTLS\r\nECHO injected\r\n")
    assert c.line() == "+OK begin TLS"
    c.start_tls(server.cert)
    # The plaintext "ECHO injected" must not be executed inside the TLS session.
    assert c.command("ECHO after") == "+OK after"


def test_auth_is_refused_before_tls(server):
    c = greet(server.ports["test"])
    assert c.command("AUTH demo@example.test secret") == "-ERR authentication requires TLS"


def test_oversized_line_gets_an_error_and_the_session_goes_on(server):
    c = greet(server.ports["test"])
    c.send(b"ECHO " + b"x" * (1 << 20) + b"\r\n")
    assert c.line() == "-ERR line too long"
    assert c.command("ECHO still here") == "+OK still here"


def test_too_many_bad_commands_closes_the_session(server):
    c = greet(server.ports["test"])
    for _ in range(3):
        assert c.command("BOGUS") == "-ERR unknown command"
    assert c.command("BOGUS") == "-ERR unknown command"
    assert c.line() == "-ERR too many errors, closing"
    assert c.closed()


def test_silent_client_times_out(server):
    c = greet(server.ports["test"])
    started = time.monotonic()
    assert c.line() == "-ERR idle timeout"
    assert c.closed()
    assert time.monotonic() - started < 10


def test_garbage_and_nul_bytes(server):
    c = greet(server.ports["test"])
    c.send(b"\x00\xff\x80garbage\r\n")
    assert c.line() == "-ERR unknown command"
    c.send(b"\x16\x03\x01\x02\x00" + os.urandom(64) + b"\r\n")  # a TLS hello on the plain port
    assert c.line().startswith("-ERR")


def test_thousand_connections_from_one_ip(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    socks, greeted, refused = [], 0, 0
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", server.ports["test"]), timeout=10)
            socks.append(s)
        for s in socks:
            line = s.recv(200)
            if line.startswith(b"+OK"):
                greeted += 1
            elif line.startswith(b"-ERR access denied"):
                refused += 1
    finally:
        for s in socks:
            s.close()
    assert greeted == 5
    assert refused == 995
    # The server is still healthy for everyone.
    greet(server.ports["test"], source="127.0.0.9").close()
    wait_for(lambda: _accepts_session(server.ports["test"]), what="slots freed")


def test_reload_applies_new_rule_without_dropping_sessions(make_server):
    base = BASE.replace('idle_timeout = "2s"', 'idle_timeout = "60s"')  # the session must outlive reloads
    server = make_server(base + LISTENERS, ports=("test", "tls"))
    established = greet(server.ports["test"])
    server.write_config(base + LISTENERS + """
[[services.test.rule]]
action = "deny"
match = "127.0.0.1"
priority = 1
""")
    server.reload()
    refused = LineClient(server.ports["test"])
    assert refused.line() == "-ERR access denied"
    assert established.command("ECHO survived") == "+OK survived"
    server.write_config(base + LISTENERS)
    server.reload()
    greet(server.ports["test"]).close()
    assert established.command("ECHO still here") == "+OK still here"


def test_reload_with_bad_config_keeps_running(server):
    server.write_config(BASE + LISTENERS + "\n[services.test]\nbogus = 1\n")
    os.kill(server.process.pid, signal.SIGHUP)
    wait_for(lambda: "configuration not reloaded" in server.log_text(), what="reload refusal")
    greet(server.ports["test"]).close()


def test_reload_stops_and_starts_a_service(server):
    server.write_config((BASE + LISTENERS).replace("[services.test]\nenabled = true", "[services.test]\nenabled = false"))
    server.reload()
    wait_for(lambda: not server.accepts(server.ports["test"]), what="listener closed")
    server.write_config(BASE + LISTENERS)
    server.reload()
    wait_for(lambda: server.accepts(server.ports["test"]), what="listener open again")
    greet(server.ports["test"]).close()


def test_kill_9_of_the_worker_is_restarted_by_the_supervisor(server):
    first = server.worker_pid()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: server.worker_pid() not in (None, first) and server.accepts(server.ports["test"]),
             timeout=15, what="a new worker")
    greet(server.ports["test"]).close()
    assert "killed by signal 9; restarting" in server.output.read_text()


def test_sigterm_is_a_clean_shutdown(server):
    busy = greet(server.ports["test"])
    assert server.stop() == 0
    assert busy.line() == "-ERR server shutting down"
    assert "stopped" in server.log_text()
    assert not (server.dir / "data" / "run" / "worker.pid").exists()


def test_log_lines_have_the_documented_format(server):
    greet(server.ports["test"]).command("QUIT")
    wait_for(lambda: "<< QUIT" in server.log_text(), what="protocol line in the log")
    pattern = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} (\d\d) mail\.example\.test ([A-Z-]+):([0-9A-F]{8}): .+$")
    lines = server.log_text().splitlines()
    assert lines
    for line in lines:
        m = pattern.match(line)
        assert m, line
        assert int(m.group(1)) in (1, 2, 4, 8, 16)
    assert any(" 16 mail.example.test TEST:" in l and "<< QUIT" in l for l in lines)


def test_invalid_config_refuses_to_start(tmp_path):
    config = tmp_path / "postern.toml"
    config.write_text('[server]\nhostname = "x"\n\n[services.test]\nthreads_min = 0\nunknown_key = 1\n')
    result = subprocess.run([str(POSTERND), "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert f"{config}:5: services.test.threads_min:" in result.stderr
    assert f"{config}:6: services.test.unknown_key: unknown key" in result.stderr
    check = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 1
    config.write_text('[server]\nhostname = "x"\n')
    check = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_port_in_use_fails_loudly(make_server):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    server = make_server(BASE + '[[services.test.listener]]\naddress = "127.0.0.1:{busy}"\n', ports=(),
                         extra={"busy": port}, start=False)
    result = subprocess.run([str(POSTERND), "--config", str(server.config)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0
    assert "Address already in use" in result.stderr
    blocker.close()


PROXY = BASE + """
[[services.test.listener]]
address = "127.0.0.1:{test}"
proxy_protocol = true
proxy_trusted = ["127.0.0.1"]

[[services.test.rule]]
action = "deny"
match = "192.0.2.66"
"""


def test_proxy_protocol_from_trusted_balancer(make_server):
    server = make_server(PROXY, ports=("test",))
    port = server.ports["test"]
    c = LineClient(port)
    c.send(f"PROXY TCP4 192.0.2.7 127.0.0.1 5555 {port}\r\n".encode())
    assert c.line().startswith("+OK")
    assert c.command("WHOAMI").startswith("+OK ip=192.0.2.7 ")
    # Rules apply to the client's address, not the balancer's.
    denied = LineClient(port)
    denied.send(f"PROXY TCP4 192.0.2.66 127.0.0.1 5555 {port}\r\n".encode())
    assert denied.line() == "-ERR access denied"
    # v2 binary header
    v2 = LineClient(port)
    header = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11, 0, 12]) + bytes([198, 51, 100, 9, 127, 0, 0, 1]) + \
        (4242).to_bytes(2, "big") + port.to_bytes(2, "big")
    v2.send(header)
    assert v2.line().startswith("+OK")
    assert v2.command("WHOAMI").startswith("+OK ip=198.51.100.9 ")
    # A malformed header closes the connection.
    bad = LineClient(port)
    bad.send(b"PROXY NONSENSE\r\n")
    assert bad.closed()


def test_proxy_header_from_untrusted_peer_is_not_believed(make_server):
    server = make_server(PROXY.replace('proxy_trusted = ["127.0.0.1"]', 'proxy_trusted = ["10.9.9.9"]'),
                         ports=("test",))
    c = LineClient(server.ports["test"])
    assert c.line().startswith("+OK")  # treated as a direct client
    c.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\r\n")
    assert c.line() == "-ERR unknown command"
    assert c.command("WHOAMI").startswith("+OK ip=127.0.0.1 ")


REMOTE_SENDER = """
[server]
hostname = "node2.example.test"
data_dir = "{dir}/data"
[log]
level = 31
type = "remote"
remote = "127.0.0.1:{collector}"
directory = "{dir}/log"
[services.test]
enabled = true
[[services.test.listener]]
address = "127.0.0.1:{test}"
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
    sender = make_server(REMOTE_SENDER, ports=("test",), extra={"collector": collector.ports["udp_log"]})
    greet(sender.ports["test"], host="node2.example.test").command("ECHO over udp")
    wait_for(lambda: "node2.example.test TEST:" in collector.log_text() and "ECHO over udp" in collector.log_text(),
             what="remote lines at the collector")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_binds_privileged_port_then_drops_root(make_server):
    port = next(p for p in range(990, 900, -1) if _port_free(p))
    server = make_server(BASE.replace('data_dir = "{dir}/data"', 'data_dir = "{dir}/data"\nuser = "nobody"') +
                         '[[services.test.listener]]\naddress = "127.0.0.1:{low}"\n', ports=(), extra={"low": port},
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
