// Shared helpers for the Sieve unit tests: compile a script and run it on a message.
#pragma once

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "filter/sieve/compile.h"
#include "filter/sieve/runtime.h"

namespace postern::sieve::testing {

class FakeEnvironment : public Environment {
  public:
    std::map<std::string, std::string> scripts;  // "personal:name" / "global:name" -> source
    std::vector<std::string> mailboxes{"INBOX"};
    std::int64_t clock = 1700000000;  // 2023-11-14T22:13:20Z
    int zone = 0;
    std::vector<std::pair<std::string, std::string>> seen;

    bool mailbox_exists(std::string_view m) override {
        for (const auto& x : mailboxes)
            if (x == m)
                return true;
        return false;
    }
    std::optional<std::string> load_script(bool global, std::string_view name) override {
        auto it = scripts.find((global ? "global:" : "personal:") + std::string(name));
        if (it == scripts.end())
            return std::nullopt;
        return it->second;
    }
    bool duplicate_seen(std::string_view handle, std::string_view id) override {
        for (const auto& [h, i] : seen)
            if (h == handle && i == id)
                return true;
        return false;
    }
    std::int64_t now() const override { return clock; }
    int local_zone_minutes() const override { return zone; }
};

inline const char* kMessage =
    "Date: Tue, 14 Nov 2023 10:00:00 +0100\r\n"
    "From: \"Coyote\" <coyote@desert.example.org>\r\n"
    "To: roadrunner+fast@acme.example.com, <bugs@looney.example.net>\r\n"
    "Cc: elmer@hunting.example.com\r\n"
    "Subject: I have a present for you\r\n"
    "Message-ID: <1234@desert.example.org>\r\n"
    "X-Caffeine: C8H10N4O2\r\n"
    "\r\n"
    "Look, I'm sorry about the whole anvil thing, and I really\r\n"
    "didn't mean to try and drop it on you from the top of the\r\n"
    "cliff.  I want to try to make it up to you.  I've got some\r\n"
    "great birdseed over here at my place--top of the line\r\n"
    "stuff--and if you come by, I'll have it all wrapped\r\n"
    "up for you.  I'm really sorry for all the problems I've\r\n"
    "caused.  I hope you can find it in your heart to forgive me.\r\n";

struct Run {
    CompileResult compiled;
    ExecResult result;
    std::string summary;  // "keep:INBOX store:Junk redirect:a@b ..." in order
};

inline std::string summarize(const ActionList& list) {
    std::string out;
    for (const auto& a : list.actions()) {
        if (!out.empty())
            out += ' ';
        out += std::string(a.name());
        if (a.kind == Action::Kind::fileinto || a.kind == Action::Kind::keep)
            out += ":" + a.mailbox;
        if (a.kind == Action::Kind::redirect)
            out += ":" + a.address;
        if (a.kind == Action::Kind::reject || a.kind == Action::Kind::ereject)
            out += ":" + a.reason;
        if (!a.flags.empty()) {
            out += "[";
            for (std::size_t i = 0; i < a.flags.size(); ++i)
                out += (i ? " " : "") + a.flags[i];
            out += "]";
        }
        if (a.copy)
            out += "(copy)";
    }
    return out;
}

inline Run run_script(const std::string& script, const std::string& message = kMessage,
                      Envelope envelope = {"coyote@desert.example.org",
                                           "roadrunner+fast@acme.example.com", "", ""},
                      FakeEnvironment* env = nullptr, ExecLimits limits = {}) {
    Run r;
    r.compiled = compile(script);
    if (!r.compiled.program)
        return r;
    FakeEnvironment local;
    SieveMessage msg(message);
    r.result = execute(*r.compiled.program, msg, envelope, env ? *env : local, limits);
    r.summary = summarize(r.result.actions);
    return r;
}

// The summary of a script that must compile and run without error.
inline std::string actions_of(const std::string& script, const std::string& message = kMessage) {
    Run r = run_script(script, message);
    EXPECT_TRUE(r.compiled.program) << script << "\n" << r.compiled.error_text();
    EXPECT_TRUE(r.result.ok) << script << "\n"
                             << (r.result.errors.empty() ? "" : r.result.errors[0]);
    return r.summary;
}

// True when the test `test` holds on the message ("if <test> { fileinto "yes"; }").
inline bool holds(const std::string& requires_, const std::string& test,
                  const std::string& message = kMessage) {
    std::string script =
        "require [\"fileinto\"" + requires_ + "];\nif " + test + " { fileinto \"yes\"; }\n";
    Run r = run_script(script, message);
    EXPECT_TRUE(r.compiled.program) << script << "\n" << r.compiled.error_text();
    EXPECT_TRUE(r.result.ok) << script << "\n"
                             << (r.result.errors.empty() ? "" : r.result.errors[0]);
    return r.summary == "store:yes";
}

inline std::string compile_error(const std::string& script) {
    CompileResult c = compile(script);
    EXPECT_FALSE(c.program) << script;
    return c.error_text();
}

}  // namespace postern::sieve::testing
