// Identity confirmation in PROCESSING: hold, challenge, confirm and release.
#include "services/confirm_filter.h"

#include <ctime>

#include "auth/digest.h"
#include "base/encoding.h"
#include "base/strings.h"
#include "directory/directory.h"
#include "filter/confirm/confirm.h"
#include "filter/lists/lists.h"
#include "queue/message_writer.h"
#include "queue/queue.h"
#include "store/api/store.h"

namespace postern::services {

namespace fc = filter::confirm;

namespace {

// Held mail is marked with a digest of its token, not the token: the marker travels with every
// local recipient's copy of the message, while only the challenged sender may see the token.
std::string hold_tag(const std::string& token) {
    return hex_encode(auth::sha256(token)).substr(0, 32);
}

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

std::string subject_of(std::string_view raw) {
    raw = raw.substr(0, std::min<std::size_t>(raw.size(), 64 * 1024));
    while (!raw.empty()) {
        auto eol = raw.find('\n');
        std::string_view line = raw.substr(0, eol);
        raw.remove_prefix(eol == std::string_view::npos ? raw.size() : eol + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            break;
        auto colon = line.find(':');
        if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), "subject"))
            return std::string(trim(line.substr(colon + 1)));
    }
    return {};
}

}  // namespace

void ConfirmFilter::send_challenge(const std::string& sender, const std::string& raw) const {
    auto writer = deps_.queue->begin_message("confirm");
    if (!writer->append(raw))
        return;
    queue::Envelope envelope;  // from <>: a challenge never causes a bounce
    envelope.client.protocol = "local";
    envelope.recipients.push_back(queue::NewRecipient{sender, "", queue::notify::never});
    auto log = log_;
    writer->commit(std::move(envelope), [log, sender](Result<queue::QueueId> r) {
        if (r)
            log.info("identity confirmation: challenge to <{}> queued as {}", sender, r->view());
        else
            log.error("identity confirmation: challenge to <{}> not queued: {}", sender,
                      r.error().message);
    });
}

Result<std::uint32_t> ConfirmFilter::release(std::int64_t account_id,
                                             const std::string& token) const {
    auto account = deps_.store->account(std::to_string(account_id));
    if (!account)
        return fail(Errc::io_error, "store: " + account.error().message);
    auto held = (*account)->open_mailbox(fc::kFolder);
    if (!held) {
        if (held.error().code == store::StoreErrc::not_found)
            return 0u;  // nothing was held (or the user removed the folder)
        return fail(Errc::io_error, "store: " + held.error().message);
    }
    store::SearchKey key;
    key.kind = store::SearchKey::Kind::header;
    key.field = std::string(fc::kHeader);
    key.text = hold_tag(token);
    auto uids = (*held)->search(key);
    if (!uids)
        return fail(Errc::io_error, "store: " + uids.error().message);
    if (uids->empty())
        return 0u;
    auto inbox = (*account)->open_mailbox("INBOX");
    if (!inbox)
        return fail(Errc::io_error, "store: " + inbox.error().message);
    store::UidSet set;
    for (auto uid : *uids)
        set.add(uid);
    auto moved = (*held)->move(set, **inbox);
    if (!moved)
        return fail(Errc::io_error, "store: " + moved.error().message);
    return static_cast<std::uint32_t>(uids->size());
}

Result<filter::Verdict> ConfirmFilter::run(const filter::MessageView& message) {
    auto verdict = filter::Verdict::pass();
    if (message.recipients.empty() || !deps_.pending)
        return verdict;
    auto resolution = deps_.directory->resolve(message.recipients.front());
    if (!resolution || resolution->account_id == 0)
        return verdict;
    auto settings = deps_.directory->account_settings(resolution->account_id);
    if (!settings || !settings->identity_confirmation)
        return verdict;
    const std::string account = to_lower(resolution->account_address);
    auto lists = deps_.lists ? deps_.lists() : nullptr;
    if (!lists)
        return fail(Errc::unavailable, "identity confirmation: the address lists are unavailable");
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const std::string raw(message.raw);
    const std::string sender = to_lower(message.sender);

    // A reply to a challenge: the token names the pending sender; the reply itself is dropped.
    if (auto token = fc::token_in_subject(raw)) {
        auto confirmed = deps_.pending->confirm(account, *token);
        if (!confirmed)
            return fail(confirmed.error());
        if (*confirmed) {
            if (auto st = lists->add(account, filter::lists::ListKind::white, **confirmed); !st)
                return fail(st.error());
            auto moved = release(resolution->account_id, *token);
            if (!moved)
                return fail(moved.error());
            log_.info(
                "identity confirmation: <{}> confirmed for <{}>, {} held message(s) moved "
                "to INBOX",
                **confirmed, account, *moved);
            verdict.action = filter::Verdict::Action::discard;
            verdict.text = "identity confirmation reply";
            return verdict;
        }
    }

    std::vector<std::string> senders;
    if (!sender.empty())
        senders.push_back(sender);
    for (auto& a : filter::lists::from_addresses(raw))
        senders.push_back(std::move(a));
    if (senders.empty())
        return verdict;
    auto decision = lists->decide(senders, domain_of(account), account);
    if (!decision)
        return fail(decision.error());
    if (*decision)
        return verdict;  // whitelisted (confirmed) passes; blacklisted was refused before us

    auto skip = fc::challenge_skip(sender, raw, deps_.authserv_id);
    const std::string& key = sender.empty() ? senders.front() : sender;
    auto hold = deps_.pending->hold(account, key, skip == fc::Skip::none, now);
    if (!hold)
        return fail(hold.error());
    if (hold->send_challenge) {
        send_challenge(sender, fc::build_challenge(account, sender, hold->token, subject_of(raw),
                                                   deps_.hostname, now));
    } else if (skip != fc::Skip::none) {
        log_.info("identity confirmation: <{}> not challenged ({})", key, fc::skip_name(skip));
    }
    verdict.mailbox = std::string(fc::kFolder);
    verdict.add_headers.emplace_back(std::string(fc::kHeader), hold_tag(hold->token));
    return verdict;
}

}  // namespace postern::services
