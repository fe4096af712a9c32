// mime, foreverypart and extracttext (RFC 5703): the loop order over the MIME tree, nested
// loops and break :name, the :mime/:anychild tests with the content-type options, extracttext
// with :first and modifiers, the RFC's examples, and hostile input (deep nesting, many parts,
// huge parts).
#include <gtest/gtest.h>

#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::actions_of;
using testing::compile_error;
using testing::run_script;

const char* kMultipart =
    "From: a@example.com\r\n"
    "To: b@example.com\r\n"
    "Subject: parts\r\n"
    "Content-Type: multipart/mixed; boundary=AA\r\n"
    "X-Test: AA\r\n"
    "\r\n"
    "--AA\r\n"
    "Content-Type: multipart/alternative; boundary=BB\r\n"
    "X-Test: BB\r\n"
    "\r\n"
    "--BB\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "X-Test: CC\r\n"
    "\r\n"
    "Plain words here.\r\n"
    "--BB\r\n"
    "Content-Type: text/html; charset=us-ascii\r\n"
    "X-Test: DD\r\n"
    "\r\n"
    "<html><body><b>Bold</b> &amp; words<script>x()</script></body></html>\r\n"
    "--BB--\r\n"
    "--AA\r\n"
    "Content-Type: application/x-msdownload; name=\"frop.exe\"\r\n"
    "Content-Disposition: attachment; filename=\"frop.exe\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "X-Test: EE\r\n"
    "\r\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n"
    "--AA--\r\n";

std::string run_on(const std::string& script, const std::string& msg = kMultipart) {
    auto r = run_script(script, msg);
    EXPECT_TRUE(r.compiled.program) << script << "\n" << r.compiled.error_text();
    if (!r.result.ok)
        return "error: " + (r.result.errors.empty() ? std::string() : r.result.errors[0]);
    return r.summary;
}

const std::string kReq =
    "require [\"foreverypart\", \"mime\", \"variables\", \"fileinto\", \"extracttext\"];\n";

TEST(SieveMime, ForeverypartVisitsEveryPartInDocumentOrder) {
    EXPECT_EQ(run_on(kReq + "set \"seen\" \"\";\n"
                            "foreverypart { if header :mime :matches \"X-Test\" \"*\" {\n"
                            "  set \"seen\" \"${seen}${1}.\"; } }\n"
                            "fileinto \"${seen}\";"),
              "store:AA.BB.CC.DD.EE.");
    // A nested loop visits the parts inside the outer loop's part.
    EXPECT_EQ(
        run_on(kReq + "set \"seen\" \"\";\n"
                      "foreverypart { if header :mime \"X-Test\" \"BB\" { foreverypart {\n"
                      "  if header :mime :matches \"X-Test\" \"*\" { set \"seen\" \"${seen}${1}\"; "
                      "} } } }\n"
                      "fileinto \"${seen}\";"),
        "store:CCDD");
}

TEST(SieveMime, BreakEndsTheNamedLoop) {
    EXPECT_EQ(run_on(kReq + "set \"n\" \"\";\n"
                            "foreverypart :name \"outer\" { set \"n\" \"${n}o\";\n"
                            "  foreverypart { set \"n\" \"${n}i\"; break :name \"outer\"; } }\n"
                            "fileinto \"${n}\";"),
              "store:oi");
    EXPECT_EQ(run_on(kReq + "set \"n\" \"\";\n"
                            "foreverypart { set \"n\" \"${n}x\";\n"
                            "  if header :mime \"X-Test\" \"BB\" { break; } }\n"
                            "fileinto \"${n}\";"),
              "store:xx");
}

TEST(SieveMime, Rfc5703Section8Example) {
    // RFC 5703 §8: reject executables attached to the message.
    std::string script =
        "require [\"mime\", \"foreverypart\", \"reject\"];\n"
        "foreverypart {\n"
        "  if header :mime :param \"filename\" :matches \"Content-Disposition\"\n"
        "       [\"*.com\", \"*.exe\", \"*.vbs\", \"*.scr\", \"*.pif\", \"*.hta\", \"*.bat\", "
        "\"*.zip\"] {\n"
        "    reject \"Found attachment with executable content\";\n"
        "  }\n"
        "}\n";
    EXPECT_EQ(run_on(script), "reject:Found attachment with executable content");
    EXPECT_EQ(run_on(script, testing::kMessage), "keep:INBOX");
}

TEST(SieveMime, ContentTypeOptions) {
    auto holds = [&](const std::string& test) {
        return run_on(kReq + "if " + test + " { fileinto \"yes\"; }") == "store:yes";
    };
    EXPECT_TRUE(holds("header :mime :type \"Content-Type\" \"multipart\""));
    EXPECT_TRUE(holds("header :mime :subtype \"Content-Type\" \"mixed\""));
    EXPECT_TRUE(holds("header :mime :contenttype \"Content-Type\" \"multipart/mixed\""));
    EXPECT_TRUE(holds("header :mime :param \"boundary\" \"Content-Type\" \"AA\""));
    EXPECT_FALSE(holds("header :mime :type \"Content-Type\" \"text\""));
    EXPECT_TRUE(holds("header :mime :anychild :type \"Content-Type\" \"text\""));
    EXPECT_TRUE(holds("header :mime :anychild :type \"Content-Disposition\" \"attachment\""));
    EXPECT_TRUE(holds("exists :mime :anychild [\"Content-Disposition\", \"X-Test\"]"));
    EXPECT_FALSE(holds("exists :mime \"Content-Disposition\""));
    EXPECT_TRUE(holds("address :mime :domain \"From\" \"example.com\""));
    // Without :mime the tests still read the message's own header inside a loop.
    EXPECT_EQ(run_on(kReq + "foreverypart { if not header \"X-Test\" \"AA\" { discard; } }"),
              "keep:INBOX");
}

TEST(SieveMime, Extracttext) {
    EXPECT_EQ(run_on(kReq + "foreverypart { if header :mime :contenttype \"Content-Type\" "
                            "\"text/plain\" {\n"
                            "  extracttext :first 5 :upper \"t\"; fileinto \"${t}\"; } }"),
              "store:PLAIN");
    EXPECT_EQ(
        run_on(kReq + "foreverypart { if header :mime :subtype \"Content-Type\" \"html\" {\n"
                      "  extracttext \"t\"; if string :contains \"${t}\" \"Bold & words\" {\n"
                      "  if not string :contains \"${t}\" \"x()\" { fileinto \"html\"; } } } }"),
        "store:html");
    // A non-text part gives "".
    EXPECT_EQ(
        run_on(kReq + "foreverypart { if header :mime \"X-Test\" \"EE\" {\n"
                      "  extracttext \"t\"; if string \"${t}\" \"\" { fileinto \"empty\"; } } }"),
        "store:empty");
}

TEST(SieveMime, CompileErrors) {
    EXPECT_NE(compile_error(kReq + "break;").find("not inside"), std::string::npos);
    EXPECT_NE(
        compile_error(kReq + "foreverypart :name \"a\" { break :name \"b\"; }").find("named 'b'"),
        std::string::npos);
    EXPECT_NE(compile_error(kReq + "extracttext \"x\";").find("not inside"), std::string::npos);
    EXPECT_NE(compile_error(kReq + "foreverypart { extracttext \"0\"; }").find("variable name"),
              std::string::npos);
    EXPECT_NE(compile_error("require [\"extracttext\", \"variables\"]; keep;")
                  .find("without the 'foreverypart'"),
              std::string::npos);
    EXPECT_NE(compile_error(kReq + "if header :anychild \"x\" \"y\" { }").find(":mime"),
              std::string::npos);
    EXPECT_NE(
        compile_error(kReq + "if header :mime :type :subtype \"x\" \"y\" { }").find("only one"),
        std::string::npos);
    EXPECT_NE(compile_error(kReq + "if address :mime :type \"x\" \"y\" { }").find("unknown tag"),
              std::string::npos);
    EXPECT_NE(compile_error("if header :mime \"x\" \"y\" { }").find("mime"), std::string::npos);
}

TEST(SieveMime, HostileInput) {
    // Loops nested deeper than 4: compile error; through include: runtime error.
    EXPECT_NE(compile_error(kReq + "foreverypart { foreverypart { foreverypart { foreverypart {\n"
                                   "foreverypart { keep; } } } } }")
                  .find("deeper"),
              std::string::npos);
    testing::FakeEnvironment env;
    env.scripts["personal:loop"] =
        "require [\"foreverypart\", \"include\"]; foreverypart { include \"loop\"; }";
    auto r = run_script(
        "require [\"foreverypart\", \"include\"];\n"
        "foreverypart { include \"loop\"; }",
        kMultipart, {"a@b.example", "c@d.example", "", ""}, &env);
    ASSERT_TRUE(r.compiled.program);
    EXPECT_FALSE(r.result.ok);
    // A message with thousands of parts and a loop over each: bounded by the instruction
    // budget, ends with an error rather than running on.
    std::string many = "Content-Type: multipart/mixed; boundary=X\r\n\r\n";
    for (int i = 0; i < 3000; ++i)
        many += "--X\r\nContent-Type: text/plain\r\n\r\nx\r\n";
    many += "--X--\r\n";
    ExecLimits limits;
    limits.instruction_budget = 5000;
    r = run_script(kReq + "foreverypart { foreverypart { foreverypart { keep; } } }", many,
                   {"a@b.example", "c@d.example", "", ""}, nullptr, limits);
    ASSERT_TRUE(r.compiled.program);
    EXPECT_FALSE(r.result.ok);
    // Deeply nested multiparts: the parser's depth limit keeps the tree bounded.
    std::string deep;
    for (int i = 0; i < 300; ++i)
        deep += "Content-Type: multipart/mixed; boundary=B" + std::to_string(i) + "\r\n\r\n--B" +
                std::to_string(i) + "\r\n";
    deep += "\r\nend\r\n";
    EXPECT_EQ(
        run_on(kReq + "foreverypart { if header :mime :anychild :contains \"X\" \"\" { } }", deep),
        "keep:INBOX");
    // A huge text part: extracttext stores at most the variable size limit.
    std::string big = "Content-Type: text/plain\r\n\r\n" + std::string(2 * 1024 * 1024, 'a');
    EXPECT_EQ(run_on(kReq + "foreverypart { extracttext :length \"n\"; fileinto \"${n}\"; }", big),
              "store:4096");
}

}  // namespace
}  // namespace postern::sieve
