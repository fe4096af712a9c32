// PREVIEW text (RFC 8970 §3): choose the text part, decode it (RFC 2045 §6 transfer encodings,
// RFC 2046 §4.1.2 charset), drop HTML markup, collapse whitespace, cut at 200 characters.
#include "services/imap/fetch/preview.h"

#include <algorithm>

#include "base/utf8.h"
#include "mime/charset.h"
#include "mime/transfer_encoding.h"
#include "store/analysis/mime_analyzer.h"

namespace postern::services::imap::fetch {

using mime::BodyPart;

namespace {

// Raw bytes read from the preview part: enough for 200 characters of plain text even when
// quoted-printable, and for the markup that usually precedes the text of an HTML part.
constexpr std::size_t kPlainBytes = 16 * 1024;
constexpr std::size_t kHtmlBytes = 64 * 1024;

bool is_attachment(const BodyPart& p) {
    return p.disposition && *p.disposition == "attachment";
}

bool is_space(char32_t cp) {
    return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0xFEFF || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x3000;
}

}  // namespace

std::optional<std::uint32_t> preview_part(const mime::MessageStructure& structure) {
    const auto& parts = structure.parts;
    std::optional<std::uint32_t> html;
    // Document order without recursion; `visited` guards against a malformed blob's cycles.
    std::vector<std::uint32_t> stack{0};
    std::vector<bool> visited(parts.size(), false);
    while (!stack.empty()) {
        auto index = stack.back();
        stack.pop_back();
        if (index >= parts.size() || visited[index])
            continue;
        visited[index] = true;
        const BodyPart& p = parts[index];
        if (p.kind == BodyPart::Kind::multipart) {
            for (auto it = p.children.rbegin(); it != p.children.rend(); ++it)
                stack.push_back(*it);
            continue;
        }
        if (p.kind != BodyPart::Kind::text || is_attachment(p))
            continue;
        if (p.subtype == "plain")
            return index;
        if (p.subtype == "html" && !html)
            html = index;
    }
    return html;
}

std::string collapse_preview(std::string_view text, std::size_t max_chars) {
    std::string out;
    std::size_t chars = 0;
    bool space = false;
    for (std::size_t i = 0; i < text.size() && chars < max_chars;) {
        char32_t cp = 0;
        auto n = utf8_sequence(text, i, cp);
        if (n == 0) {
            ++i;  // ill-formed byte: skipped
            continue;
        }
        if (is_space(cp)) {
            space = true;
        } else {
            if (space && !out.empty()) {
                out += ' ';
                ++chars;
                if (chars == max_chars)
                    break;
            }
            space = false;
            out.append(text.substr(i, n));
            ++chars;
        }
        i += n;
    }
    return out;
}

std::string make_preview(std::string_view raw, const mime::MessageStructure& structure) {
    auto index = preview_part(structure);
    if (!index)
        return {};
    const BodyPart& p = structure.parts[*index];
    if (p.body_start > p.body_end || p.body_end > raw.size())
        return {};
    const bool html = p.subtype == "html";
    std::string_view body = raw.substr(p.body_start, p.body_end - p.body_start);
    body = body.substr(0, html ? kHtmlBytes : kPlainBytes);
    std::string bytes = mime::decode_body(p.transfer, body);
    std::string charset;
    for (const auto& param : p.params)
        if (param.name == "charset")
            charset = param.value;
    std::string text = mime::to_utf8(bytes, charset);
    if (html)
        text = store::html_text(text);
    return collapse_preview(text);
}

}  // namespace postern::services::imap::fetch
