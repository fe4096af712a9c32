"""IMAP with Python's imaplib against the real daemon: greeting and capabilities, TLS and login rules,
AUTHENTICATE with SASL-IR, mailbox management (CREATE/RENAME/DELETE with INBOX rules, SUBSCRIBE,
LIST and its extensions, STATUS), APPEND/MULTIAPPEND with UIDPLUS, SELECT/EXAMINE, COPY/MOVE,
IDLE woken by a real SMTP delivery and by another session, UTF-8 names, hostile input."""
import base64
import zlib
import imaplib
import re
import socket
import threading
import time

import pytest

from harness import wait_for
from imapflow import PASSWORD, connect, make_imap_server, message, send_smtp, tls_context


@pytest.fixture
def imap(make_server):
    return make_imap_server(make_server)


def caps(client):
    typ, data = client.capability()
    assert typ == "OK"
    return set(data[0].decode().upper().split())


def test_greeting_capabilities_and_login_rules(imap):
    plain = connect(imap, tls="none", login=False)
    c = caps(plain)
    assert {"IMAP4REV1", "IMAP4REV2", "STARTTLS", "LOGINDISABLED", "IDLE", "UIDPLUS", "MOVE"} <= c or \
        {"IMAP4REV1", "IMAP4REV2", "STARTTLS", "LOGINDISABLED", "IDLE", "UIDPLUS"} <= c
    assert not any(x.startswith("AUTH=") for x in c)  # nothing in clear text
    # LOGIN before TLS is refused with PRIVACYREQUIRED, whatever the password.
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        plain.login("alice@example.test", PASSWORD)
    plain.starttls(ssl_context=tls_context())
    c = caps(plain)
    assert "STARTTLS" not in c and "LOGINDISABLED" not in c and "AUTH=PLAIN" in c
    typ, _ = plain.login("alice@example.test", PASSWORD)
    assert typ == "OK"
    plain.logout()
    # Implicit TLS works the same.
    s = connect(imap, tls="implicit")
    assert s.select("INBOX")[0] == "OK"
    s.logout()


def test_wrong_password_and_unknown_user_get_the_same_answer(imap):
    answers = []
    for user, password in (("alice@example.test", "wrong"), ("nobody@example.test", PASSWORD)):
        c = connect(imap, login=False)
        with pytest.raises(imaplib.IMAP4.error) as e:
            c.login(user, password)
        answers.append(str(e.value))
        c.logout()
    assert answers[0] == answers[1] and "AUTHENTICATIONFAILED" in answers[0]


def test_too_many_failed_logins_close_the_session(imap):
    c = connect(imap, login=False)
    for _ in range(3):  # max_auth_failures defaults to 3
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            c.login("alice@example.test", "wrong")
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        c.noop()
    wait_for(lambda: imap.log_text().count("login failed") == 3, what="three failures logged")


def test_authenticate_plain_with_initial_response(imap):
    c = connect(imap, login=False)
    token = base64.b64encode(b"\0alice@example.test\0" + PASSWORD.encode()).decode()
    typ, data = c._simple_command("AUTHENTICATE", "PLAIN", token)
    assert typ == "OK", data
    c.state = "AUTH"
    assert c.select("INBOX")[0] == "OK"
    c.logout()
    # And the classic way, with a continuation.
    c = connect(imap, login=False)
    typ, _ = c.authenticate("PLAIN", lambda _: b"\0bob@example.test\0" + PASSWORD.encode())
    assert typ == "OK"
    c.logout()


def test_commands_in_the_wrong_state_are_bad(imap):
    s = socket.create_connection(("127.0.0.1", imap.ports["imaps"]), timeout=10)
    s = tls_context().wrap_socket(s, server_hostname="mx.example.test")
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK [CAPABILITY ")
    s.sendall(b"a1 SELECT INBOX\r\n")
    assert f.readline() == b"a1 BAD Log in first\r\n"
    s.sendall(f"a2 LOGIN alice@example.test {PASSWORD}\r\n".encode())
    assert f.readline().startswith(b"a2 OK [CAPABILITY ")
    s.sendall(b"a3 EXPUNGE\r\na4 LOGIN alice@example.test x\r\n")
    assert f.readline() == b"a3 BAD Select a mailbox first\r\n"
    assert f.readline().startswith(b"a4 BAD ")
    s.sendall(b"a5 LOGOUT\r\n")
    assert f.readline().startswith(b"* BYE")
    assert f.readline() == b"a5 OK LOGOUT completed\r\n"
    s.close()


def test_mailbox_management(imap):
    c = connect(imap)
    assert c.create("Work/Projects")[0] == "OK"  # the parent comes too
    assert c.create("Archive/")[0] == "OK"  # trailing delimiter: "Archive"
    typ, data = c.list()
    names = {re.search(rb'"/" (.*)$', line).group(1).strip(b'"').decode() for line in data}
    assert {"INBOX", "Work", "Work/Projects", "Archive"} <= names
    typ, data = c.list('""', "%")
    top = {re.search(rb'"/" (.*)$', line).group(1).strip(b'"').decode() for line in data}
    assert "Work/Projects" not in top and "Work" in top
    work = [line for line in c.list('""', "Work")[1]][0]
    assert b"\\HasChildren" in work
    # CREATE of an existing name; INBOX is special.
    typ, data = c.create("Work")
    assert typ == "NO" and b"ALREADYEXISTS" in data[0]
    assert c.create("INBOX")[0] == "NO"
    assert c.delete("INBOX")[0] == "NO"
    # RENAME moves the subtree.
    assert c.rename("Work", "Jobs")[0] == "OK"
    names = {line.decode() for line in c.list('""', "*")[1]}
    assert any('"Jobs/Projects"' in n for n in names) and not any('"Work' in n for n in names)
    # DELETE of a mailbox with children is refused, of a leaf accepted.
    typ, data = c.delete("Jobs")
    assert typ == "NO" and b"HASCHILDREN" in data[0]
    assert c.delete("Jobs/Projects")[0] == "OK"
    assert c.delete("Jobs")[0] == "OK"
    typ, data = c.delete("Jobs")
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    # SUBSCRIBE / LSUB / LIST (SUBSCRIBED).
    assert c.subscribe("Archive")[0] == "OK"
    typ, data = c.lsub()
    assert any(b"Archive" in line for line in data)
    typ, data = c._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"')
    typ, data = c._untagged_response(typ, data, "LIST")
    assert [line for line in data if b"Archive" in line and b"\\Subscribed" in line]
    assert c.unsubscribe("Archive")[0] == "OK"
    assert not any(b"Archive" in (line or b"") for line in c.lsub()[1])
    # LIST "" "" gives the delimiter.
    typ, data = c.list('""', '""')
    assert data[0] == b'(\\Noselect) "/" ""'
    c.logout()


def test_special_use_and_list_status(imap):
    c = connect(imap)
    typ, data = c._simple_command("CREATE", "Sent", "(USE (\\Sent))")
    assert typ == "OK", data
    typ, data = c._simple_command("CREATE", "Bad", "(USE (\\Bogus))")
    assert typ == "NO" and b"USEATTR" in data[0]
    typ, data = c._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    _, data = c._untagged_response(typ, data, "LIST")
    assert len(data) == 1 and b"\\Sent" in data[0]
    c.append("INBOX", None, None, message("one"))
    typ, data = c._simple_command("LIST", '""', '"INBOX"', "RETURN", "(STATUS (MESSAGES UIDNEXT SIZE))")
    _, status = c._untagged_response(typ, data, "STATUS")
    assert re.search(rb"MESSAGES 1 UIDNEXT 2 SIZE \d+", status[0]), status
    c.logout()


def test_append_status_select_and_uidplus(imap):
    c = connect(imap)
    typ, data = c.append("INBOX", "(\\Seen $Important)", imaplib.Time2Internaldate(time.time()), message("a"))
    assert typ == "OK" and re.match(rb"\[APPENDUID \d+ 1\]", data[0]), data
    c.append("INBOX", None, None, message("b"))
    typ, data = c.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ DELETED SIZE)")
    text = data[0].decode()
    assert "MESSAGES 2" in text and "UNSEEN 1" in text and "UIDNEXT 3" in text and "DELETED 0" in text
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"2"]
    flags = c.response("FLAGS")[1][0]
    assert b"$Important" in flags and b"\\Seen" in flags
    assert c.response("UIDVALIDITY")[1][0].isdigit()
    typ, data = c.select("INBOX", readonly=True)  # EXAMINE
    assert typ == "OK"
    assert c.response("READ-ONLY")[0] == "READ-ONLY"
    # APPEND to a missing mailbox asks the client to create it.
    typ, data = c.append("Nowhere", None, None, message("c"))
    assert typ == "NO" and b"TRYCREATE" in data[0]
    c.logout()


def test_multiappend_is_one_command(imap):
    c = connect(imap)
    m1, m2 = message("first"), message("second")
    tag = c._new_tag().decode()
    cmd = f"{tag} APPEND INBOX (\\Flagged) {{{len(m1)}+}}\r\n".encode() + m1 + \
        f" {{{len(m2)}+}}\r\n".encode() + m2 + b"\r\n"
    c.send(cmd)
    line = c.readline()
    assert line.startswith(f"{tag} OK [APPENDUID ".encode()) and b" 1:2]" in line, line
    assert c.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")
    c.logout()


def test_copy_and_move_with_copyuid(imap):
    c = connect(imap)
    for i in range(3):
        c.append("INBOX", None, None, message(f"m{i}"))
    c.create("Keep")
    c.select("INBOX")
    typ, data = c.copy("1:2", "Keep")
    assert typ == "OK" and re.search(rb"COPYUID \d+ 1:2 1:2", data[0]), data
    typ, data = c._simple_command("UID", "MOVE", "3", "Keep")
    assert typ == "OK"
    assert c.response("COPYUID")[1][0] and c.response("EXPUNGE")[1] == [b"3"]
    assert c.status("Keep", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 3)")
    typ, data = c.copy("1", "Missing")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    c.logout()


def idle_until(client, predicate, timeout=5.0):
    """Sends IDLE, reads untagged lines until predicate(line) or timeout, then DONE."""
    tag = client._new_tag()
    client.send(tag + b" IDLE\r\n")
    assert client.readline().startswith(b"+")
    client.sock.settimeout(timeout)
    seen = []
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout:
            line = client.readline()
            seen.append(line)
            if predicate(line):
                break
    except socket.timeout:
        pass
    finally:
        client.sock.settimeout(10)
    waited = time.monotonic() - start
    client.send(b"DONE\r\n")
    while True:
        line = client.readline()
        if line.startswith(tag):
            assert b"OK" in line
            break
        seen.append(line)
    return seen, waited


def test_idle_wakes_on_a_smtp_delivery_within_a_second(imap):
    c = connect(imap)
    c.select("INBOX")
    threading.Timer(0.5, send_smtp, args=(imap,)).start()
    seen, waited = idle_until(c, lambda line: line.endswith(b"EXISTS\r\n"), timeout=10)
    assert any(line == b"* 1 EXISTS\r\n" for line in seen), seen
    # Delivery through the queue, processing and the store, then the push: well under a second
    # of our own latency after the 0.5 s start delay (bounded generously for loaded machines).
    assert waited < 5, waited
    c.logout()


def test_idle_sees_another_sessions_append_and_expunge(imap):
    a, b = connect(imap), connect(imap)
    a.append("INBOX", None, None, message("x"))
    a.select("INBOX")
    b.select("INBOX")
    threading.Timer(0.3, b.append, args=("INBOX", None, None, message("y"))).start()
    seen, _ = idle_until(a, lambda line: line.endswith(b"EXISTS\r\n"))
    assert b"* 2 EXISTS\r\n" in seen
    # b moves message 1 away: a sees the EXPUNGE on its next NOOP, not before.
    assert b.create("Other")[0] == "OK"
    typ, data = b._simple_command("UID", "MOVE", "1", "Other")
    assert typ == "OK", data
    typ, data = a.noop()
    assert a.response("EXPUNGE")[1] == [b"1"]
    assert a.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 1)")
    a.logout()
    b.logout()


def test_utf8_mailbox_names_both_ways(imap):
    c = connect(imap)
    # Modified UTF-7 from a classic client.
    assert c.create("&AOk-t&AOk-")[0] == "OK"  # "été"
    names = b" ".join(c.list('""', "*")[1])
    assert b"&AOk-t&AOk-" in names
    # With UTF8=ACCEPT (RFC 6855) the same mailbox is listed in UTF-8.
    typ, _ = c._simple_command("ENABLE", "UTF8=ACCEPT")
    assert typ == "OK"
    typ, data = c._simple_command("LIST", '""', '"*"')
    _, data = c._untagged_response(typ, data, "LIST")
    assert any("été".encode() in line for line in data), data
    # Invalid modified UTF-7 is refused before UTF8=ACCEPT.
    d = connect(imap)
    typ, data = d._simple_command("CREATE", "&Jjo")
    assert typ == "NO" and data[0] == b"[CANNOT] Mailbox name is not valid modified UTF-7"
    c.logout()
    d.logout()


def test_namespace_id_enable_and_quota(imap):
    c = connect(imap)
    typ, data = c.namespace()
    assert typ == "OK" and data[0] == b'(("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))'
    typ, data = c._simple_command("ID", '("name" "pytest")')
    _, data = c._untagged_response(typ, data, "ID")
    assert b'"name" "Postern"' in data[0]
    typ, data = c._simple_command("ENABLE", "IMAP4rev2", "UNKNOWN")
    _, data = c._untagged_response(typ, data, "ENABLED")
    assert data == [b"IMAP4rev2"]
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK"
    c.logout()


def test_hostile_input_keeps_the_server_alive(imap):
    s = socket.create_connection(("127.0.0.1", imap.ports["imap"]), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK")
    # A line far over the limit: BAD, then the session goes on.
    s.sendall(b"a1 NOOP " + b"x" * 200_000 + b"\r\na2 NOOP\r\n")
    line = f.readline()
    assert b"BAD" in line
    assert f.readline().startswith(b"a2 OK")
    # A synchronizing literal over the limit is refused without a continuation.
    s.sendall(b"a3 LOGIN {99999999999}\r\n")
    assert f.readline() == b"a3 BAD [TOOBIG] Literal too large\r\n"
    s.close()
    # Garbage, NUL bytes, unbalanced parentheses, unknown commands: BAD each.
    s = socket.create_connection(("127.0.0.1", imap.ports["imap"]), timeout=10)
    f = s.makefile("rb")
    f.readline()
    for junk in (b"\x00\x01\x02 NOOP\r\n", b"a4 FOO\r\n", b"a5 LIST (((\r\n"):
        s.sendall(junk)
        assert b"BAD" in f.readline()
    s.sendall(b"\r\n\r\na6 CAPABILITY\r\n")  # empty lines are skipped
    assert f.readline().startswith(b"* CAPABILITY")
    s.close()
    # The daemon still serves new clients.
    c = connect(imap)
    assert c.noop()[0] == "OK"
    c.logout()


def test_too_many_bad_commands_close_the_session(imap):
    s = socket.create_connection(("127.0.0.1", imap.ports["imap"]), timeout=10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"".join(b"x%d BOGUS\r\n" % i for i in range(20)))
    lines = f.read()  # the server closes after its limit
    assert b"* BYE" in lines
    s.close()


class Deflated:
    """Both directions of an IMAP connection through raw deflate (RFC 4978)."""

    def __init__(self, sock):
        self.sock = sock
        self.out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inflate = zlib.decompressobj(-15)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(self.out.compress(data) + self.out.flush(zlib.Z_SYNC_FLUSH))

    def line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += self.inflate.decompress(chunk)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"

    def until_tagged(self, tag):
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].startswith(tag + b" "):
                return lines


def test_compress_deflate(imap):
    s = tls_context().wrap_socket(socket.create_connection(("127.0.0.1", imap.ports["imaps"]), timeout=10),
                                  server_hostname="mx.example.test")
    f = s.makefile("rb")
    greeting = f.readline()
    assert b"COMPRESS=DEFLATE" in greeting
    s.sendall(f"a1 LOGIN alice@example.test {PASSWORD}\r\n".encode())
    assert f.readline().startswith(b"a1 OK")
    s.sendall(b"a2 COMPRESS DEFLATE\r\n")
    assert f.readline() == b"a2 OK DEFLATE active\r\n"
    z = Deflated(s)
    z.send(b"a3 NOOP\r\n")
    assert z.line() == b"a3 OK NOOP completed\r\n"
    body = message("Compressed", body="Through deflate. " * 2000 + "\r\n")
    z.send(b"a4 APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
    assert z.until_tagged(b"a4")[-1].startswith(b"a4 OK [APPENDUID")
    z.send(b"a5 CAPABILITY\r\na6 COMPRESS DEFLATE\r\n")
    caps = z.until_tagged(b"a5")
    assert b"COMPRESS=DEFLATE" not in caps[0]
    assert b"COMPRESSIONACTIVE" in z.line()
    z.send(b"a7 STATUS INBOX (MESSAGES)\r\n")
    assert b"(MESSAGES 1)" in z.until_tagged(b"a7")[0]
    # A "zip bomb": 20 MB of one byte without a line end shrinks to ~20 KB. The server inflates it
    # a bounded piece at a time, refuses the over-long line and goes on.
    z.send(b"a8 NOOP " + b"A" * 20_000_000 + b"\r\na9 NOOP\r\n")
    assert z.line() == b"a8 BAD Command line too long\r\n"
    assert z.line() == b"a9 OK NOOP completed\r\n"
    # Data that is not deflate ends the session.
    s.sendall(b"\xff\xff\xff\xff garbage")
    with pytest.raises((EOFError, ConnectionError, zlib.error)):
        z.line()
    s.close()


def test_metadata_server_and_mailbox_annotations(imap):
    c = connect(imap)
    assert "METADATA" in caps(c)
    typ, data = c._simple_command("SETMETADATA", "INBOX", '(/private/comment "My comment" /shared/comment "Sunny")')
    assert typ == "OK", data
    typ, data = c._simple_command("GETMETADATA", "INBOX", "(/private/comment /shared/comment /private/missing)")
    _, data = c._untagged_response(typ, data, "METADATA")
    assert data[0] == b'"INBOX" (/private/comment "My comment" /shared/comment "Sunny" /private/missing NIL)', data
    # Server annotations, MAXSIZE and DEPTH.
    assert c._simple_command("SETMETADATA", '""', '(/private/vendor/test/a "1234567890" /private/vendor/test/a/b "x")')[0] == "OK"
    typ, data = c._simple_command("GETMETADATA", "(MAXSIZE 5 DEPTH infinity)", '""', "(/private/vendor/test)")
    assert typ == "OK" and b"[METADATA LONGENTRIES 10]" in data[-1], data
    _, meta = c._untagged_response(typ, data, "METADATA")
    assert meta[0] == b'"" (/private/vendor/test/a/b "x")', meta
    # NIL removes; values survive reconnecting; bad names and sizes are refused.
    assert c._simple_command("SETMETADATA", "INBOX", "(/shared/comment NIL)")[0] == "OK"
    c.logout()
    c = connect(imap)
    typ, data = c._simple_command("GETMETADATA", "INBOX", "(/private/comment /shared/comment)")
    _, data = c._untagged_response(typ, data, "METADATA")
    assert data[0] == b'"INBOX" (/private/comment "My comment" /shared/comment NIL)', data
    with pytest.raises(imaplib.IMAP4.error, match="Invalid entry name"):
        c._simple_command("SETMETADATA", "INBOX", '(/comment "x")')
    big = "x" * 20_000  # over the 16 KiB a value may have, under the 64 KiB literal limit
    typ, data = c._simple_command("SETMETADATA", "INBOX", f"(/private/big {{{len(big)}+}}\r\n{big})")
    assert typ == "NO" and b"METADATA MAXSIZE" in data[0], data
    typ, data = c._simple_command("GETMETADATA", "Nowhere", "(/private/comment)")
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    c.logout()


def test_a_keyword_new_to_the_mailbox_is_announced_before_it_is_shown(imap):
    a, b = connect(imap), connect(imap)
    a.append("INBOX", None, None, message("kw"))
    a.select("INBOX")
    b.select("INBOX")
    typ, _ = b.store("1", "+FLAGS", "($Brand_New)")
    assert typ == "OK"
    tag = a._new_tag()
    a.send(tag + b" NOOP\r\n")
    lines = []
    while True:
        line = a.readline()
        lines.append(line)
        if line.startswith(tag):
            break
    flags = [i for i, l in enumerate(lines) if l.startswith(b"* FLAGS") and b"$Brand_New" in l]
    fetch = [i for i, l in enumerate(lines) if b"FETCH" in l and b"$Brand_New" in l]
    assert flags and fetch and flags[0] < fetch[0], lines
    assert any(l.startswith(b"* OK [PERMANENTFLAGS") and b"$Brand_New" in l for l in lines), lines
    a.logout()
    b.logout()
