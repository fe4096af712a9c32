// A push parser for CSV (RFC 4180 §2), resumable at any byte, with a record size limit and
// per-record errors so one bad row does not stop a whole import.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::directory {

struct CsvLimits {
    std::size_t max_record_bytes = 64 * 1024;  // one record, all fields and separators
    std::size_t max_fields = 64;
};

struct CsvRecord {
    std::size_t line = 0;  // physical line where the record starts (1-based)
    std::vector<std::string> fields;
    std::optional<std::string> error;  // set when the record is malformed; fields then unusable
};

// Accepts RFC 4180 with the usual leniencies: LF or CRLF line ends, a missing final line end,
// a UTF-8 byte order mark at the start, blank lines skipped. Fields may be quoted ("a,b",
// "say ""hi"""), and quoted fields may span lines. Refused per record: a quote inside an
// unquoted field, text after a closing quote, an unterminated quote at end of input, a
// record over max_record_bytes or max_fields. After an error the parser skips to the next
// line end: outside quotes after a bad closing quote (the quotes so far were balanced), the
// next physical one after a stray quote or an oversize record. A runaway quote therefore
// costs at most max_record_bytes of input.
//
// Not thread-safe; one instance per input.
class CsvParser {
  public:
    explicit CsvParser(CsvLimits limits = {}) : limits_(limits) {}

    // Appends every record completed by `data` to `out`. Any split of the input gives the
    // same records.
    void feed(std::string_view data, std::vector<CsvRecord>& out);
    // End of input: completes the last record, if any.
    void finish(std::vector<CsvRecord>& out);

  private:
    enum class State {
        record_start,
        field_start,
        unquoted,
        quoted,
        quote_in_quoted,
        skip_line,
        skip_quoted
    };

    enum class Skip { to_line_end, tracking_quotes };

    void consume(char c, std::vector<CsvRecord>& out);  // CR handling, then step()
    void step(char c, std::vector<CsvRecord>& out);     // the state machine proper
    void start_record();
    void end_field();
    void end_record(std::vector<CsvRecord>& out);
    void error(std::string why, Skip skip);

    CsvLimits limits_;
    State state_ = State::record_start;
    std::size_t line_ = 1;
    std::size_t bom_seen_ = 0;  // bytes of a leading BOM matched so far; 3 = done checking
    bool pending_cr_ = false;   // a CR outside quotes whose meaning depends on the next byte
    bool quote_open_ = false;   // skip_quoted: inside a quote of the bad record
    std::size_t record_bytes_ = 0;
    std::string field_;
    CsvRecord record_;
};

}  // namespace postern::directory
