// vnd.dovecot.testsuite for Postern's Sieve interpreter: the commands and tests Pigeonhole's
// .svtest files use (see tests/conformance/data/pigeonhole/INDEX.md), over an in-memory
// mail store and an in-memory outgoing queue.
#include "testsuite.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "filter/sieve/compile.h"
#include "filter/sieve/outgoing.h"
#include "filter/sieve/runtime.h"
#include "mime/address.h"
#include "mime/body_text.h"

namespace postern::sieve::testsuite {

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p, bool* ok) {
    std::ifstream in(p, std::ios::binary);
    *ok = static_cast<bool>(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "inbox", "Inbox.x" -> "INBOX", "INBOX.x": INBOX is case-insensitive (RFC 3501 §5.1).
std::string normalize_mailbox(std::string_view name) {
    std::string n(name);
    if (n.size() >= 5 && lower(n.substr(0, 5)) == "inbox" &&
        (n.size() == 5 || n[5] == '.' || n[5] == '/'))
        n.replace(0, 5, "INBOX");
    return n;
}

// Dovecot's test mail storage holds messages with CRLF line ends; sizes depend on it.
std::string to_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            out += '\r';
        out += text[i];
    }
    return out;
}

std::string strip_brackets(std::string_view a) {
    while (!a.empty() && (a.front() == ' ' || a.front() == '<'))
        a.remove_prefix(1);
    while (!a.empty() && (a.back() == ' ' || a.back() == '>'))
        a.remove_suffix(1);
    return std::string(a);
}

// Upstream runs the suite with Dovecot's attachment detection on, so its storage adds the
// "$HasNoAttachment" keyword to every stored message without an attachment; the imap4flags
// files count it. The harness's store does the same.
std::vector<std::string> with_storage_keywords(const SieveMessage& msg,
                                               std::vector<std::string> flags) {
    bool attachment = false;
    for (const auto& part : msg.parsed().parts) {
        if (part.kind == mime::PartKind::leaf && part.parent != mime::kNoPart &&
            !mime::is_text_part(part))
            attachment = true;
    }
    for (const auto& h : msg.parsed().headers)
        if (h.is("Content-Disposition") &&
            lower(h.raw_value).find("attachment") != std::string::npos)
            attachment = true;
    if (!attachment)
        flags.push_back(attachment ? "$HasAttachment" : "$HasNoAttachment");
    return flags;
}

struct Stored {
    std::string raw;
    std::vector<std::string> flags;
};

const char* kDefaultMessage =
    "From: sender@example.com\r\nTo: recipient@example.org\r\nSubject: Frop!\r\n\r\nFrop!\r\n";

class Suite : public Environment {
  public:
    explicit Suite(fs::path dir) : dir_(std::move(dir)) { build_registry(); }

    FileOutcome run(const std::string& source) {
        FileOutcome out;
        CompileOptions options;
        options.registry = &registry_;
        options.parse.max_script_bytes = 4 * 1024 * 1024;
        CompileResult c = compile(source, options);
        if (!c.program) {
            out.file_error = "compile: " + c.error_text();
            return out;
        }
        message_.set_raw(kDefaultMessage);
        unedited_ = kDefaultMessage;
        set_default_envelope();
        ExecLimits limits;
        limits.instruction_budget = 100'000'000;
        limits.max_actions = 10000;
        limits.max_redirects = 10000;
        Runtime rt(*c.program, message_, envelope_, *this, limits);
        outcome_ = &out;
        rt_ = &rt;
        Flow f = rt.run_program(*c.program);
        if (f == Flow::error || rt.failed()) {
            out.file_error =
                "runtime: " + (rt.errors().empty() ? std::string("error") : rt.errors()[0]);
        }
        rt_ = nullptr;
        return out;
    }

    // Environment
    bool mailbox_exists(std::string_view m) override {
        std::string n = normalize_mailbox(m);
        return n == "INBOX" || mailboxes_.count(n) || folders_.count(n);
    }
    std::optional<std::string> load_script(bool global, std::string_view name) override {
        bool ok = false;
        std::string text = read_file(
            dir_ / (global ? "included-global" : "included") / (std::string(name) + ".sieve"), &ok);
        if (!ok)
            return std::nullopt;
        return text;
    }
    bool duplicate_seen(std::string_view handle, std::string_view id) override {
        return duplicates_.count(std::string(handle) + '\x1f' + std::string(id)) != 0;
    }
    std::int64_t now() const override { return 1700000000; }
    // The values Pigeonhole's own test environment gives (environment/basic.svtest checks
    // them): it calls itself "Pigeonhole Sieve" and runs the suite as a mail store ("MS").
    // Every other item is the interpreter's own.
    std::optional<std::string> environment_item(std::string_view item) const override {
        if (item == "name")
            return std::string("Pigeonhole Sieve");
        if (item == "location")
            return std::string("MS");
        return Environment::environment_item(item);
    }
    int local_zone_minutes() const override { return 0; }

  private:
    fs::path dir_;
    Registry registry_;
    SieveMessage message_;
    Envelope envelope_;
    Runtime* rt_ = nullptr;
    FileOutcome* outcome_ = nullptr;
    std::shared_ptr<const Program> compiled_;
    std::vector<std::string> errors_;
    std::set<std::string> mailboxes_;
    std::map<std::string, std::vector<Stored>> folders_;
    std::vector<OutgoingMessage> sent_;
    std::set<std::string> duplicates_;
    std::set<std::string> vacation_sent_;
    std::string result_message_;
    std::string unedited_;  // the message test_set gave, before any editheader change
    std::string fail_reason_;
    bool result_keep_ = true;
    int counter_ = 0;

    void set_default_envelope() {
        // As Pigeonhole: sender from Return-Path, Sender or From; recipient from Envelope-To
        // or To; defaults otherwise.
        auto first_addr = [&](std::initializer_list<const char*> names, const char* fallback) {
            for (const char* h : names) {
                for (auto raw : message_.raw_values(h)) {
                    auto l = mime::flatten(mime::parse_address_list(raw));
                    for (const auto& m : l)
                        if (m.has_address())
                            return m.addr_spec();
                }
            }
            return std::string(fallback);
        };
        envelope_ = {};
        envelope_.from = first_addr({"Return-Path", "Sender", "From"}, "sender@example.com");
        envelope_.to = first_addr({"Envelope-To", "To"}, "recipient@example.com");
        if (rt_)
            rt_->mutable_envelope() = envelope_;
    }

    Flow fail(Runtime& rt, const Node& node, std::string reason) {
        (void)rt;
        (void)node;
        fail_reason_ = std::move(reason);
        return Flow::test_failed;
    }

    fs::path resolve(std::string_view name) const { return dir_ / std::string(name); }

    // Runs `program` against the current message as a test_script_run does, leaving its
    // unfinished actions in the suite result. False on a runtime error.
    bool run_script(Runtime& outer, const Program& program, bool append) {
        SieveMessage copy(outer.message().raw());
        ExecLimits limits;
        Runtime rt(program, copy, outer.envelope(), *this, limits);
        rt.flags() = append ? outer.flags() : std::string();  // multiscript: flags carry on
        Flow f = rt.run_program(program);
        errors_ = rt.errors();
        if (f == Flow::error || rt.failed()) {
            if (!append)
                outer.actions().clear();
            return false;
        }
        if (!append)
            outer.actions().clear();
        auto start = std::make_shared<const std::string>(outer.message().raw());
        for (auto a : rt.actions().actions()) {
            if (!a.message)
                a.message = start;  // the message this script started with
            std::string err = outer.actions().add(a, 10000, 10000);
            if (!err.empty()) {
                errors_.push_back(err);
                return false;
            }
        }
        if (!rt.actions().implicit_keep())
            outer.actions().set_implicit_keep(false);
        if (append && rt.actions().implicit_keep()) {
            // keep the earlier decision
        }
        outer.flags() = rt.flags();
        for (auto& d : rt.duplicates())
            duplicates_.insert(d.handle + '\x1f' + d.id);
        result_message_ = copy.raw();
        return true;
    }

    bool execute_result(Runtime& rt) {
        sent_.clear();
        std::string raw = result_message_.empty() ? rt.message().raw() : result_message_;
        SieveMessage msg(raw);
        ActionList list = rt.actions();
        list.finish(split_flags(rt.flags()));
        GenerateContext ctx;
        ctx.hostname = "example.com";
        ctx.now = now();
        errors_.clear();
        for (const auto& a : list.actions()) {
            if (a.kind != Action::Kind::keep && a.kind != Action::Kind::fileinto)
                continue;
            std::string box = normalize_mailbox(a.mailbox);
            if (!valid_mailbox_name(box)) {
                errors_.push_back("failed to store into mailbox '" + a.mailbox +
                                  "': invalid mailbox name");
                return false;
            }
            if (!a.create && !mailbox_exists(box)) {
                errors_.push_back("failed to store into mailbox '" + a.mailbox +
                                  "': mailbox does not exist");
                return false;
            }
        }
        for (const auto& a : list.actions()) {
            ctx.unique = std::to_string(++counter_);
            // Each action sees the message as editheader had left it when it ran; the
            // implicit keep the final one.
            std::string action_raw = a.implicit ? raw : (a.message ? *a.message : unedited_);
            SieveMessage action_msg(action_raw);
            switch (a.kind) {
                case Action::Kind::keep:
                case Action::Kind::fileinto:
                    folders_[normalize_mailbox(a.mailbox)].push_back(
                        {action_raw, with_storage_keywords(action_msg, a.flags)});
                    break;
                case Action::Kind::redirect:
                    if (!redirect_loops(action_msg, rt.envelope().to))
                        sent_.push_back(build_redirect(a.address, action_msg, rt.envelope()));
                    break;
                case Action::Kind::reject:
                case Action::Kind::ereject:
                    if (auto mdn = build_reject_mdn(a.reason, msg, rt.envelope(), ctx))
                        sent_.push_back(std::move(*mdn));
                    break;
                case Action::Kind::vacation: {
                    if (!vacation_skip_reason(a.vacation, msg, rt.envelope()).empty())
                        break;
                    sent_.push_back(build_vacation_reply(a.vacation, msg, rt.envelope(), ctx));
                    break;
                }
                case Action::Kind::notify:
                    if (notification_skip_reason(msg).empty())
                        for (auto& n : build_notification(a.notify, msg, rt.envelope(), ctx))
                            sent_.push_back(std::move(n));
                    break;
                case Action::Kind::discard:
                    break;
            }
        }
        // Later scripts of a multiscript sequence see these as carried out (no conflicts with
        // them); the main script's own result is executed whole each time, as before.
        rt.actions().mark_executed();
        result_message_.clear();
        return true;
    }

    void select_message(Runtime& rt, const std::string& raw) { rt.message().set_raw(raw); }

    void build_registry() {
        registry_ = Registry::standard();
        Registry& r = registry_;
        r.add_extension("vnd.dovecot.testsuite");
        const std::string ext = "vnd.dovecot.testsuite";
        using S = CommandSpec::Sub;

        r.add({.name = "test",
               .extension = ext,
               .positional = {ArgType::string},
               .sub = S::block,
               .run = [this](Runtime& rt, const Node& node) {
                   std::string name = rt.str(node.pos_arg(0));
                   fail_reason_.clear();
                   Flow f = rt.run_block(node.block);
                   if (f == Flow::test_failed || f == Flow::error || rt.failed()) {
                       std::string why = fail_reason_;
                       if (rt.failed() && !rt.errors().empty())
                           why = "runtime error: " + rt.errors()[0];
                       outcome_->failed.push_back(name + ": " + why);
                       rt.clear_failure();
                   } else {
                       ++outcome_->tests_passed;
                   }
                   return Flow::next;
               }});
        r.add({.name = "test_fail",
               .extension = ext,
               .positional = {ArgType::string},
               .run = [this](Runtime& rt, const Node& node) {
                   return fail(rt, node, rt.str(node.pos_arg(0)));
               }});
        r.add({.name = "test_set",
               .extension = ext,
               .positional = {ArgType::string, ArgType::string},
               .run = [this](Runtime& rt, const Node& node) {
                   std::string what = lower(rt.str(node.pos_arg(0)));
                   std::string value = rt.str(node.pos_arg(1));
                   if (what == "message") {
                       value = to_crlf(value);
                       unedited_ = value;
                       rt.message().set_raw(value);
                       message_.set_raw(value);
                       set_default_envelope();
                       rt.mutable_envelope() = envelope_;
                       result_message_.clear();
                   } else if (what == "envelope.from") {
                       rt.mutable_envelope().from = value;  // the envelope test parses the path
                   } else if (what == "envelope.to") {
                       rt.mutable_envelope().to = value;
                   } else if (what == "envelope.orig_to") {
                       rt.mutable_envelope().orig_to = strip_brackets(value);
                   } else if (what == "envelope.auth") {
                       rt.mutable_envelope().auth = value;
                   } else {
                       return rt.error(node, "test_set: unknown object '" + what + "'");
                   }
                   return Flow::next;
               }});
        r.add({.name = "test_mailbox_create",
               .extension = ext,
               .positional = {ArgType::string},
               .run = [this](Runtime& rt, const Node& node) {
                   mailboxes_.insert(normalize_mailbox(rt.str(node.pos_arg(0))));
                   return Flow::next;
               }});
        r.add({.name = "test_script_compile",
               .is_test = true,
               .extension = ext,
               .positional = {ArgType::string},
               .eval = [this](Runtime& rt, const Node& node) {
                   bool ok = false;
                   std::string source = read_file(resolve(rt.str(node.pos_arg(0))), &ok);
                   compiled_.reset();
                   errors_.clear();
                   if (!ok) {
                       errors_.push_back("script not found");
                       return false;
                   }
                   CompileOptions options;
                   options.registry = &registry_;
                   CompileResult c = compile(source, options);
                   for (const auto& e : c.errors)
                       errors_.push_back(e.message);
                   // Dovecot ends a failed compile with one more error, "parse failed" or
                   // "validation failed"; the counts in the .svtest files include it.
                   if (!c.program)
                       errors_.push_back("validation failed");
                   compiled_ = c.program;
                   return compiled_ != nullptr;
               }});
        r.add({.name = "test_script_run",
               .is_test = true,
               .extension = ext,
               .tags = {{"append_result"}},
               .eval = [this](Runtime& rt, const Node& node) {
                   if (!compiled_)
                       return false;
                   return run_script(rt, *compiled_, node.has_tag("append_result"));
               }});
        r.add({.name = "test_multiscript",
               .is_test = true,
               .extension = ext,
               .positional = {ArgType::string_list},
               .eval = [this](Runtime& rt, const Node& node) {
                   auto scripts = rt.list(node.pos_arg(0));
                   std::string saved = rt.message().raw();
                   rt.actions().clear();
                   bool ok = true;
                   for (std::size_t i = 0; i < scripts.size(); ++i) {
                       bool found = false;
                       std::string source = read_file(resolve(scripts[i]), &found);
                       CompileOptions options;
                       options.registry = &registry_;
                       CompileResult c = compile(source, options);
                       if (!c.program)
                           return false;
                       bool keep_before = rt.actions().implicit_keep();
                       rt.actions().set_implicit_keep(true);
                       if (!run_script(rt, *c.program, true))
                           ok = false;
                       // Only the last script's implicit keep counts; a cancelled earlier
                       // keep does not cancel a later script's.
                       (void)keep_before;
                       // The next script sees the message as this one left it (editheader).
                       if (!result_message_.empty())
                           rt.message().set_raw(result_message_);
                   }
                   if (ok)
                       ok = execute_result(rt);
                   rt.message().set_raw(saved);
                   return ok;
               }});
        r.add({.name = "test_result_reset",
               .extension = ext,
               .run = [this](Runtime& rt, const Node&) {
                   rt.actions().clear();
                   rt.flags().clear();
                   sent_.clear();
                   result_message_.clear();
                   return Flow::next;
               }});
        r.add({.name = "test_result_print", .extension = ext, .run = [](Runtime&, const Node&) {
                   return Flow::next;
               }});
        r.add({.name = "test_result_execute",
               .is_test = true,
               .extension = ext,
               .eval = [this](Runtime& rt, const Node&) { return execute_result(rt); }});
        r.add({.name = "test_result_action",
               .is_test = true,
               .extension = ext,
               .tags = {{"index", ArgType::number}},
               .positional = {ArgType::string_list},
               .match = true,
               .eval = [this](Runtime& rt, const Node& node) {
                   std::vector<std::string> values;
                   const auto& acts = rt.actions().actions();
                   for (const auto& a : acts)
                       values.emplace_back(a.name() == "ereject" ? "reject" : a.name());
                   if (const Argument* idx = node.tag_value("index")) {
                       std::size_t n = static_cast<std::size_t>(idx->number);
                       if (n == 0 || n > values.size())
                           return false;
                       values = {values[n - 1]};
                   }
                   return rt.match(node, values, rt.list(node.pos_arg(0)));
               }});
        r.add({.name = "test_error",
               .is_test = true,
               .extension = ext,
               .tags = {{"index", ArgType::number}},
               .positional = {ArgType::string_list},
               .match = true,
               .eval = [this](Runtime& rt, const Node& node) {
                   std::vector<std::string> values = errors_;
                   if (const Argument* idx = node.tag_value("index")) {
                       std::size_t n = static_cast<std::size_t>(idx->number);
                       if (n == 0 || n > values.size())
                           return false;
                       values = {values[n - 1]};
                   }
                   return rt.match(node, values, rt.list(node.pos_arg(0)));
               }});
        auto message_test = [this](Runtime& rt, const Node& node) {
            std::size_t index =
                static_cast<std::size_t>(node.pos_arg(node.positional.size() - 1).number);
            if (const Argument* folder = node.tag_value("folder")) {
                std::string name = normalize_mailbox(rt.str(*folder));
                auto it = folders_.find(name);
                if (it == folders_.end() || index >= it->second.size())
                    return false;
                select_message(rt, it->second[index].raw);
                rt.flags() = join_flags(it->second[index].flags);
                return true;
            }
            if (index >= sent_.size())
                return false;
            select_message(rt, sent_[index].raw);
            rt.mutable_envelope().from = sent_[index].envelope_from;
            rt.mutable_envelope().to = sent_[index].envelope_to;
            return true;
        };
        r.add({.name = "test_message",
               .is_test = false,
               .both = true,
               .extension = ext,
               .tags = {{"smtp"}, {"folder", ArgType::string}},
               .positional = {ArgType::number},
               .run =
                   [message_test](Runtime& rt, const Node& node) {
                       // As a command, a message that is not there fails the test case.
                       if (!message_test(rt, node))
                           return rt.error(node, "test_message: no such message");
                       return Flow::next;
                   },
               .eval = message_test});
    }
};

}  // namespace

FileOutcome run_file(const fs::path& file) {
    bool ok = false;
    std::string source = read_file(file, &ok);
    if (!ok) {
        FileOutcome out;
        out.file_error = "cannot read " + file.string();
        return out;
    }
    if (file.extension() == ".in") {
        // test-address.svtest.in: built without UTF-8 mail support, "#UTF8#" lines are blanked.
        std::string out;
        std::istringstream in(source);
        std::string line;
        while (std::getline(in, line)) {
            if (line.starts_with("#UTF8#"))
                line.clear();
            out += line + "\n";
        }
        source = std::move(out);
    }
    Suite suite(file.parent_path());
    return suite.run(source);
}

}  // namespace postern::sieve::testsuite
