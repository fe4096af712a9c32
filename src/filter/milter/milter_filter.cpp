// Milter client session: OPTNEG, macros, CONNECT, HELO, MAIL, RCPT, DATA, headers, EOH, body
// chunks, EOB, the filter's modifications and final reply, QUIT (libmilter's protocol v6).
#include "filter/milter/milter_filter.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::filter::milter {

namespace {

using scan::Clock;
using scan::Connection;

// One open conversation: send packets, read replies with the deadline extended by PROGRESS.
class Session {
  public:
    Session(Connection conn, std::chrono::milliseconds timeout)
        : conn_(std::move(conn)), timeout_(timeout), deadline_(Clock::now() + timeout) {}

    Status send(const std::string& bytes) { return conn_.write_all(bytes, deadline_); }

    Result<Packet> read() {
        for (;;) {
            if (auto p = reader_.next())
                return std::move(*p);
            char buffer[8192];
            auto n = conn_.read_some(buffer, sizeof buffer, deadline_);
            if (!n)
                return fail(n.error());
            if (*n == 0)
                return fail(Errc::unavailable, "milter closed the connection");
            if (auto st = reader_.feed(std::string_view(buffer, *n)); !st)
                return fail(st.error());
        }
    }

    // Reads the reply to one step, skipping PROGRESS (which restarts the timeout).
    Result<Response> reply() {
        for (;;) {
            auto p = read();
            if (!p)
                return fail(p.error());
            auto r = parse_response(*p);
            if (!r)
                return fail(r.error());
            if (r->code == reply::progress) {
                deadline_ = Clock::now() + timeout_;
                continue;
            }
            return r;
        }
    }

  private:
    Connection conn_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_;
    PacketReader reader_;
};

Result<Negotiation> negotiate(Session& s) {
    if (auto st = s.send(optneg(kVersion, action::all, step::supported)); !st)
        return fail(st.error());
    auto p = s.read();
    if (!p)
        return fail(p.error());
    if (p->command != reply::optneg)
        return fail(Errc::invalid_argument, "milter did not answer OPTNEG");
    return parse_optneg(p->data);
}

// Splits the header section into (name, value) as sendmail hands them to milters: value
// without the space after the colon (unless the filter asked for it), folds as "\n".
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view raw,
                                                               bool leading_space,
                                                               std::size_t& body_start) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 0;
    body_start = raw.size();
    while (pos < raw.size()) {
        auto eol = raw.find('\n', pos);
        auto end = eol == std::string_view::npos ? raw.size() : eol + 1;
        auto line = raw.substr(pos, end - pos);
        auto content = line;
        while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
            content.remove_suffix(1);
        if (content.empty()) {
            body_start = end;
            return out;
        }
        if ((content.front() == ' ' || content.front() == '\t') && !out.empty()) {
            out.back().second += "\n";
            out.back().second += content;
        } else {
            auto colon = content.find(':');
            if (colon == std::string_view::npos) {
                // Not a header: sendmail would treat it as the start of the body.
                body_start = pos;
                return out;
            }
            auto value = content.substr(colon + 1);
            if (!leading_space && !value.empty() && value.front() == ' ')
                value.remove_prefix(1);
            out.emplace_back(std::string(content.substr(0, colon)), std::string(value));
        }
        pos = end;
    }
    return out;
}

// A reply that ends the conversation before the end of message.
bool final_reply(const Response& r, MilterOutcome& out) {
    switch (r.code) {
        case reply::cont:
            return false;
        case reply::accept:
            out.final = MilterOutcome::Final::accept;
            return true;
        case reply::discard:
            out.final = MilterOutcome::Final::discard;
            return true;
        case reply::reject:
        case reply::connfail:
            out.final = MilterOutcome::Final::reject;
            out.status = "5.7.1";
            return true;
        case reply::tempfail:
        case reply::shutdown:
            out.final = MilterOutcome::Final::tempfail;
            out.status = "4.7.1";
            return true;
        case reply::replycode:
            out.final = r.smtp_code[0] == '5' ? MilterOutcome::Final::reject
                                              : MilterOutcome::Final::tempfail;
            out.status = r.status.empty() ? (r.smtp_code[0] == '5' ? "5.7.1" : "4.7.1") : r.status;
            out.text = r.value;
            return true;
        default:
            return false;
    }
}

std::string angle(std::string_view address) {
    return "<" + std::string(address) + ">";
}

}  // namespace

MilterFilter::MilterFilter(config::ScannerConfig config, scan::ScanAddress address,
                           log::Logger logger)
    : Scanner(std::move(config), std::move(address), std::move(logger)) {}

Status MilterFilter::ping() {
    auto conn = connect();
    if (!conn)
        return fail(conn.error());
    Session s(std::move(*conn), config_.timeout);
    auto n = negotiate(s);
    if (!n)
        return fail(n.error());
    (void)s.send(simple(cmd::quit));
    return ok();
}

Result<MilterOutcome> MilterFilter::converse(const MessageView& m) {
    auto conn = connect();
    if (!conn)
        return fail(conn.error());
    Session s(std::move(*conn), config_.timeout);
    auto n = negotiate(s);
    if (!n)
        return fail(n.error());
    const auto proto = n->protocol;
    MilterOutcome out;
    // Sends one step; reads its reply unless the filter said it sends none. True: finished.
    auto step = [&](const std::string& bytes, std::uint32_t no_reply) -> Result<bool> {
        if (auto st = s.send(bytes); !st)
            return fail(st.error());
        if (proto & no_reply)
            return false;
        auto r = s.reply();
        if (!r)
            return fail(r.error());
        if (r->code == reply::skip)
            return false;
        return final_reply(*r, out);
    };
    auto finish = [&]() -> Result<MilterOutcome> {
        (void)s.send(simple(cmd::quit));
        return out;
    };
    std::string ip(m.client_ip);
    std::string host = ip.empty() ? std::string("localhost") : "[" + ip + "]";
    std::string helo_name = m.helo.empty() ? host : std::string(m.helo);
    if (auto st = s.send(macros(cmd::connect, {{"j", "postern"},
                                               {"{daemon_name}", "postern"},
                                               {"{client_addr}", ip},
                                               {"_", helo_name + " " + host}}));
        !st)
        return fail(st.error());
    if (!(proto & step::noconnect)) {
        char family = ip.empty() ? 'U' : ip.find(':') != std::string::npos ? '6' : '4';
        auto r = step(milter::connect(host, family, 0, ip), step::nr_conn);
        if (!r)
            return fail(r.error());
        if (*r)
            return finish();
    }
    if (!(proto & step::nohelo)) {
        auto r = step(helo(helo_name), step::nr_helo);
        if (!r)
            return fail(r.error());
        if (*r)
            return finish();
    }
    std::vector<std::pair<std::string, std::string>> mail_macros = {
        {"i", std::string(m.queue_id)}, {"{mail_addr}", std::string(m.sender)}};
    if (!m.auth_user.empty())
        mail_macros.emplace_back("{auth_authen}", std::string(m.auth_user));
    if (auto st = s.send(macros(cmd::mail, mail_macros)); !st)
        return fail(st.error());
    if (!(proto & step::nomail)) {
        auto r = step(mail({angle(m.sender)}), step::nr_mail);
        if (!r)
            return fail(r.error());
        if (*r)
            return finish();
    }
    if (!(proto & step::norcpt)) {
        std::size_t rejected = 0;
        for (auto& rcpt_address : m.recipients) {
            if (auto st = s.send(macros(cmd::rcpt, {{"{rcpt_addr}", rcpt_address}})); !st)
                return fail(st.error());
            MilterOutcome one;
            if (auto st = s.send(rcpt({angle(rcpt_address)})); !st)
                return fail(st.error());
            if (proto & step::nr_rcpt)
                continue;
            auto r = s.reply();
            if (!r)
                return fail(r.error());
            if (r->code == reply::accept) {
                out.final = MilterOutcome::Final::accept;
                return finish();
            }
            if (final_reply(*r, one)) {
                if (one.final == MilterOutcome::Final::discard) {
                    out = one;
                    return finish();
                }
                // A refused recipient is refused for this message only at SMTP time; here
                // the others continue (see docs/milter.md).
                out.rejected_recipients.push_back(rcpt_address);
                ++rejected;
                if (out.status.empty() || one.final == MilterOutcome::Final::tempfail) {
                    out.status = one.status;
                    out.text = one.text;
                }
            }
        }
        if (rejected > 0 && rejected == m.recipients.size()) {
            out.final = out.status.starts_with("4") ? MilterOutcome::Final::tempfail
                                                    : MilterOutcome::Final::reject;
            return finish();
        }
    }
    if (n->version >= 4 && !(proto & step::nodata)) {
        auto r = step(simple(cmd::data), step::nr_data);
        if (!r)
            return fail(r.error());
        if (*r)
            return finish();
    }
    std::size_t body_start = 0;
    auto fields = header_fields(m.raw, proto & step::hdr_leadspc, body_start);
    if (!(proto & step::nohdrs)) {
        for (auto& [name, value] : fields) {
            auto r = step(header(name, value), step::nr_hdr);
            if (!r)
                return fail(r.error());
            if (*r)
                return finish();
        }
    }
    if (!(proto & step::noeoh)) {
        auto r = step(simple(cmd::eoh), step::nr_eoh);
        if (!r)
            return fail(r.error());
        if (*r)
            return finish();
    }
    if (!(proto & step::nobody)) {
        std::string_view rest = m.raw.substr(std::min(body_start, m.raw.size()));
        while (!rest.empty()) {
            auto chunk = rest.substr(0, kMaxBodyChunk);
            rest.remove_prefix(chunk.size());
            if (auto st = s.send(body(chunk)); !st)
                return fail(st.error());
            if (proto & step::nr_body)
                continue;
            auto r = s.reply();
            if (!r)
                return fail(r.error());
            if (r->code == reply::skip)
                break;
            if (final_reply(*r, out))
                return finish();
        }
    }
    if (auto st = s.send(simple(cmd::eob)); !st)
        return fail(st.error());
    // Modifications, then one final reply.
    for (int count = 0;; ++count) {
        if (count > 10000)
            return fail(Errc::limit_exceeded, "milter sent more than 10000 modifications");
        auto r = s.reply();
        if (!r)
            return fail(r.error());
        switch (r->code) {
            case reply::addheader:
            case reply::insheader:
                out.add_headers.emplace_back(r->name, r->value);
                continue;
            case reply::chgheader:
                out.change_headers.emplace_back(r->name, r->value);
                continue;
            case reply::quarantine:
                out.quarantine = r->name;
                continue;
            case reply::addrcpt:
            case reply::addrcpt_par:
                out.unsupported.push_back("ADDRCPT " + r->name);
                continue;
            case reply::delrcpt:
                out.unsupported.push_back("DELRCPT " + r->name);
                continue;
            case reply::chgfrom:
                out.unsupported.push_back("CHGFROM " + r->name);
                continue;
            case reply::replbody:
                if (out.unsupported.empty() || out.unsupported.back() != "REPLBODY")
                    out.unsupported.push_back("REPLBODY");
                continue;
            case reply::setsymlist:
            case reply::skip:
                continue;
            default:
                break;
        }
        if (!final_reply(*r, out) && r->code != reply::cont)
            return fail(Errc::invalid_argument, "milter: unexpected reply at end of message");
        if (r->code == reply::cont)
            out.final = MilterOutcome::Final::accept;
        return finish();
    }
}

namespace {

// Milter header values fold with "\n"; our fields fold with CRLF.
std::string crlf(std::string_view v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\r')
            continue;
        if (v[i] == '\n') {
            out += "\r\n";
            if (i + 1 >= v.size() || (v[i + 1] != ' ' && v[i + 1] != '\t'))
                out += '\t';
            continue;
        }
        out += v[i];
    }
    return out;
}

}  // namespace

Result<Verdict> to_verdict(const MilterOutcome& o, const config::ScannerConfig& config) {
    Verdict v;
    using F = MilterOutcome::Final;
    if (o.final == F::tempfail) {
        return fail(Errc::cancelled, "milter " + config.name + " asked to retry later" +
                                         (o.text.empty() ? "" : ": " + o.text));
    }
    if (o.final == F::reject) {
        v.action = Verdict::Action::reject;
        v.status = o.status.empty() ? "5.7.1" : o.status;
        v.text = o.text.empty() ? "rejected by milter " + config.name : o.text;
        return v;
    }
    if (o.final == F::discard) {
        v.action = Verdict::Action::discard;
        v.text = "discarded by milter " + config.name;
        return v;
    }
    for (auto& [name, value] : o.add_headers)
        v.add_headers.emplace_back(name, crlf(value));
    for (auto& [name, value] : o.change_headers) {
        v.remove_headers.push_back(name);
        if (!value.empty())
            v.add_headers.emplace_back(name, crlf(value));
    }
    if (o.quarantine)
        v.mailbox = config.quarantine_folder;
    return v;
}

Result<Verdict> MilterFilter::scan(const MessageView& message) {
    auto outcome = converse(message);
    if (!outcome)
        return fail(outcome.error());
    auto log = log_.with_session(std::string(message.queue_id));
    for (auto& u : outcome->unsupported)
        log.warn("{}: milter action not applied in PROCESSING: {}", config_.name, u);
    for (auto& r : outcome->rejected_recipients)
        log.warn("{}: milter refused <{}>; the other recipients continue", config_.name, r);
    if (outcome->quarantine)
        log.info("{}: quarantined: {}", config_.name, *outcome->quarantine);
    return to_verdict(*outcome, config_);
}

Verdict MilterFilter::not_scanned(std::string_view) {
    return {};
}

}  // namespace postern::filter::milter
