// Fuzz target for src/mime (RFC 5322/MIME parsing): parses the input whole and split at
// input-chosen points (the results must be identical), then runs every field parser, the
// decoders, body classification and the structure blob round trip over what it found.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/address.h"
#include "mime/body_text.h"
#include "mime/content_type.h"
#include "mime/date.h"
#include "mime/envelope.h"
#include "mime/header_text.h"
#include "mime/message_id.h"
#include "mime/parser.h"
#include "mime/structure.h"
#include "mime/structure_codec.h"
#include "mime/subject.h"

namespace {

using namespace postern::mime;

ParsedMessage parse_split(std::string_view in, std::size_t step, const Limits& limits,
                          BodySink* sink) {
    MessageParser parser(limits, sink);
    for (std::size_t i = 0; i < in.size(); i += step)
        parser.feed(in.substr(i, step));
    return parser.finish();
}

std::string_view g_input;

// On a failed invariant, keep the input (the GCC driver does not save crashes itself).
void check(bool ok) {
    if (ok)
        return;
    if (std::FILE* f = std::fopen("fuzz_mime-failure.eml", "wb")) {
        std::fwrite(g_input.data(), 1, g_input.size(), f);
        std::fclose(f);
    }
    std::abort();
}

void exercise_fields(const ParsedMessage& m) {
    for (const auto& h : m.headers) {
        const std::string& v = h.raw_value;
        (void)decode_unstructured(v);
        (void)parse_address_list(v);
        (void)parse_address_list(v, NameDecoding::raw);
        (void)parse_date(v);
        (void)parse_message_ids(v);
        (void)base_subject(v);
        (void)parse_phrase_list(v);
        if (auto ct = parse_content_type(v))
            (void)decode_params(ct->params);
        if (auto cd = parse_content_disposition(v))
            (void)decode_params(cd->params);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    g_input = in;
    std::size_t step = size == 0 ? 1 : 1 + data[0] % 13;

    ParsedMessage whole = parse_split(in, in.size() + 1, {}, nullptr);
    TextCollector texts(1 << 16);
    check(parse_split(in, step, {}, &texts) == whole);
    check(whole.size == in.size());
    for (const auto& p : whole.parts) {
        check(p.header_start <= p.body_start && p.body_start <= p.body_end &&
              p.body_end <= whole.size);
        (void)decode_part(in, p);
        if (is_text_part(p))
            (void)decode_part_text(in, p);
    }
    exercise_fields(whole);
    (void)classify_bodies(whole);
    (void)build_sort_keys(whole);

    MessageStructure s = build_structure(whole);
    auto back = decode_structure(encode_structure(s));
    check(back.has_value() && *back == s);
    (void)decode_structure(in);  // the input itself as a (mostly broken) blob

    Limits tight;
    tight.max_header_bytes = 200;
    tight.max_header_count = 5;
    tight.max_parts = 8;
    tight.max_depth = 3;
    tight.max_line_length = 40;
    ParsedMessage small = parse_split(in, in.size() + 1, tight, nullptr);
    check(parse_split(in, 1, tight, nullptr) == small);
    check(small.parts.size() <= tight.max_parts);
    return 0;
}
