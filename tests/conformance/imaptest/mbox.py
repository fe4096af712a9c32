"""The messages of an imaptest `.mbox` file, handed out one by one as imaptest does.

Each message is the text between two `From ` separator lines, every line ending turned
into CRLF (the blank line before the next separator stays part of the message). The
separator's date becomes the APPEND internal date, in the separator's own time zone, or
in local time when it has none. Reading wraps around at the end of the file, so
`messages: 10` on a 6-message file appends messages 1-6 and then 1-4 again.
"""
import re
import time
from pathlib import Path

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# "From <sender> Sat Mar 24 23:00:00 2007 +0200" (the zone is optional)
FROM_RE = re.compile(rb"^From \S+ +\w{3} +(\w{3}) +(\d{1,2}) +(\d\d):(\d\d):(\d\d) +(\d{4})(?: +([+-]\d{4}))?")


class MboxError(Exception):
    """The file is not an mbox as imaptest expects it."""


class Message:
    """One message: data (CRLF bytes) and the IMAP date-time of its separator line."""

    def __init__(self, data, internaldate):
        self.data = data
        self.internaldate = internaldate


def _internaldate(match):
    month = MONTHS.index(match.group(1).decode().capitalize()) + 1
    day, hour, minute, second, year = (int(match.group(i)) for i in (2, 3, 4, 5, 6))
    zone = match.group(7)
    if zone is not None:
        offset = zone.decode()
    else:
        local = time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
        tm = time.localtime(local)
        minutes = tm.tm_gmtoff // 60
        sign = "+" if minutes >= 0 else "-"
        offset = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return f"{day:02d}-{MONTHS[month - 1]}-{year:04d} {hour:02d}:{minute:02d}:{second:02d} {offset}"


def read_messages(path):
    """All messages of the mbox at `path`, in order."""
    data = Path(path).read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    messages = []
    current = None
    for line in lines:
        line = line[:-1] if line.endswith(b"\r") else line
        match = FROM_RE.match(line)
        if match and (current is None or current[1]):
            if current is not None:
                messages.append(current)
            current = (match, [])
            continue
        if current is None:
            raise MboxError(f"not a valid mbox file: {path}")
        current[1].append(line)
    if current is not None:
        if not current[1]:
            raise MboxError(f"mbox file ends with a From line: {path}")
        messages.append(current)
    if not messages:
        raise MboxError(f"empty mbox file: {path}")
    return [Message(b"".join(l + b"\r\n" for l in body), _internaldate(match)) for match, body in messages]


class Source:
    """Hands out the messages of one mbox in order, wrapping around; `eof` is True once the
    last message was handed out (until the next wrap)."""

    def __init__(self, path):
        self.messages = read_messages(path)
        self.index = 0

    @property
    def eof(self):
        return self.index >= len(self.messages)

    def next(self):
        if self.index >= len(self.messages):
            self.index = 0
        message = self.messages[self.index]
        self.index += 1
        return message
