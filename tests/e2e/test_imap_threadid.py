"""THREADID (RFC 8474 §5.2) with imaplib against the real daemon: a reply appended or delivered over
SMTP later gets its parent's THREADID, unrelated messages get others, COPY and MOVE keep it, SEARCH
THREADID finds the thread, and an index of schema v4 (before thread ids) is upgraded on start with
thread ids for the messages it already held."""
import re
import smtplib
import sqlite3

import pytest

from harness import wait_for
from imapflow import connect, make_imap_server, message, tls_context


@pytest.fixture
def imap(make_server):
    return make_imap_server(make_server)


def thread_ids(client, mailbox="INBOX"):
    """UID -> THREADID objectid (None for NIL) of every message of `mailbox`."""
    assert client.select(mailbox)[0] == "OK"
    typ, data = client.uid("FETCH", "1:*", "(THREADID)")
    assert typ == "OK", data
    out = {}
    for item in data:
        line = item if isinstance(item, bytes) else item[0]
        uid = re.search(rb"UID (\d+)", line)
        tid = re.search(rb"THREADID (?:\(([A-Za-z0-9_-]+)\)|NIL)", line)
        assert uid and tid, line
        out[int(uid.group(1))] = tid.group(1).decode() if tid.group(1) else None
    return out


def deliver(server, subject, msgid, extra_headers=""):
    raw = (f"From: carol@remote.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
           f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{msgid}>\r\n{extra_headers}\r\nHi.\r\n")
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("client.remote.test")
        s.starttls(context=tls_context())
        s.ehlo("client.remote.test")
        s.sendmail("carol@remote.test", ["alice@example.test"], raw.encode())


def test_replies_share_the_thread_and_copies_keep_it(imap):
    c = connect(imap)
    assert "OBJECTID" in c.capability()[1][0].decode().upper().split()
    c.append("INBOX", None, None, message("Plans", extra_headers="").replace(
        b"Message-ID: <", b"Message-ID: <parent@remote.test>\r\nX-Old-Id: <", 1))
    c.append("INBOX", None, None, message("Unrelated"))
    # Appended later by another session: the reply names its parent in References.
    other = connect(imap)
    other.append("INBOX", None, None, message("Re: Plans", extra_headers=(
        "In-Reply-To: <parent@remote.test>\r\nReferences: <parent@remote.test>\r\n")))
    other.logout()
    # And one delivered over SMTP that only has In-Reply-To, to the reply's parent.
    deliver(imap, "Re: Plans again", "third@remote.test", "In-Reply-To: <parent@remote.test>\r\n")
    wait_for(lambda: c.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 4)"), what="delivery")
    ids = thread_ids(c)
    assert all(t and t.startswith("T") for t in ids.values()), ids
    assert ids[1] == ids[3] == ids[4], ids
    assert ids[2] != ids[1]
    # SEARCH THREADID finds the whole thread; UID SEARCH too; an unknown id finds nothing.
    typ, data = c.uid("SEARCH", "THREADID", ids[1])
    assert typ == "OK" and data[0].split() == [b"1", b"3", b"4"], data
    typ, data = c.search(None, "THREADID", ids[2])
    assert data[0].split() == [b"2"], data
    assert c.search(None, "THREADID", "Tnothere")[1][0] == b""
    # COPY and MOVE keep the thread id.
    c.create("Keep")
    assert c.uid("COPY", "3", "Keep")[0] == "OK"
    typ, data = c._simple_command("UID", "MOVE", "4", "Keep")
    assert typ == "OK", data
    kept = thread_ids(c, "Keep")
    assert sorted(kept.values()) == [ids[1], ids[1]], kept
    c.logout()


def test_a_v4_index_is_upgraded_with_thread_ids(imap):
    c = connect(imap)
    c.append("INBOX", None, None, message("Root").replace(
        b"Message-ID: <", b"Message-ID: <root@remote.test>\r\nX-Old-Id: <", 1))
    c.append("INBOX", None, None, message("Re: Root", extra_headers="In-Reply-To: <root@remote.test>\r\n"))
    c.append("INBOX", None, None, message("Alone"))
    c.logout()
    assert imap.stop() == 0
    # Back to schema v4: no thread columns, no Message-ID index (the v6 email_id column stays:
    # the upgrade finds it there and keeps it).
    indexes = [p for p in imap.dir.rglob("*.db") if p.parent.name != "stores" and
               _has_messages(p)]
    assert indexes
    for path in indexes:
        db = sqlite3.connect(path)
        db.executescript("DROP INDEX IF EXISTS messages_msgid;"
                         "ALTER TABLE messages DROP COLUMN thread_id;"
                         "ALTER TABLE messages DROP COLUMN message_id;"
                         "UPDATE meta SET value='4' WHERE key='schema_version';")
        db.commit()
        db.close()
    imap.start()
    c = connect(imap)
    ids = thread_ids(c)
    assert len(ids) == 3 and all(ids.values()), ids
    assert ids[1] == ids[2] != ids[3], ids
    # New mail threads onto the upgraded messages.
    c.append("INBOX", None, None, message("Re: Re: Root", extra_headers="In-Reply-To: <root@remote.test>\r\n"))
    assert thread_ids(c)[4] == ids[1]
    c.logout()
    for path in indexes:
        db = sqlite3.connect(path)
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "6"
        db.close()


def _has_messages(path):
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return db.execute("SELECT 1 FROM sqlite_master WHERE name='messages'").fetchone() is not None
        finally:
            db.close()
    except sqlite3.Error:
        return False
