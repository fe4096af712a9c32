"""POP3 (RFC 1939, RFC 2449, RFC 2595, RFC 5034) against the real daemon with Python's poplib: every
command, pipelining, STLS and implicit TLS, SASL PLAIN and SCRAM-SHA-256, APOP, zombie semantics
and RSET, user+Folder, IN-USE, \\Seen seen over IMAP, UIDL stability across a restart and a
storage repair, and hostile input (overlong lines, wrong states, huge numbers, a client that never
says QUIT)."""
import base64
import hashlib
import hmac
import os
import poplib
import socket
import time

import pytest

from harness import LineClient, client_tls_context, wait_for
from imapflow import connect as imap_connect, message, send_smtp
from mailflow import PASSWORD, wait_delivered
from pop3flow import connect, make_pop3_server


@pytest.fixture
def pop(make_server):
    return make_pop3_server(make_server)


def deliver(server, count, to="alice@example.test", first=0):
    # One at a time: PROCESSING delivers in parallel, and the tests expect message i at i + 1.
    for i in range(first, first + count):
        send_smtp(server, to=to, subject=f"Message {i}", body=f"Body of message {i}.\r\n.leading dot\r\n")
        wait_delivered(server, i + 1)


def imap_flags(server, user="alice", mailbox="INBOX"):
    client = imap_connect(server, user=user)
    client.select(mailbox)
    typ, data = client.fetch("1:*", "(UID FLAGS)")
    client.logout()
    return [d.decode() for d in data if d]


def imap_count(server, user="alice", mailbox="INBOX"):
    client = imap_connect(server, user=user)
    typ, data = client.select(mailbox)
    client.logout()
    return int(data[0])


def test_greeting_capa_and_basic_commands(pop):
    deliver(pop, 3)
    client = poplib.POP3("127.0.0.1", pop.ports["pop3"], timeout=10)
    assert client.getwelcome().startswith(b"+OK ")
    caps = client.capa()
    for cap in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "EXPIRE"):
        assert cap in caps, caps
    assert "USER" not in caps  # no plaintext USER/PASS before TLS
    assert "SASL" not in caps
    client.stls(context=client_tls_context(None))
    caps = client.capa()
    assert "USER" in caps and "STLS" not in caps
    assert caps["SASL"] == ["PLAIN", "LOGIN", "SCRAM-SHA-256"]
    client.user("alice@example.test")
    assert client.pass_(PASSWORD).startswith(b"+OK")
    count, size = client.stat()
    assert count == 3 and size > 0
    resp, listing, _ = client.list()
    sizes = [int(line.split()[1]) for line in listing]
    assert len(sizes) == 3 and sum(sizes) == size
    assert client.list(2).split()[1:] == [b"2", str(sizes[1]).encode()]
    resp, lines, octets = client.retr(1)
    assert resp.startswith(b"+OK")
    raw = b"\r\n".join(lines) + b"\r\n"
    assert len(raw) == sizes[0] == octets - 0 or len(raw) == sizes[0]
    assert b"Subject: Message 0" in raw and b".leading dot" in lines
    resp, top, _ = client.top(2, 0)
    assert any(l.startswith(b"Subject: Message 1") for l in top) and top[-1] == b""
    resp, top1, _ = client.top(2, 1)
    assert top1[-1] == b"Body of message 1."
    resp, uidls, _ = client.uidl()
    ids = [u.split()[1] for u in uidls]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
    assert client.uidl(3).split()[2] == ids[2]
    assert client.noop().startswith(b"+OK")
    assert "USER" not in client.capa()  # after login: no authentication capabilities
    assert client.quit().startswith(b"+OK")


def test_implicit_tls_and_user_pass_refused_in_clear(pop):
    client = connect(pop, tls="implicit")
    assert client.stat() == (0, 0)
    client.quit()
    plain = poplib.POP3("127.0.0.1", pop.ports["pop3"], timeout=10)
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        plain.user("alice@example.test")
    with pytest.raises(poplib.error_proto):
        plain._shortcmd("AUTH PLAIN " + base64.b64encode(f"\0alice@example.test\0{PASSWORD}".encode()).decode())
    plain.quit()


def test_wrong_password_and_auth_failures_close(pop):
    client = connect(pop, login=False)
    for attempt in range(2):
        client.user("alice@example.test")
        with pytest.raises(poplib.error_proto, match=r"\[AUTH\] Authentication failed"):
            client.pass_("wrong password")
    client.user("alice@example.test")
    with pytest.raises(poplib.error_proto, match=r"Too many failed logins|\[AUTH\]"):
        client.pass_("wrong again")
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        client.noop()


def test_dele_zombies_rset_and_quit_commits(pop):
    deliver(pop, 4)
    client = connect(pop)
    assert client.dele(2).startswith(b"+OK")
    with pytest.raises(poplib.error_proto, match="already deleted"):
        client.retr(2)
    with pytest.raises(poplib.error_proto, match="already deleted"):
        client.dele(2)
    with pytest.raises(poplib.error_proto, match="already deleted"):
        client.list(2)
    assert client.stat()[0] == 3
    resp, listing, _ = client.list()
    assert [l.split()[0] for l in listing] == [b"1", b"3", b"4"]  # numbers stay fixed
    resp, uidls, _ = client.uidl()
    assert [u.split()[0] for u in uidls] == [b"1", b"3", b"4"]
    client.rset()
    assert client.stat()[0] == 4
    client.dele(1)
    client.dele(4)
    assert imap_count(pop) == 4  # nothing is deleted before QUIT
    client.quit()
    assert imap_count(pop) == 2


def test_disconnect_without_quit_deletes_nothing(pop):
    deliver(pop, 2)
    client = connect(pop)
    client.dele(1)
    client.dele(2)
    client.sock.shutdown(socket.SHUT_RDWR)  # no QUIT
    time.sleep(0.5)
    assert imap_count(pop) == 2
    again = connect(pop)
    assert again.stat()[0] == 2
    again.quit()


def test_retr_marks_seen_visible_over_imap_and_top_does_not(pop):
    deliver(pop, 4)
    client = connect(pop)
    client.top(1, 5)
    client.retr(2)
    client.retr(3)
    client.dele(3)
    client.quit()
    flags = imap_flags(pop)
    assert len(flags) == 3
    assert "\\Seen" not in flags[0] and "\\Seen" in flags[1] and "\\Seen" not in flags[2], flags
    # Without QUIT nothing is deleted, but what was retrieved is seen.
    client = connect(pop)
    client.retr(3)
    client.dele(3)
    client.sock.shutdown(socket.SHUT_RDWR)
    wait_for(lambda: "\\Seen" in imap_flags(pop)[2], timeout=5, what="\\Seen after a disconnect")


def test_session_sees_snapshot(pop):
    deliver(pop, 2)
    client = connect(pop)
    deliver(pop, 1, first=2)
    assert client.stat()[0] == 2  # arrived after the maildrop was opened
    client.quit()
    client = connect(pop)
    assert client.stat()[0] == 3
    client.quit()


def test_imap_expunge_during_session(pop):
    deliver(pop, 2)
    client = connect(pop)
    imap = imap_connect(pop)
    imap.select("INBOX")
    imap.store("1", "+FLAGS", "\\Deleted")
    imap.expunge()
    imap.logout()
    with pytest.raises(poplib.error_proto, match="removed by another session"):
        client.retr(1)
    assert client.retr(2)[0].startswith(b"+OK")
    client.dele(1)
    assert client.quit().startswith(b"+OK")
    assert imap_count(pop) == 1


def test_second_session_gets_in_use(pop):
    deliver(pop, 1)
    first = connect(pop)
    second = connect(pop, login=False)
    second.user("alice@example.test")
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        second.pass_(PASSWORD)
    first.quit()
    second.user("alice@example.test")
    assert second.pass_(PASSWORD).startswith(b"+OK")
    second.quit()
    bob = connect(pop, user="bob")  # other accounts are not affected
    bob.quit()


def test_in_use_allow_shares_the_maildrop(make_server):
    server = make_pop3_server(make_server, pop3_extra='in_use = "allow"')
    deliver(server, 2)
    first = connect(server)
    second = connect(server)
    first.dele(1)
    second.dele(1)
    second.dele(2)
    assert first.quit().startswith(b"+OK")
    assert second.quit().startswith(b"+OK")
    assert imap_count(server) == 0


def test_user_plus_folder(pop):
    imap = imap_connect(pop)
    imap.create("Work")
    imap.create("Work/Sub")
    imap.append("Work", None, None, message(subject="In Work"))
    imap.append("Work/Sub", None, None, message(subject="In Sub one"))
    imap.append("Work/Sub", None, None, message(subject="In Sub two"))
    imap.logout()
    client = connect(pop, user="alice+Work@example.test")
    assert client.stat()[0] == 1
    assert b"Subject: In Work" in b"\r\n".join(client.retr(1)[1])
    client.quit()
    client = connect(pop, user="alice@example.test+Work/Sub")
    assert client.stat()[0] == 2
    client.dele(1)
    client.quit()
    assert imap_count(pop, mailbox="Work/Sub") == 1
    client = connect(pop, login=False)
    client.user("alice+Nope@example.test")
    with pytest.raises(poplib.error_proto, match=r"\[SYS/PERM\] No such folder"):
        client.pass_(PASSWORD)
    client.quit()


def test_uidl_stable_across_restart(pop):
    deliver(pop, 3)
    client = connect(pop)
    before = client.uidl()[1]
    client.dele(1)
    client.quit()
    pop.stop()
    pop.start()
    client = connect(pop)
    after = client.uidl()[1]
    client.quit()
    assert [u.split()[1] for u in before[1:]] == [u.split()[1] for u in after]


def test_uidl_stable_across_repair(pop):
    deliver(pop, 3)
    client = connect(pop)
    before = [u.split()[1] for u in client.uidl()[1]]
    client.quit()
    assert pop.stop() == 0
    repaired = pop.ctl("storage", "repair", "alice@example.test", json_output=True, offline=True)
    assert repaired["messages_recovered"] == 3
    pop.start()
    client = connect(pop)
    after = [u.split()[1] for u in client.uidl()[1]]
    client.quit()
    assert sorted(after) == sorted(before)


def test_pipelining(pop):
    deliver(pop, 3)
    c = LineClient(pop.ports["pop3s"], tls=True)
    assert c.line().startswith("+OK")
    c.send(f"USER alice@example.test\r\nPASS {PASSWORD}\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nUIDL 2\r\nLIST\r\nQUIT\r\n".encode())
    assert c.line().startswith("+OK")  # USER
    assert c.line().startswith("+OK")  # PASS
    assert c.line().startswith("+OK 3 ")
    assert c.line().startswith("+OK ")  # RETR
    while c.line() != ".":
        pass
    assert c.line().startswith("+OK")  # DELE
    assert c.line().startswith("+OK 2 ")  # UIDL 2
    assert c.line().startswith("+OK 2 messages")  # LIST
    assert c.line().startswith("2 ") and c.line().startswith("3 ") and c.line() == "."
    assert c.line().startswith("+OK")  # QUIT
    c.close()
    assert imap_count(pop) == 2


def test_sasl_plain_and_scram(make_server):
    server = make_pop3_server(make_server, extra={
        "auth_extra": 'mechanisms = ["PLAIN", "LOGIN", "SCRAM-SHA-256"]'})
    deliver(server, 1)
    c = LineClient(server.ports["pop3s"], tls=True)
    assert c.line().startswith("+OK")
    token = base64.b64encode(f"\0alice@example.test\0{PASSWORD}".encode()).decode()
    assert c.command("AUTH PLAIN " + token).startswith("+OK")
    assert c.command("STAT").startswith("+OK 1 ")
    assert c.command("QUIT").startswith("+OK")
    c.close()
    # PLAIN without an initial response: an empty challenge first.
    c = LineClient(server.ports["pop3s"], tls=True)
    c.line()
    assert c.command("AUTH PLAIN") == "+ "
    assert c.command(token).startswith("+OK")
    c.close()
    # Cancelled exchange.
    c = LineClient(server.ports["pop3s"], tls=True)
    c.line()
    assert c.command("AUTH PLAIN") == "+ "
    assert c.command("*").startswith("-ERR")
    # The bare AUTH lists mechanisms (RFC 1734).
    c.send(b"AUTH\r\n")
    assert c.line().startswith("+OK")
    mechanisms = []
    while (line := c.line()) != ".":
        mechanisms.append(line)
    assert "SCRAM-SHA-256" in mechanisms
    # SCRAM-SHA-256: the server's final message arrives as a last challenge (RFC 5034 §4).
    user, nonce = "alice@example.test", base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"
    reply = c.command("AUTH SCRAM-SHA-256 " + base64.b64encode(("n,," + first_bare).encode()).decode())
    assert reply.startswith("+ "), reply
    server_first = base64.b64decode(reply[2:]).decode()
    fields = dict(f.split("=", 1) for f in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    final_bare = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    proof = bytes(a ^ b for a, b in zip(client_key, hmac.new(stored, auth_message, "sha256").digest()))
    reply = c.command(base64.b64encode(f"{final_bare},p={base64.b64encode(proof).decode()}".encode()).decode())
    assert reply.startswith("+ "), reply
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    expected = base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest()).decode()
    assert base64.b64decode(reply[2:]).decode() == "v=" + expected
    assert c.command("").startswith("+OK")
    assert c.command("STAT").startswith("+OK 1 ")
    c.close()


def test_apop(make_server):
    server = make_pop3_server(make_server, pop3_extra="apop = true")
    deliver(server, 1)
    # Not allowed for the account: fails like a wrong digest.
    client = connect(server, tls="implicit", login=False)
    assert b"<" in client.getwelcome()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        client.apop("alice@example.test", PASSWORD)
    client.quit()
    server.ctl("account", "set", "alice@example.test", "apop=true")
    # The clear-text secret is kept from the next password login on.
    wait_for(lambda: try_apop_after_login(server), timeout=15, what="APOP to work after a password login")
    client = connect(server, tls="implicit", login=False)
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        client.apop("alice@example.test", "not the password")
    client.quit()
    # Without apop = true in the service, no timestamp and no APOP.
    plain = make_pop3_server(make_server)
    client = connect(plain, tls="implicit", login=False)
    assert b"<" not in client.getwelcome()
    with pytest.raises(poplib.error_proto):
        client.apop("alice@example.test", PASSWORD)
    client.quit()


def try_apop_after_login(server):
    connect(server, tls="implicit").quit()
    client = connect(server, tls="implicit", login=False)
    try:
        client.apop("alice@example.test", PASSWORD)
        assert client.stat()[0] == 1
        return True
    except poplib.error_proto:
        return False
    finally:
        client.quit()


def test_pop3_permission(pop):
    pop.ctl("account", "set", "bob@example.test", "services=smtp,imap")
    client = connect(pop, login=False)
    client.user("bob@example.test")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\] Authentication failed"):
        client.pass_(PASSWORD)
    client.quit()


def test_login_delay(make_server):
    server = make_pop3_server(make_server, pop3_extra="login_delay = 60")
    client = connect(server)
    assert client.capa()["LOGIN-DELAY"] == ["60"]
    client.quit()
    client = connect(server, login=False)
    client.user("alice@example.test")
    with pytest.raises(poplib.error_proto, match=r"\[LOGIN-DELAY\]"):
        client.pass_(PASSWORD)
    client.quit()


def test_expire_zero_deletes_retrieved(make_server):
    server = make_pop3_server(make_server, pop3_extra='expire = "0"')
    deliver(server, 2)
    client = connect(server)
    assert client.capa()["EXPIRE"] == ["0"]
    client.retr(1)
    client.quit()
    assert imap_count(server) == 1


def test_bad_input(pop):
    deliver(pop, 1)
    c = LineClient(pop.ports["pop3s"], tls=True)
    assert c.line().startswith("+OK")
    assert c.command("X" * 10000) == "-ERR Line too long"
    assert c.command("STAT").startswith("-ERR")  # wrong state
    assert c.command("RETR 1").startswith("-ERR")
    assert c.command("PASS x").startswith("-ERR")  # no USER first
    assert c.command(f"USER alice@example.test").startswith("+OK")
    assert c.command(f"PASS {PASSWORD}").startswith("+OK")
    assert c.command("USER alice@example.test").startswith("-ERR")  # wrong state
    assert c.command("RETR 99999999999999999999") == "-ERR No such message"
    assert c.command("RETR 4294967295") == "-ERR No such message"
    assert c.command("RETR 0") == "-ERR No such message"
    assert c.command("TOP 1 99999999999999999999999").startswith("+OK")
    while c.line() != ".":
        pass
    assert c.command("DELE 1").startswith("+OK")
    assert c.command("RETR 1").startswith("-ERR Message 1 already deleted")
    assert c.command("RETR -1").startswith("-ERR")
    assert c.command("FOO").startswith("-ERR")
    # Error control: max_bad_commands (10) bad commands, then the session is closed.
    for _ in range(8):
        c.send(b"FOO\r\n")
    lines = []
    try:
        while True:
            lines.append(c.line())
    except (ConnectionError, OSError):
        pass
    assert lines[-1] == "-ERR Too many bad commands, closing", lines
    # Nothing was deleted: no QUIT.
    assert imap_count(pop) == 1


def test_client_that_never_quits_is_timed_out(make_server):
    server = make_pop3_server(make_server, pop3_extra='idle_timeout = "1s"')
    deliver(server, 1)
    c = LineClient(server.ports["pop3s"], tls=True)
    c.line()
    c.command("USER alice@example.test")
    c.command(f"PASS {PASSWORD}")
    c.command("DELE 1")
    assert c.line().startswith("-ERR")  # autologout
    assert c.closed()
    assert imap_count(server) == 1
    again = connect(server)  # the lock was released
    again.quit()
