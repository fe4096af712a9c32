"""A test milter for the e2e tests, built on Debian's python3-milter (pymilter), i.e. on the real
libmilter: the protocol side is Sendmail's own implementation, only the decisions are ours.
No packaged milter can add/delete recipients, change the sender or replace the body on demand,
so this one does, steered by the message:

- MAIL FROM <tempfail@...>: TEMPFAIL at MAIL;  RCPT TO <refused@...>: 550 5.7.1 at RCPT
- header "X-Test-Action: reject": 554 5.7.0 at the end of the message
- "X-Test-Action: discard": DISCARD;  "X-Test-Action: quarantine": QUARANTINE
- "X-Test-Action: modify": ADDHEADER, INSHEADER (top), CHGHEADER (Subject; delete X-Remove-Me),
  ADDRCPT (added@<domain of the first recipient>), DELRCPT (the second recipient), CHGFROM
  (changed@sender.test), REPLBODY ("replaced body")
- "X-Test-Action: slow": does not answer the end of the message for 30 s (timeouts)

Every callback appends one JSON line (event, arguments, the macros it saw) to `events.log`.

Run: python3 milter_server.py PORT DIR"""
import json
import sys
import time

import Milter

MACROS = {
    "connect": ["j", "{daemon_name}", "{client_addr}", "{client_name}", "_"],
    "helo": ["{tls_version}", "{cipher}"],
    "envfrom": ["{mail_addr}", "{auth_authen}", "{auth_type}"],
    "envrcpt": ["{rcpt_addr}"],
    "eom": ["i"],
}


class TestMilter(Milter.Base):
    log_path = None

    def __init__(self):
        self.action = None
        self.rcpts = []

    def record(self, event, *args):
        macros = {m: self.getsymval(m) for m in MACROS.get(event, [])}
        with open(self.log_path, "a") as f:
            f.write(json.dumps({"event": event, "args": [str(a) for a in args], "macros": macros}) + "\n")

    def connect(self, hostname, family, hostaddr):
        self.record("connect", hostname, hostaddr[0] if hostaddr else "")
        return Milter.CONTINUE

    def hello(self, name):
        self.record("helo", name)
        return Milter.CONTINUE

    def envfrom(self, sender, *params):
        self.action = None
        self.rcpts = []
        self.record("envfrom", sender, *params)
        if sender.lower().startswith("<tempfail@"):
            return Milter.TEMPFAIL
        return Milter.CONTINUE

    def envrcpt(self, rcpt, *params):
        self.record("envrcpt", rcpt, *params)
        if rcpt.lower().startswith("<refused@"):
            self.setreply("550", "5.7.1", "recipient refused by the test milter")
            return Milter.REJECT
        self.rcpts.append(rcpt)
        return Milter.CONTINUE

    def header(self, name, value):
        self.record("header", name, value)
        if name.lower() == "x-test-action":
            self.action = value.strip().lower()
        return Milter.CONTINUE

    def eoh(self):
        self.record("eoh")
        return Milter.CONTINUE

    def body(self, chunk):
        self.record("body", len(chunk))
        return Milter.CONTINUE

    def eom(self):
        self.record("eom", self.action or "")
        if self.action == "reject":
            self.setreply("554", "5.7.0", "message refused by the test milter")
            return Milter.REJECT
        if self.action == "discard":
            return Milter.DISCARD
        if self.action == "quarantine":
            self.quarantine("held by the test milter")
            return Milter.ACCEPT
        if self.action == "slow":
            time.sleep(30)
            return Milter.ACCEPT
        if self.action == "modify":
            self.addheader("X-Milter-Added", "yes")
            self.addheader("X-Milter-Top", "first", 0)  # idx 0: INSHEADER at the top
            self.chgheader("Subject", 1, "changed by milter")
            self.chgheader("X-Remove-Me", 1, "")
            domain = self.rcpts[0].strip("<>").split("@")[1] if self.rcpts else "example.test"
            self.addrcpt(f"<added@{domain}>")
            if len(self.rcpts) > 1:
                self.delrcpt(self.rcpts[1])
            self.chgfrom("<changed@sender.test>")
            self.replacebody(b"replaced body\r\n")
        return Milter.ACCEPT

    def abort(self):
        self.record("abort")
        return Milter.CONTINUE

    def close(self):
        return Milter.CONTINUE


def main():
    port, directory = sys.argv[1], sys.argv[2]
    TestMilter.log_path = f"{directory}/events.log"
    Milter.factory = TestMilter
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.CHGBODY | Milter.ADDRCPT |
                     Milter.DELRCPT | Milter.CHGFROM | Milter.QUARANTINE)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    Milter.runmilter("posterntest", f"inet:{port}@127.0.0.1", timeout=60)


if __name__ == "__main__":
    main()
