// SEARCH and UID SEARCH (RFC 9051 §6.4.4, ESEARCH RFC 4731, SEARCHRES RFC 5182, MODSEQ RFC 7162
// §3.1.5), SORT (RFC 5256 §3, SORT=DISPLAY RFC 5957, ESORT RFC 5267 §3) and THREAD (RFC 5256 §3).
#include <algorithm>
#include <ctime>

#include "mime/date.h"
#include "mime/envelope.h"
#include "mime/parser.h"
#include "mime/structure_codec.h"
#include "mime/subject.h"
#include "services/imap/search_program.h"
#include "services/imap/session.h"
#include "services/imap/thread_algorithm.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;
namespace ret = wire::search_return;

namespace {

// What a search found, or why it could not run.
struct Found {
    std::vector<store::Uid> uids;  // messages of the session's view: ascending, or sort order
    bool modseq = false;           // MODSEQ was used
    std::optional<std::string> bad;
    std::optional<store::StoreError> error;
    bool failed() const { return bad || error; }
};

// The Date: header's day as written (RFC 9051 §6.4.4 SENT* keys), from the cached envelope;
// the internal date's day in the server's zone when there is no usable Date:.
std::int64_t sent_day(const store::MessageMeta& m) {
    if (auto s = mime::decode_structure(m.envelope); s && !s->envelopes.empty()) {
        const auto& env = s->envelopes.front();
        if (env.date)
            if (auto d = mime::parse_date(*env.date); d && d->year >= 1 && d->year <= 9999)
                return wire::to_unix_day(wire::Date{static_cast<std::uint16_t>(d->year),
                                                    static_cast<std::uint8_t>(d->month),
                                                    static_cast<std::uint8_t>(d->day)});
    }
    return server_day_of(m.internal_date);
}

// Runs on the blocking pool while the session waits: nothing else touches `box` meanwhile.
Found run_search(SelectedMailbox& box, const wire::SearchProgram& program,
                 const std::vector<store::SortCriterion>* sort) {
    Found found;
    SearchContext ctx;
    ctx.view_uids = box.view().uids();
    ctx.resolve = [&box](const wire::SequenceSet& set, bool uid) { return box.resolve(set, uid); };
    ctx.is_recent = [&box](store::Uid uid) { return box.is_recent(uid); };
    ctx.now = static_cast<store::Timestamp>(std::time(nullptr));
    ctx.day_start = server_day_start;
    std::vector<MessageFacts> facts;
    if (needs_message_facts(program) && !ctx.view_uids.empty()) {
        const bool sent = needs_sent_dates(program);
        auto metas = box.mailbox().messages(SelectedMailbox::to_set(box.view().uids()), sent);
        if (!metas) {
            found.error = metas.error();
            return found;
        }
        facts.reserve(metas->size());
        for (auto& m : *metas) {
            // An unknown save date (0) is left open by RFC 8514: the internal date stands in.
            MessageFacts f{m.uid, m.save_date ? m.save_date : m.internal_date, std::move(m.email_id)};
            if (!m.thread_id.empty())
                f.thread_id = "T" + m.thread_id;
            if (sent)
                f.sent_day = sent_day(m);
            facts.push_back(std::move(f));
        }
        ctx.facts = facts;
    }
    auto plan = translate_search(program, ctx);
    if (!plan) {
        found.bad = plan.error();
        return found;
    }
    found.modseq = plan->modseq;
    auto result = sort ? box.mailbox().sort(*sort, plan->key) : box.mailbox().search(plan->key);
    if (!result) {
        found.error = result.error();
        return found;
    }
    // Only messages the session knows: new arrivals it has not been told of have no number yet.
    const auto& view = box.view().uids();
    found.uids.reserve(result->size());
    for (auto u : *result)
        if (std::binary_search(view.begin(), view.end(), u))
            found.uids.push_back(u);
    return found;
}

std::vector<std::uint32_t> numbers_of(SelectedMailbox& box, const std::vector<store::Uid>& uids,
                                      bool uid) {
    if (uid)
        return uids;
    std::vector<std::uint32_t> seqs;
    seqs.reserve(uids.size());
    for (auto u : uids)
        seqs.push_back(box.seq_of(u));
    return seqs;
}

std::uint64_t highest_modseq(SelectedMailbox& box, std::span<const store::Uid> uids) {
    std::uint64_t best = 0;
    const auto& view = *box.view().view();
    for (auto u : uids)
        if (auto e = view.find(u))
            best = std::max<std::uint64_t>(best, e->modseq);
    return best;
}

// The ESEARCH/ESORT answer and the SEARCHRES save for a result in `uids` order (RFC 4731 §3.1,
// RFC 5267 §3.1, RFC 5182 §2.1). MIN and MAX are the first and last in that order; with only MIN
// and/or MAX, SAVE and MODSEQ cover just those messages.
struct ReturnData {
    std::optional<wire::EsearchResponse> esearch;  // nullopt: RETURN (SAVE) alone
    std::optional<std::vector<store::Uid>> save;
};

ReturnData return_data(SelectedMailbox& box, const wire::Command& c, std::uint8_t options,
                       const Found& found, bool sorted) {
    ReturnData out;
    std::uint8_t shown = options & (ret::min | ret::max | ret::all | ret::count);
    const bool save = options & ret::save;
    if (shown == 0 && !save)
        shown = ret::all;  // "RETURN ()" (RFC 4731 §3.1), or no RETURN in IMAP4rev2
    const bool ends_only = (shown & (ret::min | ret::max)) && !(shown & (ret::all | ret::count));
    std::vector<store::Uid> covered;  // what SAVE and MODSEQ cover
    if (ends_only && !found.uids.empty()) {
        if (shown & ret::min)
            covered.push_back(found.uids.front());
        if ((shown & ret::max) && (covered.empty() || found.uids.back() != covered.front()))
            covered.push_back(found.uids.back());
    } else {
        covered = found.uids;
    }
    if (save) {
        auto saved = covered;
        std::sort(saved.begin(), saved.end());
        out.save = std::move(saved);
    }
    if (shown == 0)
        return out;
    auto numbers = numbers_of(box, found.uids, c.uid);
    wire::EsearchResponse r;
    r.tag = c.tag;
    r.uid = c.uid;
    if (!numbers.empty()) {
        if (shown & ret::min)
            r.min = numbers.front();
        if (shown & ret::max)
            r.max = numbers.back();
        if (shown & ret::all) {
            r.all = numbers;
            r.all_in_given_order = sorted;
        }
        if (found.modseq)
            r.modseq = highest_modseq(box, covered);
    }
    if (shown & ret::count)
        r.count = static_cast<std::uint32_t>(numbers.size());
    out.esearch = std::move(r);
    return out;
}

// Why a search is refused before any store work: the text and code of the NO.
// The answer to SEARCH or SORT: ESEARCH/ESORT when asked for (or always, for IMAP4rev2
// SEARCH), otherwise "* SEARCH"/"* SORT" with (MODSEQ n) when a MODSEQ key was used.
void write_result(std::string& out, const wire::SessionMode& mode, SelectedMailbox& box,
                  const wire::Command& c, bool extended, std::uint8_t options, const Found& found,
                  bool sorted) {
    if (extended) {
        auto data = return_data(box, c, options, found, sorted);
        if (data.save)
            box.save_result(std::move(*data.save));
        if (data.esearch)
            wire::append_esearch(out, *data.esearch, mode);
        return;
    }
    auto numbers = numbers_of(box, found.uids, c.uid);
    std::optional<std::uint64_t> modseq;
    if (found.modseq)
        modseq = highest_modseq(box, found.uids);
    if (sorted)
        wire::append_sort(out, numbers, modseq);
    else
        wire::append_search(out, numbers, modseq);
}

struct Refusal {
    std::string text;
    wire::ResponseCode code;
};

std::optional<Refusal> refusal(const std::string* charset, const wire::SearchProgram& program) {
    if (charset && !supported_charset(*charset)) {
        std::vector<std::string> names(std::begin(kSupportedCharsets),
                                       std::end(kSupportedCharsets));
        return Refusal{"Unsupported charset", wire::codes::bad_charset(names)};
    }
    if (header_key_count(program) > kMaxHeaderKeys)
        return Refusal{"Too many HEADER or BCC keys in one search", wire::codes::limit()};
    return std::nullopt;
}

store::SortKey store_sort_key(wire::SortKey k) {
    switch (k) {
        case wire::SortKey::arrival:
            return store::SortKey::arrival;
        case wire::SortKey::cc:
            return store::SortKey::cc;
        case wire::SortKey::date:
            return store::SortKey::date;
        case wire::SortKey::from:
            return store::SortKey::from;
        case wire::SortKey::size:
            return store::SortKey::size;
        case wire::SortKey::subject:
            return store::SortKey::subject;
        case wire::SortKey::to:
            return store::SortKey::to;
        case wire::SortKey::display_from:
            return store::SortKey::display_from;
        case wire::SortKey::display_to:
            return store::SortKey::display_to;
    }
    return store::SortKey::arrival;
}

// THREAD input for `uids` (ascending, in the view), numbered as the response names them.
// ORDEREDSUBJECT needs the subject and date, which the cached envelope holds; REFERENCES also
// needs References, which only the message header has (one header read per message).
store::StoreResult<std::vector<ThreadMessage>> thread_input(SelectedMailbox& box,
                                                            const std::vector<store::Uid>& uids,
                                                            bool uid_numbers, bool references) {
    std::vector<ThreadMessage> out;
    if (uids.empty())
        return out;
    auto& mailbox = box.mailbox();
    auto listed = mailbox.messages(SelectedMailbox::to_set(uids), !references);
    if (!listed)
        return std::unexpected(listed.error());
    auto& metas = *listed;
    std::sort(
        metas.begin(), metas.end(),
        [](const store::MessageMeta& a, const store::MessageMeta& b) { return a.uid < b.uid; });
    out.reserve(metas.size());
    for (const auto& m : metas) {
        if (!std::binary_search(uids.begin(), uids.end(), m.uid))
            continue;
        ThreadMessage t;
        t.number = uid_numbers ? m.uid : box.seq_of(m.uid);
        t.date = m.internal_date;
        if (references) {
            auto header = mailbox.fetch_header(m.uid);
            if (!header) {
                if (header.error().code == store::StoreErrc::expunged)
                    continue;  // gone meanwhile: threaded without it
                return std::unexpected(header.error());
            }
            auto keys = mime::build_sort_keys(mime::parse_message(*header));
            t.date = keys.sent_date.value_or(m.internal_date);
            t.base_subject = std::move(keys.base_subject);
            t.reply = keys.subject_is_reply_or_forward;
            t.message_id = std::move(keys.message_id);
            t.references = std::move(keys.references);
        } else if (auto s = mime::decode_structure(m.envelope); s && !s->envelopes.empty()) {
            const auto& env = s->envelopes.front();
            if (env.subject) {
                auto b = mime::base_subject(*env.subject);
                t.base_subject = std::move(b.text);
                t.reply = b.reply_or_forward;
            }
            if (env.date)
                if (auto d = mime::parse_date(*env.date))
                    t.date = d->to_unix();
        }
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace

asio::awaitable<Session::Flow> Session::on_search(const wire::Command& c, const wire::Search& a) {
    auto* box = selected();
    const bool save = a.ret.options & ret::save;
    if (auto refused = refusal(a.charset ? &*a.charset : nullptr, a.program)) {
        if (save)
            box->save_result({});  // a failed SEARCH ... SAVE empties "$" (RFC 5182 §2.1)
        no(c, refused->text, refused->code);
        co_return Flow::next;
    }
    if (uses_modseq(a.program))
        condstore_ = true;  // RFC 7162 §3.1: a CONDSTORE-enabling command
    Found found;
    const wire::SearchProgram& program = a.program;
    co_await blocking([&] { found = run_search(*box, program, nullptr); });
    if (found.failed()) {
        if (save)
            box->save_result({});
        if (found.bad)
            co_return bad(c.tag, *found.bad);
        store_failed(c, *found.error);
        co_return Flow::next;
    }
    // IMAP4rev2 answers every SEARCH with ESEARCH, ALL when no RETURN (RFC 9051 §6.4.4).
    write_result(out_, mode_, *box, c, a.ret.given || mode_.imap4rev2,
                 a.ret.given ? a.ret.options : 0, found, false);
    co_await report_updates(c.uid);
    ok(c, "SEARCH completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_sort(const wire::Command& c, const wire::Sort& a) {
    auto* box = selected();
    const bool save = a.ret.options & ret::save;
    if (auto refused = refusal(&a.charset, a.program)) {
        if (save)
            box->save_result({});
        no(c, refused->text, refused->code);
        co_return Flow::next;
    }
    if (uses_modseq(a.program))
        condstore_ = true;
    std::vector<store::SortCriterion> criteria;
    for (const auto& k : a.criteria)
        criteria.push_back({store_sort_key(k.key), k.reverse});
    Found found;
    const wire::SearchProgram& program = a.program;
    co_await blocking([&] { found = run_search(*box, program, &criteria); });
    if (found.failed()) {
        if (save)
            box->save_result({});
        if (found.bad)
            co_return bad(c.tag, *found.bad);
        store_failed(c, *found.error);
        co_return Flow::next;
    }
    // ESORT (RFC 5267 §3): ALL keeps the sort order.
    write_result(out_, mode_, *box, c, a.ret.given, a.ret.options, found, true);
    co_await report_updates(c.uid);
    ok(c, "SORT completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_thread(const wire::Command& c, const wire::Thread& a) {
    auto* box = selected();
    const bool references = a.algorithm == "REFERENCES";
    if (!references && a.algorithm != "ORDEREDSUBJECT")
        co_return bad(c.tag, "Unsupported thread algorithm");
    if (auto refused = refusal(&a.charset, a.program)) {
        no(c, refused->text, refused->code);
        co_return Flow::next;
    }
    if (uses_modseq(a.program))
        condstore_ = true;
    Found found;
    std::string response;
    const wire::SearchProgram& program = a.program;
    const bool uid = c.uid;
    co_await blocking([&] {
        found = run_search(*box, program, nullptr);
        if (found.failed())
            return;
        auto input = thread_input(*box, found.uids, uid, references);
        if (!input) {
            found.error = input.error();
            return;
        }
        auto tree = references ? thread_references(*input) : thread_ordered_subject(*input);
        response = thread_response(tree);
    });
    if (found.bad)
        co_return bad(c.tag, *found.bad);
    if (found.error) {
        store_failed(c, *found.error);
        co_return Flow::next;
    }
    out_ += response;
    co_await report_updates(c.uid);
    ok(c, "THREAD completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
