"""Shared set-up for the mail-flow tests: a Postern with SMTP listeners (MX with STARTTLS,
submission, implicit TLS), a test DNS server it resolves through, a remote MX played by
aiosmtpd, a demo domain with two accounts, and a way to read what landed in a mailbox."""
import json
import os
import subprocess
import threading
import time

from aiosmtpd.controller import Controller

from harness import BUILD, free_port, wait_for
from dns_server import start_dns_server

PASSWORD = "Correct-Horse-9"

CONFIG = """
[server]
hostname = "mx.example.test"
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

[auth]
argon2_memory_kib = 8192
argon2_iterations = 1
{auth_extra}

[dns]
nameservers = ["127.0.0.1:{dns}"]
timeout = "1s"
tries = 1

[delivery]
port = {sink}
connect_timeout = "3s"
{delivery_extra}

{queue_extra}

[services.smtp]
enabled = true
max_message_size = "{max_size}"
max_recipients = {max_rcpt}
{smtp_extra}

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
tls = "starttls"

[[services.smtp.listener]]
address = "127.0.0.1:{submission}"
tls = "starttls"
require_tls = true
require_auth = true

[[services.smtp.listener]]
address = "127.0.0.1:{smtps}"
tls = "implicit"
require_auth = true
"""

STORE_DUMP = BUILD / "tests" / "tools" / "store_dump"


class Sink:
    """The remote MX: an aiosmtpd server that keeps every message it accepted, and can refuse."""

    def __init__(self, port):
        self.messages = []
        self.peers = []  # the client address of each accepted message
        self.reply = None  # e.g. "550 5.1.1 no such user": refuse every RCPT with it
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.reply:
                    return sink.reply
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.peers.append(session.peer[0])
                    sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
                return "250 2.0.0 accepted"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port, decode_data=False)

    def start(self):
        self.controller.start()

    def stop(self):
        try:
            self.controller.stop()
        except Exception:
            pass

    def wait(self, count, timeout=30):
        wait_for(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} message(s) at the sink")
        return self.messages


def zones():
    return {
        "soa": {"remote.test": {"ttl": 60, "minimum": 5}},
        "names": {
            "remote.test": {"ttl": 60, "MX": [[10, "mx.remote.test"]]},
            "mx.remote.test": {"ttl": 60, "A": ["127.0.0.1"]},
            # A domain whose MX points at a port nobody listens on (the sink's port on another address).
            "down.test": {"ttl": 60, "MX": [[10, "mx.down.test"]]},
            "mx.down.test": {"ttl": 60, "A": ["127.0.0.9"]},
        },
    }


def make_mail_server(make_server, extra=None, start=True, setup_accounts=True, dns_zones=None, config=CONFIG,
                     ports=("smtp", "submission", "smtps")):
    """A started Postern plus .dns (the DNS server) and .sink (aiosmtpd), stopped with the server.
    `dns_zones` replaces zones() for the test DNS server; `config` and `ports` extend the template
    (imapflow.py adds the IMAP listeners)."""
    values = {"auth_extra": "", "delivery_extra": "", "queue_extra": "", "smtp_extra": "", "max_size": "10M",
              "max_rcpt": 100}
    values.update(extra or {})
    dns = start_dns_server(zones() if dns_zones is None else dns_zones)
    values["dns"] = dns.port
    values["sink"] = free_port()
    sink = Sink(values["sink"])
    sink.start()

    def setup(server):
        server.dns, server.sink = dns, sink
        if setup_accounts:
            server.ctl("domain", "add", "example.test", offline=True)
            for user in ("alice", "bob"):
                server.ctl("account", "add", f"{user}@example.test", "--password", PASSWORD, offline=True)

    server = make_server(config, ports=ports, extra=values, start=False, setup=setup)
    server.cleanups = [sink.stop, dns.stop]
    if start:
        server.start()
    return server


def account_id(server, address):
    shown = server.ctl("account", "show", address, json_output=True, offline=server.process is None
                       or server.process.poll() is not None)
    return str(shown["id"])


def mailbox(server, address, mailbox_name="INBOX"):
    """The messages in a mailbox as bytes, read from the store on disk (stops the daemon)."""
    ident = account_id(server, address)
    server.stop()
    out = subprocess.run([str(STORE_DUMP), str(server.dir / "data"), ident, mailbox_name], capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"store_dump failed: {out.stderr}")
    return [m["raw"].encode("latin-1") for m in json.loads(out.stdout)]


def wait_delivered(server, count, timeout=30):
    """Waits until `count` local deliveries were logged."""
    wait_for(lambda: server.log_text().count("delivered to <") >= count, timeout=timeout,
             what=f"{count} local deliveries")
