// SMTP-IN sender authentication: SPF (RFC 7208) at MAIL FROM, DKIM (RFC 6376) verification
// while DATA streams, DMARC (RFC 7489) at the end of DATA, Authentication-Results (RFC 8601),
// DKIM signing of authenticated submissions. See sender_auth.h.
#include "services/smtp_in/sender_auth.h"

#include <chrono>
#include <fstream>

#include "base/random.h"
#include "base/strings.h"
#include "filter/dmarc/dmarc.h"
#include "filter/spf/check.h"
#include "mime/address.h"
#include "net/dns/answer_set.h"
#include "queue/message_writer.h"
#include "services/dns_bridge.h"
#include "services/runtime.h"
#include "services/smtp_in/policy_hooks.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;
namespace dns = net::dns;
namespace sa = filter::sender_auth;

// Questions one evaluation may ask: SPF's 10 terms with 10 MX or PTR names each, and some.
constexpr int kMaxQuestions = 256;
constexpr auto kKeyRecheck = std::chrono::seconds(60);

SenderAuthShared::SenderAuthShared(const config::SenderAuthConfig& config, log::Logger logger)
    : logger_(std::move(logger)) {
    if (!config.enabled || !config.dmarc)
        return;
    auto psl = filter::dmarc::PublicSuffixList::load(config.public_suffix_list);
    if (!psl) {
        logger_.error("DMARC is off: {}", psl.error().message);
        return;
    }
    psl_ = std::move(*psl);
}

std::optional<filter::dkim::SigningKey> SenderAuthShared::signing_key(
    const std::filesystem::path& key_dir, std::string_view domain) {
    std::string key = (key_dir / std::string(domain)).string();
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = keys_.find(key);
        if (it != keys_.end() && now - it->second.loaded < kKeyRecheck)
            return it->second.key;
    }
    std::optional<filter::dkim::SigningKey> found;
    std::error_code ec;
    if (std::filesystem::is_directory(key_dir / std::string(domain), ec)) {
        auto k = filter::dkim::newest_signing_key(key_dir / std::string(domain), domain);
        if (k)
            found = std::move(*k);
        else
            logger_.warn("DKIM signing for {}: {}", domain, k.error().message);
    }
    std::lock_guard lock(mutex_);
    keys_[key] = CachedKey{found, now};
    return found;
}

void SenderAuthShared::append_result(const std::filesystem::path& file, const std::string& line) {
    std::lock_guard lock(mutex_);
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ofstream out(file, std::ios::app | std::ios::binary);
    out << line << '\n';
    if (!out)
        logger_.warn("cannot append to the DMARC results log {}", file.string());
}

void SenderAuthState::reset_transaction() {
    check = false;
    sign = false;
    auth = {};
    header_done = false;
    from_domain.clear();
    verifier.reset();
    signer.reset();
    header_block.clear();
    refusal.reset();
    prefix.clear();
}

config::SpfAction spf_action(const config::SenderAuthConfig& c, filter::spf::Result r) {
    using filter::spf::Result;
    switch (r) {
        case Result::fail:
            return c.spf_fail;
        case Result::softfail:
            return c.spf_softfail;
        case Result::neutral:
            return c.spf_neutral;
        case Result::none:
            return c.spf_none;
        case Result::temperror:
            return c.spf_temperror;
        case Result::permerror:
            return c.spf_permerror;
        case Result::pass:
            return config::SpfAction::accept;
    }
    return config::SpfAction::accept;
}

std::optional<smtp::Reply> spf_reply(config::SpfAction action, const sa::SpfCheck& check) {
    if (action == config::SpfAction::accept)
        return std::nullopt;
    std::string text =
        "SPF " + std::string(filter::spf::result_name(check.result)) + " for " + check.domain;
    if (!check.explanation.empty())
        text += ": " + check.explanation;
    bool error = check.result == filter::spf::Result::temperror ||
                 check.result == filter::spf::Result::permerror;
    // RFC 7372 §3.2: X.7.23 SPF validation failed, X.7.24 SPF validation error.
    std::uint16_t detail = error ? 24 : 23;
    if (action == config::SpfAction::tempfail)
        return smtp::make_reply(451, smtp::EnhancedCode{4, 7, detail}, text);
    return smtp::make_reply(550, smtp::EnhancedCode{5, 7, detail}, text);
}

namespace {

// Asks the resolver one question and files the answer.
asio::awaitable<void> answer(dns::Resolver& resolver, dns::AnswerSet& answers,
                             const dns::Question& q) {
    std::string name = q.name;
    auto result = co_await dns_lookup(resolver, name, q.type);
    answers.add(q.name, q.type, std::move(result));
}

asio::awaitable<sa::SpfCheck> check_spf(dns::Resolver& resolver,
                                        const filter::spf::Request& request,
                                        const std::string& identity) {
    dns::AnswerSet answers;
    sa::SpfCheck out;
    out.identity = identity;
    for (int i = 0; i <= kMaxQuestions; ++i) {
        auto step = filter::spf::check_host(request, answers);
        if (step.outcome) {
            out.result = step.outcome->result;
            out.domain = step.outcome->domain;
            out.reason = step.outcome->reason;
            out.explanation = step.outcome->explanation;
            co_return out;
        }
        dns::Question q = *step.question;
        co_await answer(resolver, answers, q);
    }
    out.result = filter::spf::Result::temperror;
    out.reason = "too many DNS questions";
    co_return out;
}

std::string result_text(filter::spf::Result r) {
    return std::string(filter::spf::result_name(r));
}

}  // namespace

asio::awaitable<std::optional<smtp::Reply>> Session::sender_auth_mail(const smtp::MailFrom& mail) {
    std::optional<smtp::Reply> refusal;
    const auto& sc = ctx_.config->sender_auth;
    if (!deps_.sender_auth || !sc.enabled || lmtp_)
        co_return refusal;
    if (!sauth_)
        sauth_ = std::make_unique<SenderAuthState>();
    auto& s = *sauth_;
    s.reset_transaction();
    if (policy_)
        policy_->context.auth = {};
    if (user_) {
        s.sign = sc.dkim_sign;
        co_return refusal;
    }
    bool trusted = false;
    for (auto& range : cfg().relay_networks)
        trusted = trusted || range.contains(conn_.client.ip);
    if (trusted || !deps_.resolver)
        co_return refusal;
    s.check = true;
    s.auth.dkim_checked = sc.dkim_verify;
    s.auth.null_sender = !mail.sender;
    if (!sc.spf)
        co_return refusal;
    auto& resolver = *deps_.resolver;
    // The HELO identity (RFC 7208 §2.3), once per HELO name.
    if (sc.spf_helo && !helo_.empty() && (!s.helo || s.helo_name != helo_)) {
        auto request = filter::spf::helo_request(conn_.client.ip, helo_);
        request.receiver = ctx_.config->server.hostname;
        request.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        std::string identity = helo_;
        s.helo = co_await check_spf(resolver, request, identity);
        s.helo_name = helo_;
    }
    s.auth.spf_helo = s.helo;
    std::string sender = mail.sender ? mail.sender->to_string() : std::string();
    if (!mail.sender && s.helo) {
        s.auth.spf_mail = s.helo;  // §2.4: the null sender is checked as postmaster@HELO
    } else {
        auto request = filter::spf::mail_from_request(conn_.client.ip, sender, helo_);
        request.receiver = ctx_.config->server.hostname;
        request.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        std::string identity = mail.sender ? sender : helo_;
        s.auth.spf_mail = co_await check_spf(resolver, request, identity);
    }
    auto& spf = *s.auth.spf_mail;
    ctx_.logger.info("SPF {} for {} ({})", result_text(spf.result), spf.identity, spf.reason);
    if (policy_) {
        policy_->context.auth.spf = result_text(spf.result);
        if (s.helo)
            policy_->context.auth.spf_helo = result_text(s.helo->result);
    }
    refusal = spf_reply(spf_action(sc, spf.result), spf);
    co_return refusal;
}

void Session::sender_auth_feed(std::string& staged, std::size_t from) {
    if (!sauth_ || (!sauth_->check && !sauth_->sign))
        return;
    auto& s = *sauth_;
    if (!s.header_done) {
        if (!scanner_->complete())
            return;
        s.header_done = true;
        const auto& sc = ctx_.config->sender_auth;
        // The scanner emits the whole header block at once: it starts at `from`.
        auto block_len = header_block_length(std::string_view(staged).substr(from));
        std::string block = staged.substr(from, block_len);
        if (s.check) {
            int removed = 0;
            auto stripped = sa::strip_our_results(block, sc.authserv_id, removed);
            if (removed > 0) {
                ctx_.logger.info("removed {} Authentication-Results field(s) claiming to be ours",
                                 removed);
                staged.replace(from, block_len, stripped);
                block_len = stripped.size();
                block = std::move(stripped);
            }
        }
        auto from_list = mime::flatten(
            mime::parse_address_list(scanner_->first("From"), mime::NameDecoding::raw));
        std::size_t from_fields = 0;
        for (auto& [name, value] : scanner_->fields())
            if (iequals(name, "From"))
                ++from_fields;
        if (from_list.size() == 1 && from_fields == 1)
            s.from_domain = to_lower(from_list.front().domain);
        if (s.check && sc.dkim_verify) {
            filter::dkim::VerifyOptions options;
            options.max_signatures = sc.dkim_max_signatures;
            options.min_rsa_bits = sc.dkim_min_rsa_bits;
            options.allow_sha1 = sc.dkim_allow_sha1;
            options.now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
            s.verifier = std::make_unique<filter::dkim::Verifier>(block, options);
        }
        if (s.sign && !s.from_domain.empty()) {
            bool allowed = sc.dkim_sign_domains.empty();
            for (auto& d : sc.dkim_sign_domains)
                allowed = allowed || d == s.from_domain;
            std::optional<filter::dkim::SigningKey> key;
            if (allowed)
                key = deps_.sender_auth->signing_key(sc.dkim_key_dir, s.from_domain);
            if (key) {
                filter::dkim::SignOptions options;
                options.now = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
                s.signer = std::make_unique<filter::dkim::Signer>(std::move(*key), options);
                s.header_block = block;
            }
        }
        from += block_len;
    }
    std::string_view body = std::string_view(staged).substr(std::min(from, staged.size()));
    if (s.verifier)
        s.verifier->feed_body(body);
    if (s.signer)
        s.signer->feed_body(body);
}

asio::awaitable<void> Session::sender_auth_finish() {
    if (!sauth_ || (!sauth_->check && !sauth_->sign))
        co_return;
    auto& s = *sauth_;
    const auto& sc = ctx_.config->sender_auth;
    if (s.signer) {
        auto field = s.signer->finish(filter::dkim::split_header(s.header_block));
        if (field.empty())
            ctx_.logger.warn("DKIM signing for {} failed", s.from_domain);
        else
            ctx_.logger.info("DKIM-signed for {}", s.from_domain);
        s.prefix += field;
        s.signer.reset();
    }
    if (!s.check)
        co_return;
    dns::AnswerSet answers;
    if (s.verifier) {
        s.verifier->finish_body();
        auto questions = s.verifier->questions();
        for (const auto& q : questions) {
            if (deps_.resolver)
                co_await answer(*deps_.resolver, answers, q);
        }
        s.auth.dkim = s.verifier->results(answers);
        s.verifier.reset();
        for (auto& d : s.auth.dkim) {
            ctx_.logger.info("DKIM {} d={} s={} ({})", filter::dkim::status_name(d.status),
                             d.domain, d.selector, d.reason);
        }
    }
    auto* psl = deps_.sender_auth->psl();
    if (sc.dmarc && psl && !s.from_domain.empty()) {
        filter::dmarc::Input in;
        in.from_domain = s.from_domain;
        if (s.auth.spf_mail) {
            in.spf_pass = s.auth.spf_mail->result == filter::spf::Result::pass;
            in.spf_domain = s.auth.spf_mail->domain;
        }
        in.dkim_pass_domains = s.auth.dkim_pass_domains();
        in.sample = static_cast<int>(random_u64() % 100);
        for (int i = 0; i <= kMaxQuestions; ++i) {
            auto step = filter::dmarc::evaluate(in, *psl, answers);
            if (step.outcome) {
                s.auth.dmarc = std::move(*step.outcome);
                break;
            }
            dns::Question q = *step.question;
            co_await answer(*deps_.resolver, answers, q);
        }
    }
    if (s.auth.dmarc) {
        auto& m = *s.auth.dmarc;
        ctx_.logger.info("DMARC {} for {} (p={} disposition={}: {})",
                         filter::dmarc::result_name(m.result), m.from_domain,
                         filter::dmarc::policy_name(m.requested),
                         filter::dmarc::policy_name(m.disposition), m.reason);
        if (m.result == filter::dmarc::Result::fail && sc.dmarc_enforce) {
            if (m.disposition == filter::dmarc::Policy::reject) {
                s.refusal =
                    smtp::make_reply(550, smtp::EnhancedCode{5, 7, 1},
                                     "Message rejected by the DMARC policy of " + m.from_domain);
            } else if (m.disposition == filter::dmarc::Policy::quarantine) {
                s.prefix += "X-Postern-Quarantine: DMARC policy of " + m.from_domain + "\r\n";
            }
        }
        if (!sc.dmarc_results.empty()) {
            sa::ReportFacts facts;
            facts.time = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
            facts.queue_id = writer_ ? writer_->id().str() : std::string();
            facts.source_ip = conn_.client.ip.to_string();
            facts.envelope_from =
                envelope_ && envelope_->mail.sender ? envelope_->mail.sender->to_string() : "";
            std::string line = sa::dmarc_log_line(facts, s.auth);
            auto* shared = deps_.sender_auth;
            std::filesystem::path file = sc.dmarc_results;
            std::function<void()> job = [shared, file, line] { shared->append_result(file, line); };
            co_await run_blocking(*ctx_.blocking, std::move(job));
        }
    }
    auto field = sa::authentication_results_field(sc.authserv_id, s.auth);
    // The A-R field goes on top (RFC 8601 §5), before a quarantine mark.
    s.prefix.insert(0, field);
    if (policy_) {
        auto& a = policy_->context.auth;
        a.dkim = s.auth.dkim_summary();
        if (s.auth.dmarc) {
            a.dmarc = std::string(filter::dmarc::result_name(s.auth.dmarc->result));
            a.dmarc_policy = std::string(filter::dmarc::policy_name(s.auth.dmarc->disposition));
        }
        auto colon = field.find(':');
        a.header = std::string(trim(std::string_view(field).substr(colon + 1)));
        while (!a.header.empty() && (a.header.back() == '\n' || a.header.back() == '\r'))
            a.header.pop_back();
    }
}

}  // namespace postern::services::smtp_in
