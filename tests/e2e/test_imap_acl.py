"""IMAP ACL (RFC 4314) and namespaces (RFC 2342) against the real daemon with imaplib: two users
sharing mailboxes, every right enforced, a mailbox without "l" indistinguishable from none,
public folders made by the postmaster, and RFC 2180 multi-access across users (flags, expunges,
IDLE woken by a delivery to the owner's shared INBOX)."""
import imaplib
import re
import threading

import pytest

from imapflow import PASSWORD, connect, make_imap_server, message, send_smtp
from test_imap import idle_until

imaplib.Commands.setdefault("LISTRIGHTS", ("AUTH", "SELECTED"))

ALICE_INBOX = '"Other Users/alice@example.test/INBOX"'


def shared(name):
    return f'"Other Users/alice@example.test/{name}"'


@pytest.fixture
def imap(make_server):
    server = make_imap_server(make_server)
    server.ctl("account", "add", "postmaster@example.test", "--password", PASSWORD)
    return server


def run(client, *args):
    """Sends a command; returns (status, the tagged text, untagged lines of the command's name)."""
    try:
        typ, data = client._simple_command(*args)
    except imaplib.IMAP4.error as e:  # imaplib raises for BAD
        return "BAD" if " BAD " in str(e) else "ERROR", str(e), []
    text = data[-1].decode() if data and isinstance(data[-1], bytes) else str(data)
    untagged = client._untagged_response(typ, data, args[0])[1]
    return typ, text, [d for d in untagged if d is not None]


def refused(answer, code):
    typ, data = answer
    assert typ == "NO" and f"[{code}]".encode() in data[0], answer


def names(client, pattern='"*"'):
    typ, data = client.list('""', pattern)
    assert typ == "OK"
    out = {}
    for line in data:
        if line is None:
            continue
        m = re.match(rb'\(([^)]*)\) "/" (.*)', line)
        name = m.group(2).decode()
        out[name.strip('"')] = m.group(1).decode()
    return out


def myrights(client, mailbox):
    typ, text, data = run(client, "MYRIGHTS", mailbox)
    assert typ == "OK", text
    return data[0].decode().rsplit(" ", 1)[1].strip('"')


def test_capabilities_and_three_namespaces(imap):
    c = connect(imap)
    caps = set(c.capabilities)
    assert {"ACL", "RIGHTS=TEXK"} <= caps  # imaplib upper-cases them
    typ, data = c.namespace()
    assert typ == "OK"
    assert data[0] == b'(("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))'
    # Nothing shared yet: LIST shows no other namespace (and the root of LIST "" "" is unchanged).
    assert set(names(c)) == {"INBOX"}
    c.logout()


def test_sharing_inbox_read_only_and_the_acl_commands(imap):
    a, b = connect(imap), connect(imap, user="bob")
    assert a.append("INBOX", None, None, message("shared one"))[0] == "OK"
    # Before sharing bob sees nothing of alice's.
    assert "Other Users/alice@example.test/INBOX" not in names(b)
    assert a.setacl("INBOX", "bob@example.test", "lr")[0] == "OK"
    typ, data = a.getacl("INBOX")
    assert typ == "OK"
    assert data[0] == b'"INBOX" alice@example.test lrswipkxtea bob@example.test lr'
    typ, text, data = run(a, "LISTRIGHTS", "INBOX", "bob@example.test")
    assert typ == "OK" and data[0] == b'"INBOX" bob@example.test "" l r s w i p k x t e a'
    typ, text, data = run(a, "LISTRIGHTS", "INBOX", "alice@example.test")
    assert data[0] == b'"INBOX" alice@example.test lrswipkxtea'
    assert myrights(a, "INBOX") == "lrswipkxtea"

    listed = names(b)
    assert listed["Other Users"] == "\\HasChildren \\Noselect"
    assert listed["Other Users/alice@example.test"] == "\\HasChildren \\Noselect"
    assert listed["Other Users/alice@example.test/INBOX"] == "\\HasNoChildren"
    assert set(names(b, '"Other Users/%"')) == {"Other Users/alice@example.test"}
    assert myrights(b, ALICE_INBOX) == "lr"
    # "r" without a write right: SELECT opens read-only; reading does not set \Seen.
    typ, data = b._simple_command("SELECT", ALICE_INBOX)
    assert typ == "OK" and "READ-ONLY" in b.untagged_responses
    b.state, b.is_readonly = "SELECTED", True  # imaplib refuses to go on otherwise
    typ, data = b.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)] FLAGS)")
    assert typ == "OK" and b"shared one" in data[0][1]
    a.select("INBOX", readonly=True)
    typ, data = a.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in data[0]
    typ, data = b.store("1", "+FLAGS", "(\\Seen)")
    assert typ == "NO"
    # No "i", "a", "x": APPEND, the ACL commands and DELETE are refused with NOPERM.
    refused(b.append(ALICE_INBOX, None, None, message("from bob")), "NOPERM")
    typ, text, _ = run(b, "GETACL", ALICE_INBOX)
    assert typ == "NO" and "[NOPERM]" in text
    typ, text, _ = run(b, "SETACL", ALICE_INBOX, "bob@example.test", "lrswipkxtea")
    assert typ == "NO" and "[NOPERM]" in text
    # Subscriptions to shared mailboxes are bob's own.
    assert b.subscribe(ALICE_INBOX)[0] == "OK"
    typ, data = b.lsub('""', '"Other Users/*"')
    assert data == [b'() "/" "Other Users/alice@example.test/INBOX"'], data
    typ, data = b._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"')
    assert b'(\\Subscribed) "/" "Other Users/alice@example.test/INBOX"' in b._untagged_response(
        typ, data, "LIST")[1]
    typ, data = a._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"')
    assert not any(b"Other Users" in (d or b"") for d in a._untagged_response(typ, data, "LIST")[1])
    typ, text, _ = run(b, "SUBSCRIBE", shared("Nonexistent"))
    assert typ == "NO" and "[NONEXISTENT]" in text
    # Revoking takes the mailbox away at once; the subscription stays, \NonExistent.
    assert a.deleteacl("INBOX", "bob@example.test")[0] == "OK"
    assert not any(n.startswith("Other Users") for n in names(b))
    typ, data = b._simple_command("LIST", "(SUBSCRIBED)", '""', '"Other Users/*"')
    assert b._untagged_response(typ, data, "LIST")[1] == [
        b'(\\NonExistent \\Subscribed) "/" "Other Users/alice@example.test/INBOX"']
    assert b.unsubscribe(ALICE_INBOX)[0] == "OK"
    assert b.lsub('""', '"Other Users/*"')[1] == [None]
    typ, data = a.getacl("INBOX")
    assert data[0] == b'"INBOX" alice@example.test lrswipkxtea'
    a.logout()
    b.logout()


def test_without_lookup_right_a_mailbox_looks_like_no_mailbox(imap):
    a, b = connect(imap), connect(imap, user="bob")
    assert a.create("Hidden")[0] == "OK"
    assert a.create("Dropbox")[0] == "OK"
    assert a.setacl("Hidden", "anyone", "p")[0] == "OK"   # some right, but not "l"
    assert a.setacl("Dropbox", "bob@example.test", "i")[0] == "OK"
    listed = names(b)
    assert not any("Hidden" in n or "Dropbox" in n for n in listed)
    for verb in (("SELECT",), ("EXAMINE",), ("STATUS", "(MESSAGES)"), ("GETACL",), ("MYRIGHTS",),
                 ("DELETE",), ("LISTRIGHTS", "bob@example.test"), ("SETACL", "bob@example.test", "l")):
        answers = []
        for target in ("Hidden", "Nonexistent"):
            typ, text, _ = run(b, verb[0], shared(target), *verb[1:])
            answers.append((typ, text))
        assert answers[0] == answers[1], (verb, answers)
        assert answers[0][0] == "NO"
    # The same for a user that is not there at all.
    typ, text, _ = run(b, "SELECT", '"Other Users/nobody@example.test/INBOX"')
    assert (typ, text) == run(b, "SELECT", shared("Nonexistent"))[:2]
    # COPY and APPEND to an invisible mailbox: the TRYCREATE of a missing one.
    for target in ("Hidden", "Nonexistent"):
        refused(b.append(shared(target), None, None, message("probe")), "TRYCREATE")
    # "i" without "l" is a drop box: APPEND works, the mailbox stays unlisted.
    assert b.append(shared("Dropbox"), None, None, message("dropped"))[0] == "OK"
    assert a.status("Dropbox", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 1)")
    a.logout()
    b.logout()


def test_every_right_is_enforced(imap):
    a, b = connect(imap), connect(imap, user="bob")
    assert a.create("Team")[0] == "OK"
    for i in range(3):
        assert a.append("Team", None, None, message(f"team {i}"))[0] == "OK"
    team = shared("Team")

    def grant(rights):
        assert a.setacl("Team", "bob@example.test", rights)[0] == "OK"

    grant("lrs")
    assert b.select(team)[0] == "OK"
    assert b.store("1", "+FLAGS", "(\\Seen)")[0] == "OK"                 # s
    assert b.store("1", "+FLAGS", "(\\Flagged)")[0] == "NO"              # no w
    assert b.store("1", "+FLAGS", "(\\Deleted)")[0] == "NO"              # no t
    assert b.store("1", "FLAGS", "(\\Seen)")[0] == "NO"                  # FLAGS needs s, w and t
    assert b.fetch("2", "(BODY[])")[0] == "OK"                           # implicit \Seen with s
    a.select("Team")
    assert b"\\Seen" in a.fetch("2", "(FLAGS)")[1][0]
    a.unselect()
    grant("+w")
    assert b.select(team)[0] == "OK"
    assert b.store("1", "+FLAGS", "(\\Flagged $Work)")[0] == "OK"
    assert b.store("1", "+FLAGS", "(\\Deleted)")[0] == "NO"
    grant("+t")
    assert b.select(team)[0] == "OK"
    assert b.store("3", "+FLAGS", "(\\Deleted)")[0] == "OK"
    typ, data = b.expunge()
    assert typ == "NO"                                                   # no e
    grant("+e")
    assert b.select(team)[0] == "OK"
    typ, data = b.expunge()
    assert typ == "OK" and data == [b"3"]
    # i: APPEND and COPY into the shared mailbox.
    refused(b.append(team, None, None, message("in")), "NOPERM")
    assert b.append("INBOX", None, None, message("bob's own"))[0] == "OK"
    grant("+i")
    assert b.append(team, None, None, message("in"))[0] == "OK"
    b.select("INBOX")
    assert b.copy("1", team)[0] == "OK"
    assert a.status("Team", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 4)")
    # MOVE out of the shared mailbox needs t and e there (and i at the destination, bob's own).
    b.select(team)
    grant("lrswi")
    b.select(team)
    typ, data = b._simple_command("MOVE", "1", "INBOX")
    assert typ == "NO"
    grant("lrswite")
    b.select(team)
    typ, data = b._simple_command("MOVE", "1", "INBOX")
    assert typ == "OK"
    b.close()
    # k: CREATE below; the creator may then use what they made (and delete it).
    typ, text, _ = run(b, "CREATE", shared("Team/Sub"))
    assert typ == "NO" and "[NOPERM]" in text
    grant("+k")
    assert b.create(shared("Team/Sub"))[0] == "OK"
    assert myrights(b, shared("Team/Sub")) == "lrswipkxtea"
    # x: DELETE and RENAME away.
    assert b.delete(shared("Team/Sub"))[0] == "OK"
    typ, text, _ = run(b, "DELETE", team)
    assert typ == "NO" and "[NOPERM]" in text
    crew = shared("Projects/Team")
    assert a.create("Projects")[0] == "OK"
    typ, text, _ = run(b, "RENAME", team, crew)
    assert typ == "NO" and "[NOPERM]" in text                            # no x on Team
    grant("+x")
    typ, text, _ = run(b, "RENAME", team, crew)
    assert typ == "NO" and "[NOPERM]" in text                            # no k on Projects
    assert a.setacl("Projects", "bob@example.test", "lk")[0] == "OK"
    assert b.rename(team, crew)[0] == "OK"
    assert "Projects/Team" in names(a)
    # a: the ACL commands; p is kept and shown.
    typ, text, _ = run(b, "GETACL", crew)
    assert typ == "NO" and "[NOPERM]" in text
    assert a.setacl("Projects/Team", "bob@example.test", "+ap")[0] == "OK"
    assert myrights(b, crew) == "lrswipkxtea"
    assert b.setacl(crew, "anyone", "l")[0] == "OK"
    typ, data = a.getacl("Projects/Team")
    assert data[0] == b'"Projects/Team" alice@example.test lrswipkxtea anyone l bob@example.test lrswipkxtea'
    # Obsolete c and d (RFC 4314 §2.1.1) map to k and x t e.
    assert a.setacl("Projects/Team", "anyone", "lrcd")[0] == "OK"
    assert b"anyone lrkxte" in a.getacl("Projects/Team")[1][0]
    assert b.delete(crew)[0] == "OK"
    assert "Projects/Team" not in names(a)
    a.logout()
    b.logout()


def test_setacl_refuses_bad_input(imap):
    a = connect(imap)
    assert a.create("Box")[0] == "OK"
    cases = [
        (("SETACL", "Box", "bob@example.test", "lrQ"), "BAD"),          # no such right
        (("SETACL", "Box", "bob@example.test", '"+-l"'), "BAD"),        # syntax
        (("SETACL", "Box", "nobody@example.test", "lr"), "NO"),         # no such user
        (("SETACL", "Box", "bob@elsewhere.test", "lr"), "NO"),
        (("SETACL", "Box", "alice@example.test", "l"), "NO"),           # the owner keeps everything
        (("DELETEACL", "Box", "alice@example.test"), "NO"),
        (("SETACL", "Box", "-bob@example.test", "l"), "NO"),            # no negative rights
        (("SETACL", "Box", "x" * 3000 + "@example.test", "l"), "NO"),   # overlong identifier
        (("SETACL", "Nope", "bob@example.test", "l"), "NO"),            # no such mailbox
        (("GETACL",), "BAD"),
        (("MYRIGHTS", "Box", "extra"), "BAD"),
    ]
    for args, expected in cases:
        typ, text, _ = run(a, *args)
        assert typ == expected, (args, typ, text)
    # An identifier with CRLF inside a literal is refused and never echoed into a reply.
    a.send(b"h1 SETACL Box {23+}\r\nbob@example.test\r\n* BYE lr\r\n")
    line = a.readline()
    assert line.startswith(b"h1 NO") and b"BYE" not in line, line
    assert a.getacl("Box")[1][0] == b'"Box" alice@example.test lrswipkxtea'
    assert a.noop()[0] == "OK"
    a.logout()


def test_two_users_on_one_shared_mailbox_see_each_others_changes(imap):
    a, b = connect(imap), connect(imap, user="bob")
    for i in range(2):
        assert a.append("INBOX", None, None, message(f"multi {i}"))[0] == "OK"
    assert a.setacl("INBOX", "bob@example.test", "lrswite")[0] == "OK"
    assert a.select("INBOX")[0] == "OK"
    assert b.select(ALICE_INBOX)[0] == "OK"
    # Flags: shared by both users (docs/imap.md), announced on the next command boundary.
    assert a.store("1", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
    b.noop()
    fetched = b.response("FETCH")[1]
    assert any(b"\\Flagged" in f for f in fetched if f), fetched
    assert b.store("2", "+FLAGS.SILENT", "(\\Seen)")[0] == "OK"
    a.noop()
    assert any(b"\\Seen" in f for f in a.response("FETCH")[1] if f)
    # Expunge by bob reaches alice as EXPUNGE (RFC 2180 §4.1).
    assert b.store("1", "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
    assert b.expunge()[0] == "OK"
    a.noop()
    assert a.response("EXPUNGE")[1] == [b"1"]
    # A delivery to alice wakes bob's IDLE on the shared INBOX.
    threading.Timer(0.5, send_smtp, args=(imap,), kwargs={"subject": "for alice"}).start()
    seen, _ = idle_until(b, lambda line: line.endswith(b"EXISTS\r\n"), timeout=15)
    assert b"* 2 EXISTS\r\n" in seen, seen
    a.logout()
    b.logout()


def test_public_folders_made_by_the_postmaster(imap):
    pm, a, b = connect(imap, user="postmaster"), connect(imap), connect(imap, user="bob")
    assert pm.create('"Public Folders/News"')[0] == "OK"
    # Only the postmaster may create at the top of the public namespace.
    typ, text, _ = run(a, "CREATE", '"Public Folders/Mine"')
    assert typ == "NO" and "[NOPERM]" in text
    assert pm.create('"Public Folders/News/Archive"')[0] == "OK"
    assert myrights(pm, '"Public Folders/News"') == "lrswipkxtea"
    assert pm.append('"Public Folders/News"', None, None, message("bulletin"))[0] == "OK"
    # Without an entry users see nothing and get the answer for a missing mailbox.
    assert not any(n.startswith("Public Folders") for n in names(a))
    assert run(a, "SELECT", '"Public Folders/News"')[:2] == run(a, "SELECT", '"Public Folders/Nope"')[:2]
    assert pm.setacl('"Public Folders/News"', "anyone", "lr")[0] == "OK"
    assert pm.setacl('"Public Folders/News"', "bob@example.test", "lrsi")[0] == "OK"
    listed = names(a)
    assert listed["Public Folders"] == "\\HasChildren \\Noselect"
    assert listed["Public Folders/News"] == "\\HasNoChildren"   # Archive is not visible to alice
    assert "Public Folders/News/Archive" not in listed
    assert "Public Folders/INBOX" not in names(pm)
    assert a.select('"Public Folders/News"', readonly=True)[0] == "OK"
    typ, data = a.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"bulletin" in data[0][1]
    refused(a.append('"Public Folders/News"', None, None, message("not allowed")), "NOPERM")
    assert myrights(b, '"Public Folders/News"') == "lrsi"
    assert b.append('"Public Folders/News"', None, None, message("from bob"))[0] == "OK"
    assert a.status('"Public Folders/News"', "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")
    typ, data = pm.getacl('"Public Folders/News"')
    assert data[0] == b'"Public Folders/News" anyone lr bob@example.test lrsi'
    for c in (pm, a, b):
        c.logout()


def test_posternctl_acl_list_set_delete(imap):
    """An admin shares alice's folder with bob and takes it back with posternctl acl; IMAP sees
    both at once (online), the identifiers are addresses, bad input is refused with exit 2/3."""
    a, b = connect(imap), connect(imap, user="bob")
    assert a.create("Projects")[0] == "OK"
    assert a.append("Projects", None, None, message("plans"))[0] == "OK"
    imap.ctl("acl", "set", "alice@example.test", "Projects", "bob@example.test", "rl")
    listed = imap.ctl("acl", "list", "alice@example.test", "Projects", json_output=True)
    assert listed["entries"] == [{"identifier": "bob@example.test", "rights": "lr"}]
    typ, data = a.getacl("Projects")
    assert typ == "OK" and b"bob@example.test lr" in data[0], data
    assert myrights(b, shared("Projects")) == "lr"
    typ, data = b.select(shared("Projects"), readonly=True)
    assert typ == "OK" and data == [b"1"]
    b.close()
    # Refused: unknown right letters, an unknown identifier, an unknown owner, the owner's own
    # entry; nothing changes.
    assert imap.ctl("acl", "set", "alice@example.test", "Projects", "bob@example.test", "lz",
                    check=False).returncode == 2
    assert imap.ctl("acl", "set", "alice@example.test", "Projects", "nobody@example.test", "l",
                    check=False).returncode == 3
    assert imap.ctl("acl", "list", "nobody@example.test", "INBOX", check=False).returncode == 3
    assert imap.ctl("acl", "set", "alice@example.test", "Projects", "alice@example.test", "l",
                    check=False).returncode == 2
    imap.ctl("acl", "delete", "alice@example.test", "Projects", "bob@example.test")
    assert imap.ctl("acl", "list", "alice@example.test", "Projects",
                    json_output=True)["entries"] == []
    assert "Other Users/alice@example.test/Projects" not in names(b)
    # Public folders of a domain: postmaster creates one, the admin opens it to anyone.
    p = connect(imap, user="postmaster")
    assert p.create('"Public Folders/News"')[0] == "OK"
    imap.ctl("acl", "set", "public:example.test", "News", "anyone", "lr")
    assert myrights(b, '"Public Folders/News"') == "lr"
    for c in (a, b, p):
        c.logout()


def untagged_codes(client, *codes):
    """Pops the untagged OK responses with these codes (imaplib files them under the code)."""
    return {code: client.response(code)[1] for code in codes}


def test_acl_changes_reach_a_session_that_has_the_mailbox_open(imap):
    """RFC 4314: rights are computed again at the next command of a session that already has
    the shared mailbox selected: removing write rights makes it read-only at once, granting
    them again read-write, and removing "r" closes the mailbox (OK [CLOSED]) and refuses the
    command with NO [NOPERM]."""
    a, b = connect(imap), connect(imap, user="bob")
    assert a.create("Team")[0] == "OK"
    assert a.append("Team", None, None, message("shared 1"))[0] == "OK"
    assert a.setacl("Team", "bob@example.test", "lrswite")[0] == "OK"
    assert b.select(shared("Team"))[0] == "OK"
    b.untagged_responses.clear()  # what SELECT said
    assert b.store("1", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"

    # Alice takes the write rights away: bob's very next command runs read-only.
    assert a.setacl("Team", "bob@example.test", "lr")[0] == "OK"
    typ, text, _ = run(b, "STORE", "1", "+FLAGS.SILENT", "(\\Answered)")
    assert typ == "NO" and "READ-ONLY" in text, (typ, text)
    codes = untagged_codes(b, "READ-ONLY", "PERMANENTFLAGS")
    assert len(codes["READ-ONLY"]) == 2, codes  # the untagged OK and the tagged NO
    assert codes["PERMANENTFLAGS"] == [b"()"], codes
    typ, text, _ = run(b, "EXPUNGE")
    assert typ == "NO" and "READ-ONLY" in text, text
    b.untagged_responses.clear()  # imaplib refuses to go on while it holds a READ-ONLY
    typ, data = b.fetch("1", "(FLAGS)")  # reading still works
    assert typ == "OK" and b"\\Flagged" in data[0] and b"\\Answered" not in data[0], data
    typ, text, _ = run(b, "MYRIGHTS", shared("Team"))
    assert typ == "OK", text

    # Granted again: read-write from the next command on.
    assert a.setacl("Team", "bob@example.test", "lrsw")[0] == "OK"
    typ, text, _ = run(b, "STORE", "1", "+FLAGS.SILENT", "(\\Answered)")
    assert typ == "OK", (typ, text)
    codes = untagged_codes(b, "READ-WRITE", "PERMANENTFLAGS")
    assert codes["READ-WRITE"] == [b""], codes
    assert codes["PERMANENTFLAGS"][0].endswith(b"\\*)"), codes
    typ, data = a.select("Team")  # the owner sees bob's change
    assert typ == "OK"
    assert b"\\Answered" in a.fetch("1", "(FLAGS)")[1][0]
    # ... but "t" stays withheld: \Deleted is refused.
    typ, text, _ = run(b, "STORE", "1", "+FLAGS.SILENT", "(\\Deleted)")
    assert typ == "NO" and "NOPERM" in text, (typ, text)

    # The read right goes (DELETEACL): the mailbox is closed under bob.
    assert a.deleteacl("Team", "bob@example.test")[0] == "OK"
    typ, text, _ = run(b, "FETCH", "1", "(FLAGS)")
    assert typ == "NO" and "NOPERM" in text, (typ, text)
    assert untagged_codes(b, "CLOSED")["CLOSED"] != [None]
    # Authenticated state now: a selected-state command is refused as such ...
    typ, text, _ = run(b, "FETCH", "1", "(FLAGS)")
    assert typ == "BAD", (typ, text)
    # ... and without "l" the mailbox is not there for bob any more.
    typ, text, _ = run(b, "SELECT", shared("Team"))
    assert typ == "NO" and "NONEXISTENT" in text, (typ, text)

    # An "anyone" entry counts too, and EXAMINE stays read-only whatever is granted.
    assert a.setacl("Team", "anyone", "lr")[0] == "OK"
    assert b.select(shared("Team"), readonly=True)[0] == "OK"
    b.untagged_responses.clear()
    assert a.setacl("Team", "anyone", "lrswite")[0] == "OK"
    assert b.noop()[0] == "OK"
    assert untagged_codes(b, "READ-WRITE")["READ-WRITE"] == [None]
    assert a.setacl("Team", "anyone", "l")[0] == "OK"
    typ, text, _ = run(b, "NOOP")
    assert typ == "OK", text  # NOOP is valid in both states
    assert untagged_codes(b, "CLOSED")["CLOSED"] != [None]

    # In IDLE: the update that follows a revocation is not sent, OK [CLOSED] is.
    assert a.setacl("Team", "bob@example.test", "lrs")[0] == "OK"
    assert b.select(shared("Team"))[0] == "OK"

    def revoke_then_deliver():
        assert a.deleteacl("Team", "bob@example.test")[0] == "OK"
        assert a.append("Team", None, None, message("after the revocation"))[0] == "OK"

    timer = threading.Timer(0.5, revoke_then_deliver)
    timer.start()
    seen, _ = idle_until(b, lambda line: b"[CLOSED]" in line or line.endswith(b"EXISTS\r\n"),
                         timeout=15)
    timer.join()
    assert any(b"[CLOSED]" in line for line in seen), seen
    assert not any(line.endswith(b"EXISTS\r\n") for line in seen), seen

    # The owner's own session is never touched by ACL changes.
    assert a.noop()[0] == "OK"
    assert untagged_codes(a, "READ-ONLY", "CLOSED") == {"READ-ONLY": [None], "CLOSED": [None]}
    a.logout()
    b.logout()
