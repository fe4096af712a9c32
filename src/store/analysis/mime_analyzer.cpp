// MimeAnalyzer: parse once with the text collector attached, then build the cached ENVELOPE/
// BODYSTRUCTURE blobs (RFC 3501 §7.4.2), sort keys (RFC 5256 §2.1-§2.2, RFC 5957), the IMAP
// section table (RFC 3501 §6.4.5) and the search text (RFC 2047 headers, decoded bodies).
#include "store/analysis/mime_analyzer.h"

#include <variant>

#include "base/strings.h"
#include "mime/address.h"
#include "mime/body_text.h"
#include "mime/envelope.h"
#include "mime/header_text.h"
#include "mime/parser.h"
#include "mime/structure.h"
#include "mime/structure_codec.h"

namespace postern::store {
namespace {

bool is_address_field(std::string_view name) {
    for (auto f :
         {"from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc"})
        if (name == f)
            return true;
    return false;
}

std::string mailbox_text(const mime::Mailbox& m) {
    auto addr = m.addr_spec();
    if (m.name.empty())
        return addr;
    if (addr.empty())
        return m.name;
    return m.name + " <" + addr + ">";
}

std::string address_text(std::string_view raw_value) {
    std::string out;
    auto add = [&](const std::string& s) {
        if (s.empty())
            return;
        if (!out.empty())
            out += ", ";
        out += s;
    };
    for (const auto& item : mime::parse_address_list(raw_value)) {
        if (const auto* m = std::get_if<mime::Mailbox>(&item)) {
            add(mailbox_text(*m));
            continue;
        }
        const auto& g = std::get<mime::Group>(item);
        std::string members;
        for (const auto& m : g.members) {
            if (!members.empty())
                members += ", ";
            members += mailbox_text(m);
        }
        add(g.name + ": " + members + ";");
    }
    return out;
}

// Longest prefix of `s` that is at most `n` bytes and does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t n) {
    if (s.size() <= n)
        return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return s.substr(0, n);
}

class SectionTable {
  public:
    explicit SectionTable(const mime::ParsedMessage& msg) : msg_(msg) {}

    std::vector<MimePart> build() {
        const auto& root = msg_.root();
        out_.push_back({"", root.header_start, root.body_start, root.body_end, root.body_start});
        message_body(0, "");
        return std::move(out_);
    }

  private:
    // The parts of the message rooted at `root`: its body parts are prefix1, prefix2, ... when
    // it is multipart; otherwise its body is prefix1 (RFC 3501 §6.4.5).
    void message_body(std::uint32_t root, const std::string& prefix) {
        const auto& r = msg_.parts[root];
        if (r.kind == mime::PartKind::multipart) {
            for (std::size_t i = 0; i < r.children.size(); ++i)
                part(r.children[i], prefix + std::to_string(i + 1));
        } else {
            part(root, prefix + "1");
        }
    }

    void part(std::uint32_t index, const std::string& section) {
        const auto& p = msg_.parts[index];
        MimePart mp{section, p.header_start, p.body_start, p.body_end, 0};
        const bool enclosed = p.kind == mime::PartKind::message && !p.children.empty();
        if (enclosed)
            mp.text_start = msg_.parts[p.children.front()].body_start;
        out_.push_back(std::move(mp));
        if (p.kind == mime::PartKind::multipart) {
            for (std::size_t i = 0; i < p.children.size(); ++i)
                part(p.children[i], section + "." + std::to_string(i + 1));
        } else if (enclosed) {
            message_body(p.children.front(), section + ".");
        }
    }

    const mime::ParsedMessage& msg_;
    std::vector<MimePart> out_;
};

// The Latin-1 letters (and a few signs) HTML mail names most often.
std::uint32_t named_entity(std::string_view name) {
    static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
        {"Agrave", 192}, {"Aacute", 193}, {"Acirc", 194},  {"Atilde", 195},  {"Auml", 196},
        {"Aring", 197},  {"AElig", 198},  {"Ccedil", 199}, {"Egrave", 200},  {"Eacute", 201},
        {"Ecirc", 202},  {"Euml", 203},   {"Igrave", 204}, {"Iacute", 205},  {"Icirc", 206},
        {"Iuml", 207},   {"Ntilde", 209}, {"Ograve", 210}, {"Oacute", 211},  {"Ocirc", 212},
        {"Otilde", 213}, {"Ouml", 214},   {"Oslash", 216}, {"Ugrave", 217},  {"Uacute", 218},
        {"Ucirc", 219},  {"Uuml", 220},   {"Yacute", 221}, {"szlig", 223},   {"agrave", 224},
        {"aacute", 225}, {"acirc", 226},  {"atilde", 227}, {"auml", 228},    {"aring", 229},
        {"aelig", 230},  {"ccedil", 231}, {"egrave", 232}, {"eacute", 233},  {"ecirc", 234},
        {"euml", 235},   {"igrave", 236}, {"iacute", 237}, {"icirc", 238},   {"iuml", 239},
        {"ntilde", 241}, {"ograve", 242}, {"oacute", 243}, {"ocirc", 244},   {"otilde", 245},
        {"ouml", 246},   {"oslash", 248}, {"ugrave", 249}, {"uacute", 250},  {"ucirc", 251},
        {"uuml", 252},   {"yacute", 253}, {"yuml", 255},   {"copy", 169},    {"reg", 174},
        {"euro", 8364},  {"mdash", 8212}, {"ndash", 8211}, {"hellip", 8230},
    };
    for (auto& [n, cp] : kNames)
        if (n == name)
            return cp;
    return 0;
}

}  // namespace

MessageAnalysis MimeAnalyzer::analyze(std::string_view raw) {
    mime::TextCollector collector(max_text_);
    mime::MessageParser parser(limits_, &collector);
    parser.feed(raw);
    mime::ParsedMessage msg = parser.finish();

    MessageAnalysis a;
    a.header_size = msg.root().body_start;
    auto structure = mime::build_structure(msg);
    a.bodystructure = mime::encode_structure(structure);
    mime::MessageStructure env;
    env.size = structure.size;
    if (!structure.envelopes.empty())
        env.envelopes.push_back(structure.envelopes.front());
    a.envelope = mime::encode_structure(env);

    auto keys = mime::build_sort_keys(msg);
    a.sort.date = keys.sent_date.value_or(0);
    a.sort.subject_base = std::move(keys.base_subject);
    a.sort.from = std::move(keys.from_mailbox);
    a.sort.to = std::move(keys.to_mailbox);
    a.sort.cc = std::move(keys.cc_mailbox);
    a.sort.display_from = std::move(keys.display_from);
    a.sort.display_to = std::move(keys.display_to);
    a.message_id = std::move(keys.message_id);
    a.references = std::move(keys.references);

    for (const auto& h : msg.headers_of(0)) {
        auto name = to_lower(h.name);
        auto value = is_address_field(name) ? address_text(h.raw_value)
                                            : mime::decode_unstructured(h.raw_value);
        a.headers.emplace_back(std::move(name), std::move(value));
    }

    // Text of every text leaf, in document order, within the per-message cap.
    for (const auto& t : collector.texts()) {
        if (a.body_text.size() >= max_text_)
            break;
        const auto& part = msg.parts[t.part];
        std::string text = part.content_type.subtype == "html" ? html_text(t.text) : t.text;
        if (!a.body_text.empty())
            a.body_text += '\n';
        a.body_text += utf8_prefix(text, max_text_ - std::min(max_text_, a.body_text.size()));
    }

    a.parts = SectionTable(msg).build();
    return a;
}

std::string html_text(std::string_view html) {
    std::string out;
    out.reserve(html.size() / 2);
    std::size_t i = 0;
    auto skip_to = [&](std::string_view end_tag) {
        // Content of <script>/<style> is not text; the end tag is matched without case.
        while (i < html.size()) {
            auto lt = html.find("</", i);
            if (lt == std::string_view::npos) {
                i = html.size();
                return;
            }
            if (istarts_with(html.substr(lt + 2), end_tag)) {
                i = lt;
                return;
            }
            i = lt + 2;
        }
    };
    while (i < html.size()) {
        char c = html[i];
        if (c == '<') {
            if (html.substr(i, 4) == "<!--") {
                auto end = html.find("-->", i + 4);
                i = end == std::string_view::npos ? html.size() : end + 3;
                continue;
            }
            auto end = html.find('>', i + 1);
            std::string_view tag =
                html.substr(i + 1, (end == std::string_view::npos ? html.size() : end) - i - 1);
            i = end == std::string_view::npos ? html.size() : end + 1;
            if (istarts_with(tag, "script"))
                skip_to("script");
            else if (istarts_with(tag, "style"))
                skip_to("style");
            // Tags separate words ("<td>a</td><td>b</td>" is two words).
            if (!out.empty() && out.back() != ' ')
                out += ' ';
            continue;
        }
        if (c == '&') {
            auto semi = html.find(';', i + 1);
            if (semi != std::string_view::npos && semi - i <= 10) {
                std::string_view ent = html.substr(i + 1, semi - i - 1);
                std::uint32_t cp = 0;
                if (ent == "amp")
                    cp = '&';
                else if (ent == "lt")
                    cp = '<';
                else if (ent == "gt")
                    cp = '>';
                else if (ent == "quot")
                    cp = '"';
                else if (ent == "apos")
                    cp = '\'';
                else if (ent == "nbsp")
                    cp = ' ';
                else if (ent.size() > 1 && ent[0] == '#') {
                    bool hex = ent[1] == 'x' || ent[1] == 'X';
                    for (char d : ent.substr(hex ? 2 : 1)) {
                        int v = -1;
                        if (d >= '0' && d <= '9')
                            v = d - '0';
                        else if (hex && d >= 'a' && d <= 'f')
                            v = d - 'a' + 10;
                        else if (hex && d >= 'A' && d <= 'F')
                            v = d - 'A' + 10;
                        if (v < 0 || cp > 0x10FFFF) {
                            cp = 0;
                            break;
                        }
                        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
                    }
                } else {
                    cp = named_entity(ent);
                }
                if (cp && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                    if (cp < 0x80) {
                        out += static_cast<char>(cp);
                    } else if (cp < 0x800) {
                        out += static_cast<char>(0xC0 | (cp >> 6));
                        out += static_cast<char>(0x80 | (cp & 0x3F));
                    } else if (cp < 0x10000) {
                        out += static_cast<char>(0xE0 | (cp >> 12));
                        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                        out += static_cast<char>(0x80 | (cp & 0x3F));
                    } else {
                        out += static_cast<char>(0xF0 | (cp >> 18));
                        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                        out += static_cast<char>(0x80 | (cp & 0x3F));
                    }
                    i = semi + 1;
                    continue;
                }
            }
        }
        out += c;
        ++i;
    }
    return out;
}

}  // namespace postern::store
