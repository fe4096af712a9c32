// DATA and BDAT (RFC 5321 §4.1.1.4, RFC 3030): the message streams through the DATA/BDAT
// receiver (end only at CRLF.CRLF: no smuggling), the header scanner (loop detection, fold
// repair) and into the queue writer; 250 is sent only once the queue reports it durable.
#include <chrono>

#include "directory/directory.h"
#include "mime/address.h"
#include "proto/smtp/chunk_receiver.h"
#include "proto/smtp/data_receiver.h"
#include "proto/smtp/replies.h"
#include "queue/message_writer.h"
#include "queue/queue.h"
#include "services/queue_bridge.h"
#include "services/runtime.h"
#include "services/smtp_in/milter_hooks.h"
#include "services/smtp_in/policy_hooks.h"
#include "services/smtp_in/received.h"
#include "services/smtp_in/send_limiter.h"
#include "services/smtp_in/sender_auth.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;

// Bytes staged before handing them to the queue writer: fewer, larger writes.
constexpr std::size_t kStageBytes = 64 * 1024;

bool Session::start_message() {
    writer_ = deps_.queue->begin_message(conn_.session_id);
    scanner_ = std::make_unique<HeaderScanner>(cfg().max_header_size);
    ReceivedInfo info;
    info.helo = helo_;
    info.client_ip = conn_.client.ip.to_string();
    info.reverse_name = client_name_;
    info.server_name = ctx_.config->server.hostname;
    info.protocol = with_protocol(esmtp_, conn_.stream->tls_active(), user_.has_value(), lmtp_, envelope_->mail.smtputf8);
    info.queue_id = writer_->id().str();
    info.tls = conn_.stream->tls_summary();
    if (user_) info.auth_user = user_->address;
    if (envelope_->recipients.size() == 1) info.recipient = envelope_->recipients.front().address;
    info.when = std::chrono::system_clock::now();
    auto field = received_field(info);
    field += protection_fields();
    // Our trace field goes first; it is not the client's and does not count as its header.
    if (milter_) {
        // The message is held in memory until the milters have seen it (their changes are
        // applied before anything is written): store() stages into milter_->message.
        milter_->buffering = true;
        milter_->message = std::move(field);
        return true;
    }
    return writer_->append(field).has_value();
}

asio::awaitable<bool> Session::store(std::string& bytes, bool final) {
    if (!final && bytes.size() < kStageBytes) co_return true;
    if (bytes.empty()) co_return true;
    if (milter_ && milter_->buffering) {
        // Held for the milters (bounded by max_message_size, which the receiver enforces).
        milter_->message += bytes;
        bytes.clear();
        co_return true;
    }
    Status st;
    if (writer_->will_write(bytes.size())) {
        // Past the in-memory part the writer does a page-cache write: not on the event loop.
        std::function<void()> job = [&] { st = writer_->append(bytes); };
        co_await run_blocking(*ctx_.blocking, std::move(job));
    } else {
        st = writer_->append(bytes);
    }
    bytes.clear();
    co_return st.has_value();
}

asio::awaitable<Session::Flow> Session::on_data() {
    if (auto refused = txn_.check_data()) co_return refuse(*refused);
    if (!start_message()) {
        add_reply(smtp::replies::local_error());
        reset_transaction();
        co_return Flow::next;
    }
    auto milter_refusal = co_await milter_data();
    if (milter_refusal) {
        add_reply(*milter_refusal);
        reset_transaction();
        co_return Flow::next;
    }
    add_reply(smtp::replies::start_data());
    if (!co_await flush()) co_return Flow::close;

    smtp::DataReceiver receiver(content_limits());
    std::string canonical, staged;
    bool write_failed = false;
    while (!receiver.complete()) {
        auto& buffer = reader_.buffer();
        if (buffer.buffered().empty()) {
            auto more = co_await reader_.fill();
            if (!more || !*more) {
                ctx_.logger.info("connection lost during DATA; message {} dropped", writer_->id().view());
                reset_transaction();
                co_return Flow::close;
            }
            continue;
        }
        auto progress = receiver.feed(buffer.buffered(), canonical);
        buffer.consume(progress.consumed);
        if (receiver.refused() || scanner_->too_large() || write_failed) {
            canonical.clear();
            continue;
        }
        auto fed_from = staged.size();
        scanner_->feed(canonical, staged);
        canonical.clear();
        sender_auth_feed(staged, fed_from);
        if (policy_) co_await policy_message(staged, false);
        if (!co_await store(staged, false)) write_failed = true;
    }
    if (!receiver.refused() && !write_failed) {
        auto fed_from = staged.size();
        scanner_->finish(staged);
        sender_auth_feed(staged, fed_from);
        co_await sender_auth_finish();
        if (policy_) co_await policy_message(staged, true);
        if (!co_await store(staged, true)) write_failed = true;
    }
    ctx_.logger.info("<< {} bytes and the final dot read", receiver.report().received);
    std::optional<smtp::Reply> problem = smtp::content_reply(receiver.verdict());
    if (!problem && write_failed) problem = smtp::replies::local_error();
    co_return co_await finish_message(problem);
}

asio::awaitable<Session::Flow> Session::discard_octets(std::uint64_t octets) {
    while (octets > 0) {
        auto& buffer = reader_.buffer();
        if (buffer.buffered().empty()) {
            auto more = co_await reader_.fill();
            if (!more || !*more) co_return Flow::close;
            continue;
        }
        auto take = std::min<std::uint64_t>(octets, buffer.buffered().size());
        buffer.consume(static_cast<std::size_t>(take));
        octets -= take;
    }
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_bdat(const smtp::Bdat& bdat) {
    if (auto refused = txn_.check_bdat(bdat)) {
        // The chunk still follows the command: read it away, then refuse (RFC 3030 §2).
        if (co_await discard_octets(bdat.size) == Flow::close) co_return Flow::close;
        reset_transaction();
        co_return refuse(*refused);
    }
    if (!writer_) {
        if (!start_message()) {
            if (co_await discard_octets(bdat.size) == Flow::close) co_return Flow::close;
            add_reply(smtp::replies::local_error());
            reset_transaction();
            co_return Flow::next;
        }
        auto milter_refusal = co_await milter_data();
        if (milter_refusal) {
            if (co_await discard_octets(bdat.size) == Flow::close) co_return Flow::close;
            add_reply(*milter_refusal);
            reset_transaction();
            co_return Flow::next;
        }
        chunks_.emplace(Chunks{smtp::ChunkReceiver(content_limits(), envelope_->mail.body == smtp::Body::binary_mime), {}});
    }
    auto& receiver = chunks_->receiver;
    receiver.begin_chunk(bdat.size, bdat.last);
    std::string canonical;
    bool write_failed = false;
    std::uint64_t left = bdat.size;
    while (left > 0 || (bdat.last && !receiver.finished())) {
        auto& buffer = reader_.buffer();
        if (left > 0 && buffer.buffered().empty()) {
            auto more = co_await reader_.fill();
            if (!more || !*more) {
                reset_transaction();
                co_return Flow::close;
            }
            continue;
        }
        auto available = buffer.buffered().substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.buffered().size())));
        auto progress = receiver.feed(available, canonical);
        buffer.consume(progress.consumed);
        left -= progress.consumed;
        if (!receiver.refused() && !scanner_->too_large()) {
            auto fed_from = chunks_->staged.size();
            scanner_->feed(canonical, chunks_->staged);
            sender_auth_feed(chunks_->staged, fed_from);
            if (policy_) co_await policy_message(chunks_->staged, false);
            if (!co_await store(chunks_->staged, false)) write_failed = true;
        }
        canonical.clear();
        if (progress.consumed == 0 && left == 0) break;
    }
    txn_.chunk_accepted(bdat);
    if (!bdat.last) {
        if (write_failed) {
            reset_transaction();
            add_reply(smtp::replies::local_error());
            co_return Flow::next;
        }
        add_reply(smtp::replies::chunk_received(bdat.size));
        co_return Flow::next;
    }
    if (!receiver.refused() && !write_failed) {
        auto fed_from = chunks_->staged.size();
        scanner_->finish(chunks_->staged);
        sender_auth_feed(chunks_->staged, fed_from);
        co_await sender_auth_finish();
        if (policy_) co_await policy_message(chunks_->staged, true);
        if (!co_await store(chunks_->staged, true)) write_failed = true;
    }
    std::optional<smtp::Reply> problem = smtp::content_reply(receiver.verdict());
    if (!problem && write_failed) problem = smtp::replies::local_error();
    co_return co_await finish_message(problem);
}

// The checks that need the whole header: size of the header block, mail loops, From: of
// authenticated senders, the hourly sending limit.
std::optional<smtp::Reply> Session::check_message() {
    if (scanner_->too_large()) return smtp::replies::header_too_large();
    if (scanner_->received_fields() > cfg().max_received_headers) {
        ctx_.logger.info("mail loop: {} Received fields", scanner_->received_fields());
        return smtp::replies::mail_loop(scanner_->received_fields());
    }
    return std::nullopt;
}

asio::awaitable<Session::Flow> Session::finish_message(const std::optional<smtp::Reply>& content_problem) {
    std::optional<smtp::Reply> problem = content_problem;
    if (!problem) problem = check_message();
    if (!problem && policy_) problem = policy_->message_refusal;
    if (!problem && sauth_ && sauth_->refusal) problem = sauth_->refusal;
    if (!problem && user_ && cfg().anti_impersonation) {
        // Every From: mailbox must be the user's (RFC 5322 §3.6.2); a missing From: is left to
        // the MIME layer and filters.
        auto from = mime::flatten(mime::parse_address_list(scanner_->first("From"), mime::NameDecoding::raw));
        bool owned = true;
        std::function<void()> job = [&] {
            for (auto& mailbox : from) {
                auto r = deps_.directory->resolve(mailbox.local_part + "@" + mailbox.domain);
                if (!r || r->account_id != user_->id) owned = false;
            }
        };
        co_await run_blocking(*ctx_.blocking, std::move(job));
        if (!owned) problem = smtp::replies::from_header_not_owned();
    }
    if (!problem && user_ && deps_.limiter) {
        std::uint64_t limit = 0;
        std::function<void()> job = [&] {
            if (auto s = deps_.directory->account_settings(user_->id)) limit = s->send_limit_per_hour;
        };
        co_await run_blocking(*ctx_.blocking, std::move(job));
        if (!deps_.limiter->try_send(user_->id, limit)) {
            ctx_.logger.info("{} reached its sending limit of {} messages per hour", user_->address, limit);
            problem = smtp::replies::sending_rate_exceeded();
        }
    }
    std::size_t replies = lmtp_ ? envelope_->recipients.size() : 1;
    if (problem) {
        ctx_.logger.info("message {} refused: {} {}", writer_->id().view(), problem->code, problem->text());
        for (std::size_t i = 0; i < replies; ++i) add_reply(*problem);
        reset_transaction();
        co_return Flow::next;
    }

    queue::Envelope envelope;
    auto& mail = envelope_->mail;
    if (mail.sender) envelope.sender = mail.sender->to_string();
    envelope.envid = mail.envid.value_or("");
    envelope.ret = mail.ret == smtp::Ret::full      ? queue::Ret::full
                   : mail.ret == smtp::Ret::headers ? queue::Ret::headers
                                                    : queue::Ret::unspecified;
    switch (mail.body) {
        case smtp::Body::seven_bit:
            envelope.body_type = queue::BodyType::seven_bit;
            break;
        case smtp::Body::eight_bit_mime:
            envelope.body_type = queue::BodyType::eight_bit_mime;
            break;
        case smtp::Body::binary_mime:
            envelope.body_type = queue::BodyType::binary_mime;
            break;
        case smtp::Body::unspecified:
            break;
    }
    envelope.smtputf8 = mail.smtputf8;
    envelope.client.ip = conn_.client.ip.to_string();
    envelope.client.helo = helo_;
    envelope.client.auth_user = user_ ? user_->address : "";
    envelope.client.tls = conn_.stream->tls_summary();
    envelope.client.protocol = with_protocol(esmtp_, conn_.stream->tls_active(), user_.has_value(), lmtp_, envelope_->mail.smtputf8);
    envelope.client.session = conn_.session_id;
    for (auto& r : envelope_->recipients) envelope.recipients.push_back(queue::NewRecipient{r.address, r.orcpt, r.notify});
    if (sauth_) envelope.header_prefix = sauth_->prefix;  // Authentication-Results, DKIM-Signature
    bool milter_dropped = false;
    auto milter_refusal = co_await milter_message(envelope, milter_dropped);
    if (milter_refusal) {
        for (std::size_t i = 0; i < replies; ++i) add_reply(*milter_refusal);
        reset_transaction();
        co_return Flow::next;
    }
    if (milter_dropped || envelope.recipients.empty()) {
        ctx_.logger.info("message {} discarded by a milter{}", writer_->id().view(), milter_dropped ? "" : ": no recipient left");
        add_reply(smtp::replies::queued(writer_->id().view()));
        reset_transaction();
        co_return Flow::next;
    }
    if (policy_ && policy_drop(envelope)) {
        reset_transaction();
        co_return Flow::next;
    }

    auto id = writer_->id().str();
    auto size = received_size();
    std::string sender = envelope.sender;
    auto committed = co_await commit_message(*writer_, std::move(envelope));
    writer_.reset();  // committed or failed: the writer is finished either way
    if (!committed) {
        ctx_.logger.error("message {} could not be queued: {}", id, committed.error().message);
        for (std::size_t i = 0; i < replies; ++i) add_reply(smtp::replies::local_error());
    } else {
        ++messages_;
        ctx_.logger.info("message {} queued: from=<{}> recipients={} size={}", id, sender,
                         envelope_->recipients.size(), size);
        if (lmtp_) {
            for (auto& r : envelope_->recipients) add_reply(smtp::replies::delivered(r.address));
        } else {
            add_reply(smtp::replies::queued(id));
        }
    }
    reset_transaction();
    co_return Flow::next;
}

}  // namespace postern::services::smtp_in
