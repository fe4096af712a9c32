"""Reverse DNS of SMTP clients (RFC 8601 §3 "iprev"): at connect SMTP-IN looks up the client's PTR
name and keeps it only when the name's own A records lead back to the address. The verified name
goes into the Received field, `from HELO (name [IP])` or `(unknown [IP])`, and to policy scripts
as ctx.rdns; `[services.smtp] reverse_lookup = false` turns the lookup off."""
import smtplib
import time

import pytest

from mailflow import make_mail_server, mailbox, wait_delivered, zones

PTR_NAME = "1.0.0.127.in-addr.arpa"

POLICY = """
function onMailFrom(ctx)
  addHeader("X-Client-Rdns", ctx.rdns or "nil")
end
"""


def zones_with(ptr_spec, extra_names=None):
    z = zones()
    z["soa"]["in-addr.arpa"] = {"ttl": 60, "minimum": 5}
    z["names"][PTR_NAME] = ptr_spec
    z["names"].update(extra_names or {})
    return z


CONFIRMED = zones_with({"ttl": 60, "PTR": ["client.remote.test"]},
                       {"client.remote.test": {"ttl": 60, "A": ["127.0.0.1"]}})


def server_with(make_server, dns_zones, smtp_extra="", policy=None):
    extra = {"smtp_extra": smtp_extra}
    if policy is not None:
        extra["queue_extra"] = '[policy]\nscript = "{dir}/policy.lua"'
    mail = make_mail_server(make_server, extra=extra, start=False, dns_zones=dns_zones)
    if policy is not None:
        (mail.dir / "policy.lua").write_text(policy)
        # The template was filled before {dir} could appear in an extra: fill it in here.
        text = mail.config.read_text().replace("{dir}", str(mail.dir))
        mail.config.write_text(text)
    mail.start()
    return mail


def send_and_read(mail, subject):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="helo.remote.test") as s:
        body = f"From: carol@remote.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\nHi.\r\n"
        assert s.sendmail("carol@remote.test", ["alice@example.test"], body.encode()) == {}
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    text = raw.decode()
    received = text[text.index("Received:"):]
    received = received[:received.index(";")]
    return text, " ".join(received.split())


def test_forward_confirmed_name_is_in_received_and_policy_context(make_server):
    mail = server_with(make_server, CONFIRMED, policy=POLICY)
    text, received = send_and_read(mail, "confirmed")
    assert received.startswith("Received: from helo.remote.test (client.remote.test [127.0.0.1])"), received
    assert "X-Client-Rdns: client.remote.test\r\n" in text
    assert mail.dns.count(PTR_NAME, "PTR") >= 1
    assert mail.dns.count("client.remote.test", "A") >= 1


def test_name_whose_address_does_not_lead_back_is_unknown(make_server):
    dns_zones = zones_with({"ttl": 60, "PTR": ["liar.remote.test"]},
                           {"liar.remote.test": {"ttl": 60, "A": ["192.0.2.7"]}})
    mail = server_with(make_server, dns_zones, policy=POLICY)
    text, received = send_and_read(mail, "unconfirmed")
    assert received.startswith("Received: from helo.remote.test (unknown [127.0.0.1])"), received
    assert "liar.remote.test" not in received
    assert "X-Client-Rdns: nil\r\n" in text
    assert mail.dns.count("liar.remote.test", "A") >= 1  # it was checked, and failed


def test_no_reverse_name_is_unknown(make_server):
    mail = server_with(make_server, zones())  # 1.0.0.127.in-addr.arpa does not exist
    _, received = send_and_read(mail, "nxdomain")
    assert received.startswith("Received: from helo.remote.test (unknown [127.0.0.1])"), received


def test_reverse_zone_that_never_answers_does_not_hold_up_the_greeting(make_server):
    mail = server_with(make_server, zones_with({"behaviour": "drop"}))
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="helo.remote.test", timeout=10) as s:
        greeted = time.monotonic() - started
        assert s.noop()[0] == 250
    # The lookup gives up after at most 2 s (the resolver's own 1 s timeout here, one try).
    assert greeted < 4.0, greeted
    assert mail.dns.count(PTR_NAME, "PTR") >= 1
    _, received = send_and_read(mail, "dropped")
    assert received.startswith("Received: from helo.remote.test (unknown [127.0.0.1])"), received


def test_lookup_can_be_switched_off(make_server):
    mail = server_with(make_server, CONFIRMED, smtp_extra="reverse_lookup = false", policy=POLICY)
    text, received = send_and_read(mail, "off")
    assert received.startswith("Received: from helo.remote.test (unknown [127.0.0.1])"), received
    assert "X-Client-Rdns: nil\r\n" in text
    assert mail.dns.count(PTR_NAME, "PTR") == 0


@pytest.mark.parametrize("port", ["submission"])
def test_received_of_submission_carries_the_name_too(make_server, port):
    from harness import client_tls_context
    from mailflow import PASSWORD
    mail = server_with(make_server, CONFIRMED)
    with smtplib.SMTP("127.0.0.1", mail.ports[port], local_hostname="laptop") as s:
        s.starttls(context=client_tls_context(None))
        s.login("bob@example.test", PASSWORD)
        body = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: sub\r\n\r\nHi.\r\n"
        assert s.sendmail("bob@example.test", ["alice@example.test"], body.encode()) == {}
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    first = " ".join(raw.decode().split(";")[0].split())
    assert first.startswith("Received: from laptop (client.remote.test [127.0.0.1])"), first
    assert "(authenticated as bob@example.test)" in first
