"""Shared set-up for the IMAP tests: the mail-flow server (SMTP, test DNS, remote sink, alice and bob
at example.test) plus IMAP on a STARTTLS port and an implicit-TLS port, and logged-in imaplib
clients."""
import imaplib
import smtplib
import ssl

from harness import client_tls_context
from mailflow import CONFIG, PASSWORD, make_mail_server

IMAP_CONFIG = CONFIG + """
[services.imap]
enabled = true
{imap_extra}

[[services.imap.listener]]
address = "127.0.0.1:{imap}"
tls = "starttls"

[[services.imap.listener]]
address = "127.0.0.1:{imaps}"
tls = "implicit"
"""

PORTS = ("smtp", "submission", "smtps", "imap", "imaps")

# Commands this imaplib does not know, so tests can send them with _simple_command.
for _name in ("ID", "IDLE", "UNAUTHENTICATE", "GETMETADATA", "SETMETADATA", "ESEARCH", "REPLACE"):
    imaplib.Commands.setdefault(_name, ("NONAUTH", "AUTH", "SELECTED"))


def make_imap_server(make_server, imap_extra="", extra=None, **kwargs):
    values = {"imap_extra": imap_extra}
    values.update(extra or {})
    return make_mail_server(make_server, extra=values, config=IMAP_CONFIG, ports=PORTS, **kwargs)


def tls_context():
    return client_tls_context(None)


def connect(server, user="alice", tls="starttls", login=True):
    """An imaplib client: STARTTLS on the imap port (default) or implicit TLS on imaps."""
    if tls == "implicit":
        client = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=tls_context(), timeout=10)
    else:
        client = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=10)
        if tls == "starttls":
            client.starttls(ssl_context=tls_context())
    if login:
        client.login(f"{user}@example.test", PASSWORD)
    return client


def message(subject="Hello", body="Hi there.\r\n", sender="carol@remote.test", to="alice@example.test",
            extra_headers=""):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{abs(hash((subject, body)))}@remote.test>\r\n{extra_headers}\r\n{body}").encode()


def send_smtp(server, to="alice@example.test", subject="By SMTP", body="Delivered over SMTP.\r\n"):
    """Delivers one message through SMTP-IN (port 25 role), so it travels the real mail flow."""
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=10) as s:
        s.ehlo("client.remote.test")
        s.starttls(context=tls_context())
        s.ehlo("client.remote.test")
        s.sendmail("carol@remote.test", [to], message(subject=subject, body=body, to=to))


def unverified():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx
