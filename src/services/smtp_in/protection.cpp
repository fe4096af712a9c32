// SMTP-time protection in SMTP-IN sessions (docs/smtp-protection.md): DNSBL/DNSWL (RFC 5782)
// looked up at connect and applied at MAIL FROM (554 5.7.1), the country filter, the DNS checks
// (reverse DNS exists / is forward-confirmed, RFC 8601 §3 iprev; the sender domain accepts mail:
// MX or A/AAAA, RFC 5321 §5.1, null MX RFC 7505), and greylisting at RCPT TO (451 4.7.1).
#include "services/smtp_in/protection.h"

#include <chrono>

#include "base/strings.h"
#include "directory/directory.h"
#include "filter/country/country.h"
#include "filter/greylist/greylist.h"
#include "filter/lists/lists.h"
#include "proto/smtp/replies.h"
#include "services/protection.h"
#include "services/runtime.h"
#include "services/smtp_in/policy_hooks.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;
namespace dnsbl = filter::dnsbl;
namespace dns = net::dns;

namespace {

bool in_ranges(const std::vector<IpRange>& ranges, const IpAddress& ip) {
    for (const auto& r : ranges) {
        if (r.contains(ip))
            return true;
    }
    return false;
}

// Waits until every DNSBL query answered, at most `timeout`.
asio::awaitable<void> await_lookup(const std::shared_ptr<dnsbl::Lookup>& lookup,
                                   std::chrono::milliseconds timeout) {
    if (lookup->done())
        co_return;
    std::function<void(std::move_only_function<void()>)> subscribe =
        [lookup](std::move_only_function<void()> done) { lookup->when_done(std::move(done)); };
    co_await await_callback(subscribe, timeout);
}

// The reply for a DNS check that failed: `action` says 4xx or 5xx (temporary DNS failures are
// always 4xx: asking again later may work).
std::optional<smtp::Reply> check_reply(config::CheckAction action, bool temporary,
                                       std::uint8_t subject, std::uint8_t detail,
                                       const std::string& text) {
    if (action == config::CheckAction::ignore)
        return std::nullopt;
    if (temporary || action == config::CheckAction::tempfail)
        return smtp::make_reply(450, smtp::EnhancedCode{4, subject, detail}, text);
    return smtp::make_reply(550, smtp::EnhancedCode{5, subject, detail}, text);
}

std::string domain_of(const std::string& address) {
    auto at = address.rfind('@');
    return at == std::string::npos ? std::string() : to_lower(address.substr(at + 1));
}

enum class DomainState { pass, fail, null_mx, temperror };

std::string_view domain_state_name(DomainState s) {
    switch (s) {
        case DomainState::pass:
            return "pass";
        case DomainState::fail:
            return "fail";
        case DomainState::null_mx:
            return "nullmx";
        case DomainState::temperror:
            break;
    }
    return "temperror";
}

// Does the sender's domain accept mail: MX records (not a null MX), or else A/AAAA (the
// implicit MX of RFC 5321 §5.1)?
asio::awaitable<DomainState> sender_domain_state(dns::Resolver& resolver,
                                                 const std::string& domain) {
    auto mx = co_await dns_lookup_mx(resolver, domain);
    if (mx) {
        bool null_mx = mx->records.size() == 1 && mx->records.front().exchange.empty();
        co_return null_mx ? DomainState::null_mx : DomainState::pass;
    }
    if (dns::is_temporary(mx.error().code))
        co_return DomainState::temperror;
    if (mx.error().code == dns::DnsErrc::nxdomain)
        co_return DomainState::fail;
    auto a = co_await dns_lookup_a(resolver, domain);
    if (a)
        co_return DomainState::pass;
    bool temporary = dns::is_temporary(a.error().code);
    auto aaaa = co_await dns_lookup_aaaa(resolver, domain);
    if (aaaa)
        co_return DomainState::pass;
    if (temporary || dns::is_temporary(aaaa.error().code))
        co_return DomainState::temperror;
    co_return DomainState::fail;
}

}  // namespace

void Session::protection_note(const std::string& check, std::string result) {
    ctx_.logger.info("check {}: {}", check, result);
    if (policy_)
        policy_->context.checks[check] = result;
    protection_->checks[check] = std::move(result);
}

bool Session::protection_trusted() const {
    return user_.has_value() || in_ranges(cfg().relay_networks, conn_.client.ip);
}

bool Session::protection_wants_reverse() const {
    const auto& d = ctx_.config->protection.dns_checks;
    return !lmtp_ && (d.reverse_dns != config::CheckAction::ignore ||
                      d.confirmed_reverse != config::CheckAction::ignore);
}

void Session::protection_connect() {
    protection_ = std::make_unique<ProtectionState>();
    if (lmtp_)
        return;  // our own front ends
    const auto& p = ctx_.config->protection;
    const auto& ip = conn_.client.ip;
    if (p.dnsbl.enabled && !p.dnsbl.zones.empty() && deps_.resolver &&
        !in_ranges(p.dnsbl.exclude, ip)) {
        protection_->dnsbl = dnsbl::Lookup::start(*deps_.resolver, p.dnsbl.zones, ip);
    }
    if (p.country.enabled && deps_.protection && !in_ranges(p.country.skip, ip)) {
        if (auto db = deps_.protection->countries()) {
            auto country = db->lookup(ip);
            protection_->country = country.value_or("");
            protection_note("country", country.value_or("unknown"));
        }
    }
}

asio::awaitable<std::optional<smtp::Reply>> Session::protection_mail(const smtp::MailFrom& mail) {
    std::optional<smtp::Reply> refusal;
    if (lmtp_ || !protection_)
        co_return refusal;
    const auto& p = ctx_.config->protection;
    bool trusted = protection_trusted();
    auto& state = *protection_;

    if (state.dnsbl && !state.dnsbl_verdict) {
        auto lookup = state.dnsbl;
        co_await await_lookup(lookup, p.dnsbl.timeout);
        auto results = lookup->results();
        for (const auto& r : results) {
            if (r.state == dnsbl::ZoneResult::State::error)
                ctx_.logger.warn("dnsbl {}: {}", r.zone, r.error);
            if (r.state == dnsbl::ZoneResult::State::listed)
                ctx_.logger.info("dnsbl {}: listed ({}){}{}", r.zone, r.code,
                                 r.reason.empty() ? "" : ": ", r.reason);
        }
        state.dnsbl_verdict = dnsbl::evaluate(lookup->zones(), p.dnsbl.reject_score, results);
        protection_note("dnsbl", state.dnsbl_verdict->summary());
    }
    bool whitelisted = false;
    auto lists = deps_.protection ? deps_.protection->address_lists() : nullptr;
    if (lists && mail.sender && state.dnsbl_verdict &&
        state.dnsbl_verdict->kind == dnsbl::Verdict::Kind::reject && !trusted) {
        // The server's whitelist (envelope sender) outranks the block lists.
        std::vector<std::string> senders{to_lower(mail.sender->to_string())};
        std::function<void()> job = [&] {
            auto d = lists->decide(senders, "", "");
            whitelisted = d && *d && (*d)->kind == filter::lists::ListKind::white;
        };
        co_await run_blocking(*ctx_.blocking, std::move(job));
        if (whitelisted)
            protection_note("dnsbl", state.dnsbl_verdict->summary() + ", whitelisted sender");
    }
    if (!whitelisted && state.dnsbl_verdict &&
        state.dnsbl_verdict->kind == dnsbl::Verdict::Kind::reject) {
        if (trusted) {
            ctx_.logger.info("dnsbl: listed, but the client is {}: not refused",
                             user_ ? "authenticated" : "in relay_networks");
        } else {
            refusal =
                smtp::make_reply(554, smtp::EnhancedCode{5, 7, 1}, state.dnsbl_verdict->reply_text);
            co_return refusal;
        }
    }
    if (trusted)
        co_return refusal;
    bool allowed_by_dnswl =
        state.dnsbl_verdict && state.dnsbl_verdict->kind == dnsbl::Verdict::Kind::allowed;

    if (state.country) {
        std::optional<std::string> country;
        if (!state.country->empty())
            country = *state.country;
        if (!filter::country::country_allowed(country, p.country.allow, p.country.deny,
                                              p.country.refuse_unknown)) {
            ctx_.logger.info("country filter: {} refused", country.value_or("unknown"));
            refusal =
                smtp::make_reply(554, smtp::EnhancedCode{5, 7, 1},
                                 "Mail from your network (" + country.value_or("unknown country") +
                                     ") is not accepted here");
            co_return refusal;
        }
    }

    const auto& d = p.dns_checks;
    bool excluded = allowed_by_dnswl || in_ranges(d.exclude, conn_.client.ip);
    if (!excluded && state.reverse) {
        using Kind = ClientReverse::Kind;
        const auto& rev = *state.reverse;
        bool temporary = rev.kind == Kind::temperror;
        if (rev.kind != Kind::confirmed && d.confirmed_reverse != config::CheckAction::ignore) {
            refusal = check_reply(d.confirmed_reverse, temporary, 7, 25,
                                  "Client address [" + conn_.client.ip.to_string() +
                                      "] has no forward-confirmed reverse DNS name");
        }
        if ((rev.kind == Kind::none || temporary) && d.reverse_dns != config::CheckAction::ignore) {
            refusal = check_reply(
                d.reverse_dns, temporary, 7, 25,
                "Client address [" + conn_.client.ip.to_string() + "] has no reverse DNS name");
        }
        if (refusal) {
            ctx_.logger.info("dns check: reverse DNS {} refused ({})", rev.kind_name(),
                             refusal->code);
            co_return refusal;
        }
    }
    if (!excluded && d.sender_domain != config::CheckAction::ignore && mail.sender &&
        deps_.resolver) {
        auto domain = domain_of(mail.sender->to_string());
        if (!domain.empty() && !domain.starts_with('[')) {
            auto domain_state = co_await sender_domain_state(*deps_.resolver, domain);
            protection_note("sender_domain", std::string(domain_state_name(domain_state)));
            if (domain_state != DomainState::pass) {
                bool temporary = domain_state == DomainState::temperror;
                refusal =
                    check_reply(d.sender_domain, temporary, 1, 8,
                                domain_state == DomainState::null_mx
                                    ? "Sender domain " + domain + " does not accept mail (null MX)"
                                    : "Sender domain " + domain + " has no MX or address records");
                if (refusal)
                    co_return refusal;
            }
        }
    }
    co_return refusal;
}

asio::awaitable<std::optional<smtp::Reply>> Session::protection_rcpt(
    const std::string& address, const directory::Resolution& resolution) {
    std::optional<smtp::Reply> refusal;
    const auto& g = ctx_.config->protection.greylist;
    if (lmtp_ || !protection_ || !g.enabled || !deps_.protection || protection_trusted())
        co_return refusal;
    if (resolution.kind == directory::AddressKind::not_local)
        co_return refusal;
    if (protection_->dnsbl_verdict &&
        protection_->dnsbl_verdict->kind == dnsbl::Verdict::Kind::allowed) {
        protection_note("greylist", "skipped (dnswl)");
        co_return refusal;
    }
    if (in_ranges(g.exclude, conn_.client.ip)) {
        protection_note("greylist", "skipped (excluded client)");
        co_return refusal;
    }
    auto domain = domain_of(address);
    for (const auto& excluded : g.exclude_domains) {
        if (domain == excluded) {
            protection_note("greylist", "skipped (excluded domain)");
            co_return refusal;
        }
    }
    auto store = deps_.protection->greylist();
    if (!store)
        co_return refusal;
    auto sender =
        envelope_ && envelope_->mail.sender ? envelope_->mail.sender->to_string() : std::string();
    if (auto lists = deps_.protection->address_lists(); lists && !sender.empty()) {
        // A sender the server, the domain or the account whitelists is not greylisted.
        bool whitelisted = false;
        std::vector<std::string> senders{to_lower(sender)};
        std::function<void()> job = [&] {
            auto d = lists->decide(senders, domain, address);
            whitelisted = d && *d && (*d)->kind == filter::lists::ListKind::white;
        };
        co_await run_blocking(*ctx_.blocking, std::move(job));
        if (whitelisted) {
            protection_note("greylist", "skipped (whitelisted sender)");
            co_return refusal;
        }
    }
    auto triplet = filter::greylist::make_triplet(conn_.client.ip, sender, address);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    Result<filter::greylist::Decision> decision = fail(Errc::internal, "not run");
    std::function<void()> job = [&] { decision = store->check(triplet, now, g); };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    if (!decision) {
        // A broken greylist store must not stop mail: it passes, and says so.
        ctx_.logger.error("greylisting skipped: {}", decision.error().message);
        protection_note("greylist", "error");
        co_return refusal;
    }
    protection_note("greylist", std::string(decision->name()));
    if (decision->kind == filter::greylist::Decision::Kind::defer) {
        refusal = smtp::make_reply(
            451, smtp::EnhancedCode{4, 7, 1},
            "Greylisted, please try again in " +
                std::to_string(std::max<std::int64_t>(decision->retry_after, 1)) + " seconds");
    }
    co_return refusal;
}

std::string Session::protection_fields() const {
    if (!protection_ || protection_->checks.empty())
        return {};
    std::string field = "X-Postern-Protection: ";
    bool first = true;
    for (const auto& [check, result] : protection_->checks) {
        if (!first)
            field.append(";\r\n\t");
        first = false;
        field.append(check).append("=");
        for (char c : result)
            field.push_back(c == ';' || c == '\r' || c == '\n' ? ' ' : c);
    }
    field.append("\r\n");
    return field;
}

}  // namespace postern::services::smtp_in
