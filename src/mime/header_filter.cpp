// Header field removal (RFC 5322 §2.2.3 unfolding rules decide what a field's lines are).
#include "mime/header_filter.h"

#include "base/strings.h"

namespace postern::mime {

HeaderFieldFilter::HeaderFieldFilter(std::vector<std::string> names, std::size_t max_line)
    : names_(std::move(names)), max_line_(max_line) {
    if (names_.empty())
        state_ = State::body;
}

bool HeaderFieldFilter::drop(std::string_view l) const {
    auto colon = l.find(':');
    if (colon == std::string_view::npos)
        return false;
    auto name = l.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    for (auto& n : names_)
        if (iequals(name, n))
            return true;
    return false;
}

void HeaderFieldFilter::line(std::string_view l, std::string& out) {
    // `l` includes its line end.
    std::string_view content = l;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
        content.remove_suffix(1);
    if (content.empty()) {
        state_ = State::body;
        out.append(l);
        return;
    }
    if (content.front() == ' ' || content.front() == '\t') {
        if (!dropping_)
            out.append(l);
        return;
    }
    dropping_ = drop(content);
    if (!dropping_)
        out.append(l);
}

void HeaderFieldFilter::feed(std::string_view chunk, std::string& out) {
    if (state_ == State::body) {
        out.append(chunk);
        return;
    }
    while (!chunk.empty() && state_ == State::header) {
        auto eol = chunk.find('\n');
        if (eol == std::string_view::npos) {
            partial_.append(chunk);
            if (partial_.size() > max_line_) {
                state_ = State::body;  // give up filtering: pass the rest unchanged
                out.append(partial_);
                partial_.clear();
            }
            return;
        }
        if (partial_.empty()) {
            line(chunk.substr(0, eol + 1), out);
        } else {
            partial_.append(chunk.substr(0, eol + 1));
            line(partial_, out);
            partial_.clear();
        }
        chunk.remove_prefix(eol + 1);
    }
    out.append(chunk);
}

void HeaderFieldFilter::finish(std::string& out) {
    if (!partial_.empty()) {
        if (state_ == State::header) {
            line(partial_, out);
        } else {
            out.append(partial_);
        }
        partial_.clear();
    }
    state_ = State::body;
}

std::vector<std::string> present_header_fields(std::string_view raw,
                                               const std::vector<std::string>& names) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < raw.size() && out.size() < names.size()) {
        auto eol = raw.find('\n', pos);
        auto line = raw.substr(pos, eol == std::string_view::npos ? raw.size() - pos : eol - pos);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            break;
        auto colon = line.find(':');
        if (line.front() != ' ' && line.front() != '\t' && colon != std::string_view::npos) {
            auto name = line.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
                name.remove_suffix(1);
            for (auto& n : names) {
                if (iequals(name, n)) {
                    bool seen = false;
                    for (auto& o : out)
                        seen = seen || iequals(o, n);
                    if (!seen)
                        out.push_back(n);
                }
            }
        }
        if (eol == std::string_view::npos)
            break;
        pos = eol + 1;
    }
    return out;
}

std::string strip_header_fields(std::string_view raw, const std::vector<std::string>& names) {
    HeaderFieldFilter f(names);
    std::string out;
    out.reserve(raw.size());
    f.feed(raw, out);
    f.finish(out);
    return out;
}

std::string with_body(std::string_view raw, std::string_view body) {
    std::string_view header;
    if (!raw.starts_with("\r\n")) {
        auto end = raw.find("\r\n\r\n");
        header = end == std::string_view::npos ? raw : raw.substr(0, end + 2);
    }
    std::string out;
    out.reserve(header.size() + body.size() + 4);
    out += header;
    if (!header.empty() && !header.ends_with("\r\n"))
        out += "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

}  // namespace postern::mime
