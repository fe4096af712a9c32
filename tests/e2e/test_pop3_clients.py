"""Real POP3 clients against the daemon: fetchmail (keep with UIDL tracking, no-keep, STLS and
implicit TLS), curl (pop3 with STLS and pop3s: LIST and RETR) and getmail6 (keep, then delete)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mailflow import PASSWORD, wait_delivered
from imapflow import send_smtp
from pop3flow import connect, make_pop3_server


@pytest.fixture
def pop(make_server):
    server = make_pop3_server(make_server)
    for i in range(3):
        send_smtp(server, subject=f"Client message {i}", body=f"Body {i}.\r\n")
    wait_delivered(server, 3)
    return server


def remaining(server):
    client = connect(server, tls="implicit")
    count = client.stat()[0]
    client.quit()
    return count


def run(cmd, **kwargs):
    out = subprocess.run(cmd, capture_output=True, timeout=60, **kwargs)
    return out


def fetchmail(server, tmp_path, port, ssl, keep, name):
    out = tmp_path / f"{name}.mbox"
    rc = tmp_path / f"{name}.fetchmailrc"
    tls = "ssl" if ssl else 'sslproto "auto"'
    rc.write_text(
        f'poll 127.0.0.1 service {server.ports[port]} protocol pop3 uidl\n'
        f'  user "alice@example.test" password "{PASSWORD}" is "alice"\n'
        f'  {tls} sslcertck sslcertfile "{server.cert}" sslcommonname mail.example.test\n'
        f'  {"keep" if keep else "nokeep"} mda "/bin/sh -c \'cat >> {out}\'"\n')
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(tmp_path), FETCHMAILHOME=str(tmp_path))
    result = run(["fetchmail", "-f", str(rc), "-i", str(tmp_path / f"{name}.ids"), "--nodetach", "-v"],
                 env=env)
    text = out.read_bytes() if out.exists() else b""
    return result, text


@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail not installed")
def test_fetchmail_keep_then_nokeep(pop, tmp_path):
    # keep, over STLS on 110's role: all three, and the UIDL list makes the second run fetch nothing
    result, text = fetchmail(pop, tmp_path, "pop3", ssl=False, keep=True, name="keep")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert text.count(b"Subject: Client message") == 3
    assert b"STLS" in result.stderr or b"STLS" in result.stdout
    result, text = fetchmail(pop, tmp_path, "pop3", ssl=False, keep=True, name="keep")
    assert result.returncode == 1, result.stdout.decode() + result.stderr.decode()  # 1: no new mail
    assert text.count(b"Subject: Client message") == 3
    assert remaining(pop) == 3
    # nokeep over implicit TLS: fetched and deleted
    result, text = fetchmail(pop, tmp_path, "pop3s", ssl=True, keep=False, name="nokeep")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert text.count(b"Subject: Client message") == 3
    assert remaining(pop) == 0


def curl(server, scheme, port, path=""):
    cmd = ["curl", "-sS", "--max-time", "20", "--cacert", str(server.cert), "-u", f"alice@example.test:{PASSWORD}",
           f"{scheme}://localhost:{server.ports[port]}/{path}"]
    if scheme == "pop3":
        cmd.insert(1, "--ssl-reqd")
    out = run(cmd)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_list_and_retr(pop):
    for scheme, port in (("pop3", "pop3"), ("pop3s", "pop3s")):
        listing = [l.split() for l in curl(pop, scheme, port).decode().split("\r\n") if l]
        assert [n for n, _ in listing] == ["1", "2", "3"]
        body = curl(pop, scheme, port, "2")
        assert b"Subject: Client message " in body and len(body) == int(listing[1][1])
    assert remaining(pop) == 3


@pytest.mark.skipif(shutil.which("getmail") is None, reason="getmail6 not installed")
def test_getmail6_keep_then_delete(pop, tmp_path):
    mbox = tmp_path / "mbox"
    mbox.write_text("")
    gdir = tmp_path / "getmail"
    gdir.mkdir()

    def getmail(delete, read_all=False):
        rc = gdir / "getmailrc"
        rc.write_text(
            "[retriever]\ntype = SimplePOP3SSLRetriever\nserver = localhost\n"
            f"port = {pop.ports['pop3s']}\nusername = alice@example.test\npassword = {PASSWORD}\n"
            f"ca_certs = {pop.cert}\n\n"
            # MDA_external: the tests run as root, where getmail's mbox/maildir writers refuse
            f"[destination]\ntype = MDA_external\npath = /bin/sh\narguments = (\"-c\", \"cat >> {mbox}\")\n"
            "allow_root_commands = true\n\n"
            f"[options]\nread_all = {'true' if read_all else 'false'}\ndelete = {'true' if delete else 'false'}\n"
            "verbose = 2\n")
        result = run(["getmail", "--getmaildir", str(gdir), "--rcfile", "getmailrc"])
        assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
        return result.stdout.decode()

    getmail(delete=False)
    assert mbox.read_bytes().count(b"Subject: Client message") == 3
    assert remaining(pop) == 3
    getmail(delete=False)  # read_all = false: the UIDLs are remembered, nothing new
    assert mbox.read_bytes().count(b"Subject: Client message") == 3
    send_smtp(pop, subject="Client message 3", body="Body 3.\r\n")
    wait_delivered(pop, 4)
    getmail(delete=False)  # only the new one
    assert mbox.read_bytes().count(b"Subject: Client message") == 4
    getmail(delete=True, read_all=True)  # everything again, and deleted
    assert mbox.read_bytes().count(b"Subject: Client message") == 8
    assert remaining(pop) == 0
