"""NOTIFY (RFC 5465) with two sessions against the real daemon: session A sets NOTIFY and, without
IDLE or any command, receives EXISTS/FETCH/EXPUNGE for its selected mailbox, STATUS for its other
mailboxes and LIST for mailbox names, caused by session B and by SMTP delivery; NOTIFY NONE, SET STATUS,
BADEVENT, the MessageNew/MessageExpunge pairing rule, and a mailbox another user shares through ACL."""
import socket
import time

import pytest

from imapflow import PASSWORD, connect, make_imap_server, message, send_smtp, tls_context


@pytest.fixture
def imap(make_server):
    return make_imap_server(make_server)


class Raw:
    """A plain IMAP session over implicit TLS that can wait for unsolicited lines."""

    def __init__(self, server, user="alice"):
        self.sock = tls_context().wrap_socket(
            socket.create_connection(("127.0.0.1", server.ports["imaps"]), timeout=10),
            server_hostname="mx.example.test")
        self.buffer = b""
        self.n = 0
        assert self.readline().startswith(b"* OK")
        assert self.command(f"LOGIN {user}@example.test {PASSWORD}")[-1].startswith(b"t1 OK")

    def readline(self, deadline=None):
        """One line, or None when `deadline` (time.monotonic()) passes first."""
        while b"\r\n" not in self.buffer:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            finally:
                self.sock.settimeout(10)
            assert chunk, "connection closed"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"

    def send(self, data):
        self.sock.sendall(data)

    def command(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        self.send(tag + b" " + text.encode() + b"\r\n")
        lines = []
        while True:
            line = self.readline()
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def wait(self, predicate, timeout=5.0):
        """Reads unsolicited lines until predicate(line); returns (lines, seconds waited or None)."""
        start = time.monotonic()
        lines = []
        while True:
            line = self.readline(deadline=start + timeout)
            if line is None:
                return lines, None
            lines.append(line)
            if predicate(line):
                return lines, time.monotonic() - start

    def quiet_for(self, seconds):
        """The lines that arrive within `seconds` (none expected)."""
        lines, _ = self.wait(lambda line: False, timeout=seconds)
        return lines

    def close(self):
        try:
            self.command("LOGOUT")
        finally:
            self.sock.close()


def test_notify_pushes_selected_and_personal_events_without_idle(imap):
    b = connect(imap)
    assert b.create("Work")[0] == "OK"
    a = Raw(imap)
    caps = a.command("CAPABILITY")[0]
    assert b" NOTIFY" in caps
    assert a.command("SELECT INBOX")[-1].startswith(b"t3 OK")
    r = a.command("NOTIFY SET (SELECTED (MessageNew (UID) MessageExpunge FlagChange)) "
                  "(PERSONAL (MessageNew MessageExpunge MailboxName))")
    assert r[-1].startswith(b"t4 OK"), r

    # B appends to A's selected INBOX: EXISTS and the asked-for FETCH, no command from A.
    start = time.monotonic()
    b.append("INBOX", None, None, message("first"))
    lines, waited = a.wait(lambda line: b"FETCH" in line)
    assert b"* 1 EXISTS\r\n" in lines and b"* 1 FETCH (UID 1)\r\n" in lines, lines
    assert waited is not None, lines
    # From the start of B's APPEND until A has the FETCH (bounded generously for loaded machines).
    latency = time.monotonic() - start
    assert latency < 5, latency
    print(f"\nNOTIFY MessageNew: {latency * 1000:.1f} ms after the start of another session's APPEND")

    # SMTP delivery, through queue and processing, the same way.
    start = time.monotonic()
    send_smtp(imap, subject="by smtp")
    lines, waited = a.wait(lambda line: b"FETCH (UID 2)" in line, timeout=15)
    assert b"* 2 EXISTS\r\n" in lines, lines
    print(f"NOTIFY MessageNew: {(time.monotonic() - start) * 1000:.1f} ms after the start of an SMTP delivery")

    # A new message in another personal mailbox: STATUS.
    b.append("Work", None, None, message("work"))
    lines, _ = a.wait(lambda line: line.startswith(b"* STATUS"))
    assert lines and lines[-1].startswith(b'* STATUS "Work" (MESSAGES 1 UIDNEXT 2 UNSEEN 1'), lines

    # B flags and then expunges message 1: FETCH FLAGS, then EXPUNGE.
    b.select("INBOX")
    assert b.store("1", "+FLAGS", "(\\Flagged)")[0] == "OK"
    lines, _ = a.wait(lambda line: b"\\Flagged" in line)
    assert any(line.startswith(b"* 1 FETCH (") and b"FLAGS (\\Flagged" in line for line in lines), lines
    assert b.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
    a.wait(lambda line: b"\\Deleted" in line)
    assert b.expunge()[0] == "OK"
    lines, _ = a.wait(lambda line: b"EXPUNGE" in line)
    assert lines[-1] == b"* 1 EXPUNGE\r\n", lines

    # Mailbox names: LIST for create, rename (OLDNAME) and delete.
    assert b.create("New")[0] == "OK"
    lines, _ = a.wait(lambda line: line.startswith(b"* LIST"))
    assert lines[-1] == b'* LIST () "/" "New"\r\n', lines
    assert b.rename("New", "Newer")[0] == "OK"
    lines, _ = a.wait(lambda line: line.startswith(b"* LIST"))
    assert lines[-1] == b'* LIST () "/" "Newer" (OLDNAME ("New"))\r\n', lines
    assert b.delete("Newer")[0] == "OK"
    lines, _ = a.wait(lambda line: line.startswith(b"* LIST"))
    assert lines[-1] == b'* LIST (\\NonExistent) "/" "Newer"\r\n', lines

    # The session still answers commands normally in between.
    r = a.command("NOOP")
    assert r[-1].startswith(b"t5 OK"), r

    # NOTIFY NONE: nothing unsolicited any more; the next NOOP reports the new message.
    assert a.command("NOTIFY NONE")[-1].startswith(b"t6 OK")
    b.append("INBOX", None, None, message("after none"))
    assert a.quiet_for(1.0) == []
    r = a.command("NOOP")
    assert b"* 2 EXISTS\r\n" in r, r
    a.close()
    b.logout()


def test_notify_set_status_errors_and_delayed_expunges(imap):
    b = connect(imap)
    assert b.create("Work")[0] == "OK"
    b.append("Work", None, None, message("one"))
    a = Raw(imap)
    a.command("SELECT INBOX")
    # SET STATUS: the current STATUS of each watched mailbox first, HIGHESTMODSEQ with FlagChange.
    r = a.command("NOTIFY SET STATUS (MAILBOXES Work (MessageNew MessageExpunge FlagChange))")
    assert r[-1].startswith(b"t3 OK"), r
    assert any(line.startswith(b'* STATUS "Work" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ') and
               b"HIGHESTMODSEQ" in line for line in r), r
    # Unsupported events: NO [BADEVENT (the supported ones)], the settings stay.
    r = a.command("NOTIFY SET (PERSONAL (MessageNew MessageExpunge AnnotationChange))")
    assert r[-1].startswith(b"t4 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName "
                            b"SubscriptionChange)]"), r
    # MessageNew without MessageExpunge, or FlagChange alone, is BAD (RFC 5465 §5).
    assert a.command("NOTIFY SET (SELECTED (MessageNew))")[-1].startswith(b"t5 BAD")
    assert a.command("NOTIFY SET (PERSONAL (FlagChange))")[-1].startswith(b"t6 BAD")
    assert a.command("NOTIFY SET (SELECTED NONE) (SELECTED-DELAYED NONE)")[-1].startswith(b"t7 BAD")
    # Still the first settings: a flag change in Work is a STATUS with UNSEEN.
    b.select("Work")
    assert b.store("1", "+FLAGS", "(\\Seen)")[0] == "OK"
    lines, _ = a.wait(lambda line: line.startswith(b"* STATUS"))
    assert lines and lines[-1].startswith(b'* STATUS "Work" (UNSEEN 0'), lines

    # SELECTED-DELAYED: new messages at once, expunges only when a command may send them.
    b.append("INBOX", None, None, message("x"))
    r = a.command("NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge))")
    assert b"* 1 EXISTS\r\n" in r, r
    b.append("INBOX", None, None, message("y"))
    lines, _ = a.wait(lambda line: b"EXISTS" in line)
    assert lines[-1] == b"* 2 EXISTS\r\n", lines
    b.select("INBOX")
    b.store("1", "+FLAGS", "(\\Deleted)")
    b.expunge()
    held = a.quiet_for(1.0)
    assert not any(b"EXPUNGE" in line for line in held), held
    r = a.command("NOOP")
    assert b"* 1 EXPUNGE\r\n" in r, r
    a.close()
    b.logout()


def test_notify_for_a_mailbox_shared_by_another_user(imap):
    bob = connect(imap, user="bob")
    assert bob.create("Shared")[0] == "OK"
    assert bob.setacl("Shared", "alice@example.test", "lr")[0] == "OK"
    a = Raw(imap)
    r = a.command('NOTIFY SET (MAILBOXES "Other Users/bob@example.test/Shared" (MessageNew MessageExpunge))')
    assert r[-1].startswith(b"t2 OK"), r
    bob.append("Shared", None, None, message("shared"))
    lines, waited = a.wait(lambda line: line.startswith(b"* STATUS"))
    assert lines and lines[-1].startswith(b'* STATUS "Other Users/bob@example.test/Shared" (MESSAGES 1 '), lines
    # Bob's other mailboxes stay private.
    bob.append("INBOX", None, None, message("private"))
    assert a.quiet_for(1.0) == []
    # IDLE with NOTIFY on: the selected mailbox's changes still arrive, and so do the others'.
    a.command("SELECT INBOX")
    a.send(b"i1 IDLE\r\n")
    assert a.readline().startswith(b"+")
    alice = connect(imap)
    alice.append("INBOX", None, None, message("mine"))
    lines, _ = a.wait(lambda line: b"EXISTS" in line)
    assert lines[-1] == b"* 1 EXISTS\r\n", lines
    bob.append("Shared", None, None, message("shared 2"))
    lines, _ = a.wait(lambda line: line.startswith(b"* STATUS"))
    assert b"(MESSAGES 2 " in lines[-1], lines
    a.send(b"DONE\r\n")
    lines, _ = a.wait(lambda line: line.startswith(b"i1 "))
    assert lines[-1].startswith(b"i1 OK"), lines
    a.close()
    alice.logout()
    bob.logout()
