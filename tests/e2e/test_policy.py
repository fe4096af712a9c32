"""Lua policy scripts in the live mail flow: real smtplib sessions against posternd with a
[policy] script — refusals at MAIL FROM and EHLO, header changes seen in the message a remote
MX (aiosmtpd) received through SMTP-IN → queue → PROCESSING → SMTP-OUT, discard, a body keyword
refused at the end of DATA, SIGHUP reload (a broken new script keeps the old one), the 451
failsafe of a failing script, and `posternctl policy test`."""
import smtplib
import subprocess
import threading

import pytest
from aiosmtpd.controller import Controller

from harness import POSTERND, LineClient, client_tls_context, free_port, make_certificate, wait_for

CONFIG = """
[server]
hostname = "mx.example.test"
data_dir = "{dir}/data"
shutdown_grace = "3s"

[tls]
cert = "{cert}"
key = "{key}"

[log]
level = 15
directory = "{dir}/log"

[policy]
script = "{dir}/policy.lua"
max_time = "{max_time}"

[delivery]
connect_timeout = "3s"

[[delivery.route]]
domains = ["remote.test", "sender.test"]
smarthost = "127.0.0.1:{sink}"
tls = "none"

[services.smtp]
enabled = true
relay_networks = ["127.0.0.0/8"]

[[services.smtp.listener]]
address = "127.0.0.1:{smtp}"
tls = "starttls"
"""

SCRIPT = r"""
local blocked = { ["spam.test"] = true }

function onEhlo(ctx)
  if ctx.helo == "bad-helo.test" then
    tempfail(451, "4.7.1 HELO " .. ctx.helo .. " not welcome, try later")
  end
end

function onMailFrom(ctx)
  ctx.vars.keyword = nil
  if blocked[ctx.from_domain] then
    reject(550, "5.7.1 Mail from " .. ctx.from_domain .. " is not accepted here")
  elseif ctx.from_domain == "drop.test" then
    discard()
  end
end

function onRcptTo(ctx)
  log("rcpt", ctx.rcpt, ctx.rcpt_kind, ctx.listener, tostring(ctx.tls), tostring(ctx.auth_user), ctx.from)
  if ctx.rcpt == "dropped@remote.test" then
    discard()
  elseif ctx.rcpt == "refused@remote.test" then
    reject(550, "5.7.1 Recipient refused by policy")
  end
end

function onHeadersReceived(ctx)
  removeHeader("X-Internal")
end

function onBodyChunk(ctx)
  if ctx.chunk:find("FORBIDDEN-WORD", 1, true) then ctx.vars.keyword = true end
end

function onRelay(ctx)
  if ctx.delivery.domain == "routed.test" then
    setRelay("[127.0.0.1]", SINK_PORT, "none")
  elseif ctx.delivery.domain == "held.test" then
    tempfail(451, "4.4.5 Deliveries to held.test are paused")
  elseif ctx.delivery.domain == "bounce.test" then
    reject(550, "5.7.1 No mail to bounce.test")
  end
end

function onDeliveryFailure(ctx)
  local d = ctx.delivery
  setNdrText("Policy NDR: " .. table.concat(d.recipients, ", ") .. " at " .. d.domain ..
    " failed with " .. d.code .. ".\nAsk postmaster@sender.test for help.")
end

function onDataReceived(ctx)
  if ctx.vars.keyword then
    reject(554, "5.7.1 Message content refused")
    return
  end
  addHeader("X-Policy", "checked ip=" .. ctx.ip .. " helo=" .. ctx.helo .. " size=" .. ctx.size)
end
"""


class Sink:
    """The remote MX the smarthost route points at: keeps every message it accepted."""

    def __init__(self, port):
        self.messages = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
                return "250 2.0.0 accepted"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port, decode_data=False)

    def wait(self, count, timeout=30):
        wait_for(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} message(s) at the sink")
        return self.messages


@pytest.fixture
def policy_server(make_server):
    def factory(script=SCRIPT, max_time="2s"):
        sink_port = free_port()
        sink = Sink(sink_port)
        sink.controller.start()

        def setup(server):
            server.sink = sink
            (server.dir / "policy.lua").write_text(script.replace("SINK_PORT", str(sink_port)))

        server = make_server(CONFIG, ports=("smtp",), extra={"sink": sink_port, "max_time": max_time},
                             setup=setup)
        server.cleanups = [sink.controller.stop]
        return server

    return factory


def message(subject, body="Hello.\r\n", extra=""):
    return (f"From: carol@sender.test\r\nTo: dave@remote.test\r\nSubject: {subject}\r\n{extra}"
            f"Message-ID: <{subject}@test>\r\n\r\n{body}").encode()


def smtp(server, helo="client.sender.test"):
    s = smtplib.SMTP("127.0.0.1", server.ports["smtp"], local_hostname=helo, timeout=10)
    return s


def test_sender_domain_is_rejected_at_mail_from(policy_server):
    server = policy_server()
    with smtp(server) as s:
        s.ehlo()
        code, text = s.mail("someone@spam.test")
        assert code == 550
        assert text == b"5.7.1 Mail from spam.test is not accepted here"
        # No transaction started: RCPT needs a MAIL first.
        assert s.rcpt("dave@remote.test")[0] == 503
        assert s.mail("carol@sender.test")[0] == 250
        assert s.rcpt("dave@remote.test")[0] == 250
        code, text = s.rcpt("refused@remote.test")
        assert (code, text) == (550, b"5.7.1 Recipient refused by policy")
        s.rset()
    server.wait_log("policy onMailFrom: reject 550 5.7.1 Mail from spam.test is not accepted here")


def test_helo_is_tempfailed_and_the_client_may_greet_again(policy_server):
    server = policy_server()
    with smtp(server, helo="bad-helo.test") as s:
        code, text = s.ehlo()
        assert code == 451
        assert text == b"4.7.1 HELO bad-helo.test not welcome, try later"
        assert s.docmd("MAIL", "FROM:<carol@sender.test>")[0] == 503  # not greeted
        code, _ = s.ehlo("good.sender.test")
        assert code == 250
        assert s.mail("carol@sender.test")[0] == 250


def test_header_changes_reach_the_delivered_message(policy_server):
    server = policy_server()
    with smtp(server) as s:
        refused = s.sendmail("carol@sender.test", ["dave@remote.test", "refused@remote.test"],
                             message("headers", extra="X-Internal: secret\r\n"))
        assert refused == {"refused@remote.test": (550, b"5.7.1 Recipient refused by policy")}
    [(sender, rcpts, raw)] = server.sink.wait(1)
    assert sender == "carol@sender.test" and rcpts == ["dave@remote.test"]
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "X-Internal" not in head
    lines = head.split("\r\n")
    policy_line = [line for line in lines if line.startswith("X-Policy:")]
    sent = message("headers", extra="X-Internal: secret\r\n")
    assert policy_line == [f"X-Policy: checked ip=127.0.0.1 helo=client.sender.test size={len(sent)}"]
    # The added field sits on top of the client's header, below our Received field.
    assert lines[0].startswith("Received: from client.sender.test")
    assert lines.index(policy_line[0]) < lines.index("Subject: headers")
    assert raw.endswith(b"Subject: headers\r\nMessage-ID: <headers@test>\r\n\r\nHello.\r\n")


def test_discarded_message_gets_250_and_is_never_delivered(policy_server):
    server = policy_server()
    with smtp(server) as s:
        assert s.sendmail("x@drop.test", ["dave@remote.test"], message("dropped")) == {}
        assert s.sendmail("carol@sender.test", ["dave@remote.test"], message("kept")) == {}
    server.wait_log("discarded by policy")
    messages = server.sink.wait(1)
    assert len(messages) == 1 and b"Subject: kept" in messages[0][2]
    assert all(b"Subject: dropped" not in m[2] for m in server.sink.messages)


def test_body_keyword_refuses_the_message_at_the_end_of_data(policy_server):
    server = policy_server()
    with smtp(server) as s:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            s.sendmail("carol@sender.test", ["dave@remote.test"],
                       message("bad", body="line one\r\nsome FORBIDDEN-WORD here\r\n"))
        assert refused.value.smtp_code == 554
        assert refused.value.smtp_error == b"5.7.1 Message content refused"
        # The session goes on; ctx.vars was reset by onMailFrom for the next transaction.
        assert s.sendmail("carol@sender.test", ["dave@remote.test"], message("fine")) == {}
    messages = server.sink.wait(1)
    assert b"Subject: fine" in messages[0][2]
    server.wait_log("policy onDataReceived: reject 554 5.7.1 Message content refused")


def test_sighup_reload_changes_behaviour_and_a_broken_script_keeps_the_old_one(policy_server):
    server = policy_server()
    with smtp(server) as s:
        s.ehlo()
        assert s.mail("a@spam.test")[0] == 550
    (server.dir / "policy.lua").write_text(SCRIPT.replace('["spam.test"]', '["junk.test"]'))
    server.reload()
    server.wait_log("policy script")
    with smtp(server) as s:
        s.ehlo()
        assert s.mail("a@spam.test")[0] == 250
        s.rset()
        assert s.mail("a@junk.test")[0] == 550
    # A script with a syntax error: logged, and the previous script stays in service.
    (server.dir / "policy.lua").write_text("function onMailFrom(ctx)\n  reject(550, 'x'\nend\n")
    server.reload()
    server.wait_log("the previous script stays in service")
    with smtp(server) as s:
        s.ehlo()
        assert s.mail("a@junk.test")[0] == 550
        s.rset()
        assert s.mail("a@spam.test")[0] == 250


FAILING = r"""
function onMailFrom(ctx)
  if ctx.from_domain == "loop.test" then
    while true do end
  end
  local t = nil
  return t.field  -- attempt to index a nil value
end
"""


def test_failing_script_gives_451_never_250(policy_server):
    server = policy_server(FAILING, max_time="300ms")
    with smtp(server) as s:
        s.ehlo()
        code, text = s.mail("carol@sender.test")
        assert code == 451
        assert text.startswith(b"4.3.0")
        code, text = s.mail("carol@loop.test")  # runs into max_time
        assert code == 451
        assert text.startswith(b"4.3.0")
    server.wait_log("attempt to index a nil value")
    server.wait_log("tempfail 451")
    assert "failed" in server.log_text()


def test_posternctl_policy_test_shows_each_event(policy_server, tmp_path):
    server = policy_server()
    eml = tmp_path / "message.eml"
    eml.write_bytes(message("offline", body="has FORBIDDEN-WORD\r\n", extra="X-Internal: 1\r\n"))
    out = server.ctl("policy", "test", "--eml", eml, "--from", "carol@sender.test", "--to", "dave@remote.test",
                     "--to", "refused@remote.test", "--ip", "192.0.2.7", "--helo", "client.sender.test")
    text = out.stdout
    assert "onEhlo" in text and "onMailFrom" in text
    assert "onRcptTo refused@remote.test" in text
    assert "reject 550 5.7.1 Recipient refused by policy" in text
    assert "reject 554 5.7.1 Message content refused" in text
    assert "outcome: refused" in text

    report = server.ctl("policy", "test", "--eml", eml, "--from", "x@spam.test", "--to", "dave@remote.test",
                        "--ip", "192.0.2.7", json_output=True)
    assert report["outcome"] == "refused"
    events = [e["event"] for e in report["events"]]
    assert events[-1] == "onMailFrom"
    mail_from = report["events"][-1]
    assert mail_from["decision"]["verdict"] == "reject"
    assert mail_from["decision"]["code"] == 550

    clean = tmp_path / "clean.eml"
    clean.write_bytes(message("clean", extra="X-Internal: 1\r\n"))
    report = server.ctl("policy", "test", "--eml", clean, "--from", "carol@sender.test", "--to",
                        "dave@remote.test:remote", "--ip", "192.0.2.7", "--helo", "h.sender.test", json_output=True)
    assert report["outcome"] == "accepted"
    assert report["recipients"] == ["dave@remote.test"]
    changes = {(c["action"], c["name"]) for c in report["header_changes"]}
    assert changes == {("remove", "X-Internal"), ("add", "X-Policy")}
    # Nothing was sent.
    assert server.sink.messages == []


def test_on_relay_routes_a_domain_and_defers_another(policy_server):
    server = policy_server()
    with smtp(server) as s:
        assert s.sendmail("carol@sender.test", ["held@held.test"], message("held")) == {}
        # No [[delivery.route]] and no DNS for routed.test: only the script's setRelay gets it there.
        assert s.sendmail("carol@sender.test", ["erin@routed.test"], message("routed")) == {}
    [(sender, rcpts, raw)] = server.sink.wait(1)
    assert rcpts == ["erin@routed.test"] and b"Subject: routed" in raw
    server.wait_log("policy routes routed.test through 127.0.0.1:")
    server.wait_log("delivery to held.test deferred by policy: 451")
    shown = server.ctl("queue", "list", json_output=True)
    assert any("held@held.test" in str(m) for m in (shown if isinstance(shown, list) else shown.get("messages", [])))


def test_on_delivery_failure_writes_the_ndr_text(policy_server):
    server = policy_server()
    with smtp(server) as s:
        assert s.sendmail("carol@sender.test", ["frank@bounce.test"], message("bounced")) == {}
    server.wait_log("delivery to bounce.test refused by policy: 550")
    # The failure notice goes back to carol@sender.test, which the route sends to the sink too.
    [(sender, rcpts, raw)] = server.sink.wait(1)
    assert sender in ("", "<>") and rcpts == ["carol@sender.test"]
    text = raw.decode(errors="replace")
    assert "Policy NDR: frank@bounce.test at bounce.test failed with 550.\r\nAsk postmaster@sender.test for help." in text
    assert "Subject: bounced" in text  # the returned header


def test_bdat_message_gets_the_header_changes_and_a_discarded_recipient_is_dropped(policy_server):
    server = policy_server()
    c = LineClient(server.ports["smtp"])
    try:
        assert c.line().startswith("220 ")
        c.send(b"EHLO bdat.sender.test\r\n")
        while not c.line().startswith("250 "):
            pass
        assert c.command("MAIL FROM:<carol@sender.test>").startswith("250 ")
        assert c.command("RCPT TO:<dave@remote.test>").startswith("250 ")
        assert c.command("RCPT TO:<dropped@remote.test>").startswith("250 ")  # discard: 250, then dropped
        body = message("bdat", extra="X-Internal: gone\r\n")
        first, second = body[:30], body[30:]
        c.send(b"BDAT %d\r\n" % len(first) + first)
        assert c.line().startswith("250 ")
        c.send(b"BDAT %d LAST\r\n" % len(second) + second)
        assert c.line().startswith("250 ")
        c.command("QUIT")
    finally:
        c.close()
    [(sender, rcpts, raw)] = server.sink.wait(1)
    assert rcpts == ["dave@remote.test"]
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "X-Internal" not in head
    assert f"X-Policy: checked ip=127.0.0.1 helo=bdat.sender.test size={len(body)}" in head.split("\r\n")
    server.wait_log("policy onRcptTo: rcpt dave@remote.test remote mx false nil carol@sender.test")


def test_on_connect_refusal_is_the_greeting_and_closes(policy_server):
    server = policy_server('function onConnect(ctx)\n  reject(554, "5.7.1 No SMTP service for " .. ctx.ip)\nend\n')
    c = LineClient(server.ports["smtp"])
    try:
        greeting = c.line()
        assert greeting.startswith("554 ") and greeting.endswith("No SMTP service for 127.0.0.1")
        assert c.closed()
    finally:
        c.close()
    server.wait_log("connection refused by policy: 554")


def test_check_config_and_start_refuse_a_broken_script(tmp_path):
    (tmp_path / "policy.lua").write_text("function onMailFrom(ctx)\n  reject(550, 'x'\nend\n")
    config = tmp_path / "postern.toml"
    cert, key = make_certificate(tmp_path)
    config.write_text(CONFIG.format(dir=tmp_path, max_time="1s", sink=free_port(), smtp=free_port(), cert=cert,
                                    key=key))
    checked = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 1
    assert "policy.lua:3:" in checked.stderr and "')' expected" in checked.stderr
    (tmp_path / "policy.lua").write_text("function onRcpt(ctx) end\n")
    checked = subprocess.run([str(POSTERND), "--check-config", str(config)], capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "onRcpt is not a policy event" in checked.stdout


def test_large_message_gets_late_header_additions_and_every_body_chunk_is_seen(policy_server):
    server = policy_server()
    line = "x" * 70 + "\r\n"
    big = line * 3000  # ~216 KiB: the header goes to the queue before onDataReceived runs
    sent = message("large", body=big, extra="X-Internal: secret\r\n")
    with smtp(server) as s:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            s.sendmail("carol@sender.test", ["dave@remote.test"],
                       message("large-bad", body=big + "FORBIDDEN-WORD in the last chunk\r\n"))
        assert refused.value.smtp_code == 554
        assert s.sendmail("carol@sender.test", ["dave@remote.test"], sent) == {}
    [(sender, rcpts, raw)] = server.sink.wait(1)
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    # onHeadersReceived's removal reached the header block; onDataReceived's addition came
    # after the block was written, so it is delivered on top, as the message's header prefix.
    assert lines[0] == f"X-Policy: checked ip=127.0.0.1 helo=client.sender.test size={len(sent)}"
    assert lines[1].startswith("Received: from client.sender.test")
    assert "X-Internal" not in head.decode()
    assert body == big.encode()


TLS_SCRIPT = r"""
function onMailFrom(ctx)
  log("session", tostring(ctx.tls), tostring(ctx.tls_protocol), tostring(ctx.tls_cipher ~= nil), ctx.helo,
      ctx.from, ctx.from_params.SIZE or "-", ctx.listener)
end
"""


def test_script_sees_tls_and_mail_parameters(policy_server):
    server = policy_server(TLS_SCRIPT)
    with smtp(server, helo="tls.sender.test") as s:
        s.starttls(context=client_tls_context(None))
        s.ehlo("tls.sender.test")
        assert s.mail("carol@sender.test", ["SIZE=1234"])[0] == 250
    server.wait_log("policy onMailFrom: session true TLSv1.3 true tls.sender.test carol@sender.test 1234 mx")
