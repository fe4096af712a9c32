// Transfer decoders (RFC 2045 §6.7, §6.8), charset conversion and RFC 2047 encoded-words.
#include <gtest/gtest.h>

#include "mime/charset.h"
#include "mime/header_text.h"
#include "mime/transfer_encoding.h"

namespace postern::mime {
namespace {

struct DecodeCase {
    std::string in;
    std::string out;
    bool problem;
};

// Feeds `in` to a fresh decoder in pieces of `step` bytes.
template <class Decoder>
std::string decode_stepwise(std::string_view in, std::size_t step, bool* problem) {
    Decoder d;
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += step)
        d.feed(in.substr(i, step), out);
    d.finish(out);
    *problem = d.problem();
    return out;
}

TEST(Base64, LenientTable) {
    const std::vector<DecodeCase> cases = {
        {"", "", false},
        {"aGVsbG8=", "hello", false},
        {"aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n", "hello world", false},
        {"aGVsbG8", "hello", true},           // missing padding: partial quantum kept
        {"aGVsb", "hel", true},               // one stray sextet dropped
        {"aGV*sbG8=", "hello", true},         // junk skipped (RFC 2045 §6.8)
        {"aGVsbG8=aGk=", "hello", true},      // data after the padding is ignored
        {"aGVsbG8=\r\n \t", "hello", false},  // whitespace after padding is fine
        {"  aG Vs bG 8=  ", "hello", false},
        {"////", "\xff\xff\xff", false},
        {"ecO2dMOkIHZhYW4uCg== ignored", "y\xc3\xb6t\xc3\xa4 vaan.\n", true},
        {"?garbage", "\x81\xaa\xdb\x6a\x07", true},
    };
    for (const auto& c : cases) {
        for (std::size_t step : {std::size_t{1000}, std::size_t{1}, std::size_t{3}}) {
            bool problem = false;
            EXPECT_EQ(decode_stepwise<Base64Decoder>(c.in, step, &problem), c.out) << c.in;
            EXPECT_EQ(problem, c.problem) << c.in << " step " << step;
        }
    }
}

TEST(QuotedPrintable, LenientTable) {
    const std::vector<DecodeCase> cases = {
        {"", "", false},
        {"plain text\n", "plain text\n", false},
        {"caf=C3=A9\n", "caf\xc3\xa9\n", false},
        {"caf=c3=a9", "caf\xc3\xa9", false},  // lower-case hex accepted
        {"soft=\nbreak", "softbreak", false},
        {"soft=\r\nbreak", "softbreak", false},
        {"soft=  \r\nbreak", "softbreak", false},  // whitespace before the soft break
        {"trailing   \nspace\t\r\n", "trailing\nspace\r\n", false},  // rule 3
        {"end=", "end", false},
        {"a = b", "a = b", true},  // '=' starting no escape stays text
        {"100%=", "100%", false},
        {"=4", "=4", true},
        {"=ZZ", "=ZZ", true},
        {"x=\r", "x", false},
        {"tab\there\n", "tab\there\n", false},
        {"There was a day=20\na happy=20day\n", "There was a day \na happy day\n", false},
    };
    for (const auto& c : cases) {
        for (std::size_t step : {std::size_t{1000}, std::size_t{1}, std::size_t{2}}) {
            bool problem = false;
            EXPECT_EQ(decode_stepwise<QuotedPrintableDecoder>(c.in, step, &problem), c.out)
                << c.in << " step " << step;
            EXPECT_EQ(problem, c.problem) << c.in;
        }
    }
}

TEST(QuotedPrintable, LongWhitespaceRunStaysBounded) {
    std::string in(100000, ' ');
    in += "x\n";
    bool problem = false;
    EXPECT_EQ(decode_stepwise<QuotedPrintableDecoder>(in, 7, &problem), in);
}

TEST(TransferEncoding, Names) {
    EXPECT_EQ(parse_transfer_encoding(""), TransferEncoding::seven_bit);
    EXPECT_EQ(parse_transfer_encoding(" 7BIT "), TransferEncoding::seven_bit);
    EXPECT_EQ(parse_transfer_encoding("8bit"), TransferEncoding::eight_bit);
    EXPECT_EQ(parse_transfer_encoding("Binary"), TransferEncoding::binary);
    EXPECT_EQ(parse_transfer_encoding("Quoted-Printable (comment)"),
              TransferEncoding::quoted_printable);
    EXPECT_EQ(parse_transfer_encoding("\"base64\""), TransferEncoding::base64);
    EXPECT_EQ(parse_transfer_encoding("x-uuencode"), TransferEncoding::unknown);
    EXPECT_TRUE(is_identity(TransferEncoding::binary));
    EXPECT_FALSE(is_identity(TransferEncoding::base64));
}

TEST(Charset, Conversions) {
    struct Case {
        std::string bytes, charset, utf8;
        bool lossy;
    };
    const std::vector<Case> cases = {
        {"plain", "us-ascii", "plain", false},
        {"caf\xe9", "iso-8859-1", "caf\xc3\xa9", false},
        {"\x93quoted\x94 \x80", "ISO-8859-1", "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac", false},
        {"\xb1", "iso-8859-2", "\xc4\x85", false},
        {"\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
         false},
        {"\x82\xa0", "shift_jis", "\xe3\x81\x82", false},
        {"\xb0\xa1", "ks_c_5601-1987", "\xea\xb0\x80", false},
        {"\xc4\xe3", "gb2312", "\xe4\xbd\xa0", false},
        {std::string("T\0e\0", 4), "utf-16le", "Te", false},
        {"+AOk-", "utf-7", "\xc3\xa9", false},
        {"\xc3\xa9t\xc3\xa9", "utf-8", "\xc3\xa9t\xc3\xa9", false},
        {"caf\xe9", "utf-8", "caf\xc3\xa9", true},      // not UTF-8: read as Windows-1252
        {"caf\xe9", "x-made-up", "caf\xc3\xa9", true},  // unknown label
        {"caf\xc3\xa9", "\"UTF-8\"", "caf\xc3\xa9", false},
        {"\xff", "iso-2022-jp", "\xef\xbf\xbd", true},
    };
    for (const auto& c : cases) {
        bool lossy = false;
        EXPECT_EQ(to_utf8(c.bytes, c.charset, &lossy), c.utf8) << c.charset;
        EXPECT_EQ(lossy, c.lossy) << c.charset;
        // Byte by byte through the streaming decoder gives the same text.
        CharsetDecoder dec(c.charset);
        std::string out;
        for (char b : c.bytes)
            dec.feed(std::string_view(&b, 1), out);
        dec.finish(out);
        EXPECT_EQ(out, c.utf8) << c.charset << " streamed";
    }
    EXPECT_TRUE(is_known_charset("windows-1251"));
    EXPECT_FALSE(is_known_charset("no-such-charset"));
}

TEST(Charset, Raw8BitAndValidation) {
    EXPECT_EQ(raw_8bit_to_utf8("ascii"), "ascii");
    EXPECT_EQ(raw_8bit_to_utf8("M\xc3\xbcller"), "M\xc3\xbcller");
    EXPECT_EQ(raw_8bit_to_utf8("M\xfcller"), "M\xc3\xbcller");
    EXPECT_EQ(raw_8bit_to_utf8("\xc3\xbc and \xfc"), "\xc3\xbc and \xc3\xbc");
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a UTF-16 surrogate
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
    EXPECT_TRUE(is_ascii("abc"));
    EXPECT_FALSE(is_ascii("\x80"));
}

TEST(EncodedWords, Table) {
    struct Case {
        std::string raw, decoded;
    };
    const std::vector<Case> cases = {
        {"plain text", "plain text"},
        {"=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9"},
        {"=?UTF-8?B?Y2Fmw6k=?=", "caf\xc3\xa9"},
        {"=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=", "ab"},      // whitespace between words
        {"=?iso-8859-1?q?a?=\r\n =?iso-8859-1?q?b?=", "ab"},  // and folds
        {"=?iso-8859-1?q?a?= b", "a b"},
        {"a =?iso-8859-1?q?b?=", "a b"},
        {"=?iso-8859-1?q?a_b?=", "a b"},
        {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},  // RFC 2231 language
        // A UTF-8 character split over two words survives.
        {"=?utf-8?B?w6k=?= =?utf-8?B?w6k=?=", "\xc3\xa9\xc3\xa9"},
        {"=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9"},
        {"=?utf-8?q?bad =?utf-8?q?good?=", "=?utf-8?q?bad good"},  // malformed stays
        {"=?utf-8?x?y?=", "=?utf-8?x?y?="},
        {"=??q?x?=", "=??q?x?="},
        {"=?", "=?"},
        {"x=?utf-8?q?y?=z", "xyz"},  // not delimited: still decoded, nothing inserted
        {"=?koi8-r?b?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
        {"=?x-unknown?q?caf=E9?=", "caf\xc3\xa9"},
        {"=?utf-8?Q?a?==?utf-8?Q?b?=", "ab"},
        {"M\xfcller =?utf-8?q?x?=", "M\xc3\xbcller x"},  // raw 8-bit outside the words
    };
    for (const auto& c : cases) {
        EXPECT_EQ(decode_encoded_words(c.raw), c.decoded) << c.raw;
    }
    EXPECT_EQ(decode_encoded_words("=?utf-8?q?a?= =?utf-8?q?b?=", WordSpacing::quoted), "a b");
    EXPECT_EQ(decode_encoded_words("=?utf-8?q?a?=\n =?utf-8?q?b?=", WordSpacing::quoted), "ab");
}

TEST(EncodedWords, UnstructuredAndPhraseLists) {
    EXPECT_EQ(decode_unstructured(" Fwd: \n\tSaying \n Hello"), "Fwd: Saying Hello");
    EXPECT_EQ(decode_unstructured("  keeps  inner  spacing "), "keeps  inner  spacing");
    EXPECT_EQ(unfold("a\r\n b\n\tc"), "a b\tc");
    auto list = parse_phrase_list("one, \"two, three\" ,, =?utf-8?q?f=C3=BCnf?=,");
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[1], "two, three");
    EXPECT_EQ(list[2], "f\xc3\xbcnf");
}

TEST(EncodedWords, HostileInputIsLinear) {
    std::string s;
    for (int i = 0; i < 20000; ++i)
        s += "=?utf-8?q?";
    EXPECT_EQ(decode_encoded_words(s), s);
    std::string t(200000, '=');
    EXPECT_EQ(decode_encoded_words(t), t);
}

}  // namespace
}  // namespace postern::mime
