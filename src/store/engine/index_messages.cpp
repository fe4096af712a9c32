// Message rows of the account index: insert/copy/move/delete, flags and MODSEQ, the expunge
// log and change queries (RFC 3501 §6.4, RFC 7162 §3.1 CONDSTORE and §3.2 QRESYNC).
#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/encoding.h"
#include "base/random.h"
#include "base/strings.h"
#include "store/engine/account_index.h"
#include "store/engine/text_fold.h"

namespace postern::store::engine {
namespace {

constexpr std::string_view kRowCols =
    "id, uid, guid, store_id, body_hash, size, internal_date, save_date, flags, keywords, "
    "modseq, text_id, header_size, mailbox_id, message_id, thread_id, email_id";

MessageRow row_from(Stmt& s) {
    MessageRow r;
    r.id = s.i64(0);
    r.uid = static_cast<Uid>(s.i64(1));
    r.guid = s.text(2);
    r.store_id = s.text(3);
    auto h = s.blob(4);
    if (h.size() == r.hash.size())
        std::memcpy(r.hash.data(), h.data(), h.size());
    r.size = static_cast<std::uint64_t>(s.i64(5));
    r.internal_date = s.i64(6);
    r.save_date = s.i64(7);
    r.flags = static_cast<std::uint32_t>(s.i64(8));
    r.keywords = static_cast<std::uint64_t>(s.i64(9));
    r.modseq = static_cast<ModSeq>(s.i64(10));
    r.text_id = s.i64(11);
    r.header_size = static_cast<std::uint64_t>(s.i64(12));
    r.mailbox_id = s.i64(13);
    r.message_id = s.text(14);
    r.thread_id = s.text(15);
    r.email_id = s.text(16);
    return r;
}

std::string_view hash_view(const ContentHash& h) {
    return {reinterpret_cast<const char*>(h.data()), h.size()};
}

StoreStatus insert_row(Db& db, MailboxRow& mb, MessageRow& row, const SortKeys& sort,
                       const std::string& h_from, const std::string& h_to, const std::string& h_cc,
                       const std::string& h_subject) {
    if (mb.uidnext == 0 || mb.uidnext == kUidStar)
        return store_fail(StoreErrc::limit, "mailbox " + mb.name + " has run out of UIDs");
    row.uid = mb.uidnext++;
    if (row.guid.empty())
        row.guid = new_message_guid();
    row.modseq = mb.highestmodseq;
    // The row id AUTOINCREMENT would pick, chosen here so that a new text's id (its own row id)
    // goes in with the row instead of a second UPDATE.
    STORE_TRY(n, db.prepare("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE "
                            "name='messages'), 0), coalesce((SELECT max(id) FROM messages), 0))"));
    STORE_TRY(has, n->step());
    if (!has)
        return store_fail(StoreErrc::internal, "no next message id");
    row.id = n->i64(0) + 1;
    n->reset();
    if (!row.text_id)
        row.text_id = row.id;
    STORE_TRY(
        s,
        db.prepare(
            "INSERT INTO messages(id, mailbox_id, uid, guid, store_id, body_hash, size, "
            "internal_date, save_date, flags, keywords, modseq, text_id, header_size, "
            "sent_date, s_subject, s_from, s_to, s_cc, s_dfrom, s_dto, h_from, h_to, h_cc, "
            "h_subject, message_id, thread_id, email_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s->bind(1, row.id)
        .bind(2, mb.id)
        .bind(3, row.uid)
        .bind(4, row.guid)
        .bind(5, row.store_id)
        .bind_blob(6, hash_view(row.hash))
        .bind(7, static_cast<std::int64_t>(row.size))
        .bind(8, row.internal_date)
        .bind(9, row.save_date)
        .bind(10, row.flags)
        .bind(11, static_cast<std::int64_t>(row.keywords))
        .bind(12, static_cast<std::int64_t>(row.modseq))
        .bind(13, row.text_id)
        .bind(14, static_cast<std::int64_t>(row.header_size))
        .bind(15, sort.date ? sort.date : row.internal_date)
        .bind(16, fold_text(sort.subject_base))
        .bind(17, fold_text(sort.from))
        .bind(18, fold_text(sort.to))
        .bind(19, fold_text(sort.cc))
        .bind(20, fold_text(sort.display_from.empty() ? sort.from : sort.display_from))
        .bind(21, fold_text(sort.display_to.empty() ? sort.to : sort.display_to))
        .bind(22, h_from)
        .bind(23, h_to)
        .bind(24, h_cc)
        .bind(25, h_subject)
        .bind(26, row.message_id)
        .bind(27, row.thread_id)
        .bind(28, row.email_id);
    STORE_CHECK(s->run());
    mailbox_count_in(mb, row);
    return {};
}

}  // namespace

void mailbox_count_in(MailboxRow& mb, const MessageRow& r) {
    mb.messages++;
    mb.size += r.size;
    if (!(r.flags & kSeen))
        mb.unseen++;
    if (r.flags & kDeleted)
        mb.deleted++;
}

void mailbox_count_out(MailboxRow& mb, const MessageRow& r) {
    mb.messages = mb.messages ? mb.messages - 1 : 0;
    mb.size = mb.size >= r.size ? mb.size - r.size : 0;
    if (!(r.flags & kSeen) && mb.unseen)
        mb.unseen--;
    if ((r.flags & kDeleted) && mb.deleted)
        mb.deleted--;
}

// Part table blob: one line per part, "section header_start body_start body_end text_start"
// ("-" for the empty section). Version 1 lines had no text_start; they still decode.
std::string encode_parts(const std::vector<MimePart>& parts) {
    std::string out;
    for (auto& p : parts) {
        out += p.section.empty() ? std::string("-") : p.section;
        out += ' ' + std::to_string(p.header_start) + ' ' + std::to_string(p.body_start) + ' ' +
               std::to_string(p.body_end) + ' ' + std::to_string(p.text_start) + '\n';
    }
    return out;
}

std::vector<MimePart> decode_parts(std::string_view blob) {
    std::vector<MimePart> out;
    for (auto line : split(blob, '\n')) {
        auto f = split(line, ' ');
        if (f.size() != 4 && f.size() != 5)
            continue;
        MimePart p;
        p.section = f[0] == "-" ? std::string() : std::string(f[0]);
        p.header_start = parse_uint(f[1]).value_or(0);
        p.body_start = parse_uint(f[2]).value_or(0);
        p.body_end = parse_uint(f[3]).value_or(0);
        p.text_start = f.size() == 5 ? parse_uint(f[4]).value_or(0) : 0;
        out.push_back(std::move(p));
    }
    return out;
}

StoreResult<std::optional<MessageRow>> index_message_by_text(Db& db, std::int64_t text_id) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kRowCols) +
                            " FROM messages WHERE text_id=? LIMIT 1"));
    s->bind(1, text_id);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<MessageRow>();
    auto r = row_from(*s);
    s->reset();
    return std::optional<MessageRow>(std::move(r));
}

std::string new_message_guid() {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)  // big-endian, so that hex order is time order
        bytes[static_cast<std::size_t>(i)] =
            static_cast<char>((static_cast<std::uint64_t>(us) >> (56 - 8 * i)) & 0xff);
    return hex_encode(bytes + random_bytes(8));
}

StoreStatus index_insert_message(Db& db, MailboxRow& mb, MessageRow& row, const MessageAnalysis& a,
                                 FtsDoc* deferred) {
    FtsDoc doc = fts_doc_of(a);
    row.text_id = 0;  // a new text: its id is the row's
    if (row.guid.empty())
        row.guid = new_message_guid();  // known before the insert: a thread's id
    STORE_CHECK(index_assign_thread(db, row, a));
    STORE_CHECK(insert_row(db, mb, row, a.sort, fold_text(doc.from), fold_text(doc.to),
                           fold_text(doc.cc), fold_text(doc.subject)));
    STORE_TRY(
        d, db.prepare(
               "INSERT INTO message_data(id, envelope, bodystructure, parts) VALUES(?, ?, ?, ?)"));
    STORE_CHECK(d->bind(1, row.id)
                    .bind_blob(2, a.envelope)
                    .bind_blob(3, a.bodystructure)
                    .bind_blob(4, encode_parts(a.parts))
                    .run());
    if (!deferred)
        return index_fts_insert(db, row.id, doc);
    // The marker commits with the row: a crash before the flush loses only the cached text,
    // which the next flush rebuilds from the body.
    STORE_TRY(p, db.prepare("INSERT OR IGNORE INTO fts_pending(text_id) VALUES(?)"));
    STORE_CHECK(p->bind(1, row.id).run());
    *deferred = std::move(doc);
    return {};
}

StoreStatus index_insert_replayed(Db& db, MailboxRow& mb, MessageRow& row,
                                  const MessageAnalysis& analysis, Uid uid, ModSeq modseq) {
    const Uid uidnext = mb.uidnext;
    const ModSeq highest = mb.highestmodseq;
    mb.uidnext = uid;
    mb.highestmodseq = modseq;
    FtsDoc unused;
    STORE_CHECK(index_insert_message(db, mb, row, analysis, &unused));
    mb.uidnext = std::max<Uid>(uidnext, uid + 1);
    mb.highestmodseq = std::max(highest, modseq);
    return {};
}

StoreStatus index_copy_message(Db& db, MailboxRow& mb, MessageRow& row, std::int64_t src_id) {
    STORE_TRY(s,
              db.prepare("SELECT sent_date, s_subject, s_from, s_to, s_cc, s_dfrom, s_dto, h_from, "
                         "h_to, h_cc, h_subject, text_id, message_id, thread_id FROM messages "
                         "WHERE id=?"));
    s->bind(1, src_id);
    STORE_TRY(found, s->step());
    if (!found)
        return store_fail(StoreErrc::expunged, "source message is gone");
    // The sort strings are stored folded already; folding is idempotent.
    SortKeys k;
    k.date = s->i64(0);
    k.subject_base = s->text(1);
    k.from = s->text(2);
    k.to = s->text(3);
    k.cc = s->text(4);
    k.display_from = s->text(5);
    k.display_to = s->text(6);
    std::string hf = s->text(7), ht = s->text(8), hc = s->text(9), hs = s->text(10);
    row.text_id = s->i64(11);
    row.message_id = s->text(12);
    row.thread_id = s->text(13);  // a copy stays in its thread (RFC 8474 §5.2)
    s->reset();
    STORE_CHECK(insert_row(db, mb, row, k, hf, ht, hc, hs));
    STORE_TRY(d,
              db.prepare("INSERT INTO message_data(id, envelope, bodystructure, parts) "
                         "SELECT ?, envelope, bodystructure, parts FROM message_data WHERE id=?"));
    return d->bind(1, row.id).bind(2, src_id).run();
}

StoreResult<std::vector<MessageRow>> index_messages(Db& db, std::int64_t mailbox_id,
                                                    const UidSet& uids) {
    std::vector<MessageRow> out;
    STORE_TRY(s,
              db.prepare("SELECT " + std::string(kRowCols) +
                         " FROM messages WHERE mailbox_id=? AND uid BETWEEN ? AND ? ORDER BY uid"));
    for (auto [lo, hi] : uids.ranges()) {
        s->reset();
        s->bind(1, mailbox_id).bind(2, lo).bind(3, hi);
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            out.push_back(row_from(*s));
        }
    }
    return out;
}

StoreResult<std::vector<CachedMessage>> index_messages_cached(Db& db, std::int64_t mailbox_id,
                                                              const UidSet& uids) {
    // kRowCols with the table named (message_data has an id column too).
    static const std::string cols = [] {
        std::string out = "m.";
        for (char c : kRowCols) {
            out += c;
            if (c == ' ')
                out += "m.";
        }
        return out;
    }();
    std::vector<CachedMessage> out;
    STORE_TRY(s, db.prepare("SELECT " + cols +
                            ", d.envelope, d.bodystructure FROM messages m LEFT JOIN message_data "
                            "d ON d.id=m.id WHERE m.mailbox_id=? AND m.uid BETWEEN ? AND ? "
                            "ORDER BY m.uid"));
    // The columns after kRowCols.
    static const int kEnvelope =
        static_cast<int>(std::count(kRowCols.begin(), kRowCols.end(), ',')) + 1;
    for (auto [lo, hi] : uids.ranges()) {
        s->reset();
        s->bind(1, mailbox_id).bind(2, lo).bind(3, hi);
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            if (s->is_null(kEnvelope))
                return store_fail(StoreErrc::expunged, "message data is gone");
            out.push_back({row_from(*s), s->blob(kEnvelope), s->blob(kEnvelope + 1)});
        }
    }
    return out;
}

StoreResult<std::optional<MessageRow>> index_message(Db& db, std::int64_t mailbox_id, Uid uid) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kRowCols) +
                            " FROM messages WHERE mailbox_id=? AND uid=?"));
    s->bind(1, mailbox_id).bind(2, uid);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<MessageRow>();
    auto r = row_from(*s);
    s->reset();
    return std::optional<MessageRow>(std::move(r));
}

StoreStatus index_update_flags(Db& db, std::int64_t id, std::uint32_t flags, std::uint64_t keywords,
                               ModSeq modseq) {
    STORE_TRY(s, db.prepare("UPDATE messages SET flags=?, keywords=?, modseq=? WHERE id=?"));
    return s->bind(1, flags)
        .bind(2, static_cast<std::int64_t>(keywords))
        .bind(3, static_cast<std::int64_t>(modseq))
        .bind(4, id)
        .run();
}

namespace {

// A row left: its full-text row becomes garbage once no other row shares the text (copies
// within the account do). Text never indexed just loses its pending marker.
StoreStatus release_text(Db& db, std::int64_t text_id) {
    STORE_TRY(used, index_text_in_use(db, text_id));
    if (used)
        return {};
    STORE_TRY(p, db.prepare("DELETE FROM fts_pending WHERE text_id=?"));
    STORE_CHECK(p->bind(1, text_id).run());
    if (db.changes() > 0)
        return {};
    STORE_CHECK(index_add_counter(db, "fts_live", -1));
    return index_add_counter(db, "fts_dead", 1);
}

StoreStatus log_expunge(Db& db, MailboxRow& mb, Uid uid, ModSeq modseq) {
    STORE_TRY(
        e, db.prepare("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) VALUES(?, ?, ?)"));
    STORE_CHECK(e->bind(1, mb.id).bind(2, uid).bind(3, static_cast<std::int64_t>(modseq)).run());
    mb.expunge_log++;
    return {};
}

}  // namespace

StoreStatus index_delete_message(Db& db, MailboxRow& mb, const MessageRow& row, ModSeq modseq,
                                 bool log_expunge_entry) {
    STORE_TRY(s, db.prepare("DELETE FROM messages WHERE id=?"));
    STORE_CHECK(s->bind(1, row.id).run());
    STORE_TRY(d, db.prepare("DELETE FROM message_data WHERE id=?"));
    STORE_CHECK(d->bind(1, row.id).run());
    STORE_CHECK(release_text(db, row.text_id));
    if (!log_expunge_entry)
        return {};
    return log_expunge(db, mb, row.uid, modseq);
}

StoreStatus index_prune_expunge_log(Db& db, MailboxRow& mb, std::uint64_t limit) {
    // Pruned in chunks well past the limit, so a busy mailbox prunes now and then, not on
    // every expunge.
    const std::uint64_t slack = std::max<std::uint64_t>(limit / 8, 16);
    if (limit == 0 || mb.expunge_log <= limit + slack)
        return {};
    const std::uint64_t drop = mb.expunge_log - limit;
    STORE_TRY(m, db.prepare("SELECT modseq FROM expunged WHERE mailbox_id=? ORDER BY modseq "
                            "LIMIT 1 OFFSET ?"));
    m->bind(1, mb.id).bind(2, static_cast<std::int64_t>(drop - 1));
    STORE_TRY(row, m->step());
    if (!row)
        return {};
    // Whole MODSEQs only: a client asking from inside a half-pruned MODSEQ would be misled.
    const auto floor = static_cast<ModSeq>(m->i64(0));
    m->reset();
    STORE_TRY(d, db.prepare("DELETE FROM expunged WHERE mailbox_id=? AND modseq<=?"));
    STORE_CHECK(d->bind(1, mb.id).bind(2, static_cast<std::int64_t>(floor)).run());
    mb.expunge_log -=
        std::min<std::uint64_t>(mb.expunge_log, static_cast<std::uint64_t>(db.changes()));
    mb.vanished_floor = std::max(mb.vanished_floor, floor);
    return {};
}

StoreStatus index_move_message(Db& db, const MessageRow& row, MailboxRow& src, ModSeq src_modseq,
                               MailboxRow& dest, Uid& new_uid) {
    ModSeq modseq = dest.highestmodseq;
    if (dest.uidnext == 0 || dest.uidnext == kUidStar)
        return store_fail(StoreErrc::limit, "mailbox " + dest.name + " has run out of UIDs");
    new_uid = dest.uidnext++;
    // The row keeps its id, guid and text: a move is not a new message for sync or FTS.
    STORE_TRY(s, db.prepare("UPDATE messages SET mailbox_id=?, uid=?, modseq=? WHERE id=?"));
    STORE_CHECK(s->bind(1, dest.id)
                    .bind(2, new_uid)
                    .bind(3, static_cast<std::int64_t>(modseq))
                    .bind(4, row.id)
                    .run());
    mailbox_count_in(dest, row);
    return log_expunge(db, src, row.uid, src_modseq);
}

StoreStatus index_unwind_message(Db& db, const std::string& msg_guid) {
    STORE_TRY(row, index_message_by_guid(db, msg_guid));
    if (!row)
        return {};
    STORE_TRY(mb, index_mailbox_by_id(db, row->mailbox_id));
    MailboxRow gone;
    STORE_CHECK(index_delete_message(db, mb ? *mb : gone, *row, 0, false));
    if (mb) {
        mailbox_count_out(*mb, *row);
        STORE_CHECK(index_save_mailbox(db, *mb));
    }
    return {};
}

StoreStatus index_set_store(Db& db, const std::string& msg_guid, const std::string& store_id) {
    STORE_TRY(s, db.prepare("UPDATE messages SET store_id=? WHERE guid=?"));
    return s->bind(1, store_id).bind(2, msg_guid).run();
}

StoreResult<std::optional<MessageRow>> index_message_by_guid(Db& db, const std::string& msg_guid) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kRowCols) + " FROM messages WHERE guid=?"));
    s->bind(1, msg_guid);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<MessageRow>();
    auto r = row_from(*s);
    s->reset();
    return std::optional<MessageRow>(std::move(r));
}

StoreResult<std::vector<Uid>> index_uids(Db& db, std::int64_t mailbox_id) {
    STORE_TRY(s, db.prepare("SELECT uid FROM messages INDEXED BY messages_view WHERE mailbox_id=? "
                            "ORDER BY uid"));
    s->bind(1, mailbox_id);
    std::vector<Uid> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(static_cast<Uid>(s->i64(0)));
    }
    return out;
}

StoreResult<std::string> index_envelope(Db& db, std::int64_t id, std::string* bodystructure,
                                        std::vector<MimePart>* parts) {
    STORE_TRY(s, db.prepare("SELECT envelope, bodystructure, parts FROM message_data WHERE id=?"));
    s->bind(1, id);
    STORE_TRY(row, s->step());
    if (!row)
        return store_fail(StoreErrc::expunged, "message data is gone");
    std::string env = s->blob(0);
    if (bodystructure)
        *bodystructure = s->blob(1);
    if (parts)
        *parts = decode_parts(s->blob(2));
    s->reset();
    return env;
}

StoreResult<std::vector<Uid>> index_vanished_since(Db& db, std::int64_t mailbox_id, ModSeq since) {
    STORE_TRY(s,
              db.prepare("SELECT uid FROM expunged WHERE mailbox_id=? AND modseq>? ORDER BY uid"));
    s->bind(1, mailbox_id).bind(2, static_cast<std::int64_t>(since));
    std::vector<Uid> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(static_cast<Uid>(s->i64(0)));
    }
    return out;
}

StoreResult<std::vector<MessageRow>> index_changed_since(Db& db, std::int64_t mailbox_id,
                                                         ModSeq since) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kRowCols) +
                            " FROM messages WHERE mailbox_id=? AND modseq>? ORDER BY uid"));
    s->bind(1, mailbox_id).bind(2, static_cast<std::int64_t>(since));
    std::vector<MessageRow> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(row_from(*s));
    }
    return out;
}

}  // namespace postern::store::engine
