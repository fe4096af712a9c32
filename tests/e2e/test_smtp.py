"""SMTP-IN with real clients: local delivery, submission with STARTTLS/implicit TLS and every SASL
mechanism, the extensions (PIPELINING, BDAT, SMTPUTF8, 8BITMIME, SIZE) and the acceptance rules
(unknown users, relaying, loops, impersonation), checked down to the bytes in the mailbox."""
import base64
import hashlib
import hmac
import os
import smtplib
import socket
import ssl

import pytest

from harness import LineClient, client_tls_context
from mailflow import PASSWORD, make_mail_server, mailbox, wait_delivered


def message(subject, sender="carol@elsewhere.test", to="alice@example.test", body="Hello.\r\n"):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@test>\r\n\r\n{body}").encode()


@pytest.fixture
def mail(make_server):
    return make_mail_server(make_server, extra={
        "auth_extra": 'mechanisms = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]'})


def tls():
    return client_tls_context(None)


def test_mail_to_a_local_user_lands_in_the_mailbox_with_a_received_field(mail):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="client.elsewhere.test") as s:
        code, caps = s.ehlo()
        assert code == 250
        for ext in (b"PIPELINING", b"8BITMIME", b"ENHANCEDSTATUSCODES", b"STARTTLS", b"CHUNKING", b"SMTPUTF8",
                    b"DSN", b"SIZE 10485760"):
            assert ext in caps
        assert b"AUTH" not in caps  # no AUTH in clear text on a plain connection
        refused = s.sendmail("carol@elsewhere.test", ["alice@example.test", "bob@example.test"], message("first"))
        assert refused == {}
    wait_delivered(mail, 2)
    for user in ("alice", "bob"):
        [raw] = mailbox(mail, f"{user}@example.test")
        assert raw.endswith(b"Subject: first\r\nMessage-ID: <first@test>\r\n\r\nHello.\r\n")
        # Our Authentication-Results field comes first (docs/sender-authentication.md), then Received.
        assert raw.startswith(b"Authentication-Results: mx.example.test;")
        received = raw[raw.index(b"\r\nReceived: ") + 2:].split(b"\r\n")[0].decode()
        assert received.startswith("Received: from client.elsewhere.test")
        assert "by mx.example.test" in raw.decode() and "with ESMTP" in raw.decode()


def test_unknown_user_and_relaying_are_refused_at_rcpt(mail):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"]) as s:
        s.ehlo("client.test")
        assert s.mail("carol@elsewhere.test")[0] == 250
        code, text = s.rcpt("nobody@example.test")
        assert code == 550 and text.startswith(b"5.1.1")
        code, text = s.rcpt("someone@remote.test")
        assert code in (550, 554) and b"5.7.1" in text
        assert s.rcpt("alice@example.test")[0] == 250


def test_submission_needs_tls_before_auth_and_auth_before_mail(mail):
    with smtplib.SMTP("127.0.0.1", mail.ports["submission"]) as s:
        code, caps = s.ehlo("client.test")
        assert b"AUTH" not in caps
        code, text = s.mail("alice@example.test")
        assert code == 530 and b"5.7.0" in text  # STARTTLS first
        s.starttls(context=tls())
        code, caps = s.ehlo("client.test")
        assert b"AUTH PLAIN LOGIN" in caps
        code, _ = s.mail("alice@example.test")
        assert code == 530  # authentication required
        s.rset()
        s.user, s.password = "alice@example.test", "wrong-password"
        with pytest.raises(smtplib.SMTPAuthenticationError) as bad:
            s.auth("PLAIN", s.auth_plain)  # one try (login() would try every mechanism)
        assert bad.value.smtp_code == 535
        s.login("alice@example.test", PASSWORD)
        assert s.sendmail("alice@example.test", ["someone@remote.test"],
                          message("out", sender="alice@example.test", to="someone@remote.test")) == {}
    [(sender, rcpts, raw)] = mail.sink.wait(1)
    assert sender == "alice@example.test" and rcpts == ["someone@remote.test"]
    text = raw.decode()
    assert "Subject: out" in text
    assert "with ESMTPSA" in text  # RFC 3848: TLS + auth


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_implicit_tls_with_each_smtplib_mechanism(mail, mechanism):
    with smtplib.SMTP_SSL("127.0.0.1", mail.ports["smtps"], context=tls()) as s:
        s.ehlo("client.test")
        s.user, s.password = "alice@example.test", PASSWORD
        code, _ = s.auth(mechanism, getattr(s, "auth_" + mechanism.lower().replace("-", "_")))
        assert code == 235
        assert s.sendmail("alice@example.test", ["bob@example.test"], message("via-" + mechanism,
                          sender="alice@example.test", to="bob@example.test")) == {}
    wait_delivered(mail, 1)


def scram_client(c, user, password):
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"
    reply = c.command("AUTH SCRAM-SHA-256 " + base64.b64encode(("n,," + first_bare).encode()).decode())
    assert reply.startswith("334 "), reply
    server_first = base64.b64decode(reply[4:]).decode()
    fields = dict(f.split("=", 1) for f in server_first.split(","))
    assert fields["r"].startswith(nonce)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    final_bare = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    proof = bytes(a ^ b for a, b in zip(client_key, hmac.new(stored, auth_message, "sha256").digest()))
    reply = c.command(base64.b64encode(f"{final_bare},p={base64.b64encode(proof).decode()}".encode()).decode())
    assert reply.startswith("334 "), reply
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    expected = base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest()).decode()
    assert base64.b64decode(reply[4:]).decode() == "v=" + expected  # the server proved it knows the key
    return c.command("")


def test_scram_sha_256_on_implicit_tls(mail):
    c = LineClient(mail.ports["smtps"], tls=True)
    assert c.line().startswith("220 ")
    c.send(b"EHLO client.test\r\n")
    while not c.line().startswith("250 "):
        pass
    assert scram_client(c, "alice@example.test", PASSWORD).startswith("235 ")
    c.close()


def test_pipelined_transaction_gets_replies_in_order(mail):
    c = LineClient(mail.ports["smtp"])
    assert c.line().startswith("220 ")
    c.send(b"EHLO client.test\r\n")
    while not c.line().startswith("250 "):
        pass
    c.send(b"MAIL FROM:<carol@elsewhere.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
           b"RCPT TO:<bob@example.test>\r\nDATA\r\n")
    assert c.line().startswith("250 ")
    assert c.line().startswith("250 ")
    assert c.line().startswith("550 5.1.1")
    assert c.line().startswith("250 ")
    assert c.line().startswith("354 ")
    c.send(message("piped") + b".\r\nQUIT\r\n")
    assert c.line().startswith("250 ")
    assert c.line().startswith("221 ")
    wait_delivered(mail, 2)


def test_bdat_chunks_are_joined_exactly(mail):
    body = message("chunked", body="part one\r\n" + "x" * 5000 + "\r\n.\r\nnot an end\r\n")
    c = LineClient(mail.ports["smtp"])
    c.line()
    c.send(b"EHLO client.test\r\n")
    while not c.line().startswith("250 "):
        pass
    c.send(b"MAIL FROM:<carol@elsewhere.test> BODY=8BITMIME\r\nRCPT TO:<alice@example.test>\r\n")
    assert c.line().startswith("250 ") and c.line().startswith("250 ")
    cut = len(body) // 3
    c.send(b"BDAT %d\r\n" % cut + body[:cut])
    assert c.line().startswith("250 ")
    c.send(b"BDAT %d LAST\r\n" % (len(body) - cut) + body[cut:])
    assert c.line().startswith("250 ")
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    assert raw.endswith(body)


def test_smtputf8_and_8bitmime(mail):
    body = "From: josé@elsewhere.test\r\nTo: alice@example.test\r\nSubject: café\r\n\r\nÜmlaut ünd ß\r\n".encode()
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"]) as s:
        s.ehlo("client.test")
        assert s.sendmail("josé@elsewhere.test", ["alice@example.test"], body,
                          mail_options=["SMTPUTF8", "BODY=8BITMIME"]) == {}
        code, _ = s.mail("josé@elsewhere.test")  # without SMTPUTF8 a UTF-8 address is refused
        assert code in (553, 550, 501)
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    assert raw.endswith(body)
    assert "with UTF8SMTP" in raw.decode("utf-8")


def test_size_limit_announced_and_enforced(make_server):
    mail = make_mail_server(make_server, extra={"max_size": "64K"})
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"]) as s:
        code, caps = s.ehlo("client.test")
        assert b"SIZE 65536" in caps
        code, text = s.mail("carol@elsewhere.test", ["SIZE=70000"])
        assert code == 552 and b"5.3.4" in text
        s.rset()
        # A client that does not declare the size is stopped at the end of DATA.
        assert s.mail("carol@elsewhere.test")[0] == 250 and s.rcpt("alice@example.test")[0] == 250
        code, text = s.data(message("big", body="y" * 80000 + "\r\n"))
        assert code == 552 and b"5.3.4" in text
        # The session goes on: a small message after the refusal is accepted.
        assert s.sendmail("carol@elsewhere.test", ["alice@example.test"], message("small")) == {}
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    assert b"Subject: small" in raw


def test_loop_is_detected_by_counting_received_fields(mail):
    hops = "".join(f"Received: from hop{i}.test by hop{i + 1}.test; Sun, 22 Nov 2026 10:00:00 +0000\r\n"
                   for i in range(31))
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"]) as s:
        s.ehlo("client.test")
        with pytest.raises(smtplib.SMTPDataError) as loop:
            s.sendmail("carol@elsewhere.test", ["alice@example.test"], hops.encode() + message("loop"))
        assert loop.value.smtp_code == 554 and b"5.4.6" in loop.value.smtp_error


def test_authenticated_user_cannot_impersonate_another(mail):
    with smtplib.SMTP_SSL("127.0.0.1", mail.ports["smtps"], context=tls()) as s:
        s.login("alice@example.test", PASSWORD)
        code, text = s.mail("bob@example.test")
        assert code == 553 or code == 550
        assert b"5.7.1" in text
        s.rset()
        with pytest.raises(smtplib.SMTPDataError) as forged:
            s.sendmail("alice@example.test", ["someone@remote.test"],
                       message("forged", sender="bob@example.test", to="someone@remote.test"))
        assert b"5.7.1" in forged.value.smtp_error
        assert s.sendmail("alice@example.test", ["someone@remote.test"],
                          message("honest", sender="Alice <alice@example.test>", to="someone@remote.test")) == {}
    messages = mail.sink.wait(1)
    assert len(messages) == 1 and b"Subject: honest" in messages[0][2]
