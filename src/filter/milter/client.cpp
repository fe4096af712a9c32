// Milter client steps: OPTNEG, macros, CONNECT, HELO, MAIL, RCPT, DATA, headers, EOH, body
// chunks, EOB, the filter's modifications and final reply, ABORT, QUIT (libmilter's protocol v6).
#include "filter/milter/client.h"

#include <algorithm>

namespace postern::filter::milter {

using scan::Clock;
using scan::Connection;

Result<Client> Client::open(const scan::ScanAddress& address,
                            std::chrono::milliseconds connect_timeout,
                            std::chrono::milliseconds timeout, Limits limits) {
    auto conn = Connection::open(address, connect_timeout);
    if (!conn)
        return fail(conn.error());
    conn->set_no_delay();
    Client c(std::move(*conn), timeout, limits);
    c.deadline_ = Clock::now() + timeout;
    if (auto st = c.send(optneg(kVersion, action::all, step::supported)); !st)
        return fail(st.error());
    auto p = c.read();
    if (!p)
        return fail(p.error());
    if (p->command != reply::optneg)
        return fail(Errc::invalid_argument, "milter did not answer OPTNEG");
    auto n = parse_optneg(p->data);
    if (!n)
        return fail(n.error());
    // Only what we offered counts (a filter may not ask for more).
    n->protocol &= step::supported;
    c.negotiated_ = *n;
    return c;
}

Status Client::send(const std::string& bytes) {
    return conn_.write_all(bytes, deadline_);
}

Result<Packet> Client::read() {
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

Result<Response> Client::reply() {
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

bool to_step_reply(const Response& r, StepReply& out) {
    using K = StepReply::Kind;
    switch (r.code) {
        case reply::cont:
        case reply::skip:
            out.kind = K::cont;
            return true;
        case reply::accept:
            out.kind = K::accept;
            return true;
        case reply::discard:
            out.kind = K::discard;
            return true;
        case reply::reject:
        case reply::connfail:
            out.kind = K::reject;
            return true;
        case reply::tempfail:
        case reply::shutdown:
            out.kind = K::tempfail;
            return true;
        case reply::replycode:
            out.kind = r.smtp_code[0] == '5' ? K::reject : K::tempfail;
            out.smtp_code = r.smtp_code;
            out.status = r.status;
            out.text = r.value;
            return true;
        default:
            return false;
    }
}

Result<StepReply> Client::step(char macro_for, const Macros& macros, const std::string& command,
                               std::uint32_t no_reply) {
    deadline_ = Clock::now() + timeout_;
    // Macros and command in one write: one segment per step.
    if (!macros.empty()) {
        std::string bytes = milter::macros(macro_for, macros) + command;
        if (auto st = send(bytes); !st)
            return fail(st.error());
    } else if (auto st = send(command); !st) {
        return fail(st.error());
    }
    StepReply out;
    if (negotiated_.protocol & no_reply)
        return out;
    auto r = reply();
    if (!r)
        return fail(r.error());
    if (!to_step_reply(*r, out))
        return fail(Errc::invalid_argument,
                    std::string("milter: unexpected reply '") + r->code + "' to a protocol step");
    return out;
}

Result<StepReply> Client::connect(std::string_view hostname, char family, std::uint16_t port,
                                  std::string_view address, const Macros& macros) {
    if (negotiated_.protocol & step::noconnect)
        return StepReply{};
    return step(cmd::connect, macros, milter::connect(hostname, family, port, address),
                step::nr_conn);
}

Result<StepReply> Client::helo(std::string_view name, const Macros& macros) {
    if (negotiated_.protocol & step::nohelo)
        return StepReply{};
    return step(cmd::helo, macros, milter::helo(name), step::nr_helo);
}

Result<StepReply> Client::mail(const std::vector<std::string>& args, const Macros& macros) {
    if (negotiated_.protocol & step::nomail)
        return StepReply{};
    return step(cmd::mail, macros, milter::mail(args), step::nr_mail);
}

Result<StepReply> Client::rcpt(const std::vector<std::string>& args, const Macros& macros) {
    if (negotiated_.protocol & step::norcpt)
        return StepReply{};
    return step(cmd::rcpt, macros, milter::rcpt(args), step::nr_rcpt);
}

Result<StepReply> Client::data(const Macros& macros) {
    if (negotiated_.version < 4 || (negotiated_.protocol & step::nodata))
        return StepReply{};
    return step(cmd::data, macros, simple(cmd::data), step::nr_data);
}

Result<EndOfMessage> Client::message(std::string_view raw, const Macros& eob_macros) {
    const auto proto = negotiated_.protocol;
    EndOfMessage out;
    std::size_t body_start = 0;
    auto fields = header_fields(raw, proto & step::hdr_leadspc, body_start);
    if (!(proto & step::nohdrs)) {
        for (auto& [name, value] : fields) {
            auto r = step(cmd::header, {}, header(name, value), step::nr_hdr);
            if (!r)
                return fail(r.error());
            if (r->kind != StepReply::Kind::cont) {
                out.reply = std::move(*r);
                return out;
            }
        }
    }
    if (!(proto & step::noeoh)) {
        auto r = step(cmd::eoh, {}, simple(cmd::eoh), step::nr_eoh);
        if (!r)
            return fail(r.error());
        if (r->kind != StepReply::Kind::cont) {
            out.reply = std::move(*r);
            return out;
        }
    }
    if (!(proto & step::nobody)) {
        std::string_view rest = raw.substr(std::min(body_start, raw.size()));
        while (!rest.empty()) {
            auto chunk = rest.substr(0, kMaxBodyChunk);
            rest.remove_prefix(chunk.size());
            deadline_ = Clock::now() + timeout_;
            if (auto st = send(body(chunk)); !st)
                return fail(st.error());
            if (proto & step::nr_body)
                continue;
            auto r = reply();
            if (!r)
                return fail(r.error());
            if (r->code == reply::skip)
                break;
            StepReply s;
            if (!to_step_reply(*r, s))
                return fail(Errc::invalid_argument, "milter: unexpected reply to BODY");
            if (s.kind != StepReply::Kind::cont) {
                out.reply = std::move(s);
                return out;
            }
        }
    }
    deadline_ = Clock::now() + timeout_;
    std::string eob = eob_macros.empty() ? std::string() : macros(cmd::eob, eob_macros);
    eob += simple(cmd::eob);
    if (auto st = send(eob); !st)
        return fail(st.error());
    // Modifications, then one final reply.
    std::uint64_t body_bytes = 0;
    for (;;) {
        auto r = reply();
        if (!r)
            return fail(r.error());
        switch (r->code) {
            case reply::addheader:
            case reply::insheader:
            case reply::chgheader:
            case reply::addrcpt:
            case reply::addrcpt_par:
            case reply::delrcpt:
            case reply::chgfrom:
            case reply::replbody:
            case reply::quarantine: {
                if (out.modifications.size() >= limits_.max_modifications)
                    return fail(Errc::limit_exceeded,
                                "milter sent more than " +
                                    std::to_string(limits_.max_modifications) + " modifications");
                if (r->code == reply::replbody) {
                    body_bytes += r->value.size();
                    if (body_bytes > limits_.max_body)
                        return fail(Errc::limit_exceeded,
                                    "milter's replacement body is over the size limit");
                    // Consecutive chunks are one body.
                    if (!out.modifications.empty() &&
                        out.modifications.back().code == reply::replbody) {
                        out.modifications.back().value += r->value;
                        continue;
                    }
                }
                out.modifications.push_back(
                    Modification{r->code, std::move(r->name), std::move(r->value), r->index});
                continue;
            }
            case reply::setsymlist:
            case reply::skip:
                continue;
            default:
                break;
        }
        if (!to_step_reply(*r, out.reply))
            return fail(Errc::invalid_argument, "milter: unexpected reply at end of message");
        // CONTINUE at the end of the message means accept.
        if (out.reply.kind == StepReply::Kind::cont)
            out.reply.kind = StepReply::Kind::accept;
        return out;
    }
}

Status Client::abort() {
    deadline_ = Clock::now() + timeout_;
    return send(simple(cmd::abort));
}

void Client::quit() {
    deadline_ = Clock::now() + std::chrono::milliseconds(200);
    (void)send(simple(cmd::quit));
}

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

}  // namespace postern::filter::milter
