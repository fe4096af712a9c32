// SMTP-IN's policy glue: the header block rewrite (addHeader/removeHeader applied to the bytes
// that go to the queue) and where the header block ends.
#include "services/smtp_in/policy_hooks.h"

#include <gtest/gtest.h>

#include "directory/types.h"

namespace postern::services::smtp_in {
namespace {

using filter::policy::HeaderChange;

HeaderChange add(std::string name, std::string value) {
    return {HeaderChange::Kind::add, std::move(name), std::move(value)};
}
HeaderChange remove(std::string name) {
    return {HeaderChange::Kind::remove, std::move(name), {}};
}

TEST(HeaderBlockLength, FindsTheEmptyLine) {
    EXPECT_EQ(header_block_length("A: 1\r\nB: 2\r\n\r\nbody\r\n"), 14u);
    EXPECT_EQ(header_block_length("\r\nbody\r\n"), 2u);
    EXPECT_EQ(header_block_length("A: 1\r\n\r\n"), 8u);
}

TEST(RewriteHeaderBlock, AddsOnTopInCallOrder) {
    std::vector<HeaderChange> changes = {add("X-One", "1"), add("X-Two", "2")};
    EXPECT_EQ(rewrite_header_block("Subject: s\r\n\r\n", changes),
              "X-One: 1\r\nX-Two: 2\r\nSubject: s\r\n\r\n");
}

TEST(RewriteHeaderBlock, RemovesEveryFieldOfTheNameWithItsContinuationLines) {
    std::string block = "X-Spam: yes\r\n\tfolded\r\nSubject: s\r\n  more\r\nx-spam:no\r\n\r\n";
    std::vector<HeaderChange> changes = {remove("X-SPAM")};
    EXPECT_EQ(rewrite_header_block(block, changes), "Subject: s\r\n  more\r\n\r\n");
}

TEST(RewriteHeaderBlock, RemoveAlsoDropsFieldsAddedBefore) {
    std::vector<HeaderChange> changes = {add("X-A", "1"), remove("X-A"), add("X-A", "2")};
    EXPECT_EQ(rewrite_header_block("From: a@b\r\n\r\n", changes), "X-A: 2\r\nFrom: a@b\r\n\r\n");
}

TEST(RewriteHeaderBlock, KeepsUntouchedBytes) {
    std::string block = "From: a@b\r\nTo: c@d,\r\n e@f\r\nSubject:  two  spaces\r\n\r\n";
    EXPECT_EQ(rewrite_header_block(block, {}), block);
    EXPECT_EQ(rewrite_header_block("\r\n", {}), "\r\n");
}

TEST(RecipientKind, MapsDirectoryAnswers) {
    directory::Resolution r;
    r.kind = directory::AddressKind::not_local;
    EXPECT_EQ(recipient_kind(r), filter::policy::RecipientKind::remote);
    r.kind = directory::AddressKind::alias;
    EXPECT_EQ(recipient_kind(r), filter::policy::RecipientKind::alias);
    r.kind = directory::AddressKind::catch_all;
    EXPECT_EQ(recipient_kind(r), filter::policy::RecipientKind::account);
}

}  // namespace
}  // namespace postern::services::smtp_in
