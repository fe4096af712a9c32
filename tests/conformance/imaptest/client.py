"""A minimal IMAP client connection for the runner: TCP, implicit TLS or STARTTLS; reads whole
responses (literals included) and sends commands whose literals are synchronizing or not,
depending on what the server advertises (LITERAL+, or LITERAL- up to 4096 bytes)."""
import re
import socket
import ssl

import imapargs

LITERAL_AT_END = re.compile(rb"(~?)\{(\d+)\}\r\n")


class ConnectionClosed(Exception):
    """The server closed the connection."""


class Timeout(Exception):
    """No (complete) response within the time limit."""


class Response:
    """One server response: kind is 'untagged', 'tagged' or 'continuation'; tag (bytes) for a
    tagged one; args the parsed arguments after the tag or '*'; raw the bytes as received."""

    def __init__(self, kind, tag, args, raw):
        self.kind = kind
        self.tag = tag
        self.args = args
        self.raw = raw

    def text(self, limit=300):
        shown = self.raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
        return shown if len(shown) <= limit else shown[:limit] + "..."


class Endpoint:
    """Where and how to connect: host, port, tls ('none', 'implicit', 'starttls'), cafile."""

    def __init__(self, host, port, tls="none", cafile=None, timeout=10.0, sync_literals=False):
        self.host = host
        self.port = port
        self.tls = tls
        self.cafile = cafile
        self.timeout = timeout
        self.sync_literals = sync_literals

    def tls_context(self):
        ctx = ssl.create_default_context(cafile=self.cafile)
        if not self.cafile:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx


class Connection:
    """One IMAP session. `capabilities` holds the most recent capability list seen (greeting,
    CAPABILITY response or [CAPABILITY] response code), upper-cased."""

    def __init__(self, endpoint, number):
        self.endpoint = endpoint
        self.number = number
        self.tag_counter = 1
        self.buffer = b""
        self.capabilities = set()
        self.closed = False
        self.seen_bye = False
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout)
        if endpoint.tls == "implicit":
            sock = endpoint.tls_context().wrap_socket(sock, server_hostname=endpoint.host)
        self.sock = sock
        self.greeting = self.read_response()
        self.note_capabilities(self.greeting)
        if endpoint.tls == "starttls":
            self.simple(b"STARTTLS")
            self.buffer = b""
            self.sock = endpoint.tls_context().wrap_socket(self.sock, server_hostname=endpoint.host)
            self.capabilities = set()

    # --- output ---
    def next_tag(self):
        tag = b"%d.%d" % (self.number, self.tag_counter)
        self.tag_counter += 1
        return tag

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as err:
            self.closed = True
            raise ConnectionClosed(f"send failed: {err}") from None

    def literal_nonsync(self, size):
        """May a literal of `size` bytes be sent without waiting for '+'?"""
        if self.endpoint.sync_literals:
            return False
        if "LITERAL+" in self.capabilities:
            return True
        return "LITERAL-" in self.capabilities and size <= 4096

    def command_chunks(self, tag, text):
        """Split `tag text` into what to send: bytes chunks, with None wherever the server's
        '+' continuation must be awaited (synchronizing literal)."""
        chunks = []
        data = tag + b" " + text
        pos = 0
        out = bytearray()
        while True:
            match = LITERAL_AT_END.search(data, pos)
            if not match:
                break
            size = int(match.group(2))
            out += data[pos:match.start()]
            if self.literal_nonsync(size):
                out += match.group(1) + b"{%d+}\r\n" % size
            else:
                out += match.group(1) + b"{%d}\r\n" % size
                chunks.append(bytes(out))
                chunks.append(None)
                out = bytearray()
            out += data[match.end():match.end() + size]
            pos = match.end() + size
        out += data[pos:] + b"\r\n"
        chunks.append(bytes(out))
        return chunks

    # --- input ---
    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise Timeout("no response from the server") from None
        except (ConnectionResetError, ssl.SSLError, OSError) as err:
            self.closed = True
            raise ConnectionClosed(str(err)) from None
        if not chunk:
            self.closed = True
            raise ConnectionClosed("connection closed by the server")
        self.buffer += chunk

    def _read_line(self, start):
        while True:
            end = self.buffer.find(b"\n", start)
            if end >= 0:
                return end + 1
            start = len(self.buffer)
            self._fill()

    def read_response(self):
        """The next complete response (literals included)."""
        end = self._read_line(0)
        while True:
            try:
                return self._parse(self.buffer[:end], end)
            except imapargs.NeedMore as more:
                target = end + more.missing
                while len(self.buffer) < target:
                    self._fill()
                end = self._read_line(target - 1)

    def _parse(self, raw, end):
        if raw.startswith(b"+"):
            self.buffer = self.buffer[end:]
            return Response("continuation", None, [], raw)
        tag, _, rest = raw.partition(b" ")
        try:
            args = imapargs.parse_response_body(rest)
        except imapargs.ParseError as err:
            self.buffer = self.buffer[end:]
            raise ProtocolError(f"cannot parse server response {raw[:200]!r}: {err}") from None
        self.buffer = self.buffer[end:]
        if tag == b"*":
            response = Response("untagged", None, args, raw)
            if args and args[0].is_atom("BYE"):
                self.seen_bye = True
            self.note_capabilities(response)
            return response
        response = Response("tagged", tag, args, raw)
        self.note_capabilities(response)
        return response

    def note_capabilities(self, response):
        args = response.args
        if not args or args[0].kind != imapargs.ATOM:
            return
        if args[0].is_atom("CAPABILITY"):
            self.capabilities = {a.value.decode(errors="replace").upper() for a in args[1:] if a.is_astring()}
        elif len(args) > 1 and args[1].kind == imapargs.ATOM and args[1].value.upper().startswith(b"[CAPABILITY"):
            caps = []
            for a in args[2:]:
                if not a.is_astring():
                    break
                value = a.value
                last = value.endswith(b"]")
                caps.append(value.rstrip(b"]"))
                if last:
                    break
            self.capabilities = {c.decode(errors="replace").upper() for c in caps if c}

    # --- helpers for set-up commands ---
    def simple(self, text, untagged=None):
        """Send one command, wait for its tagged reply; returns (status, untagged responses).
        Raises ProtocolError if the reply is not OK."""
        status, responses = self.run(text)
        if status != b"OK":
            raise ProtocolError(f"{text.decode(errors='replace')[:80]} failed: {responses[-1].text()}")
        return status, responses

    def run(self, text):
        """Send one command (literals handled), read until its tagged reply. Returns
        (status upper-cased, all responses read, the tagged one last)."""
        tag = self.next_tag()
        chunks = self.command_chunks(tag, text)
        responses = []
        for chunk in chunks:
            if chunk is not None:
                self.send(chunk)
                continue
            while True:
                response = self.read_response()
                responses.append(response)
                if response.kind == "continuation":
                    break
                if response.kind == "tagged" and response.tag == tag:
                    return _status(response), responses
        while True:
            response = self.read_response()
            responses.append(response)
            if response.kind == "tagged" and response.tag == tag:
                return _status(response), responses

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


class ProtocolError(Exception):
    """A set-up command failed or the server sent something unparsable."""


def _status(response):
    if response.args and response.args[0].kind == imapargs.ATOM:
        return response.args[0].value.upper()
    return b""
