#include "directory/csv.h"

#include <gtest/gtest.h>

namespace postern::directory {
namespace {

using Fields = std::vector<std::string>;

struct Expected {
    std::size_t line;
    Fields fields;
    std::string error;  // non-empty: the record is an error containing this text
};

std::vector<CsvRecord> parse_whole(std::string_view input, CsvLimits limits = {}) {
    CsvParser parser(limits);
    std::vector<CsvRecord> out;
    parser.feed(input, out);
    parser.finish(out);
    return out;
}

std::vector<CsvRecord> parse_bytewise(std::string_view input, CsvLimits limits = {}) {
    CsvParser parser(limits);
    std::vector<CsvRecord> out;
    for (char c : input)
        parser.feed(std::string_view(&c, 1), out);
    parser.finish(out);
    return out;
}

void expect_records(const std::vector<CsvRecord>& got, const std::vector<Expected>& want,
                    std::string_view input) {
    ASSERT_EQ(got.size(), want.size()) << input;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].line, want[i].line) << input << " record " << i;
        if (want[i].error.empty()) {
            EXPECT_FALSE(got[i].error)
                << input << " record " << i << ": " << got[i].error.value_or("");
            EXPECT_EQ(got[i].fields, want[i].fields) << input << " record " << i;
        } else {
            ASSERT_TRUE(got[i].error) << input << " record " << i;
            EXPECT_NE(got[i].error->find(want[i].error), std::string::npos) << *got[i].error;
            EXPECT_TRUE(got[i].fields.empty());
        }
    }
}

struct Case {
    std::string input;
    std::vector<Expected> records;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> kCases = {
        {"", {}},
        {"\n\n\r\n", {}},
        {"a,b,c\n", {{1, {"a", "b", "c"}, ""}}},
        {"a,b,c", {{1, {"a", "b", "c"}, ""}}},
        {"a,b\r\nc,d\r\n", {{1, {"a", "b"}, ""}, {2, {"c", "d"}, ""}}},
        {"a,,\n", {{1, {"a", "", ""}, ""}}},
        {",\n", {{1, {"", ""}, ""}}},
        {"a\n\nb\n", {{1, {"a"}, ""}, {3, {"b"}, ""}}},
        {"\"a,b\",c\n", {{1, {"a,b", "c"}, ""}}},
        {"\"say \"\"hi\"\"\",x\n", {{1, {"say \"hi\"", "x"}, ""}}},
        {"\"\",x\n", {{1, {"", "x"}, ""}}},
        {"\"multi\nline\",x\nnext,y\n", {{1, {"multi\nline", "x"}, ""}, {3, {"next", "y"}, ""}}},
        {"\"crlf\r\ninside\"\r\n", {{1, {"crlf\r\ninside"}, ""}}},
        {"\"quoted\"", {{1, {"quoted"}, ""}}},
        {"\xEF\xBB\xBF"
         "a,b\n",
         {{1, {"a", "b"}, ""}}},
        {"\xEF\xBB"
         "x\n",
         {{1,
           {"\xEF\xBB"
            "x"},
           ""}}},  // not a BOM: kept as data
        {"\xEF", {{1, {"\xEF"}, ""}}},
        {"a\rb,c\n", {{1, {"a\rb", "c"}, ""}}},    // a lone CR is data
        {"a,b\r", {{1, {"a", "b"}, ""}}},          // a final CR ends the line
        {" a , b \n", {{1, {" a ", " b "}, ""}}},  // spaces are data (RFC 4180)
        // Errors, each followed by a good record to show the parser recovers.
        {"a\"b,c\nok,1\n", {{1, {}, "quote inside an unquoted field"}, {2, {"ok", "1"}, ""}}},
        {"a\"b\",c\nok,1\n", {{1, {}, "quote inside an unquoted field"}, {2, {"ok", "1"}, ""}}},
        {"\"abc\"x,y\nok,1\n", {{1, {}, "text after a closing quote"}, {2, {"ok", "1"}, ""}}},
        {"\"abc\"x,\"q\nq\"\nok,1\n",
         {{1, {}, "text after a closing quote"}, {3, {"ok", "1"}, ""}}},
        {"ok,1\n\"never closed,x\nmore\n",
         {{1, {"ok", "1"}, ""}, {2, {}, "unterminated quoted field"}}},
    };
    return kCases;
}

TEST(Csv, Table) {
    for (const auto& c : cases())
        expect_records(parse_whole(c.input), c.records, c.input);
}

TEST(Csv, ByteAtATimeGivesTheSameRecords) {
    for (const auto& c : cases())
        expect_records(parse_bytewise(c.input), c.records, c.input);
}

TEST(Csv, EverySplitPointGivesTheSameRecords) {
    for (const auto& c : cases()) {
        for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
            CsvParser parser;
            std::vector<CsvRecord> out;
            parser.feed(std::string_view(c.input).substr(0, cut), out);
            parser.feed(std::string_view(c.input).substr(cut), out);
            parser.finish(out);
            expect_records(out, c.records, c.input);
        }
    }
}

TEST(Csv, RecordSizeLimit) {
    CsvLimits limits{.max_record_bytes = 16, .max_fields = 64};
    std::string input = "short,1\n" + std::string(100, 'x') + ",2\nafter,3\n";
    for (auto* parse : {&parse_whole, &parse_bytewise}) {
        auto got = parse(input, limits);
        expect_records(
            got,
            {{1, {"short", "1"}, ""}, {2, {}, "longer than 16 bytes"}, {3, {"after", "3"}, ""}},
            input);
    }
    // A runaway quote is cut off at the limit and the parser resynchronises on a line end.
    std::string runaway = "\"" + std::string(40, 'q') + "\nafter,3\nlast,4\n";
    auto got = parse_whole(runaway, limits);
    ASSERT_GE(got.size(), 2u);
    EXPECT_TRUE(got[0].error);
    EXPECT_EQ(got.back().fields, (Fields{"last", "4"}));
}

TEST(Csv, FieldCountLimit) {
    CsvLimits limits{.max_record_bytes = 1024, .max_fields = 3};
    auto input = "a,b,c\na,b,c,d\nx,y\n";
    for (auto* parse : {&parse_whole, &parse_bytewise}) {
        expect_records(
            parse(input, limits),
            {{1, {"a", "b", "c"}, ""}, {2, {}, "more than 3 fields"}, {3, {"x", "y"}, ""}}, input);
    }
}

TEST(Csv, HugeInputStaysBounded) {
    // A single 10 MB line without line ends must not be held in memory.
    CsvLimits limits{.max_record_bytes = 1024, .max_fields = 8};
    CsvParser parser(limits);
    std::vector<CsvRecord> out;
    std::string chunk(64 * 1024, 'z');
    for (int i = 0; i < 160; ++i)
        parser.feed(chunk, out);
    parser.feed("\nok,1\n", out);
    parser.finish(out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(out[0].error);
    EXPECT_EQ(out[1].fields, (Fields{"ok", "1"}));
}

}  // namespace
}  // namespace postern::directory
