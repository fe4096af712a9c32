// ENVELOPE (RFC 3501 §7.4.2 / RFC 9051 §7.5.2) and sort keys (RFC 5256 §2.1-§2.2,
// RFC 5957 §3) from a parsed header.
#include "mime/envelope.h"

#include "base/strings.h"
#include "mime/address.h"
#include "mime/date.h"
#include "mime/header_text.h"
#include "mime/message_id.h"
#include "mime/subject.h"

namespace postern::mime {
namespace {

constexpr std::string_view kMissingMailbox = "MISSING_MAILBOX";
constexpr std::string_view kMissingDomain = "MISSING_DOMAIN";

std::optional<std::string> raw_string(const ParsedMessage& msg, std::uint32_t part,
                                      std::string_view name) {
    const HeaderField* h = msg.find_header(part, name);
    if (!h)
        return std::nullopt;
    return std::string(trim(unfold(h->raw_value)));
}

std::optional<std::string> opt(const std::string& s) {
    if (s.empty())
        return std::nullopt;
    return s;
}

EnvelopeAddress to_envelope(const Mailbox& m) {
    EnvelopeAddress a;
    a.name = opt(m.name);
    a.adl = opt(m.route);
    a.mailbox = m.local_part.empty() ? std::string(kMissingMailbox) : m.local_part;
    a.host = m.domain.empty() ? std::string(kMissingDomain) : m.domain;
    return a;
}

std::vector<EnvelopeAddress> addresses(const ParsedMessage& msg, std::uint32_t part,
                                       std::string_view name) {
    std::vector<EnvelopeAddress> out;
    for (const auto& h : msg.headers_of(part)) {
        if (!h.is(name))
            continue;
        for (const auto& item : parse_address_list(h.raw_value, NameDecoding::raw)) {
            if (const auto* m = std::get_if<Mailbox>(&item)) {
                out.push_back(to_envelope(*m));
                continue;
            }
            const auto& g = std::get<Group>(item);
            out.push_back(EnvelopeAddress{std::nullopt, std::nullopt, g.name, std::nullopt});
            for (const auto& m : g.members) {
                if (m.has_address())
                    out.push_back(to_envelope(m));
            }
            out.push_back(EnvelopeAddress{});
        }
    }
    return out;
}

}  // namespace

Envelope build_envelope(const ParsedMessage& msg, std::uint32_t part) {
    Envelope e;
    e.date = raw_string(msg, part, "Date");
    e.subject = raw_string(msg, part, "Subject");
    e.from = addresses(msg, part, "From");
    e.sender = addresses(msg, part, "Sender");
    e.reply_to = addresses(msg, part, "Reply-To");
    e.to = addresses(msg, part, "To");
    e.cc = addresses(msg, part, "Cc");
    e.bcc = addresses(msg, part, "Bcc");
    e.in_reply_to = raw_string(msg, part, "In-Reply-To");
    e.message_id = raw_string(msg, part, "Message-ID");
    if (e.sender.empty())
        e.sender = e.from;
    if (e.reply_to.empty())
        e.reply_to = e.from;
    return e;
}

SortKeys build_sort_keys(const ParsedMessage& msg, std::uint32_t part) {
    SortKeys k;
    if (const HeaderField* h = msg.find_header(part, "Subject")) {
        BaseSubject b = base_subject(h->raw_value);
        k.base_subject = std::move(b.text);
        k.subject_is_reply_or_forward = b.reply_or_forward;
    }
    // The first address of the first such header, as ENVELOPE lists it: a group counts by its
    // name (ENVELOPE's group-start entry, which holds the name as mailbox), an entry with a
    // name but no address ("From: d") has no mailbox and displays as that name. Dovecot and
    // imaptest sort them that way; RFC 5256 and RFC 5957 only say "first address".
    struct First {
        std::string mailbox;  // RFC 5256 addr-mailbox
        std::string display;  // RFC 5957 display name, else addr-spec
    };
    auto first = [&](std::string_view name) -> std::optional<First> {
        for (const auto& h : msg.headers_of(part)) {
            if (!h.is(name))
                continue;
            for (auto& item : parse_address_list(h.raw_value)) {
                if (const auto* g = std::get_if<Group>(&item))
                    return First{g->name, g->name};
                const auto& m = std::get<Mailbox>(item);
                if (m.has_address())
                    return First{m.local_part, m.name.empty() ? m.addr_spec() : m.name};
                if (!m.name.empty())
                    return First{"", m.name};
            }
        }
        return std::nullopt;
    };
    if (auto f = first("From")) {
        k.from_mailbox = std::move(f->mailbox);
        k.display_from = std::move(f->display);
    }
    if (auto f = first("To")) {
        k.to_mailbox = std::move(f->mailbox);
        k.display_to = std::move(f->display);
    }
    if (auto f = first("Cc"))
        k.cc_mailbox = std::move(f->mailbox);
    if (const HeaderField* h = msg.find_header(part, "Date")) {
        if (auto d = parse_date(h->raw_value))
            k.sent_date = d->to_unix();
    }
    if (const HeaderField* h = msg.find_header(part, "Message-ID")) {
        auto ids = parse_message_ids(h->raw_value);
        if (!ids.empty())
            k.message_id = ids.front();
    }
    if (const HeaderField* h = msg.find_header(part, "References")) {
        k.references = parse_message_ids(h->raw_value);
    }
    if (k.references.empty()) {
        if (const HeaderField* h = msg.find_header(part, "In-Reply-To")) {
            auto ids = parse_message_ids(h->raw_value);
            if (!ids.empty())
                k.references.push_back(ids.front());
        }
    }
    return k;
}

}  // namespace postern::mime
