"""posternctl storage check / report / repair / compact / delete against the real daemon and
offline: mail goes in over SMTP (SMTP-IN → queue → processing → store), then the tools look
at, damage-detect, rebuild and compact what the store holds on disk."""
import json
import smtplib
import subprocess
from email import policy
from email.message import EmailMessage
from pathlib import Path

from harness import BUILD, wait_for

PASSWORD = "Correct-Horse-9"
STORE_DUMP = BUILD / "tests" / "tools" / "store_dump"

CONFIG = """
[server]
hostname = "mx.example.test"
data_dir = "{dir}/data"
shutdown_grace = "3s"

[log]
level = 31
directory = "{dir}/log"

[auth]
argon2_memory_kib = 8192
argon2_iterations = 1

[storage]
compression = false
checkpoint_interval = "100ms"
compact_io_rate = "64M"
{storage_extra}

[services.smtp]
enabled = true

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
"""

# Bodies in their own message store directory, as on a second disk.
OWN_STORE = """
[[storage.message_store]]
path = "disk1/postern"        # relative to the configuration file
max_file_size = "64M"
"""


def start(make_server, storage_extra="", start_now=True):
    def setup(server):
        server.ctl("domain", "add", "example.test", offline=True)
        server.ctl("domain", "add", "other.test", offline=True)
        for user in ("alice@example.test", "bob@example.test", "carol@other.test"):
            server.ctl("account", "add", user, "--password", PASSWORD, offline=True)

    return make_server(CONFIG, ports=("smtp",), extra={"storage_extra": storage_extra}, setup=setup,
                       start=start_now)


def send(server, recipients, subject, body):
    msg = EmailMessage()
    msg["From"] = "sender@elsewhere.test"
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        assert s.sendmail("sender@elsewhere.test", recipients, msg.as_bytes(policy=policy.SMTP)) == {}


def delivered(server):
    return server.log_text().count("delivered to <")


def wait_delivered(server, count, timeout=30):
    wait_for(lambda: delivered(server) >= count, timeout=timeout, what=f"{count} local deliveries")


def report(server, *args, offline=False):
    return server.ctl("storage", "report", *args, json_output=True, offline=offline)


def by_account(rep):
    return {a["account"]: a for a in rep["accounts"]}


def account_id(server, address, offline=False):
    """The store's key of an account: its numeric directory id, as the report shows it."""
    return by_account(report(server, offline=offline))[address]["account_id"]


def wait_messages(server, address, count):
    """The index is checkpointed in the background; the report reads it."""
    wait_for(lambda: by_account(report(server)).get(address, {}).get("messages", 0) >= count,
             what=f"{count} messages for {address} in the storage report")


def test_report_check_and_corruption_of_one_account(make_server):
    server = start(make_server, OWN_STORE)
    send(server, ["alice@example.test", "bob@example.test", "carol@other.test"], "to all",
         "one body, three mailboxes\n" * 200)
    for i in range(3):
        send(server, ["alice@example.test"], f"alice {i}", f"alice message {i}\n" * 100)
    send(server, ["carol@other.test"], "for carol", "CAROL-ONLY-MARKER-7f3a " * 50 + "\n")
    wait_delivered(server, 7)
    wait_messages(server, "carol@other.test", 2)
    wait_messages(server, "alice@example.test", 4)

    rep = report(server)
    accounts = by_account(rep)
    assert accounts["alice@example.test"]["messages"] == 4
    assert accounts["bob@example.test"]["messages"] == 1
    assert accounts["carol@other.test"]["messages"] == 2
    assert accounts["carol@other.test"]["domain"] == "other.test"
    assert accounts["alice@example.test"]["account_id"].isdigit()
    assert len({a["account_id"] for a in accounts.values()}) == 3
    domains = {d["domain"]: d for d in rep["domains"]}
    assert domains["example.test"]["accounts"] == 2 and domains["example.test"]["messages"] == 5
    assert domains["other.test"]["accounts"] == 1 and domains["other.test"]["messages"] == 2
    assert rep["messages"] == 7
    # The message to three recipients is stored once: two copies saved.
    assert rep["dedup_savings"] >= 2 * len("one body, three mailboxes\n" * 200)
    # [storage] message_store is where the bodies went.
    [store] = rep["stores"]
    assert store["path"] == str(server.dir / "disk1" / "postern")
    assert store["bodies"] == 5 and store["references"] == 7
    containers = sorted((server.dir / "disk1" / "postern" / "containers").glob("*.pcf"))
    assert containers

    only = report(server, "--domain", "other.test")
    assert [a["account"] for a in only["accounts"]] == ["carol@other.test"]
    assert [d["domain"] for d in only["domains"]] == ["other.test"]
    human = server.ctl("storage", "report", "--domain", "other.test").stdout
    assert "carol@other.test" in human and "alice@example.test" not in human
    assert server.ctl("storage", "report", "--domain", "nosuch.test", check=False).returncode == 3

    check = server.ctl("storage", "check", json_output=True)
    assert check["clean"] and check["errors"] == 0 and check["messages"] == 7
    assert server.ctl("storage", "check").returncode == 0

    # One flipped byte in carol's own message: check names her, her mailbox and the UID.
    marker = b"CAROL-ONLY-MARKER-7f3a"
    hits = [(c, c.read_bytes().find(marker)) for c in containers]
    [(container, offset)] = [(c, o) for c, o in hits if o >= 0]
    with open(container, "r+b") as f:
        f.seek(offset + 3)
        f.write(b"X")
    damaged = server.ctl("storage", "check", check=False)
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert "corrupt_body" in damaged.stdout and "carol@other.test" in damaged.stdout
    detail = json.loads(server.ctl("--json", "storage", "check", check=False).stdout)
    assert not detail["clean"]
    [issue] = [i for i in detail["issues"] if i["kind"] == "corrupt_body"]
    assert issue["account"] == "carol@other.test" and issue["severity"] == "error"
    assert issue["mailbox"] == "INBOX" and issue["uid"] in (1, 2)  # deliveries may run in parallel

    # The daemon keeps serving everyone else.
    worker = server.worker_pid()
    send(server, ["alice@example.test"], "after the damage", "still fine\n")
    wait_delivered(server, 8)
    wait_messages(server, "alice@example.test", 5)
    assert server.worker_pid() == worker and server.process.poll() is None
    assert server.ctl("storage", "check", "--account", "alice@example.test", json_output=True)["clean"]
    assert server.ctl("storage", "check", "--account", "nobody@example.test", check=False).returncode == 3


def corrupt_index(server, ident):
    [index] = list((server.dir / "data" / "store" / "accounts").glob(f"*/{ident}/index.db"))
    for extra in ("-wal", "-shm"):
        Path(str(index) + extra).unlink(missing_ok=True)
    with open(index, "r+b") as f:
        f.write(b"this is not an SQLite database at all " * 200)
    return index


def test_offline_repair_rebuilds_a_corrupted_index(make_server):
    server = start(make_server)
    for i in range(4):
        send(server, ["alice@example.test"], f"keep me {i}", f"message number {i}\n" * 50)
    send(server, ["bob@example.test"], "bob's", "bob keeps his\n")
    wait_delivered(server, 5)
    wait_messages(server, "alice@example.test", 4)
    ident = account_id(server, "alice@example.test")
    assert server.stop() == 0

    corrupt_index(server, ident)
    damaged = server.ctl("--json", "storage", "check", offline=True, check=False)
    assert damaged.returncode == 1
    issues = json.loads(damaged.stdout)["issues"]
    assert any(i["kind"] == "index_unreadable" and i["account"] == "alice@example.test" for i in issues), issues

    repaired = server.ctl("storage", "repair", "alice@example.test", json_output=True, offline=True)
    assert repaired["messages_recovered"] == 4 and repaired["messages_unreadable"] == 0
    assert repaired["old_index"]  # kept aside for inspection
    assert repaired["flags_lost"] == 4 and "without their flags" in repaired["warning"]
    human = server.ctl("storage", "repair", "bob@example.test", offline=True).stdout
    assert "messages_recovered: 1" in human

    assert server.ctl("storage", "check", json_output=True, offline=True)["clean"]
    assert by_account(report(server, offline=True))["alice@example.test"]["messages"] == 4
    dump = subprocess.run([str(STORE_DUMP), str(server.dir / "data"), ident], capture_output=True, text=True,
                          timeout=60, check=True)
    bodies = [m["raw"] for m in json.loads(dump.stdout)]
    assert sorted(b.count("message number") for b in bodies) == [50] * 4
    assert all(f"keep me {i}" in "".join(bodies) for i in range(4))

    # The daemon starts on the rebuilt index and delivers into it.
    server.start()
    assert by_account(report(server))["alice@example.test"]["messages"] == 4
    send(server, ["alice@example.test"], "after repair", "new\n")
    wait_messages(server, "alice@example.test", 5)

    # Online, with the account idle, repair keeps what the healthy index still says: no flag lost.
    def try_repair():
        result = server.ctl("storage", "repair", "alice@example.test", json_output=True, check=False)
        return result if isinstance(result, dict) else None  # busy while a delivery holds it

    online = wait_for(try_repair, what="online repair (the account idle)")
    assert online["messages_recovered"] == 5 and online["flags_lost"] == 0 and "warning" not in online
    assert server.ctl("storage", "check", "--account", "alice@example.test", json_output=True)["clean"]


def test_compact_after_delete_reclaims_space_online(make_server):
    server = start(make_server)
    # Bob's bodies first, Alice's after: deleting Bob leaves holes below Alice's records.
    for i in range(12):
        send(server, ["bob@example.test"], f"bob {i}", (f"bob bulk {i} " * 2000) + "\n")
    for i in range(3):
        send(server, ["alice@example.test"], f"alice {i}", f"alice stays {i}\n" * 300)
    wait_delivered(server, 15)
    wait_messages(server, "alice@example.test", 3)
    wait_messages(server, "bob@example.test", 12)

    deleted = server.ctl("storage", "delete", "bob@example.test", json_output=True)
    assert deleted["deleted"]
    rep = report(server)
    assert "bob@example.test" not in by_account(rep)
    [before] = rep["stores"]
    assert before["bodies"] == 3
    assert before["free_bytes"] >= 12 * 20000  # Bob's bodies became holes below Alice's

    compacted = server.ctl("storage", "compact", "--io-rate", "16M", json_output=True)
    assert compacted["records_moved"] >= 1, compacted
    assert compacted["bytes_released"] > 12 * 20000, compacted
    [after] = report(server)["stores"]
    assert after["file_bytes"] < before["file_bytes"]
    assert after["file_bytes"] <= before["file_bytes"] - compacted["bytes_released"] + 4096
    assert server.ctl("storage", "check", json_output=True)["clean"]

    # Delivery goes on after compaction, and every moved message reads back intact.
    send(server, ["alice@example.test"], "after compaction", "new\n")
    wait_messages(server, "alice@example.test", 4)
    ident = account_id(server, "alice@example.test")
    assert server.stop() == 0
    dump = subprocess.run([str(STORE_DUMP), str(server.dir / "data"), ident], capture_output=True, text=True,
                          timeout=60, check=True)
    bodies = [m["raw"] for m in json.loads(dump.stdout)]
    for i in range(3):
        assert any(b.count(f"alice stays {i}\r\n") == 300 for b in bodies), i
    assert any("after compaction" in b for b in bodies)


def test_storage_commands_need_the_store_and_valid_arguments(make_server):
    server = start(make_server)
    assert server.ctl("storage", "repair", "nobody@example.test", check=False).returncode == 3
    assert server.ctl("storage", "compact", "--io-rate", "fast", check=False).returncode == 2
    assert server.ctl("storage", "delete", "alice@example.test", check=False).returncode == 3  # nothing stored yet
    # A [storage] error names the file and line; the daemon refuses to start with it.
    bad = server.dir / "bad.toml"
    bad.write_text(server.config.read_text().replace('compression = false', 'compression = false\nmax_files = 0'))
    out = server.ctl("config", "check", str(bad), check=False)
    assert out.returncode == 2 and "bad.toml:" in out.stderr and "storage.max_files" in out.stderr


def test_reload_adds_a_message_store_without_restart(make_server):
    server = start(make_server)
    send(server, ["alice@example.test"], "first", "in the default store\n")
    wait_messages(server, "alice@example.test", 1)
    [default] = report(server)["stores"]
    assert default["path"].endswith("/store/stores/default")

    # A second disk appears in the configuration; the default store, which holds mail, stays.
    second = server.dir / "disk2" / "postern"
    server.config.write_text(server.config.read_text() + f'\n[[storage.message_store]]\npath = "{second}"\n')
    server.reload()
    server.wait_log(f"message store {second} added")
    stores = {s["path"]: s for s in report(server)["stores"]}
    assert set(stores) == {default["path"], str(second)}

    # New bodies go to the store with the most free space: the new, empty one.
    send(server, ["alice@example.test"], "second", "in the new store\n")
    wait_messages(server, "alice@example.test", 2)
    stores = {s["path"]: s for s in report(server)["stores"]}
    assert stores[str(second)]["bodies"] == 1 and stores[default["path"]]["bodies"] == 1

    # After a restart both stores are opened again from the configuration.
    assert server.stop() == 0
    server.start()
    assert by_account(report(server))["alice@example.test"]["messages"] == 2
    assert server.ctl("storage", "check", json_output=True)["clean"]


RESERVED_STORE = """
[[storage.message_store]]
path = "shared"

[[storage.message_store]]
path = "other-only"
domains = ["other.test"]
max_file_size = "1G"     # more free space than "shared": other.test's mail prefers it
"""


def test_store_reserved_for_a_domain_takes_only_that_domain(make_server):
    server = start(make_server, RESERVED_STORE)
    for i in range(3):
        send(server, ["alice@example.test"], f"alice {i}", f"for example.test {i}\n")
        send(server, ["carol@other.test"], f"carol {i}", f"for other.test {i}\n")
    wait_messages(server, "alice@example.test", 3)
    wait_messages(server, "carol@other.test", 3)
    stores = {Path(s["path"]).name: s for s in report(server)["stores"]}
    assert stores["other-only"]["bodies"] == 3 and stores["other-only"]["references"] == 3
    assert stores["shared"]["bodies"] == 3
    assert server.ctl("storage", "check", json_output=True)["clean"]
