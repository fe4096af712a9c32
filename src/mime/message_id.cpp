// Message-ID / In-Reply-To / References parsing (RFC 5322 §3.6.4, §4.5.4).
#include "mime/message_id.h"

namespace postern::mime {
namespace {

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Copies `s` without comments; quoted strings are kept intact.
std::string strip_comments(std::string_view s) {
    std::string out;
    int depth = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (depth > 0) {
            if (c == '\\') {
                ++i;
            } else if (c == '(') {
                ++depth;
            } else if (c == ')') {
                --depth;
            }
            continue;
        }
        if (quoted) {
            out += c;
            if (c == '\\' && i + 1 < s.size()) {
                out += s[++i];
            } else if (c == '"') {
                quoted = false;
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
        } else if (c == '(') {
            depth = 1;
            out += ' ';
            continue;
        }
        out += c;
    }
    return out;
}

std::string without_space(std::string_view s) {
    std::string out;
    bool quoted = false;
    for (char c : s) {
        if (c == '"')
            quoted = !quoted;
        if (!quoted && is_fws(c))
            continue;
        out += c;
    }
    return out;
}

}  // namespace

std::vector<std::string> parse_message_ids(std::string_view raw_value) {
    std::string text = strip_comments(raw_value);
    std::vector<std::string> ids;
    if (text.find('<') == std::string::npos) {
        std::size_t i = 0;
        while (i < text.size()) {
            while (i < text.size() && is_fws(text[i]))
                ++i;
            std::size_t start = i;
            while (i < text.size() && !is_fws(text[i]))
                ++i;
            if (i > start)
                ids.push_back(text.substr(start, i - start));
        }
        return ids;
    }
    std::size_t i = 0;
    while ((i = text.find('<', i)) != std::string::npos) {
        std::size_t close = text.find('>', i + 1);
        std::size_t next_open = text.find('<', i + 1);
        if (close == std::string::npos)
            close = text.size();
        if (next_open < close) {
            i = next_open;  // "<junk <id>": the inner '<' starts the id
            continue;
        }
        std::string id = without_space(std::string_view(text).substr(i + 1, close - i - 1));
        if (!id.empty())
            ids.push_back(std::move(id));
        i = close;
    }
    return ids;
}

}  // namespace postern::mime
