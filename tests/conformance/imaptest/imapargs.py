"""IMAP argument lists, parsed the way imaptest's Dovecot parser reads them.

Both sides of a comparison go through this module: the expected lines of a script
(`* 1 fetch (uid $uid1)`) and what the server sends. The rules follow Dovecot's
lib-imap parser with the flags imaptest uses (ATOM_ALLCHARS, LITERAL8, LITERAL_TYPE,
MULTILINE_STR):

- an atom runs until a space or a line break, and inside a list also until ')';
  any other character ('[', ']', '{', '"', even '(' after the first character) is part
  of the atom, so `body[header.fields (from)]` is the atom `body[header.fields`, the list
  `(from)` and the atom `]` on both sides;
- `NIL` (any case) is NIL; quoted strings lose their backslash escapes;
- `{n}` / `{n+}` / `~{n}` followed by a line break and n bytes is a literal.

Everything is bytes: literals may hold 8-bit data, and imaptest compares case-insensitively
in ASCII only (bytes.upper() does the same).
"""

ATOM = "atom"
STRING = "string"
LITERAL = "literal"
NIL = "nil"
LIST = "list"


class Arg:
    """One IMAP argument: kind is ATOM, STRING, LITERAL, NIL or LIST; value is bytes or a list of Arg."""

    __slots__ = ("kind", "value", "implicit")

    def __init__(self, kind, value, implicit=False):
        self.kind = kind
        self.value = value
        self.implicit = implicit  # a default directive added by the script parser

    def is_astring(self):
        return self.kind in (ATOM, STRING, LITERAL)

    def is_atom(self, text=None):
        """True for an atom; with `text`, only for that atom (case-insensitive)."""
        if self.kind != ATOM:
            return False
        if text is None:
            return True
        if isinstance(text, str):
            text = text.encode()
        return self.value.upper() == text.upper()

    def __repr__(self):
        return f"Arg({self.kind}, {self.value!r})"


class ParseError(Exception):
    """The input is not a valid IMAP argument list."""


class NeedMore(Exception):
    """The input ends inside a literal: `missing` more bytes (at least) are needed."""

    def __init__(self, missing):
        super().__init__(f"{missing} more bytes needed")
        self.missing = missing


def atom(value):
    return Arg(ATOM, value)


class _Parser:
    """Parses one line (with embedded literals) into a list of Arg."""

    def __init__(self, data, need_eol=False):
        self.data = data
        self.pos = 0
        self.need_eol = need_eol

    def parse_line(self, text_after_status=False):
        """Arguments up to the end of the line. With `text_after_status`, an OK/NO/BAD/BYE
        first argument is followed by an optional [resp-text-code] (parsed) and free text
        (split at spaces into atoms), as a server sends it."""
        root = []
        stack = [root]
        while True:
            self._skip_spaces()
            if len(stack) == 1 and text_after_status and len(root) >= 1 and self._resp_text_point(root):
                self._read_text(root)
                return root
            if self.pos >= len(self.data) and self.need_eol:
                raise NeedMore(1)
            if self.pos >= len(self.data) or self.data[self.pos] in b"\r\n":
                if len(stack) > 1:
                    raise ParseError("missing ')'")
                return root
            ch = self.data[self.pos]
            cur = stack[-1]
            if ch == ord("("):
                sub = []
                cur.append(Arg(LIST, sub))
                stack.append(sub)
                self.pos += 1
            elif ch == ord(")"):
                if len(stack) == 1:
                    raise ParseError("unexpected ')'")
                stack.pop()
                self.pos += 1
            elif ch == ord('"'):
                cur.append(self._read_string())
            elif ch == ord("{") or (ch == ord("~") and self.data[self.pos + 1:self.pos + 2] == b"{"):
                cur.append(self._read_literal())
            else:
                cur.append(self._read_atom(inside_list=len(stack) > 1))

    def _resp_text_point(self, root):
        """True where free text starts: right after the status atom when no '[' follows, or
        after the atom that closes the resp-text-code."""
        first = root[0]
        if not first.is_atom() or first.value.upper() not in (b"OK", b"NO", b"BAD", b"BYE"):
            return False
        if len(root) == 1:
            return self.data[self.pos:self.pos + 1] != b"["
        last = root[-1]
        return last.kind == ATOM and last.value.endswith(b"]") and root[1].kind == ATOM \
            and root[1].value.startswith(b"[")

    def _read_text(self, root):
        end = self._line_end()
        if end >= len(self.data) and self.need_eol:
            raise NeedMore(1)
        for word in self.data[self.pos:end].split(b" "):
            if word:
                root.append(Arg(ATOM, word))
        self.pos = end

    def _line_end(self):
        end = self.pos
        while end < len(self.data) and self.data[end] not in b"\r\n":
            end += 1
        return end

    def _skip_spaces(self):
        while self.pos < len(self.data) and self.data[self.pos] == 0x20:
            self.pos += 1

    def _read_atom(self, inside_list):
        start = self.pos
        data = self.data
        while self.pos < len(data):
            ch = data[self.pos]
            if ch == 0x20 or ch in b"\r\n" or (ch == ord(")") and inside_list):
                break
            self.pos += 1
        value = data[start:self.pos]
        if value.upper() == b"NIL":
            return Arg(NIL, value)
        return Arg(ATOM, value)

    def _read_string(self):
        data = self.data
        self.pos += 1
        out = bytearray()
        while True:
            if self.pos >= len(data):
                raise ParseError("missing '\"'")
            ch = data[self.pos]
            if ch == ord('"'):
                self.pos += 1
                return Arg(STRING, bytes(out))
            if ch == ord("\\") and self.pos + 1 < len(data):
                self.pos += 1
                ch = data[self.pos]
            out.append(ch)
            self.pos += 1

    def _read_literal(self):
        data = self.data
        if data[self.pos] == ord("~"):
            self.pos += 1
        close = data.find(b"}", self.pos)
        if close < 0:
            raise ParseError("missing '}'")
        size_text = data[self.pos + 1:close]
        if size_text.endswith(b"+") or size_text.endswith(b"-"):
            size_text = size_text[:-1]
        if not size_text.isdigit():
            raise ParseError(f"invalid literal size {size_text!r}")
        size = int(size_text)
        pos = close + 1
        if data[pos:pos + 2] == b"\r\n":
            pos += 2
        elif data[pos:pos + 1] == b"\n":
            pos += 1
        elif pos >= len(data) or data[pos:pos + 1] == b"\r":
            raise NeedMore(size + 2)
        else:
            raise ParseError("missing line break after literal size")
        if pos + size > len(data):
            raise NeedMore(pos + size - len(data))
        self.pos = pos + size
        return Arg(LITERAL, data[pos:pos + size])


def parse(data, text_after_status=False):
    """The arguments of one line of `data` (bytes, literals embedded)."""
    return _Parser(data).parse_line(text_after_status)


def parse_response_body(data):
    """Parse what follows the tag (or '*') of a server response; `data` must include the
    final line break (NeedMore is raised when it ends inside a literal or before the break)."""
    return _Parser(data, need_eol=True).parse_line(text_after_status=True)


def quote(value):
    """An IMAP quoted string for `value` (bytes)."""
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def to_text(args, limit=300):
    """A readable one-line rendering of an argument list (for failure messages); the default
    $! directives the script parser added are left out."""
    text = _render(args)
    if len(text) > limit:
        text = text[:limit] + "..."
    return text


def _render(args):
    parts = []
    for arg in args:
        if arg.kind == ATOM and arg.value.startswith(b"$!") and arg.implicit:
            continue
        if arg.kind == LIST:
            parts.append("(" + _render(arg.value) + ")")
        elif arg.kind == NIL:
            parts.append("NIL")
        elif arg.kind == ATOM:
            parts.append(arg.value.decode("utf-8", "backslashreplace"))
        elif arg.kind == STRING:
            parts.append('"' + arg.value.decode("utf-8", "backslashreplace") + '"')
        else:
            shown = arg.value.decode("utf-8", "backslashreplace").replace("\r\n", "\\r\\n").replace("\n", "\\n")
            parts.append("{" + str(len(arg.value)) + "}" + shown)
    return " ".join(parts)
