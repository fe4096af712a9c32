"""posternctl round trips, offline and against the running daemon, and authentication
through the daemon (SMTP AUTH PLAIN on a real SMTP-IN session)."""
import base64
import crypt
import json
import os
import subprocess
import time

import pytest

from harness import LineClient, POSTERNCTL, wait_for

CONFIG = """
[server]
hostname = "mail.example.test"
data_dir = "{dir}/data"
shutdown_grace = "2s"

[log]
level = 31
directory = "{dir}/log"

[auth]
ip_max_failures = 4
account_max_failures = 100
ban_time = "10m"
argon2_memory_kib = 8192
argon2_iterations = 1

[services.smtp]
enabled = true
allow_plaintext_auth = true
max_auth_failures = 10

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
"""

OK = "235 2.7.0 Authentication successful"
FAILED = "535 5.7.8 Authentication credentials invalid"  # whatever the reason


@pytest.fixture
def server(make_server):
    def setup(s):
        s.ctl("domain", "add", "example.test", offline=True)
        s.ctl("account", "add", "alice@example.test", "--password", "Correct-Horse-9", offline=True)
    return make_server(CONFIG, setup=setup)


def login(server, user, password, source=None):
    """SMTP AUTH PLAIN in a new session; returns the server's reply."""
    c = LineClient(server.ports["smtp"], source=source)
    assert c.line().startswith("220 ")
    c.ehlo()
    credentials = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    reply = c.command(f"AUTH PLAIN {credentials}")
    c.close()
    return reply


def logged_in_as(server, address):
    """The session logs the account it authenticated, in its canonical form."""
    server.wait_log(f"authenticated as {address} (PLAIN)")
    return True


def test_offline_domain_and_account_round_trip(make_server):
    s = make_server(CONFIG, start=False)
    assert s.ctl("domain", "add", "example.test", offline=True).returncode == 0
    out = s.ctl("--json", "domain", "list", offline=True).stdout
    assert [d["name"] for d in json.loads(out)] == ["example.test"]
    added = s.ctl("--json", "account", "add", "bob@Example.TEST", "--generate", offline=True)
    info = json.loads(added.stdout)
    assert info["address"] == "bob@example.test"
    assert len(info["generated_password"]) >= 10
    listing = s.ctl("account", "list", "example.test", offline=True).stdout
    assert "bob@example.test" in listing and "ARGON2ID" in listing
    # Errors: clear message, non-zero exit code by kind.
    dup = s.ctl("domain", "add", "example.test", offline=True, check=False)
    assert dup.returncode == 4 and "already" in dup.stderr
    missing = s.ctl("account", "show", "nobody@example.test", offline=True, check=False)
    assert missing.returncode == 3
    weak = s.ctl("account", "add", "carol@example.test", "--password", "short", offline=True, check=False)
    assert weak.returncode == 2 and "at least 10" in weak.stderr
    bad = s.ctl("domain", "add", "not a domain!", offline=True, check=False)
    assert bad.returncode == 2
    # Remove.
    assert s.ctl("account", "remove", "bob@example.test", offline=True).returncode == 0
    assert s.ctl("domain", "remove", "example.test", offline=True).returncode == 0


def test_settings_inherit_server_domain_class_account(make_server):
    s = make_server(CONFIG, start=False)
    s.ctl("domain", "add", "example.test", offline=True)
    s.ctl("class", "add", "example.test", "staff", offline=True)
    s.ctl("account", "add", "dan@example.test", "--generate", offline=True)
    s.ctl("account", "class", "dan@example.test", "staff", offline=True)

    def effective(key):
        rows = s.ctl("--json", "account", "show", "dan@example.test", offline=True).stdout
        return next(r for r in json.loads(rows)["settings"] if r["key"] == key)

    assert effective("quota") == {"key": "quota", "value": "0", "from": "default"}
    s.ctl("server", "set", "quota=1G", offline=True)
    assert effective("quota")["from"] == "server"
    s.ctl("domain", "set", "example.test", "quota=2G", offline=True)
    assert effective("quota") == {"key": "quota", "value": str(2 << 30), "from": "domain"}
    s.ctl("class", "set", "example.test", "staff", "quota=3G", offline=True)
    assert effective("quota")["from"] == "class"
    s.ctl("account", "set", "dan@example.test", "quota=512M", offline=True)
    assert effective("quota") == {"key": "quota", "value": str(512 << 20), "from": "account"}
    s.ctl("account", "unset", "dan@example.test", "quota", offline=True)
    assert effective("quota")["from"] == "class"
    bad = s.ctl("account", "set", "dan@example.test", "quota=lots", offline=True, check=False)
    assert bad.returncode == 2
    unknown = s.ctl("account", "set", "dan@example.test", "colour=blue", offline=True, check=False)
    assert unknown.returncode == 2


def test_aliases_groups_forwarders_and_resolve(make_server):
    s = make_server(CONFIG, start=False)
    s.ctl("domain", "add", "example.test", offline=True)
    s.ctl("account", "add", "erin@example.test", "--generate", offline=True)
    s.ctl("account", "add", "finn@example.test", "--generate", offline=True)
    s.ctl("alias", "add", "sales@example.test", "erin@example.test", offline=True)
    s.ctl("group", "add", "team@example.test", "erin@example.test", "finn@example.test", "ext@else.test", offline=True)
    s.ctl("forwarder", "add", "fw@example.test", "finn@example.test", offline=True)
    s.ctl("domain", "alias", "add", "example.org", "example.test", offline=True)

    def resolve(address):
        return json.loads(s.ctl("--json", "resolve", address, offline=True).stdout)

    assert resolve("sales@example.test")["account"] == "erin@example.test"
    assert resolve("erin@example.org")["account"] == "erin@example.test"
    team = resolve("team@example.test")
    assert team["kind"] == "group"
    assert {r["address"] for r in team["recipients"]} == {"erin@example.test", "finn@example.test", "ext@else.test"}
    assert resolve("nobody@example.test")["kind"] == "unknown-user"
    assert resolve("x@elsewhere.test")["kind"] == "not-local"
    assert resolve("fw@example.test")["recipients"][0]["address"] == "finn@example.test"


def test_domain_rename_keeps_every_account(server):
    assert login(server, "alice@example.test", "Correct-Horse-9") == OK
    server.ctl("domain", "rename", "example.test", "example.net")
    assert login(server, "alice@example.net", "Correct-Horse-9") == OK
    assert logged_in_as(server, "alice@example.net")
    assert login(server, "alice@example.test", "Correct-Horse-9") == FAILED
    assert "alice@example.net" in server.ctl("account", "list").stdout


def test_login_logout_password_change_takes_effect_at_once(server):
    assert login(server, "alice@example.test", "Correct-Horse-9") == OK
    assert logged_in_as(server, "alice@example.test")
    server.ctl("account", "passwd", "alice@example.test", "--password", "Battery-Staple-7")
    # The old password no longer works even though it was just cached.
    assert login(server, "alice@example.test", "Correct-Horse-9") == FAILED
    assert login(server, "alice@example.test", "Battery-Staple-7") == OK
    server.ctl("account", "disable", "alice@example.test")
    assert login(server, "alice@example.test", "Battery-Staple-7") == FAILED


def test_unknown_user_and_wrong_password_look_the_same(server):
    assert login(server, "nobody@example.test", "x") == login(server, "alice@example.test", "wrong")


def test_migrated_hash_logs_in_and_is_upgraded(server):
    sha512 = "{SHA512-CRYPT}" + crypt.crypt("Old-Secret-1", "$6$saltsalt$")
    server.ctl("account", "add", "gus@example.test", "--hash", sha512)
    assert json.loads(server.ctl("--json", "account", "show", "gus@example.test").stdout)["password_scheme"] == "SHA512-CRYPT"
    assert login(server, "gus@example.test", "Old-Secret-1") == OK
    wait_for(lambda: json.loads(server.ctl("--json", "account", "show", "gus@example.test").stdout)["password_scheme"]
             == "ARGON2ID", what="hash upgrade")
    assert login(server, "gus@example.test", "Old-Secret-1") == OK


def test_failed_logins_ban_the_ip_until_unbanned(server):
    for _ in range(4):
        assert login(server, "alice@example.test", "wrong", source="127.0.0.7") == FAILED
    # Banned: even the right password fails, with the same answer.
    assert login(server, "alice@example.test", "Correct-Horse-9", source="127.0.0.7") == FAILED
    assert login(server, "alice@example.test", "Correct-Horse-9", source="127.0.0.8") == OK
    bans = json.loads(server.ctl("--json", "auth", "bans").stdout)
    assert any(b["subject"] == "127.0.0.7" for b in bans)
    server.ctl("auth", "unban", "127.0.0.7")
    assert login(server, "alice@example.test", "Correct-Horse-9", source="127.0.0.7") == OK
    assert server.ctl("auth", "unban", "127.0.0.99", check=False).returncode == 3


def test_services_start_stop_restart(server):
    listing = json.loads(server.ctl("--json", "service", "list").stdout)
    running = {s["name"]: s["running"] for s in listing}
    assert running["smtp"] is True and running["lmtp"] is False
    assert "test" not in running  # the old built-in test responder is gone
    server.ctl("service", "stop", "smtp")
    wait_for(lambda: not server.accepts(server.ports["smtp"]), what="smtp service stopped")
    server.ctl("service", "start", "smtp")
    wait_for(lambda: server.accepts(server.ports["smtp"]), what="smtp service started")
    server.ctl("service", "restart", "smtp")
    wait_for(lambda: server.accepts(server.ports["smtp"]), what="smtp service restarted")
    assert login(server, "alice@example.test", "Correct-Horse-9") == OK
    assert server.ctl("service", "stop", "nope", check=False).returncode == 3
    status = json.loads(server.ctl("--json", "status").stdout)
    assert status["pid"] == server.worker_pid()
    assert status["supervisor_pid"] == server.process.pid


def test_log_level_is_written_to_the_file_and_applied(server):
    def helo(name):
        c = LineClient(server.ports["smtp"])
        assert c.line().startswith("220 ")
        assert c.command(f"HELO {name}").startswith("250 ")
        c.close()

    helo("marker-before-level-change.test")  # level 31: protocol lines are logged
    server.wait_log("<< HELO marker-before-level-change.test")
    server.ctl("log", "level", "smtp", "8")
    assert "log_level = 8" in server.config.read_text()
    server.wait_log("configuration reloaded")
    helo("marker-after-level-change.test")
    time.sleep(1.5)  # the writer flushes within a second; the line must not appear at level 8
    assert "marker-after-level-change" not in server.log_text()
    assert server.ctl("log", "level", "smtp", "99", check=False).returncode == 2
    assert server.ctl("log", "level", "nosuch", "8", check=False).returncode == 3


def test_config_check_and_reload(server):
    assert server.ctl("config", "check").returncode == 0
    server.ctl("config", "reload")
    server.wait_log("configuration reloaded")
    bad = server.dir / "bad.toml"
    bad.write_text("[server]\nhostnam = 1\n")
    result = server.ctl("config", "check", str(bad), check=False)
    assert result.returncode == 2 and "bad.toml:2: server.hostnam: unknown key" in result.stderr


def test_daemon_not_running_is_a_clear_error(make_server):
    s = make_server(CONFIG, start=False)
    result = s.ctl("status", check=False)
    assert result.returncode == 6
    assert "not running" in result.stderr and "--offline" in result.stderr


def test_csv_import_with_plain_hashed_and_bad_rows(server):
    sha256 = "{SHA256-CRYPT}" + crypt.crypt("Imported-Pass-2", "$5$abcdefgh$")
    rows = ["address,password,quota"]
    rows += [f"user{i}@example.test,Plain-Password-{i:04d},100M" for i in range(200)]
    rows += [f"hashed@example.test,{sha256},", "broken-address,Whatever-123,", "user7@example.test,Dup-Password-1,",
             '"quoted@example.test","Pass,With,Commas-1",1G', "short@example.test,short,"]
    csv = server.dir / "accounts.csv"
    csv.write_text("\n".join(rows) + "\n")
    report = json.loads(server.ctl("--json", "account", "import", str(csv)).stdout)
    assert report["imported"] == 202
    errors = {e["line"]: e["message"] for e in report["errors"]}
    assert len(errors) == 3  # bad address, duplicate, weak password; each with its line
    assert 203 in errors and 204 in errors and 206 in errors
    assert login(server, "user42@example.test", "Plain-Password-0042") == OK
    assert login(server, "hashed@example.test", "Imported-Pass-2") == OK
    assert login(server, "quoted@example.test", "Pass,With,Commas-1") == OK
    shown = json.loads(server.ctl("--json", "account", "show", "user1@example.test").stdout)
    assert next(s for s in shown["settings"] if s["key"] == "quota")["from"] == "account"
