// Helpers for the SMTP codec tests: reply codes as text, command descriptions for failure
// messages, and feeding receivers whole, one byte at a time or in random pieces.
#pragma once

#include <random>
#include <string>
#include <string_view>
#include <variant>

#include "proto/smtp/chunk_receiver.h"
#include "proto/smtp/command.h"
#include "proto/smtp/data_receiver.h"
#include "proto/smtp/reply.h"

namespace postern::proto::smtp::testing {

// "553 5.1.3", or "220" without an enhanced code.
inline std::string code_of(const Reply& r) {
    std::string s = std::to_string(r.code);
    if (r.enhanced)
        s += " " + r.enhanced->to_string();
    return s;
}

// The reply a content verdict gets, as code_of() text; "accept" for none.
inline std::string code_of_verdict(ContentVerdict v) {
    auto r = content_reply(v);
    return r ? code_of(*r) : "accept";
}

inline std::string describe(const Mailbox& m) {
    return "<" + m.to_string() + ">";
}

// A readable one-line form of a command, used in assertion messages.
inline std::string describe(const Command& c) {
    std::string out(verb_name(verb_of(c)));
    if (const auto* h = std::get_if<Hello>(&c)) {
        out += " " + h->name + " kind=" + std::to_string(static_cast<int>(h->kind));
    } else if (const auto* m = std::get_if<MailFrom>(&c)) {
        out += m->sender ? " " + describe(*m->sender) : std::string(" <>");
        if (m->size)
            out += " SIZE=" + std::to_string(*m->size);
        if (m->body != Body::unspecified)
            out += " BODY=" + std::string(body_name(m->body));
        if (m->smtputf8)
            out += " SMTPUTF8";
        if (m->ret != Ret::unspecified)
            out += " RET=" + std::string(ret_name(m->ret));
        if (m->envid)
            out += " ENVID=" + *m->envid;
        if (m->auth)
            out += " AUTH=" + *m->auth;
    } else if (const auto* r = std::get_if<RcptTo>(&c)) {
        out += " " + describe(r->recipient);
        if (r->notify)
            out += " NOTIFY=" + format_notify(r->notify);
        if (r->orcpt)
            out += " ORCPT=" + r->orcpt->addr_type + ";" + r->orcpt->address;
    } else if (const auto* b = std::get_if<Bdat>(&c)) {
        out += " " + std::to_string(b->size) + (b->last ? " LAST" : "");
    } else if (const auto* a = std::get_if<Auth>(&c)) {
        out += " " + a->mechanism + (a->initial_response ? " " + *a->initial_response : "");
    }
    return out;
}

struct Received {
    std::string out;
    std::size_t consumed = 0;
    bool complete = false;
};

// Feeds `input` to a DataReceiver `step` octets at a time (0 = all at once).
inline Received receive_data(DataReceiver& rx, std::string_view input, std::size_t step = 0) {
    Received r;
    if (step == 0)
        step = input.size() ? input.size() : 1;
    for (std::size_t i = 0; i < input.size() && !r.complete; i += step) {
        auto piece = input.substr(i, step);
        auto p = rx.feed(piece, r.out);
        r.consumed += p.consumed;
        r.complete = p.complete;
        if (p.complete)
            break;
        EXPECT_EQ(p.consumed, piece.size());
    }
    return r;
}

inline Received receive_data_random(DataReceiver& rx, std::string_view input, unsigned seed) {
    std::mt19937 rng(seed);
    Received r;
    std::size_t i = 0;
    while (i < input.size() && !r.complete) {
        std::size_t n = 1 + rng() % 17;
        auto p = rx.feed(input.substr(i, n), r.out);
        r.consumed += p.consumed;
        r.complete = p.complete;
        i += p.consumed;
    }
    return r;
}

}  // namespace postern::proto::smtp::testing
