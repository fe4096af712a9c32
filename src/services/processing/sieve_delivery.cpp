// Sieve at local delivery: the three levels (server, domain, account), the merge of their
// results, RFC 5230 reply tracking per sender and RFC 7352 duplicate tracking per account.
#include "services/processing/sieve_delivery.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "base/fs.h"
#include "filter/sieve/runtime.h"

namespace postern::services::processing {

namespace fs = std::filesystem;
using sieve::Action;

namespace {

std::optional<std::string> read_script(const fs::path& path, std::uint64_t max) {
    std::error_code ec;
    if (path.empty() || !fs::is_regular_file(path, ec))
        return std::nullopt;
    auto size = fs::file_size(path, ec);
    if (ec)
        return std::nullopt;
    if (size > max)
        return std::string();  // too large: compile() reports it from the size
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class DeliveryEnvironment : public sieve::Environment {
  public:
    DeliveryEnvironment(const SieveSettings& settings, fs::path account_dir,
                        const SieveDelivery::MailboxExists& exists,
                        const SieveDelivery::SpecialUseFolders& special_use, std::string domain,
                        std::string host)
        : settings_(settings),
          dir_(std::move(account_dir)),
          exists_(exists),
          special_use_(special_use),
          domain_(std::move(domain)),
          host_(std::move(host)) {}

    bool mailbox_exists(std::string_view m) override { return exists_ ? exists_(m) : false; }
    std::optional<std::string> load_script(bool global, std::string_view name) override {
        if (name.find('/') != std::string_view::npos || name.starts_with("."))
            return std::nullopt;
        fs::path p = global ? settings_.global_dir() : dir_ / "scripts";
        auto text = read_script(p / (std::string(name) + ".sieve"), settings_.max_script_size);
        return text;
    }
    bool duplicate_seen(std::string_view handle, std::string_view id) override {
        return tracking_seen(dir_ / "duplicate.track",
                             std::string(handle) + '\x1f' + std::string(id), now());
    }
    std::string_view domain() const override { return domain_; }
    std::string_view host() const override { return host_; }
    std::optional<std::string> special_use_mailbox(std::string_view use) override {
        auto folders = special_use_ ? special_use_(use) : std::vector<std::string>();
        if (folders.empty())
            return std::nullopt;
        return folders.front();
    }
    bool has_special_use(std::string_view mailbox, std::string_view use) override {
        auto folders = special_use_ ? special_use_(use) : std::vector<std::string>();
        return std::any_of(folders.begin(), folders.end(), [&](const std::string& f) {
            return f == mailbox || (sieve::mailbox_is_inbox(f) && sieve::mailbox_is_inbox(mailbox));
        });
    }

  private:
    const SieveSettings& settings_;
    fs::path dir_;
    const SieveDelivery::MailboxExists& exists_;
    const SieveDelivery::SpecialUseFolders& special_use_;
    std::string domain_;
    std::string host_;
};

bool decisive(const Action& a) {
    switch (a.kind) {
        case Action::Kind::keep:
        case Action::Kind::discard:
        case Action::Kind::reject:
        case Action::Kind::ereject:
            return true;
        case Action::Kind::fileinto:
        case Action::Kind::redirect:
            return !a.copy;
        case Action::Kind::vacation:
        case Action::Kind::notify:
            return false;
    }
    return false;
}

std::string describe(const sieve::ActionList& list) {
    std::string out;
    for (const auto& a : list.actions()) {
        if (!out.empty())
            out += ", ";
        out += std::string(a.name());
        if (a.kind == Action::Kind::fileinto || (a.kind == Action::Kind::keep && !a.implicit))
            out += " " + a.mailbox;
        if (a.kind == Action::Kind::keep && a.implicit)
            out = out.substr(0, out.size() - 4) + "implicit keep";
        if (a.kind == Action::Kind::redirect)
            out += " <" + a.address + ">";
        if (a.copy)
            out += " :copy";
    }
    return out.empty() ? "no actions" : out;
}

}  // namespace

bool tracking_seen(const fs::path& file, std::string_view key, std::int64_t now) {
    std::ifstream in(file);
    if (!in)
        return false;
    std::string hash = sieve::sha256_hex(key);
    std::int64_t expiry = 0;
    std::string h;
    while (in >> expiry >> h)
        if (h == hash && expiry > now)
            return true;
    return false;
}

void tracking_add(const fs::path& file, std::string_view key, std::int64_t expiry,
                  std::int64_t now) {
    std::vector<std::pair<std::int64_t, std::string>> keep;
    {
        std::ifstream in(file);
        std::int64_t e = 0;
        std::string h;
        while (in >> e >> h)
            if (e > now)
                keep.emplace_back(e, h);
    }
    std::string hash = sieve::sha256_hex(key);
    std::erase_if(keep, [&](const auto& p) { return p.second == hash; });
    keep.emplace_back(expiry, hash);
    if (keep.size() > 100000)
        keep.erase(keep.begin(), keep.begin() + static_cast<long>(keep.size() - 100000));
    std::string text;
    for (const auto& [e, h] : keep)
        text += std::to_string(e) + " " + h + "\n";
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    fs::path tmp = file;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
    }
    fs::rename(tmp, file, ec);
}

SieveOutcome SieveDelivery::run(const config::Config& config, std::string_view raw,
                                std::string_view sender, const SieveRecipient& rcpt,
                                const MailboxExists& mailbox_exists, const log::Logger& log,
                                const SpecialUseFolders& special_use_folders) {
    SieveOutcome out;
    out.message = std::string(raw);
    const SieveSettings sc = SieveSettings::from(config);
    fs::path dir = sc.account_dir(rcpt.account);
    struct Level {
        const char* name;
        fs::path path;
    };
    std::vector<Level> levels;
    levels.push_back({"server", sc.server_script()});
    if (!rcpt.domain.empty())
        levels.push_back({"domain", sc.domain_script(rcpt.domain)});
    levels.push_back({"account", dir / "active.sieve"});
    // The account's out-of-office setting, generated as a vacation script (account.ooo.set).
    levels.push_back({"out-of-office", dir / "out-of-office.sieve"});

    sieve::Envelope envelope{std::string(sender), rcpt.address, "", ""};
    DeliveryEnvironment env(sc, dir, mailbox_exists, special_use_folders, rcpt.domain,
                            config.server.hostname);
    sieve::ExecLimits limits;
    limits.max_actions = sc.max_actions;
    limits.max_redirects = sc.max_redirects;
    limits.instruction_budget = sc.max_instructions;
    sieve::CompileOptions options;
    options.parse.max_script_bytes = sc.max_script_size;

    std::vector<Action> decided;     // the delivery decision so far (empty = implicit keep)
    std::vector<Action> extras;      // :copy actions and vacation, from every level
    std::vector<std::string> flags;  // internal flags of the last level that ran
    sieve::SieveMessage message{std::string(raw)};
    std::vector<sieve::ExecResult::Duplicate> duplicates;
    for (const auto& level : levels) {
        auto source = read_script(level.path, sc.max_script_size);
        if (!source)
            continue;
        out.ran = true;
        auto compiled = cache_.get(*source, options);
        if (!compiled.program) {
            log.warn("sieve {} script {} has errors, ignored: {}", level.name, level.path.string(),
                     compiled.error_text());
            continue;
        }
        // Actions that ran before any editheader change of this level see the message as the
        // level started with it (null = the message as received).
        std::shared_ptr<const std::string> level_start;
        if (message.raw() != raw)
            level_start = std::make_shared<const std::string>(message.raw());
        auto result = sieve::execute(*compiled.program, message, envelope, env, limits);
        if (!result.ok) {
            log.warn("sieve {}: runtime error, implicit keep: {}", level.name,
                     result.errors.empty() ? "" : result.errors[0]);
            continue;
        }
        log.info("sieve {} <{}>: {}", level.name, rcpt.address, describe(result.actions));
        for (auto& d : result.duplicates)
            duplicates.push_back(d);
        std::vector<Action> level_decided;
        bool explicit_decision = !result.actions.implicit_keep();
        for (auto a : result.actions.actions()) {
            if (!a.message)
                a.message = level_start;
            if (a.implicit) {
                flags = a.flags;
                continue;
            }
            if (decisive(a)) {
                level_decided.push_back(a);
                if (a.kind == Action::Kind::keep)
                    explicit_decision = true;
            } else {
                extras.push_back(a);
            }
        }
        // A level that decided where the message goes replaces what earlier levels decided.
        if (explicit_decision)
            decided = std::move(level_decided);
    }
    for (const auto& d : duplicates) {
        std::lock_guard lock(tracking_mutex_);
        auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        tracking_add(dir / "duplicate.track", d.handle + '\x1f' + d.id,
                     now + static_cast<std::int64_t>(d.seconds), now);
    }
    out.changed = message.raw() != raw;
    if (out.changed)
        out.message = message.raw();

    // A redirect that would loop is dropped; if it was the only decision, the message is kept.
    bool looped = false;
    auto loops = [&](const Action& a) {
        if (a.kind != Action::Kind::redirect || !sieve::redirect_loops(message, rcpt.address))
            return false;
        log.warn(
            "sieve: redirect to <{}> not sent: the message already passed through this "
            "recipient's redirect (loop)",
            a.address);
        looped = true;
        return true;
    };
    std::erase_if(decided, loops);
    std::erase_if(extras, loops);
    if (looped && decided.empty())
        log.info("sieve: keeping the message in INBOX instead");

    // The decision.
    bool rejected = false, discarded = false;
    for (const auto& a : decided) {
        if (a.kind == Action::Kind::reject || a.kind == Action::Kind::ereject) {
            rejected = true;
            out.reject_reason = a.reason;
        }
        if (a.kind == Action::Kind::discard)
            discarded = true;
    }
    std::vector<Action> all = decided;
    all.insert(all.end(), extras.begin(), extras.end());
    bool stored_somewhere = false;
    for (const auto& a : all) {
        if (a.kind == Action::Kind::keep || a.kind == Action::Kind::fileinto) {
            auto same =
                std::find_if(out.stores.begin(), out.stores.end(), [&](const SieveStore& s) {
                    return s.mailbox == a.mailbox || (sieve::mailbox_is_inbox(s.mailbox) &&
                                                      sieve::mailbox_is_inbox(a.mailbox));
                });
            if (same != out.stores.end()) {
                same->flags = a.flags;
            } else {
                out.stores.push_back({sieve::mailbox_is_inbox(a.mailbox) ? "INBOX" : a.mailbox,
                                      a.flags, a.create, a.special_use, a.message});
            }
            if (decisive(a))
                stored_somewhere = true;
        }
    }
    bool redirected = std::any_of(decided.begin(), decided.end(),
                                  [](const Action& a) { return a.kind == Action::Kind::redirect; });
    if (rejected) {
        out.kind = SieveOutcome::Kind::reject;
        out.stores.clear();
    } else if (decided.empty()) {
        // Implicit keep (RFC 5228 §2.10.2), with the flags the last script set.
        auto inbox = std::find_if(out.stores.begin(), out.stores.end(),
                                  [](const SieveStore& s) { return s.mailbox == "INBOX"; });
        if (inbox == out.stores.end())
            out.stores.insert(
                out.stores.begin(),
                {"INBOX", flags, false, "",
                 out.changed ? std::make_shared<const std::string>(out.message) : nullptr});
    } else if (!stored_somewhere && out.stores.empty() && (discarded || redirected)) {
        out.kind = SieveOutcome::Kind::discard;
    }

    // Generated mail.
    sieve::GenerateContext ctx;
    ctx.hostname = config.server.hostname;
    ctx.now = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    ctx.unique = std::to_string(rcpt.account) + "." + std::to_string(ctx.now % 100000);
    for (const auto& a : all) {
        if (a.kind == Action::Kind::redirect) {
            // The copy as editheader had left the message when the redirect ran (RFC 5293 §5).
            sieve::SieveMessage copy{a.message ? *a.message : std::string(raw)};
            out.outgoing.push_back(sieve::build_redirect(a.address, copy, envelope));
            log.info("sieve: redirect to <{}>", a.address);
        } else if (a.kind == Action::Kind::vacation) {
            std::string why = sieve::vacation_skip_reason(a.vacation, message, envelope);
            if (!why.empty()) {
                log.info("sieve: no vacation reply to <{}>: {}", sender, why);
                continue;
            }
            std::string key = sieve::vacation_tracking_key(a.vacation, sender);
            std::lock_guard lock(tracking_mutex_);
            if (tracking_seen(dir / "vacation.track", key, ctx.now)) {
                log.info("sieve: no vacation reply to <{}>: already replied within {} s", sender,
                         a.vacation.seconds);
                continue;
            }
            tracking_add(dir / "vacation.track", key,
                         ctx.now + static_cast<std::int64_t>(a.vacation.seconds), ctx.now);
            out.outgoing.push_back(sieve::build_vacation_reply(a.vacation, message, envelope, ctx));
            log.info("sieve: vacation reply to <{}>", sender);
        } else if (a.kind == Action::Kind::notify) {
            // RFC 5436: sent like a redirect, once the delivery has its final outcome.
            std::string why = sieve::notification_skip_reason(message);
            if (!why.empty()) {
                log.info("sieve: no notification ({}): {}", a.notify.method, why);
                continue;
            }
            for (auto& n : sieve::build_notification(a.notify, message, envelope, ctx)) {
                log.info("sieve: notification to <{}>", n.envelope_to);
                out.outgoing.push_back(std::move(n));
            }
        }
    }
    return out;
}

}  // namespace postern::services::processing
