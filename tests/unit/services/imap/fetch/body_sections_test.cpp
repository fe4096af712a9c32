// BODY[section] and BINARY[part] bytes: part numbering (RFC 9051 §6.4.5), HEADER.FIELDS[.NOT]
// with folded and odd header lines, MIME/HEADER/TEXT of nested messages, partial fetches and
// BINARY decoding (RFC 3516).
#include "services/imap/fetch/body_sections.h"

#include <gtest/gtest.h>

#include "services/imap/fetch/test_messages.h"

namespace postern::services::imap::fetch {
namespace {

using testing::kMixed;
using testing::kSimple;
using testing::structure_of;
namespace wire = proto::imap;

wire::Section section(std::vector<std::uint32_t> part, wire::SectionText text = {},
                      std::vector<std::string> fields = {}) {
    wire::Section s;
    s.part = std::move(part);
    s.text = text;
    s.fields = std::move(fields);
    return s;
}

std::optional<std::string> bytes(const std::string& raw, const wire::Section& s) {
    auto st = structure_of(raw);
    auto d = section_data(raw, st.parts.front().body_start, &st, s);
    if (!d)
        return std::nullopt;
    return std::string(d->data());
}

TEST(FilterHeaderFields, PicksNamedFieldsWithTheirFoldsWithoutCase) {
    std::string header(kSimple.substr(0, kSimple.find("\r\n\r\n") + 4));
    std::vector<std::string> names{"SUBJECT", "X-NOTE"};
    EXPECT_EQ(filter_header_fields(header, names, false),
              "Subject: Hello\r\n  world\r\nX-Note: one\r\n\r\n");
    EXPECT_EQ(filter_header_fields(header, names, true),
              "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n\r\n");
}

TEST(FilterHeaderFields, NothingMatchingLeavesTheBlankLine) {
    std::vector<std::string> names{"CC"};
    EXPECT_EQ(filter_header_fields("From: a\r\n\r\n", names, false), "\r\n");
    EXPECT_EQ(filter_header_fields("", names, false), "\r\n");
}

TEST(FilterHeaderFields, OddLines) {
    std::vector<std::string> names{"FROM", "TO"};
    // LF-only lines, space before the colon, a line that is no field, a continuation with no
    // field before it, no blank line at the end, and the body after a blank line ignored.
    std::string header = " orphan\r\nFrom : a\nnot a field\r\nto:b\r\n\tc\r\nSubject: s";
    EXPECT_EQ(filter_header_fields(header, names, false), "From : a\nto:b\r\n\tc\r\n\r\n");
    EXPECT_EQ(filter_header_fields(header, names, true), "Subject: s\r\n\r\n");
    EXPECT_EQ(filter_header_fields("To: x\r\n\r\nFrom: body\r\n", names, false), "To: x\r\n\r\n");
    // A field name that only starts like a listed one does not match.
    EXPECT_EQ(filter_header_fields("Tomorrow: x\r\n\r\n", names, false), "\r\n");
}

TEST(FindPart, NumbersPartsAsImapDoes) {
    auto st = structure_of(kMixed);
    auto type = [&](std::vector<std::uint32_t> path) -> std::string {
        auto i = find_part(st, path);
        return i ? st.parts[*i].type + "/" + st.parts[*i].subtype : "none";
    };
    EXPECT_EQ(type({1}), "text/plain");
    EXPECT_EQ(type({2}), "application/octet-stream");
    EXPECT_EQ(type({3}), "message/rfc822");
    EXPECT_EQ(type({3, 1}), "text/plain");
    EXPECT_EQ(type({3, 2}), "text/html");
    EXPECT_EQ(type({4}), "application/octet-stream");
    EXPECT_EQ(type({5}), "none");
    EXPECT_EQ(type({1, 1}), "none");
    EXPECT_EQ(type({3, 3}), "none");
    EXPECT_EQ(type({3, 1, 1}), "none");
    EXPECT_EQ(type({0}), "none");

    auto simple = structure_of(kSimple);
    EXPECT_EQ(find_part(simple, std::vector<std::uint32_t>{1}), 0u);  // the body is part 1
    EXPECT_FALSE(find_part(simple, std::vector<std::uint32_t>{2}));
    EXPECT_FALSE(find_part(simple, std::vector<std::uint32_t>{1, 1}));
}

TEST(SectionData, WholeMessageHeaderAndText) {
    using T = wire::SectionText;
    auto split = kSimple.find("\r\n\r\n") + 4;
    EXPECT_EQ(bytes(kSimple, section({})), kSimple);
    EXPECT_EQ(bytes(kSimple, section({}, T::header)), kSimple.substr(0, split));
    EXPECT_EQ(bytes(kSimple, section({}, T::text)), kSimple.substr(split));
    EXPECT_EQ(bytes(kSimple, section({1})), kSimple.substr(split));
    EXPECT_EQ(bytes(kSimple, section({}, T::header_fields, {"TO"})),
              "To: bob@example.test\r\n\r\n");
    // Without a structure, sections without part numbers still work.
    auto d = section_data(kSimple, split, nullptr, section({}, T::text));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->data(), kSimple.substr(split));
    EXPECT_FALSE(section_data(kSimple, split, nullptr, section({1})));
}

TEST(SectionData, PartsMimeAndNestedMessages) {
    using T = wire::SectionText;
    EXPECT_EQ(bytes(kMixed, section({2})), "AAECA2hlbGxvAP8=");
    EXPECT_EQ(bytes(kMixed, section({2}, T::mime)),
              "Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
              "Content-Disposition: attachment; filename=\"blob.bin\"\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n");
    EXPECT_EQ(bytes(kMixed, section({3}, T::header)),
              "From: dave@remote.test\r\nSubject: Inner\r\n"
              "Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n");
    EXPECT_EQ(bytes(kMixed, section({3}, T::header_fields, {"SUBJECT"})), "Subject: Inner\r\n\r\n");
    EXPECT_EQ(bytes(kMixed, section({3}, T::header_fields_not, {"SUBJECT", "CONTENT-TYPE"})),
              "From: dave@remote.test\r\n\r\n");
    auto text = bytes(kMixed, section({3}, T::text));
    ASSERT_TRUE(text);
    EXPECT_TRUE(text->starts_with("--inner\r\n"));
    EXPECT_TRUE(text->ends_with("--inner--"));
    EXPECT_EQ(bytes(kMixed, section({3, 1})), "inner plain");
    EXPECT_EQ(bytes(kMixed, section({3, 2}, T::mime)), "Content-Type: text/html\r\n\r\n");
    // HEADER/TEXT need a message/rfc822 part; a part that does not exist has no data.
    EXPECT_FALSE(bytes(kMixed, section({1}, T::header)));
    EXPECT_FALSE(bytes(kMixed, section({1}, T::text)));
    EXPECT_FALSE(bytes(kMixed, section({9})));
    EXPECT_FALSE(bytes(kMixed, section({3, 9}, T::mime)));
}

TEST(SectionData, OffsetsBeyondTheMessageAreNotTrusted) {
    auto st = structure_of(kMixed);
    std::string cut = kMixed.substr(0, kMixed.size() / 2);
    EXPECT_FALSE(section_data(cut, st.parts.front().body_start, &st, section({3, 2})));
}

TEST(ApplyPartial, OffsetAndLength) {
    auto p = [](std::uint32_t o, std::uint32_t l) { return std::optional(wire::Partial{o, l}); };
    EXPECT_EQ(apply_partial("0123456789", std::nullopt), "0123456789");
    EXPECT_EQ(apply_partial("0123456789", p(0, 3)), "012");
    EXPECT_EQ(apply_partial("0123456789", p(8, 100)), "89");
    EXPECT_EQ(apply_partial("0123456789", p(10, 1)), "");
    EXPECT_EQ(apply_partial("0123456789", p(4294967295u, 4294967295u)), "");
    EXPECT_EQ(apply_partial("", p(0, 1)), "");
}

TEST(BinaryContent, DecodesBase64AndQuotedPrintable) {
    auto st = structure_of(kMixed);
    auto blob = BinaryContent::of(kMixed, &st, std::vector<std::uint32_t>{2});
    ASSERT_EQ(blob.status(), BinaryContent::Status::ok);
    EXPECT_TRUE(blob.decoded());
    EXPECT_EQ(blob.data(), std::string_view("\x00\x01\x02\x03hello\x00\xff", 11));
    auto text = BinaryContent::of(kMixed, &st, std::vector<std::uint32_t>{1});
    ASSERT_EQ(text.status(), BinaryContent::Status::ok);
    EXPECT_EQ(text.data(), "Caf\xe9 au lait,   tr\xe8s   bon. Fin.");
    EXPECT_EQ(text.take(), "Caf\xe9 au lait,   tr\xe8s   bon. Fin.");
}

TEST(BinaryContent, IdentityUnknownAndMissing) {
    auto st = structure_of(kMixed);
    auto whole = BinaryContent::of(kMixed, &st, {});
    ASSERT_EQ(whole.status(), BinaryContent::Status::ok);
    EXPECT_FALSE(whole.decoded());
    EXPECT_EQ(whole.data(), kMixed);
    auto inner = BinaryContent::of(kMixed, &st, std::vector<std::uint32_t>{3, 1});
    ASSERT_EQ(inner.status(), BinaryContent::Status::ok);
    EXPECT_EQ(inner.data(), "inner plain");
    EXPECT_EQ(BinaryContent::of(kMixed, &st, std::vector<std::uint32_t>{4}).status(),
              BinaryContent::Status::unknown_cte);
    EXPECT_EQ(BinaryContent::of(kMixed, &st, std::vector<std::uint32_t>{7}).status(),
              BinaryContent::Status::missing);
    EXPECT_EQ(BinaryContent::of(kMixed, nullptr, std::vector<std::uint32_t>{1}).status(),
              BinaryContent::Status::missing);
    EXPECT_EQ(binary_decoding(st.parts[*find_part(st, std::vector<std::uint32_t>{3})]),
              BinaryDecoding::as_stored);
}

}  // namespace
}  // namespace postern::services::imap::fetch
