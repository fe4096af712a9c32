// One milter conversation driven step by step (Sendmail milter protocol v6): OPTNEG, then
// CONNECT, HELO, MAIL, RCPT, DATA, the message (headers, EOH, body, EOB) with the filter's
// modifications, ABORT between transactions, QUIT. Used by SMTP-IN at SMTP time (one Client per
// milter per SMTP session) and by PROCESSING's MilterFilter (one per message).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/milter/codec.h"
#include "filter/scan/connection.h"

namespace postern::filter::milter {

using Macros = std::vector<std::pair<std::string, std::string>>;

// The filter's answer to one step.
struct StepReply {
    enum class Kind {
        cont,      // CONTINUE, SKIP, a step the filter does not want or does not answer
        accept,    // ACCEPT: nothing more for this filter in this transaction (connection)
        reject,    // REJECT or REPLYCODE 5xx
        tempfail,  // TEMPFAIL or REPLYCODE 4xx
        discard,   // DISCARD: accept and drop the message
    };
    Kind kind = Kind::cont;
    std::string smtp_code;  // REPLYCODE: "550"; empty for plain REJECT/TEMPFAIL
    std::string status;     // REPLYCODE: "5.7.1" when given
    std::string text;       // REPLYCODE: the text
};

// A modification asked for at the end of the message, in the order the filter sent it.
struct Modification {
    char code = 0;            // reply::addheader, insheader, chgheader, addrcpt, addrcpt_par,
                              // delrcpt, chgfrom, replbody, quarantine
    std::string name;         // header name; address; quarantine reason
    std::string value;        // header value; ESMTP arguments; body chunk
    std::uint32_t index = 0;  // insheader: position; chgheader: occurrence (1-based)
};

struct EndOfMessage {
    StepReply reply;
    std::vector<Modification> modifications;
};

// Blocking, bounded by the deadlines given: call it from a pool thread. Move-only; closing the
// socket (destruction) ends the conversation as libmilter expects of a vanished MTA.
class Client {
  public:
    struct Limits {
        std::size_t max_modifications = 10000;
        std::uint64_t max_body = 64ull << 20;  // REPLBODY bytes in total
    };
    // Connects and negotiates. `timeout` bounds every reply (PROGRESS starts it again).
    static Result<Client> open(const scan::ScanAddress& address,
                               std::chrono::milliseconds connect_timeout,
                               std::chrono::milliseconds timeout, Limits limits);
    static Result<Client> open(const scan::ScanAddress& address,
                               std::chrono::milliseconds connect_timeout,
                               std::chrono::milliseconds timeout) {
        return open(address, connect_timeout, timeout, Limits{});
    }

    const Negotiation& negotiated() const { return negotiated_; }
    bool leading_space() const { return negotiated_.protocol & step::hdr_leadspc; }

    // family: '4', '6' or 'U' (unknown/local).
    Result<StepReply> connect(std::string_view hostname, char family, std::uint16_t port,
                              std::string_view address, const Macros& macros);
    Result<StepReply> helo(std::string_view name, const Macros& macros);
    Result<StepReply> mail(const std::vector<std::string>& args, const Macros& macros);
    Result<StepReply> rcpt(const std::vector<std::string>& args, const Macros& macros);
    Result<StepReply> data(const Macros& macros);
    // The message as the filter sees it: header fields, EOH, body chunks, EOB (with the EOB
    // macros), then the modifications and the final reply. A reply before EOB ends it early
    // (no modifications).
    Result<EndOfMessage> message(std::string_view raw, const Macros& eob_macros);
    // Ends the transaction; the connection stays usable for the next MAIL.
    Status abort();
    // Ends the conversation (best effort).
    void quit();

  private:
    Client(scan::Connection conn, std::chrono::milliseconds timeout, Limits limits)
        : conn_(std::move(conn)), timeout_(timeout), limits_(limits) {}
    Status send(const std::string& bytes);
    Result<Packet> read();
    Result<Response> reply();  // skips PROGRESS (restarting the timeout)
    // Sends macros (if any) and the command; reads the reply unless `no_reply` was negotiated.
    Result<StepReply> step(char macro_for, const Macros& macros, const std::string& command,
                           std::uint32_t no_reply);

    scan::Connection conn_;
    std::chrono::milliseconds timeout_;
    Limits limits_;
    scan::Clock::time_point deadline_;
    PacketReader reader_;
    Negotiation negotiated_;
};

// Splits a header section into (name, value) as sendmail hands them to milters: the value
// without the space after the colon (unless `leading_space`), folds as "\n" + the WSP.
// `body_start` gets the offset of the body.
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view raw,
                                                               bool leading_space,
                                                               std::size_t& body_start);

// The StepReply a response maps to; false for a code that is not a step reply.
bool to_step_reply(const Response& r, StepReply& out);

}  // namespace postern::filter::milter
