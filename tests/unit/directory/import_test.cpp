#include <sstream>

#include <gtest/gtest.h>

#include "fixture.h"

namespace postern::directory::testing {
namespace {

class Import : public DirectoryTest {
  protected:
    void SetUp() override {
        DirectoryTest::SetUp();
        add_domain("example.com");
        ASSERT_OK(dir_->add_class("example.com", "staff"));
    }

    Result<ImportReport> run(const std::string& csv, ImportOptions options = {}) {
        std::istringstream in(csv);
        return dir_->import_accounts(in, options);
    }

    std::vector<std::size_t> error_lines(const ImportReport& report) {
        std::vector<std::size_t> lines;
        for (const auto& e : report.errors)
            lines.push_back(e.line);
        return lines;
    }

    std::size_t account_count() { return dir_->list_accounts({.domain = "example.com"})->size(); }
};

TEST_F(Import, PlainAndHashedPasswordsWithOptionalColumns) {
    auto report =
        run("address,password,class,quota,enabled,services\r\n"
            "alice@example.com,Alice-password-1,staff,1G,yes,\r\n"
            "bob@example.com,{PLAIN}bob-secret,,,no,imap\r\n"
            "\"carol@example.com\",\"with,comma \"\"and quotes\"\" 1\",,,,\r\n");
    ASSERT_OK(report);
    EXPECT_EQ(report->rows, 3u);
    EXPECT_EQ(report->imported, 3u);
    EXPECT_TRUE(report->errors.empty()) << report->errors.front().message;

    auto alice = dir_->find_credentials("alice@example.com")->value();
    EXPECT_TRUE(auth::verify_hash(alice.secrets.hash, "Alice-password-1"));
    // Plain passwords are hashed at bulk cost and flagged for upgrade at first login.
    EXPECT_TRUE(auth::needs_upgrade(alice.secrets, cheap_options().hash));
    EXPECT_FALSE(auth::needs_upgrade(alice.secrets, cheap_options().bulk_hash));
    EXPECT_EQ(dir_->get_account("alice@example.com")->account_class, "staff");
    EXPECT_EQ(dir_->account_settings(alice.account_id)->quota, 1ull << 30);

    auto bob = dir_->find_credentials("bob@example.com")->value();
    EXPECT_EQ(bob.secrets.hash, "{PLAIN}bob-secret");
    EXPECT_FALSE(bob.enabled);
    EXPECT_EQ(bob.services, (std::vector<std::string>{"imap"}));

    auto carol = dir_->find_credentials("carol@example.com")->value();
    EXPECT_TRUE(auth::verify_hash(carol.secrets.hash, "with,comma \"and quotes\" 1"));
}

TEST_F(Import, HeaderProblemsFailTheWholeImport) {
    struct Case {
        std::string csv;
        std::string message_part;
    };
    const Case cases[] = {
        {"", "no header"},
        {"\n\n", "no header"},
        {"address\nu@example.com\n", "'address' and 'password'"},
        {"password,class\nx,y\n", "'address' and 'password'"},
        {"address,password,colour\n", "unknown column 'colour'"},
        {"address,password,address\n", "appears twice"},
        {"address,\"pass\"word\n", "header"},
    };
    for (const auto& c : cases) {
        auto r = run(c.csv);
        ASSERT_FALSE(r) << c.csv;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
    }
    EXPECT_EQ(account_count(), 0u);
    // Column names are case-insensitive and may come in any order; a header alone imports nothing.
    auto empty = run(" Password , ADDRESS ");
    ASSERT_OK(empty);
    EXPECT_EQ(empty->rows, 0u);
}

TEST_F(Import, HostileRowsAreReportedWithLineNumbers) {
    ASSERT_OK(dir_->add_domain_alias("example.net", "example.com"));
    add_account("exists@example.com");
    std::string huge(100'000, 'x');
    std::string csv =
        "address,password,quota\n"                      // line 1
        "ok1@example.com,Good-password-1,\n"            // 2 ok
        "missing-fields@example.com\n"                  // 3 field count
        "extra@example.com,Good-password-1,,surplus\n"  // 4 field count
        "bad\"quote@example.com,Good-password-1,\n"     // 5 quoting
        "\"closed\"junk,Good-password-1,\n"             // 6 text after quote
        "not-an-address,Good-password-1,\n"             // 7 syntax
        "x@unknown.org,Good-password-1,\n"              // 8 unknown domain
        "x@example.net,Good-password-1,\n"              // 9 domain alias
        "weak@example.com,short,\n"                     // 10 policy
        "hash@example.com,{MD4}abcdef,\n"               // 11 unsupported scheme
        "hash2@example.com,{SHA512-CRYPT}$5$wrong,\n"   // 12 bad hash
        "exists@example.com,Good-password-1,\n"         // 13 existing
        "ok1@EXAMPLE.com,Good-password-1,\n"            // 14 duplicate in file
        "quota@example.com,Good-password-1,lots\n"      // 15 bad setting
        "nopass@example.com,,\n"                        // 16 empty password
        "long@example.com," +
        huge +
        ",\n"                                             // 17 huge line
        "ctl@example.com,bad\x01password1,\n"             // 18 control character
        ",,\n"                                            // 19 blank row: ignored
        "ok2@example.com,Good-password-2,2M\n"            // 20 ok
        "\"unterminated@example.com,Good-password-1,\n";  // 21 runs to end of input
    auto report = run(csv);
    ASSERT_OK(report);
    EXPECT_EQ(report->imported, 2u);
    EXPECT_EQ(report->rows, 19u);
    EXPECT_EQ(error_lines(*report), (std::vector<std::size_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                                              14, 15, 16, 17, 18, 21}));
    auto message = [&](std::size_t line) {
        for (const auto& e : report->errors) {
            if (e.line == line)
                return e.message;
        }
        return std::string("none");
    };
    EXPECT_NE(message(3).find("expected 3 fields, found 1"), std::string::npos) << message(3);
    EXPECT_NE(message(5).find("quote"), std::string::npos) << message(5);
    EXPECT_NE(message(8).find("unknown.org does not exist"), std::string::npos) << message(8);
    EXPECT_NE(message(9).find("domain alias"), std::string::npos) << message(9);
    EXPECT_NE(message(10).find("too short"), std::string::npos) << message(10);
    EXPECT_NE(message(11).find("MD4"), std::string::npos) << message(11);
    EXPECT_NE(message(13).find("already exists"), std::string::npos) << message(13);
    EXPECT_NE(message(14).find("duplicate of line 2"), std::string::npos) << message(14);
    EXPECT_NE(message(15).find("quota"), std::string::npos) << message(15);
    EXPECT_NE(message(16).find("empty password"), std::string::npos) << message(16);
    EXPECT_NE(message(17).find("longer than"), std::string::npos) << message(17);
    EXPECT_NE(message(21).find("unterminated"), std::string::npos) << message(21);
    for (const auto& e : report->errors)
        EXPECT_LE(e.address.size(), 320u);

    EXPECT_TRUE(dir_->get_account("ok1@example.com"));
    EXPECT_EQ(dir_->account_settings(dir_->get_account("ok2@example.com")->id)->quota, 2u << 20);
    EXPECT_EQ(account_count(), 3u);  // exists, ok1, ok2
}

TEST_F(Import, StopOnFirstError) {
    auto report =
        run("address,password\n"
            "a@example.com,Good-password-1\n"
            "b@example.com,Good-password-1\n"
            "bad-row\n"
            "c@example.com,Good-password-1\n",
            {.stop_on_error = true, .batch_size = 10});
    ASSERT_OK(report);
    EXPECT_TRUE(report->stopped);
    EXPECT_EQ(report->imported, 2u);
    EXPECT_EQ(error_lines(*report), (std::vector<std::size_t>{4}));
    EXPECT_TRUE(dir_->get_account("b@example.com"));
    EXPECT_ERRC(dir_->get_account("c@example.com"), Errc::not_found);
}

TEST_F(Import, DryRunWritesNothing) {
    auto report =
        run("address,password\n"
            "a@example.com,Good-password-1\n"
            "b@new-domain.org,Good-password-1\n"
            "c@example.com,weak\n",
            {.dry_run = true, .create_domains = true});
    ASSERT_OK(report);
    EXPECT_EQ(report->imported, 2u);
    EXPECT_EQ(error_lines(*report), (std::vector<std::size_t>{4}));
    EXPECT_EQ(report->created_domains, (std::vector<std::string>{"new-domain.org"}));
    EXPECT_EQ(account_count(), 0u);
    EXPECT_FALSE(*dir_->is_local_domain("new-domain.org"));
}

TEST_F(Import, SkipExistingCreateDomainsGenerateMissing) {
    add_account("old@example.com");
    auto report =
        run("address,password\n"
            "old@example.com,Good-password-1\n"
            "new@example.com,\n"
            "u@fresh.org,Good-password-1\n"
            "v@fresh.org,Good-password-1\n",
            {.skip_existing = true, .create_domains = true, .generate_missing = true});
    ASSERT_OK(report);
    EXPECT_TRUE(report->errors.empty()) << report->errors.front().message;
    EXPECT_EQ(report->skipped, 1u);
    EXPECT_EQ(report->imported, 3u);
    EXPECT_EQ(report->created_domains, (std::vector<std::string>{"fresh.org"}));
    ASSERT_EQ(report->generated.size(), 1u);
    EXPECT_EQ(report->generated[0].first, "new@example.com");
    auto creds = dir_->find_credentials("new@example.com")->value();
    EXPECT_TRUE(auth::verify_hash(creds.secrets.hash, report->generated[0].second));
    EXPECT_TRUE(dir_->get_account("v@fresh.org"));
}

TEST_F(Import, ManyRowsAcrossBatchesAndThreads) {
    std::string csv = "address,password\n";
    constexpr int kRows = 250;
    for (int i = 0; i < kRows; ++i) {
        csv += "user" + std::to_string(i) + "@example.com,";
        // Every third row pre-hashed, the rest plain.
        csv += (i % 3 == 0) ? "{PLAIN}pw" + std::to_string(i) : "Password-" + std::to_string(i);
        csv += "\n";
    }
    auto options = cheap_options();
    options.hash_threads = 4;
    reopen(options);
    auto report = run(csv, {.batch_size = 64});
    ASSERT_OK(report);
    EXPECT_TRUE(report->errors.empty());
    EXPECT_EQ(report->imported, static_cast<std::size_t>(kRows));
    EXPECT_EQ(account_count(), static_cast<std::size_t>(kRows));
    for (int i : {0, 1, 2, 63, 64, 65, 128, 249}) {
        auto creds = dir_->find_credentials("user" + std::to_string(i) + "@example.com")->value();
        auto password = (i % 3 == 0) ? "pw" + std::to_string(i) : "Password-" + std::to_string(i);
        EXPECT_TRUE(auth::verify_hash(creds.secrets.hash, password)) << i;
    }
}

TEST_F(Import, NoRowIsHalfWritten) {
    // Every row is created whole or not at all: its address, class link and settings together.
    auto report =
        run("address,password,quota,class\n"
            "a@example.com,Good-password-1,1M,staff\n"
            "b@example.com,Good-password-1,bad,staff\n"
            "c@example.com,Good-password-1,2M,nope\n");
    ASSERT_OK(report);
    EXPECT_EQ(report->imported, 1u);
    EXPECT_EQ(error_lines(*report), (std::vector<std::size_t>{3, 4}));
    EXPECT_ERRC(dir_->get_account("b@example.com"), Errc::not_found);
    EXPECT_ERRC(dir_->get_account("c@example.com"), Errc::not_found);
    EXPECT_EQ(dir_->resolve("b@example.com")->kind, AddressKind::unknown_user);
    auto a = dir_->explicit_settings(SettingTarget::for_account("a@example.com"));
    ASSERT_OK(a);
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ(dir_->list_classes("example.com")->front().accounts, 1u);
}

TEST_F(Import, StreamFailureIsAnError) {
    std::istringstream in("address,password\n");
    in.setstate(std::ios::badbit);
    auto r = dir_->import_accounts(in, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io_error);
}

}  // namespace
}  // namespace postern::directory::testing
