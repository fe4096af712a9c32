// Milter modifications applied to a message and its envelope (sendmail's milter.c semantics).
#include "filter/milter/modify.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::filter::milter {

namespace {

struct Field {
    std::string name;  // as written
    std::string text;  // the whole field with continuation lines and CRLFs
};

// Splits `raw` into header fields and the body (what follows the empty line).
void split(std::string_view raw, std::vector<Field>& fields, std::string& body) {
    std::size_t pos = 0;
    while (pos < raw.size()) {
        auto eol = raw.find('\n', pos);
        auto end = eol == std::string_view::npos ? raw.size() : eol + 1;
        auto line = raw.substr(pos, end - pos);
        auto content = line;
        while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
            content.remove_suffix(1);
        if (content.empty()) {
            body = std::string(raw.substr(end));
            return;
        }
        std::string text(line);
        if (!text.ends_with('\n'))
            text += "\r\n";
        if ((content.front() == ' ' || content.front() == '\t') && !fields.empty()) {
            fields.back().text += text;
        } else {
            auto colon = content.find(':');
            if (colon == std::string_view::npos) {
                body = std::string(raw.substr(pos));
                return;
            }
            fields.push_back(Field{std::string(trim(content.substr(0, colon))), std::move(text)});
        }
        pos = end;
    }
}

}  // namespace

std::string fold_crlf(std::string_view v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\r')
            continue;
        if (v[i] == '\n') {
            out += "\r\n";
            if (i + 1 >= v.size() || (v[i + 1] != ' ' && v[i + 1] != '\t'))
                out += '\t';
            continue;
        }
        out += v[i];
    }
    return out;
}

namespace {

std::string make_field(std::string_view name, std::string_view value, bool leading_space) {
    std::string f(name);
    f += ':';
    if (!leading_space)
        f += ' ';
    f += fold_crlf(value);
    f += "\r\n";
    return f;
}

// Bare LF (and lone CR) become CRLF.
std::string crlf_body(std::string_view b) {
    std::string out;
    out.reserve(b.size() + b.size() / 32);
    for (std::size_t i = 0; i < b.size(); ++i) {
        char c = b[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < b.size() && b[i + 1] == '\n')
                ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

bool allowed(char code, std::uint32_t actions) {
    switch (code) {
        case reply::addheader:
        case reply::insheader:
            return actions & action::addhdrs;
        case reply::chgheader:
            return actions & action::chghdrs;
        case reply::replbody:
            return actions & action::chgbody;
        case reply::addrcpt:
            return actions & action::addrcpt;
        case reply::addrcpt_par:
            return actions & action::addrcpt_par;
        case reply::delrcpt:
            return actions & action::delrcpt;
        case reply::chgfrom:
            return actions & action::chgfrom;
        case reply::quarantine:
            return actions & action::quarantine;
        default:
            return false;
    }
}

std::string label(char code) {
    switch (code) {
        case reply::addheader:
            return "ADDHEADER";
        case reply::insheader:
            return "INSHEADER";
        case reply::chgheader:
            return "CHGHEADER";
        case reply::replbody:
            return "REPLBODY";
        case reply::addrcpt:
            return "ADDRCPT";
        case reply::addrcpt_par:
            return "ADDRCPT_PAR";
        case reply::delrcpt:
            return "DELRCPT";
        case reply::chgfrom:
            return "CHGFROM";
        case reply::quarantine:
            return "QUARANTINE";
        default:
            return "?";
    }
}

}  // namespace

std::optional<std::string> bare_address(std::string_view text) {
    auto t = trim(text);
    if (t.size() >= 2 && t.front() == '<' && t.back() == '>')
        t = t.substr(1, t.size() - 2);
    if (t.size() > 512)
        return std::nullopt;
    for (char c : t) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '<' || c == '>')
            return std::nullopt;
    }
    return std::string(t);
}

EditResult apply_modifications(std::string& raw, MilterEnvelope& envelope,
                               std::span<const Modification> mods, std::uint32_t actions,
                               bool leading_space) {
    EditResult result;
    std::vector<Field> fields;
    std::string body;
    bool parsed = false;
    auto parse = [&] {
        if (!parsed) {
            split(raw, fields, body);
            parsed = true;
        }
    };
    for (auto& m : mods) {
        if (!allowed(m.code, actions)) {
            result.ignored.push_back(label(m.code) + " (not negotiated)");
            continue;
        }
        switch (m.code) {
            case reply::addheader:
                parse();
                fields.push_back(Field{m.name, make_field(m.name, m.value, leading_space)});
                result.message_changed = true;
                break;
            case reply::insheader: {
                parse();
                auto at = std::min<std::size_t>(m.index, fields.size());
                fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(at),
                              Field{m.name, make_field(m.name, m.value, leading_space)});
                result.message_changed = true;
                break;
            }
            case reply::chgheader: {
                parse();
                std::uint32_t wanted = std::max<std::uint32_t>(m.index, 1);
                std::uint32_t seen = 0;
                auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) {
                    return iequals(f.name, m.name) && ++seen == wanted;
                });
                if (it != fields.end()) {
                    if (m.value.empty())
                        fields.erase(it);
                    else
                        it->text = make_field(it->name, m.value, leading_space);
                    result.message_changed = true;
                } else if (!m.value.empty()) {
                    fields.push_back(Field{m.name, make_field(m.name, m.value, leading_space)});
                    result.message_changed = true;
                }
                break;
            }
            case reply::replbody:
                parse();
                body = crlf_body(m.value);
                result.message_changed = true;
                break;
            case reply::addrcpt:
            case reply::addrcpt_par: {
                auto a = bare_address(m.name);
                if (!a || a->empty()) {
                    result.ignored.push_back(label(m.code) + " " + m.name + " (not an address)");
                    break;
                }
                bool present = std::any_of(envelope.recipients.begin(), envelope.recipients.end(),
                                           [&](const std::string& r) { return iequals(r, *a); });
                if (!present) {
                    envelope.recipients.push_back(*a);
                    envelope.added.push_back(*a);
                    std::erase_if(envelope.removed,
                                  [&](const std::string& r) { return iequals(r, *a); });
                    result.envelope_changed = true;
                }
                break;
            }
            case reply::delrcpt: {
                auto a = bare_address(m.name);
                auto it = a ? std::find_if(envelope.recipients.begin(), envelope.recipients.end(),
                                           [&](const std::string& r) { return iequals(r, *a); })
                            : envelope.recipients.end();
                if (it == envelope.recipients.end()) {
                    result.ignored.push_back("DELRCPT " + m.name + " (not a recipient)");
                    break;
                }
                std::string gone = std::move(*it);
                envelope.recipients.erase(it);
                std::erase_if(envelope.added,
                              [&](const std::string& r) { return iequals(r, gone); });
                envelope.removed.push_back(std::move(gone));
                result.envelope_changed = true;
                break;
            }
            case reply::chgfrom: {
                auto a = bare_address(m.name);
                if (!a) {
                    result.ignored.push_back("CHGFROM " + m.name + " (not an address)");
                    break;
                }
                envelope.sender = *a;
                envelope.sender_args = m.value;
                result.envelope_changed = true;
                break;
            }
            case reply::quarantine:
                result.quarantine = m.name;
                break;
            default:
                break;
        }
    }
    if (result.message_changed) {
        std::string out;
        out.reserve(raw.size() + 256);
        for (auto& f : fields)
            out += f.text;
        out += "\r\n";
        out += body;
        raw = std::move(out);
    }
    return result;
}

}  // namespace postern::filter::milter
