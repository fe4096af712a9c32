// Streaming message parser: RFC 5322 §2.1-§2.2 header fields and folding, RFC 2045 §5.2
// defaults, RFC 2046 §5.1.1 boundary delimiters (longest active boundary wins, anything after
// the boundary on its line is ignored), §5.1.5 digest defaults, §5.2.1 message/rfc822
// nesting, and RFC 6532 §3.7 message/global.
#include "mime/parser.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/strings.h"

namespace postern::mime {
namespace {

// RFC 2046 allows 70 characters; a boundary that cannot fit on a 998-character line (RFC 5322
// §2.1.1) is unusable. This also bounds the look-ahead at a line start.
constexpr std::size_t kMaxBoundary = 994;
// A header field name longer than this is not a field name: the line starts the body.
constexpr std::size_t kMaxNameScan = 998;
// A non-field line in a header is held until the next line shows whether it was a broken
// fold; a line longer than this is taken as body text straight away.
constexpr std::size_t kMaxFoldLine = 998;
constexpr std::uint64_t kNever = static_cast<std::uint64_t>(-1);

// RFC 5322 ftext, plus 8-bit bytes: a damaged name byte should not end the header.
bool is_name_char(unsigned char c) {
    return (c >= 33 && c <= 126 && c != ':') || c >= 0x80;
}

}  // namespace

class MessageParser::Impl {
  public:
    Impl(const Limits& limits, BodySink* sink) : limits_(limits), sink_(sink) {
        Part root;
        root.content_type = ContentType{"text", "plain", {}};
        msg_.parts.push_back(std::move(root));
        lf_at_body_start_.push_back(0);
        stack_.push_back(Frame{0});
    }

    void feed(std::string_view bytes) {
        if (tail_.empty()) {
            data_ = bytes;
        } else {
            tail_.append(bytes);
            data_ = tail_;
        }
        pos_ = 0;
        run();
        std::string rest(data_.substr(pos_));
        base_ += pos_;
        tail_ = std::move(rest);
        data_ = {};
        pos_ = 0;
    }

    ParsedMessage finish() {
        eof_ = true;
        data_ = tail_;
        pos_ = 0;
        run();
        const std::uint64_t size = base_ + data_.size();
        // A delimiter line with nothing after it opens no part: it is a damaged close
        // delimiter far more often than an empty body part.
        pending_child_ = kNoPart;
        open_child_ = kNoPart;
        if (pending_epilogue_ != kNoPart) {
            msg_.parts[pending_epilogue_].epilogue_start = size;
            pending_epilogue_ = kNoPart;
        }
        if (line_ != Line::none) {
            msg_.longest_line = std::max(msg_.longest_line, size - line_start_);
        }
        while (!stack_.empty())
            close_top(size, lf_total_, false);
        flush_withheld();
        msg_.size = size;
        return std::move(msg_);
    }

  private:
    enum class Line { none, field, skip, blank, body, delimiter };
    enum class Match { need_more, yes, no };
    enum class Mp { preamble, child, epilogue };

    struct Frame {
        std::uint32_t part;
        bool in_header = true;
        bool seen_content_type = false;
        bool seen_encoding = false;
        std::string boundary;  // non-empty for an open multipart
        Mp mp = Mp::preamble;
    };

    Part& part(std::uint32_t i) { return msg_.parts[i]; }
    Frame& top() { return stack_.back(); }
    std::uint64_t abs(std::size_t i) const { return base_ + i; }

    void run() {
        while (true) {
            if (line_ == Line::none) {
                if (pos_ >= data_.size())
                    return;
                if (!start_line())
                    return;
                continue;
            }
            if (pos_ >= data_.size())
                return;
            if (line_ == Line::body) {
                consume_body();
            } else {
                consume_line();
            }
        }
    }

    // ---- line classification -------------------------------------------------------------

    bool start_line() {
        line_start_ = abs(pos_);
        if (open_child_ != kNoPart)
            open_child();
        if (max_boundary_ > 0 && data_[pos_] == '-') {
            std::size_t frame = 0;
            bool close = false;
            switch (match_delimiter(frame, close)) {
                case Match::need_more:
                    return false;
                case Match::yes:
                    on_delimiter(frame, close);
                    line_ = Line::delimiter;
                    return true;
                case Match::no:
                    break;
            }
        }
        if (top().in_header)
            return start_header_line();
        line_ = Line::body;
        return true;
    }

    Match match_delimiter(std::size_t& frame, bool& close) {
        const std::size_t need = 2 + max_boundary_ + 2;
        const std::size_t avail = data_.size() - pos_;
        std::size_t len = std::min(avail, need);
        const void* lf = std::memchr(data_.data() + pos_, '\n', len);
        if (lf != nullptr) {
            len = static_cast<std::size_t>(static_cast<const char*>(lf) - (data_.data() + pos_));
        } else if (avail < need && !eof_) {
            return Match::need_more;
        }
        std::string_view head = data_.substr(pos_, len);
        if (!head.starts_with("--"))
            return Match::no;
        std::string_view candidate = head.substr(2);
        std::size_t best = 0;
        bool found = false;
        for (std::size_t k = stack_.size(); k-- > 0;) {
            const Frame& f = stack_[k];
            if (f.boundary.empty() || f.mp == Mp::epilogue)
                continue;
            if (f.boundary.size() > best && candidate.starts_with(f.boundary)) {
                best = f.boundary.size();
                frame = k;
                found = true;
            }
        }
        if (!found)
            return Match::no;
        close = candidate.substr(best).starts_with("--");
        return Match::yes;
    }

    bool start_header_line() {
        const std::size_t avail = data_.size() - pos_;
        char c = data_[pos_];
        if (c == ' ' || c == '\t') {
            if (field_pending_) {
                line_ = Line::field;
            } else {
                part(top().part).flags |= part_flag::junk_header_line;
                line_ = Line::skip;
            }
            return true;
        }
        if (c == '\r' && avail < 2 && !eof_)
            return false;
        if (c == '\n' || (c == '\r' && avail >= 2 && data_[pos_ + 1] == '\n')) {
            commit_field();
            line_ = Line::blank;
            return true;
        }
        std::size_t name_len = 0, colon = 0;
        switch (field_line_at(pos_, name_len, colon)) {
            case Match::need_more:
                return false;
            case Match::yes:
                commit_field();
                start_field(name_len, colon);
                line_ = Line::field;
                return true;
            case Match::no:
                break;
        }
        // Neither a field nor a blank line. Followed by a field, it is a continuation that lost
        // its indentation (a broken fold); otherwise the header ended without its blank line
        // and this line is the first of the body.
        const std::size_t avail_line = std::min(avail, kMaxFoldLine);
        const void* lf = std::memchr(data_.data() + pos_, '\n', avail_line);
        Match next = Match::no;
        if (lf != nullptr) {
            std::size_t q =
                static_cast<std::size_t>(static_cast<const char*>(lf) - data_.data()) + 1;
            if (q >= data_.size()) {
                next = eof_ ? Match::no : Match::need_more;
            } else {
                next = field_line_at(q, name_len, colon);
            }
        } else if (!eof_ && avail < kMaxFoldLine) {
            next = Match::need_more;
        }
        if (next == Match::need_more)
            return false;
        if (next == Match::yes) {
            part(top().part).flags |= part_flag::unindented_continuation;
            line_ = field_pending_ ? Line::field : Line::skip;
            return true;
        }
        commit_field();
        part(top().part).flags |= part_flag::missing_blank_line;
        end_header(line_start_);
        return true;  // the same line is classified again in its new context
    }

    // Does the line at data_[at] start with "name:" (optional whitespace before the colon)?
    Match field_line_at(std::size_t at, std::size_t& name_len, std::size_t& colon) const {
        std::size_t i = at;
        const std::size_t scan_end = std::min(data_.size(), at + kMaxNameScan);
        while (i < scan_end && is_name_char(static_cast<unsigned char>(data_[i])))
            ++i;
        std::size_t j = i;
        while (j < scan_end && (data_[j] == ' ' || data_[j] == '\t'))
            ++j;
        if (j >= scan_end && scan_end == data_.size() && !eof_ && scan_end - at < kMaxNameScan) {
            return Match::need_more;
        }
        // The colon must sit inside the scanned window whatever the chunking: deciding on bytes
        // beyond it would make the result depend on how much data happened to be buffered.
        if (i > at && j < scan_end && data_[j] == ':') {
            name_len = i - at;
            colon = j - at;
            return Match::yes;
        }
        return Match::no;
    }

    // ---- consuming lines -----------------------------------------------------------------

    void note_line_end(std::size_t lf_index) {
        ++lf_total_;
        std::uint64_t lf_abs = abs(lf_index);
        bool cr = lf_index > pos_line_begin_ ? data_[lf_index - 1] == '\r' : prev_byte_ == '\r';
        term_start_ = cr ? lf_abs - 1 : lf_abs;
        term_end_ = lf_abs + 1;
        msg_.longest_line = std::max(msg_.longest_line, term_end_ - line_start_);
    }

    void consume_line() {
        pos_line_begin_ = pos_;
        const void* lf = std::memchr(data_.data() + pos_, '\n', data_.size() - pos_);
        std::size_t end =
            lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - data_.data()) + 1
               : data_.size();
        std::string_view bytes = data_.substr(pos_, end - pos_);
        if (line_ == Line::field) {
            append_field(bytes);
        } else if (line_ == Line::skip) {
            note_header_bytes(bytes);
        }
        if (lf)
            note_line_end(end - 1);
        prev_byte_ = bytes.back();
        pos_ = end;
        if (!lf)
            return;
        Line done = line_;
        line_ = Line::none;
        switch (done) {
            case Line::field:
                field_end_ = term_end_;
                break;
            case Line::blank:
                end_header(term_end_);
                break;
            case Line::delimiter:
                after_delimiter_line(term_end_);
                break;
            default:
                break;
        }
    }

    // Body lines in bulk: stops only where a delimiter could start or the data ends.
    void consume_body() {
        const std::size_t n = data_.size();
        const bool watch = max_boundary_ > 0;
        std::size_t i = pos_;
        pos_line_begin_ = pos_;
        while (true) {
            const void* lf = std::memchr(data_.data() + i, '\n', n - i);
            if (!lf) {
                i = n;
                break;
            }
            std::size_t lfi = static_cast<std::size_t>(static_cast<const char*>(lf) - data_.data());
            note_line_end(lfi);
            i = lfi + 1;
            line_start_ = abs(i);
            if (i >= n || (watch && data_[i] == '-')) {
                line_ = Line::none;
                break;
            }
        }
        emit(data_.substr(pos_, i - pos_), watch);
        prev_byte_ = data_[i - 1];
        pos_ = i;
    }

    // ---- header fields -------------------------------------------------------------------

    void start_field(std::size_t name_len, std::size_t colon) {
        field_.clear();
        field_pending_ = true;
        field_name_len_ = name_len;
        field_colon_ = colon;
        field_offset_ = line_start_;
        field_value_offset_ = line_start_ + colon + 1;
        field_end_ = line_start_;
        field_record_ =
            header_count_ < limits_.max_header_count && header_bytes_ < limits_.max_header_bytes;
        if (!field_record_)
            part(top().part).flags |= part_flag::header_limit;
    }

    void note_header_bytes(std::string_view bytes) {
        Part& p = part(top().part);
        for (unsigned char c : bytes) {
            if (c >= 0x80)
                p.flags |= part_flag::eight_bit_header;
            if (c == 0)
                p.flags |= part_flag::nul_in_header;
        }
    }

    void append_field(std::string_view bytes) {
        note_header_bytes(bytes);
        if (!field_record_)
            return;
        std::size_t room_total = limits_.max_header_bytes - header_bytes_;
        std::size_t cap = std::min(limits_.max_line_length, room_total);
        if (field_.size() + bytes.size() > cap) {
            std::size_t room = cap > field_.size() ? cap - field_.size() : 0;
            field_.append(bytes.substr(0, room));
            part(top().part).flags |= part_flag::field_truncated;
            return;
        }
        field_.append(bytes);
    }

    void commit_field() {
        if (!field_pending_)
            return;
        field_pending_ = false;
        if (!field_record_ || field_.size() <= field_colon_) {
            field_.clear();
            return;
        }
        std::string_view raw = field_;
        if (raw.ends_with('\n'))
            raw.remove_suffix(1);
        if (raw.ends_with('\r'))
            raw.remove_suffix(1);
        HeaderField hf;
        hf.name = std::string(raw.substr(0, field_name_len_));
        hf.raw_value = std::string(raw.substr(field_colon_ + 1));
        hf.offset = field_offset_;
        hf.value_offset = field_value_offset_;
        hf.end = field_end_;
        header_bytes_ += field_.size();
        ++header_count_;
        Frame& f = top();
        Part& p = part(f.part);
        if (!f.seen_content_type && hf.is("Content-Type")) {
            f.seen_content_type = true;
            auto ct = parse_content_type(hf.raw_value);
            if (ct && !ct->subtype.empty()) {
                p.content_type = std::move(*ct);
                p.has_content_type = true;
            } else {
                p.flags |= part_flag::invalid_content_type;
            }
        } else if (!f.seen_encoding && hf.is("Content-Transfer-Encoding")) {
            f.seen_encoding = true;
            p.encoding = parse_transfer_encoding(hf.raw_value);
        }
        msg_.headers.push_back(std::move(hf));
        ++p.header_count;
        field_.clear();
    }

    // ---- structure -----------------------------------------------------------------------

    // The header of the top part ends; its body starts at `body_start`.
    void end_header(std::uint64_t body_start) {
        commit_field();
        Frame& f = top();
        f.in_header = false;
        const std::uint32_t index = f.part;
        Part& p = part(index);
        p.body_start = body_start;
        lf_at_body_start_[index] = lf_total_;
        const ContentType& ct = p.content_type;
        if (ct.type == "multipart") {
            // The raw value first: a boundary is an opaque token, not text to decode.
            std::optional<std::string> boundary;
            if (const std::string* raw = ct.raw_param("boundary")) {
                boundary = *raw;
            } else {
                boundary = ct.param("boundary");
            }
            if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) {
                p.flags |= part_flag::no_boundary;
            } else if (p.depth + 1 > limits_.max_depth) {
                p.flags |= part_flag::depth_limit;
            } else {
                p.kind = PartKind::multipart;
                f.boundary = std::move(*boundary);
                f.mp = Mp::preamble;
                update_max_boundary();
                return;
            }
        } else if (ct.type == "message" && (ct.subtype == "rfc822" || ct.subtype == "global")) {
            if (!is_identity(p.encoding)) {
                // RFC 2046 §5.2.1 forbids this; an encoded message has no raw offsets to give.
                p.flags |= part_flag::encoded_message;
            } else if (p.depth + 1 > limits_.max_depth) {
                p.flags |= part_flag::depth_limit;
            } else if (msg_.parts.size() >= limits_.max_parts) {
                p.flags |= part_flag::part_limit;
                msg_.flags |= message_flag::part_limit;
            } else {
                p.kind = PartKind::message;
                new_part(index, body_start);
                return;
            }
        }
        start_leaf_body(index);
    }

    void new_part(std::uint32_t parent, std::uint64_t header_start) {
        Part np;
        np.parent = parent;
        np.depth = part(parent).depth + 1;
        np.header_start = header_start;
        np.body_start = header_start;
        np.first_header = static_cast<std::uint32_t>(msg_.headers.size());
        const Part& pp = part(parent);
        if (pp.kind == PartKind::multipart && pp.content_type.subtype == "digest") {
            np.content_type = ContentType{"message", "rfc822", {}};
        } else {
            np.content_type = ContentType{"text", "plain", {}};
        }
        auto index = static_cast<std::uint32_t>(msg_.parts.size());
        msg_.parts.push_back(std::move(np));
        part(parent).children.push_back(index);
        lf_at_body_start_.push_back(0);
        stack_.push_back(Frame{index});
        header_bytes_ = 0;
        header_count_ = 0;
    }

    void start_leaf_body(std::uint32_t index) {
        if (!sink_)
            return;
        const Part& p = part(index);
        sink_->body_start(
            index, p,
            std::span<const HeaderField>(msg_.headers).subspan(p.first_header, p.header_count));
        sink_part_ = index;
    }

    void on_delimiter(std::size_t frame, bool close) {
        const std::uint64_t line = line_start_;
        const bool after_break = term_end_ == line;
        const std::uint64_t t = after_break ? term_start_ : line;
        const std::uint64_t lf_at_t = after_break ? lf_total_ - 1 : lf_total_;
        withheld_.clear();  // the line break before a delimiter belongs to the delimiter
        while (stack_.size() - 1 > frame)
            close_top(t, lf_at_t, true);
        Frame& f = stack_[frame];
        Part& p = part(f.part);
        if (f.mp == Mp::preamble)
            p.preamble_end = std::max(p.body_start, t);
        if (close) {
            f.mp = Mp::epilogue;
            pending_epilogue_ = f.part;
            update_max_boundary();
        } else {
            pending_child_ = f.part;
        }
    }

    void after_delimiter_line(std::uint64_t next) {
        if (pending_epilogue_ != kNoPart) {
            part(pending_epilogue_).epilogue_start = next;
            pending_epilogue_ = kNoPart;
        }
        open_child_ = pending_child_;
        pending_child_ = kNoPart;
    }

    // The first byte after an open delimiter line: the new body part starts here.
    void open_child() {
        const std::uint32_t mp = open_child_;
        open_child_ = kNoPart;
        if (msg_.parts.size() >= limits_.max_parts) {
            // From here on the rest of the message is opaque body of the open parts.
            msg_.flags |= message_flag::part_limit;
            part(mp).flags |= part_flag::part_limit;
            for (auto& f : stack_) {
                if (!f.boundary.empty())
                    f.mp = Mp::epilogue;
            }
            update_max_boundary();
            return;
        }
        stack_.back().mp = Mp::child;
        new_part(mp, line_start_);
    }

    void close_top(std::uint64_t t, std::uint64_t lf_at_t, bool by_delimiter) {
        if (top().in_header)
            commit_field();  // while the part is still the top frame
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        Part& p = part(f.part);
        if (f.in_header) {
            p.flags |= by_delimiter ? part_flag::header_cut_by_boundary : part_flag::no_header_end;
            std::uint64_t end = std::max(p.header_start, t);
            p.body_start = end;
            p.body_end = end;
            p.body_lines = 0;
            for (std::uint32_t h = p.first_header; h < p.first_header + p.header_count; ++h) {
                msg_.headers[h].end = std::min(msg_.headers[h].end, end);
            }
        } else {
            p.body_end = std::max(p.body_start, t);
            p.body_lines = p.body_end > p.body_start ? lf_at_t - lf_at_body_start_[f.part] : 0;
        }
        if (p.kind == PartKind::multipart && f.mp != Mp::epilogue) {
            p.flags |= part_flag::missing_end_boundary;
        }
        if (p.kind == PartKind::multipart && p.children.empty()) {
            // No delimiter ever came: all of it is preamble. A body part with no parts is
            // shown as its text (RFC 2046 §5.1.3 treats unusable multiparts as mixed text).
            p.kind = PartKind::leaf;
            p.flags |= part_flag::empty_multipart;
        }
        if (sink_part_ == f.part) {
            if (!by_delimiter)
                flush_withheld();
            withheld_.clear();
            sink_->body_end(f.part);
            sink_part_ = kNoPart;
        }
        if (!f.boundary.empty())
            update_max_boundary();
        if (!stack_.empty()) {
            // The enclosing part continues; its header budget is no longer in use.
            header_bytes_ = 0;
            header_count_ = 0;
        }
    }

    void update_max_boundary() {
        max_boundary_ = 0;
        for (const auto& f : stack_) {
            if (!f.boundary.empty() && f.mp != Mp::epilogue) {
                max_boundary_ = std::max(max_boundary_, f.boundary.size());
            }
        }
    }

    // ---- body sink -----------------------------------------------------------------------

    // Sends body bytes, holding back a trailing line break that a delimiter may claim.
    void emit(std::string_view s, bool may_precede_delimiter) {
        if (sink_part_ == kNoPart || s.empty())
            return;
        if (!may_precede_delimiter) {
            flush_withheld();
            sink_->body_data(sink_part_, s);
            return;
        }
        std::size_t hold = 0;
        if (s.back() == '\n') {
            hold = s.size() >= 2 && s[s.size() - 2] == '\r' ? 2 : 1;
        } else if (s.back() == '\r') {
            hold = 1;
        }
        if (hold == s.size()) {
            if (withheld_ == "\r" && s == "\n") {
                withheld_ = "\r\n";
                return;
            }
            flush_withheld();
            withheld_.assign(s);
            return;
        }
        flush_withheld();
        sink_->body_data(sink_part_, s.substr(0, s.size() - hold));
        withheld_.assign(s.substr(s.size() - hold));
    }

    void flush_withheld() {
        if (withheld_.empty() || sink_part_ == kNoPart)
            return;
        sink_->body_data(sink_part_, withheld_);
        withheld_.clear();
    }

    Limits limits_;
    BodySink* sink_;
    ParsedMessage msg_;
    std::vector<Frame> stack_;
    std::vector<std::uint64_t> lf_at_body_start_;  // by part index

    std::string_view data_;
    std::string tail_;  // unprocessed bytes carried to the next feed (bounded look-ahead)
    std::size_t pos_ = 0;
    std::size_t pos_line_begin_ = 0;  // where the current consume call began in data_
    std::uint64_t base_ = 0;          // absolute offset of data_[0]
    bool eof_ = false;

    Line line_ = Line::none;
    std::uint64_t line_start_ = 0;
    std::uint64_t term_start_ = 0;  // the last line break seen: [term_start_, term_end_)
    std::uint64_t term_end_ = kNever;
    std::uint64_t lf_total_ = 0;
    char prev_byte_ = 0;
    std::size_t max_boundary_ = 0;
    std::uint32_t pending_child_ = kNoPart;     // multipart whose delimiter line is being read
    std::uint32_t open_child_ = kNoPart;        // multipart whose next line starts a new child
    std::uint32_t pending_epilogue_ = kNoPart;  // multipart whose close delimiter line is open

    std::string field_;
    bool field_pending_ = false;
    bool field_record_ = false;
    std::size_t field_name_len_ = 0;
    std::size_t field_colon_ = 0;
    std::uint64_t field_offset_ = 0;
    std::uint64_t field_value_offset_ = 0;
    std::uint64_t field_end_ = 0;
    std::size_t header_bytes_ = 0;
    std::size_t header_count_ = 0;

    std::uint32_t sink_part_ = kNoPart;
    std::string withheld_;
};

MessageParser::MessageParser(const Limits& limits, BodySink* sink)
    : impl_(std::make_unique<Impl>(limits, sink)) {}

MessageParser::~MessageParser() = default;

void MessageParser::feed(std::string_view bytes) {
    impl_->feed(bytes);
}

ParsedMessage MessageParser::finish() {
    return impl_->finish();
}

ParsedMessage parse_message(std::string_view raw, const Limits& limits) {
    MessageParser parser(limits);
    parser.feed(raw);
    return parser.finish();
}

}  // namespace postern::mime
