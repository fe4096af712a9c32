#include <gtest/gtest.h>

#include "auth/login_name.h"
#include "auth/sasl/mechanism.h"
#include "auth/sasl/wire.h"
#include "base/utf8.h"

namespace postern::auth {
namespace {

using namespace std::string_literals;
using Kind = sasl::ClientResponse::Kind;

TEST(SaslWire, DecodesContinuationLines) {
    struct Case {
        std::string line;
        Kind kind;
        std::string data;
    };
    const std::vector<Case> cases = {
        {"*", Kind::cancel, ""},
        {"", Kind::data, ""},
        {"AHRpbQB0YW5zdGFhZnRhbnN0YWFm", Kind::data, "\0tim\0tanstaaftanstaaf"s},
        {"dGlt", Kind::data, "tim"},
        {"dGlt=", Kind::malformed, ""},
        {"dG lt", Kind::malformed, ""},
        {"**", Kind::malformed, ""},
        {"=", Kind::malformed, ""},  // only an initial response may be "="
    };
    for (const auto& c : cases) {
        auto r = sasl::decode_client_response(c.line);
        EXPECT_EQ(r.kind, c.kind) << c.line;
        EXPECT_EQ(r.data, c.data) << c.line;
    }
}

TEST(SaslWire, InitialResponses) {
    EXPECT_EQ(sasl::decode_initial_response("=").kind, Kind::data);
    EXPECT_EQ(sasl::decode_initial_response("=").data, "");
    EXPECT_EQ(sasl::decode_initial_response("dGlt").data, "tim");
    EXPECT_EQ(sasl::decode_initial_response("").kind, Kind::malformed);
    EXPECT_EQ(sasl::decode_initial_response("*").kind, Kind::cancel);
}

TEST(SaslWire, LengthCap) {
    // The largest acceptable response encodes to exactly this many characters.
    std::string ok_line((sasl::kMaxResponseLength + 2) / 3 * 4, 'A');
    EXPECT_EQ(sasl::decode_client_response(ok_line).kind, Kind::data);
    EXPECT_EQ(sasl::decode_client_response(ok_line + "AAAA").kind, Kind::malformed);
}

TEST(SaslWire, EncodesServerData) {
    EXPECT_EQ(sasl::encode_server_data(""), "");
    EXPECT_EQ(sasl::encode_server_data("Username:"), "VXNlcm5hbWU6");
}

TEST(LoginName, Normalizes) {
    struct Case {
        std::string login;
        std::optional<std::string> normalized;
    };
    const std::vector<Case> cases = {
        {"Tim@Example.COM", "Tim@example.com"},
        {"tim", "tim"},
        {"a@b@Example.ORG", "a@b@example.org"},  // the domain follows the last '@'
        {"tim@", "tim@"},
        {"j\xc3\xbcrgen@B\xc3\x9c"
         "CHER.example",
         "j\xc3\xbcrgen@b\xc3\x9c"
         "cher.example"},
        {"", std::nullopt},
        {"tim\0x"s, std::nullopt},
        {"tim\r\nx", std::nullopt},
        {"tim\x7f", std::nullopt},
        {"\xff", std::nullopt},
        {std::string(kMaxLoginLength, 'a'), std::string(kMaxLoginLength, 'a')},
        {std::string(kMaxLoginLength + 1, 'a'), std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(normalize_login(c.login), c.normalized) << ::testing::PrintToString(c.login);
    }
    EXPECT_TRUE(same_identity("tim@EXAMPLE.com", "tim@example.COM"));
    EXPECT_FALSE(same_identity("Tim@example.com", "tim@example.com"));
    EXPECT_FALSE(same_identity("", ""));
}

TEST(LoginName, LoggableEscapes) {
    EXPECT_EQ(loggable("tim@example.com"), "tim@example.com");
    EXPECT_EQ(loggable("a\r\nb"), "a\\x0d\\x0ab");
    EXPECT_EQ(loggable("back\\slash"), "back\\x5cslash");
    EXPECT_EQ(loggable("\xff"), "\\xff");
    EXPECT_EQ(loggable("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(loggable(std::string(200, 'a')), std::string(128, 'a') + "...");
}

TEST(Utf8, Validates) {
    const std::pair<std::string, bool> cases[] = {
        {"", true},
        {"ascii", true},
        {"\xc3\xa9", true},
        {"\xe2\x82\xac", true},
        {"\xf0\x9f\x93\xab", true},
        {"\xf4\x8f\xbf\xbf", true},   // U+10FFFF
        {"\xf4\x90\x80\x80", false},  // above U+10FFFF
        {"\xc0\xaf", false},          // overlong
        {"\xe0\x80\xaf", false},      // overlong
        {"\xed\xa0\x80", false},      // surrogate
        {"\xc3", false},              // truncated
        {"\x80", false},              // stray continuation
        {"\xf8\x88\x80\x80\x80", false},
    };
    for (const auto& [text, valid] : cases)
        EXPECT_EQ(is_valid_utf8(text), valid) << text;
}

}  // namespace
}  // namespace postern::auth
