"""posternctl queue: list with filters, show, hold/release, retry, delete and bounce against the
running daemon (and offline), on messages that SMTP-IN really queued and SMTP-OUT really failed
to deliver: the MX of remote.test answers from the test DNS server and points at a closed port.
A [[queue.delay_rule]] holds mail for held.test, which also checks that [queue] reaches the queue."""
import re
from datetime import datetime
import smtplib
from pathlib import Path

import pytest

from dns_server import start_dns_server
from harness import free_port, wait_for

CONFIG = """
[server]
hostname = "mail.example.test"
data_dir = "{dir}/data"
shutdown_grace = "2s"

[log]
level = 31
directory = "{dir}/log"

[dns]
nameservers = ["127.0.0.1:{dns}"]
timeout = "1s"
tries = 1

[delivery]
port = {closed}
connect_timeout = "2s"

[queue]
maintenance_interval = "1s"

[queue.retry]
first = "1h"
max_interval = "2h"

[queue.destination]
failure_threshold = 0

[queue.dsn]
failure_subject = "Returned by the queue test"

[[queue.delay_rule]]
name = "night batch"
recipient_domain = "held.test"
hold_for = "1h"

[services.smtp]
enabled = true
relay_networks = ["127.0.0.1/32"]

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
"""

ZONES = {
    "soa": {"remote.test": {"minimum": 60}, "held.test": {"minimum": 60}},
    "names": {
        "remote.test": {"MX": [[10, "mx.remote.test"]]},
        "held.test": {"MX": [[10, "mx.remote.test"]]},
        "mx.remote.test": {"A": ["127.0.0.1"]},
    },
}

QUEUE_ID = re.compile(r"\b([0-9A-HJKMNP-TV-Z]{14})\b")


@pytest.fixture
def dns():
    server = start_dns_server(ZONES)
    port, stop = server
    yield port
    stop()


@pytest.fixture
def server(make_server, dns):
    def setup(s):
        s.ctl("domain", "add", "example.test", offline=True)
        s.ctl("account", "add", "alice@example.test", "--password", "Correct-Horse-9", offline=True)

    return make_server(CONFIG, ports=("smtp",), extra={"dns": dns, "closed": free_port()}, setup=setup)


def send(server, sender, recipient, body_size=200, subject="queue test"):
    """Sends one message over SMTP; returns the queue id from the 250 reply."""
    filler = ("x" * 70 + "\r\n") * (body_size // 72 + 1)
    message = (f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n"
               f"Message-ID: <{free_port()}@example.test>\r\n\r\n{filler}")
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as c:
        c.ehlo("client.example.test")
        assert c.mail(sender)[0] == 250
        assert c.rcpt(recipient)[0] == 250
        code, reply = c.data(message.encode())
        assert code == 250, reply
    found = QUEUE_ID.search(reply.decode())
    assert found, reply
    return found.group(1)


def listing(server, *filters, offline=False):
    return server.ctl("queue", "list", *filters, json_output=True, offline=offline)


def settle(server, condition, what, timeout=30):
    """wait_for, but a timeout shows the queue and the end of the log."""
    try:
        return wait_for(condition, timeout=timeout, interval=0.3, what=what)
    except AssertionError as e:
        rows = server.ctl("queue", "list", check=False).stdout
        raise AssertionError(f"{e}\nqueue:\n{rows}\nlog:\n" + "\n".join(
            [l for l in server.log_text().splitlines() if "ADMIN:" not in l][-80:]))


def ids(rows):
    return {row["id"] for row in rows}


def show(server, qid, offline=False):
    return server.ctl("queue", "show", qid, json_output=True, offline=offline)


def test_queue_admin_round_trip(server):
    small = send(server, "alice@example.test", "bob@remote.test")
    big = send(server, "alice@example.test", "carol@remote.test", body_size=20_000)
    stranger = send(server, "someone@elsewhere.test", "dan@remote.test")
    held = send(server, "alice@example.test", "night@held.test")

    # SMTP-OUT tried the three remote ones once: connection refused, retried in an hour.
    failing = {small, big, stranger}
    settle(server, lambda: ids(listing(server, "--status", "send_failure")) == failing,
           "three messages in send_failure")
    detail = show(server, small)
    assert detail["state"] == "send_failure"
    assert detail["sender"] == "alice@example.test"
    assert detail["client_ip"] == "127.0.0.1"
    [rcpt] = detail["recipients"]
    assert rcpt["address"] == "bob@remote.test"
    assert rcpt["state"] == "deferred" and rcpt["lane"] == "remote"
    assert rcpt["destination"] == "remote.test"
    assert rcpt["attempts"] == 1
    assert rcpt["next_attempt"] and rcpt["last_error"]
    # [queue.retry] first = "1h": the next attempt is an hour after the first.
    tried, due = (datetime.fromisoformat(rcpt[k].replace("Z", "+00:00")) for k in ("last_attempt", "next_attempt"))
    assert abs((due - tried).total_seconds() - 3600) <= 1
    error_word = "refused" if "refused" in rcpt["last_error"].lower() else rcpt["last_error"].split()[-1]

    # The delay rule from [queue] held the fourth.
    held_detail = show(server, held)
    assert held_detail["state"] == "held"
    assert held_detail["hold_reason"] == "rule night batch"
    assert held_detail["hold_until"]

    # Filters.
    everything = listing(server)
    assert ids(everything) == failing | {held}
    assert ids(listing(server, "--sender", "alice@*")) == {small, big, held}
    assert ids(listing(server, "--sender", "*@ELSEWHERE.test")) == {stranger}
    assert ids(listing(server, "--recipient", "*@held.test")) == {held}
    assert ids(listing(server, "--status", "held")) == {held}
    assert ids(listing(server, "--min-size", "10K")) == {big}
    assert ids(listing(server, "--max-size", "10K")) == {small, stranger, held}
    assert ids(listing(server, "--reason", error_word)) == failing
    assert ids(listing(server, "--reason", "night batch")) == {held}
    assert listing(server, "--older-than", "1h") == []
    assert ids(listing(server, "--newer-than", "1h")) == failing | {held}
    assert len(listing(server, "--limit", "2")) == 2
    assert ids(listing(server, "--sender", "alice@*", "--min-size", "10K", "--status", "send_failure")) == {big}
    row = next(r for r in everything if r["id"] == big)
    assert row["size"] > 20_000 and row["recipients"] == ["carol@remote.test"] and row["attempts"] == 1

    # Human output: a table with the ids.
    table = server.ctl("queue", "list").stdout
    assert table.splitlines()[0].split()[:4] == ["ID", "STATE", "AGE", "SIZE"]
    assert small in table and "send_failure" in table
    human = server.ctl("queue", "show", small).stdout
    assert "bob@remote.test" in human and "deferred" in human

    # Errors: exit codes by kind.
    assert server.ctl("queue", "list", "--status", "stuck", check=False).returncode == 2
    assert server.ctl("queue", "show", "not-an-id", check=False).returncode == 2
    assert server.ctl("queue", "show", "00000000000000", check=False).returncode == 3
    assert server.ctl("queue", "retry", check=False).returncode == 2

    # Hold and release by hand.
    server.ctl("queue", "hold", small, "--reason", "looking into it")
    assert show(server, small)["state"] == "held"
    assert ids(listing(server, "--status", "held")) == {small, held}
    assert ids(listing(server, "--reason", "looking into")) == {small}
    server.ctl("queue", "release", small)
    assert show(server, small)["state"] == "send_failure"

    # Releasing the rule-held message lets it be processed and tried now.
    server.ctl("queue", "release", held)
    settle(server, lambda: show(server, held)["recipients"][0]["attempts"] == 1, "released message tried")
    assert show(server, held)["state"] == "send_failure"

    # Retry one: it is tried again now instead of in an hour.
    server.ctl("queue", "retry", small)
    settle(server, lambda: show(server, small)["recipients"][0]["attempts"] == 2, "second attempt")
    # Retry all.
    retried = server.ctl("queue", "retry", "--all", json_output=True)
    assert set(retried["retried"]) == failing | {held}
    settle(server, lambda: all(show(server, q)["recipients"][0]["attempts"] >= 2 for q in (big, stranger, held)),
           "every message tried again")
    # Flush a destination.
    flushed = server.ctl("queue", "retry", "--destination", "Remote.TEST", json_output=True)
    assert flushed["flushed"] == "remote.test"

    # Delete: gone, no notification.
    server.ctl("queue", "delete", stranger)
    assert server.ctl("queue", "show", stranger, check=False).returncode == 3
    server.wait_log(f"QUEUE:{stranger}: deleted by the administrator")
    assert server.ctl("queue", "delete", stranger, check=False).returncode == 3

    # Bounce: an NDR goes back to alice (local), then the message leaves the queue.
    server.ctl("queue", "bounce", big, "--reason", "too big for the partner")
    server.wait_log(f"QUEUE:{big}: bounced by the administrator: too big for the partner")
    server.wait_log(f"QUEUE:{big}: failure notification for")
    line = next(l for l in server.log_text().splitlines() if f"QUEUE:{big}: failure notification for" in l)
    dsn = QUEUE_ID.search(line.split("queued as", 1)[1]).group(1)
    server.wait_log(f"QUEUE:{dsn}: to=<alice@example.test>", timeout=30)
    delivered = next(l for l in server.log_text().splitlines() if f"QUEUE:{dsn}: to=<alice@example.test>" in l)
    assert "delivered" in delivered, delivered
    settle(server, lambda: server.ctl("queue", "show", big, check=False).returncode == 3, "bounced message removed")
    assert ids(listing(server)) == {small, held}

    counts = settle(server, lambda: (lambda c: c["by_state"] == {"send_failure": 2} and c)(
        server.ctl("queue", "counts", json_output=True)), "two messages waiting for their retry")
    assert counts["messages"] == 2 and counts["recipients"] == 2

    # Offline, with the daemon stopped: the same spool, the same answers.
    server.stop()
    assert ids(listing(server, offline=True)) == {small, held}
    assert show(server, small, offline=True)["recipients"][0]["attempts"] >= 2
    server.ctl("queue", "hold", held, "--for", "2h", offline=True)
    assert show(server, held, offline=True)["state"] == "held"
    server.ctl("queue", "delete", small, offline=True)
    assert ids(listing(server, offline=True)) == {held}
    # An offline bounce queues the NDR (written with [queue.dsn]'s subject) for the next start.
    server.ctl("queue", "bounce", held, offline=True)
    [ndr] = listing(server, "--sender", "<>", offline=True)
    assert ndr["recipients"] == ["alice@example.test"] and ndr["state"] == "received"
    assert ids(listing(server, offline=True)) == {ndr["id"]}
    body = Path(show(server, ndr["id"], offline=True)["body_path"]).read_text(errors="replace")
    assert "Subject: Returned by the queue test" in body
    assert "From: Mail Delivery System <MAILER-DAEMON@mail.example.test>" in body
    assert "night@held.test" in body and "Action: failed" in body
