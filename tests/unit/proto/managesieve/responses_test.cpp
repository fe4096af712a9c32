// ManageSieve response writer: status lines, codes, quoting and literals.
#include "proto/managesieve/responses.h"

#include <gtest/gtest.h>

namespace postern::proto::managesieve {
namespace {

TEST(ManageSieveResponses, StatusLines) {
    std::string out;
    append_ok(out);
    append_ok(out, "Done");
    append_no(out, "No such script", code::nonexistent);
    append_bye(out, "Too long", code::trylater);
    append_ok(out, "Done", code_with_string("TAG", "t1"));
    EXPECT_EQ(out,
              "OK\r\nOK \"Done\"\r\nNO (NONEXISTENT) \"No such script\"\r\n"
              "BYE (TRYLATER) \"Too long\"\r\nOK (TAG \"t1\") \"Done\"\r\n");
}

TEST(ManageSieveResponses, StringsQuoteOrBecomeLiterals) {
    std::string out;
    append_string(out, "a\"b\\c");
    EXPECT_EQ(out, "\"a\\\"b\\\\c\"");
    out.clear();
    append_no(out, "line 3: error\r\nline 4: error");
    EXPECT_EQ(out, "NO {28}\r\nline 3: error\r\nline 4: error\r\n");
    out.clear();
    append_string(out, std::string(1025, 'x'));
    EXPECT_EQ(out.substr(0, 8), "{1025}\r\n");
    EXPECT_EQ(out.size(), 8u + 1025u);
}

TEST(ManageSieveResponses, CapabilitiesAndScripts) {
    std::string out;
    append_capability(out, "IMPLEMENTATION", "Postern");
    append_capability(out, "SIEVE", "fileinto vacation");
    append_capability_flag(out, "STARTTLS");
    append_script_line(out, "a", false);
    append_script_line(out, "b", true);
    append_challenge(out, "");
    EXPECT_EQ(out,
              "\"IMPLEMENTATION\" \"Postern\"\r\n\"SIEVE\" \"fileinto vacation\"\r\n"
              "\"STARTTLS\"\r\n\"a\"\r\n\"b\" ACTIVE\r\n\"\"\r\n");
}

}  // namespace
}  // namespace postern::proto::managesieve
