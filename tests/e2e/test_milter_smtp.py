"""Milters at SMTP time (docs/milter.md "At SMTP time"): a real clamav-milter refuses EICAR with
a 5xx as the reply to the final dot of DATA, and a libmilter-based test milter
(tests/e2e/milter_server.py, Debian's python3-milter) refuses at MAIL and RCPT, rejects,
discards and quarantines at the end of the message, and changes headers, recipients, the sender
and the body before the message is queued. A milter that is down or silent gives 4xx, never an
unscanned delivery (unless on_failure = "pass"). What the next hop (aiosmtpd) or the store
received is checked, so the changes are shown on the queued message."""
import email
import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness import client_tls_context, free_port, wait_for
from mailflow import PASSWORD, mailbox, make_mail_server, wait_delivered
from scanners import EICAR, Clamd, ClamavMilter

HERE = Path(__file__).resolve().parent

try:
    import Milter  # noqa: F401  (python3-milter: the test milter needs it)
    HAVE_PYMILTER = True
except ImportError:
    HAVE_PYMILTER = False


class TestMilterServer:
    __test__ = False  # not a pytest class
    """tests/e2e/milter_server.py in its own process, with its event log."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="postern-testmilter-"))
        self.port = free_port()
        self.process = None

    def start(self):
        out = open(self.dir / "output.log", "ab")
        self.process = subprocess.Popen([sys.executable, str(HERE / "milter_server.py"), str(self.port),
                                         str(self.dir)], stdout=out, stderr=out, start_new_session=True)
        wait_for(self.alive, timeout=20, interval=0.1, what="the test milter to listen")
        return self

    def alive(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def events(self):
        path = self.dir / "events.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        wait_for(lambda: not self.alive(), timeout=10, what="the test milter to stop")

    def cleanup(self):
        self.stop()
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def milter_config(name, port, **keys):
    entry = {"name": name, "type": "milter", "address": f"127.0.0.1:{port}", "stage": "smtp", "timeout": "5s",
             "connect_timeout": "2s"}
    entry.update(keys)
    return "[scan]\n\n[[scan.scanner]]\n" + "\n".join(f'{k} = "{v}"' for k, v in entry.items()) + "\n"


def start(make_server, config):
    return make_mail_server(make_server, extra={
        "queue_extra": config,
        "smtp_extra": 'relay_networks = ["127.0.0.0/8"]',
    })


def message(subject, body=b"hello", extra_headers=""):
    return (f"From: sender@sender.test\r\nTo: bob@remote.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@sender.test>\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n"
            f"{extra_headers}\r\n").encode() + body + b"\r\n"


@pytest.fixture
def test_milter():
    if not HAVE_PYMILTER:
        pytest.skip("python3-milter not installed (scripts/install-deps.sh)")
    m = TestMilterServer().start()
    yield m
    m.cleanup()


@pytest.mark.skipif(not (shutil.which("clamav-milter") and shutil.which("clamd")),
                    reason="clamav-milter/clamd not installed")
def test_clamav_milter_rejects_eicar_during_the_smtp_dialogue(make_server):
    clamd = Clamd().start()
    milter = ClamavMilter(clamd).start()
    try:
        server = start(make_server, milter_config("clamav-milter", milter.port))
        with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as c:
            c.ehlo("client.test")
            c.mail("victim@remote.test")
            c.rcpt("bob@remote.test")
            code, text = c.data(message("infected", EICAR))
            assert code == 550, text
            assert b"Virus found: Postern-Test.EICAR" in text
            # The session goes on: a clean message in the same connection is queued.
            c.mail("sender@sender.test")
            c.rcpt("bob@remote.test")
            code, text = c.data(message("clean", b"nothing to see"))
            assert code == 250, text
        msgs = server.sink.wait(1, timeout=30)
        got = email.message_from_bytes(msgs[0][2])
        assert got["Subject"] == "clean"
        assert got["X-Virus-Status"] == "Clean"  # added at SMTP time, carried in the queued message
        time.sleep(0.5)
        assert len(server.sink.messages) == 1  # no NDR: the infected one was never accepted
    finally:
        milter.cleanup()
        clamd.cleanup()


def test_refusals_at_mail_rcpt_and_end_of_message(make_server, test_milter):
    server = start(make_server, milter_config("test", test_milter.port))
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as c:
        c.ehlo("client.test")
        code, text = c.mail("tempfail@sender.test")
        assert code == 451 and b"4.7.1" in text, (code, text)
        c.rset()
        assert c.mail("sender@sender.test")[0] == 250
        code, text = c.rcpt("refused@remote.test")
        assert (code, text) == (550, b"5.7.1 recipient refused by the test milter")
        assert c.rcpt("bob@remote.test")[0] == 250
        code, text = c.data(message("no", extra_headers="X-Test-Action: reject\r\n"))
        assert (code, text) == (554, b"5.7.0 message refused by the test milter")
        # DISCARD: the client hears 250, nothing is delivered.
        c.mail("sender@sender.test")
        c.rcpt("bob@remote.test")
        code, text = c.data(message("gone", extra_headers="X-Test-Action: discard\r\n"))
        assert code == 250, text
        c.mail("sender@sender.test")
        c.rcpt("bob@remote.test")
        assert c.data(message("kept"))[0] == 250
    msgs = server.sink.wait(1, timeout=30)
    time.sleep(0.5)
    assert [email.message_from_bytes(m[2])["Subject"] for m in server.sink.messages] == ["kept"]
    server.wait_log("discarded by a milter")
    events = test_milter.events()
    connect = [e for e in events if e["event"] == "connect"][0]
    assert connect["macros"]["j"] == "mx.example.test"
    assert connect["macros"]["{client_addr}"] == "127.0.0.1"
    assert connect["macros"]["{daemon_name}"] == "postern"
    assert connect["macros"]["_"] == "[127.0.0.1]"  # no verified reverse name
    assert [e["args"][0] for e in events if e["event"] == "helo"] == ["client.test"]
    rcpt = [e for e in events if e["event"] == "envrcpt"][0]
    assert rcpt["macros"]["{rcpt_addr}"] == "refused@remote.test"
    mail = [e for e in events if e["event"] == "envfrom"][1]
    assert mail["macros"]["{mail_addr}"] == "sender@sender.test"
    eom = [e for e in events if e["event"] == "eom"]
    assert eom and all(e["macros"]["i"] for e in eom)
    # One milter conversation for the whole connection: every MAIL reached it, refused or not.
    assert len([e for e in events if e["event"] == "envfrom"]) == 4


def send_modify_and_check(server):
    """Sends a message the test milter modifies in every way; returns what the next hop got."""
    raw = message("original", b"original body", "X-Test-Action: modify\r\nX-Remove-Me: please\r\n")
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as c:
        c.sendmail("sender@sender.test", ["bob@remote.test", "carol@remote.test"], raw)
    server.sink.wait(1, timeout=30)
    time.sleep(0.5)
    assert len(server.sink.messages) == 1
    sender, rcpts, data = server.sink.messages[0]
    assert sender == "changed@sender.test"  # CHGFROM
    assert sorted(rcpts) == ["added@remote.test", "bob@remote.test"]  # ADDRCPT, DELRCPT carol
    got = email.message_from_bytes(data)
    assert got["Subject"] == "changed by milter"  # CHGHEADER
    assert got["X-Remove-Me"] is None  # CHGHEADER with an empty value deletes
    assert got["X-Milter-Added"] == "yes"  # ADDHEADER
    assert got.get_payload() == "replaced body\r\n"  # REPLBODY
    return data


def test_modifications_are_applied_before_queueing(make_server, test_milter):
    server = start(make_server, milter_config("test", test_milter.port))
    data = send_modify_and_check(server)
    assert data.startswith(b"X-Milter-Top: first\r\n")  # INSHEADER at index 0: above Received


def test_quarantine_at_smtp_time_files_into_the_quarantine_folder(make_server, test_milter):
    server = start(make_server, milter_config("test", test_milter.port, quarantine_folder="Held"))
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as c:
        c.sendmail("sender@sender.test", ["alice@example.test"],
                   message("suspicious", extra_headers="X-Test-Action: quarantine\r\n"))
        c.sendmail("sender@sender.test", ["alice@example.test"], message("fine"))
    wait_delivered(server, 2)
    held = [email.message_from_bytes(m)["Subject"] for m in mailbox(server, "alice@example.test", "Held")]
    assert held == ["suspicious"]
    server.start()
    inbox = [email.message_from_bytes(m)["Subject"] for m in mailbox(server, "alice@example.test")]
    assert inbox == ["fine"]


def test_milter_down_tempfails_unless_on_failure_pass(make_server, test_milter):
    port = test_milter.port
    test_milter.stop()
    server = start(make_server, milter_config("test", port))
    # Default (tempfail): the greeting is 421; nothing gets in unscanned.
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30)
    assert refused.value.smtp_code == 421
    server.stop()
    other = start(make_server, milter_config("test", port, on_failure="pass"))
    with smtplib.SMTP("127.0.0.1", other.ports["smtp"], timeout=30) as c:
        c.sendmail("sender@sender.test", ["bob@remote.test"], message("unscanned"))
    other.sink.wait(1, timeout=30)
    other.wait_log("milter test: failed at CONNECT")


def test_silent_milter_times_out_with_4xx(make_server, test_milter):
    server = start(make_server, milter_config("test", test_milter.port, timeout="1s"))
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as c:
        c.ehlo("client.test")
        c.mail("sender@sender.test")
        c.rcpt("bob@remote.test")
        code, text = c.data(message("slow", extra_headers="X-Test-Action: slow\r\n"))
        assert code == 451 and b"4.7.1" in text, (code, text)
        # The broken milter keeps refusing (4xx) for the rest of the session.
        code, _ = c.mail("sender@sender.test")
        assert code == 451


def test_processing_stage_milter_changes_headers_and_the_envelope(make_server, test_milter):
    # The same milter in PROCESSING (stage = "processing", server level): header changes,
    # CHGFROM, ADDRCPT, DELRCPT and REPLBODY apply to the queued message.
    server = start(make_server, milter_config("test", test_milter.port, stage="processing"))
    send_modify_and_check(server)
    # The milter saw the queued envelope replayed.
    events = test_milter.events()
    assert ["<sender@sender.test>"] == [e["args"][0] for e in events if e["event"] == "envfrom"]
    server.wait_log("changed to <changed@sender.test> by a filter")
    server.wait_log("to=<added@remote.test> added by a filter")
    server.wait_log("to=<carol@remote.test> not delivered: discarded by server/test: recipient removed")
    server.wait_log("message replaced by a filter")


def test_tls_and_auth_macros_reach_the_milter(make_server, test_milter):
    server = start(make_server, milter_config("test", test_milter.port))
    with smtplib.SMTP("127.0.0.1", server.ports["submission"], timeout=30) as c:
        c.ehlo("client.test")
        c.starttls(context=client_tls_context(None))
        c.ehlo("client.test")
        c.login("alice@example.test", PASSWORD)
        raw = message("authenticated").replace(b"From: sender@sender.test", b"From: alice@example.test")
        c.sendmail("alice@example.test", ["bob@remote.test"], raw)
    server.sink.wait(1, timeout=30)
    events = test_milter.events()
    helos = [e for e in events if e["event"] == "helo"]
    assert helos[0]["macros"]["{tls_version}"] is None  # before STARTTLS
    assert helos[-1]["macros"]["{tls_version}"].startswith("TLSv1.")
    assert helos[-1]["macros"]["{cipher}"]
    mail = [e for e in events if e["event"] == "envfrom"][-1]
    assert mail["macros"]["{auth_type}"] == "PLAIN"
    assert mail["macros"]["{auth_authen}"] == "alice@example.test"
