// Fuzz target for the scanner codecs (src/filter/scan, src/filter/milter): the input goes to
// the spamd, clamd and socket filter reply parsers and through the milter packet reader and
// reply decoder. Invariants: no crash; a parsed spamd score is finite; a milter packet never
// exceeds the reader's limit; the header filter never grows a message.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/milter/codec.h"
#include "filter/scan/clamd_protocol.h"
#include "filter/scan/socket_filter_protocol.h"
#include "filter/scan/spamd_protocol.h"
#include "mime/header_filter.h"

using namespace postern::filter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    for (auto c : {scan::SpamdCommand::check, scan::SpamdCommand::symbols,
                   scan::SpamdCommand::report, scan::SpamdCommand::ping}) {
        if (auto r = scan::parse_spamd_reply(in, c)) {
            if (!std::isfinite(r->score) || !std::isfinite(r->required))
                std::abort();
        }
    }
    (void)scan::parse_clamd_reply(in);
    (void)scan::parse_socket_filter_reply(in);
    milter::PacketReader reader(4096);
    // Feed in two pieces to exercise reassembly.
    auto half = in.size() / 2;
    if (reader.feed(in.substr(0, half))) {
        while (auto p = reader.next()) {
            if (p->data.size() + 1 > 4096)
                std::abort();
            (void)milter::parse_response(*p);
        }
        if (reader.feed(in.substr(half))) {
            while (auto p = reader.next()) {
                if (p->data.size() + 1 > 4096)
                    std::abort();
                (void)milter::parse_response(*p);
            }
        }
    }
    (void)milter::parse_optneg(in);
    auto stripped = postern::mime::strip_header_fields(in, {"Subject", "X-Postern-Spam-Level"});
    if (stripped.size() > in.size())
        std::abort();
    return 0;
}
