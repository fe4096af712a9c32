// Fuzz target for src/queue's on-disk format (docs/queue.md "Status file"): scans and decodes
// arbitrary bytes as a status file; a file that decodes must survive encode -> decode
// unchanged. The same bytes serve as the original message of a DSN (RFC 3464), which must
// build without crashing and keep CRLF line ends in what it writes itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/dsn.h"
#include "queue/record_codec.h"
#include "queue/status_file.h"

namespace {

using namespace postern::queue;

void check(bool ok) {
    if (!ok)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);

    auto scan = scan_records(in, in.size() >= kFileHeaderSize ? kFileHeaderSize : 0);
    check(scan.good_end <= in.size());
    for (const auto& r : scan.records) {
        check(r.offset + kRecordOverhead + r.payload.size() <= in.size());
        (void)read_fields(r.payload);
    }

    auto load = decode_status(in);
    if (load.outcome == StatusOutcome::ok) {
        check(load.good_length <= in.size());
        // What was read is what a compaction writes back.
        auto again = decode_status(encode_status(load.record));
        check(again.outcome == StatusOutcome::ok);
        check(again.record == load.record);
        check(again.updates == 0 && !again.torn_tail);
    }

    DsnMessage m;
    m.reporting_mta = "mx.example.org";
    m.from_address = "MAILER-DAEMON@mx.example.org";
    m.to = std::string(in.substr(0, 64));
    m.subject = std::string(in.substr(0, 32));
    m.text = "text";
    m.boundary = "=_b";
    m.message_id = "x@y";
    DsnRecipient r;
    r.final_recipient = std::string(in.substr(0, 40));
    r.diagnostic = std::string(in.substr(in.size() / 2));
    m.recipients.push_back(r);
    auto header = message_header(in);
    check(header.size() <= in.size());
    m.original = header;
    m.attach = Attach::headers;
    auto out = build_dsn(m);
    // The fields we write (before the returned content) never carry a bare line feed.
    auto ours = std::string_view(out).substr(0, out.find("Content-Description: Returned"));
    for (std::size_t i = 0; i < ours.size(); ++i)
        if (ours[i] == '\n')
            check(i > 0 && ours[i - 1] == '\r');
    return 0;
}
