"""Sieve at local delivery (docs/sieve.md) against the real daemon: an account's active script
files a message into a folder, redirects to another account (with the loop marker), rejects
(the sender gets a non-delivery notice), and answers with a vacation reply once per sender
within :days. Scripts are placed where the daemon reads them:
<data_dir>/sieve/accounts/<account id>/active.sieve."""
import smtplib

from harness import wait_for
from mailflow import make_mail_server, mailbox, wait_delivered, account_id


def put_script(mail, address, text):
    ident = account_id(mail, address)
    path = mail.dir / "data" / "sieve" / "accounts" / ident / "active.sieve"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def send(mail, sender, to, subject, extra=""):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"]) as s:
        body = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}"
                f"Message-ID: <{subject.replace(' ', '.')}@remote.test>\r\n\r\nHello.\r\n").encode()
        assert s.sendmail(sender, [to], body) == {}


def started(make_server):
    mail = make_mail_server(make_server, start=False)
    return mail


def test_fileinto_creates_and_files_into_a_folder(make_server):
    mail = started(make_server)
    put_script(mail, "alice@example.test", """require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "report" {
    fileinto :create :flags "\\\\Flagged" "Reports";
}
""")
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "weekly report")
    send(mail, "carol@remote.test", "alice@example.test", "lunch")
    wait_delivered(mail, 2)
    mail.wait_log("sieve account <alice@example.test>: store Reports")
    reports = mailbox(mail, "alice@example.test", "Reports")
    assert len(reports) == 1 and b"Subject: weekly report" in reports[0]
    inbox = mailbox(mail, "alice@example.test")
    assert len(inbox) == 1 and b"Subject: lunch" in inbox[0]


def test_redirect_reaches_another_account(make_server):
    mail = started(make_server)
    put_script(mail, "alice@example.test", 'redirect "bob@example.test";\n')
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "for bob")
    wait_delivered(mail, 1)  # bob's copy (alice's is not stored)
    mail.wait_log("sieve: redirect to <bob@example.test>")
    [copy] = mailbox(mail, "bob@example.test")
    assert b"Subject: for bob" in copy
    assert b"X-Postern-Sieve-Redirect: alice@example.test" in copy
    assert mailbox(mail, "alice@example.test") == []


def test_redirect_loop_is_broken(make_server):
    mail = started(make_server)
    put_script(mail, "alice@example.test", 'redirect "bob@example.test";\n')
    put_script(mail, "bob@example.test", 'redirect "alice@example.test";\n')
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "ping pong")
    mail.wait_log("(loop)")
    # alice -> bob -> alice: alice's script sees its own marker and keeps the message instead
    wait_delivered(mail, 1)
    [kept] = mailbox(mail, "alice@example.test")
    assert kept.count(b"X-Postern-Sieve-Redirect:") == 2


def test_redirect_waits_for_a_retried_delivery(make_server):
    # alice is over quota (temporary reply): her copy is retried later, and the redirect :copy
    # goes out once, with the delivery that succeeds, not with every attempt.
    mail = started(make_server)
    put_script(mail, "alice@example.test", 'require "copy";\nredirect :copy "bob@example.test";\n')
    mail.ctl("account", "set", "alice@example.test", "quota=100", offline=True)
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "keep and copy")
    mail.wait_log("1 Sieve redirect(s) held back until the delivery is retried")
    assert "delivered to <" not in mail.log_text()
    mail.ctl("account", "set", "alice@example.test", "quota=0")
    mail.ctl("queue", "retry", "--all")
    wait_delivered(mail, 2)  # alice's copy, then bob's
    [kept] = mailbox(mail, "alice@example.test")
    assert b"Subject: keep and copy" in kept
    [copy] = mailbox(mail, "bob@example.test")
    assert b"X-Postern-Sieve-Redirect: alice@example.test" in copy


def test_reject_gives_a_non_delivery_notice(make_server):
    mail = started(make_server)
    put_script(mail, "alice@example.test", 'require "reject";\nreject "I do not accept mail from you.";\n')
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "unwanted")
    mail.sink.wait(1)
    sender, rcpts, raw = mail.sink.messages[0]
    text = " ".join(raw.decode(errors="replace").split())  # unfolded, one space between words
    assert sender in ("", "<>") and rcpts == ["carol@remote.test"]
    assert "report-type=delivery-status" in text
    assert "I do not accept mail from you." in text
    assert "Status: 5.7.1" in text
    assert mailbox(mail, "alice@example.test") == []


def test_vacation_replies_once_per_sender_per_days(make_server):
    mail = started(make_server)
    put_script(mail, "alice@example.test", """require "vacation";
vacation :days 7 :subject "Away" "I am on holiday until Monday.";
""")
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "first")
    wait_delivered(mail, 1)
    mail.sink.wait(1)
    send(mail, "carol@remote.test", "alice@example.test", "second")
    wait_delivered(mail, 2)
    mail.wait_log("already replied within")
    send(mail, "dave@remote.test", "alice@example.test", "third")
    # no reply to lists or automatic mail
    send(mail, "list@remote.test", "alice@example.test", "digest", extra="List-Id: <x.remote.test>\r\n")
    send(mail, "robot@remote.test", "alice@example.test", "auto", extra="Auto-Submitted: auto-generated\r\n")
    wait_delivered(mail, 5)
    mail.sink.wait(2)
    mail.wait_log("message has List-Id")
    mail.wait_log("Auto-Submitted: auto-generated")
    replies = list(mail.sink.messages)
    assert sorted(r[1][0] for r in replies) == ["carol@remote.test", "dave@remote.test"]
    for sender, rcpts, raw in replies:
        text = raw.decode(errors="replace")
        assert sender in ("", "<>")
        assert "Subject: Away" in text
        assert "Auto-Submitted: auto-replied" in text
        assert "I am on holiday until Monday." in text
        assert "From: alice@example.test" in text
    assert len(mailbox(mail, "alice@example.test")) == 5


def test_broken_script_keeps_mail(make_server):
    mail = started(make_server)
    put_script(mail, "alice@example.test", 'require "fileinto";\nfileinto "Unclosed;\n')
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "still here")
    wait_delivered(mail, 1)
    mail.wait_log("has errors, ignored")
    assert len(mailbox(mail, "alice@example.test")) == 1


def test_fileinto_specialuse_files_into_the_junk_folder(make_server):
    # RFC 8579: alice's \Junk folder is called "Spam Stuff"; the script names "Junk" only as the
    # fallback. bob has no \Junk folder: :create makes "Junk" and gives it the attribute.
    from imapflow import connect, make_imap_server
    mail = make_imap_server(make_server, start=False)
    script = """require ["fileinto", "special-use", "mailbox", "imap4flags"];
if header :contains "subject" "spam" {
    if specialuse_exists "\\\\Junk" { addflag "$HadJunk"; }
    fileinto :specialuse "\\\\Junk" :create "Junk";
}
"""
    put_script(mail, "alice@example.test", script)
    put_script(mail, "bob@example.test", script)
    mail.start()
    c = connect(mail)
    typ, _ = c._simple_command("CREATE", '"Spam Stuff"', "(USE (\\Junk))")
    assert typ == "OK"
    c.logout()
    send(mail, "carol@remote.test", "alice@example.test", "cheap spam")
    send(mail, "carol@remote.test", "bob@example.test", "more spam")
    send(mail, "carol@remote.test", "alice@example.test", "lunch")
    wait_delivered(mail, 3)
    mail.wait_log("sieve account <alice@example.test>: store Spam Stuff")
    c = connect(mail, user="bob")
    typ, data = c._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    typ, data = c._untagged_response(typ, data, "LIST")
    assert any(b"\\Junk" in line and b"Junk" in line for line in data), data
    c.logout()
    c = connect(mail)  # alice: no folder "Junk" was made, her \Junk folder was used
    typ, data = c._simple_command("LIST", '""', '"Junk"')
    typ, data = c._untagged_response(typ, data, "LIST")
    assert data == [None], data
    c.logout()
    [junk] = mailbox(mail, "alice@example.test", "Spam Stuff")
    assert b"Subject: cheap spam" in junk
    [inbox] = mailbox(mail, "alice@example.test")
    assert b"Subject: lunch" in inbox
    [bobs] = mailbox(mail, "bob@example.test", "Junk")
    assert b"Subject: more spam" in bobs


def test_notify_mailto_reaches_another_account(make_server):
    # RFC 5435/5436: alice's script notifies bob by mail; alice keeps the message. A message that
    # is itself automatic (Auto-Submitted) triggers no notification (loop protection).
    mail = started(make_server)
    put_script(mail, "alice@example.test", """require ["enotify", "variables"];
if header :matches "subject" "*" { set "s" "${1}"; }
notify :importance "1" :message "Mail for alice: ${s}" "mailto:bob@example.test";
""")
    mail.start()
    send(mail, "carol@remote.test", "alice@example.test", "quarterly numbers")
    mail.wait_log("sieve: notification to <bob@example.test>")
    wait_delivered(mail, 2)  # alice's copy, then bob's notification
    send(mail, "daemon@remote.test", "alice@example.test", "automatic",
         extra="Auto-Submitted: auto-generated\r\n")
    mail.wait_log("sieve: no notification (mailto:bob@example.test): the message is Auto-Submitted")
    wait_delivered(mail, 3)
    [note] = mailbox(mail, "bob@example.test")
    assert b"Subject: Mail for alice: quarterly numbers" in note
    assert b"Auto-Submitted: auto-notified" in note
    assert b"From: <alice@example.test>" in note
    assert b"Importance: High" in note
    inbox = mailbox(mail, "alice@example.test")
    assert len(inbox) == 2
