// CSV push parser: RFC 4180 §2 (records, quoted fields, doubled quotes) with CRLF or LF.
#include "directory/csv.h"

namespace postern::directory {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kBomDone = 3;

}  // namespace

void CsvParser::start_record() {
    record_ = CsvRecord{};
    record_.line = line_;
    record_bytes_ = 0;
    field_.clear();
}

void CsvParser::end_field() {
    // A record with too many fields is reported once it ends, like any other bad record.
    if (!record_.error && record_.fields.size() == limits_.max_fields) {
        record_.error = "more than " + std::to_string(limits_.max_fields) + " fields";
    }
    if (!record_.error)
        record_.fields.push_back(std::move(field_));
    field_.clear();
}

void CsvParser::end_record(std::vector<CsvRecord>& out) {
    if (record_.error)
        record_.fields.clear();
    out.push_back(std::move(record_));
    record_ = CsvRecord{};
    field_.clear();
    state_ = State::record_start;
}

void CsvParser::error(std::string why, Skip skip) {
    if (!record_.error)
        record_.error = std::move(why);
    field_.clear();
    record_.fields.clear();
    state_ = skip == Skip::to_line_end ? State::skip_line : State::skip_quoted;
    quote_open_ = false;
}

void CsvParser::feed(std::string_view data, std::vector<CsvRecord>& out) {
    for (char c : data) {
        if (bom_seen_ < kBomDone) {
            if (c == kBom[bom_seen_]) {
                ++bom_seen_;
                continue;
            }
            // Not a BOM after all: the bytes held back are data.
            auto held = kBom.substr(0, bom_seen_);
            bom_seen_ = kBomDone;
            for (char h : held)
                consume(h, out);
        }
        consume(c, out);
    }
}

void CsvParser::consume(char c, std::vector<CsvRecord>& out) {
    if (pending_cr_) {
        pending_cr_ = false;
        if (c != '\n')
            step('\r', out);  // a lone CR is data, not a line end
    }
    if (c == '\r' && (state_ == State::record_start || state_ == State::field_start ||
                      state_ == State::unquoted || state_ == State::quote_in_quoted)) {
        pending_cr_ = true;
        return;
    }
    step(c, out);
    if (c == '\n')
        ++line_;
}

void CsvParser::step(char c, std::vector<CsvRecord>& out) {
    if (state_ == State::record_start) {
        if (c == '\n')
            return;  // blank line
        start_record();
        state_ = State::field_start;
    }
    if (state_ != State::skip_line && ++record_bytes_ > limits_.max_record_bytes) {
        // Quotes cannot be trusted in a record this long (most likely a runaway quote), so
        // resynchronise on the next physical line end.
        error("record longer than " + std::to_string(limits_.max_record_bytes) + " bytes",
              Skip::to_line_end);
    }
    switch (state_) {
        case State::record_start:
            break;
        case State::field_start:
            if (c == '"') {
                state_ = State::quoted;
            } else if (c == ',') {
                end_field();
            } else if (c == '\n') {
                end_field();
                end_record(out);
            } else {
                field_ += c;
                state_ = State::unquoted;
            }
            break;
        case State::unquoted:
            if (c == ',') {
                end_field();
                state_ = State::field_start;
            } else if (c == '\n') {
                end_field();
                end_record(out);
            } else if (c == '"') {
                // Most often a stray quote in a hand-written file: it pairs with nothing, so
                // quotes cannot guide the resynchronisation; the line end can.
                error("quote inside an unquoted field", Skip::to_line_end);
            } else {
                field_ += c;
            }
            break;
        case State::quoted:
            if (c == '"') {
                state_ = State::quote_in_quoted;
            } else {
                field_ += c;
            }
            break;
        case State::quote_in_quoted:
            if (c == '"') {
                field_ += '"';
                state_ = State::quoted;
            } else if (c == ',') {
                end_field();
                state_ = State::field_start;
            } else if (c == '\n') {
                end_field();
                end_record(out);
            } else {
                error("text after a closing quote", Skip::tracking_quotes);
            }
            break;
        case State::skip_quoted:
            if (c == '"') {
                quote_open_ = !quote_open_;
            } else if (c == '\n' && !quote_open_) {
                end_record(out);
            }
            break;
        case State::skip_line:
            if (c == '\n')
                end_record(out);
            break;
    }
}

void CsvParser::finish(std::vector<CsvRecord>& out) {
    if (bom_seen_ < kBomDone) {
        auto held = kBom.substr(0, bom_seen_);
        bom_seen_ = kBomDone;
        for (char h : held)
            consume(h, out);
    }
    // A CR at the very end closes the last line like a line end would.
    pending_cr_ = false;
    switch (state_) {
        case State::record_start:
            break;
        case State::field_start:
        case State::unquoted:
        case State::quote_in_quoted:
            end_field();
            end_record(out);
            break;
        case State::quoted:
            error("unterminated quoted field", Skip::tracking_quotes);
            end_record(out);
            break;
        case State::skip_quoted:
        case State::skip_line:
            end_record(out);
            break;
    }
    state_ = State::record_start;
}

}  // namespace postern::directory
