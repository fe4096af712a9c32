// Header block repair: a line inside the header that is neither a field nor a continuation is
// folded into the previous field when more fields follow (a broken fold), else it starts the
// body (a missing blank line) — the same reading the MIME parser gives it.
#include "services/smtp_in/header_scan.h"

#include "base/strings.h"

namespace postern::services::smtp_in {

bool is_field_name(std::string_view name) {
    if (name.empty()) return false;
    for (unsigned char c : name) {
        if (c <= 32 || c >= 127 || c == ':') return false;
    }
    return true;
}

namespace {

bool starts_field(std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    // Obsolete syntax allows blanks before the colon (RFC 5322 §4.5.8).
    return is_field_name(trim(line.substr(0, colon)));
}

bool is_continuation(std::string_view line) { return !line.empty() && (line[0] == ' ' || line[0] == '\t'); }

}  // namespace

void HeaderScanner::feed(std::string_view in, std::string& out) {
    if (state_ == State::body) {
        out.append(in);
        return;
    }
    if (state_ == State::overflow) return;  // the message is refused; drop the rest
    auto before = block_.size();
    block_.append(in);
    // The header ends at the first empty line; look only at the new bytes (and 3 before them).
    auto from = before >= 3 ? before - 3 : 0;
    auto end = block_.find("\r\n\r\n", from);
    if (block_.starts_with("\r\n")) end = 0;  // no header at all
    if (end == std::string::npos) {
        if (block_.size() > max_) {
            too_large_ = true;
            state_ = State::overflow;
            block_.clear();
            block_.shrink_to_fit();
        }
        return;
    }
    if (end > max_) {
        too_large_ = true;
        state_ = State::overflow;
        block_.clear();
        return;
    }
    auto header_len = end == 0 ? 0 : end + 2;  // through the last field's CRLF
    // close_header() writes the empty line itself: the rest starts after it.
    std::string rest = block_.substr(end == 0 ? 2 : end + 4);
    block_.resize(header_len);
    close_header(out);
    out.append(rest);
}

void HeaderScanner::finish(std::string& out) {
    if (state_ == State::header) {
        if (block_.size() > max_) {
            too_large_ = true;
            state_ = State::overflow;
            return;
        }
        close_header(out);
    }
}

void HeaderScanner::close_header(std::string& out) {
    state_ = State::body;
    std::vector<std::string_view> lines;
    std::string_view all(block_);
    while (!all.empty()) {
        auto eol = all.find("\r\n");
        if (eol == std::string_view::npos) {
            lines.push_back(all);
            break;
        }
        lines.push_back(all.substr(0, eol));
        all.remove_prefix(eol + 2);
    }
    std::size_t body_from = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto line = lines[i];
        if (is_continuation(line) && !fields_.empty()) {
            fields_.back().second += " ";
            fields_.back().second += std::string(trim(line));
            out.append(line).append("\r\n");
            continue;
        }
        if (starts_field(line)) {
            auto colon = line.find(':');
            fields_.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
            if (iequals(fields_.back().first, "Received")) ++received_;
            out.append(line).append("\r\n");
            continue;
        }
        bool field_follows = false;
        for (std::size_t k = i + 1; k < lines.size() && !field_follows; ++k) field_follows = starts_field(lines[k]);
        if (field_follows && !fields_.empty()) {
            ++repaired_;
            fields_.back().second += " ";
            fields_.back().second += std::string(trim(line));
            out.append(" ").append(line).append("\r\n");
            continue;
        }
        // Not a header line and no field after it: the body starts here (the blank line was
        // missing). Insert it so every reader agrees where the header ends.
        if (i > 0) ++repaired_;
        body_from = i;
        break;
    }
    out.append("\r\n");
    for (std::size_t i = body_from; i < lines.size(); ++i) out.append(lines[i]).append("\r\n");
    block_.clear();
    block_.shrink_to_fit();
}

std::string HeaderScanner::first(std::string_view name) const {
    for (auto& [n, v] : fields_) {
        if (iequals(n, name)) return v;
    }
    return "";
}

}  // namespace postern::services::smtp_in
