// Encoding and replay of status files, format v1 (docs/queue.md "Status file").
#include "queue/status_file.h"

#include <optional>

#include "base/strings.h"
#include "queue/record_codec.h"

namespace postern::queue {

namespace {

// Record types.
constexpr std::uint8_t kEnvelope = 'E';
constexpr std::uint8_t kRecipient = 'R';
constexpr std::uint8_t kCommit = 'C';
constexpr std::uint8_t kUpdate = 'U';
// Parts of an update record (nested fields of the 'U' payload).
constexpr std::uint8_t kPartMessage = 'M';
constexpr std::uint8_t kPartRecipient = 'R';

// Envelope fields (immutable after commit).
enum : std::uint8_t {
    kFId = 1,
    kFSender,
    kFEnvid,
    kFRet,
    kFBodyType,
    kFSmtputf8,
    kFIp,
    kFHelo,
    kFAuth,
    kFTls,
    kFProtocol,
    kFSession,
    kFSize,
    kFBodyCrc,
    kFReceivedAt,
    kFFlags,
    kFQuarantine,
};
// Mutable message fields (in 'E' and in an update's 'M' part).
enum : std::uint8_t {
    kFStage = 32,
    kFHoldUntil,
    kFHoldReason,
    kFProcAttempts,
    kFNextProcessing,
    kFProcError,
    kFHeaderPrefix,
    kFRemoveHeaders,  // header field names PROCESSING removes from the body, '\n'-separated
    kFChangedSender,  // the sender a filter set (present only then; may be empty: null sender)
    kFReplacedSize,   // size of <id>.body2, a filter's replacement (present only then)
    kFReplacedCrc,
};
// Recipient fields.
enum : std::uint8_t {
    kRIndex = 1,
    kRAddress,
    kROrcpt,
    kRNotify,
    kRState,
    kRLane,
    kRNotices,
    kRParent,
    kRDestination,
    kRAttempts,
    kRNextAttempt,
    kRLastAttempt,
    kRStatus,
    kRDiagnostic,
    kRRemoteMta,
    kRMailbox,
};
// Commit fields.
enum : std::uint8_t { kCRecipients = 1 };

std::uint64_t time_field(UnixMs t) {
    return t < 0 ? 0 : static_cast<std::uint64_t>(t);
}

void put_mutable(FieldWriter& w, const MessageRecord& m) {
    w.put_nonzero(kFStage, static_cast<std::uint64_t>(m.stage));
    w.put_nonzero(kFHoldUntil, time_field(m.hold_until));
    w.put_nonempty(kFHoldReason, m.hold_reason);
    w.put_nonzero(kFProcAttempts, m.processing_attempts);
    w.put_nonzero(kFNextProcessing, time_field(m.next_processing));
    w.put_nonempty(kFProcError, m.processing_error);
    w.put_nonempty(kFHeaderPrefix, m.header_prefix);
    w.put_nonempty(kFRemoveHeaders, join(m.remove_headers, "\n"));
    if (m.sender_changed)
        w.put(kFChangedSender, m.sender);
    if (m.body_replaced) {
        w.put_uint(kFReplacedSize, m.replaced_size);
        w.put_uint(kFReplacedCrc, m.replaced_crc);
    }
}

RecipientState stored_state(const RecipientRecord& r) {
    if (r.state != RecipientState::sending)
        return r.state;
    return r.attempts > 0 ? RecipientState::deferred : RecipientState::queued;
}

std::string recipient_payload(const RecipientRecord& r, std::uint32_t index) {
    std::string p;
    FieldWriter w(p);
    w.put_uint(kRIndex, index);
    w.put(kRAddress, r.address);
    w.put_nonempty(kROrcpt, r.orcpt);
    w.put_nonzero(kRNotify, r.notify);
    w.put_nonzero(kRState, static_cast<std::uint64_t>(stored_state(r)));
    w.put_nonzero(kRLane, static_cast<std::uint64_t>(r.lane));
    w.put_nonzero(kRNotices, r.notices);
    if (r.parent != kNoParent)
        w.put_uint(kRParent, r.parent);
    w.put_nonempty(kRDestination, r.destination);
    w.put_nonzero(kRAttempts, r.attempts);
    w.put_nonzero(kRNextAttempt, time_field(r.next_attempt));
    w.put_nonzero(kRLastAttempt, time_field(r.last_attempt));
    w.put_nonempty(kRStatus, r.status);
    w.put_nonempty(kRDiagnostic, r.diagnostic);
    w.put_nonempty(kRRemoteMta, r.remote_mta);
    w.put_nonempty(kRMailbox, r.mailbox);
    return p;
}

// Decoding helpers: each returns false on a malformed value, which makes the file corrupt.
bool read_uint(const Field& f, std::uint64_t max, std::uint64_t& out) {
    auto v = f.as_uint();
    if (!v || *v > max)
        return false;
    out = *v;
    return true;
}

template <class E>
bool read_enum(const Field& f, E max, E& out) {
    std::uint64_t v = 0;
    if (!read_uint(f, static_cast<std::uint64_t>(max), v))
        return false;
    out = static_cast<E>(v);
    return true;
}

bool read_time(const Field& f, UnixMs& out) {
    std::uint64_t v = 0;
    if (!read_uint(f, static_cast<std::uint64_t>(kNever), v))
        return false;
    out = static_cast<UnixMs>(v);
    return true;
}

template <class N>
bool read_num(const Field& f, N& out) {
    std::uint64_t v = 0;
    if (!read_uint(f, std::numeric_limits<N>::max(), v))
        return false;
    out = static_cast<N>(v);
    return true;
}

// Applies a mutable message field; false if `f` is not one or is malformed.
bool apply_mutable(const Field& f, MessageRecord& m, bool& ok) {
    switch (f.tag) {
        case kFStage:
            ok = read_enum(f, Stage::processed, m.stage);
            return true;
        case kFHoldUntil:
            ok = read_time(f, m.hold_until);
            return true;
        case kFHoldReason:
            m.hold_reason = std::string(f.bytes);
            return true;
        case kFProcAttempts:
            ok = read_num(f, m.processing_attempts);
            return true;
        case kFNextProcessing:
            ok = read_time(f, m.next_processing);
            return true;
        case kFProcError:
            m.processing_error = std::string(f.bytes);
            return true;
        case kFHeaderPrefix:
            m.header_prefix = std::string(f.bytes);
            return true;
        case kFRemoveHeaders:
            m.remove_headers.clear();
            for (auto name : split(f.bytes, '\n'))
                if (!name.empty())
                    m.remove_headers.emplace_back(name);
            return true;
        case kFChangedSender:
            // Once changed, every later update carries it; an update without it leaves it.
            m.sender = std::string(f.bytes);
            m.sender_changed = true;
            return true;
        case kFReplacedSize:
            ok = read_num(f, m.replaced_size);
            m.body_replaced = true;
            return true;
        case kFReplacedCrc:
            ok = read_num(f, m.replaced_crc);
            return true;
        default:
            return false;
    }
}

bool decode_envelope(std::string_view payload, MessageRecord& m) {
    auto fields = read_fields(payload);
    if (!fields)
        return false;
    bool have_id = false;
    for (const auto& f : *fields) {
        bool ok = true;
        if (apply_mutable(f, m, ok)) {
            if (!ok)
                return false;
            continue;
        }
        switch (f.tag) {
            case kFId: {
                auto id = QueueId::parse(f.bytes);
                if (!id)
                    return false;
                m.id = *id;
                have_id = true;
                break;
            }
            case kFSender:
                m.sender = std::string(f.bytes);
                break;
            case kFEnvid:
                m.envid = std::string(f.bytes);
                break;
            case kFRet:
                ok = read_enum(f, Ret::headers, m.ret);
                break;
            case kFBodyType:
                ok = read_enum(f, BodyType::binary_mime, m.body_type);
                break;
            case kFSmtputf8: {
                std::uint64_t v = 0;
                ok = read_uint(f, 1, v);
                m.smtputf8 = v != 0;
                break;
            }
            case kFIp:
                m.client.ip = std::string(f.bytes);
                break;
            case kFHelo:
                m.client.helo = std::string(f.bytes);
                break;
            case kFAuth:
                m.client.auth_user = std::string(f.bytes);
                break;
            case kFTls:
                m.client.tls = std::string(f.bytes);
                break;
            case kFProtocol:
                m.client.protocol = std::string(f.bytes);
                break;
            case kFSession:
                m.client.session = std::string(f.bytes);
                break;
            case kFSize:
                ok = read_num(f, m.size);
                break;
            case kFBodyCrc:
                ok = read_num(f, m.body_crc);
                break;
            case kFReceivedAt:
                ok = read_time(f, m.received_at);
                break;
            case kFFlags:
                ok = read_num(f, m.flags);
                break;
            case kFQuarantine:
                m.client.quarantine = std::string(f.bytes);
                break;
            default:
                break;  // a field from a later minor revision: ignored
        }
        if (!ok)
            return false;
    }
    return have_id;
}

bool decode_message_part(std::string_view payload, MessageRecord& m) {
    auto fields = read_fields(payload);
    if (!fields)
        return false;
    // An update carries every mutable field; absent ones are back at their defaults.
    m.stage = Stage::received;
    m.hold_until = 0;
    m.hold_reason.clear();
    m.processing_attempts = 0;
    m.next_processing = 0;
    m.processing_error.clear();
    m.header_prefix.clear();
    m.remove_headers.clear();
    for (const auto& f : *fields) {
        bool ok = true;
        if (apply_mutable(f, m, ok) && !ok)
            return false;
    }
    return true;
}

// A recipient record; `index` gets its position. False when malformed.
bool decode_recipient(std::string_view payload, RecipientRecord& r, std::uint32_t& index) {
    auto fields = read_fields(payload);
    if (!fields)
        return false;
    bool have_index = false, have_address = false;
    for (const auto& f : *fields) {
        bool ok = true;
        switch (f.tag) {
            case kRIndex:
                ok = read_num(f, index);
                have_index = true;
                break;
            case kRAddress:
                r.address = std::string(f.bytes);
                have_address = true;
                break;
            case kROrcpt:
                r.orcpt = std::string(f.bytes);
                break;
            case kRNotify:
                ok = read_num(f, r.notify);
                break;
            case kRState:
                ok = read_enum(f, RecipientState::removed, r.state);
                break;
            case kRLane:
                ok = read_enum(f, Lane::remote, r.lane);
                break;
            case kRNotices:
                ok = read_num(f, r.notices);
                break;
            case kRParent:
                ok = read_num(f, r.parent);
                break;
            case kRDestination:
                r.destination = std::string(f.bytes);
                break;
            case kRAttempts:
                ok = read_num(f, r.attempts);
                break;
            case kRNextAttempt:
                ok = read_time(f, r.next_attempt);
                break;
            case kRLastAttempt:
                ok = read_time(f, r.last_attempt);
                break;
            case kRStatus:
                r.status = std::string(f.bytes);
                break;
            case kRDiagnostic:
                r.diagnostic = std::string(f.bytes);
                break;
            case kRRemoteMta:
                r.remote_mta = std::string(f.bytes);
                break;
            case kRMailbox:
                r.mailbox = std::string(f.bytes);
                break;
            default:
                break;
        }
        if (!ok)
            return false;
    }
    if (r.state == RecipientState::sending)
        r.state = RecipientState::queued;
    return have_index && have_address;
}

StatusLoad corrupt(std::string why) {
    StatusLoad load;
    load.outcome = StatusOutcome::corrupt;
    load.error = std::move(why);
    return load;
}

}  // namespace

std::string encode_status(const MessageRecord& m) {
    std::string out = encode_file_header(kStatusVersion);
    std::string p;
    FieldWriter w(p);
    w.put(kFId, m.id.view());
    w.put_nonempty(kFSender, m.sender);
    w.put_nonempty(kFEnvid, m.envid);
    w.put_nonzero(kFRet, static_cast<std::uint64_t>(m.ret));
    w.put_nonzero(kFBodyType, static_cast<std::uint64_t>(m.body_type));
    w.put_nonzero(kFSmtputf8, m.smtputf8 ? 1 : 0);
    w.put_nonempty(kFIp, m.client.ip);
    w.put_nonempty(kFHelo, m.client.helo);
    w.put_nonempty(kFAuth, m.client.auth_user);
    w.put_nonempty(kFTls, m.client.tls);
    w.put_nonempty(kFProtocol, m.client.protocol);
    w.put_nonempty(kFSession, m.client.session);
    w.put_uint(kFSize, m.size);
    w.put_uint(kFBodyCrc, m.body_crc);
    w.put_uint(kFReceivedAt, time_field(m.received_at));
    w.put_nonzero(kFFlags, m.flags);
    w.put_nonempty(kFQuarantine, m.client.quarantine);
    put_mutable(w, m);
    append_record(out, kEnvelope, p);
    for (std::uint32_t i = 0; i < m.recipients.size(); ++i)
        append_record(out, kRecipient, recipient_payload(m.recipients[i], i));
    std::string c;
    FieldWriter(c).put_uint(kCRecipients, m.recipients.size());
    append_record(out, kCommit, c);
    return out;
}

std::string encode_update(const MessageRecord& m, bool message,
                          std::span<const std::uint32_t> recipients) {
    std::string p;
    FieldWriter w(p);
    if (message) {
        std::string part;
        FieldWriter pw(part);
        put_mutable(pw, m);
        w.put(kPartMessage, part);
    }
    for (auto i : recipients)
        w.put(kPartRecipient, recipient_payload(m.recipients.at(i), i));
    std::string out;
    append_record(out, kUpdate, p);
    return out;
}

StatusLoad decode_status(std::string_view bytes) {
    StatusLoad load;
    if (bytes.size() < kFileHeaderSize) {
        // A crash between creating the file and writing it: the commit never completed.
        load.outcome = StatusOutcome::incomplete;
        load.error = "status file shorter than its header";
        return load;
    }
    auto version = decode_file_header(bytes);
    if (!version)
        return corrupt("bad status file header");
    if (*version != kStatusVersion)
        return corrupt("unsupported status file version " + std::to_string(*version));

    auto scan = scan_records(bytes, kFileHeaderSize);
    if (scan.end == ScanEnd::corrupt)
        return corrupt(scan.error);

    auto& m = load.record;
    std::size_t i = 0;
    const auto& recs = scan.records;
    auto incomplete = [&](std::string why) {
        StatusLoad l;
        l.outcome = StatusOutcome::incomplete;
        l.error = std::move(why);
        return l;
    };
    if (recs.empty() || recs[0].type != kEnvelope) {
        if (scan.end == ScanEnd::torn || recs.empty())
            return incomplete("no envelope record");
        return corrupt("first record is not the envelope");
    }
    if (!decode_envelope(recs[0].payload, m))
        return corrupt("malformed envelope record");
    for (i = 1; i < recs.size() && recs[i].type == kRecipient; ++i) {
        RecipientRecord r;
        std::uint32_t index = 0;
        if (!decode_recipient(recs[i].payload, r, index))
            return corrupt("malformed recipient record");
        if (index != m.recipients.size())
            return corrupt("recipient records out of order");
        if (m.recipients.size() >= kMaxRecipients)
            return corrupt("too many recipients");
        m.recipients.push_back(std::move(r));
    }
    // Without its commit record the initial group was never fully written, so the commit
    // was never acknowledged (torn or cut cleanly between records alike).
    if (i == recs.size())
        return incomplete("no commit record");
    if (recs[i].type != kCommit)
        return corrupt("unexpected record before the commit record");
    {
        auto fields = read_fields(recs[i].payload);
        std::optional<std::uint64_t> count;
        if (fields)
            for (const auto& f : *fields)
                if (f.tag == kCRecipients)
                    count = f.as_uint();
        if (!count || *count != m.recipients.size())
            return corrupt("commit record does not match the recipients");
        if (m.recipients.empty())
            return corrupt("message without recipients");
    }
    for (++i; i < recs.size(); ++i) {
        if (recs[i].type != kUpdate)
            return corrupt("unexpected record type after commit");
        auto parts = read_fields(recs[i].payload);
        if (!parts)
            return corrupt("malformed update record");
        for (const auto& part : *parts) {
            if (part.tag == kPartMessage) {
                if (!decode_message_part(part.bytes, m))
                    return corrupt("malformed message update");
            } else if (part.tag == kPartRecipient) {
                RecipientRecord r;
                std::uint32_t index = 0;
                if (!decode_recipient(part.bytes, r, index))
                    return corrupt("malformed recipient update");
                if (index < m.recipients.size()) {
                    m.recipients[index] = std::move(r);
                } else if (index == m.recipients.size() && index < kMaxRecipients) {
                    m.recipients.push_back(std::move(r));
                } else {
                    return corrupt("recipient update for index " + std::to_string(index));
                }
            }
        }
        ++load.updates;
    }
    for (const auto& r : m.recipients)
        if (r.parent != kNoParent && r.parent >= m.recipients.size())
            return corrupt("recipient parent out of range");
    load.torn_tail = scan.end == ScanEnd::torn;
    load.good_length = scan.good_end;
    if (load.torn_tail)
        load.error = scan.error;
    return load;
}

}  // namespace postern::queue
