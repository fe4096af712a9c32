// Helpers for the mime tests: tree summaries, chunked feeding, a recording body sink.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include "mime/parser.h"

namespace postern::mime::testing {

// "multipart/mixed(text/plain,message/rfc822(text/plain))": the effective types in tree order.
inline std::string tree(const ParsedMessage& msg, std::uint32_t part = 0) {
    const Part& p = msg.parts[part];
    std::string out = p.content_type.type + "/" + p.content_type.subtype;
    if (!p.children.empty()) {
        out += '(';
        for (std::size_t i = 0; i < p.children.size(); ++i) {
            if (i)
                out += ',';
            out += tree(msg, p.children[i]);
        }
        out += ')';
    }
    return out;
}

// Records what a BodySink sees, per part.
class RecordingSink : public BodySink {
  public:
    void body_start(std::uint32_t index, const Part&, std::span<const HeaderField>) override {
        bodies[index];
        ++starts;
    }
    void body_data(std::uint32_t index, std::string_view bytes) override {
        bodies[index].append(bytes);
    }
    void body_end(std::uint32_t) override { ++ends; }

    std::map<std::uint32_t, std::string> bodies;
    int starts = 0;
    int ends = 0;
};

inline ParsedMessage parse_in_chunks(std::string_view raw, std::size_t chunk,
                                     const Limits& limits = {}, BodySink* sink = nullptr) {
    MessageParser parser(limits, sink);
    for (std::size_t i = 0; i < raw.size(); i += chunk)
        parser.feed(raw.substr(i, chunk));
    return parser.finish();
}

inline ParsedMessage parse_random_chunks(std::string_view raw, std::uint64_t seed,
                                         const Limits& limits = {}, BodySink* sink = nullptr) {
    std::mt19937_64 rng(seed);
    MessageParser parser(limits, sink);
    std::size_t i = 0;
    while (i < raw.size()) {
        std::size_t n = 1 + rng() % 97;
        parser.feed(raw.substr(i, n));
        i += n;
    }
    return parser.finish();
}

inline std::string to_crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

}  // namespace postern::mime::testing
