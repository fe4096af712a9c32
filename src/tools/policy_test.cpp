// `posternctl policy test --eml FILE --from A --to B [--to C] --ip IP [--helo H] [--auth USER]`:
// what the policy script decides for a message, event by event, without sending it.
#include "tools/policy_test.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "config/load.h"
#include "daemon/policy_options.h"
#include "filter/policy/event.h"
#include "filter/policy/script.h"
#include "filter/policy/test_runner.h"
#include "tools/output.h"

namespace postern::tools {

namespace {

namespace policy = filter::policy;
using json = nlohmann::json;

struct PolicyTestArgs {
    std::string eml;
    std::string from;
    std::vector<std::string> to;  // "address" or "address:kind"
    std::string ip = "127.0.0.1";
    std::string helo = "localhost";
    std::string auth;
    std::string rdns;
    std::string script;  // overrides [policy] script
    std::string listener = "mx";
    bool tls = false;
    unsigned failure_code = 0;
    std::string failure_text;
};

int fail(const std::string& code, const std::string& message) {
    std::cerr << "posternctl: " << message << "\n";
    return exit_code_for(code);
}

json decision_json(const policy::PolicyDecision& d) {
    json out = {{"verdict", std::string(policy::verdict_name(d.verdict))},
                {"description", policy::describe(d)}};
    if (d.code != 0)
        out["code"] = d.code;
    if (d.enhanced)
        out["enhanced"] = d.enhanced->to_string();
    if (!d.text.empty())
        out["text"] = d.text;
    if (d.failed) {
        out["failed"] = true;
        out["error"] = d.error;
    }
    if (!d.log_lines.empty())
        out["log"] = d.log_lines;
    if (d.relay) {
        out["relay"] = {{"host", d.relay->host},
                        {"port", d.relay->port},
                        {"tls", std::string(policy::relay_tls_name(d.relay->tls))}};
    }
    if (d.ndr_text)
        out["ndr_text"] = *d.ndr_text;
    return out;
}

json var_json(const policy::VarValue& value) {
    return std::visit([](const auto& v) { return json(v); }, value);
}

json report_json(const std::string& script, const policy::TestReport& report) {
    json events = json::array();
    for (const auto& run : report.events) {
        json e = {{"event", std::string(policy::event_function_name(run.event))},
                  {"defined", run.defined},
                  {"effect", run.effect}};
        if (!run.subject.empty())
            e["subject"] = run.subject;
        if (run.defined)
            e["decision"] = decision_json(run.decision);
        events.push_back(std::move(e));
    }
    json headers = json::array();
    for (const auto& h : report.header_changes) {
        json c = {{"action", h.kind == policy::HeaderChange::Kind::add ? "add" : "remove"},
                  {"name", h.name}};
        if (h.kind == policy::HeaderChange::Kind::add)
            c["value"] = h.value;
        headers.push_back(std::move(c));
    }
    json routes = json::object();
    for (const auto& [domain, route] : report.routes) {
        routes[domain] = {{"host", route.host},
                          {"port", route.port},
                          {"tls", std::string(policy::relay_tls_name(route.tls))}};
    }
    json vars = json::object();
    for (const auto& [name, value] : report.vars)
        vars[name] = var_json(value);
    return {{"script", script},
            {"outcome", std::string(policy::test_outcome_name(report.outcome))},
            {"summary", report.summary},
            {"events", std::move(events)},
            {"recipients", report.recipients},
            {"header_changes", std::move(headers)},
            {"routes", std::move(routes)},
            {"vars", std::move(vars)}};
}

void print_report(std::ostream& out, const json& r) {
    out << "script: " << r["script"].get<std::string>() << "\n";
    for (const auto& e : r["events"]) {
        std::string name = e["event"].get<std::string>();
        if (e.contains("subject"))
            name += " " + e["subject"].get<std::string>();
        out << "  " << name;
        if (name.size() < 28)
            out << std::string(28 - name.size(), ' ');
        out << " ";
        if (e["defined"].get<bool>()) {
            out << e["decision"]["description"].get<std::string>() << "\n";
            out << "  " << std::string(29, ' ') << "-> " << e["effect"].get<std::string>() << "\n";
            if (e["decision"].contains("log")) {
                for (const auto& line : e["decision"]["log"]) {
                    out << "  " << std::string(29, ' ') << "log: " << line.get<std::string>()
                        << "\n";
                }
            }
        } else {
            out << "(not defined)\n";
        }
    }
    out << "outcome: " << r["outcome"].get<std::string>() << ": " << r["summary"].get<std::string>()
        << "\n";
    std::string recipients;
    for (const auto& a : r["recipients"])
        recipients += (recipients.empty() ? "" : ", ") + a.get<std::string>();
    out << "recipients: " << (recipients.empty() ? "(none)" : recipients) << "\n";
    for (const auto& h : r["header_changes"]) {
        if (h["action"] == "add") {
            out << "header: +" << h["name"].get<std::string>() << ": "
                << h["value"].get<std::string>() << "\n";
        } else {
            out << "header: -" << h["name"].get<std::string>() << "\n";
        }
    }
    for (const auto& [domain, route] : r["routes"].items()) {
        out << "route: " << domain << " via " << route["host"].get<std::string>() << ":"
            << route["port"].get<int>() << " tls=" << route["tls"].get<std::string>() << "\n";
    }
    for (const auto& [name, value] : r["vars"].items())
        out << "var: " << name << " = " << value.dump() << "\n";
}

int run(const std::string& config_file, bool json_output, const PolicyTestArgs& a) {
    std::filesystem::path script = a.script;
    policy::PolicyLimits limits;
    if (script.empty()) {
        auto cfg = config::load_file(config_file);
        if (!cfg) {
            std::cerr << cfg.error().to_string() << "\n";
            return fail("invalid_argument", "cannot read the configuration " + config_file);
        }
        if ((*cfg)->policy.script.empty()) {
            return fail("invalid_argument",
                        "no [policy] script in " + config_file + " (or give --script)");
        }
        script = (*cfg)->policy.script;  // even when disabled: testing a script before enabling it
        limits = daemon::policy_limits((*cfg)->policy);
    }
    std::ifstream in(a.eml, std::ios::binary);
    if (!in)
        return fail("invalid_argument", "cannot read " + a.eml);
    std::ostringstream message;
    message << in.rdbuf();

    policy::TestInput input;
    input.message = message.str();
    input.mail_from = a.from;
    for (const auto& to : a.to) {
        policy::Recipient r;
        r.address = to;
        // "address:kind" says what the directory would answer (default unknown).
        auto colon = to.rfind(':');
        auto kind = colon == std::string::npos
                        ? std::nullopt
                        : policy::recipient_kind_from_name(std::string_view(to).substr(colon + 1));
        if (kind) {
            r.address = to.substr(0, colon);
            r.kind = *kind;
        }
        input.recipients.push_back(std::move(r));
    }
    input.client_ip = a.ip;
    input.reverse_dns = a.rdns;
    input.helo = a.helo;
    input.auth_user = a.auth;
    input.tls = a.tls;
    input.role = a.listener == "submission" ? policy::ListenerRole::submission
                 : a.listener == "lmtp"     ? policy::ListenerRole::lmtp
                                            : policy::ListenerRole::mx;
    input.failure_code = static_cast<std::uint16_t>(a.failure_code);
    if (!a.failure_text.empty())
        input.failure_text = a.failure_text;

    auto loaded = policy::PolicyScript::load_file(script, limits);
    if (!loaded)
        return fail("invalid_argument",
                    "policy script " + script.string() + ": " + loaded.error().message);
    auto report = policy::run_all_events(**loaded, input);
    if (!report)
        return fail("invalid_argument", report.error().message);
    auto out = report_json(script.string(), *report);
    if (!(*loaded)->warnings().empty())
        out["warnings"] = (*loaded)->warnings();
    if (json_output) {
        std::cout << out.dump(2) << "\n";
    } else {
        for (const auto& w : (*loaded)->warnings())
            std::cout << "warning: " << w << "\n";
        print_report(std::cout, out);
    }
    return 0;
}

}  // namespace

void add_policy_commands(CLI::App& app, const std::string& config, const bool& json_output,
                         std::function<int()>& local) {
    auto args = std::make_shared<PolicyTestArgs>();
    auto* policy_cmd = app.add_subcommand("policy", "policy scripts")->require_subcommand(1);
    auto* test = policy_cmd->add_subcommand(
        "test", "what each policy event decides for a message, without sending it");
    test->add_option("--eml", args->eml, "the message (RFC 5322 file)")->required();
    test->add_option("--from", args->from, "MAIL FROM address (\"\" for <>)")->required();
    test->add_option("--to", args->to,
                     "RCPT TO address, repeatable; ADDRESS:KIND gives the directory's answer "
                     "(account, alias, group, forwarder, list, remote, unknown)")
        ->required();
    test->add_option("--ip", args->ip, "client IP address")->capture_default_str();
    test->add_option("--helo", args->helo, "HELO/EHLO name")->capture_default_str();
    test->add_option("--auth", args->auth, "authenticated user");
    test->add_option("--rdns", args->rdns, "client's reverse DNS name");
    test->add_flag("--tls", args->tls, "the session uses TLS");
    test->add_option("--listener", args->listener, "mx, submission or lmtp")
        ->check(CLI::IsMember({"mx", "submission", "lmtp"}))
        ->capture_default_str();
    test->add_option(
            "--failure-code", args->failure_code,
            "also run onDeliveryFailure (5xx) or onTemporaryDeliveryFailure (4xx) with this reply")
        ->check(CLI::Range(400u, 599u));
    test->add_option("--failure-text", args->failure_text, "text of that reply");
    test->add_option("--script", args->script, "test this script instead of [policy] script");
    test->callback([&config, &json_output, &local, args] {
        local = [&config, &json_output, args] { return run(config, json_output, *args); };
    });
}

}  // namespace postern::tools
