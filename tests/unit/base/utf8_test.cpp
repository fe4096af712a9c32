#include "base/utf8.h"

#include <gtest/gtest.h>

namespace postern {
namespace {

// RFC 3629 §4 table and the classic ill-formed cases (overlong, surrogate, > U+10FFFF).
TEST(Utf8, WellFormedness) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("Caf\xC3\xA9 M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x93\xA8"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
    EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\x80"));              // stray continuation
    EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, CodePointsAndSequences) {
    EXPECT_EQ(utf8_code_points("M\xC3\xBCller"), 6u);
    EXPECT_EQ(utf8_code_points("\xF0\x9F\x93\xA8"), 1u);
    EXPECT_FALSE(utf8_code_points("a\xC3"));
    char32_t cp = 0;
    EXPECT_EQ(utf8_sequence("\xE2\x82\xAC", 0, cp), 3u);
    EXPECT_EQ(cp, U'\u20AC');
    EXPECT_EQ(utf8_sequence("\xE2\x82", 0, cp), 0u);
    EXPECT_TRUE(is_ascii("abc"));
    EXPECT_FALSE(is_ascii("ab\xC3\xA9"));
}

}  // namespace
}  // namespace postern
