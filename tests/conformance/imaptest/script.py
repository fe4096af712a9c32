"""Parser for imaptest script files (scripted_test.md), following imaptest's test-parser.c.

A script is a header of `key: value` lines, an empty line, then command groups:

    [conn] [tagN] [ok|no|bad|""] <command>        a command (reply given or still pending)
    * <untagged>  /  ! <untagged>  /  ? <untagged>  expected, forbidden, optional untagged reply
    [conn] [tagN] ok|no|bad|"" [<prefix>]           the tagged reply of a pending command

A new group starts at a command line when no reply of the current group is pending;
commands with explicit tags (`tag1 ...`) pipeline in one group. `{{{` at the end of a line
starts a multi-line literal (`~{{{` a literal8) that ends at a line starting with `}}}`;
the rest of that line continues the command. `#` lines are comments. `!ifenv VAR`,
`!ifnenv VAR`, `!else`, `!endif` keep or drop lines by environment; `!sleep <ms>` and
`!output <text>` belong to the current group.

Expected lines are parsed into imapargs.Arg lists at load time, and the default list
directives are added as imaptest does (FETCH lists `$!unordered=2`, FETCH FLAGS
`$!unordered $!noextra $!ignore=\\recent ...`, LIST/LSUB flags `$!unordered`, STATUS lists
`$!unordered=2`).
"""
import os
import re
from pathlib import Path

import imapargs
from imapargs import Arg, ATOM, LIST

MUST_EXIST = "*"
MUST_NOT_EXIST = "!"
MAY_EXIST = "?"

STATES = ("nonauth", "auth", "created", "appended", "selected")
MAX_CONNECTIONS = 100
ALL_MESSAGES = -1


class ScriptError(Exception):
    """The script does not follow the format."""


class Untagged:
    """An expected (`*`), forbidden (`!`) or optional (`?`) untagged reply."""

    def __init__(self, existence, args, line):
        self.existence = existence
        self.args = args
        self.line = line


class Command:
    """One command: its text (with `{n}\\r\\n` literals embedded), tag number (0 = untagged
    method), expected reply (Arg list; None while pending) and script line number."""

    def __init__(self, text, tag, reply, linenum):
        self.text = text
        self.tag = tag
        self.reply = reply
        self.linenum = linenum


class Group:
    """Commands sent together on one connection and the untagged replies expected meanwhile."""

    def __init__(self, connection):
        self.connection = connection
        self.commands = []
        self.untagged = []
        self.sleep_ms = 0
        self.output = []
        self.replies_pending = 0
        self.have_untagged_bye = False

    def first_line(self):
        return self.commands[0].linenum if self.commands else (self.untagged[0].line if self.untagged else 0)


class Script:
    """A parsed script: header settings and command groups."""

    def __init__(self, path, name):
        self.path = Path(path)
        self.name = name
        self.capabilities = []
        self.connections = 1
        self.messages = 0
        self.state = "selected"
        self.ignore_extra_untagged = True
        self.users = {}  # connection index (0-based) -> user name template from "user N:" lines
        self.require_user2 = False
        self.groups = []
        self.have_banner_check = False
        mbox = Path(str(path) + ".mbox")
        self.mbox_path = mbox if mbox.exists() else self.path.parent / "default.mbox"


REPLY_WORDS = {b"ok": b"ok", b"no": b"no", b"bad": b"bad", b'""': b""}


def _split_reply(line):
    """imaptest's test_get_cmd_reply: an optional `tagN` and an optional ok/no/bad/"" at the
    start of `line`. Returns (tag, reply Arg list or None, rest of line)."""
    tag = 0
    word, _, rest = line.partition(b" ")
    if word[:3].lower() == b"tag" and word[3:].isdigit() and int(word[3:]) > 0 and b" " in line:
        tag = int(word[3:])
        line = rest
        word, _, rest = line.partition(b" ")
    reply_word = REPLY_WORDS.get(word.lower())
    if reply_word is None:
        return tag, None, line
    return tag, [Arg(ATOM, reply_word)], rest


def _untagged_kind(line):
    if line[:2] in (b"* ", b"! ", b"? "):
        return line[:1].decode()
    return None


class _Parser:
    def __init__(self, script):
        self.script = script
        self.group = None
        self.ifenv = []  # (linenum, else_seen, skip_before)
        self.skip = False

    # --- header ---
    def header_line(self, line):
        text = line.decode("utf-8", "replace")
        if ":" not in text:
            raise ScriptError("missing ':' in header line")
        key, value = text.split(":", 1)
        key, value = key.strip().lower(), value.strip()
        s = self.script
        if key == "capabilities":
            s.capabilities = value.split()
        elif key == "connections":
            count = 2 if value == "n" else _leading_int(value)
            if count == 0 or count > MAX_CONNECTIONS:
                raise ScriptError("too many connections")
            s.connections = count
        elif key == "ignore_extra_untagged":
            s.ignore_extra_untagged = value[:1] == "y"
        elif key.startswith("user ") and key[5:].isdigit() and int(key[5:]) > 0:
            index = int(key[5:])
            if index > MAX_CONNECTIONS:
                raise ScriptError("too many connections")
            if value in ("$user2", "${user2}"):
                s.require_user2 = True
            s.users[index - 1] = value
        elif key == "messages":
            s.messages = ALL_MESSAGES if value == "all" else _leading_int(value)
        elif key == "state":
            if value.lower() not in STATES:
                raise ScriptError("unknown state value")
            s.state = value.lower()
        else:
            raise ScriptError(f"unknown setting {key!r}")

    # --- commands ---
    def command_line(self, linenum, line):
        if self.preprocess(linenum, line) or self.skip:
            return
        s = self.script
        group = self.group
        if group is not None:
            if line.startswith(b"!sleep "):
                group.sleep_ms = _interval_ms(line[7:].decode())
                return
            if line.startswith(b"!output "):
                group.output.append(line[8:])
                return
            kind = _untagged_kind(line)
            if kind:
                self.add_untagged(kind, line[2:], linenum)
                return
            if group.replies_pending > 0 and self.try_reply(linenum, line):
                return
        if group is None or group.replies_pending == 0:
            group = Group(0)
            self.group = group
            s.groups.append(group)
        if s.connections > 1:
            word, _, rest = line.partition(b" ")
            if not word.isdigit() or int(word) == 0:
                raise ScriptError("missing client index")
            index = int(word)
            if index > MAX_CONNECTIONS:
                raise ScriptError("too many connections")
            if group.commands and group.connection != index - 1:
                raise ScriptError("all pipelined commands must use the same connection")
            group.connection = index - 1
            s.connections = max(s.connections, index)
            line = rest
        tag, reply, line = _split_reply(line)
        if tag == 0:
            if group.replies_pending > 0:
                raise ScriptError("missing reply from previous command group")
        elif any(c.tag == tag for c in group.commands):
            raise ScriptError("tag reused within command group")
        if not group.commands:
            kind = _untagged_kind(line)
            if kind:
                s.have_banner_check = True
                self.add_untagged(kind, line[2:], linenum)
                return
        if reply is None:
            group.replies_pending += 1
        group.commands.append(Command(line, tag, reply, linenum))

    def try_reply(self, linenum, line):
        """A tagged-reply line for a pending command of the current group? Records it if so."""
        s, group = self.script, self.group
        conn = 0
        rest = line
        if s.connections > 1:
            word, _, after = line.partition(b" ")
            if word.isdigit() and int(word) > 0:
                conn = int(word)
                rest = after
        tag, reply, _ = _split_reply(rest)
        if reply is None:
            return False
        if s.connections > 1:
            if conn == 0:
                raise ScriptError("missing client index")
            if conn - 1 != group.connection:
                raise ScriptError("reply for wrong connection")
        cmd = next((c for c in group.commands if c.tag == tag), None)
        if cmd is None:
            raise ScriptError("reply for unknown tag")
        if cmd.reply is not None:
            raise ScriptError("command already has a reply")
        args = _parse_args(rest)
        cmd.reply = args[1:] if tag else args
        group.replies_pending -= 1
        return True

    def add_untagged(self, kind, text, linenum):
        args = _parse_args(text)
        reply_name = b""
        if args and args[0].kind == ATOM:
            reply_name = args[0].value
            if reply_name[:1] == b"$" or reply_name[:1].isdigit():
                reply_name = args[1].value if len(args) > 1 and args[1].kind == ATOM else b""
        add_directives(args, reply_name.lower())
        if reply_name[:3].upper() == b"BYE":
            if kind == MUST_EXIST:
                self.group.have_untagged_bye = True
            elif kind == MAY_EXIST:
                raise ScriptError("? BYE not currently supported")
        self.group.untagged.append(Untagged(kind, args, linenum))

    def preprocess(self, linenum, line):
        """!ifenv/!ifnenv/!else/!endif. Returns True when the line was one of them."""
        for prefix, negate in ((b"!ifenv ", False), (b"!ifnenv ", True)):
            if line.startswith(prefix):
                present = os.environ.get(line[len(prefix):].decode()) is not None
                self.ifenv.append([linenum, False, self.skip])
                if present == negate:
                    self.skip = True
                return True
        if line == b"!else":
            if not self.ifenv:
                raise ScriptError("!else without !ifenv")
            if self.ifenv[-1][1]:
                raise ScriptError("!else already seen")
            self.ifenv[-1][1] = True
            if not self.ifenv[-1][2]:
                self.skip = not self.skip
            return True
        if line == b"!endif":
            if not self.ifenv:
                raise ScriptError("!endif without !ifenv")
            self.skip = self.ifenv.pop()[2]
            return True
        return False


def _leading_int(text):
    match = re.match(r"\d+", text)
    return int(match.group()) if match else 0


def _interval_ms(text):
    match = re.fullmatch(r"\s*(\d+)\s*(ms|msec|msecs|s|sec|secs|)\s*", text)
    if not match:
        raise ScriptError(f"invalid !sleep value {text!r}")
    value = int(match.group(1))
    return value if match.group(2).startswith("m") else value * 1000


def _parse_args(text):
    try:
        return imapargs.parse(text)
    except (imapargs.ParseError, imapargs.NeedMore) as err:
        raise ScriptError(f"cannot parse {text[:80]!r}: {err}") from None


# --- default list directives (test_add_default_directives) ---

class _ListContext:
    def __init__(self, parent, reply_name, prev_atom, parent_chain_idx):
        self.parent = parent
        self.reply_name = reply_name
        self.prev_atom = prev_atom
        self.parent_chain_idx = parent_chain_idx
        self.chain_count = 1
        self.directives = False


DIRECTIVE_RE = re.compile(rb"\$!(unordered(=\d+)?|ordered|noextra|extra|ignore=.*|ban=.*)$")


def add_directives(args, reply_name):
    """Check the $! directives of every list in an expected reply and add imaptest's defaults."""
    _handle_list(_ListContext(None, reply_name, None, 0), args)


def _handle_list(ctx, args):
    for arg in args:
        if not (arg.kind == ATOM and arg.value.startswith(b"$!")):
            break
        if not DIRECTIVE_RE.match(arg.value):
            raise ScriptError(f"unknown directive {arg.value.decode(errors='replace')}")
        if arg.value.startswith(b"$!unordered="):
            ctx.chain_count = int(arg.value[12:])
        ctx.directives = True
    if not ctx.directives:
        for directive in reversed(_default_directives(ctx)):
            args.insert(0, Arg(ATOM, directive, implicit=True))
    leading = 0
    while leading < len(args) and args[leading].kind == ATOM and args[leading].value.startswith(b"$!"):
        leading += 1
    count = len(args) - leading
    if ctx.chain_count == 0 or count % ctx.chain_count != 0:
        raise ScriptError(f"invalid list argument count, chain size={ctx.chain_count}")
    prev_atom = None
    for i, arg in enumerate(args):
        if arg.kind == ATOM:
            prev_atom = arg.value.lower()
        if arg.kind != LIST:
            continue
        idx = i if ctx.chain_count == 1 else i % ctx.chain_count
        _handle_list(_ListContext(ctx, ctx.reply_name, prev_atom, idx), arg.value)


def _default_directives(ctx):
    parent = ctx.parent
    if parent is None:
        return []
    top_level = parent.parent is None and parent.parent_chain_idx == 0
    if ctx.reply_name in (b"list", b"lsub"):
        if top_level and ctx.parent_chain_idx == 1:
            return [b"$!unordered"]
    elif ctx.reply_name == b"status":
        if top_level and ctx.parent_chain_idx == 2:
            return [b"$!unordered=2"]
    elif ctx.reply_name == b"fetch":
        if top_level and ctx.parent_chain_idx == 2:
            return [b"$!unordered=2"]
        grand = parent.parent
        if (grand is not None and grand.parent is None and grand.parent_chain_idx == 0
                and parent.parent_chain_idx == 2 and ctx.prev_atom == b"flags"):
            return [b"$!ignore=$HasNoAttachment", b"$!ignore=$HasAttachment", b"$!ignore=\\recent",
                    b"$!noextra", b"$!unordered"]
    return []


# --- file level ---

def _lines(data):
    """Lines of the file without their LF (imaptest splits at LF only)."""
    if data and not data.endswith(b"\n"):
        raise ScriptError("last line doesn't end with LF")
    return data.split(b"\n")[:-1]


def parse_file(path):
    """Parse the script at `path`; raises ScriptError on a format error."""
    path = Path(path)
    script = Script(path, path.name)
    parser = _Parser(script)
    header = True
    multiline = None  # bytearray of the command being assembled, while inside {{{ ... }}}
    start_pos = last_line_end = 0
    binary = False
    start_linenum = 0
    for linenum, line in enumerate(_lines(path.read_bytes()), start=1):
        try:
            if multiline is not None:
                if not line.startswith(b"}}}"):
                    multiline += line
                    last_line_end = len(multiline)
                    multiline += b"\n" if binary else b"\r\n"
                    continue
                del multiline[last_line_end:]
                size = len(multiline) - start_pos
                multiline[start_pos:start_pos] = (b"~" if binary else b"") + b"{%d}\r\n" % size
                rest = line[3:]
                if rest.endswith(b"{{{"):
                    binary = rest.endswith(b"~{{{")
                    multiline += rest[:-4] if binary else rest[:-3]
                    start_pos = last_line_end = len(multiline)
                    continue
                multiline += rest
                line = bytes(multiline)
                multiline = None
            else:
                start_linenum = linenum
                if not line:
                    header = False
                    continue
                if line.startswith(b"#"):
                    continue
                if line.endswith(b"{{{"):
                    binary = line.endswith(b"~{{{")
                    multiline = bytearray(line[:-4] if binary else line[:-3])
                    start_pos = last_line_end = len(multiline)
                    continue
            if header:
                parser.header_line(line)
            else:
                parser.command_line(start_linenum, line)
        except ScriptError as err:
            raise ScriptError(f"{path.name} line {linenum}: {err}") from None
    if multiline is not None:
        raise ScriptError(f"{path.name}: multiline literal at line {start_linenum} not ended")
    if not script.groups:
        raise ScriptError(f"{path.name}: no commands in file")
    last = script.groups[-1]
    if last.replies_pending > 0:
        missing = next(c for c in last.commands if c.reply is None)
        raise ScriptError(f"{path.name}: missing reply for the command at line {missing.linenum}")
    if parser.ifenv:
        raise ScriptError(f"{path.name}: !ifenv at line {parser.ifenv[0][0]} not closed with !endif")
    _add_logout(script)
    return script


def _add_logout(script):
    """imaptest ends every script that never logs out with `ok logout` on the first connection."""
    for group in script.groups:
        if group.have_untagged_bye:
            return
        for cmd in group.commands:
            if cmd.text.lower() == b"logout":
                return
    group = Group(0)
    group.commands.append(Command(b"logout", 0, [Arg(ATOM, b"ok")], 0))
    script.groups.append(group)


def discover(directory):
    """The script files of a directory, sorted by name (`.mbox` files and folders left out)."""
    directory = Path(directory)
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".mbox"))
