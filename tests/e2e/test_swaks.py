"""SMTP-IN driven by swaks, a second real client beside smtplib (issue 4): plain SMTP, STARTTLS,
implicit TLS, AUTH PLAIN/LOGIN/CRAM-MD5, PIPELINING and (when this swaks has it) BDAT, checked by
swaks' exit code and the bytes that reached the mailbox or the remote MX."""
import re
import shutil
import subprocess

import pytest

from mailflow import PASSWORD, make_mail_server, mailbox, wait_delivered

SWAKS = shutil.which("swaks")
pytestmark = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed (scripts/install-deps.sh)")


def swaks_supports(feature):
    out = subprocess.run([SWAKS, "--support"], capture_output=True, text=True, timeout=30)
    return f"=== {feature} supported" in out.stdout + out.stderr


def swaks_has_option(option):
    out = subprocess.run([SWAKS, "--help"], capture_output=True, text=True, timeout=30)
    return option in out.stdout


def needs_tls():
    if not swaks_supports("TLS"):
        pytest.skip("swaks has no TLS (it needs Net::SSLeay: libnet-ssleay-perl)")


@pytest.fixture
def mail(make_server):
    return make_mail_server(make_server, extra={"auth_extra": 'mechanisms = ["PLAIN", "LOGIN", "CRAM-MD5"]'})


def message(subject, sender, to):
    # The lone-dot line checks swaks' dot-stuffing and our un-stuffing end to end.
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@swaks.test>\r\n\r\n"
            f"Hello from swaks.\r\n.\r\n..two dots\r\nend\r\n").encode()


def swaks(port, sender, to, data, *options):
    args = [SWAKS, "--server", "127.0.0.1", "--port", str(port), "--from", sender, "--to", to,
            "--ehlo", "client.swaks.test", "--timeout", "20", "--data", "-", *options]
    return subprocess.run(args, input=data, capture_output=True, timeout=60)


def assert_ok(run):
    assert run.returncode == 0, f"swaks exit {run.returncode}:\n{run.stdout.decode(errors='replace')}"


def replied(run, reply):
    """Whether the server sent `reply` (a prefix such as b"235" or b"550 5.1.1"): swaks marks
    received lines "<-" ("<~" inside TLS), and "<**" / "<~*" for errors."""
    return re.search(rb"^<[-~*]{1,2} +" + re.escape(reply), run.stdout, re.M) is not None


def delivered(mail, user, data):
    [raw] = mailbox(mail, user)
    assert raw.endswith(data + b"\r\n"), raw  # swaks ends the data with one more CRLF
    return raw


def test_plain_smtp_to_a_local_user(mail):
    data = message("plain", "carol@elsewhere.test", "alice@example.test")
    run = swaks(mail.ports["smtp"], "carol@elsewhere.test", "alice@example.test", data)
    assert_ok(run)
    assert replied(run, b"250 2.0.0 Ok: queued as ")
    wait_delivered(mail, 1)
    raw = delivered(mail, "alice@example.test", data)
    # Our Authentication-Results field comes first (docs/sender-authentication.md), then Received.
    assert raw.startswith(b"Authentication-Results: mx.example.test;")
    assert b"\r\nReceived: from client.swaks.test " in raw
    assert b"with ESMTP " in raw


def test_starttls_then_local_delivery(mail):
    needs_tls()
    data = message("starttls", "carol@elsewhere.test", "bob@example.test")
    run = swaks(mail.ports["smtp"], "carol@elsewhere.test", "bob@example.test", data, "--tls")
    assert_ok(run)
    assert b"STARTTLS" in run.stdout
    wait_delivered(mail, 1)
    raw = delivered(mail, "bob@example.test", data)
    assert b"with ESMTPS (TLSv1.3" in raw or b"with ESMTPS (TLSv1.2" in raw


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_submission_with_starttls_and_auth_relays_to_the_remote_mx(mail, mechanism):
    needs_tls()
    data = message("sub-" + mechanism, "alice@example.test", "someone@remote.test")
    run = swaks(mail.ports["submission"], "alice@example.test", "someone@remote.test", data, "--tls",
                "--auth", mechanism, "--auth-user", "alice@example.test", "--auth-password", PASSWORD)
    assert_ok(run)
    assert f"AUTH {mechanism}".encode() in run.stdout
    assert replied(run, b"235 2.7.0")
    [(sender, rcpts, content)] = mail.sink.wait(1)
    assert sender == "alice@example.test" and rcpts == ["someone@remote.test"]
    assert content.endswith(data + b"\r\n")  # as delivered(): swaks adds one CRLF
    assert b"(authenticated as alice@example.test)" in content


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_implicit_tls_with_auth(mail, mechanism):
    needs_tls()
    data = message("tlsc-" + mechanism, "alice@example.test", "bob@example.test")
    run = swaks(mail.ports["smtps"], "alice@example.test", "bob@example.test", data, "--tlsc",
                "--auth", mechanism, "--auth-user", "alice@example.test", "--auth-password", PASSWORD)
    assert_ok(run)
    wait_delivered(mail, 1)
    raw = delivered(mail, "bob@example.test", data)
    assert b"with ESMTPSA" in raw


def test_wrong_password_fails_auth(mail):
    needs_tls()
    data = message("badpw", "alice@example.test", "bob@example.test")
    run = swaks(mail.ports["smtps"], "alice@example.test", "bob@example.test", data, "--tlsc",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "not-it")
    assert run.returncode == 28, run.stdout.decode(errors="replace")  # error in AUTH transaction
    assert replied(run, b"535 5.7.8")


def test_pipelining(mail):
    data = message("piped", "carol@elsewhere.test", "alice@example.test")
    run = swaks(mail.ports["smtp"], "carol@elsewhere.test", "alice@example.test", data, "--pipeline")
    assert_ok(run)
    assert b"PIPELINING" in run.stdout
    wait_delivered(mail, 1)
    delivered(mail, "alice@example.test", data)


def test_unknown_user_and_relay_are_refused(mail):
    data = message("refused", "carol@elsewhere.test", "nobody@example.test")
    run = swaks(mail.ports["smtp"], "carol@elsewhere.test", "nobody@example.test", data)
    assert run.returncode == 24, run.stdout.decode(errors="replace")  # no RCPTs accepted
    assert replied(run, b"550 5.1.1")
    run = swaks(mail.ports["smtp"], "carol@elsewhere.test", "someone@remote.test", data)
    assert run.returncode == 24, run.stdout.decode(errors="replace")
    assert replied(run, b"554 5.7.1 Relaying denied")


def test_bdat(mail):
    if not swaks_has_option("--bdat"):
        pytest.skip("this swaks has no --bdat (added in swaks 20240103.0); BDAT is covered by test_smtp.py")
    data = message("bdat", "carol@elsewhere.test", "alice@example.test")
    run = swaks(mail.ports["smtp"], "carol@elsewhere.test", "alice@example.test", data, "--bdat")
    assert_ok(run)
    assert b"BDAT" in run.stdout
    wait_delivered(mail, 1)
    delivered(mail, "alice@example.test", data)
