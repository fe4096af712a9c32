// The Sendmail milter protocol, version 6 (libmilter's mfdef.h/mfapi.h and the
// "Milter Protocol" notes): packet framing, the MTA's commands and the filter's replies.
// Pure: no sockets. Every packet is uint32 length (network order, counting the command byte),
// one command byte, then its data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace postern::filter::milter {

inline constexpr std::uint32_t kVersion = 6;
inline constexpr std::size_t kMaxBodyChunk = 65535;  // MILTER_CHUNK_SIZE

// Commands (MTA → filter), SMFIC_*.
namespace cmd {
inline constexpr char abort = 'A', body = 'B', connect = 'C', macro = 'D', eob = 'E', helo = 'H',
                      quit_nc = 'K', header = 'L', mail = 'M', eoh = 'N', optneg = 'O', quit = 'Q',
                      rcpt = 'R', data = 'T', unknown = 'U';
}
// Replies (filter → MTA), SMFIR_*.
namespace reply {
inline constexpr char addrcpt = '+', delrcpt = '-', addrcpt_par = '2', shutdown = '4', accept = 'a',
                      replbody = 'b', cont = 'c', discard = 'd', chgfrom = 'e', connfail = 'f',
                      addheader = 'h', insheader = 'i', setsymlist = 'l', chgheader = 'm',
                      progress = 'p', quarantine = 'q', reject = 'r', skip = 's', tempfail = 't',
                      replycode = 'y', optneg = 'O';
}
// SMFIF_* actions the filter may take.
namespace action {
inline constexpr std::uint32_t addhdrs = 0x1, chgbody = 0x2, addrcpt = 0x4, delrcpt = 0x8,
                               chghdrs = 0x10, quarantine = 0x20, chgfrom = 0x40,
                               addrcpt_par = 0x80, setsymlist = 0x100, all = 0x1ff;
}
// SMFIP_* protocol steps the filter may skip (NO*) or not answer (NR_*).
namespace step {
inline constexpr std::uint32_t noconnect = 0x1, nohelo = 0x2, nomail = 0x4, norcpt = 0x8,
                               nobody = 0x10, nohdrs = 0x20, noeoh = 0x40, nr_hdr = 0x80,
                               nounknown = 0x100, nodata = 0x200, skip = 0x400, rcpt_rej = 0x800,
                               nr_conn = 0x1000, nr_helo = 0x2000, nr_mail = 0x4000,
                               nr_rcpt = 0x8000, nr_data = 0x10000, nr_unkn = 0x20000,
                               nr_eoh = 0x40000, nr_body = 0x80000, hdr_leadspc = 0x100000;
// What we understand (we never send UNKNOWN; RCPT_REJ is accepted and ignored).
inline constexpr std::uint32_t supported = 0x1fffff;
}  // namespace step

struct Packet {
    char command = 0;
    std::string data;
};

// One packet's bytes.
std::string encode(char command, std::string_view data);

// Splits a byte stream into packets. Errc::limit_exceeded for a length above `max_packet`,
// Errc::invalid_argument for a zero length.
class PacketReader {
  public:
    explicit PacketReader(std::size_t max_packet = 1u << 20) : max_packet_(max_packet) {}
    Status feed(std::string_view bytes);
    // The next complete packet, if any.
    std::optional<Packet> next();

  private:
    std::size_t max_packet_;
    std::string buffer_;
    std::size_t pos_ = 0;
};

// ---- commands ----
std::string optneg(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol);
// family: '4', '6', 'U' (unix) or 'U'nknown; address text; port (0 when unknown).
std::string connect(std::string_view hostname, char family, std::uint16_t port,
                    std::string_view address);
std::string helo(std::string_view name);
std::string mail(const std::vector<std::string>& args);  // args[0] = "<sender>"
std::string rcpt(const std::vector<std::string>& args);
std::string header(std::string_view name, std::string_view value);
std::string macros(char for_command, const std::vector<std::pair<std::string, std::string>>& m);
std::string body(std::string_view chunk);
std::string simple(char command);  // EOH, DATA, EOB, ABORT, QUIT

// ---- replies ----
struct Negotiation {
    std::uint32_t version = 0;
    std::uint32_t actions = 0;
    std::uint32_t protocol = 0;
};
// The filter's OPTNEG reply (macro lists that v6 filters may append are skipped).
Result<Negotiation> parse_optneg(std::string_view data);

struct Response {
    char code = 0;            // one of reply::*
    std::string name;         // header name (add/ins/chg), recipient, sender, reason
    std::string value;        // header value; ESMTP args for addrcpt_par/chgfrom; reply text
    std::uint32_t index = 0;  // chgheader/insheader
    std::string smtp_code;    // replycode: "550"
    std::string status;       // replycode: "5.7.1" (may be empty)
};
// Decodes one reply packet; Errc::invalid_argument for malformed data or an unknown code.
Result<Response> parse_response(const Packet& packet);

}  // namespace postern::filter::milter
