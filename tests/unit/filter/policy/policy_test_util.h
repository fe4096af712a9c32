// Helpers for the policy tests: load a script from text with generous test limits, run one
// event on a ready-made context, and capture what the script logged.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "filter/policy/script.h"
#include "log/log.h"

namespace postern::filter::policy::testing {

// Test limits: a time limit far beyond what any normal test script needs, so a loaded machine
// (sanitizers, other builds) never trips it; the limit tests set their own.
inline PolicyLimits test_limits() {
    PolicyLimits l;
    l.max_time = std::chrono::milliseconds(5000);
    l.states = 4;
    return l;
}

class RecordingSink : public log::Sink {
  public:
    void write(log::Record record) override {
        std::lock_guard lock(mutex_);
        records_.push_back(std::move(record));
    }
    std::vector<log::Record> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    bool contains(std::string_view text) const {
        std::lock_guard lock(mutex_);
        for (const auto& r : records_) {
            if (r.text.find(text) != std::string::npos)
                return true;
        }
        return false;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<log::Record> records_;
};

struct LogCapture {
    std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
    std::shared_ptr<log::Channel> channel =
        std::make_shared<log::Channel>("SMTP-IN", "test", 31, sink);
    log::Logger logger{channel, "0000002A"};
};

inline std::shared_ptr<const PolicyScript> load(std::string_view source,
                                                PolicyLimits limits = test_limits()) {
    auto script = PolicyScript::load_source(source, "policy.lua", limits);
    EXPECT_TRUE(script) << (script ? "" : script.error().message);
    return script ? *script : nullptr;
}

inline std::string load_error(std::string_view source, PolicyLimits limits = test_limits()) {
    auto script = PolicyScript::load_source(source, "policy.lua", limits);
    return script ? std::string("(loaded)") : script.error().message;
}

// A context as SMTP-IN has it after MAIL FROM and one accepted recipient.
inline PolicyContext sample_context() {
    PolicyContext c;
    c.session_id = "0000002A";
    c.queue_id = "";
    c.connection.client_ip = *IpAddress::parse("192.0.2.7");
    c.connection.client_port = 58047;
    c.connection.local_ip = *IpAddress::parse("198.51.100.1");
    c.connection.local_port = 25;
    c.connection.reverse_dns = "mail.example.net";
    c.connection.helo = "mail.example.net";
    c.connection.tls = true;
    c.connection.tls_protocol = "TLSv1.3";
    c.connection.tls_cipher = "TLS_AES_256_GCM_SHA384";
    c.connection.role = ListenerRole::mx;
    c.envelope.mail_from = "alice@example.net";
    c.envelope.mail_parameters = {{"SIZE", "1234"}, {"SMTPUTF8", ""}};
    c.envelope.recipients = {{"bob@example.org", RecipientKind::account}};
    c.recipient = Recipient{"carol@example.org", RecipientKind::alias};
    c.headers = {{"From", " Alice <alice@example.net>"},
                 {"Subject", " Hello\r\n world"},
                 {"Received", " from a by b"},
                 {"Received", " from c by d"}};
    c.message_size = 1234;
    return c;
}

// Runs `event` of a script on `context` with fresh vars (or the given ones).
struct Run {
    PolicyDecision decision;
    PolicyVars vars;
};

inline Run run(const PolicyScript& script, Event event,
               const PolicyContext& context = sample_context(), PolicyVars vars = {}) {
    LogCapture log;
    PolicyDecision d = script.run(event, context, vars, log.logger);
    return Run{std::move(d), std::move(vars)};
}

// Loads a script whose onRcptTo is `body` and runs it; the usual shape of a decision test.
inline PolicyDecision rcpt(std::string_view body, const PolicyContext& context = sample_context()) {
    auto script = load("function onRcptTo(ctx)\n" + std::string(body) + "\nend\n");
    if (!script)
        return PolicyDecision{};
    return run(*script, Event::rcpt_to, context).decision;
}

}  // namespace postern::filter::policy::testing
