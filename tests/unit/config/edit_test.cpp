#include "config/edit.h"

#include <gtest/gtest.h>

namespace postern::config {
namespace {

TEST(ConfigEdit, ReplacesKeepingComments) {
    std::string text =
        "# top comment\n[services.smtp]\nenabled = true   # on\nlog_level = "
        "15\n\n[[services.smtp.listener]]\naddress = \"127.0.0.1:25\"\n";
    auto out = set_key(text, "services.smtp", "log_level", "31");
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out,
              "# top comment\n[services.smtp]\nenabled = true   # on\nlog_level = "
              "31\n\n[[services.smtp.listener]]\naddress = \"127.0.0.1:25\"\n");
}

TEST(ConfigEdit, AddsKeyToExistingTable) {
    auto out = set_key(
        "[services.smtp]\nenabled = true\n\n# listeners\n[[services.smtp.listener]]\naddress = "
        "\"127.0.0.1:25\"\n",
        "services.smtp", "log_level", "8");
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out,
              "[services.smtp]\nenabled = true\nlog_level = 8\n\n# "
              "listeners\n[[services.smtp.listener]]\naddress = \"127.0.0.1:25\"\n");
}

TEST(ConfigEdit, AppendsMissingTable) {
    auto out = set_key("[server]\nhostname = \"a\"\n", "services.smtp", "log_level", "1");
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "[server]\nhostname = \"a\"\n\n[services.smtp]\nlog_level = 1\n");
}

TEST(ConfigEdit, RefusesWhatItCannotEditSafely) {
    // The table is defined through dotted keys: adding a [services.smtp] header would redefine it.
    EXPECT_FALSE(set_key("services.smtp.log_level = 3\n", "services.smtp", "log_level", "5"));
    EXPECT_FALSE(set_key("[server]\n", "server", "hostname", "\"unterminated"));
}

}  // namespace
}  // namespace postern::config
