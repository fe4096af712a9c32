// BODYSTRUCTURE data from the part tree (RFC 3501 §7.4.2 body fields; RFC 2045 §5.2
// defaults; RFC 2183 disposition; RFC 3282 language; RFC 2557 §4.2 location).
#include "mime/structure.h"

#include "base/strings.h"
#include "mime/header_text.h"

namespace postern::mime {
namespace {

std::optional<std::string> field(const ParsedMessage& msg, std::uint32_t part,
                                 std::string_view name) {
    const HeaderField* h = msg.find_header(part, name);
    if (!h)
        return std::nullopt;
    return std::string(trim(unfold(h->raw_value)));
}

std::vector<std::string> languages(std::string_view raw) {
    std::vector<std::string> out;
    std::string current;
    int depth = 0;
    auto push = [&] {
        if (!current.empty())
            out.push_back(std::move(current));
        current.clear();
    };
    for (char c : raw) {
        if (c == '(') {
            ++depth;
        } else if (c == ')' && depth > 0) {
            --depth;
        } else if (depth > 0) {
            continue;
        } else if (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            push();
        } else {
            current += c;
        }
    }
    push();
    return out;
}

BodyPart describe(const ParsedMessage& msg, std::uint32_t index) {
    const Part& p = msg.parts[index];
    BodyPart b;
    b.type = p.content_type.type;
    b.subtype = p.content_type.subtype;
    b.params = p.content_type.params;
    b.header_start = p.header_start;
    b.body_start = p.body_start;
    b.body_end = p.body_end;
    b.size = p.body_size();
    b.transfer = p.encoding;
    b.children = p.children;
    switch (p.kind) {
        case PartKind::multipart:
            b.kind = BodyPart::Kind::multipart;
            break;
        case PartKind::message:
            b.kind = BodyPart::Kind::message;
            b.lines = p.body_lines;
            break;
        case PartKind::leaf:
            if (b.type == "multipart") {
                b.type = "text";
                b.subtype = "plain";
                std::erase_if(b.params, [](const Param& prm) { return prm.name == "boundary"; });
            } else if (b.type == "message" && (b.subtype == "rfc822" || b.subtype == "global")) {
                b.type = "application";
                b.subtype = "octet-stream";
            }
            if (b.type == "text") {
                b.kind = BodyPart::Kind::text;
                b.lines = p.body_lines;
            }
            if (!p.has_content_type && b.type == "text") {
                b.params = {Param{"charset", "us-ascii", false}};
            }
            break;
    }
    b.id = field(msg, index, "Content-ID");
    b.description = field(msg, index, "Content-Description");
    b.md5 = field(msg, index, "Content-MD5");
    b.location = field(msg, index, "Content-Location");
    if (auto enc = field(msg, index, "Content-Transfer-Encoding"); enc && !enc->empty()) {
        std::string_view v = *enc;
        v = trim(v.substr(0, v.find_first_of(" \t(;")));
        if (!v.empty())
            b.encoding = std::string(v);
    }
    if (const HeaderField* h = msg.find_header(index, "Content-Disposition")) {
        if (auto d = parse_content_disposition(h->raw_value)) {
            b.disposition = d->type;
            b.disposition_params = std::move(d->params);
        }
    }
    if (const HeaderField* h = msg.find_header(index, "Content-Language")) {
        b.languages = languages(h->raw_value);
    }
    return b;
}

}  // namespace

MessageStructure build_structure(const ParsedMessage& msg) {
    MessageStructure s;
    s.size = msg.size;
    s.parts.reserve(msg.parts.size());
    s.envelopes.push_back(build_envelope(msg, 0));
    for (std::uint32_t i = 0; i < msg.parts.size(); ++i) {
        BodyPart b = describe(msg, i);
        if (b.kind == BodyPart::Kind::message && !b.children.empty()) {
            b.envelope = static_cast<std::int32_t>(s.envelopes.size());
            s.envelopes.push_back(build_envelope(msg, b.children.front()));
        }
        s.parts.push_back(std::move(b));
    }
    return s;
}

}  // namespace postern::mime
