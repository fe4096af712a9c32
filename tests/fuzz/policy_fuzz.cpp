// Fuzz target for policy scripts: the input is "script\n--@@\nmessage" (a hostile script run on a
// hostile message) or, without the marker, a message for a fixed script that reads everything a
// message offers. Every event runs with tight limits; a crash, a sanitizer report or a decision
// that slipped past validation aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/policy/script.h"
#include "filter/policy/test_runner.h"
#include "filter/policy/validate.h"

namespace {

using namespace postern;
using namespace postern::filter::policy;

constexpr std::string_view kMarker = "\n--@@\n";

// Reads every header and chunk, matches them with patterns, and feeds message text back into
// decisions, so hostile content reaches each validator.
constexpr std::string_view kMessageScript = R"lua(
function onHeadersReceived(ctx)
  for _, h in ipairs(ctx:headers()) do
    local v = h.value
    if v:find("%b<>") then addHeader("X-Seen-" .. h.name:gsub("[^%w%-]", ""), v:sub(1, 200)) end
    for w in v:gmatch("[%w%.%-_]+@[%w%.%-]+") do addRecipient(w) end
  end
  local s = ctx:header("Subject")
  if s and s:match("^(.-)%s*$"):upper():find("REJECT") then reject(550, "5.7.1 " .. s:sub(1, 50)) end
end
function onBodyChunk(ctx)
  local n = select(2, ctx.chunk:gsub("%f[%w]%w+", ""))
  ctx.vars.words = (ctx.vars.words or 0) + n
  local code = ctx.chunk:match("CODE (%d%d%d)")
  if code then tempfail(tonumber(code), ctx.chunk:match("TEXT ([^\r\n]*)")) end
end
function onDataReceived(ctx)
  setReplyText(tostring(ctx.vars.words))
  local from = ctx:header("From")
  if from then removeHeader(from:match("^[%w%-]+") or "X-None") end
end
)lua";

void check(bool ok) {
    if (!ok)
        std::abort();
}

// What the validators promise for a decision that did not fail.
void check_decision(const PolicyDecision& d) {
    if (d.failed)
        return;
    if (d.verdict == Verdict::reject)
        check(d.code >= 500 && d.code <= 599);
    if (d.verdict == Verdict::tempfail)
        check(d.code >= 400 && d.code <= 499);
    check(check_reply_text(d.text) == nullptr);
    for (const auto& h : d.header_changes) {
        check(check_header_name(h.name) == nullptr);
        if (h.kind == HeaderChange::Kind::add)
            check(check_header_value(h.name, h.value) == nullptr);
    }
    for (const auto& r : d.recipient_changes) {
        if (r.kind != RecipientChange::Kind::clear)
            check(normalize_address(r.address) == r.address);
    }
    if (d.ndr_text)
        check(check_ndr_text(*d.ndr_text) == nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view script_text = kMessageScript;
    std::string_view message = input;
    if (auto at = input.find(kMarker); at != std::string_view::npos) {
        script_text = input.substr(0, at);
        message = input.substr(at + kMarker.size());
    }
    PolicyLimits limits;
    limits.max_time = std::chrono::milliseconds(20);
    limits.max_memory = 2 * 1024 * 1024;
    limits.states = 1;
    auto script = PolicyScript::load_source(script_text, "fuzz.lua", limits);
    if (!script)
        return 0;
    TestInput in;
    in.message = std::string(message);
    in.mail_from = "sender@example.net";
    in.recipients = {{"local@example.org", RecipientKind::account},
                     {"remote@example.com", RecipientKind::remote}};
    in.auth_user = "sender";
    in.chunk_size = 64 + message.size() % 200;
    in.failure_code = 550;
    auto report = run_all_events(**script, in);
    check(static_cast<bool>(report));
    for (const auto& e : report->events)
        check_decision(e.decision);
    return 0;
}
