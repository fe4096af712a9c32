"""SMTP-time protection (docs/smtp-protection.md) against the real daemon and a real DNS server:
DNSBL/DNSWL (the test client connects from 127.0.0.1, so the lists hold 1.0.0.127.<zone>),
greylisting, DNS checks of the client and the sender domain, the country filter (a CSV import and
a MaxMind DB written here), and what policy scripts see of it all (ctx.checks)."""
import smtplib
import subprocess
import time

from harness import POSTERND, client_tls_context
from mailflow import PASSWORD, make_mail_server, mailbox, wait_delivered, zones

BODY = "From: carol@remote.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\nHi.\r\n"


def zones_with(names):
    z = zones()
    for zone in ("bl.test", "wl.test", "hdr.test", "in-addr.arpa", "nowhere.test"):
        z["soa"][zone] = {"ttl": 60, "minimum": 5}
    z["names"].update(names)
    return z


LISTED = {
    "1.0.0.127.bl.test": {"ttl": 60, "A": ["127.0.0.2"], "TXT": ["Listed in bl.test, see http://bl.test/127.0.0.1"]},
}


def server_with(make_server, protection, dns_zones=None, policy=None, smtp_extra=""):
    queue_extra = protection
    if policy is not None:
        queue_extra = '[policy]\nscript = "{dir}/policy.lua"\n' + protection
    extra = {"queue_extra": queue_extra, "smtp_extra": smtp_extra}
    mail = make_mail_server(make_server, extra=extra, start=False,
                            dns_zones=dns_zones if dns_zones is not None else zones_with({}))
    if policy is not None:
        (mail.dir / "policy.lua").write_text(policy)
    mail.config.write_text(mail.config.read_text().replace("{dir}", str(mail.dir)))
    return mail


def mx_transaction(mail, sender="carol@remote.test", rcpt="alice@example.test"):
    """MAIL and RCPT on the MX port; returns (mail reply, rcpt reply or None)."""
    s = smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="client.remote.test", timeout=15)
    try:
        s.ehlo()
        code, text = s.mail(sender)
        if code != 250:
            return (code, text.decode()), None
        rcode, rtext = s.rcpt(rcpt)
        if rcode == 250:
            code, _ = s.data(BODY.format(subject="test").encode())
            assert code == 250
        return (250, ""), (rcode, rtext.decode())
    finally:
        s.quit()


# --- DNSBL / DNSWL -----------------------------------------------------------------------------

DNSBL = """
[protection.dnsbl]
[[protection.dnsbl.zone]]
zone = "bl.test"
codes = ["127.0.0.2-127.0.0.11"]
[[protection.dnsbl.zone]]
zone = "clean.test"
"""


def test_listed_client_gets_554_with_the_lists_reason(make_server):
    mail = server_with(make_server, DNSBL, zones_with(LISTED))
    mail.start()
    (code, text), _ = mx_transaction(mail)
    assert code == 554, text
    assert text.startswith("5.7.1 Listed in bl.test, see http://bl.test/127.0.0.1"), text
    assert mail.dns.count("1.0.0.127.bl.test", "A") == 1
    assert mail.dns.count("1.0.0.127.clean.test", "A") >= 1  # every zone asked, in parallel
    mail.wait_log("check dnsbl: reject bl.test")


def test_authenticated_sender_is_never_refused_by_dnsbl(make_server):
    mail = server_with(make_server, DNSBL, zones_with(LISTED))
    mail.start()
    with smtplib.SMTP("127.0.0.1", mail.ports["submission"], local_hostname="laptop", timeout=15) as s:
        s.starttls(context=client_tls_context(None))
        s.login("bob@example.test", PASSWORD)
        body = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: auth\r\n\r\nHi.\r\n"
        assert s.sendmail("bob@example.test", ["alice@example.test"], body.encode()) == {}
    wait_delivered(mail, 1)
    mail.wait_log("not refused")


def test_answer_outside_the_codes_and_unlisted_zone_pass(make_server):
    names = {"1.0.0.127.bl.test": {"ttl": 60, "A": ["127.255.255.254"]}}
    mail = server_with(make_server, DNSBL, zones_with(names))
    mail.start()
    (code, text), (rcode, _) = mx_transaction(mail)
    assert code == 250 and rcode == 250, text
    assert mail.dns.count("1.0.0.127.bl.test", "TXT") == 0


def test_excluded_client_is_not_looked_up(make_server):
    mail = server_with(make_server, DNSBL.replace("[[protection.dnsbl.zone]]", 'exclude = ["127.0.0.0/8"]\n[[protection.dnsbl.zone]]', 1),
                       zones_with(LISTED))
    mail.start()
    (code, text), (rcode, _) = mx_transaction(mail)
    assert code == 250 and rcode == 250, text
    assert mail.dns.count("1.0.0.127.bl.test", "A") == 0


def test_dnswl_hit_short_circuits_dnsbl_and_greylisting(make_server):
    names = dict(LISTED)
    names["1.0.0.127.wl.test"] = {"ttl": 60, "A": ["127.0.10.1"]}
    protection = DNSBL + """
[[protection.dnsbl.zone]]
zone = "wl.test"
allow = true

[protection.greylist]
delay = "1h"
"""
    mail = server_with(make_server, protection, zones_with(names))
    mail.start()
    (code, text), (rcode, rtext) = mx_transaction(mail)
    assert code == 250, text
    assert rcode == 250, rtext
    wait_delivered(mail, 1)
    mail.wait_log("check greylist: skipped (dnswl)")


POLICY = """
function onMailFrom(ctx)
  addHeader("X-Seen-Checks", "dnsbl=" .. tostring(ctx.checks.dnsbl) .. " rdns=" .. tostring(ctx.checks.rdns))
end
"""


def test_header_zone_and_policy_scripts_see_the_results(make_server):
    names = {"1.0.0.127.hdr.test": {"ttl": 60, "A": ["127.0.0.3"]}}
    protection = """
[protection.dnsbl]
[[protection.dnsbl.zone]]
zone = "hdr.test"
action = "header"
"""
    mail = server_with(make_server, protection, zones_with(names), policy=POLICY)
    mail.start()
    (code, text), (rcode, _) = mx_transaction(mail)
    assert code == 250 and rcode == 250, text
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    text = raw.decode()
    assert "X-Postern-Protection: dnsbl=listed hdr.test\r\n" in text, text
    assert "X-Seen-Checks: dnsbl=listed hdr.test rdns=nil\r\n" in text, text


def test_slow_list_does_not_hold_the_greeting_and_times_out(make_server):
    names = {"1.0.0.127.bl.test": {"behaviour": "drop"}}
    protection = DNSBL.replace("[protection.dnsbl]", '[protection.dnsbl]\ntimeout = "500ms"')
    mail = server_with(make_server, protection, zones_with(names))
    mail.start()
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="c.remote.test", timeout=10) as s:
        greeted = time.monotonic() - started
        assert s.noop()[0] == 250
        assert greeted < 0.4, greeted
        s.ehlo()
        t = time.monotonic()
        assert s.mail("carol@remote.test")[0] == 250
        assert time.monotonic() - t < 3.0
    mail.wait_log("(incomplete)")


# --- greylisting -------------------------------------------------------------------------------

GREYLIST = """
[protection.greylist]
delay = "1s"
retry_window = "1h"
"""


def test_first_attempt_is_deferred_and_a_retry_after_the_delay_accepted(make_server):
    mail = server_with(make_server, GREYLIST)
    mail.start()
    _, (rcode, rtext) = mx_transaction(mail)
    assert rcode == 451, rtext
    assert rtext.startswith("4.7.1 Greylisted"), rtext
    _, (rcode, rtext) = mx_transaction(mail)  # too soon
    assert rcode == 451, rtext
    time.sleep(1.1)
    _, (rcode, rtext) = mx_transaction(mail)
    assert rcode == 250, rtext
    wait_delivered(mail, 1)
    # Another sender is a new triplet.
    _, (rcode, _) = mx_transaction(mail, sender="dave@remote.test")
    assert rcode == 451
    # State survives a restart: the passed triplet passes at once.
    mail.stop()
    mail.start()
    _, (rcode, rtext) = mx_transaction(mail)
    assert rcode == 250, rtext
    assert (mail.dir / "data" / "greylist.db").exists()


def test_authenticated_and_excluded_are_not_greylisted(make_server):
    mail = server_with(make_server, GREYLIST + 'exclude_domains = ["example.test"]\n')
    mail.start()
    _, (rcode, rtext) = mx_transaction(mail)
    assert rcode == 250, rtext
    mail.wait_log("check greylist: skipped (excluded domain)")

    mail2 = server_with(make_server, GREYLIST)
    mail2.start()
    with smtplib.SMTP("127.0.0.1", mail2.ports["submission"], local_hostname="laptop", timeout=15) as s:
        s.starttls(context=client_tls_context(None))
        s.login("bob@example.test", PASSWORD)
        body = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: auth\r\n\r\nHi.\r\n"
        assert s.sendmail("bob@example.test", ["alice@example.test"], body.encode()) == {}


# --- DNS checks --------------------------------------------------------------------------------

def test_client_without_reverse_dns_is_refused_when_asked(make_server):
    mail = server_with(make_server, '[protection.dns_checks]\nreverse_dns = "reject"\n')
    mail.start()
    (code, text), _ = mx_transaction(mail)
    assert code == 550, text
    assert text.startswith("5.7.25"), text


def test_unconfirmed_reverse_name_tempfails_when_asked(make_server):
    names = {"1.0.0.127.in-addr.arpa": {"ttl": 60, "PTR": ["liar.remote.test"]},
             "liar.remote.test": {"ttl": 60, "A": ["192.0.2.7"]}}
    mail = server_with(make_server, '[protection.dns_checks]\nconfirmed_reverse = "tempfail"\nreverse_dns = "reject"\n',
                       zones_with(names))
    mail.start()
    (code, text), _ = mx_transaction(mail)
    assert code == 450, text
    assert "forward-confirmed" in text
    mail.wait_log("check rdns: fail liar.remote.test")


def test_confirmed_reverse_name_passes(make_server):
    names = {"1.0.0.127.in-addr.arpa": {"ttl": 60, "PTR": ["client.remote.test"]},
             "client.remote.test": {"ttl": 60, "A": ["127.0.0.1"]}}
    mail = server_with(make_server, '[protection.dns_checks]\nconfirmed_reverse = "reject"\n', zones_with(names))
    mail.start()
    (code, text), (rcode, _) = mx_transaction(mail)
    assert code == 250 and rcode == 250, text


def test_sender_domain_must_accept_mail(make_server):
    names = {"nullmx.test": {"ttl": 60, "MX": [[0, "."]]},
             "aonly.test": {"ttl": 60, "A": ["192.0.2.1"]}}
    mail = server_with(make_server, '[protection.dns_checks]\nsender_domain = "reject"\n', zones_with(names))
    mail.start()
    (code, text), _ = mx_transaction(mail, sender="x@nowhere.test")
    assert code == 550 and text.startswith("5.1.8"), text
    (code, text), _ = mx_transaction(mail, sender="x@nullmx.test")
    assert code == 550 and "null MX" in text, text
    (code, text), (rcode, _) = mx_transaction(mail, sender="x@aonly.test")
    assert code == 250 and rcode == 250, text
    (code, text), (rcode, _) = mx_transaction(mail, sender="x@remote.test")
    assert code == 250 and rcode == 250, text
    (code, text), (rcode, _) = mx_transaction(mail, sender="")  # bounces are not checked
    assert code == 250 and rcode == 250, text


# --- country filter ----------------------------------------------------------------------------

def test_denied_country_from_csv_is_refused(make_server):
    protection = '[protection.country]\ncsv = "{dir}/countries.csv"\ndeny = ["xx"]\n'
    mail = server_with(make_server, protection)
    (mail.dir / "countries.csv").write_text("first,last,country\n127.0.0.0,127.255.255.255,XX\n")
    mail.start()
    (code, text), _ = mx_transaction(mail)
    assert code == 554, text
    assert "(XX)" in text
    mail.wait_log("check country: XX")


def test_country_skip_list_and_allow_list(make_server):
    protection = '[protection.country]\ncsv = "{dir}/countries.csv"\nallow = ["DE"]\nskip = ["127.0.0.1"]\n'
    mail = server_with(make_server, protection)
    (mail.dir / "countries.csv").write_text("127.0.0.0,127.255.255.255,XX\n")
    mail.start()
    (code, text), (rcode, _) = mx_transaction(mail)
    assert code == 250 and rcode == 250, text


# A MaxMind DB (https://maxmind.github.io/MaxMind-DB/) with IPv4 prefixes → {"country": {"iso_code": CC}}.
def _mmdb_field(type_id, payload):
    size = len(payload)
    assert size < 29
    if type_id <= 7:
        return bytes([(type_id << 5) | size]) + payload
    return bytes([size, type_id - 7]) + payload


def _mmdb_str(s):
    return _mmdb_field(2, s.encode())


def _mmdb_uint(type_id, value, width):
    raw = value.to_bytes(width, "big").lstrip(b"\0")
    return _mmdb_field(type_id, raw)


def _mmdb_map(items):
    out = bytes([(7 << 5) | len(items)])
    for k, v in items:
        out += _mmdb_str(k) + v
    return out


def write_mmdb(path, prefixes):
    """prefixes: [("127.0.0.0", 8, "XX"), ...] → an IPv4 MaxMind DB file with 24-bit records."""
    data = b""
    offsets = {}
    for _, _, cc in prefixes:
        if cc not in offsets:
            offsets[cc] = len(data)
            data += _mmdb_map([("country", _mmdb_map([("iso_code", _mmdb_str(cc))]))])
    nodes = [[None, None]]  # children: node index, ("data", cc) or None
    for addr, length, cc in prefixes:
        bits = int.from_bytes(bytes(int(p) for p in addr.split(".")), "big")
        node = 0
        for depth in range(length):
            bit = (bits >> (31 - depth)) & 1
            if depth == length - 1:
                nodes[node][bit] = ("data", cc)
            else:
                if not isinstance(nodes[node][bit], int):
                    nodes.append([None, None])
                    nodes[node][bit] = len(nodes) - 1
                node = nodes[node][bit]
    count = len(nodes)
    tree = b""
    for left, right in nodes:
        for child in (left, right):
            if child is None:
                value = count
            elif isinstance(child, int):
                value = child
            else:
                value = count + 16 + offsets[child[1]]
            tree += value.to_bytes(3, "big")
    meta = _mmdb_map([
        ("node_count", _mmdb_uint(6, count, 4)),
        ("record_size", _mmdb_uint(5, 24, 2)),
        ("ip_version", _mmdb_uint(5, 4, 2)),
        ("database_type", _mmdb_str("Postern-Test-Country")),
        ("languages", _mmdb_field(11, b"")),
        ("binary_format_major_version", _mmdb_uint(5, 2, 2)),
        ("binary_format_minor_version", _mmdb_uint(5, 0, 2)),
        ("build_epoch", _mmdb_uint(9, int(time.time()), 8)),
        ("description", _mmdb_map([])),
    ])
    path.write_bytes(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta)


def test_denied_country_from_a_maxmind_database_is_refused(make_server):
    protection = '[protection.country]\ndatabase = "{dir}/country.mmdb"\ndeny = ["XX"]\n'
    mail = server_with(make_server, protection)
    write_mmdb(mail.dir / "country.mmdb", [("127.0.0.0", 8, "XX"), ("192.0.2.0", 24, "DE")])
    mail.start()
    mail.wait_log("country filter:")
    (code, text), _ = mx_transaction(mail)
    assert code == 554, text + mail.log_text()
    assert "(XX)" in text


def test_allowed_country_from_a_maxmind_database_passes(make_server):
    protection = '[protection.country]\ndatabase = "{dir}/country.mmdb"\nallow = ["XX"]\n'
    mail = server_with(make_server, protection)
    write_mmdb(mail.dir / "country.mmdb", [("127.0.0.0", 8, "XX")])
    mail.start()
    (code, text), (rcode, _) = mx_transaction(mail)
    assert code == 250 and rcode == 250, text + mail.log_text()


def test_bad_protection_config_is_refused_with_its_line(make_server):
    mail = server_with(make_server, "")
    text = mail.config.read_text()
    mail.config.write_text(text + '\n[protection.dnsbl]\n[[protection.dnsbl.zone]]\nzone = "bad zone!"\n')
    result = subprocess.run([str(POSTERND), "--check-config", str(mail.config)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0
    assert "protection.dnsbl.zone" in result.stdout + result.stderr, result.stdout + result.stderr


# --- automatic ban -----------------------------------------------------------------------------

AUTO_BAN = """
[protection.auto_ban]
max_protocol_errors = 2
window = "1m"
ban_time = "10m"
"""


def test_protocol_errors_ban_the_ip_across_services_until_unbanned(make_server):
    from harness import LineClient
    mail = server_with(make_server, AUTO_BAN, smtp_extra="max_bad_commands = 2")
    mail.start()

    def abusive_session():
        c = LineClient(mail.ports["smtp"], source="127.0.0.5")
        assert c.line().startswith("220 ")
        for _ in range(2):
            assert c.command("NONSENSE").startswith("500")
        assert c.command("NONSENSE").startswith("500")
        assert c.line().startswith("421")
        assert c.closed()

    abusive_session()
    c = LineClient(mail.ports["smtp"], source="127.0.0.5")  # one closed session is not enough
    assert c.line().startswith("220 ")
    c.close()
    abusive_session()
    mail.wait_log("auto-ban: [127.0.0.5] banned for 600 s")
    for port in ("smtp", "submission"):
        c = LineClient(mail.ports[port], source="127.0.0.5")
        assert c.line().startswith("554 5.7.1"), port
        assert c.closed()
    c = LineClient(mail.ports["smtp"], source="127.0.0.6")  # others are not affected
    assert c.line().startswith("220 ")
    c.close()
    bans = mail.ctl("auth", "bans", json_output=True)
    assert {"kind": "ip-protocol", "subject": "127.0.0.5"}.items() <= bans[0].items(), bans
    mail.ctl("auth", "unban", "127.0.0.5")
    c = LineClient(mail.ports["smtp"], source="127.0.0.5")
    assert c.line().startswith("220 ")
    c.close()


def test_auto_ban_can_be_switched_off(make_server):
    from harness import LineClient
    mail = server_with(make_server, "[protection.auto_ban]\nenabled = false\nmax_protocol_errors = 1\n",
                       smtp_extra="max_bad_commands = 1")
    mail.start()
    for _ in range(3):
        c = LineClient(mail.ports["smtp"], source="127.0.0.5")
        assert c.line().startswith("220 ")
        assert c.command("NONSENSE").startswith("500")
        assert c.command("NONSENSE").startswith("500")
        assert c.line().startswith("421")
        assert c.closed()
    c = LineClient(mail.ports["smtp"], source="127.0.0.5")
    assert c.line().startswith("220 ")
    c.close()


# --- address lists (PROCESSING) ----------------------------------------------------------------

def test_blacklisted_sender_is_refused_in_processing_and_whitelisted_marked(make_server):
    protection = '[protection.lists]\nblacklist = ["@spam.test"]\nwhitelist = ["friend@remote.test"]\n'
    mail = server_with(make_server, protection)
    mail.start()
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="client.remote.test", timeout=15) as s:
        body = "From: Spammer <x@spam.test>\r\nTo: alice@example.test\r\nSubject: buy\r\n\r\nHi.\r\n"
        assert s.sendmail("bounce@remote.test", ["alice@example.test"], body.encode()) == {}
        body = "From: Friend <friend@remote.test>\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHi.\r\n"
        assert s.sendmail("friend@remote.test", ["alice@example.test"], body.encode()) == {}
    mail.wait_log("Sender is on the server blacklist", timeout=30)
    wait_delivered(mail, 1)
    [raw] = mailbox(mail, "alice@example.test")
    text = raw.decode()
    assert "Subject: hi\r\n" in text
    assert "X-Postern-Address-List: whitelist server (friend@remote.test)\r\n" in text, text


def send(mail, sender, rcpts, from_header, subject):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="client.remote.test", timeout=15) as s:
        body = f"From: {from_header}\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\nHi.\r\n"
        assert s.sendmail(sender, rcpts, body.encode()) == {}


def test_posternctl_manages_address_lists_at_every_level(make_server):
    mail = server_with(make_server, '[protection.lists]\nblacklist = ["@spam.test"]\n')
    mail.start()
    mail.ctl("lists", "add", "Alice@Example.TEST", "blacklist", "@bulk.test")
    mail.ctl("lists", "add", "example.test", "whitelist", "Friend@Spam.test")
    mail.ctl("lists", "add", "server", "black", "*@*.junk.test")
    rows = mail.ctl("lists", "list", json_output=True)
    assert {"scope": "server", "list": "blacklist", "pattern": "@spam.test", "source": "config"} in rows, rows
    assert {"scope": "server", "list": "blacklist", "pattern": "*@*.junk.test", "source": "stored"} in rows
    assert {"scope": "alice@example.test", "list": "blacklist", "pattern": "@bulk.test", "source": "stored"} in rows
    assert {"scope": "example.test", "list": "whitelist", "pattern": "friend@spam.test", "source": "stored"} in rows
    assert mail.ctl("lists", "list", "alice@example.test", json_output=True) == [
        {"scope": "alice@example.test", "list": "blacklist", "pattern": "@bulk.test", "source": "stored"}]
    human = mail.ctl("lists", "list", "example.test").stdout
    assert "SCOPE" in human and "friend@spam.test" in human, human
    # Offline works beside the running daemon (SQLite WAL).
    offline = mail.ctl("lists", "list", "alice@example.test", json_output=True, offline=True)
    assert [r["pattern"] for r in offline] == ["@bulk.test"]
    # Mistakes are refused with the documented exit codes.
    assert mail.ctl("lists", "add", "nobody@example.test", "blacklist", "@x.test", check=False).returncode == 3
    assert mail.ctl("lists", "add", "nowhere.test", "blacklist", "@x.test", check=False).returncode == 3
    assert mail.ctl("lists", "add", "server", "greylist", "@x.test", check=False).returncode == 2
    assert mail.ctl("lists", "add", "server", "blacklist", "a b@x.test", check=False).returncode == 2
    assert mail.ctl("lists", "delete", "server", "blacklist", "@spam.test", check=False).returncode == 3

    # The account's blacklist refuses for alice only; the domain whitelist beats the server's
    # blacklist; the stored server blacklist refuses.
    send(mail, "news@bulk.test", ["alice@example.test", "bob@example.test"], "news@bulk.test", "bulk")
    mail.wait_log("Sender is on the account blacklist", timeout=30)
    send(mail, "friend@spam.test", ["alice@example.test"], "Friend <friend@spam.test>", "friend")
    send(mail, "x@a.junk.test", ["bob@example.test"], "x@a.junk.test", "junk")
    mail.wait_log("Sender is on the server blacklist", timeout=30)
    wait_delivered(mail, 2)
    mail.ctl("lists", "delete", "alice@example.test", "blacklist", "@bulk.test")
    assert mail.ctl("lists", "list", "alice@example.test", json_output=True) == []
    send(mail, "news@bulk.test", ["alice@example.test"], "news@bulk.test", "bulk again")
    wait_delivered(mail, 3)
    alice = [m.decode() for m in mailbox(mail, "alice@example.test")]
    subjects = sorted(line for m in alice for line in m.split("\r\n") if line.startswith("Subject:"))
    assert subjects == ["Subject: bulk again", "Subject: friend"], subjects
    [friend] = [m for m in alice if "Subject: friend" in m]
    assert "X-Postern-Address-List: whitelist domain (friend@spam.test)\r\n" in friend
    bob = [m.decode() for m in mailbox(mail, "bob@example.test")]
    assert len(bob) == 1 and "Subject: bulk\r\n" in bob[0]


def test_posternctl_lists_deletes_and_whitelists_greylist_entries(make_server):
    mail = server_with(make_server, '[protection.greylist]\ndelay = "1h"\nretry_window = "4h"\n')
    mail.start()
    _, (rcode, _) = mx_transaction(mail)
    assert rcode == 451
    _, (rcode, _) = mx_transaction(mail, sender="", rcpt="bob@example.test")
    assert rcode == 451
    listed = mail.ctl("greylist", "list", json_output=True)
    triplets = {(t["sender"], t["recipient"]): t for t in listed["triplets"]}
    assert set(triplets) == {("carol@remote.test", "alice@example.test"), ("<>", "bob@example.test")}, listed
    assert triplets[("carol@remote.test", "alice@example.test")]["state"] == "waiting"
    assert triplets[("carol@remote.test", "alice@example.test")]["network"] == "127.0.0.0/24"
    assert listed["networks"] == []
    assert len(mail.ctl("greylist", "list", "carol", json_output=True)["triplets"]) == 1
    human = mail.ctl("greylist", "list").stdout
    assert "NETWORK" in human and "127.0.0.0/24" in human and "waiting" in human, human

    # Whitelisting a waiting triplet lets the next attempt through at once (delay is 1 h).
    mail.ctl("greylist", "whitelist", "127.0.0.1", "carol@remote.test", "alice@example.test")
    _, (rcode, rtext) = mx_transaction(mail)
    assert rcode == 250, rtext
    mail.ctl("greylist", "whitelist", "127.0.0.0/24", "<>", "bob@example.test")
    _, (rcode, rtext) = mx_transaction(mail, sender="", rcpt="bob@example.test")
    assert rcode == 250, rtext
    passed = mail.ctl("greylist", "list", json_output=True)["triplets"]
    assert {t["state"] for t in passed} == {"passed"}, passed

    # Deleting one sender's triplet greylists it again; deleting the network forgets the rest.
    removed = mail.ctl("greylist", "delete", "127.0.0.9", "carol@remote.test", json_output=True)
    assert removed == {"network": "127.0.0.0/24", "removed": 1}
    _, (rcode, _) = mx_transaction(mail)
    assert rcode == 451
    # carol's new waiting triplet, the null sender's passed one and the network's pass count
    assert mail.ctl("greylist", "delete", "127.0.0.0/24", json_output=True)["removed"] == 3
    assert mail.ctl("greylist", "list", json_output=True) == {"triplets": [], "networks": []}
    assert mail.ctl("greylist", "delete", "127.0.0.0/24", check=False).returncode == 3
    assert mail.ctl("greylist", "delete", "127.0.0.0/8", check=False).returncode == 2
    assert mail.ctl("greylist", "delete", "not-an-ip", check=False).returncode == 2
    assert mail.ctl("greylist", "whitelist", "127.0.0.1", "a@b.test", check=False).returncode == 2
    # The address lists are off here: the commands still work on their database.
    assert mail.ctl("lists", "list", json_output=True) == []


# --- identity confirmation (PROCESSING) ---------------------------------------------------------

def send_raw(mail, sender, rcpts, headers):
    with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], local_hostname="client.remote.test", timeout=15) as s:
        body = "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\nHello.\r\n"
        assert s.sendmail(sender, rcpts, body.encode()) == {}


def subjects(messages):
    return sorted(line for m in messages for line in m.decode().split("\r\n") if line.startswith("Subject:"))


def test_identity_confirmation_holds_challenges_once_and_releases_on_reply(make_server):
    z = zones_with({
        "strict.test": {"ttl": 60, "TXT": ["v=spf1 ~all"]},  # softfail: accepted at MAIL, DMARC fails
        "_dmarc.strict.test": {"ttl": 60, "TXT": ["v=DMARC1; p=none"]},
    })
    z["soa"]["strict.test"] = {"ttl": 60, "minimum": 5}
    mail = server_with(make_server, "", dns_zones=z)
    mail.ctl("account", "set", "alice@example.test", "identity_confirmation=on", offline=True)
    mail.start()
    carol = ("From", "Carol <carol@remote.test>")
    send_raw(mail, "carol@remote.test", ["alice@example.test", "bob@example.test"],
             [carol, ("To", "alice@example.test"), ("Subject", "first")])
    send_raw(mail, "carol@remote.test", ["alice@example.test"], [carol, ("Subject", "second")])
    # Held without a challenge: a list, automatic mail, a sender whose DMARC check failed.
    send_raw(mail, "news@remote.test", ["alice@example.test"],
             [("From", "news@remote.test"), ("List-Id", "News <news.remote.test>"), ("Subject", "list")])
    send_raw(mail, "robot@remote.test", ["alice@example.test"],
             [("From", "robot@remote.test"), ("Auto-Submitted", "auto-generated"), ("Subject", "auto")])
    send_raw(mail, "x@strict.test", ["alice@example.test"], [("From", "x@strict.test"), ("Subject", "spoof")])
    mail.wait_log("<news@remote.test> not challenged (mailing list)", timeout=30)
    mail.wait_log("<robot@remote.test> not challenged (auto-submitted)", timeout=30)
    mail.wait_log("<x@strict.test> not challenged (SPF or DMARC failed)", timeout=30)
    wait_delivered(mail, 6)
    [(env_from, rcpts, raw)] = mail.sink.wait(1)  # one challenge, for carol's two messages
    challenge = raw.decode()
    assert rcpts == ["carol@remote.test"] and env_from in ("", "<>"), (env_from, rcpts)
    assert "Reply-To: <alice@example.test>\r\n" in challenge
    assert "Auto-Submitted: auto-replied\r\n" in challenge
    subject = next(line for line in challenge.split("\r\n") if line.startswith("Subject:"))
    token = subject.split("[confirm:")[1].rstrip("]")
    assert len(token) == 24, subject

    # Carol replies: she is confirmed, her held mail moves to INBOX, the reply is not stored.
    send_raw(mail, "carol@remote.test", ["alice@example.test"],
             [carol, ("Subject", "Re: " + subject[len("Subject: "):])])
    mail.wait_log("identity confirmation: <carol@remote.test> confirmed for <alice@example.test>, "
                  "2 held message(s) moved to INBOX", timeout=30)
    send_raw(mail, "carol@remote.test", ["alice@example.test"], [carol, ("Subject", "third")])
    wait_delivered(mail, 7)
    rows = mail.ctl("lists", "list", "alice@example.test", json_output=True)
    assert {"scope": "alice@example.test", "list": "whitelist", "pattern": "carol@remote.test",
            "source": "stored"} in rows, rows
    assert len(mail.sink.messages) == 1  # no second challenge
    inbox = mailbox(mail, "alice@example.test")
    assert subjects(inbox) == ["Subject: first", "Subject: second", "Subject: third"], subjects(inbox)
    held = mailbox(mail, "alice@example.test", "Unconfirmed")
    assert subjects(held) == ["Subject: auto", "Subject: list", "Subject: spoof"], subjects(held)
    assert all(b"X-Postern-Confirmation: " in m for m in held)
    bobs = mailbox(mail, "bob@example.test")
    assert subjects(bobs) == ["Subject: first"]  # bob did not turn it on
    # The token reaches only the challenged sender: held copies and other recipients' copies
    # carry a digest of it, which confirms nothing.
    assert not any(token.encode() in m for m in held + inbox + bobs)
