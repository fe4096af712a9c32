"""Real IMAP clients against the daemon: curl (list, fetch by UID, upload) and mbsync (isync)
syncing a maildir with a Postern account both ways."""
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from imapflow import PASSWORD, connect, make_imap_server, message, send_smtp
from mailflow import wait_delivered


@pytest.fixture
def imap(make_server):
    return make_imap_server(make_server)


def curl(server, url_path, *args, user="alice@example.test", port="imap"):
    cmd = ["curl", "-sS", "--max-time", "20", "-k", "--ssl-reqd", "-u", f"{user}:{PASSWORD}",
           f"imap://127.0.0.1:{server.ports[port]}/{url_path}", *args]
    out = subprocess.run(cmd, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_lists_fetches_and_uploads(imap, tmp_path):
    send_smtp(imap, subject="For curl", body="Fetched by curl.\r\n")
    wait_delivered(imap, 1)
    listing = curl(imap, "")
    assert b'"INBOX"' in listing or b" INBOX" in listing
    body = curl(imap, "INBOX;UID=1")
    assert b"Subject: For curl" in body and b"Fetched by curl." in body
    # Upload (APPEND) a file, then read it back.
    f = tmp_path / "up.eml"
    f.write_bytes(message("Uploaded by curl", body="Up.\r\n"))
    curl(imap, "INBOX", "-T", str(f))
    body = curl(imap, "INBOX;UID=2")
    assert b"Subject: Uploaded by curl" in body
    # Over implicit TLS too.
    cmd = ["curl", "-sS", "--max-time", "20", "-k", "-u", f"alice@example.test:{PASSWORD}",
           f"imaps://127.0.0.1:{imap.ports['imaps']}/INBOX;UID=1"]
    out = subprocess.run(cmd, capture_output=True, timeout=30)
    assert out.returncode == 0 and b"Fetched by curl." in out.stdout, out.stderr


MBSYNC_RC = """
IMAPAccount postern
Host localhost
Port {port}
User alice@example.test
Pass {password}
SSLType STARTTLS
CertificateFile {cert}

IMAPStore remote
Account postern

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel both
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
"""


def maildir_messages(path: Path):
    return sorted(p.read_bytes() for sub in ("cur", "new") for p in (path / sub).glob("*"))


@pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync (mbsync) not installed")
def test_mbsync_syncs_both_ways(imap, tmp_path):
    c = connect(imap)
    c.create("Projects")
    c.append("INBOX", None, None, message("On the server", body="From the server.\r\n"))
    c.append("Projects", "(\\Flagged)", None, message("Project plan", body="Plan.\r\n"))
    c.logout()
    maildir = tmp_path / "mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(MBSYNC_RC.format(port=imap.ports["imap"], password=PASSWORD, cert=imap.cert, maildir=maildir))

    def sync():
        out = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True, timeout=60)
        assert out.returncode == 0, (out.stdout + out.stderr).decode()

    sync()  # server -> local
    inbox = maildir_messages(maildir / "INBOX")
    assert len(inbox) == 1 and b"Subject: On the server" in inbox[0]
    projects = maildir_messages(maildir / "Projects")
    assert len(projects) == 1 and b"Subject: Project plan" in projects[0]
    # \Flagged travels as the maildir "F" flag (the file is in new/: it is \Recent).
    names = [p.name for sub in ("cur", "new") for p in (maildir / "Projects" / sub).glob("*")]
    assert len(names) == 1 and names[0].endswith(":2,F"), names

    # local -> server: a new message and a new folder made in the maildir.
    (maildir / "Notes" / "cur").mkdir(parents=True)
    (maildir / "Notes" / "new").mkdir()
    (maildir / "Notes" / "tmp").mkdir()
    (maildir / "Notes" / "new" / f"{int(time.time())}.1.local").write_bytes(message("Written locally", body="Local.\r\n"))
    (maildir / "INBOX" / "new" / f"{int(time.time())}.2.local").write_bytes(message("Also local", body="L2.\r\n"))
    sync()
    c = connect(imap)
    assert c.status("Notes", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 1)")
    assert c.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")
    c.select("Notes")
    typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: Written locally" in data[0][1]
    # A deletion on the server reaches the maildir on the next sync.
    c.select("INBOX")
    c.store("1", "+FLAGS", "\\Deleted")
    c.expunge()
    c.logout()
    sync()
    inbox = maildir_messages(maildir / "INBOX")
    assert len(inbox) == 1 and b"Subject: Also local" in inbox[0]
