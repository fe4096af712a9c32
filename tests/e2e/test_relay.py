"""SMTP-OUT against a real remote MX (aiosmtpd) found through a test DNS server: relaying, an
immediate bounce on 5xx, retries and a late bounce for a dead host, and a destination that comes
back getting its deferred mail flushed."""
import smtplib

from harness import client_tls_context, wait_for
from mailflow import PASSWORD, Sink, make_mail_server, mailbox, wait_delivered

FAST_RETRIES = """
[queue.retry]
first = "1s"
max_interval = "2s"
max_attempts = 3

[queue.destination]
failure_threshold = 2
first_retry = "1s"
max_retry_interval = "2s"
"""


def send_from_alice(mail, to, subject):
    with smtplib.SMTP_SSL("127.0.0.1", mail.ports["smtps"], context=client_tls_context(None)) as s:
        s.login("alice@example.test", PASSWORD)
        body = (f"From: alice@example.test\r\nTo: {to}\r\nSubject: {subject}\r\n"
                f"Message-ID: <{subject}@example.test>\r\n\r\nHi.\r\n").encode()
        assert s.sendmail("alice@example.test", [to], body) == {}


def test_remote_5xx_gives_an_immediate_failure_notice(make_server):
    mail = make_mail_server(make_server, extra={"queue_extra": FAST_RETRIES})
    mail.sink.reply = "550 5.1.1 <nobody@remote.test>: no such user here"
    send_from_alice(mail, "nobody@remote.test", "doomed")
    wait_delivered(mail, 1)  # the notice, delivered to alice
    [notice] = mailbox(mail, "alice@example.test")
    text = notice.decode(errors="replace")
    assert "Undelivered Mail Returned to Sender" in text
    assert "multipart/report" in text and "report-type=delivery-status" in text
    assert "Final-Recipient: rfc822; nobody@remote.test" in text
    assert "Status: 5.1.1" in text
    assert "Subject: doomed" in text  # the returned headers
    assert "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>" in text


def test_dead_host_is_retried_then_bounced(make_server):
    mail = make_mail_server(make_server, extra={"queue_extra": FAST_RETRIES})
    send_from_alice(mail, "someone@down.test", "never-arrives")
    wait_delivered(mail, 1, timeout=60)
    [notice] = mailbox(mail, "alice@example.test")
    text = notice.decode(errors="replace")
    assert "Final-Recipient: rfc822; someone@down.test" in text and "Action: failed" in text
    log = mail.log_text()
    assert log.count("someone@down.test") >= 2  # it was tried more than once


def test_destination_that_comes_back_gets_its_deferred_mail(make_server):
    mail = make_mail_server(make_server, extra={"queue_extra": FAST_RETRIES.replace("max_attempts = 3",
                                                                                    "max_attempts = 0")})
    mail.sink.stop()  # remote.test's MX is down
    for i in range(3):
        send_from_alice(mail, f"user{i}@remote.test", f"deferred-{i}")
    wait_for(lambda: "remote.test" in mail.log_text() and "refused" in mail.log_text().lower()
             or "Connection refused" in mail.log_text(), timeout=30, what="a failed attempt")
    back = Sink(mail.values["sink"])
    back.start()
    mail.cleanups.append(back.stop)
    messages = back.wait(3, timeout=60)
    assert sorted(r[0] for _, r, _ in messages) == [f"user{i}@remote.test" for i in range(3)]
    assert mailbox(mail, "alice@example.test") == []  # no notice: everything arrived


def test_unreachable_destination_defers_every_recipient_with_the_reason(make_server):
    # Slow retries: the first attempt's result stays in the status record while we look.
    mail = make_mail_server(make_server, extra={"queue_extra": FAST_RETRIES.replace('first = "1s"', 'first = "1h"')
                                                .replace('max_interval = "2s"', 'max_interval = "2h"')})
    with smtplib.SMTP_SSL("127.0.0.1", mail.ports["smtps"], context=client_tls_context(None)) as s:
        s.login("alice@example.test", PASSWORD)
        body = b"From: alice@example.test\r\nTo: a@down.test, b@down.test\r\nSubject: two\r\n\r\nHi.\r\n"
        assert s.sendmail("alice@example.test", ["a@down.test", "b@down.test"], body) == {}
    wait_for(lambda: mail.log_text().count("deferred (attempt 1") >= 2, timeout=30,
             what="both recipients deferred after the first attempt")
    [row] = mail.ctl("queue", "list", json_output=True)
    shown = mail.ctl("queue", "show", row["id"], json_output=True)
    rcpts = {r["address"]: r for r in shown["recipients"]}
    for address in ("a@down.test", "b@down.test"):
        r = rcpts[address]
        assert r["state"] == "deferred" and r["attempts"] == 1, r
        assert r["status"] == "4.4.1", r  # no answer from host (RFC 3463)
        assert "mx.down.test" in r["last_error"] and "127.0.0.9" in r["last_error"], r
    assert "could not record the delivery result" not in mail.log_text()


def test_route_by_sending_domain_sets_the_source_address(make_server):
    """Virtual routing: mail from example.test to remote.test leaves from 127.0.0.2."""
    routes = """
[[delivery.route]]
domains = ["remote.test"]
sender_domains = ["example.test"]
source_ip = "127.0.0.2"
"""
    mail = make_mail_server(make_server, extra={"delivery_extra": routes})
    send_from_alice(mail, "someone@remote.test", "virtual-route")
    mail.sink.wait(1)
    assert mail.sink.peers == ["127.0.0.2"]
