// special-use (RFC 8579): specialuse_exists with and without a mailbox, fileinto :specialuse
// resolving to the folder that has the attribute or falling back to the named one, the flag
// syntax, and hostile arguments.
#include <gtest/gtest.h>

#include "base/strings.h"
#include "filter/sieve/commands.h"
#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::compile_error;
using testing::run_script;

class SpecialUseEnvironment : public testing::FakeEnvironment {
  public:
    SpecialUseEnvironment() { mailboxes = {"INBOX", "Spam Stuff", "Sent Items", "Archive"}; }
    std::map<std::string, std::string> uses{{"\\junk", "Spam Stuff"}, {"\\sent", "Sent Items"}};
    std::optional<std::string> special_use_mailbox(std::string_view use) override {
        auto it = uses.find(to_lower(use));
        if (it == uses.end())
            return std::nullopt;
        return it->second;
    }
    bool has_special_use(std::string_view mailbox, std::string_view use) override {
        auto box = special_use_mailbox(use);
        return box && *box == mailbox;
    }
};

std::string run_with(const std::string& script, SpecialUseEnvironment& env) {
    auto r = run_script(script, testing::kMessage,
                        {"coyote@desert.example.org", "roadrunner@acme.example.com", "", ""}, &env);
    EXPECT_TRUE(r.compiled.program) << script << "\n" << r.compiled.error_text();
    if (!r.result.ok)
        return "error: " + (r.result.errors.empty() ? std::string() : r.result.errors[0]);
    return r.summary;
}

const std::string kReq = "require [\"fileinto\", \"special-use\", \"variables\"];\n";

TEST(SieveSpecialUse, FileintoGoesToTheFolderWithTheAttribute) {
    SpecialUseEnvironment env;
    // RFC 8579 §4 example.
    EXPECT_EQ(run_with(kReq + "fileinto :specialuse \"\\\\Junk\" \"Spam\";", env),
              "store:Spam Stuff");
    EXPECT_EQ(run_with(kReq + "fileinto :specialuse \"\\\\JUNK\" \"Spam\";", env),
              "store:Spam Stuff");
    // No folder has \Archive: the named mailbox.
    EXPECT_EQ(run_with(kReq + "fileinto :specialuse \"\\\\Archive\" \"Archive\";", env),
              "store:Archive");
    // From a variable.
    EXPECT_EQ(run_with(kReq + "set \"u\" \"\\\\Sent\"; fileinto :specialuse \"${u}\" \"x\";", env),
              "store:Sent Items");
    // The action remembers the attribute, so :create can give it to a new folder.
    auto r = run_script(
        "require [\"fileinto\", \"special-use\", \"mailbox\"];\n"
        "fileinto :specialuse \"\\\\Drafts\" :create \"Drafts\";",
        testing::kMessage, {"a@b.example", "c@d.example", "", ""}, &env);
    ASSERT_TRUE(r.result.ok);
    ASSERT_EQ(r.result.actions.actions().size(), 1u);
    EXPECT_EQ(r.result.actions.actions()[0].mailbox, "Drafts");
    EXPECT_TRUE(r.result.actions.actions()[0].create);
    EXPECT_EQ(r.result.actions.actions()[0].special_use, "\\Drafts");
}

TEST(SieveSpecialUse, InvalidFlagFromAVariableIsARuntimeError) {
    SpecialUseEnvironment env;
    EXPECT_NE(run_with(kReq + "set \"u\" \"Junk\"; fileinto :specialuse \"${u}\" \"x\";", env)
                  .find("error: "),
              std::string::npos);
}

TEST(SieveSpecialUse, SpecialuseExists) {
    SpecialUseEnvironment env;
    auto holds = [&](const std::string& test, const std::string& before = "") {
        return run_with(kReq + before + "if " + test + " { fileinto \"yes\"; }", env) ==
               "store:yes";
    };
    EXPECT_TRUE(holds("specialuse_exists \"\\\\Junk\""));
    EXPECT_TRUE(holds("specialuse_exists [\"\\\\Junk\", \"\\\\Sent\"]"));
    EXPECT_FALSE(holds("specialuse_exists [\"\\\\Junk\", \"\\\\Drafts\"]"));
    EXPECT_TRUE(holds("specialuse_exists \"Spam Stuff\" \"\\\\Junk\""));
    EXPECT_FALSE(holds("specialuse_exists \"Spam Stuff\" \"\\\\Sent\""));
    EXPECT_FALSE(holds("specialuse_exists \"Archive\" \"\\\\Junk\""));
    EXPECT_FALSE(holds("specialuse_exists \"Nope\" \"\\\\Junk\""));
    // Invalid UTF-8 mailbox name from a variable: false, no error (RFC 8579 §3).
    EXPECT_FALSE(holds("specialuse_exists \"${m}\" \"\\\\Junk\"", "set \"m\" \"\xff\";"));
    // A flag from a variable that is not a flag: false.
    EXPECT_FALSE(holds("specialuse_exists \"${f}\"", "set \"f\" \"Junk\";"));
}

TEST(SieveSpecialUse, CompileErrors) {
    const std::string req = "require [\"fileinto\", \"special-use\", \"encoded-character\"];\n";
    EXPECT_NE(compile_error(req + "if specialuse_exists \"frop\" {}").find("invalid special-use"),
              std::string::npos);
    EXPECT_NE(compile_error(req + "if specialuse_exists \"frop\" [\"frop\"] {}")
                  .find("invalid special-use"),
              std::string::npos);
    EXPECT_NE(compile_error(req + "if specialuse_exists {}").find("positional"), std::string::npos);
    EXPECT_NE(
        compile_error(req + "fileinto :specialuse \"frop\" \"frop\";").find("invalid special-use"),
        std::string::npos);
    EXPECT_NE(compile_error(req + "fileinto :specialuse \"\\\\frop\";").find("positional"),
              std::string::npos);
    EXPECT_NE(
        compile_error(req + "fileinto :specialuse \"\\\\Sent\" \"${hex:ff}rop\";").find("UTF-8"),
        std::string::npos);
    EXPECT_NE(compile_error("require \"fileinto\"; fileinto :specialuse \"\\\\Junk\" \"x\";")
                  .find("special-use"),
              std::string::npos);
    // A mailbox that is not UTF-8 in specialuse_exists is only a warning.
    auto c = compile(req + "if specialuse_exists \"${hex:ff}rop\" \"\\\\Sent\" {}");
    EXPECT_TRUE(c.program);
    EXPECT_EQ(c.warnings.size(), 1u);
}

TEST(SieveSpecialUse, FlagSyntaxAndHostileArguments) {
    EXPECT_TRUE(valid_special_use("\\Junk"));
    EXPECT_TRUE(valid_special_use("\\X-Custom"));
    for (const char* bad : {"", "\\", "Junk", "\\Ju nk", "\\Ju*nk", "\\Ju%nk", "\\Ju\"nk",
                            "\\Ju\\nk", "\\Ju(nk", "\\Junk\r\n", "\\Jun\x7f", "\\J\xc3\xbcnk"})
        EXPECT_FALSE(valid_special_use(bad)) << bad;
    EXPECT_FALSE(valid_special_use("\\" + std::string(100, 'a')));
    std::string many = "require \"special-use\"; if specialuse_exists [";
    for (int i = 0; i < 100; ++i)
        many += (i ? ",\"\\\\x" : "\"\\\\x") + std::to_string(i) + "\"";
    many += "] { }";
    EXPECT_NE(compile_error(many).find("more than"), std::string::npos);
    SpecialUseEnvironment env;
    std::string huge = kReq + "set \"u\" \"\\\\" + std::string(5000, 'J') +
                       "\"; fileinto :specialuse \"${u}\" \"x\";";
    std::string out = run_with(huge, env);
    EXPECT_NE(out.find("error: "), std::string::npos);
    EXPECT_LT(out.size(), 300u);  // the error does not echo the whole value
}

}  // namespace
}  // namespace postern::sieve
