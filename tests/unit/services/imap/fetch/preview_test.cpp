// PREVIEW text (RFC 8970): which part, decoding, HTML, whitespace, the 200-character cut.
#include "services/imap/fetch/preview.h"

#include <gtest/gtest.h>

#include "services/imap/fetch/test_messages.h"

namespace postern::services::imap::fetch {
namespace {

using testing::kMixed;
using testing::kSimple;
using testing::structure_of;

std::string preview_of(const std::string& raw) {
    return make_preview(raw, structure_of(raw));
}

TEST(CollapsePreview, WhitespaceAndControlsBecomeOneSpace) {
    EXPECT_EQ(collapse_preview("  a \r\n\t b\x01\x7f c  "), "a b c");
    EXPECT_EQ(collapse_preview("\xc2\xa0x\xe2\x80\xa8y"), "x y");  // NBSP, LINE SEPARATOR
    EXPECT_EQ(collapse_preview(""), "");
    EXPECT_EQ(collapse_preview(" \r\n "), "");
    EXPECT_EQ(collapse_preview("a\xff\xfe b"), "a b");  // ill-formed bytes skipped
}

TEST(CollapsePreview, CutsAtCodePointsNotBytes) {
    std::string text;
    for (int i = 0; i < 300; ++i)
        text += "\xc3\xa9";  // é
    auto out = collapse_preview(text);
    EXPECT_EQ(out.size(), 400u);  // 200 two-byte characters
    EXPECT_EQ(collapse_preview("abc def", 5), "abc d");
    EXPECT_EQ(collapse_preview("abc def", 4), "abc ");
}

TEST(MakePreview, FirstPlainTextPart) {
    EXPECT_EQ(preview_of(kSimple), "Hi Bob, how are you?");
    // Quoted-printable in ISO-8859-1 becomes UTF-8; runs of spaces collapse.
    EXPECT_EQ(preview_of(kMixed), "Caf\xc3\xa9 au lait, tr\xc3\xa8s bon. Fin.");
}

TEST(MakePreview, HtmlWhenThereIsNoPlainText) {
    std::string raw =
        "Subject: h\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><head><style>p{color:red}</style></head><body><p>Hello&nbsp;<b>there</b>"
        "</p><p>caf&eacute;</p></body></html>\r\n";
    EXPECT_EQ(preview_of(raw), "Hello there caf\xc3\xa9");
}

TEST(MakePreview, AlternativePrefersPlainAndSkipsAttachmentsAndEnclosedMessages) {
    std::string raw =
        "Subject: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nattached\r\n"
        "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
        "--c\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
        "--c\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
        "--c--\r\n--b--\r\n";
    EXPECT_EQ(preview_of(raw), "plain text");
    std::string only_message =
        "Subject: fwd\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner\r\n";
    auto st = structure_of(only_message);
    EXPECT_FALSE(preview_part(st));
    EXPECT_EQ(preview_of(only_message), "");
}

TEST(MakePreview, Base64TextAndLongBodies) {
    std::string raw =
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "w6l0w6kgw6AgUGFyaXM=\r\n";  // "été à Paris"
    EXPECT_EQ(preview_of(raw), "\xc3\xa9t\xc3\xa9 \xc3\xa0 Paris");
    std::string long_raw = "Subject: l\r\n\r\n" + std::string(100000, 'x');
    EXPECT_EQ(preview_of(long_raw), std::string(200, 'x'));
}

}  // namespace
}  // namespace postern::services::imap::fetch
