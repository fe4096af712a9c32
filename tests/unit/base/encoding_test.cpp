#include "base/encoding.h"

#include <gtest/gtest.h>

namespace postern {
namespace {

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (auto [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_decode(encoded), plain);
    }
}

TEST(Base64, RejectsBadInput) {
    EXPECT_FALSE(base64_decode("Zg="));
    EXPECT_FALSE(base64_decode("Z==="));
    EXPECT_FALSE(base64_decode("Zm9v!A=="));
    EXPECT_FALSE(base64_decode("Zg==Zg=="));
    EXPECT_FALSE(base64_decode("Z=g="));
}

TEST(Base64, BinaryRoundTrip) {
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Hex, RoundTrip) {
    EXPECT_EQ(hex_encode("\x01\xab"), "01ab");
    EXPECT_EQ(hex_decode("01AB"), "\x01\xab");
    EXPECT_FALSE(hex_decode("0g"));
    EXPECT_FALSE(hex_decode("abc"));
}

}  // namespace
}  // namespace postern
