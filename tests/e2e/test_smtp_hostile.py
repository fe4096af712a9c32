"""Hostile SMTP input: smuggling attempts with every non-CRLF end of data, oversized lines and
headers, NUL bytes, DATA that never ends, recipient floods, TLS garbage and commands injected
behind STARTTLS. Each gets a clear reply, nothing crashes, nothing is lost or split."""
import socket
import ssl
import time

import pytest

from harness import LineClient, client_tls_context, wait_for
from mailflow import make_mail_server, mailbox, wait_delivered

ENDINGS = [b"\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r\n.\r", b"\r\n\x00.\r\n",
           b"\r\n.\x00\r\n"]


def ehlo(c):
    assert c.line().startswith("220 ")
    c.send(b"EHLO client.test\r\n")
    while True:
        line = c.line()
        if line.startswith("250 "):
            return


@pytest.fixture(params=["reject", "normalize"])
def mail(make_server, request):
    return make_mail_server(make_server, extra={"smtp_extra": f'bare_line_endings = "{request.param}"',
                                                "max_rcpt": 50})


@pytest.mark.parametrize("ending", ENDINGS, ids=[repr(e) for e in ENDINGS])
def test_smuggled_end_of_data_never_splits_a_message(mail, ending):
    """The smuggled part would be a second message to bob; it must never become one."""
    c = LineClient(mail.ports["smtp"])
    ehlo(c)
    smuggled = (b"Subject: outer\r\n\r\nouter body" + ending +
                b"MAIL FROM:<admin@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                b"Subject: smuggled\r\n\r\nevil\r\n.\r\n")
    c.send(b"MAIL FROM:<carol@elsewhere.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert c.line().startswith("250 ") and c.line().startswith("250 ") and c.line().startswith("354 ")
    c.send(smuggled)
    reply = c.line()
    # Either the whole thing is one message (250) or it is refused (5xx); nothing else follows.
    assert reply[:3] in ("250", "550", "554", "500"), reply
    c.send(b"QUIT\r\n")
    assert c.line().startswith("221 ")
    if reply.startswith("250"):
        wait_delivered(mail, 1)
    time.sleep(1.5)
    assert mail.log_text().count("delivered to <bob@") == 0
    assert len(mailbox(mail, "bob@example.test")) == 0


def test_smuggling_is_not_passed_on_to_another_server(make_server):
    """Relayed with bare endings normalized: the remote MX receives one message, with the fake
    boundary kept inside it as text (dot-stuffed by our client)."""
    mail = make_mail_server(make_server, extra={"smtp_extra": 'bare_line_endings = "normalize"\n'
                                                              'relay_networks = ["127.0.0.0/8"]'})
    for ending in ENDINGS:
        c = LineClient(mail.ports["smtp"])
        ehlo(c)
        c.send(b"MAIL FROM:<carol@elsewhere.test>\r\nRCPT TO:<someone@remote.test>\r\nDATA\r\n")
        assert c.line().startswith("250 ") and c.line().startswith("250 ") and c.line().startswith("354 ")
        c.send(b"Subject: relay\r\n\r\nbody" + ending + b"MAIL FROM:<x@y.test>\r\nRCPT TO:<victim@remote.test>\r\n"
               b"DATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n")
        reply = c.line()
        # NUL is refused whatever the line-ending setting; everything else is normalized and kept.
        assert reply.startswith("550 5.6.0") if b"\x00" in ending else reply.startswith("250 "), reply
        c.close()
    accepted = len([e for e in ENDINGS if b"\x00" not in e])
    mail.sink.wait(accepted)
    time.sleep(1)
    assert len(mail.sink.messages) == accepted
    for sender, rcpts, raw in mail.sink.messages:
        assert rcpts == ["someone@remote.test"]
        assert b"Subject: smuggled" in raw  # inside the one message, not a second one


def test_oversized_lines_nul_bytes_and_bad_commands(mail):
    c = LineClient(mail.ports["smtp"])
    ehlo(c)
    c.send(b"NOOP " + b"a" * (1 << 20) + b"\r\n")
    assert c.line().startswith("500 ")
    c.send(b"MAIL FROM:<ca\x00rol@elsewhere.test>\r\n")
    assert c.line()[:1] == "5"
    c.send(b"NOOP\r\n")
    assert c.line().startswith("250 ")  # the session survived both


def test_data_that_never_ends_delivers_nothing(mail):
    c = LineClient(mail.ports["smtp"])
    ehlo(c)
    c.send(b"MAIL FROM:<carol@elsewhere.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert c.line().startswith("250 ") and c.line().startswith("250 ") and c.line().startswith("354 ")
    c.send(b"Subject: cut\r\n\r\n" + b"half a message\r\n" * 1000)
    c.close()
    mail.wait_log("connection lost during DATA")
    time.sleep(1)
    assert mailbox(mail, "alice@example.test") == []


def test_recipient_flood_is_capped(mail):
    c = LineClient(mail.ports["smtp"], timeout=30)
    ehlo(c)
    c.send(b"MAIL FROM:<carol@elsewhere.test>\r\n")
    assert c.line().startswith("250 ")
    try:
        c.send(b"RCPT TO:<alice@example.test>\r\n" * 10000)
    except OSError:
        pass  # the server may hang up before it has read everything
    replies = []
    try:
        while len(replies) < 10000:
            replies.append(c.line())
    except (ConnectionError, OSError):
        pass
    assert all(r.startswith("250 ") for r in replies[:50])
    assert len(replies) > 50 and replies[50].startswith("452 ")
    # Past the limit every reply is a 452, until the error limit ends the session with a 421.
    assert all(r.startswith("452 ") for r in replies[50:-1])
    assert replies[-1][:3] in ("452", "421")
    assert mail.accepts(mail.ports["smtp"])


def test_huge_header_is_refused_and_session_continues(mail):
    c = LineClient(mail.ports["smtp"], timeout=30)
    ehlo(c)
    c.send(b"MAIL FROM:<carol@elsewhere.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert c.line().startswith("250 ") and c.line().startswith("250 ") and c.line().startswith("354 ")
    c.send(b"Subject: big\r\n" + b"X-Filler: " + b"z" * 900 + b"\r\n" * 1 + b"".join(
        b"X-Fill: " + b"z" * 990 + b"\r\n" for _ in range(10000)) + b"\r\nbody\r\n.\r\n")
    reply = c.line()
    assert reply[:3] in ("552", "554"), reply
    c.send(b"NOOP\r\n")
    assert c.line().startswith("250 ")


def test_tls_garbage_and_commands_injected_behind_starttls(mail):
    # Garbage instead of a ClientHello on the implicit TLS port: the connection closes, the daemon lives.
    raw = socket.create_connection(("127.0.0.1", mail.ports["smtps"]), timeout=5)
    raw.sendall(b"\x16\x03\x01\x00\x05garbage-not-tls\r\n" * 10)
    try:
        raw.recv(100)
    except OSError:
        pass
    raw.close()
    # STARTTLS with a command pipelined behind it: that command must be discarded, not run under TLS.
    c = LineClient(mail.ports["smtp"])
    ehlo(c)
    c.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
    assert c.line().startswith("220 ")
    c.start_tls(None)
    c.send(b"EHLO client.test\r\n")
    first = c.line()
    assert first.startswith("250"), first  # the EHLO reply, not a reply to the injected MAIL
    while not c.line().startswith("250 "):
        pass
    c.send(b"RCPT TO:<alice@example.test>\r\n")
    assert c.line().startswith("503 ")  # no MAIL transaction exists
    c.close()
