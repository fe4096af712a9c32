// RFC 5256 §2.1 base subject extraction (subj-trailer, subj-leader, subj-blob, subj-fwd).
#include "mime/subject.h"

#include "base/strings.h"
#include "mime/header_text.h"

namespace postern::mime {
namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Step (1): tabs and continuations to spaces, runs of spaces to one.
std::string collapse(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : s) {
        if (is_wsp(c) || c == '\r' || c == '\n') {
            space = true;
            continue;
        }
        if (space && !out.empty())
            out += ' ';
        space = false;
        out += c;
    }
    if (space)
        out += ' ';
    return out;
}

// Length of subj-blob ("[" *BLOBCHAR "]" *WSP) at s[p], or 0.
std::size_t blob_at(std::string_view s, std::size_t p) {
    if (p >= s.size() || s[p] != '[')
        return 0;
    std::size_t q = p + 1;
    while (q < s.size() && s[q] != '[' && s[q] != ']')
        ++q;
    if (q >= s.size() || s[q] != ']')
        return 0;
    ++q;
    while (q < s.size() && is_wsp(s[q]))
        ++q;
    return q - p;
}

// Length of subj-refwd (("re" / ("fw" ["d"])) *WSP [subj-blob] ":") at s[p], or 0.
std::size_t refwd_at(std::string_view s, std::size_t p) {
    std::size_t q = p;
    if (istarts_with(s.substr(q), "re")) {
        q += 2;
    } else if (istarts_with(s.substr(q), "fwd")) {
        q += 3;
    } else if (istarts_with(s.substr(q), "fw")) {
        q += 2;
    } else {
        return 0;
    }
    while (q < s.size() && is_wsp(s[q]))
        ++q;
    q += blob_at(s, q);
    if (q >= s.size() || s[q] != ':')
        return 0;
    return q + 1 - p;
}

bool has_non_wsp(std::string_view s) {
    for (char c : s) {
        if (!is_wsp(c))
            return true;
    }
    return false;
}

}  // namespace

BaseSubject base_subject(std::string_view raw_subject) {
    BaseSubject out;
    std::string s = collapse(decode_unstructured(raw_subject));
    while (true) {
        // (2) trailers: "(fwd)" and whitespace.
        while (true) {
            if (!s.empty() && is_wsp(s.back())) {
                s.pop_back();
            } else if (s.size() >= 5 &&
                       iequals(std::string_view(s).substr(s.size() - 5), "(fwd)")) {
                s.resize(s.size() - 5);
                out.reply_or_forward = true;
            } else {
                break;
            }
        }
        // (3)-(5) leaders and blobs.
        bool changed = true;
        while (changed) {
            changed = false;
            if (!s.empty() && is_wsp(s.front())) {
                s.erase(0, 1);
                changed = true;
                continue;
            }
            std::size_t p = 0;
            while (std::size_t b = blob_at(s, p))
                p += b;
            if (std::size_t r = refwd_at(s, p)) {
                s.erase(0, p + r);
                out.reply_or_forward = true;
                changed = true;
                continue;
            }
            if (std::size_t b = blob_at(s, 0); b && has_non_wsp(std::string_view(s).substr(b))) {
                s.erase(0, b);
                changed = true;
            }
        }
        // (6) "[fwd: ...]" wrapper.
        if (s.size() >= 6 && istarts_with(s, "[fwd:") && s.back() == ']') {
            s = s.substr(5, s.size() - 6);
            out.reply_or_forward = true;
            continue;
        }
        break;
    }
    out.text = std::move(s);
    return out;
}

}  // namespace postern::mime
