"""A tiny reference server for Postern's socket filter protocol (docs/socket-filter.md).

Run it by hand (`python3 socket_filter_server.py 127.0.0.1:10030`) or start it from a test with
SocketFilterServer(port).start(). Its policy is a demo: a body containing "REJECT-ME" is
rejected, "DISCARD-ME" discarded, "TEMPFAIL-ME" deferred; otherwise the message passes with an
X-Socket-Filter field and a Spam-Score of 1 per occurrence of "viagra" out of 5.
"""
import socketserver
import sys
import threading

VERSION = b"POSTERN-FILTER/1"
MAX_LINE = 4096
MAX_FIELDS = 1000


class ProtocolError(Exception):
    pass


def read_request(rfile):
    """Returns (verb, fields as a list of (name, value), message bytes)."""
    first = rfile.readline(MAX_LINE + 2)
    if not first.endswith(b"\r\n"):
        raise ProtocolError("no request line")
    parts = first.rstrip(b"\r\n").split(b" ")
    if len(parts) != 2 or parts[0] != VERSION:
        raise ProtocolError("bad request line")
    verb = parts[1].decode("ascii", "replace")
    fields = []
    while True:
        line = rfile.readline(MAX_LINE + 2)
        if not line.endswith(b"\n"):
            raise ProtocolError("line too long or connection closed")
        line = line.rstrip(b"\r\n")
        if not line:
            break
        if len(fields) >= MAX_FIELDS:
            raise ProtocolError("too many fields")
        name, _, value = line.partition(b":")
        fields.append((name.decode("ascii", "replace"), value.strip().decode("utf-8", "replace")))
    message = b""
    if verb == "SCAN":
        size = int(dict(fields).get("Size", "0"))
        message = rfile.read(size)
        if len(message) != size:
            raise ProtocolError("message cut short")
    return verb, fields, message


def decide(fields, message):
    """The demo policy: (status line after the version, list of field lines)."""
    if b"REJECT-ME" in message:
        return "REJECT 5.7.1 rejected by the reference socket filter", []
    if b"DISCARD-ME" in message:
        return "DISCARD demo discard", []
    if b"TEMPFAIL-ME" in message:
        return "TEMPFAIL 4.7.0 try again later", []
    rcpts = [v for n, v in fields if n.lower() == "rcpt"]
    score = message.lower().count(b"viagra")
    return "PASS", [f"Add-Header: X-Socket-Filter: seen {len(rcpts)} recipient(s)",
                    f"Spam-Score: {score:.1f} / 5.0"]


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            verb, fields, message = read_request(self.rfile)
        except (ProtocolError, ValueError):
            return  # close without a reply: the client treats it as a failure
        self.server.requests.append((verb, fields, message))
        if verb == "PING":
            reply = VERSION + b" PONG\r\n\r\n"
        else:
            status, lines = decide(fields, message)
            reply = VERSION + b" " + status.encode() + b"\r\n"
            reply += b"".join(line.encode() + b"\r\n" for line in lines) + b"\r\n"
        self.wfile.write(reply)


class SocketFilterServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port, host="127.0.0.1"):
        super().__init__((host, port), Handler)
        self.requests = []
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


if __name__ == "__main__":
    host, _, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:10030").rpartition(":")
    SocketFilterServer(int(port), host or "127.0.0.1").serve_forever()
