// Mailbox reads: STATUS (RFC 3501 §6.3.10, RFC 8438 SIZE), SELECT views, FETCH of metadata,
// bodies, byte ranges and MIME parts by section (RFC 3501 §6.4.5), SEARCH, SORT (RFC 5256)
// and CONDSTORE/QRESYNC change queries (RFC 7162 §3.1, §3.2).
#include "store/api/store.h"
#include "store/engine/account_index.h"
#include "store/engine/index_search.h"
#include "store/engine/message_store.h"

namespace postern::store {

using engine::MailboxRow;
using engine::MessageRow;

StoreResult<MailboxInfo> Mailbox::info() {
    STORE_TRY(lease, account_->index_->reader());
    STORE_TRY(row, engine::index_mailbox_by_id(*lease, id_));
    if (!row)
        return store_fail(StoreErrc::not_found, "mailbox was deleted");
    return account_->mailbox_info(row->name);
}

StoreResult<MailboxStatus> Mailbox::status() {
    STORE_TRY(lease, account_->index_->reader());
    STORE_CHECK(lease->run("BEGIN"));
    auto result = [&]() -> StoreResult<MailboxStatus> {
        STORE_TRY(row, engine::index_mailbox_by_id(*lease, id_));
        if (!row)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        MailboxStatus s;
        s.messages = row->messages;
        s.unseen = row->unseen;
        s.deleted = row->deleted;
        s.uidnext = row->uidnext;
        s.uidvalidity = row->uidvalidity;
        s.size = row->size;
        s.highestmodseq = row->highestmodseq;
        STORE_TRY(q, lease->prepare("SELECT count(*) FROM messages WHERE mailbox_id=? AND uid>=?"));
        q->bind(1, id_).bind(2, row->first_recent_uid);
        STORE_TRY(has, q->step());
        s.recent = has ? static_cast<std::uint32_t>(q->i64(0)) : 0;
        q->reset();
        return s;
    }();
    (void)lease->run("COMMIT");
    return result;
}

StoreResult<std::unique_ptr<ViewSession>> Mailbox::open_session() {
    STORE_TRY(view, account_->get_view(id_));
    auto session = std::make_unique<ViewSession>(view);
    std::weak_ptr<Account> acc = account_;
    session->on_close([acc](std::shared_ptr<MailboxView> v) {
        if (auto a = acc.lock())
            a->linger(std::move(v));
    });
    return session;
}

StoreResult<MessageRow> Mailbox::row(Uid uid) {
    STORE_TRY(lease, account_->index_->reader());
    STORE_TRY(r, engine::index_message(*lease, id_, uid));
    if (!r)
        return store_fail(StoreErrc::expunged,
                          "message UID " + std::to_string(uid) + " is not in the mailbox");
    return *r;
}

StoreResult<std::string> Mailbox::read(const MessageRow& r) {
    auto body = account_->store_.read_body(
        r.store_id, std::string(reinterpret_cast<const char*>(r.hash.data()), r.hash.size()));
    if (!body) {
        auto e = body.error();
        if (e.code == StoreErrc::not_found)
            e.code = StoreErrc::corrupt;
        e.message = "account " + account_->id_ + " mailbox " + std::to_string(id_) + " UID " +
                    std::to_string(r.uid) + " (message " + r.guid + "): " + e.message;
        account_->store_.logger().error("{}", e.message);
        return store_fail(std::move(e));
    }
    if (body->size() != r.size) {
        std::string msg = "account " + account_->id_ + " UID " + std::to_string(r.uid) +
                          ": body size does not match the index";
        account_->store_.logger().error("{}", msg);
        return store_fail(StoreErrc::corrupt, msg);
    }
    return body;
}

namespace {
MessageMeta meta_of(const MessageRow& r, const std::vector<std::string>& keywords) {
    MessageMeta m;
    m.uid = r.uid;
    m.guid = r.guid;
    m.size = r.size;
    m.internal_date = r.internal_date;
    m.save_date = r.save_date;
    m.flags.system = r.flags;
    m.flags.keywords = engine::keyword_names(keywords, r.keywords);
    m.modseq = r.modseq;
    m.header_size = r.header_size;
    m.thread_id = r.thread_id;
    m.store_id = r.store_id;
    m.body_hash.assign(reinterpret_cast<const char*>(r.hash.data()), r.hash.size());
    m.email_id = r.email_id.empty() ? r.guid : r.email_id;
    return m;
}
}  // namespace

StoreResult<MessageMeta> Mailbox::message(Uid uid) {
    STORE_TRY(list, messages(UidSet::of({uid}), true));
    if (list.empty())
        return store_fail(StoreErrc::expunged,
                          "message UID " + std::to_string(uid) + " is not in the mailbox");
    return list.front();
}

StoreResult<std::vector<MessageMeta>> Mailbox::messages(const UidSet& uids, bool with_cached) {
    STORE_TRY(lease, account_->index_->reader());
    STORE_CHECK(lease->run("BEGIN"));
    auto result = [&]() -> StoreResult<std::vector<MessageMeta>> {
        STORE_TRY(mb, engine::index_mailbox_by_id(*lease, id_));
        if (!mb)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        const auto resolved = uids.resolved(mb->uidnext - 1);
        STORE_TRY(kw, engine::index_keywords(*lease, id_));
        std::vector<MessageMeta> out;
        if (with_cached) {
            STORE_TRY(rows, engine::index_messages_cached(*lease, id_, resolved));
            out.reserve(rows.size());
            for (auto& c : rows) {
                out.push_back(meta_of(c.row, kw));
                out.back().envelope = std::move(c.envelope);
                out.back().bodystructure = std::move(c.bodystructure);
            }
            return out;
        }
        STORE_TRY(rows, engine::index_messages(*lease, id_, resolved));
        out.reserve(rows.size());
        for (auto& r : rows)
            out.push_back(meta_of(r, kw));
        return out;
    }();
    (void)lease->run("COMMIT");
    return result;
}

StoreResult<std::string> Mailbox::fetch_body(Uid uid) {
    STORE_TRY(r, row(uid));
    return read(r);
}

StoreResult<std::string> Mailbox::fetch_body(const MessageMeta& meta) {
    if (!meta.store_id.empty() && !meta.body_hash.empty()) {
        auto body = account_->store_.read_body(meta.store_id, meta.body_hash);
        if (body && body->size() == meta.size)
            return body;
    }
    // Expunged (and its body freed) since its row was read, or a damaged body: the row decides,
    // with the usual errors and log lines.
    return fetch_body(meta.uid);
}

StoreResult<std::string> Mailbox::fetch_range(Uid uid, std::uint64_t offset, std::uint64_t length) {
    STORE_TRY(body, fetch_body(uid));
    if (offset >= body.size())
        return std::string();
    return body.substr(offset, length);
}

StoreResult<std::string> Mailbox::fetch_header(Uid uid) {
    STORE_TRY(r, row(uid));
    STORE_TRY(body, read(r));
    return body.substr(0, std::min<std::uint64_t>(r.header_size, body.size()));
}

StoreResult<std::vector<MimePart>> Mailbox::parts(Uid uid) {
    STORE_TRY(r, row(uid));
    STORE_TRY(lease, account_->index_->reader());
    std::vector<MimePart> out;
    STORE_CHECK(engine::index_envelope(*lease, r.id, nullptr, &out));
    return out;
}

StoreResult<std::string> Mailbox::fetch_part(Uid uid, std::string_view section, PartRegion region) {
    STORE_TRY(r, row(uid));
    std::vector<MimePart> table;
    {
        STORE_TRY(lease, account_->index_->reader());
        STORE_CHECK(engine::index_envelope(*lease, r.id, nullptr, &table));
    }
    const MimePart* part = nullptr;
    for (auto& p : table)
        if (p.section == section)
            part = &p;
    STORE_TRY(body, read(r));
    MimePart whole{"", 0, r.header_size, body.size(), r.header_size};
    if (!part && section.empty())
        part = &whole;
    if (!part)
        return store_fail(StoreErrc::invalid_argument,
                          "message has no part " + std::string(section));
    const bool message = section.empty() || part->text_start != 0;
    std::uint64_t from = 0, to = 0;
    switch (region) {
        case PartRegion::header:
            from = part->header_start;
            to = part->body_start;
            break;
        case PartRegion::body:
            from = part->body_start;
            to = part->body_end;
            break;
        case PartRegion::whole:
            from = part->header_start;
            to = part->body_end;
            break;
        case PartRegion::message_header:
        case PartRegion::message_text:
            if (!message)
                return store_fail(StoreErrc::invalid_argument,
                                  "part " + std::string(section) + " is not a message");
            if (section.empty()) {
                from = region == PartRegion::message_header ? 0 : part->body_start;
                to = region == PartRegion::message_header ? part->body_start : part->body_end;
            } else {
                from = region == PartRegion::message_header ? part->body_start : part->text_start;
                to = region == PartRegion::message_header ? part->text_start : part->body_end;
            }
            break;
    }
    // Offsets come from the analyzer; never trust them past the body we hold.
    if (from > to || to > body.size())
        return store_fail(StoreErrc::corrupt,
                          "part offsets of UID " + std::to_string(uid) + " exceed the message");
    return body.substr(from, to - from);
}

namespace {
bool uses_full_text(const SearchKey& k) {
    if (k.kind == SearchKey::Kind::body || k.kind == SearchKey::Kind::text)
        return true;
    for (auto& c : k.children)
        if (uses_full_text(c))
            return true;
    return false;
}
}  // namespace

StoreResult<std::vector<Uid>> Mailbox::search(const SearchKey& key) {
    if (uses_full_text(key))
        STORE_CHECK(account_->flush_fts());
    STORE_TRY(lease, account_->index_->reader());
    STORE_CHECK(lease->run("BEGIN"));
    auto result = [&]() -> StoreResult<std::vector<Uid>> {
        STORE_TRY(mb, engine::index_mailbox_by_id(*lease, id_));
        if (!mb)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        engine::HeaderLoader loader = [this](const MessageRow& r) -> StoreResult<std::string> {
            STORE_TRY(body, read(r));
            return body.substr(0, std::min<std::uint64_t>(r.header_size, body.size()));
        };
        return engine::index_search(*lease, *mb, key, loader);
    }();
    (void)lease->run("COMMIT");
    return result;
}

StoreResult<std::vector<Uid>> Mailbox::sort(const std::vector<SortCriterion>& criteria,
                                            const SearchKey& key) {
    STORE_TRY(uids, search(key));
    STORE_TRY(lease, account_->index_->reader());
    return engine::index_sort(*lease, id_, criteria, uids);
}

StoreResult<ChangesSince> Mailbox::changes_since(ModSeq modseq) {
    STORE_TRY(lease, account_->index_->reader());
    STORE_CHECK(lease->run("BEGIN"));
    auto result = [&]() -> StoreResult<ChangesSince> {
        STORE_TRY(mb, engine::index_mailbox_by_id(*lease, id_));
        if (!mb)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        ChangesSince out;
        out.highestmodseq = mb->highestmodseq;
        out.vanished_floor = mb->vanished_floor;
        STORE_TRY(rows, engine::index_changed_since(*lease, id_, modseq));
        STORE_TRY(kw, engine::index_keywords(*lease, id_));
        for (auto& r : rows)
            out.changed.push_back(
                {r.uid, {r.flags, engine::keyword_names(kw, r.keywords)}, r.modseq});
        if (modseq >= mb->vanished_floor) {
            STORE_TRY(gone, engine::index_vanished_since(*lease, id_, modseq));
            out.vanished = std::move(gone);
            return out;
        }
        // The log no longer reaches back to `modseq`: all the store can say is which UIDs
        // below UIDNEXT are not here (RFC 7162 §3.2.5.2 lets IMAP narrow that with the
        // client's known UIDs and sequence match data).
        out.vanished_exact = false;
        STORE_TRY(present, engine::index_uids(*lease, id_));
        Uid next = 1;
        for (auto uid : present) {
            if (uid > next)
                out.absent.add_range(next, uid - 1);
            next = uid + 1;
        }
        if (mb->uidnext > next)
            out.absent.add_range(next, mb->uidnext - 1);
        return out;
    }();
    (void)lease->run("COMMIT");
    return result;
}

}  // namespace postern::store
