"""Anti-spam/anti-virus scanners in the live mail flow (docs/antivirus-antispam.md): a real
spamd marks GTUBE as spam and a normal message as ham, a real clamd with an EICAR-only
signature database flags the EICAR string, stopping a scanner keeps mail queued and starting it
again delivers the mail promptly (the failsafe), `on_failure = "pass"`, the socket filter
protocol against tests/e2e/socket_filter_server.py, and a real milter (clamav-milter) that adds
header fields and rejects. Messages go through SMTP-IN → queue → PROCESSING (the chain) →
SMTP-OUT to an aiosmtpd sink, so the fields are checked on what a next hop really received."""
import email
import shutil
import smtplib
import time

import pytest

from harness import free_port, wait_for
from mailflow import mailbox, make_mail_server, wait_delivered
from scanners import EICAR, GTUBE, Clamd, ClamavMilter, Spamd
from socket_filter_server import SocketFilterServer

pytestmark = pytest.mark.skipif(not (shutil.which("spamd") and shutil.which("clamd")),
                                reason="spamd/clamd not installed (scripts/install-deps.sh)")


@pytest.fixture(scope="module")
def spamd():
    daemon = Spamd().start()
    yield daemon
    daemon.cleanup()


@pytest.fixture(scope="module")
def clamd():
    daemon = Clamd().start()
    yield daemon
    daemon.cleanup()


def scan_config(*scanners, ping="200ms"):
    out = f'[scan]\nping_interval = "{ping}"\n'
    for s in scanners:
        out += "\n[[scan.scanner]]\n" + "\n".join(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}"
                                                    for k, v in s.items()) + "\n"
    # [processing] retries a failed chain after 60 s: the failsafe test shows the scanner's
    # return wakes the message long before that.
    return out


def start(make_server, *scanners):
    return make_mail_server(make_server, extra={
        "queue_extra": scan_config(*scanners),
        "smtp_extra": 'relay_networks = ["127.0.0.0/8"]',
    })


def message(subject, body, extra_headers=""):
    return (f"From: sender@sender.test\r\nTo: bob@remote.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@sender.test>\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n"
            f"{extra_headers}\r\n").encode() + body + b"\r\n"


def send(server, raw, rcpt="bob@remote.test", sender="sender@sender.test"):
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=30) as c:
        c.sendmail(sender, [rcpt], raw)


def received(server, count, timeout=60):
    msgs = server.sink.wait(count, timeout=timeout)
    return [email.message_from_bytes(m[2]) for m in msgs]


def test_spamd_marks_gtube_as_spam_and_ham_as_ham(make_server, spamd):
    server = start(make_server, {"name": "spamd", "type": "spamd", "address": f"127.0.0.1:{spamd.port}",
                                 "subject_prefix": "[SPAM] ", "timeout": "30s"})
    # A forged verdict from outside must not survive.
    send(server, message("cheap stuff", GTUBE, "X-Postern-Spam-Level: 1\r\nX-Postern-Spam-Status: No\r\n"))
    send(server, message("lunch", b"Shall we meet for lunch on Tuesday at noon?"))
    msgs = received(server, 2)
    by_subject = {m["Subject"]: m for m in msgs}
    spam, ham = by_subject["[SPAM] cheap stuff"], by_subject["lunch"]
    assert spam.get_all("X-Postern-Spam-Level") == ["10"]
    assert spam.get_all("X-Postern-Spam-Status")[0].startswith("Yes, score=")
    assert "GTUBE" in spam["X-Postern-Spam-Status"]
    assert float(spam["X-Postern-Spam-Score"]) >= 900
    assert spam.get_all("Subject") == ["[SPAM] cheap stuff"]
    level = int(ham["X-Postern-Spam-Level"])
    assert 1 <= level <= 8
    assert ham["X-Postern-Spam-Status"].startswith("No, score=")
    server.wait_log("spamd: spam score=")
    server.wait_log("spamd: ham score=")


def test_clamd_flags_eicar_and_rejects_it(make_server, clamd):
    server = start(make_server, {"name": "clamd", "type": "clamd", "address": f"127.0.0.1:{clamd.port}",
                                 "virus_action": "reject"})
    send(server, message("clean", b"nothing to see"))
    send(server, message("infected", EICAR), sender="victim@remote.test")
    # The clean message and the non-delivery report to the (remote) sender of the virus.
    msgs = received(server, 2)
    clean = [m for m in msgs if m["Subject"] == "clean"][0]
    assert clean.get_all("X-Postern-Virus-Level") == ["1"]
    assert clean["X-Postern-Virus-Status"] == "clean"
    ndr = [m for m in msgs if m["Subject"] != "clean"][0]
    text = ndr.as_string()
    assert "Postern-Test.EICAR" in text and "5.7.1" in text
    assert not any(m["Subject"] == "infected" for m in msgs)
    server.wait_log("infected: Postern-Test.EICAR")


def test_virus_tagged_when_configured(make_server, clamd):
    server = start(make_server, {"name": "av", "type": "clamd", "address": f"127.0.0.1:{clamd.port}",
                                 "virus_action": "tag"})
    send(server, message("infected", EICAR, "X-Postern-Virus-Level: 1\r\n"))
    m = received(server, 1)[0]
    assert m.get_all("X-Postern-Virus-Level") == ["5"]
    assert m["X-Postern-Virus-Status"] == "infected (Postern-Test.EICAR.UNOFFICIAL)"


def wait_queued_for(server, name):
    server.wait_log(f"scanner {name} unavailable", timeout=30)
    server.wait_log("processing deferred", timeout=30)


@pytest.mark.parametrize("which", ["clamd", "spamd"])
def test_stopped_scanner_keeps_mail_queued_until_it_answers(make_server, which, clamd, spamd):
    daemon = clamd if which == "clamd" else spamd
    server = start(make_server, {"name": which, "type": which, "address": f"127.0.0.1:{daemon.port}",
                                 "timeout": "30s"})
    daemon.stop()
    try:
        send(server, message("while down", b"hello"))
        wait_queued_for(server, which)
        time.sleep(1.0)  # several pings at 200 ms fail meanwhile
        assert server.sink.messages == []
        queued = server.ctl("queue", "list", json_output=True)
        assert len(queued) == 1
        assert "unavailable" in server.log_text()
    finally:
        daemon.start()
    # The processing retry is 60 s away: the ping sees the scanner back and resumes the message.
    t0 = time.monotonic()
    m = received(server, 1, timeout=40)[0]
    assert time.monotonic() - t0 < 40
    assert m["Subject"] == "while down"
    assert m["X-Postern-Virus-Level" if which == "clamd" else "X-Postern-Spam-Level"] is not None
    server.wait_log(f"scanner {which} (127.0.0.1:{daemon.port}) answers again")
    server.wait_log("resumed")


def test_on_failure_pass_delivers_unscanned_with_level_zero(make_server):
    server = start(make_server, {"name": "gone", "type": "spamd", "address": f"127.0.0.1:{free_port()}",
                                 "on_failure": "pass"})
    send(server, message("unscanned", b"hello"))
    m = received(server, 1)[0]
    assert m["X-Postern-Spam-Level"] == "0"
    assert m["X-Postern-Spam-Status"].startswith("not scanned")
    server.wait_log("passing the message unscanned (on_failure = pass)")


def test_socket_filter_reference_server(make_server):
    filt = SocketFilterServer(free_port()).start()
    try:
        server = start(make_server, {"name": "ref", "type": "socket", "address": f"127.0.0.1:{filt.server_address[1]}"})
        send(server, message("fine", b"viagra viagra"))
        send(server, message("bad", b"REJECT-ME please"), sender="victim@remote.test")
        send(server, message("gone", b"DISCARD-ME"))
        msgs = received(server, 2)
        fine = [m for m in msgs if m["Subject"] == "fine"][0]
        assert fine["X-Socket-Filter"] == "seen 1 recipient(s)"
        assert fine["X-Postern-Spam-Level"] == "4"  # 2.0 of 5.0 → 1 + floor(0.4 * 8)
        ndr = [m for m in msgs if m["Subject"] != "fine"][0]
        assert "rejected by the reference socket filter" in ndr.as_string()
        server.wait_log("discarded by")
        time.sleep(0.5)
        assert len(server.sink.messages) == 2
        verbs = [r[0] for r in filt.requests]
        assert verbs.count("SCAN") == 4  # the three messages and the NDR for the rejected one
        scan = [r for r in filt.requests if r[0] == "SCAN"][0]
        assert ("From", "sender@sender.test") in scan[1] and ("Rcpt", "bob@remote.test") in scan[1]
    finally:
        filt.stop()


@pytest.mark.skipif(not shutil.which("clamav-milter"), reason="clamav-milter not installed")
def test_real_milter_adds_fields_and_rejects(make_server, clamd):
    milter = ClamavMilter(clamd).start()
    try:
        server = start(make_server, {"name": "clamav-milter", "type": "milter",
                                     "address": f"127.0.0.1:{milter.port}"})
        send(server, message("clean", b"nothing to see"))
        send(server, message("infected", EICAR), sender="victim@remote.test")
        msgs = received(server, 2)
        clean = [m for m in msgs if m["Subject"] == "clean"][0]
        assert clean["X-Virus-Status"] == "Clean"
        assert clean["X-Virus-Scanned"] is not None
        ndr = [m for m in msgs if m["Subject"] != "clean"][0]
        assert "Virus found: Postern-Test.EICAR" in ndr.as_string()
    finally:
        milter.cleanup()


def test_spam_goes_to_junk_and_virus_to_quarantine_for_local_recipients(make_server, spamd, clamd):
    server = start(make_server,
                   {"name": "spamd", "type": "spamd", "address": f"127.0.0.1:{spamd.port}", "spam_action": "junk",
                    "timeout": "30s"},
                   {"name": "clamd", "type": "clamd", "address": f"127.0.0.1:{clamd.port}",
                    "virus_action": "quarantine", "priority": 200})
    send(server, message("spam for alice", GTUBE, "X-Postern-Virus-Level: 1\r\n"), rcpt="alice@example.test")
    send(server, message("virus for alice", EICAR), rcpt="alice@example.test")
    send(server, message("hello alice", b"See you tomorrow."), rcpt="alice@example.test")
    wait_delivered(server, 3)
    server.wait_log("folder Junk")
    junk = [email.message_from_bytes(m) for m in mailbox(server, "alice@example.test", "Junk")]
    assert [m["Subject"] for m in junk] == ["spam for alice"]
    assert junk[0]["X-Postern-Spam-Level"] == "10"
    assert junk[0].get_all("X-Postern-Virus-Level") == ["1"]  # the forged one removed locally too
    quarantine = [email.message_from_bytes(m) for m in mailbox(server, "alice@example.test", "Quarantine")]
    assert [m["Subject"] for m in quarantine] == ["virus for alice"]
    assert quarantine[0]["X-Postern-Virus-Level"] == "5"
    inbox = [email.message_from_bytes(m) for m in mailbox(server, "alice@example.test")]
    assert [m["Subject"] for m in inbox] == ["hello alice"]
