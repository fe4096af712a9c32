// Fuzz target for the log service's datagram parser and collector (log/datagram.h): any bytes
// must be accepted or rejected without crashing, and whatever is accepted must re-encode to
// a datagram that parses to the same record.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "log/collector.h"
#include "log/datagram.h"

namespace {

class CheckingSink : public postern::log::Sink {
  public:
    void write(postern::log::Record r) override {
        auto again =
            postern::log::decode_datagram(postern::log::encode_datagram(r, 1 << 20), 1 << 20);
        if (!again || again->host != r.host || again->module != r.module ||
            again->session != r.session || again->text != r.text || again->when != r.when ||
            again->level != r.level) {
            std::abort();
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static postern::log::Collector collector(std::make_shared<CheckingSink>(), 8192);
    static const auto from = *postern::IpAddress::parse("192.0.2.1");
    std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)collector.receive(input, from);
    // The encoder's promise: anything it makes, the parser takes.
    postern::log::Record r;
    r.host = input.substr(0, 40);
    r.module = input.substr(std::min<std::size_t>(size, 40), 20);
    r.text = std::string(input);
    if (!postern::log::decode_datagram(postern::log::encode_datagram(r, 600), 600))
        std::abort();
    return 0;
}
