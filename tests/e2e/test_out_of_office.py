"""Out-of-office (docs/sieve.md "Out of office") against the real daemon: set with posternctl,
run by delivery as a generated Sieve vacation script. An outside sender gets one auto-reply
(at the remote sink) and no second one within :days; a setting for internal senders only does
not answer outside senders but answers a local one; a start date in the future answers nobody;
turning it off removes the generated script."""
from mailflow import make_mail_server, mailbox, wait_delivered, account_id
from test_sieve import send


def ooo(mail, *args):
    return mail.ctl("account", "ooo", *args, json_output=True)


def test_out_of_office_replies_once_to_outside_senders(make_server):
    mail = make_mail_server(make_server)
    shown = ooo(mail, "set", "alice@example.test", "--enable", "--subject", "Out of office",
                "--text", "I am away until Monday.\nUrgent: bob@example.test", "--days", "3")
    assert shown["enabled"] and shown["reply_to"] == "all" and shown["days"] == 3
    script = mail.dir / "data" / "sieve" / "accounts" / account_id(mail, "alice@example.test") / "out-of-office.sieve"
    assert ":days 3" in script.read_text() and '"alice@example.test"' in script.read_text()
    send(mail, "carol@remote.test", "alice@example.test", "first")
    [(sender, rcpts, raw)] = mail.sink.wait(1)
    text = raw.decode(errors="replace")
    assert sender in ("", "<>") and rcpts == ["carol@remote.test"]
    assert "Subject: Out of office" in text and "Auto-Submitted: auto-replied" in text
    assert "I am away until Monday." in text
    send(mail, "carol@remote.test", "alice@example.test", "second")
    wait_delivered(mail, 2)
    mail.wait_log("already replied within")
    assert len(mail.sink.messages) == 1
    off = ooo(mail, "set", "alice@example.test", "--disable")
    assert not off["enabled"] and not script.exists()
    assert ooo(mail, "show", "alice@example.test")["text"].startswith("I am away")
    assert len(mailbox(mail, "alice@example.test")) == 2


def test_internal_only_does_not_answer_outside_senders(make_server):
    mail = make_mail_server(make_server)
    ooo(mail, "set", "alice@example.test", "--enable", "--text", "Away.", "--reply-to", "internal")
    send(mail, "carol@remote.test", "alice@example.test", "from outside")
    wait_delivered(mail, 1)
    mail.wait_log("sieve out-of-office <alice@example.test>")
    send(mail, "bob@example.test", "alice@example.test", "from a colleague")
    mail.wait_log("sieve: vacation reply to <bob@example.test>")
    wait_delivered(mail, 3)  # alice twice, and the reply in bob's INBOX
    assert "vacation reply to <carol@remote.test>" not in mail.log_text()
    assert mail.sink.messages == []
    [reply] = mailbox(mail, "bob@example.test")
    assert b"Auto-Submitted: auto-replied" in reply and b"Away." in reply


def test_future_start_and_bad_settings(make_server):
    mail = make_mail_server(make_server)
    ooo(mail, "set", "alice@example.test", "--enable", "--text", "Later.", "--start", "2999-01-01")
    send(mail, "carol@remote.test", "alice@example.test", "too early")
    wait_delivered(mail, 1)
    mail.wait_log("sieve out-of-office <alice@example.test>")
    assert mail.sink.messages == []
    bad = mail.ctl("account", "ooo", "set", "alice@example.test", "--end", "2000-01-01", check=False)
    assert bad.returncode != 0 and "end is before start" in bad.stderr
    bad = mail.ctl("account", "ooo", "set", "alice@example.test", "--reply-to", "friends", check=False)
    assert bad.returncode != 0
