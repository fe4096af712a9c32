"""Matching server replies against expected script lines, as imaptest's test-exec.c does.

- Variables: `$name` / `${name}` take their value from the first server input they meet and
  must match it afterwards; `$` alone matches anything (also a whole list); `$]` skips atoms
  up to one containing `]`; `$$` is a literal `$`; `$N` (a number) is the current sequence
  number of the message that was number N when the command group started (EXPUNGEs move it);
  `${case:Text}` makes that argument compare case-sensitively; `$modseqN` values must grow at
  least as fast as their indexes.
- Lists are compared in order, unless their first elements are `$!` directives:
  `$!unordered[=n]` (chains of n elements in any order; extra elements allowed unless
  `$!noextra`), `$!ordered`, `$!noextra`, `$!extra`, `$!ignore=e`, `$!ban=e`.
- Untagged OK/NO/BAD/BYE replies and tagged replies compare as a prefix: the expected
  arguments must match the first ones, the last one as a string prefix.

Comparison is ASCII case-insensitive unless `${case:...}` is used; variable values themselves
compare exactly, and strings end at a NUL byte (all as in imaptest, which compares C strings).
"""
import re

from imapargs import ATOM, LIST, NIL

FULL = 1 << 62  # "everything matched" (imaptest's UINT_MAX)
VAR_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
MODSEQ_RE = re.compile(rb"modseq(\d+)$")


class Context:
    """Variables and sequence bookkeeping of one running script."""

    def __init__(self):
        self.variables = {}
        self.added = []          # variables captured by the untagged match in progress
        self.seqmap = []         # initial sequence (index+1) -> current sequence, 0 = expunged
        self.modseq_idx = 0
        self.modseq_value = 0
        self.errors = []         # script errors noticed while matching (e.g. modseq order)

    # --- sequence map ---
    def reset_seqmap(self, count):
        self.seqmap = list(range(1, count + 1))

    def expunged(self, seq):
        """Update the map for `* seq EXPUNGE` (after the reply was matched)."""
        if seq == 0 or seq > len(self.seqmap):
            return
        for i in range(seq - 1, len(self.seqmap)):
            if self.seqmap[i] == seq:
                self.seqmap[i] = 0
            elif self.seqmap[i] > seq:
                self.seqmap[i] -= 1

    def relative_seq(self, seq):
        if seq == 0:
            return b"<zero seq>"
        if seq > len(self.seqmap):
            return b"<out of range>"
        if self.seqmap[seq - 1] == 0:
            return b"<expunged>"
        return b"%d" % self.seqmap[seq - 1]

    # --- expansion of commands ---
    def expand_command(self, text, skip_uninitialized=False):
        """Replace the variables of a command (or, with skip_uninitialized, of an expected
        line for display). Raises KeyError for an uninitialized variable."""
        out = bytearray()
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch != 0x24 or i + 1 == n:  # '$'
                out.append(ch)
                i += 1
                continue
            i += 1
            if text[i] == 0x24:
                out.append(0x24)
                i += 1
            elif text[i] == 0x21:  # '$!' directive: dropped up to the next space
                while i + 1 < n and text[i + 1] != 0x20:
                    i += 1
                i += 1
            else:
                name, i = _var_name(text, i)
                if name is None:
                    raise KeyError("missing '}'")
                value = self._lookup(name)
                if value is None:
                    if not skip_uninitialized:
                        raise KeyError(name.decode(errors="replace"))
                    value = b"$"
                out += value
        return bytes(out)

    def _lookup(self, name):
        if _is_uint32(name):
            return self.relative_seq(int(name))
        return self.variables.get(name)

    # --- matching ---
    def expand_input(self, pattern, value):
        """imaptest's test_expand_input: the pattern with its variables expanded against the
        server string `value` (capturing uninitialized ones), or None on a mismatch.
        Returns (expanded, case_insensitive)."""
        icase = True
        out = bytearray()
        i, n = 0, len(pattern)
        j = 0
        while i < n:
            ch = pattern[i]
            if ch != 0x24 or (i + 1 < n and pattern[i + 1] == 0x24):
                if ch == 0x24:
                    i += 1
                if j >= len(value) or _upper(pattern[i]) != _upper(value[j]):
                    return None, icase
                out.append(pattern[i])
                i += 1
                j += 1
                continue
            i += 1
            name, i = _var_name(pattern, i)
            if name is None:
                return b"", icase
            if _is_uint32(name):
                var_value = self.relative_seq(int(name))
            elif name.startswith(b"case:"):
                var_value = name[5:]
                icase = False
            else:
                var_value = self.variables.get(name) if name else None
                if var_value is None:
                    var_value = self._capture(name, pattern[i:], value, j)
            out += var_value
            for byte in var_value:
                if j >= len(value) or value[j] != byte:
                    return None, icase
                j += 1
        return bytes(out), icase

    def _capture(self, name, rest, value, j):
        """Value of an uninitialized variable: the input up to the first character of what
        follows it in the pattern."""
        search_icase = True
        stop = rest
        if rest[:1] == b"$":
            stop, search_icase = self.expand_input(rest, value[j:])
            stop = stop or b""
        p = j
        if stop:
            first = stop[0]
            while p < len(value) and (_upper(value[p]) != _upper(first) if search_icase else value[p] != first):
                p += 1
        else:
            p = len(value)
        captured = value[j:p]
        if not name:
            return captured
        match = MODSEQ_RE.match(name)
        if match:
            captured = self._new_modseq(int(match.group(1)), captured)
            self.variables[name] = captured
            return captured
        self.variables[name] = captured
        self.added.append(name)
        return captured

    def _new_modseq(self, index, text):
        if not text.isdigit():
            return b"$modseq-not-number"
        number = int(text)
        if self.modseq_idx > index:
            self.errors.append(f"modseqs defined in wrong order: $modseq{self.modseq_idx} "
                               f"followed by $modseq{index}")
            return b"$modseq-order-mismatch"
        at_least = self.modseq_value + (index - self.modseq_idx)
        if number < at_least:
            text = b"$modseq-at-least-%d" % at_least
            number = at_least
        self.modseq_idx = index
        self.modseq_value = number
        return text

    def match_args(self, match, args, limit=FULL, prefix=False):
        """How many expected arguments matched (FULL when all did)."""
        ret = 0
        ai = 0
        for mi, m in enumerate(match):
            if limit <= 0:
                break
            arg = args[ai] if ai < len(args) else None
            if m.kind == NIL:
                if arg is None or arg.kind != NIL:
                    return ret
            elif m.kind == LIST:
                if arg is None or arg.kind != LIST:
                    return ret
                sub = self.match_list(m.value, arg.value)
                if sub != FULL:
                    return ret + sub
            else:
                mstr = m.value
                if mstr == b"$" and arg is not None and arg.kind == LIST:
                    pass
                elif mstr == b"$]":
                    while ai < len(args) and args[ai].kind == ATOM and b"]" not in args[ai].value:
                        ai += 1
                else:
                    if arg is None or not arg.is_astring():
                        return ret
                    value = _c_string(arg.value)
                    expanded, icase = self.expand_input(_c_string(mstr), value)
                    if expanded is None:
                        return ret
                    have, want = (value.upper(), expanded.upper()) if icase else (value, expanded)
                    if prefix and mi == len(match) - 1:
                        if not have.startswith(want):
                            return ret
                    elif have != want:
                        return ret
            ret += 1
            ai += 1
            limit -= 1
        if prefix or ai >= len(args) or limit <= 0:
            return FULL
        return ret

    def match_list(self, match, args):
        """Match a list, honouring its leading $! directives."""
        unordered = False
        chain = 1
        noextra = None
        ignores, bans = [], []
        start = 0
        for m in match:
            if m.kind != ATOM or not m.value.startswith(b"$!"):
                break
            start += 1
            directive = m.value[2:]
            if directive.startswith(b"unordered"):
                unordered = True
                if noextra is None:
                    noextra = False
                if directive[9:10] == b"=":
                    chain = int(directive[10:])
            elif directive == b"ordered":
                unordered = False
            elif directive == b"extra":
                noextra = False
            elif directive == b"noextra":
                noextra = True
            elif directive.startswith(b"ignore="):
                ignores.append(directive[7:].upper())
            elif directive.startswith(b"ban="):
                bans.append(directive[4:].upper())
        if noextra is None:
            noextra = True
        match = match[start:]
        if not unordered:
            return self.match_args(match, args)
        if len(args) % chain != 0:
            return 0
        matched = set()
        ret = 0
        for k in range(0, len(match), chain):
            for i in range(0, len(args), chain):
                if self.match_args(match[k:k + chain], args[i:], chain) == FULL:
                    matched.add(i)
                    break
            else:
                return ret
            ret += 1
        extra_check = ignores if noextra else bans
        if noextra or bans:
            for i in range(0, len(args), chain):
                if i in matched or not args[i].is_astring():
                    continue
                listed = args[i].value.upper() in extra_check
                if noextra and not listed:
                    return ret
                if not noextra and listed:
                    return ret
        return FULL

    def revert_added(self):
        for name in self.added:
            self.variables.pop(name, None)
        self.added = []


def _c_string(value):
    """imaptest compares C strings: a NUL byte ends the value (a literal starting with NUL
    compares as empty; the append-binary script relies on this)."""
    nul = value.find(b"\0")
    return value if nul < 0 else value[:nul]


def _upper(byte):
    return byte - 32 if 97 <= byte <= 122 else byte


def _is_uint32(name):
    return name.isdigit() and int(name) < (1 << 32)


def _var_name(text, i):
    """The variable name starting at text[i] (after '$'): `{...}` or a run of [A-Za-z0-9_].
    Returns (name, index after it); name None when '}' is missing."""
    if i < len(text) and text[i] == 0x7B:  # '{'
        close = text.find(b"}", i + 1)
        if close < 0:
            return None, len(text)
        return text[i + 1:close], close + 1
    k = i
    while k < len(text) and text[k] in VAR_CHARS:
        k += 1
    return text[i:k], k
