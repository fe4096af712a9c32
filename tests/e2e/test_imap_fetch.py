"""FETCH and STORE with Python's imaplib against the real daemon: every FETCH item (ENVELOPE, FLAGS,
INTERNALDATE, RFC822.*, BODY, BODYSTRUCTURE, BODY[section]<partial>, BINARY, MODSEQ, EMAILID,
THREADID, SAVEDATE, PREVIEW), \\Seen for BODY vs BODY.PEEK, STORE with .SILENT and UNCHANGEDSINCE,
CHANGEDSINCE and VANISHED, another session's STORE seen after NOOP, messages expunged elsewhere,
FETCH 1:* over thousands of messages, hostile input."""
import base64
import imaplib
import os
import re
import time

import pytest

from imapflow import connect, make_imap_server, message

ATTACHMENT = bytes(range(256)) * 4 + b"\0end\0"  # NUL bytes: BINARY needs literal8

MIXED = (b"From: Carol <carol@remote.test>\r\n"
         b"To: alice@example.test\r\n"
         b"Subject: Mixed bag\r\n"
         b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
         b"Message-ID: <mixed@remote.test>\r\n"
         b"MIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
         b"\r\n"
         b"--outer\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: quoted-printable\r\n"
         b"\r\n"
         b"Caf=C3=A9   au lait,\r\n"
         b"  see the attachment.\r\n"
         b"--outer\r\n"
         b"Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
         b"Content-Disposition: attachment; filename=\"blob.bin\"\r\n"
         b"Content-Transfer-Encoding: base64\r\n"
         b"\r\n" + base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n") +
         b"--outer\r\n"
         b"Content-Type: message/rfc822\r\n"
         b"\r\n"
         b"From: dave@remote.test\r\n"
         b"Subject: Inner\r\n"
         b"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
         b"\r\n"
         b"--inner\r\n"
         b"Content-Type: text/plain\r\n"
         b"\r\n"
         b"inner plain\r\n"
         b"--inner\r\n"
         b"Content-Type: text/html\r\n"
         b"\r\n"
         b"<p>inner html</p>\r\n"
         b"--inner--\r\n"
         b"--outer\r\n"
         b"Content-Type: application/octet-stream\r\n"
         b"Content-Transfer-Encoding: x-uuencode\r\n"
         b"\r\n"
         b"begin 644 x\r\n"
         b"--outer--\r\n")

SIMPLE = message(subject="Hello", body="Hi there,\r\n  how   are you?\r\n",
                 extra_headers="X-Folded: first\r\n second line\r\nX-Other: o\r\n")


@pytest.fixture
def imap(make_server):
    return make_imap_server(make_server)


def responses(data):
    """imaplib FETCH data as {seq: bytes of the whole response, literals inlined}."""
    out, current = {}, None
    for item in data:
        if item is None:
            continue
        head = item[0] if isinstance(item, tuple) else item
        m = re.match(rb"(\d+) \(", head)
        if m:
            current = int(m.group(1))
            out[current] = b""
        out[current] += head + (item[1] if isinstance(item, tuple) else b"")
    return out


def fetch(client, seqs, items, uid=False):
    typ, data = client.uid("FETCH", seqs, items) if uid else client.fetch(seqs, items)
    assert typ == "OK", data
    return responses(data)


def literal(response, name):
    """The literal after `name` (e.g. b"BODY[TEXT]") in a response, from responses()."""
    m = re.search(re.escape(name) + rb"(?:<\d+>)? ~?\{(\d+)\}", response)
    assert m, (name, response[:300])
    return response[m.end():m.end() + int(m.group(1))]


def append(client, raw, flags=None, mailbox="INBOX"):
    typ, data = client.append(mailbox, flags, None, raw)
    assert typ == "OK", data


def selected(imap, *raws, readonly=False, **kwargs):
    client = connect(imap, **kwargs)
    for raw in raws:
        append(client, raw)
    typ, _ = client.select("INBOX", readonly=readonly)
    assert typ == "OK"
    return client


def flags_of(client, seq):
    r = fetch(client, str(seq), "(FLAGS)")[seq]
    return set(re.search(rb"FLAGS \(([^)]*)\)", r).group(1).decode().split())


def test_capabilities(imap):
    c = connect(imap)
    typ, data = c.capability()
    caps = set(data[0].decode().upper().split())
    assert {"CONDSTORE", "QRESYNC", "BINARY", "SAVEDATE", "PREVIEW"} <= caps
    c.logout()


def test_simple_items_and_sizes(imap):
    c = selected(imap, SIMPLE)
    r = fetch(c, "1", "(ENVELOPE FLAGS INTERNALDATE RFC822.SIZE UID EMAILID THREADID SAVEDATE "
                      "MODSEQ PREVIEW BODY BODYSTRUCTURE)")[1]
    assert b'ENVELOPE ("Sun, 22 Nov 2026 10:00:00 +0000" "Hello" ((NIL NIL "carol" "remote.test"))' in r
    assert re.search(rb'INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"', r)
    assert re.search(rb"RFC822.SIZE %d\b" % len(SIMPLE), r)
    assert re.search(rb"UID 1\b", r)
    assert re.search(rb"EMAILID \([A-Za-z0-9_-]{1,255}\)", r)
    assert re.search(rb"THREADID \(T[A-Za-z0-9_-]{1,254}\)", r)
    assert re.search(rb'SAVEDATE "\d\d-', r)
    assert re.search(rb"MODSEQ \(\d+\)", r)
    assert b'PREVIEW "Hi there, how are you?"' in r
    assert b'BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" ' in r
    assert b'BODYSTRUCTURE ("text" "plain"' in r
    # BODY[] is the message as appended, and as long as RFC822.SIZE says.
    r = fetch(c, "1", "(RFC822.SIZE BODY.PEEK[] RFC822.HEADER BODY.PEEK[TEXT] BODY.PEEK[HEADER])")[1]
    assert literal(r, b"BODY[]") == SIMPLE
    split = SIMPLE.index(b"\r\n\r\n") + 4
    assert literal(r, b"RFC822.HEADER") == SIMPLE[:split]
    assert literal(r, b"BODY[HEADER]") == SIMPLE[:split]
    assert literal(r, b"BODY[TEXT]") == SIMPLE[split:]
    # Macros.
    r = fetch(c, "1", "FAST")[1]
    assert b"FLAGS" in r and b"INTERNALDATE" in r and b"RFC822.SIZE" in r and b"ENVELOPE" not in r
    r = fetch(c, "1", "FULL")[1]
    assert b"ENVELOPE" in r and b"BODY (" in r
    # Two messages: EMAILIDs differ; UID FETCH always says UID.
    append(c, message(subject="Second"))
    c.noop()
    rs = fetch(c, "1:2", "(EMAILID)")
    ids = {re.search(rb"EMAILID \(([^)]+)\)", r).group(1) for r in rs.values()}
    assert len(ids) == 2
    # A COPY is the same message: same EMAILID (RFC 8474 §5.1), and SEARCH EMAILID finds both.
    first = re.search(rb"EMAILID \(([^)]+)\)", rs[1]).group(1)
    assert c.copy("1", "INBOX")[0] == "OK"
    c.noop()
    r = fetch(c, "3", "(EMAILID)")[3]
    assert re.search(rb"EMAILID \(([^)]+)\)", r).group(1) == first
    typ, data = c.search(None, "EMAILID", first.decode())
    assert typ == "OK" and data[0].split() == [b"1", b"3"]
    rs = fetch(c, "1:*", "(FLAGS)", uid=True)
    assert all(re.search(rb"UID \d+", r) for r in rs.values()) and len(rs) == 3
    c.logout()


def test_peek_does_not_set_seen_and_body_does(imap):
    c = selected(imap, SIMPLE, message(subject="Two"), message(subject="Three"))
    fetch(c, "1", "(BODY.PEEK[] BINARY.PEEK[1] RFC822.HEADER RFC822.SIZE)")
    assert "\\Seen" not in flags_of(c, 1)
    # BODY[TEXT] sets \Seen and says so in the same response.
    r = fetch(c, "1", "(BODY[TEXT])")[1]
    assert re.search(rb"FLAGS \([^)]*\\Seen", r)
    assert "\\Seen" in flags_of(c, 1)
    # RFC822 too, and when FLAGS is asked for it shows the new flags.
    r = fetch(c, "2", "(FLAGS RFC822)")[2]
    assert r.count(b"FLAGS") == 1 and b"\\Seen" in r
    c.logout()
    # A read-only mailbox never gets \Seen.
    ro = connect(imap)
    ro.select("INBOX", readonly=True)
    r = fetch(ro, "3", "(BODY[])")[3]
    assert b"FLAGS" not in r
    assert "\\Seen" not in flags_of(ro, 3)
    ro.logout()


def test_header_fields_and_partials(imap):
    c = selected(imap, SIMPLE)
    r = fetch(c, "1", "(BODY.PEEK[HEADER.FIELDS (subject X-FOLDED)])")[1]
    assert literal(r, b"BODY[HEADER.FIELDS (SUBJECT X-FOLDED)]") == \
        b"Subject: Hello\r\nX-Folded: first\r\n second line\r\n\r\n"
    r = fetch(c, "1", "(BODY.PEEK[HEADER.FIELDS.NOT (From To Date Message-ID X-Folded)])")[1]
    assert literal(r, b"BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID X-FOLDED)]") == \
        b"Subject: Hello\r\nX-Other: o\r\n\r\n"
    r = fetch(c, "1", "(BODY.PEEK[HEADER.FIELDS (NOSUCH)])")[1]
    assert literal(r, b"BODY[HEADER.FIELDS (NOSUCH)]") == b"\r\n"
    # Partial fetches: <origin> in the answer, cut at the end, empty past it.
    r = fetch(c, "1", "(BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<4.5>)")[1]
    assert b"BODY[]<0> {10}" in r and literal(r, b"BODY[]") == SIMPLE[:10]
    split = SIMPLE.index(b"\r\n\r\n") + 4
    assert literal(r, b"BODY[TEXT]") == SIMPLE[split + 4:split + 9]
    r = fetch(c, "1", "(BODY.PEEK[]<10.4294967295>)")[1]
    assert literal(r, b"BODY[]") == SIMPLE[10:]
    r = fetch(c, "1", "(BODY.PEEK[]<4294967295.4294967295>)")[1]
    assert b"BODY[]<4294967295> {0}" in r or b'BODY[]<4294967295> ""' in r
    c.logout()


def test_multipart_bodystructure_sections_and_binary(imap):
    c = selected(imap, MIXED)
    r = fetch(c, "1", "(BODYSTRUCTURE)")[1]
    assert b'BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable"' in r
    assert b'("application" "octet-stream" ("name" "blob.bin") NIL NIL "base64"' in r
    assert b'("attachment" ("filename" "blob.bin"))' in r
    assert b'("message" "rfc822" NIL NIL NIL "7bit"' in r
    assert b'("From" NIL "dave" "remote.test")' in r or b'(NIL NIL "dave" "remote.test")' in r
    assert b'"alternative"' in r and b'"mixed"' in r and b'("boundary" "outer")' in r
    r = fetch(c, "1", "(BODY.PEEK[3.HEADER] BODY.PEEK[3.1] BODY.PEEK[3.2.MIME] BODY.PEEK[2.MIME] "
                      "BODY.PEEK[3.HEADER.FIELDS (SUBJECT)] BODY.PEEK[9] BODY.PEEK[1.TEXT])")[1]
    assert literal(r, b"BODY[3.HEADER]").startswith(b"From: dave@remote.test\r\nSubject: Inner\r\n")
    assert literal(r, b"BODY[3.1]") == b"inner plain"
    assert literal(r, b"BODY[3.2.MIME]") == b"Content-Type: text/html\r\n\r\n"
    assert literal(r, b"BODY[2.MIME]").startswith(b"Content-Type: application/octet-stream")
    assert literal(r, b"BODY[3.HEADER.FIELDS (SUBJECT)]") == b"Subject: Inner\r\n\r\n"
    assert b"BODY[9] NIL" in r and b"BODY[1.TEXT] NIL" in r
    # BINARY decodes base64 (literal8, NUL bytes and all) and quoted-printable.
    r = fetch(c, "1", "(BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1] BINARY.PEEK[2]<1.3> BINARY.SIZE[1])")[1]
    assert literal(r, b"BINARY[2]") == ATTACHMENT
    assert b"BINARY[2] ~{" in r
    assert b"BINARY.SIZE[2] %d" % len(ATTACHMENT) in r
    assert literal(r, b"BINARY[1]") == "Café   au lait,\r\n  see the attachment.".encode()
    assert b"BINARY[2]<1> {3}" in r or b"BINARY[2]<1> ~{3}" in r
    assert b"BINARY.SIZE[1] %d" % len("Café   au lait,\r\n  see the attachment.".encode()) in r
    r = fetch(c, "1", "(PREVIEW)")[1]
    assert "Café au lait, see the attachment.".encode() in r
    # An encoding the server cannot undo: NO [UNKNOWN-CTE].
    typ, data = c.fetch("1", "(BINARY.PEEK[4])")
    assert typ == "NO" and b"UNKNOWN-CTE" in data[0]
    assert "\\Seen" not in flags_of(c, 1)
    # Non-PEEK BINARY sets \Seen.
    r = fetch(c, "1", "(BINARY[3.1])")[1]
    assert literal(r, b"BINARY[3.1]") == b"inner plain" and b"\\Seen" in r
    c.logout()


def test_large_message_body_partial_and_binary(imap):
    blob = os.urandom(2 * 1024 * 1024) + b"\0"
    raw = (b"From: carol@remote.test\r\nSubject: Big\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\n" + b"line of text\r\n" * 20000 +
           b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           base64.encodebytes(blob).replace(b"\n", b"\r\n") + b"--b--\r\n")
    c = selected(imap, raw)
    r = fetch(c, "1", "(RFC822.SIZE BODY.PEEK[] BODY.PEEK[]<1000.100000> BINARY.PEEK[2] "
                      "BINARY.PEEK[2]<5.70000> BINARY.SIZE[2] BODY.PEEK[1])")[1]
    assert re.search(rb"RFC822.SIZE %d\b" % len(raw), r)
    assert literal(r, b"BODY[]") == raw
    assert b"BODY[]<1000> {100000}" in r
    assert literal(r, b"BINARY[2]") == blob and b"BINARY[2] ~{%d}" % len(blob) in r
    assert b"BINARY.SIZE[2] %d" % len(blob) in r
    assert literal(r, b"BODY[1]") == b"line of text\r\n" * 19999 + b"line of text"
    m = re.search(rb"BINARY\[2\]<5> ~?\{(\d+)\}", r)
    assert m and r[m.end():m.end() + 70000] == blob[5:70005]
    c.logout()


def test_store_variants(imap):
    c = selected(imap, SIMPLE, message(subject="Two"), message(subject="Three"))
    typ, data = c.store("1", "+FLAGS", "(\\Flagged $Work)")
    assert typ == "OK" and b"\\Flagged" in data[0] and b"$Work" in data[0]
    assert {"\\Flagged", "$Work"} <= flags_of(c, 1)
    typ, data = c.store("1", "-FLAGS", "($Work)")
    assert typ == "OK" and b"$Work" not in data[0]
    typ, data = c.store("1:2", "FLAGS", "(\\Answered)")
    assert typ == "OK"
    got = responses(data)
    assert set(got) == {1, 2}
    assert all(re.search(rb"FLAGS \(\\Answered( \\Recent)?\)", r) for r in got.values()), got
    # .SILENT: no FETCH back.
    typ, data = c.store("3", "+FLAGS.SILENT", "(\\Deleted)")
    assert typ == "OK" and data == [None]
    assert "\\Deleted" in flags_of(c, 3)
    # UID STORE answers with UIDs; \Recent cannot be stored.
    typ, data = c.uid("STORE", "2", "+FLAGS", "(\\Seen)")
    assert typ == "OK" and re.search(rb"UID 2\b", data[0])
    with pytest.raises(imaplib.IMAP4.error):
        c.store("1", "+FLAGS", "(\\Recent)")
    # UNCHANGEDSINCE: a stale MODSEQ fails with MODIFIED; MODSEQ is in the replies from then on.
    modseq = int(re.search(rb"MODSEQ \((\d+)\)", fetch(c, "1", "(MODSEQ)")[1]).group(1))
    c.response("FETCH")
    typ, data = c._simple_command("STORE", "1:2", "(UNCHANGEDSINCE %d)" % modseq, "+FLAGS", "(\\Draft)")
    assert typ == "OK" and b"[MODIFIED 2]" in data[-1], data
    updated = responses(c.response("FETCH")[1])
    assert set(updated) == {1} and re.search(rb"MODSEQ \(\d+\)", updated[1])
    assert "\\Draft" in flags_of(c, 1) and "\\Draft" not in flags_of(c, 2)
    typ, data = c._simple_command("STORE", "2", "(UNCHANGEDSINCE 0)", "+FLAGS", "(\\Draft)")
    assert typ == "OK" and b"[MODIFIED 2]" in data[-1]
    typ, data = c.store("1", "+FLAGS", "($Later)")
    assert re.search(rb"MODSEQ \(\d+\)", data[0]) and re.search(rb"UID 1\b", data[0])
    # With CONDSTORE on, the FETCH that sets \Seen carries UID and MODSEQ too (RFC 7162 §3.1).
    r = fetch(c, "3", "(BODY[TEXT])")[3]
    assert b"\\Seen" in r and re.search(rb"UID 3\b", r) and re.search(rb"MODSEQ \(\d+\)", r)
    # Own changes are not repeated by the next NOOP.
    c.response("FETCH")
    c.noop()
    assert c.response("FETCH")[1] == [None]
    c.logout()
    # EXAMINE: read-only.
    ro = connect(imap)
    ro.select("INBOX", readonly=True)
    typ, data = ro.store("1", "+FLAGS", "(\\Seen)")
    assert typ == "NO" and b"READ-ONLY" in data[0]
    ro.logout()


def test_changedsince_and_vanished(imap):
    c = connect(imap)
    for i in range(5):
        append(c, message(subject=f"M{i}"))
    typ, _ = c.enable("QRESYNC")
    assert typ == "OK"
    c.select("INBOX")
    before = int(re.search(rb"MODSEQ \((\d+)\)", fetch(c, "5", "(MODSEQ)")[5]).group(1))
    c.store("2,4", "+FLAGS", "(\\Flagged)")
    c.store("5", "+FLAGS", "(\\Deleted)")
    c.expunge()
    typ, data = c.uid("FETCH", "1:*", "(FLAGS) (CHANGEDSINCE %d VANISHED)" % before)
    assert typ == "OK", data
    got = responses(data)
    assert set(got) == {2, 4}
    assert all(re.search(rb"MODSEQ \(\d+\)", r) and b"UID" in r for r in got.values())
    typ, vanished = c.response("VANISHED")
    assert vanished and vanished[-1] == b"(EARLIER) 5"
    # Without VANISHED only the changed messages come back; UIDs outside the set are not said.
    got = fetch(c, "1:3", "(FLAGS) (CHANGEDSINCE %d)" % before, uid=True)
    assert set(got) == {2}
    c.response("VANISHED")
    typ, data = c.uid("FETCH", "1:3", "(FLAGS) (CHANGEDSINCE %d VANISHED)" % before)
    assert typ == "OK" and c.response("VANISHED")[1] == [None]
    c.logout()
    # VANISHED needs QRESYNC enabled; CHANGEDSINCE alone enables CONDSTORE.
    d = selected(imap)
    with pytest.raises(imaplib.IMAP4.error):
        d.uid("FETCH", "1:*", "(FLAGS) (CHANGEDSINCE 1 VANISHED)")
    d.response("HIGHESTMODSEQ")
    got = fetch(d, "1:*", "(FLAGS) (CHANGEDSINCE 1)")
    assert all(b"MODSEQ" in r for r in got.values())
    assert d.response("HIGHESTMODSEQ")[1] != [None]
    d.logout()


def test_second_session_sees_store_after_noop(imap):
    a = selected(imap, SIMPLE, message(subject="Two"))
    b = connect(imap)
    b.select("INBOX")
    b.response("FETCH")
    a.store("2", "+FLAGS", "(\\Flagged)")
    typ, _ = b.noop()
    assert typ == "OK"
    typ, data = b.response("FETCH")
    assert data != [None] and any(b"\\Flagged" in d for d in data), data
    assert any(d.startswith(b"2 (") for d in data)
    a.logout()
    b.logout()


def test_messages_expunged_by_another_session(imap):
    a = selected(imap, SIMPLE, message(subject="Two"), message(subject="Three"))
    b = connect(imap)
    b.select("INBOX")
    b.store("2", "+FLAGS", "(\\Deleted)")
    b.expunge()
    # A still has message 2 in its view: it gets what can be returned and NO [EXPUNGEISSUED].
    a.response("FETCH")
    typ, data = a.fetch("1:3", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "NO" and b"EXPUNGEISSUED" in data[-1], data
    got = responses(a.response("FETCH")[1])
    assert set(got) == {1, 3}
    typ, data = a.store("2", "+FLAGS", "(\\Seen)")
    assert typ == "OK"  # RFC 2180 §4.2.1: skipped, as Dovecot does
    # UID FETCH may report the expunge; the session carries on.
    a.noop()
    typ, data = a.fetch("1:*", "(UID)")
    assert typ == "OK" and len(responses(data)) == 2
    a.logout()
    b.logout()


def test_fetch_store_search_hold_expunges_but_not_flags_or_exists(imap):
    """RFC 9051 §7.5.2 / RFC 2180 §4.1.2: after FETCH, STORE and SEARCH by sequence number the
    server reports another session's flag changes and new messages, but no EXPUNGE; the UID
    variants and NOOP may send it."""
    a = selected(imap, message(subject="One"), message(subject="Two"), message(subject="Three"))
    b = connect(imap)
    b.select("INBOX")
    assert b.store("1", "+FLAGS", "(\\Flagged)")[0] == "OK"
    append(b, message(subject="Four"))
    assert b.store("2", "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert b.expunge()[0] == "OK"

    a.response("FETCH")
    a.response("EXISTS")
    typ, data = a.fetch("3", "(UID)")
    assert typ == "OK", data
    got = responses(data)
    assert b"\\Flagged" in got[1], got  # B's STORE, as an unsolicited FETCH
    assert b"UID 3" in got[3]
    # EXISTS counts message 2, expunged but not yet reported: A still numbers it.
    assert a.response("EXISTS")[1] == [b"4"]
    assert a.response("EXPUNGE")[1] == [None]
    # The held message keeps its number, so message 4 is still the new one.
    assert b"UID 4" in fetch(a, "4", "(UID)")[4]
    typ, data = a.store("1", "+FLAGS", "(\\Seen)")
    assert typ == "OK" and a.response("EXPUNGE")[1] == [None]
    typ, data = a.search(None, "ALL")
    assert typ == "OK" and a.response("EXPUNGE")[1] == [None]

    # NOOP may send it: EXPUNGE 2, and the numbers move up.
    assert a.noop()[0] == "OK"
    assert a.response("EXPUNGE")[1] == [b"2"]
    assert b"UID 4" in fetch(a, "3", "(UID)")[3]

    # UID FETCH may send EXPUNGE (RFC 9051 §7.5.2).
    assert b.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert b.expunge()[0] == "OK"
    typ, data = a.uid("FETCH", "3:*", "(UID)")
    assert typ == "OK", data
    assert a.response("EXPUNGE")[1] == [b"1"]
    a.logout()
    b.logout()


def test_held_expunge_is_vanished_later_and_caps_highestmodseq(imap):
    """With QRESYNC the held expunge goes out as VANISHED at the next NOOP; a HIGHESTMODSEQ
    announced meanwhile stays below it (RFC 7162 §3.1.2.1), so resynchronising from that value
    still learns of it."""
    a = connect(imap)
    for i in range(3):
        append(a, message(subject=f"Q{i}"))
    assert a.enable("QRESYNC")[0] == "OK"
    assert a.select("INBOX")[0] == "OK"
    b = connect(imap)
    b.select("INBOX")
    assert b.store("2", "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert b.expunge()[0] == "OK"
    assert b.store("2", "+FLAGS", "(\\Flagged)")[0] == "OK"  # UID 3
    current = int(re.search(rb"HIGHESTMODSEQ (\d+)",
                            b.status("INBOX", "(HIGHESTMODSEQ)")[1][0]).group(1))

    typ, data = a.fetch("1", "(FLAGS)")
    assert typ == "OK", data
    got = responses(data)  # 3: B's STORE, unsolicited
    assert set(got) == {1, 3} and b"\\Flagged" in got[3], got
    assert a.response("VANISHED")[1] == [None]
    assert a.response("EXPUNGE")[1] == [None]
    typ, data = a.noop()
    assert a.response("VANISHED")[1] == [b"2"]
    assert a.response("EXPUNGE")[1] == [None]
    a.logout()

    # A CONDSTORE-enabling FETCH announces HIGHESTMODSEQ: below the held expunge's.
    c = connect(imap)
    c.select("INBOX")
    assert b.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert b.expunge()[0] == "OK"
    typ, data = c.fetch("2", "(FLAGS) (CHANGEDSINCE 1)")
    assert typ == "OK", data
    assert c.response("EXPUNGE")[1] == [None]
    announced = int(c.response("HIGHESTMODSEQ")[1][0])
    assert announced <= current
    assert c.noop()[0] == "OK" and c.response("EXPUNGE")[1] == [b"1"]
    c.logout()
    b.logout()


def append_many(client, count):
    """Pipelined APPENDs with non-synchronising literals, 250 at a time."""
    sent = 0
    while sent < count:
        batch = range(sent, min(count, sent + 250))
        parts = []
        for i in batch:
            msg = message(subject=f"Bulk {i}", body=f"Message number {i}.\r\n")
            parts.append(b"B%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(msg), msg))
        client.send(b"".join(parts))
        done = 0
        while done < len(batch):
            line = client.readline()
            if line.startswith(b"B"):
                assert b" OK " in line, line
                done += 1
        sent += len(batch)


def test_fetch_all_of_thousands_of_messages(imap):
    c = connect(imap)
    count = 2500
    append_many(c, count)
    typ, data = c.select("INBOX")
    assert typ == "OK" and int(data[0]) == count
    start = time.monotonic()
    got = fetch(c, "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)")
    assert len(got) == count
    got = fetch(c, "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])")
    assert len(got) == count
    assert literal(got[count], b"BODY[TEXT]") == b"Message number %d.\r\n" % (count - 1)
    # Non-PEEK over everything sets \Seen in one go.
    got = fetch(c, "1:*", "(BODY[TEXT])")
    assert all(b"\\Seen" in r for r in got.values())
    assert time.monotonic() - start < 60
    c.logout()


def test_hostile_fetch_and_store(imap):
    c = selected(imap, SIMPLE, MIXED)
    # Message numbers beyond EXISTS are a client error; UIDs beyond the last are not.
    for bad in ("1:4294967295", "3", "0", "2,9"):
        with pytest.raises(imaplib.IMAP4.error):
            c.fetch(bad, "(FLAGS)")
    got = fetch(c, "1:4294967295", "(FLAGS)", uid=True)
    assert set(got) == {1, 2}
    got = fetch(c, "4294967295", "(FLAGS)", uid=True)
    assert got == {}
    c.logout()
    # Sections that do not parse are BAD (a fresh session: ten BADs end one).
    c = selected(imap)
    for items in ("(BODY[FOO])", "(BODY[1.MIMEX])", "(BODY[HEADER.FIELDS])", "(BINARY[HEADER])",
                  "(BODY[]<1.0>)", "(BODY[MIME])", "(BODY[1.2.3.4.5.6.7.8.9.10.)", "(NOSUCH)",
                  "(BODY.PEEK[HEADER.FIELDS (a b)]<x>)"):
        with pytest.raises(imaplib.IMAP4.error):
            c.fetch("1", items)
    c.logout()
    c = selected(imap)
    with pytest.raises(imaplib.IMAP4.error):
        c.store("1", "+FLAGS", "(\\Bogus)")
    with pytest.raises(imaplib.IMAP4.error):
        c.store("9", "+FLAGS", "(\\Seen)")
    # Deep part numbers that do not exist are NIL; huge partials are cut.
    r = fetch(c, "2", "(BODY.PEEK[3.1.1.1.1.1.1] BINARY.PEEK[9.9]<0.4294967295> "
                      "BODY.PEEK[]<4294967295.1>)")[2]
    assert b"BODY[3.1.1.1.1.1.1] NIL" in r and b"BINARY[9.9]<0> NIL" in r
    # The session and the server are fine.
    assert c.noop()[0] == "OK"
    assert fetch(c, "1", "(UID)")[1]
    c.logout()
