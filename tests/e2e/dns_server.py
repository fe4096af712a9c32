"""A small DNS server for tests: answers from a zone description on one loopback port, UDP and TCP.

It plays the recursive resolver a mail server talks to (RFC 1035 §4 messages, RFC 2308 negative
answers with the zone's SOA, CNAMEs chased inside the data, UDP answers larger than the client's
EDNS size truncated so that the client retries over TCP, RFC 7766), and it can misbehave on
purpose: never answer, SERVFAIL, REFUSED, malformed answers, answers held until released.

Zone description (a dict, or the same as a JSON file):

    {
      "soa":   {"example.test": {"ttl": 3600, "minimum": 60}},
      "names": {
        "example.test":       {"ttl": 300, "A": ["192.0.2.1"], "MX": [[10, "mx1.example.test"]],
                               "TXT": ["v=spf1 -all", ["two ", "strings"], {"fill": "x", "length": 600}]},
        "www.example.test":   {"CNAME": "example.test"},
        "many.example.test":  {"A": {"count": 3000, "from": "10.0.0.1", "ttl": 60}},
        "empty.example.test": {},
        "dead.example.test":  {"behaviour": "drop"}
      }
    }

A type's value is a list of records or {"ttl": n, "records": [...]} (or {"count", "from"} for A and
AAAA). TXT records are a string, a list of strings (one record, several character-strings), or
{"fill": c, "length": n}; strings longer than 255 bytes are split into 255-byte character-strings.
A name absent from "names" is NXDOMAIN unless it is an ancestor of a listed name (then NODATA).
Behaviours: "drop" (never answers), "servfail", "refused", "formerr", "malformed" (answer count
larger than the records sent), "pointer_loop" (a compression pointer that points at itself),
"truncate" (UDP answers carry TC and no records whatever their size; TCP answers are whole),
"hold" (the answer waits until release(name) is called after the query came), and "nochase" on a CNAME (answer only the CNAME,
like a server that does not chase chains).

Control queries, for clients in another process (TXT, TTL 0, not counted):
    <TYPE>.<name>.count._control       number of queries received for name/TYPE (UDP + TCP)
    <TYPE>.<name>.tcpcount._control    the same, over TCP only
    <name>.release._control            sends the answers held for name so far
    reset._control                     sets every count to zero
    ping._control                      answers "pong" (readiness probe)

Python use: `port, stop = start_dns_server(zones)`; the returned object also has count(),
tcp_count(), release() and reset(). Command line: `dns_server.py --zones FILE [--port 0]` prints
"PORT <n>" once both sockets are bound and serves until SIGTERM, SIGINT or its parent's exit.
"""
import argparse
import ipaddress
import json
import os
import signal
import socket
import struct
import sys
import threading

from dnslib import AAAA, CNAME, DNSRecord, EDNS0, MX, PTR, QTYPE, RCODE, RR, SOA, TXT, A

CONTROL_SUFFIX = "_control"
HOLD_LIMIT_SECONDS = 60.0  # a held answer is sent anyway after this, so no thread waits forever
MAX_CHAIN = 16


def _norm(name):
    return str(name).rstrip(".").lower()


class Zones:
    """The zone description, compiled into records per (name, type)."""

    def __init__(self, description):
        self.soa = {_norm(k): v for k, v in description.get("soa", {}).items()}
        self.names = {}
        for name, spec in description.get("names", {}).items():
            self.names[_norm(name)] = spec

    def exists(self, name):
        if name in self.names:
            return True
        suffix = "." + name
        return any(other.endswith(suffix) for other in self.names)

    def soa_for(self, name):
        """The SOA record of the closest enclosing zone, or None."""
        best = None
        for zone in self.soa:
            if name == zone or name.endswith("." + zone):
                if best is None or len(zone) > len(best):
                    best = zone
        if best is None:
            return None
        spec = self.soa[best]
        minimum = int(spec.get("minimum", 60))
        rdata = SOA(f"ns.{best}", f"hostmaster.{best}", (1, 3600, 600, 86400, minimum))
        return RR(best, QTYPE.SOA, rdata=rdata, ttl=int(spec.get("ttl", 3600)))

    def records(self, name, qtype):
        """RRs of `qtype` owned by `name` (no CNAME processing)."""
        spec = self.names.get(name)
        if spec is None:
            return []
        type_name = QTYPE[qtype]
        if type_name not in spec:
            return []
        value = spec[type_name]
        ttl = int(spec.get("ttl", 300))
        if type_name == "CNAME":
            return [RR(name, QTYPE.CNAME, rdata=CNAME(value), ttl=ttl)]
        if isinstance(value, dict):
            ttl = int(value.get("ttl", ttl))
            if "count" in value:
                value = _generate_addresses(value["from"], int(value["count"]))
            else:
                value = value.get("records", [])
        return [RR(name, qtype, rdata=_rdata(type_name, item), ttl=ttl) for item in value]


def _generate_addresses(first, count):
    start = ipaddress.ip_address(first)
    return [str(start + i) for i in range(count)]


def _txt_strings(item):
    if isinstance(item, dict):
        data = (item.get("fill", "x") * int(item["length"]))[: int(item["length"])]
        item = [data]
    elif isinstance(item, str):
        item = [item]
    chunks = []
    for s in item:
        raw = s.encode() if isinstance(s, str) else bytes(s)
        if not raw:
            chunks.append(b"")
        for i in range(0, len(raw), 255):
            chunks.append(raw[i:i + 255])
    return chunks


def _rdata(type_name, item):
    if type_name == "A":
        return A(item)
    if type_name == "AAAA":
        return AAAA(item)
    if type_name == "MX":
        preference, exchange = item
        return MX(exchange if exchange not in ("", ".") else ".", int(preference))
    if type_name == "TXT":
        return TXT(_txt_strings(item))
    if type_name == "PTR":
        return PTR(item)
    raise ValueError(f"unsupported record type {type_name}")


class DnsServer:
    """Serves `zones` on host:port over UDP and TCP until stop(). Unpacks as (port, stop)."""

    def __init__(self, zones, host="127.0.0.1", port=0):
        self.zones = Zones(zones)
        self.host = host
        self._lock = threading.Lock()
        self._counts = {}
        self._tcp_counts = {}
        self._held = {}  # name -> events of the answers held now
        self._stopping = threading.Event()
        self._threads = []
        self._connections = set()
        self._udp, self._tcp = self._bind(host, port)
        self.port = self._udp.getsockname()[1]
        for target in (self._serve_udp, self._serve_tcp):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)

    def __iter__(self):
        return iter((self.port, self.stop))

    # --- public API -------------------------------------------------------------------------

    def count(self, name, qtype="A"):
        with self._lock:
            return self._counts.get((_norm(name), qtype.upper()), 0)

    def tcp_count(self, name, qtype="A"):
        with self._lock:
            return self._tcp_counts.get((_norm(name), qtype.upper()), 0)

    def reset(self):
        with self._lock:
            self._counts.clear()
            self._tcp_counts.clear()

    def release(self, name):
        """Sends the answers held for `name` now; later queries for it are held again."""
        with self._lock:
            events = self._held.pop(_norm(name), [])
        for event in events:
            event.set()

    def stop(self):
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._lock:
            for events in self._held.values():
                for event in events:
                    event.set()
            connections = list(self._connections)
        for s in [self._udp, self._tcp] + connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for t in self._threads:
            t.join(timeout=5)

    # --- sockets ------------------------------------------------------------------------------

    @staticmethod
    def _bind(host, port):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(50):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            udp.bind((host, port))
            chosen = udp.getsockname()[1]
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((host, chosen))
            except OSError:
                udp.close()
                tcp.close()
                if port:
                    raise
                continue
            tcp.listen(64)
            return udp, tcp
        raise OSError("no port free for both UDP and TCP")

    def _serve_udp(self):
        while not self._stopping.is_set():
            try:
                data, peer = self._udp.recvfrom(65535)
            except OSError:
                return
            self._handle(data, lambda reply, peer=peer: self._udp.sendto(reply, peer), "udp")

    def _serve_tcp(self):
        while not self._stopping.is_set():
            try:
                conn, _ = self._tcp.accept()
            except OSError:
                return
            with self._lock:
                self._connections.add(conn)
            t = threading.Thread(target=self._serve_connection, args=(conn,), daemon=True)
            t.start()

    def _serve_connection(self, conn):
        write_lock = threading.Lock()

        def send(reply):
            with write_lock:
                conn.sendall(struct.pack("!H", len(reply)) + reply)

        try:
            while not self._stopping.is_set():
                header = _recv_exactly(conn, 2)
                if header is None:
                    return
                data = _recv_exactly(conn, struct.unpack("!H", header)[0])
                if data is None:
                    return
                self._handle(data, send, "tcp")
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    # --- answers ------------------------------------------------------------------------------

    def _hold_event(self, name):
        event = threading.Event()
        with self._lock:
            self._held.setdefault(name, []).append(event)
        return event

    def _handle(self, data, send, transport):
        try:
            request = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - garbage in, nothing out
            return
        qname = _norm(request.q.qname)
        qtype_name = QTYPE.get(request.q.qtype, str(request.q.qtype))
        if qname == CONTROL_SUFFIX or qname.endswith("." + CONTROL_SUFFIX):
            self._send(send, self._control(request, qname), transport, request)
            return
        with self._lock:
            key = (qname, qtype_name)
            self._counts[key] = self._counts.get(key, 0) + 1
            if transport == "tcp":
                self._tcp_counts[key] = self._tcp_counts.get(key, 0) + 1
        behaviour = self.zones.names.get(qname, {}).get("behaviour")
        if behaviour == "drop":
            return
        if behaviour == "hold":
            event = self._hold_event(qname)

            def later():
                event.wait(HOLD_LIMIT_SECONDS)
                if not self._stopping.is_set():
                    self._send(send, self._answer(request, qname, None), transport, request)

            threading.Thread(target=later, daemon=True).start()
            return
        if behaviour in ("malformed", "pointer_loop"):
            self._send_raw(send, self._broken(request, qname, behaviour))
            return
        if behaviour == "truncate" and transport == "udp":
            reply = request.reply()
            reply.header.tc = 1
            self._send_raw(send, reply.pack())
            return
        self._send(send, self._answer(request, qname, behaviour), transport, request)

    def _answer(self, request, qname, behaviour):
        reply = request.reply()
        reply.header.aa = 0
        if behaviour in ("servfail", "refused", "formerr"):
            reply.header.rcode = {"servfail": RCODE.SERVFAIL, "refused": RCODE.REFUSED,
                                  "formerr": RCODE.FORMERR}[behaviour]
            return reply
        qtype = request.q.qtype
        name = qname
        for _ in range(MAX_CHAIN):
            spec = self.zones.names.get(name)
            if spec is not None and "CNAME" in spec and qtype != QTYPE.CNAME:
                for rr in self.zones.records(name, QTYPE.CNAME):
                    reply.add_answer(rr)
                if spec.get("behaviour") == "nochase":
                    return reply
                name = _norm(spec["CNAME"])
                continue
            break
        records = self.zones.records(name, qtype)
        for rr in records:
            reply.add_answer(rr)
        if not records:
            if not self.zones.exists(name):
                reply.header.rcode = RCODE.NXDOMAIN
            soa = self.zones.soa_for(name)
            if soa is not None:
                reply.add_auth(soa)
        return reply

    def _control(self, request, qname):
        reply = request.reply()
        labels = qname.split(".")
        text = None
        if qname == "ping." + CONTROL_SUFFIX:
            text = "pong"
        elif qname == "reset." + CONTROL_SUFFIX:
            self.reset()
            text = "ok"
        elif len(labels) >= 4 and labels[-2] in ("count", "tcpcount"):
            qtype, name = labels[0].upper(), ".".join(labels[1:-2])
            text = str(self.count(name, qtype) if labels[-2] == "count" else self.tcp_count(name, qtype))
        elif len(labels) >= 3 and labels[-2] == "release":
            self.release(".".join(labels[:-2]))
            text = "ok"
        if text is None:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(text), ttl=0))
        return reply

    @staticmethod
    def _broken(request, qname, behaviour):
        reply = request.reply()
        reply.add_answer(RR(qname, request.q.qtype if request.q.qtype == QTYPE.A else QTYPE.A,
                            rdata=A("192.0.2.99"), ttl=60))
        packet = bytearray(reply.pack())
        if behaviour == "malformed":
            struct.pack_into("!H", packet, 6, 3)  # ANCOUNT 3, one record present
            return bytes(packet)
        # Replace the answer's owner name (right after the question) with a pointer to itself.
        question_end = 12 + len(_encode_name(qname)) + 4
        pointer = 0xC000 | question_end
        return bytes(packet[:question_end]) + struct.pack("!H", pointer) + bytes(packet[question_end + 2:])

    def _send(self, send, reply, transport, request):
        opt = next((rr for rr in request.ar if rr.rtype == QTYPE.OPT), None)
        if opt is not None:
            reply.add_ar(EDNS0(udp_len=4096))
        packet = reply.pack()
        limit = max(512, opt.rclass) if opt is not None else 512
        if transport == "udp" and len(packet) > limit:
            truncated = request.reply()
            truncated.header.tc = 1
            packet = truncated.pack()
        self._send_raw(send, packet)

    def _send_raw(self, send, packet):
        if self._stopping.is_set():
            return
        try:
            send(packet)
        except OSError:
            pass


def _encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _recv_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def start_dns_server(zones, host="127.0.0.1", port=0):
    """Starts a server for `zones` (dict or path of a JSON file). Returns a DnsServer, which
    unpacks as (port, stop)."""
    if not isinstance(zones, dict):
        with open(zones, encoding="utf-8") as f:
            zones = json.load(f)
    return DnsServer(zones, host=host, port=port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--zones", required=True, help="JSON zone description")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = start_dns_server(args.zones, host=args.host, port=args.port)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(f"PORT {server.port}", flush=True)
    # A test binary that crashes cannot stop us: leave when our parent is gone.
    parent = os.getppid()
    while not done.wait(0.5):
        if os.getppid() != parent:
            break
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
