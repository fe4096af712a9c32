"""Runs one parsed imaptest script against a server, as imaptest's test-exec.c does.

Set-up by the script's `state:` (each state does the ones before it):
  nonauth   connect only (capabilities checked on the unauthenticated connection);
  auth      log in every connection; check the script's capabilities (SKIP if missing);
            delete every mailbox `LIST "" "<box>*"` shows and unsubscribe every one
            `LSUB "" "<box>*"` shows;
  created   CREATE <box>;
  appended  APPEND `messages:` messages of the script's .mbox (default.mbox if none);
  selected  SELECT <box> on every connection.

Then each command group is sent on its connection (pipelined commands together), the
connection is read until every command of the group has its tagged reply, and the untagged
replies met meanwhile are matched against the group's `*`/`!`/`?` lines. Other connections
are not read meanwhile: what they receive is matched when their own next group runs.
The script goes on after a mismatch (all mismatches are recorded) but stops when a
connection breaks or a reply does not come in time.

Special commands, as in imaptest: a bare `append` appends the next mbox message to the
connection's current mailbox with its internal date; `append <args>` (and `replace`) without
a message of their own get the next mbox message as their literal.
"""
import base64
import time
from urllib.parse import quote as url_quote

import imapargs
import matcher
import mbox
import script as script_mod
from client import Connection, ConnectionClosed, ProtocolError, Timeout, LITERAL_AT_END
from imapargs import ATOM, LIST, LITERAL, STRING, quote, to_text
from matcher import FULL

# untagged replies whose expected lines match as a prefix (human text follows)
STATUS_WORDS = (b"OK", b"NO", b"BAD", b"BYE")


class Failure:
    """One mismatch: the script line of its command group, a message, and (when known) the
    expected and received text."""

    def __init__(self, line, command, message, expected=None, got=None):
        self.line = line
        self.command = command
        self.message = message
        self.expected = expected
        self.got = got

    def describe(self):
        lines = [f"line {self.line}: {self.message}" if self.line else self.message]
        if self.command:
            lines.append(f"  command:  {self.command}")
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.got is not None:
            lines.append(f"  got:      {self.got}")
        return "\n".join(lines)

    def as_dict(self):
        return {"line": self.line, "command": self.command, "message": self.message,
                "expected": self.expected, "got": self.got}


class Result:
    """Outcome of one script: status PASS, FAIL or SKIP, the reason (first failure or the
    missing capabilities) and every failure."""

    def __init__(self, name, capabilities):
        self.name = name
        self.capabilities = capabilities
        self.status = "PASS"
        self.reason = ""
        self.failures = []
        self.missing = []
        self.seconds = 0.0

    def as_dict(self):
        return {"name": self.name, "status": self.status, "reason": self.reason,
                "capabilities": self.capabilities, "missing_capabilities": self.missing,
                "failures": [f.as_dict() for f in self.failures], "seconds": round(self.seconds, 3)}


class Settings:
    """What the runner was told: endpoint, credentials, mailbox name, output switches."""

    def __init__(self, endpoint, user, password, user2=None, password2=None, mailbox="imaptest",
                 verbose=False, out=None):
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.user2 = user2
        self.password2 = password2
        self.mailbox = mailbox
        self.verbose = verbose
        self.out = out


class Abort(Exception):
    """Stop the script: a connection broke, a reply timed out, or set-up failed. `line` is the
    script line concerned (None during set-up)."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


class _Session:
    """Runner-side state of one connection."""

    def __init__(self, conn, user, password, mailbox):
        self.conn = conn
        self.user = user
        self.password = password
        self.exists = 0
        self.storage = mailbox  # mailbox a bare `append` goes to (follows SELECT/EXAMINE)
        self.logout_sent = False


class ScriptRun:
    """Executes one script and produces its Result."""

    def __init__(self, script, settings):
        self.script = script
        self.settings = settings
        self.result = Result(script.name, script.capabilities)
        self.ctx = matcher.Context()
        self.sessions = []
        self.source = None
        self.group = None

    # --- entry point ---
    def run(self):
        started = time.monotonic()
        try:
            self.source = mbox.Source(self.script.mbox_path)
            self._connect()
            if self._setup():
                for group in self.script.groups:
                    self._run_group(group)
        except Abort as err:
            self._fail(str(err), line=err.line)
        except (ConnectionClosed, Timeout, ProtocolError, OSError, mbox.MboxError) as err:
            self._fail(f"{type(err).__name__}: {err}")
        finally:
            for session in self.sessions:
                session.conn.close()
        if self.result.status != "SKIP" and self.result.failures:
            self.result.status = "FAIL"
            self.result.reason = self.result.failures[0].describe()
        self.result.seconds = time.monotonic() - started
        return self.result

    # --- set-up ---
    def _connect(self):
        s = self.settings
        for index in range(self.script.connections):
            user, password = s.user, s.password
            template = self.script.users.get(index)
            if template in ("$user2", "${user2}"):
                user, password = s.user2, s.password2
            elif template:
                user = template
            conn = Connection(s.endpoint, index + 1)
            self.sessions.append(_Session(conn, user, password, s.mailbox))
            self._set_user_variables(index, user or "", password or "")
        self.ctx.variables[b"mailbox"] = s.mailbox.encode()
        self.ctx.variables[b"mailbox_url"] = mailbox_url(s.mailbox).encode()

    def _set_user_variables(self, index, user, password):
        suffix = b"" if index == 0 else b"%d" % (index + 1)
        username, _, domain = user.partition("@")
        if not domain:
            domain = self.settings.endpoint.host
        variables = self.ctx.variables
        variables[b"user" + suffix] = user.encode()
        variables[b"username" + suffix] = username.encode()
        variables[b"domain" + suffix] = domain.encode()
        variables[b"password" + suffix] = password.encode()

    def _missing_capabilities(self, conn):
        if not conn.capabilities:
            conn.simple(b"CAPABILITY")
        have = conn.capabilities
        return [c for c in self.script.capabilities if c.upper() not in have]

    def _skip(self, missing, why=None):
        self.result.status = "SKIP"
        self.result.missing = missing
        self.result.reason = why or ("server lacks " + " ".join(missing))
        for session in self.sessions:
            try:
                session.conn.send(session.conn.next_tag() + b" LOGOUT\r\n")
            except ConnectionClosed:
                pass
        return False

    def _setup(self):
        """Bring every connection into the script's start state. False when skipped."""
        script = self.script
        first = self.sessions[0].conn
        if script.require_user2 and not self.settings.user2:
            return self._skip([], "script needs a second user (--user2)")
        if script.state == "nonauth":
            missing = self._missing_capabilities(first)
            return self._skip(missing) if missing else True
        for session in self.sessions:
            session.conn.capabilities = set()
            self._init_command(session.conn, b"LOGIN " + quote(session.user.encode()) + b" "
                               + quote(session.password.encode()))
        missing = self._missing_capabilities(first)
        if missing:
            return self._skip(missing)
        box = self.settings.mailbox.encode()
        self._delete_test_mailboxes(first, box)
        if script.state in ("created", "appended", "selected") and box.upper() != b"INBOX":
            self._init_command(first, b"CREATE " + quote(box))
        if script.state in ("appended", "selected"):
            count = script.messages
            while (count == script_mod.ALL_MESSAGES and not self.source.eof) or count > 0:
                message = self.source.next()
                text = b"APPEND " + quote(box) + b' "' + message.internaldate.encode() + b'" ' + \
                    b"{%d}\r\n" % len(message.data) + message.data
                self._init_command(first, text)
                if count > 0:
                    count -= 1
        if script.state == "selected":
            for session in self.sessions:
                self._init_command(session.conn, b"SELECT " + quote(box), session)
        return True

    def _init_command(self, conn, text, session=None, allow_no=False):
        try:
            status, responses = conn.run(text)
        except (ConnectionClosed, Timeout) as err:
            raise Abort(f"initialization failed: {text[:60].decode(errors='replace')}: {err}") from None
        for response in responses:
            if session is not None and response.kind == "untagged":
                _count_messages(session, response.args)
        if status == b"OK" or (allow_no and status == b"NO"):
            return responses
        raise Abort(f"initialization failed: {text[:60].decode(errors='replace')}: {responses[-1].text()}")

    def _delete_test_mailboxes(self, conn, box):
        delete_test_mailboxes(lambda text, allow_no=False: self._init_command(conn, text, allow_no=allow_no), box)

    # --- command groups ---
    def _run_group(self, group):
        self.group = group
        session = self.sessions[group.connection]
        conn = session.conn
        self.ctx.reset_seqmap(session.exists)
        state = _GroupState(group)
        if not group.commands:
            # banner check: the greeting against the group's untagged lines
            self._match_untagged(state, session, conn.greeting)
            self._finish_group(state)
            return
        if conn.closed:
            raise Abort(f"connection {group.connection + 1} is already closed", group.first_line())
        outbox = []
        for cmd in group.commands:
            text = self._command_text(cmd, session)
            if text is None:
                continue
            tag = conn.next_tag()
            if state.first_tag is None:
                state.first_tag = tag
            state.pending[tag] = cmd
            state.texts[tag] = text
            outbox.extend((tag, chunk) for chunk in conn.command_chunks(tag, text))
            self._note_sent(session, cmd, text, group)
        self._pump(conn, outbox)
        while state.pending:
            try:
                response = conn.read_response()
            except ConnectionClosed:
                self._connection_lost(state, session)
                return
            except Timeout:
                cmd = next(iter(state.pending.values()))
                raise Abort(f"timed out waiting for the reply to {_show(cmd.text)}", cmd.linenum) from None
            if response.kind == "continuation":
                if outbox and outbox[0][1] is None:
                    outbox.pop(0)
                    self._pump(conn, outbox)
                continue
            if response.kind == "untagged":
                self._match_untagged(state, session, response)
                continue
            cmd = state.pending.pop(response.tag, None)
            if cmd is None:
                self._fail(f"unexpected tagged reply {response.text()}", group=group)
                continue
            # the server refused a command still waiting to send a literal: drop the rest of it
            while outbox and outbox[0][0] == response.tag:
                outbox.pop(0)
            self._pump(conn, outbox)
            self._check_tagged(cmd, response, state.texts[response.tag])
        self._finish_group(state)

    def _pump(self, conn, outbox):
        """Send queued chunks up to the next point where a '+' continuation is needed."""
        while outbox and outbox[0][1] is not None:
            conn.send(outbox.pop(0)[1])

    def _command_text(self, cmd, session):
        """The command as sent: variables expanded (not inside literals); bare APPEND/REPLACE
        get the next mbox message."""
        try:
            text = expand_outside_literals(self.ctx, cmd.text)
        except KeyError as err:
            self._fail(f"uninitialized variable ${err.args[0]}", group=self.group, command=cmd.text)
            return None
        lower = text.lower()
        if lower == b"append":
            message = self.source.next()
            return (b"APPEND " + quote(session.storage.encode()) + b' "' + message.internaldate.encode()
                    + b'" ' + b"{%d}\r\n" % len(message.data) + message.data)
        for prefix, replace in ((b"append ", False), (b"replace ", True), (b"uid replace ", True)):
            if lower.startswith(prefix) and not _has_message(text[len(prefix):], replace):
                message = self.source.next()
                return text + b" {%d}\r\n" % len(message.data) + message.data
        return text

    def _note_sent(self, session, cmd, text, group):
        name, _, rest = text.partition(b" ")
        if name.upper() in (b"SELECT", b"EXAMINE") and rest:
            try:
                args = imapargs.parse(rest)
            except (imapargs.ParseError, imapargs.NeedMore):
                args = []
            if args and args[0].is_astring():
                session.storage = args[0].value.decode("utf-8", "replace")
        if cmd.linenum == 0 or text.lower() == b"logout" or group.have_untagged_bye:
            session.logout_sent = True

    def _check_tagged(self, cmd, response, text):
        ctx = self.ctx
        ctx.variables[b"tag"] = response.tag
        matched = ctx.match_args(cmd.reply, response.args, FULL, prefix=True)
        ctx.variables.pop(b"tag", None)
        if matched != FULL:
            self._fail("unexpected tagged reply", command=text,
                       expected=to_text(cmd.reply), got=response.text(), line=cmd.linenum)

    def _match_untagged(self, state, session, response):
        args = response.args
        _count_messages(session, args)
        group = state.group
        ctx = self.ctx
        if group.untagged or not (self.script.ignore_extra_untagged or session.logout_sent):
            prefix = bool(args) and args[0].kind == ATOM and args[0].value.upper() in STATUS_WORDS
            found_some = False
            ctx.added = []
            for i, expected in enumerate(group.untagged):
                if state.found[i]:
                    continue
                if state.first_tag is not None:
                    ctx.variables[b"tag"] = state.first_tag
                count = ctx.match_args(expected.args, args, FULL, prefix)
                if state.first_tag is not None:
                    ctx.variables.pop(b"tag", None)
                if count == FULL:
                    if expected.existence == script_mod.MUST_NOT_EXIST:
                        self._fail("forbidden untagged reply received", group=group,
                                   expected="! " + to_text(expected.args), got=response.text(),
                                   line=expected.line)
                        return
                    state.found[i] = True
                    found_some = True
                    ctx.added = []
                    continue
                if state.best[i][0] < count:
                    state.best[i] = (count, response.text())
                ctx.revert_added()
            if not found_some:
                state.mismatches += 1
                if not self.script.ignore_extra_untagged and state.first_extra is None:
                    state.first_extra = response.text()
        if len(args) >= 2 and args[0].kind == ATOM and args[0].value.isdigit() and args[1].is_atom("EXPUNGE"):
            ctx.expunged(int(args[0].value))

    def _finish_group(self, state):
        group = state.group
        missing = [i for i, u in enumerate(group.untagged)
                   if u.existence == script_mod.MUST_EXIST and not state.found[i]]
        if missing:
            first = group.untagged[missing[0]]
            shown = to_text(first.args)
            try:
                expanded = self.ctx.expand_command(shown.encode(), skip_uninitialized=True)
                expanded = expanded.decode(errors="replace")
            except KeyError:
                expanded = shown
            best = state.best[missing[0]][1]
            self._fail(f"missing {len(missing)} untagged replies ({state.mismatches} mismatches)",
                       group=group, expected="* " + expanded, got=best or "(nothing similar)",
                       line=first.line)
        if state.first_extra is not None:
            self._fail(f"{state.mismatches} unexpected untagged replies", group=group, got=state.first_extra)
        for text in group.output:
            try:
                line = self.ctx.expand_command(text)
            except KeyError as err:
                self._fail(f"uninitialized variable ${err.args[0]} in !output", group=group)
                continue
            if self.settings.out:
                self.settings.out.write(line.decode("utf-8", "replace") + "\n")
        for error in self.ctx.errors:
            self._fail(error, group=group)
        self.ctx.errors = []
        if group.sleep_ms:
            time.sleep(group.sleep_ms / 1000)

    def _connection_lost(self, state, session):
        group = state.group
        if group.have_untagged_bye and session.conn.seen_bye:
            for cmd in state.pending.values():
                if not (len(cmd.reply) == 1 and cmd.reply[0].kind == ATOM and cmd.reply[0].value == b""):
                    self._fail(f"expected '{to_text(cmd.reply)}' as tagged reply - only \"\" allowed when "
                               "BYE happens", group=group, command=cmd.text)
            state.pending.clear()
            self._finish_group(state)
            return
        cmd = next(iter(state.pending.values()))
        raise Abort(f"connection {group.connection + 1} closed by the server while waiting for the reply to "
                    f"{_show(cmd.text)}", cmd.linenum)

    # --- failures ---
    def _fail(self, message, group=None, command=None, expected=None, got=None, line=None):
        group = group or self.group
        if command is None and group is not None and group.commands:
            command = group.commands[0].text
        if line is None and group is not None:
            line = group.first_line()
        self.result.failures.append(Failure(line, _show(command) if command else None, message, expected, got))


def delete_test_mailboxes(run, box):
    """imaptest's clean-up: DELETE every mailbox `LIST "" "<box>*"` shows (children first) and
    UNSUBSCRIBE every one `LSUB` shows; a NO is fine. `run(text, allow_no)` sends a command
    and returns its responses."""
    mask = quote(box + b"*")
    to_delete, to_unsubscribe = [], []
    for command, target in ((b"LIST", to_delete), (b"LSUB", to_unsubscribe)):
        for response in run(command + b' "" ' + mask):
            args = response.args
            if (response.kind == "untagged" and len(args) >= 4 and args[0].is_atom(command)
                    and args[1].kind == LIST and args[3].is_astring()):
                target.append(args[3].value)
    for command, names in ((b"DELETE", to_delete), (b"UNSUBSCRIBE", to_unsubscribe)):
        for name in sorted(names, key=lambda n: n.lower(), reverse=True):
            run(command + b" " + quote(name), allow_no=True)


def cleanup(settings):
    """Delete the test mailboxes a run left behind, as the set-up of the next run would."""
    conn = Connection(settings.endpoint, 0)

    def run(text, allow_no=False):
        status, responses = conn.run(text)
        if status != b"OK" and not (allow_no and status == b"NO"):
            raise ProtocolError(f"{text.decode(errors='replace')[:60]}: {responses[-1].text()}")
        return responses

    try:
        run(b"LOGIN " + quote(settings.user.encode()) + b" " + quote(settings.password.encode()))
        delete_test_mailboxes(run, settings.mailbox.encode())
        conn.run(b"LOGOUT")
    finally:
        conn.close()


class _GroupState:
    def __init__(self, group):
        self.group = group
        self.pending = {}
        self.texts = {}
        self.first_tag = None
        self.found = [False] * len(group.untagged)
        self.best = [(0, None)] * len(group.untagged)
        self.mismatches = 0
        self.first_extra = None


def _count_messages(session, args):
    """Keep the connection's message count (for $N sequence variables)."""
    if len(args) >= 2 and args[0].kind == ATOM and args[0].value.isdigit() and args[1].kind == ATOM:
        word = args[1].value.upper()
        if word == b"EXISTS":
            session.exists = int(args[0].value)
        elif word == b"EXPUNGE" and session.exists > 0:
            session.exists -= 1


def _has_message(args_text, replace):
    """imaptest's append_has_body: do APPEND/REPLACE arguments carry their own message?"""
    try:
        args = imapargs.parse(args_text)
    except (imapargs.ParseError, imapargs.NeedMore):
        return False
    if replace:
        args = args[1:]
    if not args:
        return False
    i = 0
    if i + 1 < len(args) and args[i + 1].kind == LIST:
        i += 1
    if i + 1 < len(args) and args[i + 1].kind == STRING:
        i += 1
    if i + 1 >= len(args):
        return False
    nxt = args[i + 1]
    return nxt.kind == LITERAL or nxt.is_atom("catenate")


def expand_outside_literals(ctx, text):
    """Expand the variables of a command, leaving literal contents as they are."""
    out = bytearray()
    pos = 0
    while True:
        match = LITERAL_AT_END.search(text, pos)
        if not match:
            break
        size = int(match.group(2))
        out += ctx.expand_command(text[pos:match.end()])
        out += text[match.end():match.end() + size]
        pos = match.end() + size
    out += ctx.expand_command(text[pos:])
    return bytes(out)


def mailbox_url(name):
    """The mailbox as an IMAP URL path segment: mUTF-7 decoded, then percent-encoded."""
    return url_quote(decode_mutf7(name), safe="!$&'()*+,=:@/-._~")


def decode_mutf7(name):
    out = []
    i = 0
    while i < len(name):
        if name[i] == "&":
            end = name.index("-", i)
            if end == i + 1:
                out.append("&")
            else:
                chunk = name[i + 1:end].replace(",", "/")
                chunk += "=" * (-len(chunk) % 4)
                out.append(base64.b64decode(chunk).decode("utf-16-be"))
            i = end + 1
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def _show(text, limit=200):
    if text is None:
        return None
    shown = text.decode("utf-8", "backslashreplace").replace("\r\n", "\\r\\n")
    return shown if len(shown) <= limit else shown[:limit] + "..."
