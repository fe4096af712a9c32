// ihave (RFC 5463) and environment (RFC 5183): the RFC examples, compile-time decisions,
// guarded blocks with unknown commands, the error command, and hostile arguments.
#include <gtest/gtest.h>

#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::actions_of;
using testing::compile_error;
using testing::holds;
using testing::run_script;

TEST(SieveIhave, KnownCapabilityEnablesItsCommandsInTheBlock) {
    // RFC 5463 §4: fileinto without require, inside "if ihave".
    EXPECT_EQ(actions_of("require \"ihave\";\n"
                         "if ihave \"fileinto\" { fileinto \"Known\"; } else { discard; }\n"),
              "store:Known");
    EXPECT_EQ(actions_of("require \"ihave\";\n"
                         "if ihave [\"fileinto\", \"copy\"] { fileinto :copy \"A\"; }\n"),
              "store:A(copy) keep:INBOX");
}

TEST(SieveIhave, UnknownCapabilityBlockIsNotValidatedAndNeverRuns) {
    // The example of ihave/execute.svtest (an unknown extension's command in the block).
    EXPECT_EQ(actions_of("require \"ihave\";\n"
                         "if ihave \"nonsense-extension\" { nonsense_command \"Frop!\"; }\n"
                         "redirect \"frop@example.com\";\n"),
              "redirect:frop@example.com");
    // RFC 5463 §4 example: fall back when a capability is missing.
    EXPECT_EQ(actions_of("require [\"ihave\", \"fileinto\"];\n"
                         "if ihave \"x-frob\" { frob :hard \"a\" 7; }\n"
                         "elsif ihave \"fileinto\" { fileinto \"Fallback\"; }\n"),
              "store:Fallback");
    EXPECT_FALSE(holds(",\"ihave\"", "ihave [\"fileinto\", \"x-unknown\"]"));
    EXPECT_TRUE(holds(",\"ihave\"", "ihave [\"FileInto\", \"envelope\"]"));
}

TEST(SieveIhave, UnknownCommandsOutsideAGuardStillFail) {
    // Only the block an "if ihave" guards directly is exempt.
    EXPECT_NE(compile_error("require \"ihave\";\n"
                            "if not ihave \"x-frob\" { frob; }\n")
                  .find("unknown command 'frob'"),
              std::string::npos);
    EXPECT_NE(compile_error("require \"ihave\";\n"
                            "if anyof (ihave \"x-frob\", true) { frob; }\n")
                  .find("unknown command 'frob'"),
              std::string::npos);
    EXPECT_NE(compile_error("if ihave \"fileinto\" { }").find("ihave"), std::string::npos);
}

TEST(SieveIhave, LexicalExtensionsAreRefused) {
    // ihave/restrictions.svtest: variables and encoded-character change how strings are read.
    EXPECT_FALSE(holds(",\"ihave\"", "ihave \"variables\""));
    EXPECT_FALSE(holds(",\"ihave\"", "ihave \"encoded-character\""));
    // Already required: ihave says yes.
    EXPECT_TRUE(holds(",\"ihave\",\"variables\"", "ihave \"variables\""));
}

TEST(SieveIhave, ErrorCommandFailsTheRun) {
    auto r = run_script("require \"ihave\";\nfileinto \"x\";\nerror \"Something failed.\";\n");
    EXPECT_FALSE(r.compiled.program);  // fileinto not required
    r = run_script(
        "require [\"ihave\", \"fileinto\"];\nfileinto \"x\";\n"
        "error \"Something failed.\";\n");
    ASSERT_TRUE(r.compiled.program);
    EXPECT_FALSE(r.result.ok);
    ASSERT_EQ(r.result.errors.size(), 1u);
    EXPECT_NE(r.result.errors[0].find("Something failed."), std::string::npos);
    EXPECT_EQ(r.summary, "keep:INBOX");  // RFC 5228 §2.10.6: only the implicit keep
}

TEST(SieveIhave, HostileArguments) {
    std::string many = "require \"ihave\"; if ihave [";
    for (int i = 0; i < 100; ++i)
        many += (i ? ",\"x" : "\"x") + std::to_string(i) + "\"";
    many += "] { }";
    EXPECT_NE(compile_error(many).find("more than"), std::string::npos);
    EXPECT_FALSE(holds(",\"ihave\"", "ihave \"\""));
    EXPECT_FALSE(holds(",\"ihave\"", "ihave \"\\u0000fileinto\""));
    // A guarded block with garbage that still parses is skipped, not validated.
    EXPECT_EQ(actions_of("require \"ihave\";\n"
                         "if ihave \"x\" { a :b :c 1 2 3 [\"d\"] { e; } f (g, h); }\n"),
              "keep:INBOX");
    EXPECT_NE(compile_error("require \"ihave\"; if ihave 5 { }").find("ihave"), std::string::npos);
}

TEST(SieveEnvironment, Items) {
    const std::string req = ",\"environment\"";
    EXPECT_TRUE(holds(req, "environment :is \"name\" \"Postern Sieve\""));
    EXPECT_TRUE(holds(req, "environment :is \"NAME\" \"postern sieve\""));
    EXPECT_TRUE(holds(req, "environment :is \"location\" \"MDA\""));
    EXPECT_TRUE(holds(req, "environment :is \"phase\" \"during\""));
    EXPECT_TRUE(holds(req, "environment :is \"domain\" \"localhost\""));
    EXPECT_TRUE(holds(req, "environment :is \"host\" \"localhost\""));
    EXPECT_TRUE(holds(req, "environment :matches \"version\" \"*.*\""));
    // Unknown: false, also for :count and for the empty string.
    EXPECT_FALSE(holds(req, "environment :contains \"nonsense\" \"\""));
    EXPECT_FALSE(holds(req, "environment :contains \"remote-ip\" \"\""));
    EXPECT_FALSE(holds(req + ",\"relational\"", "environment :count \"eq\" \"nonsense\" \"0\""));
    EXPECT_TRUE(holds(req + ",\"relational\"", "environment :count \"eq\" \"location\" \"1\""));
}

class RemoteEnvironment : public testing::FakeEnvironment {
  public:
    std::string_view domain() const override { return "example.org"; }
    std::string_view host() const override { return "mx.example.org"; }
    std::optional<std::string> environment_item(std::string_view item) const override {
        if (item == "remote-ip")
            return std::string("192.0.2.7");
        return Environment::environment_item(item);
    }
};

TEST(SieveEnvironment, Rfc5183ExampleWithTheHostsValues) {
    // RFC 5183 §7: act on where the script runs.
    RemoteEnvironment env;
    auto r = run_script(
        "require [\"environment\", \"variables\", \"fileinto\", \"imap4flags\"];\n"
        "if environment :matches \"remote-ip\" \"192.0.2.*\" { fileinto \"Local.${1}\"; }\n"
        "if environment :is \"domain\" \"example.org\" {\n"
        "  if environment :is \"host\" \"mx.example.org\" { addflag \"x\"; }\n"
        "}\n",
        testing::kMessage, {"a@b.example", "c@example.org", "", ""}, &env);
    ASSERT_TRUE(r.compiled.program) << r.compiled.error_text();
    EXPECT_EQ(r.summary, "store:Local.7");
}

TEST(SieveEnvironment, HostileArguments) {
    const std::string req = ",\"environment\"";
    EXPECT_FALSE(holds(req, "environment :contains \"" + std::string(300, 'n') + "\" \"\""));
    EXPECT_FALSE(holds(req, "environment :contains \"name\\u0000\" \"\""));
    EXPECT_NE(compile_error("require \"environment\"; if environment [\"a\", \"b\"] \"x\" { }")
                  .find("argument 1"),
              std::string::npos);
    EXPECT_NE(compile_error("if environment \"name\" \"x\" { }").find("environment"),
              std::string::npos);
}

}  // namespace
}  // namespace postern::sieve
