"""Durability under load: SMTP clients keep sending while the worker is killed with SIGKILL
several times. Every message that got a 250 must end up in the mailbox (once; SMTP's own
semantics allow a duplicate only when a crash falls between delivery and the queue's record
of it, and we count those)."""
import os
import shutil
import signal
import smtplib
import threading
import time

from harness import wait_for
from mailflow import make_mail_server, mailbox

SENDERS = 4
KILLS = 4


def test_kill_nine_under_load_loses_no_acknowledged_message(make_server):
    mail = make_mail_server(make_server)
    acked, lock, stop = set(), threading.Lock(), threading.Event()
    counter = iter(range(1_000_000))

    def sender(n):
        while not stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", mail.ports["smtp"], timeout=10) as s:
                    s.ehlo("load.test")
                    while not stop.is_set():
                        tag = f"m{n}-{next(counter)}"
                        body = (f"From: load@elsewhere.test\r\nTo: alice@example.test\r\nSubject: {tag}\r\n"
                                f"Message-ID: <{tag}@load.test>\r\n\r\n" + "payload line\r\n" * 600).encode()
                        s.sendmail("load@elsewhere.test", ["alice@example.test"], body)
                        with lock:
                            acked.add(tag)
            except (OSError, smtplib.SMTPException):
                time.sleep(0.1)  # the worker died under us: that message was not acknowledged

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for t in threads:
        t.start()
    try:
        for _ in range(KILLS):
            time.sleep(2.5)
            pid = mail.worker_pid()
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: mail.worker_pid() not in (None, pid) and mail.accepts(mail.ports["smtp"]),
                     timeout=30, what="a new worker")
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(acked) > 50, "the load did not get going"
    # Let processing catch up (log lines written just before a kill may be lost, so ask the queue).
    wait_for(lambda: mail.ctl("queue", "counts", json_output=True)["messages"] == 0, timeout=120,
             interval=0.5, what="an empty queue")
    time.sleep(2)
    subjects = []
    for raw in mailbox(mail, "alice@example.test"):
        for line in raw.split(b"\r\n"):
            if line.startswith(b"Subject: "):
                subjects.append(line[9:].decode())
                break
    missing = acked - set(subjects)
    duplicates = len(subjects) - len(set(subjects))
    print(f"acknowledged {len(acked)}, delivered {len(set(subjects))} distinct, {duplicates} duplicates, "
          f"{len(set(subjects) - acked)} delivered without an acknowledgement (killed after the dot)")
    assert not missing, f"{len(missing)} acknowledged messages lost: {sorted(missing)[:10]}"
    assert duplicates <= KILLS * SENDERS  # at most the messages in flight at each kill
