"""SEARCH, SORT and THREAD with Python's imaplib against the real daemon: every search key, OR/NOT/
nesting, sequence sets with "*" and "$", text that matches regardless of case and diacritics,
CHARSET with a literal and BADCHARSET, ESEARCH and IMAP4rev2, SEARCHRES with FETCH/STORE, SORT by
every criterion with REVERSE and ESORT, THREAD REFERENCES/ORDEREDSUBJECT, hostile input."""
import datetime
import email.utils
import re
import time

import pytest

from imapflow import connect, make_imap_server


@pytest.fixture
def imap(make_server):
    return make_imap_server(make_server)


def mail(subject, body="Hello.\r\n", sender="Carol <carol@remote.test>", to="Alice <alice@example.test>",
         cc=None, bcc=None, date="Wed, 10 Jan 2024 12:00:00 +0000", msgid=None, extra=()):
    lines = [f"From: {sender}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    if bcc:
        lines.append(f"Bcc: {bcc}")
    lines += [f"Subject: {subject}", f"Date: {date}"]
    if msgid:
        lines.append(f"Message-ID: <{msgid}>")
    lines += list(extra)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def append(c, box, data, flags=None, when=None):
    typ, resp = c.append(box, flags, f'"{when}"' if when else None, data)
    assert typ == "OK", resp
    return int(re.search(rb"APPENDUID \d+ (\d+)", resp[0]).group(1))


def numbers(c, *criteria, uid=True):
    """The numbers of a SEARCH/SORT/THREAD-less answer, without a trailing (MODSEQ n)."""
    typ, data = c.uid("SEARCH", *criteria) if uid else c.search(None, *criteria)
    assert typ == "OK", (criteria, data)
    text = re.sub(rb"\s*\(MODSEQ \d+\)", b"", data[0] or b"")
    return [int(x) for x in text.split()]


def command(c, name, *args):
    """Runs a command; returns (typ, tagged text, untagged ESEARCH lines)."""
    typ, data = c._simple_command(name, *args)
    lines = [x.decode() for x in c.untagged_responses.pop("ESEARCH", []) if x is not None]
    return typ, data[0].decode() if data and data[0] else "", lines


def esearch_items(line):
    """'(TAG "A1") UID MIN 1 ALL 1:3' -> (True, 'MIN 1 ALL 1:3')."""
    m = re.fullmatch(r'\(TAG "[^"]+"\)( UID)?(.*)', line)
    assert m, line
    return bool(m.group(1)), m.group(2).strip()


PAD = "x" * 70 + "\r\n"


def fill_search(c):
    """Four messages with known flags, dates, addresses and text in mailbox Search."""
    c.create("Search")
    u = [
        append(c, "Search", mail("=?UTF-8?Q?Caf=C3=A9_meeting?=", "Let us meet at the caf\u00e9 on Monday.\r\n",
                                 sender="Alice Anders <alice@example.test>", to="Bob <bob@example.test>",
                                 cc="Carol <carol@remote.test>", bcc="Dave <dave@secret.test>", msgid="m1@x",
                                 extra=["X-Project: Apollo"]),
               "(\\Seen)", "10-Jan-2024 12:00:00 +0000"),
        append(c, "Search", mail("Quarterly report", "The numbers are in.\r\n" + PAD * 60,
                                 sender="=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@remote.test>",
                                 date="Thu, 15 Feb 2024 12:00:00 +0000", msgid="m2@x"),
               "(\\Answered \\Flagged $Work)", "15-Feb-2024 12:00:00 +0000"),
        append(c, "Search", mail("Re: =?UTF-8?Q?Caf=C3=A9_meeting?=", "See you there.\r\n",
                                 sender="Bob <bob@example.test>", date="Fri, 1 Mar 2024 12:00:00 +0000",
                                 msgid="m3@x", extra=["In-Reply-To: <m1@x>", "References: <m1@x>"]),
               "(\\Deleted \\Draft)", "01-Mar-2024 12:00:00 +0000"),
        append(c, "Search", mail("Hello", "Plain text.\r\n", to="Eve <eve@example.test>",
                                 date=email.utils.formatdate(), msgid="m4@x")),
    ]
    typ, _ = c.select("Search")
    assert typ == "OK"
    return u


def test_capabilities(imap):
    c = connect(imap)
    typ, data = c.capability()
    caps = set(data[0].decode().upper().split())
    assert {"ESEARCH", "SEARCHRES", "SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT",
            "THREAD=REFERENCES", "WITHIN"} <= caps
    c.logout()


def test_every_search_key(imap):
    c = connect(imap)
    u1, u2, u3, u4 = fill_search(c)
    today = datetime.date.today().strftime("%d-%b-%Y")
    cases = [
        (("ALL",), [u1, u2, u3, u4]),
        (("ANSWERED",), [u2]),
        (("UNANSWERED",), [u1, u3, u4]),
        (("BCC", "dave"), [u1]),
        (("BCC", "secret.test"), [u1]),
        (("BEFORE", "15-Feb-2024"), [u1]),
        (("ON", "15-Feb-2024"), [u2]),
        (("SINCE", "15-Feb-2024"), [u2, u3, u4]),
        (("BODY", "numbers"), [u2]),
        (("BODY", "monday"), [u1]),
        (("CC", "carol"), [u1]),
        (("DELETED",), [u3]),
        (("UNDELETED",), [u1, u2, u4]),
        (("DRAFT",), [u3]),
        (("UNDRAFT",), [u1, u2, u4]),
        (("FLAGGED",), [u2]),
        (("UNFLAGGED",), [u1, u3, u4]),
        (("FROM", "bob"), [u3]),
        (("FROM", "alice@example.test"), [u1]),
        (("HEADER", "X-Project", "apollo"), [u1]),
        (("HEADER", "X-Project", '""'), [u1]),
        (("HEADER", "In-Reply-To", "m1@x"), [u3]),
        (("KEYWORD", "$Work"), [u2]),
        (("UNKEYWORD", "$Work"), [u1, u3, u4]),
        (("KEYWORD", "$Nobody"), []),
        (("LARGER", "3000"), [u2]),
        (("SMALLER", "3000"), [u1, u3, u4]),
        (("SEEN",), [u1]),
        (("UNSEEN",), [u2, u3, u4]),
        (("SENTBEFORE", "15-Feb-2024"), [u1]),
        (("SENTON", "15-Feb-2024"), [u2]),
        (("SENTSINCE", "1-Mar-2024"), [u3, u4]),
        (("SUBJECT", "quarterly"), [u2]),
        (("TEXT", "apollo"), [u1]),
        (("TEXT", "there"), [u3]),
        (("TO", "eve"), [u4]),
        (("TO", "alice"), [u2, u3]),
        (("UID", f"{u2}:{u3}"), [u2, u3]),
        # \Recent: this session selected first, so every message is recent to it.
        (("RECENT",), [u1, u2, u3, u4]),
        (("NEW",), [u2, u3, u4]),
        (("OLD",), []),
        # RFC 5032, RFC 8514.
        (("OLDER", "86400"), [u1, u2, u3]),
        (("YOUNGER", "86400"), [u4]),
        (("SAVEDSINCE", today), [u1, u2, u3, u4]),
        (("SAVEDON", today), [u1, u2, u3, u4]),
        (("SAVEDBEFORE", today), []),
        (("SAVEDATESUPPORTED",), [u1, u2, u3, u4]),
        (("THREADID", "T1"), []),
        # OR, NOT, nesting.
        (("NOT", "SEEN"), [u2, u3, u4]),
        (("OR", "FLAGGED", "DELETED"), [u2, u3]),
        (("OR", "(SEEN", "FROM", "alice)", "NOT", "OR", "DRAFT", "TO", "eve"), [u1, u2]),
        (("(((FLAGGED)", "ANSWERED)", "KEYWORD", "$Work)"), [u2]),
        (("NOT", "NOT", "NOT", "UNSEEN"), [u1]),
        (("SINCE", "1-Jan-2024", "NOT", "(OR", "SEEN", "DELETED)"), [u2, u4]),
    ]
    for criteria, want in cases:
        assert numbers(c, *criteria) == want, criteria
    # Sequence numbers for the same keys.
    assert numbers(c, "FLAGGED", uid=False) == [2]
    # EMAILID is the FETCH EMAILID value (RFC 8474).
    typ, data = c.uid("FETCH", str(u2), "(EMAILID)")
    emailid = re.search(rb"EMAILID \(([^)]+)\)", data[0]).group(1).decode()
    assert numbers(c, "EMAILID", emailid) == [u2]
    assert numbers(c, "EMAILID", "nothere") == []
    # MODSEQ (RFC 7162 §3.1.5): the answer carries the highest mod-sequence of the matches.
    typ, data = c.uid("SEARCH", "MODSEQ", "1")
    m = re.fullmatch(rb"([\d ]+) \(MODSEQ (\d+)\)", data[0])
    assert m and [int(x) for x in m.group(1).split()] == [u1, u2, u3, u4], data
    highest = int(m.group(2))
    typ, data = c.uid("SEARCH", "MODSEQ", str(highest + 1))
    assert data == [b""], data
    typ, data = c.uid("SEARCH", "MODSEQ", str(highest))
    assert re.fullmatch(rb"\d+ \(MODSEQ %d\)" % highest, data[0]), data
    # SENT* take the Date: header's day as written: 01:30 +1400 on 2 March is 1 March in UTC.
    u5 = append(c, "Search", mail("Kiribati", date="Sat, 2 Mar 2024 01:30:00 +1400"))
    c.noop()
    assert numbers(c, "SENTON", "2-Mar-2024") == [u5]
    assert numbers(c, "SENTON", "1-Mar-2024") == [u3]
    assert numbers(c, "SENTBEFORE", "2-Mar-2024") == [u1, u2, u3]
    assert numbers(c, "SENTSINCE", "2-Mar-2024") == [u4, u5]
    # Another session sees nothing as recent.
    other = connect(imap)
    other.select("Search")
    assert numbers(other, "RECENT") == [] and numbers(other, "OLD") == [u1, u2, u3, u4, u5]
    assert numbers(other, "NEW") == []
    other.logout()
    c.logout()


def test_text_matches_regardless_of_case_and_diacritics(imap):
    c = connect(imap)
    u1, u2, u3, _ = fill_search(c)
    assert numbers(c, "SUBJECT", "cafe") == [u1, u3]
    assert numbers(c, "SUBJECT", "CAFE") == [u1, u3]
    assert numbers(c, "BODY", "cafe") == [u1]
    assert numbers(c, "TEXT", "cafe") == [u1, u3]
    assert numbers(c, "FROM", "Muller") == [u2]
    assert numbers(c, "FROM", "jurgen") == [u2]
    assert numbers(c, "TEXT", "muller") == [u2]
    # CHARSET UTF-8 with a literal: the accented forms find the same messages.
    for key, word, want in (("FROM", "M\u00fcller", [u2]), ("SUBJECT", "Caf\u00e9", [u1, u3]),
                            ("BODY", "caf\u00e9", [u1])):
        c.literal = word.encode()
        typ, data = c.uid("SEARCH", "CHARSET", "UTF-8", key)
        assert typ == "OK" and [int(x) for x in data[0].split()] == want, (key, data)
    assert numbers(c, "CHARSET", "US-ASCII", "SUBJECT", "cafe") == [u1, u3]
    # Other charsets: NO [BADCHARSET (...)] and the session goes on.
    typ, data = c.search("ISO-8859-1", "ALL")
    assert typ == "NO" and b"[BADCHARSET (UTF-8 US-ASCII)]" in data[0], data
    typ, data = c.sort("(DATE)", "KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0], data
    assert numbers(c, "ALL", uid=False) == [1, 2, 3, 4]
    c.logout()


def test_sequence_sets_star_and_saved_result(imap):
    c = connect(imap)
    u1, u2, u3, u4 = fill_search(c)
    assert numbers(c, "*", uid=False) == [4]
    assert numbers(c, "2:*", uid=False) == [2, 3, 4]
    assert numbers(c, "3:1", uid=False) == [1, 2, 3]
    assert numbers(c, "1,4,*", uid=False) == [1, 4]
    assert numbers(c, "9:12", uid=False) == []
    assert numbers(c, "UID", "*") == [u4]
    assert numbers(c, "UID", f"{u4 + 100}:*") == [u4]
    assert numbers(c, "1:100000", uid=False) == [1, 2, 3, 4]
    assert numbers(c, "UID", "1:4294967295") == [u1, u2, u3, u4]
    # SEARCHRES (RFC 5182): RETURN (SAVE) alone answers nothing but the tagged OK.
    typ, text, lines = command(c, "SEARCH", "RETURN", "(SAVE)", "OR", "FLAGGED", "DRAFT")
    assert typ == "OK" and lines == [], (text, lines)
    assert numbers(c, "$", uid=False) == [2, 3]
    assert numbers(c, "UID", "$") == [u2, u3]
    assert numbers(c, "NOT", "$") == [u1, u4]
    assert numbers(c, "OR", "$", "SEEN", uid=False) == [1, 2, 3]
    # "$" in FETCH and UID STORE.
    typ, data = c.fetch("$", "(UID)")
    assert typ == "OK" and sorted(int(re.search(rb"UID (\d+)", d).group(1)) for d in data if d) == [u2, u3]
    typ, data = c.uid("STORE", "$", "+FLAGS.SILENT", "(\\Seen)")
    assert typ == "OK", data
    assert numbers(c, "SEEN") == [u1, u2, u3]
    # SAVE with MIN/MAX keeps only those; SAVE with ESEARCH output.
    typ, text, lines = command(c, "UID", "SEARCH", "RETURN", "(MIN SAVE)", "SEEN")
    assert typ == "OK" and esearch_items(lines[0]) == (True, f"MIN {u1}")
    assert numbers(c, "$") == [u1]
    # A failed SEARCH ... SAVE empties "$".
    typ, text, lines = command(c, "SEARCH", "RETURN", "(SAVE)", "CHARSET", "BIG5", "ALL")
    assert typ == "NO"
    assert numbers(c, "$") == []
    c.logout()


def test_esearch_and_imap4rev2(imap):
    c = connect(imap)
    u1, u2, u3, u4 = fill_search(c)
    typ, text, lines = command(c, "SEARCH", "RETURN", "(MIN MAX COUNT ALL)", "ALL")
    assert typ == "OK" and esearch_items(lines[0]) == (False, "MIN 1 MAX 4 ALL 1:4 COUNT 4"), lines
    typ, text, lines = command(c, "SEARCH", "RETURN", "()", "NOT", "SEEN")
    assert esearch_items(lines[0]) == (False, "ALL 2:4")
    typ, text, lines = command(c, "UID", "SEARCH", "RETURN", "(COUNT MAX)", "UNSEEN")
    assert esearch_items(lines[0]) == (True, f"MAX {u4} COUNT 3")
    typ, text, lines = command(c, "UID", "SEARCH", "RETURN", "(MIN MAX ALL)", "FROM", "nobody")
    assert esearch_items(lines[0]) == (True, "")
    typ, text, lines = command(c, "SEARCH", "RETURN", "(COUNT)", "FROM", "nobody")
    assert esearch_items(lines[0]) == (False, "COUNT 0")
    typ, text, lines = command(c, "UID", "SEARCH", "RETURN", "(ALL)", "MODSEQ", "1")
    uid_all, items = esearch_items(lines[0])
    assert uid_all and re.fullmatch(r"ALL \d+(:\d+)?(,\d+(:\d+)?)* MODSEQ \d+", items), items
    # The ESEARCH tag is the command's tag.
    tag = c._new_tag().decode()
    c.send(f"{tag} SEARCH RETURN (COUNT) ALL\r\n".encode())
    assert c.readline() == f'* ESEARCH (TAG "{tag}") COUNT 4\r\n'.encode()
    assert c.readline().startswith(f"{tag} OK".encode())
    # IMAP4rev2 answers every SEARCH with ESEARCH (RFC 9051 §6.4.4).
    c.logout()
    r = connect(imap)
    typ, _ = r._simple_command("ENABLE", "IMAP4rev2")
    assert typ == "OK"
    r.select("Search")
    typ, text, lines = command(r, "SEARCH", "FLAGGED")
    assert typ == "OK" and esearch_items(lines[0]) == (False, "ALL 2")
    assert "SEARCH" not in r.untagged_responses
    typ, text, lines = command(r, "UID", "SEARCH", "OR", "SEEN", "DRAFT")
    assert esearch_items(lines[0]) == (True, f"ALL {u1},{u3}")
    typ, text, lines = command(r, "SEARCH", "RETURN", "(SAVE)", "SEEN")
    assert typ == "OK" and lines == []
    r.logout()


def fill_sort(c):
    c.create("Sort")
    spec = [  # from, to, cc, subject, sent date, padding lines
        ("Zed <a-zed@x.test>", "Mia <m@x.test>", "k@x.test", "beta", "Wed, 3 Jan 2024 10:00:00 +0000", 10),
        ("Amy <z-amy@x.test>", "Bob <c@x.test>", "a@x.test", "Re: alpha", "Mon, 1 Jan 2024 10:00:00 +0000", 40),
        ("Kim <k-kim@x.test>", "Al <t@x.test>", "z@x.test", "gamma", "Tue, 2 Jan 2024 10:00:00 +0000", 0),
        ("Lee <m-lee@x.test>", "Ann <p@x.test>", "n@x.test", "Beta", "Thu, 4 Jan 2024 10:00:00 +0000", 25),
    ]
    uids = []
    for i, (frm, to, cc, subject, date, pad) in enumerate(spec):
        uids.append(append(c, "Sort", mail(subject, "Body.\r\n" + PAD * pad, sender=frm, to=to, cc=cc, date=date),
                           None, f"0{i + 1}-Feb-2024 10:00:00 +0000"))
    c.select("Sort")
    return uids


def sorted_numbers(c, criteria, *search, uid=False):
    typ, data = c.uid("SORT", criteria, "UTF-8", *search) if uid else c.sort(criteria, "UTF-8", *search)
    assert typ == "OK", (criteria, data)
    return [int(x) for x in (data[0] or b"").split()]


def test_sort_by_every_criterion(imap):
    c = connect(imap)
    uids = fill_sort(c)
    cases = [
        ("(ARRIVAL)", [1, 2, 3, 4]),
        ("(DATE)", [2, 3, 1, 4]),
        ("(FROM)", [1, 3, 4, 2]),
        ("(DISPLAYFROM)", [2, 3, 4, 1]),
        ("(TO)", [2, 1, 4, 3]),
        ("(DISPLAYTO)", [3, 4, 2, 1]),
        ("(CC)", [2, 1, 4, 3]),
        ("(SUBJECT)", [2, 1, 4, 3]),  # "Re: alpha" sorts as "alpha"; "beta" and "Beta" tie
        ("(SIZE)", [3, 1, 4, 2]),
        ("(REVERSE ARRIVAL)", [4, 3, 2, 1]),
        ("(REVERSE DATE)", [4, 1, 3, 2]),
        ("(REVERSE SIZE)", [2, 4, 1, 3]),
        ("(REVERSE SUBJECT)", [3, 1, 4, 2]),  # ties stay in mailbox order
        ("(SUBJECT REVERSE DATE)", [2, 4, 1, 3]),
        ("(REVERSE DISPLAYFROM)", [1, 4, 3, 2]),
    ]
    for criteria, want in cases:
        assert sorted_numbers(c, criteria, "ALL") == want, criteria
    assert sorted_numbers(c, "(DATE)", "NOT", "FROM", "amy") == [3, 1, 4]
    assert sorted_numbers(c, "(DATE)", "ALL", uid=True) == [uids[i - 1] for i in (2, 3, 1, 4)]
    assert sorted_numbers(c, "(SIZE)", "FROM", "nobody") == []
    # ESORT (RFC 5267): MIN/MAX are the first and last in sort order; ALL keeps the order.
    typ, text, lines = command(c, "SORT", "RETURN", "(MIN MAX COUNT ALL)", "(DATE)", "UTF-8", "ALL")
    assert typ == "OK" and esearch_items(lines[0]) == (False, "MIN 2 MAX 4 ALL 2:3,1,4 COUNT 4"), lines
    typ, text, lines = command(c, "SORT", "RETURN", "()", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
    assert esearch_items(lines[0]) == (False, "ALL 4,3,2,1")
    typ, text, lines = command(c, "UID", "SORT", "RETURN", "(SAVE COUNT)", "(SIZE)", "UTF-8", "SMALLER", "1500")
    assert esearch_items(lines[0])[1] == "COUNT 2"
    assert numbers(c, "$", uid=False) == [1, 3]
    c.logout()


def fill_threads(c):
    c.create("Threads")
    spec = [  # message id, subject, extra headers
        ("t1@x", "Plan", []),
        ("t2@x", "Re: Plan", ["In-Reply-To: <t1@x>", "References: <t1@x>"]),
        ("t3@x", "Re: Plan", ["In-Reply-To: <t2@x>", "References: <t1@x> <t2@x>"]),
        ("t4@x", "Re: Plan", ["In-Reply-To: <t1@x>", "References: <t1@x>"]),
        ("t5@x", "Other", []),
        ("t6@x", "Re: Other", []),
        ("t7@x", "Lost", ["References: <gone@x>"]),
        ("t8@x", "Re: Lost", ["References: <gone@x>"]),
    ]
    uids = []
    for i, (msgid, subject, extra) in enumerate(spec):
        date = f"Mon, {i + 1} Jan 2024 10:00:00 +0000"
        uids.append(append(c, "Threads", mail(subject, msgid=msgid, date=date, extra=extra), None,
                           f"0{i + 1}-Jan-2024 10:00:00 +0000"))
    c.select("Threads")
    return uids


def test_thread_references_and_orderedsubject(imap):
    c = connect(imap)
    u = fill_threads(c)
    typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"(1 (2 3)(4))(5 6)((7)(8))"], data
    typ, data = c.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"(1 (2)(3)(4))(5 6)(7 8)"], data
    typ, data = c.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
    assert data == [f"({u[0]} ({u[1]} {u[2]})({u[3]}))({u[4]} {u[5]})(({u[6]})({u[7]}))".encode()], data
    # Threads of a search result: missing parents become dummies.
    typ, data = c.thread("REFERENCES", "UTF-8", "SINCE", "3-Jan-2024")
    assert data == [b"((3)(4))(5 6)((7)(8))"], data
    typ, data = c.thread("REFERENCES", "UTF-8", "FROM", "nobody")
    assert typ == "OK" and data == [b""], data
    with pytest.raises(c.error, match="algorithm"):
        c._simple_command("THREAD", "BOGUS", "UTF-8", "ALL")
    typ, data = c.thread("REFERENCES", "ISO-8859-2", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0], data
    c.logout()


def test_hostile_input(imap):
    c = connect(imap)
    fill_search(c)
    # 10,000 nested parentheses: BAD, and the session goes on.
    with pytest.raises(c.error, match="(?i)nest|deep"):
        c._simple_command("SEARCH", "(" * 10000 + "ALL" + ")" * 10000)
    assert numbers(c, "ALL", uid=False) == [1, 2, 3, 4]
    # 100,000 ranges do not fit a command line; 30,000 exceed the parser's limit; both BAD.
    with pytest.raises(c.error):
        c._simple_command("SEARCH", ",".join(str(2 * i + 1) for i in range(100000)))
    with pytest.raises(c.error):
        c._simple_command("SEARCH", ",".join(["1"] * 30000))
    assert numbers(c, ",".join(["3"] * 15000), uid=False) == [3]
    # 10,000 keys, and deep NOT chains within the limit.
    assert numbers(c, *(["OR", "SEEN", "DRAFT"] * 3000)) != []
    assert numbers(c, *(["NOT"] * 98 + ["SEEN"]), uid=False) == [1]
    with pytest.raises(c.error):
        c._simple_command("SEARCH", *(["NOT"] * 5000 + ["SEEN"]))
    # HEADER and BCC read message headers: more than 32 in one command is NO [LIMIT].
    typ, data = c.search(None, *(["OR", "HEADER", "X-A", "a"] * 32 + ["BCC", "b"]))
    assert typ == "NO" and b"[LIMIT]" in data[0], data
    assert numbers(c, *(["OR", "HEADER", "X-A", "a"] * 31 + ["BCC", "dave"]), uid=False) == [1]
    # Unknown keys and bad dates are BAD too.
    for bad in (("FROB",), ("BEFORE", "31-Feb-2024"), ("UID",), ("OR", "SEEN")):
        with pytest.raises(c.error):
            c._simple_command("SEARCH", *bad)
    typ, _ = c.noop()
    assert typ == "OK"
    assert numbers(c, "SEEN", uid=False) == [1]
    c.logout()


def test_search_sees_only_what_the_session_was_told(imap):
    c = connect(imap)
    fill_search(c)
    other = connect(imap, user="alice")
    other.append("Search", None, None, mail("Late arrival"))
    # A sequence-number SEARCH runs on what the session knows (the new message has no number
    # yet), then announces it: EXISTS may follow any command, only EXPUNGE is held back
    # (RFC 9051 §7.5.2).
    c.response("EXISTS")
    typ, data = c.search(None, "ALL")
    assert data == [b"1 2 3 4"], data
    assert c.response("EXISTS")[1] == [b"5"]
    # Now it has number 5, and UID SEARCH finds it.
    typ, data = c.uid("SEARCH", "SUBJECT", "late")
    assert typ == "OK" and data == [b"5"], data
    assert len(numbers(c, "SUBJECT", "late")) == 1
    assert numbers(c, "ALL", uid=False) == [1, 2, 3, 4, 5]
    other.logout()
    c.logout()
