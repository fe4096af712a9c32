// Maintenance: writes the delivery status notifications that are due (RFC 3464 failure,
// delay and success notices, RFC 3461 §4 NOTIFY/RET/ENVID), queues them from the null sender,
// and removes messages that are finished once nothing is left to tell.
#include <future>

#include <fcntl.h>
#include <unistd.h>

#include "base/random.h"
#include "base/strings.h"
#include "mime/header_text.h"
#include "mime/parser.h"
#include "queue/dsn.h"
#include "queue/message_writer.h"
#include "queue/queue.h"
#include "queue/queue_internal.h"
#include "queue/retry.h"

namespace postern::queue {

namespace {

constexpr std::size_t kHeaderReadLimit = 256 * 1024;

// Reads at most `limit` bytes from the start of a file.
Result<std::string> read_prefix(const std::filesystem::path& path, std::uint64_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(Errc::io_error, "open " + path.string());
    std::string out(static_cast<std::size_t>(limit), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
        auto n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
}

struct NoticeItem {
    std::uint32_t index;
    RecipientRecord rcpt;
};

}  // namespace

void Queue::run_maintenance() {
    std::lock_guard running(maintenance_mutex_);
    std::vector<QueueId> ids;
    {
        std::lock_guard lock(mutex_);
        ids.assign(notices_.begin(), notices_.end());
        // Forget destinations that have nothing to say any more.
        std::erase_if(destinations_, [](const auto& kv) {
            const auto& d = *kv.second;
            return !d.down && d.failures == 0 && d.waiting.empty();
        });
    }
    for (const auto& id : ids)
        send_notices(id);
}

void Queue::send_notices(const QueueId& id) {
    MessageRecord rec;
    std::filesystem::path body_path;
    std::array<std::vector<NoticeItem>, 3> due;  // failure, delay, success
    NoticePolicy notice_policy;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (!m) {
            notices_.erase(id);
            return;
        }
        for (std::uint32_t i = 0; i < m->rec.recipients.size(); ++i) {
            const auto& r = m->rec.recipients[i];
            if (r.notices & notice::failure_due)
                due[0].push_back({i, r});
            if (r.notices & notice::delay_due)
                due[1].push_back({i, r});
            if (r.notices & notice::success_due)
                due[2].push_back({i, r});
        }
        if (due[0].empty() && due[1].empty() && due[2].empty()) {
            notices_.erase(id);
            m->notice_failed = false;
            after_change(*m, to_unix_ms(now()));
            return;
        }
        rec = m->rec;
        rec.recipients.clear();  // the items carry what is needed
        notice_policy = notice_policy_;
        body_path = spool_->body_path(m->bucket, id);
    }

    const UnixMs now = to_unix_ms(this->now());
    const auto& opt = options_.dsn;
    auto logger = msg_log(id);
    std::array<bool, 3> sent{false, false, false};
    bool failed = false;
    std::string original_subject;
    std::string header;
    {
        auto prefix = read_prefix(body_path, std::min<std::uint64_t>(rec.size, kHeaderReadLimit));
        if (prefix) {
            header = std::string(message_header(*prefix));
            auto parsed = mime::parse_message(header);
            if (const auto* f = parsed.find_header(0, "Subject"))
                original_subject = mime::decode_unstructured(f->raw_value);
        }
    }
    for (std::size_t k = 0; k < 3; ++k) {
        if (due[k].empty())
            continue;
        const auto kind = static_cast<DsnKind>(k);
        DsnMessage d;
        d.kind = kind;
        d.reporting_mta = reporting_mta_;
        d.from_address = opt.sender.find('@') == std::string::npos
                             ? opt.sender + "@" + reporting_mta_
                             : opt.sender;
        d.from_name = opt.from_name;
        d.to = rec.sender;
        d.subject = kind == DsnKind::failure ? opt.failure_subject
                    : kind == DsnKind::delay ? opt.delay_subject
                                             : opt.success_subject;
        d.queue_id = id.str();
        d.envid = rec.envid;
        if (!rec.client.helo.empty() || !rec.client.ip.empty())
            d.received_from =
                rec.client.helo + (rec.client.ip.empty() ? "" : " ([" + rec.client.ip + "])");
        d.arrival = rec.received_at;
        d.now = now;
        d.utf8 = rec.smtputf8;
        d.message_id =
            id.str() + "." + std::to_string(now) + "." + std::to_string(k) + "@" + reporting_mta_;
        d.boundary = "=_postern_" + random_token(16);
        const UnixMs retry_until = expires_at(options_.delivery_retry, rec.received_at);
        std::string names;
        for (const auto& item : due[k]) {
            const auto& r = item.rcpt;
            DsnRecipient dr;
            dr.final_recipient = r.address;
            dr.original_recipient = r.orcpt;
            dr.action = kind == DsnKind::failure        ? DsnAction::failed
                        : kind == DsnKind::delay        ? DsnAction::delayed
                        : (r.notices & notice::relayed) ? DsnAction::relayed
                                                        : DsnAction::delivered;
            dr.status = r.status;
            dr.diagnostic = r.diagnostic;
            dr.remote_mta = r.remote_mta;
            dr.last_attempt = r.last_attempt;
            if (kind == DsnKind::delay)
                dr.will_retry_until = retry_until;
            d.recipients.push_back(std::move(dr));
            if (!names.empty())
                names += ", ";
            names += "<" + r.address + ">";
        }
        std::optional<std::string> policy_text;
        if (kind != DsnKind::success && notice_policy) {
            const auto& first = due[k].front().rcpt;
            NoticeFacts facts;
            facts.failure = kind == DsnKind::failure;
            facts.sender = rec.sender;
            for (const auto& item : due[k])
                facts.recipients.push_back(item.rcpt.address);
            facts.domain = address_domain(first.address);
            facts.remote_mta = first.remote_mta;
            facts.diagnostic = first.diagnostic;
            facts.attempts = first.attempts;
            facts.queued_for =
                std::chrono::seconds(std::max<UnixMs>(0, now - rec.received_at) / 1000);
            auto verdict = notice_policy(id, facts);
            if (verdict.discard) {
                sent[k] = true;  // nothing to send: the notice is done
                logger.info("{} notification for {} discarded by policy",
                            k == 0 ? "failure" : "delay", names);
                continue;
            }
            policy_text = std::move(verdict.text);
        }
        // RFC 3461 §4.3: RET decides what a failure notice returns; the others return headers.
        Attach attach = Attach::headers;
        if (kind == DsnKind::failure) {
            attach = rec.ret == Ret::full      ? Attach::full
                     : rec.ret == Ret::headers ? Attach::headers
                                               : opt.attach;
            if (attach == Attach::full &&
                (rec.size > opt.max_full_attach || rec.body_type == BodyType::binary_mime))
                attach = Attach::headers;
        }
        std::string full;
        if (attach == Attach::full) {
            auto body = read_body(id);
            if (body) {
                full = std::move(*body);
            } else {
                attach = Attach::headers;
            }
        }
        d.attach = attach;
        d.original = attach == Attach::full ? std::string_view(full) : std::string_view(header);
        const std::string& custom = kind == DsnKind::failure ? opt.failure_text
                                    : kind == DsnKind::delay ? opt.delay_text
                                                             : opt.success_text;
        std::map<std::string, std::string> vars = {
            {"queue_id", id.str()},
            {"sender", rec.sender},
            {"recipients", names},
            {"reporting_mta", reporting_mta_},
            {"subject", original_subject},
            {"arrival", rfc5322_date(rec.received_at)},
            {"retry_until", rfc5322_date(retry_until)},
        };
        d.text = policy_text ? *policy_text
                             : expand_placeholders(custom.empty() ? default_dsn_text(kind)
                                                                  : std::string_view(custom),
                                                   vars);
        if (!opt.footer_text.empty())
            d.text += "\r\n" + expand_placeholders(opt.footer_text, vars);
        auto bytes = build_dsn(d);

        auto writer = begin_message("DSN");
        writer->flags_ = message_flag::dsn;
        auto dsn_id = writer->id();
        Envelope env;
        env.sender = "";  // RFC 3461 §6.2: notifications come from the null reverse-path
        env.smtputf8 = rec.smtputf8;
        env.client.protocol = "DSN";
        env.client.session = id.str();
        env.recipients.push_back(NewRecipient{rec.sender, {}, notify::never});
        std::promise<Result<QueueId>> done;
        auto append = writer->append(bytes);
        if (!append) {
            writer->abort();
            logger.error("{} notification not queued: {}",
                         k == 0   ? "failure"
                         : k == 1 ? "delay"
                                  : "success",
                         append.error().message);
            failed = true;
            continue;
        }
        writer->commit(std::move(env),
                       [&done](Result<QueueId> r) { done.set_value(std::move(r)); });
        auto result = done.get_future().get();
        if (!result) {
            logger.error("{} notification not queued: {}",
                         k == 0   ? "failure"
                         : k == 1 ? "delay"
                                  : "success",
                         result.error().message);
            failed = true;
            continue;
        }
        sent[k] = true;
        logger.info("{} notification for {} queued as {}",
                    k == 0   ? "failure"
                    : k == 1 ? "delay"
                             : "success",
                    names, dsn_id.str());
    }

    std::lock_guard lock(mutex_);
    auto* m = find(id);
    if (!m)
        return;
    std::vector<std::uint32_t> changed;
    constexpr std::array<std::uint8_t, 3> kBits = {notice::failure_due, notice::delay_due,
                                                   notice::success_due};
    for (std::size_t k = 0; k < 3; ++k) {
        if (!sent[k])
            continue;
        for (const auto& item : due[k]) {
            if (item.index >= m->rec.recipients.size())
                continue;
            auto& r = m->rec.recipients[item.index];
            r.notices &= static_cast<std::uint8_t>(~kBits[k]);
            if (k == 1)
                r.notices |= notice::delay_sent;
            changed.push_back(item.index);
        }
    }
    m->notice_failed = failed;
    bool more = false;
    for (const auto& r : m->rec.recipients)
        more = more || (r.notices & notice::due_mask);
    if (!more)
        notices_.erase(id);
    if (!changed.empty())
        persist(*m, false, std::move(changed));
    after_change(*m, to_unix_ms(this->now()));
}

}  // namespace postern::queue
