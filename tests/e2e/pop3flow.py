"""Shared set-up for the POP3 tests: the mail-flow server (SMTP, test DNS, remote sink, alice and bob at
example.test) plus IMAP (to watch what POP3 does) and POP3 on a STARTTLS port and an implicit-TLS
port, and logged-in poplib clients."""
import poplib

from harness import client_tls_context
from imapflow import IMAP_CONFIG, PORTS as IMAP_PORTS
from mailflow import PASSWORD, make_mail_server

POP3_CONFIG = IMAP_CONFIG + """
[services.pop3]
enabled = true
{pop3_extra}

[[services.pop3.listener]]
address = "127.0.0.1:{pop3}"
tls = "starttls"

[[services.pop3.listener]]
address = "127.0.0.1:{pop3s}"
tls = "implicit"
"""

PORTS = IMAP_PORTS + ("pop3", "pop3s")

# poplib refuses replies longer than this; the tests send overlong lines on purpose.
poplib._MAXLINE = 1 << 20


def make_pop3_server(make_server, pop3_extra="", imap_extra="", extra=None, **kwargs):
    values = {"pop3_extra": pop3_extra, "imap_extra": imap_extra}
    values.update(extra or {})
    return make_mail_server(make_server, extra=values, config=POP3_CONFIG, ports=PORTS, **kwargs)


def connect(server, user="alice", tls="starttls", login=True, password=PASSWORD):
    """A poplib client: STLS on the pop3 port (default), implicit TLS on pop3s, or plain."""
    if tls == "implicit":
        client = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], context=client_tls_context(None), timeout=10)
    else:
        client = poplib.POP3("127.0.0.1", server.ports["pop3"], timeout=10)
        if tls == "starttls":
            client.stls(context=client_tls_context(None))
    if login:
        client.user(f"{user}@example.test" if "@" not in user else user)
        client.pass_(password)
    return client
