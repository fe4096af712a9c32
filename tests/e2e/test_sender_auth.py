"""Sender authentication end to end (docs/sender-authentication.md): SPF at MAIL FROM, DKIM
verification and signing cross-checked with Debian's python3-dkim (dkimpy), DMARC at the end of
DATA, and the Authentication-Results field, with the records served by the test DNS server."""
import base64
import smtplib
import subprocess

import dkim
import pytest

from harness import client_tls_context
from mailflow import CONFIG, PASSWORD, make_mail_server, mailbox, wait_delivered, zones

SENDER_AUTH = """
[sender_auth.spf]
fail = "{spf_fail}"

[sender_auth.dmarc]
enforce = true
"""

POLICY = """
function onDataReceived(ctx)
  addHeader("X-Seen-Auth", (ctx.spf or "nil") .. " " .. (ctx.dkim or "nil") .. " " .. (ctx.dmarc or "nil"))
end
"""


def rsa_key(tmp_path, name):
    """A PEM private key and the p= value of its public key (SubjectPublicKeyInfo, base64)."""
    pem = tmp_path / f"{name}.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(pem)],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", str(pem), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return pem.read_bytes(), base64.b64encode(der).decode()


def auth_zones(extra_names):
    z = zones()
    z["soa"].update({"bank.test": {"ttl": 60, "minimum": 5}, "sender.test": {"ttl": 60, "minimum": 5}})
    z["names"].update({
        # bank.test: only 192.0.2.1 sends its mail, and it asks to reject what fails DMARC.
        "bank.test": {"ttl": 60, "TXT": ["v=spf1 ip4:192.0.2.1 -all"]},
        "_dmarc.bank.test": {"ttl": 60, "TXT": ["v=DMARC1; p=reject; rua=mailto:dmarc@bank.test"]},
        # sender.test: mail from loopback passes SPF; DKIM keys are added per test.
        "sender.test": {"ttl": 60, "TXT": ["v=spf1 ip4:127.0.0.0/8 -all"]},
        "_dmarc.sender.test": {"ttl": 60, "TXT": ["v=DMARC1; p=quarantine"]},
    })
    z["names"].update(extra_names)
    return z


def server(make_server, spf_fail="accept", extra_names=None, policy=False, start=True):
    config = CONFIG + SENDER_AUTH.format(spf_fail=spf_fail)
    extra = {}
    if policy:
        extra["smtp_extra"] = ""
    mail = make_mail_server(make_server, config=config, dns_zones=auth_zones(extra_names or {}), start=False,
                            extra=extra)
    if policy:
        script = mail.dir / "policy.lua"
        script.write_text(POLICY)
        with open(mail.config, "a") as f:
            f.write(f'\n[policy]\nscript = "{script}"\n')
    if start:
        mail.start()
    return mail


def send_mx(mail, sender, rcpt, message):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"]) as s:
        s.ehlo("client.sender.test")
        return s.sendmail(sender, [rcpt], message)


def message(frm, subject="Hello", body="Hi Alice,\r\n\r\nsee you.\r\n"):
    return (f"From: {frm}\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@x.test>\r\n\r\n{body}").encode()


def header_of(raw, name):
    text = raw.decode(errors="replace")
    head = text.split("\r\n\r\n", 1)[0]
    fields, current = [], None
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and current is not None:
            current += " " + line.strip()
            fields[-1] = current
            continue
        current = line
        fields.append(line)
    return [f.split(":", 1)[1].strip() for f in fields if f.lower().startswith(name.lower() + ":")]


def test_spoofed_from_of_a_p_reject_domain_is_rejected_at_data(make_server):
    mail = server(make_server)
    with pytest.raises(smtplib.SMTPDataError) as e:
        send_mx(mail, "someone@elsewhere.test", "alice@example.test", message("CEO <ceo@bank.test>"))
    assert e.value.smtp_code == 550
    assert b"5.7.1" in e.value.smtp_error and b"DMARC" in e.value.smtp_error
    mail.wait_log("DMARC fail for bank.test")
    results = (mail.dir / "data" / "dmarc" / "results.jsonl").read_text()
    assert '"header_from":"bank.test"' in results and '"disposition":"reject"' in results


def test_spf_fail_with_reject_action_gives_550_at_mail_from(make_server):
    mail = server(make_server, spf_fail="reject")
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        send_mx(mail, "clerk@bank.test", "alice@example.test", message("clerk@bank.test"))
    assert e.value.smtp_code == 550
    assert b"5.7.23" in e.value.smtp_error and b"SPF fail" in e.value.smtp_error


def test_dkim_results_in_authentication_results(make_server, tmp_path):
    pem, pub = rsa_key(tmp_path, "sel")
    _, od_pub = rsa_key(tmp_path, "od")
    mail = server(make_server, extra_names={
        "sel._domainkey.sender.test": {"ttl": 60, "TXT": [f"v=DKIM1; k=rsa; p={pub}"]},
        "od._domainkey.sender.test": {"ttl": 60, "TXT": [f"v=DKIM1; k=rsa; p={od_pub}"]}}, policy=True)
    good = message("Bob <bob@sender.test>", "good")
    sig = dkim.sign(good, b"sel", b"sender.test", pem, include_headers=[b"from", b"to", b"subject", b"date"])
    send_mx(mail, "bob@sender.test", "alice@example.test", sig + good)
    bad = message("Bob <bob@sender.test>", "bad")
    sig_bad = dkim.sign(bad, b"sel", b"sender.test", pem, include_headers=[b"from", b"to", b"subject", b"date"])
    send_mx(mail, "bob@sender.test", "alice@example.test", sig_bad + bad.replace(b"see you", b"pay me"))
    # A result claiming our authserv-id is the client's forgery: removed. No signature: DMARC
    # fails and sender.test's p=quarantine marks the message.
    forged = b"Authentication-Results: mx.example.test; dkim=pass header.d=bank.test\r\n" + message(
        "Bob <bob@sender.test>", "forged")
    send_mx(mail, "elsewhere@remote.test", "alice@example.test", forged)
    # OpenDKIM's signer (opendkim-testmsg: rsa-sha1, relaxed/simple) verifies with us too.
    od = subprocess.run(["opendkim-testmsg", "-C", "-d", "sender.test", "-s", "od", "-k", str(tmp_path / "od.pem")],
                        input=message("Bob <bob@sender.test>", "opendkim"), capture_output=True, check=True).stdout
    assert od.startswith(b"DKIM-Signature:")
    send_mx(mail, "elsewhere@remote.test", "alice@example.test", od)
    wait_delivered(mail, 4)
    got = {header_of(m, "Subject")[0]: m for m in mailbox(mail, "alice@example.test")}
    [ar_good] = header_of(got["good"], "Authentication-Results")
    assert "spf=pass smtp.mailfrom=bob@sender.test" in ar_good
    assert "dkim=pass" in ar_good and "header.d=sender.test" in ar_good and "header.s=sel" in ar_good
    assert "dmarc=pass" in ar_good and "header.from=sender.test" in ar_good
    assert header_of(got["good"], "X-Seen-Auth") == ["pass pass pass"]
    assert got["good"].startswith(b"Authentication-Results: mx.example.test;")
    [ar_bad] = header_of(got["bad"], "Authentication-Results")
    assert "dkim=fail" in ar_bad and "body hash did not verify" in ar_bad
    assert "dmarc=pass" in ar_bad  # SPF still aligns
    assert header_of(got["bad"], "X-Seen-Auth") == ["pass fail pass"]
    [ar_forged] = header_of(got["forged"], "Authentication-Results")
    assert "header.d=bank.test" not in ar_forged
    assert "dkim=none" in ar_forged and "dmarc=fail (p=quarantine dis=quarantine)" in ar_forged
    assert header_of(got["forged"], "X-Postern-Quarantine") == ["DMARC policy of sender.test"]
    [ar_od] = header_of(got["opendkim"], "Authentication-Results")
    assert "dkim=pass header.d=sender.test" in ar_od and "header.s=od header.a=rsa-sha1" in ar_od
    assert "dmarc=pass" in ar_od  # aligned DKIM although SPF's domain is remote.test


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_submissions_are_signed_and_verify_with_dkimpy(make_server, key_type):
    mail = server(make_server, start=False)
    out = mail.ctl("dkim", "keygen", "example.test", "--selector", "s1", "--type", key_type, json_output=True,
                   offline=True)
    assert out["dns_name"] == "s1._domainkey.example.test"
    record = out["dns_txt"]
    assert record.startswith(f"v=DKIM1; k={key_type}; p=")
    mail.start()
    body = message("Alice <alice@example.test>", "outgoing").replace(b"To: alice@example.test",
                                                                      b"To: carol@remote.test")
    with smtplib.SMTP_SSL("127.0.0.1", mail.ports["smtps"], context=client_tls_context(None)) as s:
        s.login("alice@example.test", PASSWORD)
        assert s.sendmail("alice@example.test", ["carol@remote.test"], body) == {}
    [(_, _, raw)] = mail.sink.wait(1)
    algorithm = "rsa-sha256" if key_type == "rsa" else "ed25519-sha256"
    assert raw.startswith(f"DKIM-Signature: v=1; a={algorithm}; c=relaxed/relaxed;".encode())
    assert b"Authentication-Results" not in raw  # not for our own submissions

    def dns(name, timeout=5):
        assert name == b"s1._domainkey.example.test."
        return record.encode()

    assert dkim.verify(raw, dnsfunc=dns)
    assert not dkim.verify(raw.replace(b"see you", b"pay me"), dnsfunc=dns)
