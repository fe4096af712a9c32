// PROCESSING and local delivery jobs, run on the service's pool.
#include "services/processing/processing_service.h"

#include "base/fs.h"
#include "base/strings.h"
#include "directory/directory.h"
#include "mime/header_filter.h"
#include "queue/message_writer.h"
#include "queue/queue.h"
#include "services/imap/names.h"
#include "services/processing/router.h"
#include "services/smtp_in/received.h"
#include "store/api/store.h"

namespace postern::services::processing {

ProcessingService::ProcessingService(Deps deps, log::Logger logger)
    : deps_(std::move(deps)), log_(std::move(logger)) {}

ProcessingService::~ProcessingService() {
    stop(std::chrono::milliseconds(0));
}

Status ProcessingService::start(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    if (loop_)
        return ok();
    config_ = config;
    auto& p = config->processing;
    pool_ = std::make_unique<ThreadPool>("processing", p.threads);
    notices_ = std::make_unique<QuotaNotices>(
        config->server.data_dir / "processing" / "quota-notices", p.quota_warnings);
    loop_ = std::make_unique<LaneLoop>(
        "processing-loop", *deps_.queue,
        std::vector<queue::Lane>{queue::Lane::processing, queue::Lane::local},
        [this](queue::Lane lane) { return drain(lane); });
    loop_->start();
    log_.info("processing started with {} threads", p.threads);
    return ok();
}

void ProcessingService::stop(std::chrono::milliseconds grace) {
    std::unique_ptr<LaneLoop> loop;
    std::unique_ptr<ThreadPool> pool;
    {
        std::lock_guard lock(mutex_);
        loop = std::move(loop_);
        pool = std::move(pool_);
    }
    if (!loop)
        return;
    loop->stop();
    // Jobs in flight finish (a delivery is never cut in half); the pool's destructor waits.
    // Jobs not taken stay in the queue for the next start.
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pool.reset();
    log_.info("processing stopped");
}

Status ProcessingService::reload(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    config_ = config;
    if (pool_)
        pool_->set_max_threads(config->processing.threads);
    return ok();
}

ServiceStatus ProcessingService::status() const {
    std::lock_guard lock(mutex_);
    ServiceStatus s;
    s.name = name_;
    s.enabled = config_ && config_->processing.enabled;
    s.running = loop_ != nullptr;
    s.threads = pool_ ? pool_->threads() : 0;
    s.connections = in_flight_.load();
    s.sessions_total = processed_.load() + delivered_.load();
    return s;
}

void ProcessingService::set_filters(std::shared_ptr<const filter::FilterChain> filters) {
    std::lock_guard lock(mutex_);
    deps_.filters = std::move(filters);
}

void ProcessingService::wake() {
    std::lock_guard lock(mutex_);
    if (loop_)
        loop_->wake();
}

std::size_t ProcessingService::drain(queue::Lane lane) {
    config::ConfigPtr config;
    {
        std::lock_guard lock(mutex_);
        config = config_;
        if (!pool_)
            return 0;
    }
    // Keep a few jobs per thread in flight: enough to batch store commits, not so many that
    // a slow filter holds a large part of the queue.
    unsigned limit = config->processing.threads * 4;
    unsigned busy = in_flight_.load();
    if (busy >= limit)
        return 0;
    auto room = std::min<std::size_t>(limit - busy, config->processing.batch);
    auto now = queue::Clock::now();
    std::size_t started = 0;
    if (lane == queue::Lane::processing) {
        for (auto& job : deps_.queue->take_processing(now, room)) {
            ++in_flight_;
            ++started;
            pool_->post([this, job = std::move(job)]() mutable {
                process(std::move(job));
                --in_flight_;
                wake();
            });
        }
    } else {
        for (auto& job : deps_.queue->take_deliveries(lane, now, room)) {
            ++in_flight_;
            ++started;
            pool_->post([this, job = std::move(job)]() mutable {
                deliver(std::move(job));
                --in_flight_;
                wake();
            });
        }
    }
    return started;
}

// Routes the recipients a filter added (a milter's ADDRCPT) like the envelope's own: aliases and
// groups expand, and an account or remote address the message already goes to is not added
// twice. One that cannot be delivered (unknown local user, rejected) is left out and logged:
// the sender never named it, so it gets no NDR.
namespace {
Result<std::vector<queue::RouteDecision>> route_added(directory::Directory& directory,
                                                      const std::vector<Routed>& routed,
                                                      const std::vector<std::string>& addresses,
                                                      const queue::ProcessingJob& job,
                                                      const log::Logger& log) {
    queue::ProcessingJob extra = job;
    extra.recipients.clear();
    for (std::uint32_t i = 0; i < addresses.size(); ++i)
        extra.recipients.push_back(queue::JobRecipient{i, addresses[i], "", 0, 0});
    auto more = route(directory, extra);
    if (!more)
        return fail(more.error());
    std::vector<queue::RouteDecision> out;
    for (auto& r : *more) {
        bool local = r.disposition == queue::Disposition::local;
        if (!local && r.disposition != queue::Disposition::remote) {
            log.warn("added recipient <{}> left out: {}", addresses[r.recipient],
                     r.diagnostic.empty() ? std::string("not deliverable") : r.diagnostic);
            continue;
        }
        bool already = std::any_of(routed.begin(), routed.end(), [&](const Routed& x) {
            return x.disposition == r.disposition &&
                   (local ? x.account_id == r.account_id : iequals(x.address, r.address));
        });
        if (already)
            continue;
        queue::RouteDecision d;
        d.disposition = r.disposition;
        d.address = r.address;
        if (!local)
            d.destination = queue::address_domain(r.address);
        out.push_back(std::move(d));
    }
    return out;
}
}  // namespace

void ProcessingService::process(queue::ProcessingJob job) {
    auto log = log_.with_session(job.id.str());
    auto routed = route(*deps_.directory, job);
    if (!routed) {
        log.warn("deferred: {}", routed.error().message);
        (void)deps_.queue->defer_processing(job.id, routed.error().message);
        return;
    }
    queue::ProcessingResult result;
    std::vector<filter::RecipientVerdict> verdicts(routed->size());
    std::vector<std::string> removals;  // header fields the filters remove (from every copy)
    std::shared_ptr<const filter::FilterChain> filters;
    std::vector<std::string> added_recipients;  // a server-level milter's ADDRCPT
    {
        std::lock_guard lock(mutex_);
        filters = deps_.filters;
    }
    if (filters && !filters->empty()) {
        auto body = deps_.queue->read_body(job.id);
        if (!body) {
            log.error("deferred: cannot read the body: {}", body.error().message);
            (void)deps_.queue->defer_processing(job.id, body.error().message);
            return;
        }
        // Filters see the message as delivered: SMTP-IN's fields (our Authentication-Results,
        // which identity confirmation reads) on top of the queued body.
        std::string seen = job.header_prefix + *body;
        filter::MessageView view;
        view.queue_id = job.id.view();
        view.sender = job.sender;
        view.raw = seen;
        view.client_ip = job.client.ip;
        view.helo = job.client.helo;
        view.auth_user = job.client.auth_user;
        auto chain = filters->run(view, chain_recipients(*routed));
        if (!chain) {
            // The failsafe rule: a filter that fails keeps the message queued.
            log.warn("deferred: {}", chain.error().message);
            (void)deps_.queue->defer_processing(job.id, chain.error().message,
                                                std::chrono::seconds(60));
            return;
        }
        for (auto& t : chain->trace)
            log.info("filter {}", t);
        verdicts = std::move(chain->recipients);
        result.sender = std::move(chain->sender);
        added_recipients = std::move(chain->added_recipients);
        if (chain->body) {
            // A milter's REPLBODY: the queued header with the new body, beside the original.
            auto replaced =
                deps_.queue->write_replacement_body(job.id, mime::with_body(*body, *chain->body));
            if (!replaced) {
                log.warn("deferred: cannot store the replaced body: {}", replaced.error().message);
                (void)deps_.queue->defer_processing(job.id, replaced.error().message);
                return;
            }
            result.body = *replaced;
        }
        std::vector<std::string> wanted;
        for (auto& v : verdicts)
            wanted.insert(wanted.end(), v.remove_headers.begin(), v.remove_headers.end());
        // Only what the body really has: most messages carry none of the scanners' fields.
        removals = mime::present_header_fields(*body, wanted);
    }
    std::vector<std::string> added;
    for (std::size_t i = 0; i < routed->size(); ++i) {
        auto& r = (*routed)[i];
        auto& v = verdicts[i];
        queue::RouteDecision d;
        d.recipient = r.recipient;
        d.address = r.address;
        d.disposition = r.disposition;
        d.status = r.status;
        d.diagnostic = r.diagnostic;
        if (v.action == filter::Verdict::Action::reject) {
            d.disposition = queue::Disposition::reject;
            d.status = v.status;
            d.diagnostic = v.text.empty() ? "rejected by " + v.filter : v.text;
        } else if (v.action == filter::Verdict::Action::discard) {
            d.disposition = queue::Disposition::discard;
            d.diagnostic = "discarded by " + v.filter + (v.text.empty() ? "" : ": " + v.text);
        }
        if (d.disposition == queue::Disposition::local && v.mailbox)
            d.mailbox = *v.mailbox;
        // An SMTP-time milter's QUARANTINE outranks the folders the chain chose.
        if (d.disposition == queue::Disposition::local && !job.client.quarantine.empty())
            d.mailbox = job.client.quarantine;
        if (d.disposition == queue::Disposition::remote)
            d.destination = queue::address_domain(r.address);
        log.info("to=<{}> {}", r.address,
                 d.disposition == queue::Disposition::local    ? "local"
                 : d.disposition == queue::Disposition::remote ? "remote"
                                                               : "not delivered: " + d.diagnostic);
        result.decisions.push_back(std::move(d));
        // Header fields the filters add go before the body once, for every recipient.
        for (auto& [name, value] : v.add_headers) {
            std::string field = name + ": " + value + "\r\n";
            if (std::find(added.begin(), added.end(), field) == added.end())
                added.push_back(field);
        }
    }
    for (auto& f : added)
        result.header_prefix += f;
    result.remove_headers = std::move(removals);
    if (!added_recipients.empty()) {
        auto routed_added = route_added(*deps_.directory, *routed, added_recipients, job, log);
        if (!routed_added) {
            log.warn("deferred: {}", routed_added.error().message);
            (void)deps_.queue->defer_processing(job.id, routed_added.error().message);
            return;
        }
        result.added = std::move(*routed_added);
    }
    auto st = deps_.queue->complete_processing(job.id, std::move(result));
    if (!st)
        log.error("could not record the routing: {}", st.error().message);
    ++processed_;
}

void ProcessingService::deliver(queue::DeliveryJob job) {
    auto log = log_.with_session(job.id.str());
    queue::DeliveryReport report;
    auto body = read_file(job.body_path);
    if (!body) {
        log.error("local delivery: cannot read the body: {}", body.error().message);
        report.reached = false;
        report.reason = body.error().message;
        (void)deps_.queue->report_delivery(job.id, std::move(report));
        return;
    }
    std::string raw = job.header_prefix;
    if (job.remove_headers.empty()) {
        raw += *body;
    } else {
        raw += mime::strip_header_fields(*body, job.remove_headers);
    }

    config::ConfigPtr config;
    {
        std::lock_guard lock(mutex_);
        config = config_;
    }
    struct Target {
        std::uint32_t index;
        std::string address;
        std::int64_t account = 0;
        bool permanent_over_quota = false;
        std::uint64_t quota = 0;
        std::vector<sieve::OutgoingMessage> redirects;  // sent once the delivery is settled
    };
    // One store call per distinct message text: recipients whose Sieve script changed the
    // message (editheader) get their own; everybody else shares one body.
    struct Batch {
        std::string raw;
        std::vector<store::DeliveryTarget> targets;
        std::vector<std::size_t> owner;  // index into `targets` below, per store target
    };
    std::vector<Target> targets;
    std::vector<Batch> batches(1);
    batches[0].raw = raw;
    for (auto& r : job.recipients) {
        auto resolution = deps_.directory->resolve(r.address);
        if (!resolution || resolution->account_id == 0) {
            report.results.push_back({r.index, queue::Outcome::temporary, "4.3.0",
                                      "local delivery: cannot find the account of " + r.address,
                                      ""});
            continue;
        }
        Target t{r.index, r.address, resolution->account_id};
        if (auto s = deps_.directory->account_settings(t.account)) {
            t.quota = s->quota;
            t.permanent_over_quota = s->over_quota_permanent;
        }
        auto key = std::to_string(t.account);
        auto account = deps_.store->account(key);
        if (account)
            (*account)->set_quota(t.quota, 0);
        // The store keys accounts by id; the domain steers the body to a store reserved for it.
        auto at = resolution->account_address.rfind('@');
        std::string domain =
            at == std::string::npos ? std::string() : resolution->account_address.substr(at + 1);
        // The folder a scanner chose (spam_action = "junk", quarantine) takes INBOX's place:
        // for the implicit keep and for a script's explicit keep alike.
        std::vector<SieveStore> stores{{"INBOX", {}, false}};
        auto filter_folder = [&](std::vector<SieveStore>& list) {
            if (r.mailbox.empty() || sieve::mailbox_is_inbox(r.mailbox))
                return;
            for (auto& s : list) {
                if (sieve::mailbox_is_inbox(s.mailbox)) {
                    s.mailbox = r.mailbox;
                    s.create = true;
                }
            }
        };
        if (config) {
            auto exists = [&](std::string_view name) {
                return account && (*account)->mailbox_info(name).has_value();
            };
            // RFC 8579 special-use folders, for fileinto :specialuse and specialuse_exists.
            auto special_use = [&](std::string_view use) {
                std::vector<std::string> names;
                auto bit = imap::special_use_bit(use);
                if (!account || !bit)
                    return names;
                if (auto list = (*account)->list_mailboxes())
                    for (const auto& m : *list)
                        if (m.special_use & *bit)
                            names.push_back(m.name);
                return names;
            };
            SieveRecipient who{r.address, to_lower(domain), t.account};
            auto outcome = sieve_.run(*config, raw, job.sender, who, exists, log, special_use);
            // Replies go now (vacation tracking keeps a retry from repeating them); redirects
            // wait for the stores below unless nothing is stored for this recipient.
            const bool stores_nothing = outcome.kind != SieveOutcome::Kind::deliver;
            for (auto& m : outcome.outgoing) {
                if (m.redirect && !stores_nothing)
                    t.redirects.push_back(std::move(m));
                else
                    submit_generated(m, log);
            }
            if (outcome.kind == SieveOutcome::Kind::reject) {
                report.results.push_back(
                    {r.index, queue::Outcome::permanent, "5.7.1",
                     "rejected by the recipient's Sieve filter: " + outcome.reject_reason, ""});
                log.info("<{}> rejected by Sieve", r.address);
                continue;
            }
            if (outcome.kind == SieveOutcome::Kind::discard) {
                report.results.push_back({r.index, queue::Outcome::delivered, "2.0.0",
                                          "discarded or redirected by Sieve", ""});
                log.info("<{}>: not stored (Sieve discard/redirect)", r.address);
                continue;
            }
            stores = std::move(outcome.stores);
        }
        filter_folder(stores);
        for (auto& s : stores) {
            std::string mailbox = s.mailbox;
            if (!sieve::mailbox_is_inbox(mailbox) && account &&
                !(*account)->mailbox_info(mailbox)) {
                // fileinto a folder that does not exist: create it (:create, RFC 5490) or
                // keep the message in INBOX rather than lose it.
                // A parallel delivery may create it first: that counts as made.
                // fileinto :specialuse :create gives the new folder the attribute (RFC 8579).
                auto use_bit = imap::special_use_bit(s.special_use);
                bool made = s.create && sieve::valid_mailbox_name(mailbox) &&
                            ((*account)->create_mailbox(mailbox, use_bit.value_or(0)).has_value() ||
                             (*account)->mailbox_info(mailbox).has_value());
                if (!made) {
                    log.warn("<{}>: folder \"{}\" does not exist, delivering to INBOX", r.address,
                             mailbox);
                    mailbox = "INBOX";
                }
            }
            store::Flags flags;
            for (auto& f : s.flags) {
                std::string lf = to_lower(f);
                if (lf == "\\seen")
                    flags.system |= store::kSeen;
                else if (lf == "\\answered")
                    flags.system |= store::kAnswered;
                else if (lf == "\\flagged")
                    flags.system |= store::kFlagged;
                else if (lf == "\\deleted")
                    flags.system |= store::kDeleted;
                else if (lf == "\\draft")
                    flags.system |= store::kDraft;
                else if (!f.empty() && f[0] != '\\')
                    flags.keywords.push_back(f);
            }
            // editheader: a folder whose copy differs from the message as received gets its
            // own body.
            Batch* batch = &batches[0];
            if (s.message && *s.message != raw) {
                auto it = std::find_if(batches.begin() + 1, batches.end(),
                                       [&](const Batch& b) { return b.raw == *s.message; });
                if (it == batches.end()) {
                    batches.push_back(Batch{*s.message, {}, {}});
                    it = batches.end() - 1;
                }
                batch = &*it;
            }
            batch->targets.push_back(store::DeliveryTarget{key, mailbox, std::move(flags), domain});
            batch->owner.push_back(targets.size());
        }
        targets.push_back(std::move(t));
    }
    if (!targets.empty()) {
        // Per recipient: the first failure of any of its folders, else delivered.
        std::vector<std::optional<queue::RecipientResult>> outcome(targets.size());
        std::vector<std::string> folders(targets.size());
        for (auto& batch : batches) {
            if (batch.targets.empty())
                continue;
            auto results = deps_.store->deliver(batch.raw, batch.targets);
            for (std::size_t i = 0; i < batch.targets.size(); ++i) {
                auto& t = targets[batch.owner[i]];
                auto& slot = outcome[batch.owner[i]];
                if (slot && slot->outcome != queue::Outcome::delivered)
                    continue;
                if (!results) {
                    log.error("local delivery failed: {}", results.error().message);
                    slot = queue::RecipientResult{t.index, queue::Outcome::temporary, "4.3.0",
                                                  results.error().message, ""};
                    continue;
                }
                auto& r = (*results)[i];
                if (r) {
                    if (!folders[batch.owner[i]].empty())
                        folders[batch.owner[i]] += ", ";
                    folders[batch.owner[i]] += batch.targets[i].mailbox;
                    slot = queue::RecipientResult{t.index, queue::Outcome::delivered, "2.0.0",
                                                  "delivered to " + folders[batch.owner[i]], ""};
                    log.info("delivered to <{}> folder {} uid {}", t.address,
                             batch.targets[i].mailbox, r->uid);
                } else if (r.error().code == store::StoreErrc::over_quota) {
                    auto oc = t.permanent_over_quota ? queue::Outcome::permanent
                                                     : queue::Outcome::temporary;
                    slot = queue::RecipientResult{t.index, oc,
                                                  t.permanent_over_quota ? "5.2.2" : "4.2.2",
                                                  "mailbox full (over quota)", ""};
                    log.info("<{}> is over quota", t.address);
                } else if (r.error().code == store::StoreErrc::too_large) {
                    slot = queue::RecipientResult{t.index, queue::Outcome::permanent, "5.3.4",
                                                  r.error().message, ""};
                } else {
                    slot = queue::RecipientResult{t.index, queue::Outcome::temporary, "4.3.0",
                                                  r.error().message, ""};
                    log.error("delivery to <{}> failed: {}", t.address, r.error().message);
                }
            }
        }
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (!outcome[i])
                continue;
            if (outcome[i]->outcome == queue::Outcome::delivered)
                ++delivered_;
            // A delivery that will be retried runs Sieve again then: its redirects go with it.
            if (outcome[i]->outcome == queue::Outcome::temporary) {
                if (!targets[i].redirects.empty())
                    log.info("<{}>: {} Sieve redirect(s) held back until the delivery is retried",
                             targets[i].address, targets[i].redirects.size());
            } else {
                for (auto& m : targets[i].redirects)
                    submit_generated(m, log);
            }
            report.results.push_back(std::move(*outcome[i]));
        }
        for (auto& t : targets) {
            if (t.quota == 0)
                continue;
            auto account = deps_.store->account(std::to_string(t.account));
            if (!account)
                continue;
            auto info = (*account)->quota();
            if (!info)
                continue;
            if (auto level = notices_->update(t.account, info->bytes_used, t.quota)) {
                notify_quota(t.account, t.address, *level, info->bytes_used, t.quota);
            }
        }
    }
    auto st = deps_.queue->report_delivery(job.id, std::move(report));
    if (!st)
        log.error("could not record the delivery: {}", st.error().message);
}

void ProcessingService::submit_generated(const sieve::OutgoingMessage& message,
                                         const log::Logger& log) {
    auto writer = deps_.queue->begin_message("sieve");
    if (!writer->append(message.raw))
        return;
    queue::Envelope envelope;
    envelope.sender = message.envelope_from;
    envelope.client.protocol = "local";
    // Replies go out from <> and never cause a bounce; a redirect keeps the original sender,
    // who hears of a failure as usual.
    envelope.recipients.push_back(queue::NewRecipient{
        message.envelope_to, "",
        message.envelope_from.empty() ? queue::notify::never : queue::notify::unspecified});
    auto to = message.envelope_to;
    writer->commit(std::move(envelope), [log, to](Result<queue::QueueId> r) {
        if (r) {
            log.info("sieve: message to <{}> queued as {}", to, r->view());
        } else {
            log.error("sieve: message to <{}> not queued: {}", to, r.error().message);
        }
    });
}

void ProcessingService::notify_quota(std::int64_t account, const std::string& address,
                                     unsigned level, std::uint64_t used, std::uint64_t limit) {
    auto writer = deps_.queue->begin_message("quota");
    std::string host = config_ ? config_->server.hostname : "localhost";
    std::string text =
        "From: Mail System <MAILER-DAEMON@" + host + ">\r\n" + "To: <" + address + ">\r\n" +
        "Subject: Your mailbox is " + std::to_string(level) + "% full\r\n" +
        "Date: " + smtp_in::rfc5322_date(std::chrono::system_clock::now()) + "\r\n" +
        "Auto-Submitted: auto-generated\r\n" + "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "Your mailbox uses " +
        std::to_string(used / 1024) + " KiB of its " + std::to_string(limit / 1024) +
        " KiB quota (" + std::to_string(level) + "%).\r\n" +
        (level >= 100 ? "New mail cannot be delivered until you delete some messages.\r\n"
                      : "Please delete messages you no longer need.\r\n");
    if (!writer->append(text))
        return;
    queue::Envelope envelope;  // from <>: a notice never causes a bounce
    envelope.client.protocol = "local";
    envelope.recipients.push_back(queue::NewRecipient{address, "", queue::notify::never});
    auto log = log_;
    writer->commit(std::move(envelope), [log, address, level](Result<queue::QueueId> r) {
        if (r) {
            log.info("quota notice ({}%) for <{}> queued as {}", level, address, r->view());
        } else {
            log.error("quota notice for <{}> not queued: {}", address, r.error().message);
        }
    });
    (void)account;
}

}  // namespace postern::services::processing
