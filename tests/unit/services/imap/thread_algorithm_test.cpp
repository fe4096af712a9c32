// THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §2.2, §3, §4): the RFC's response
// example, the imaptest thread cases, dummy parents, loops in References, and threads 10,000
// messages deep or wide without recursion.
#include "services/imap/thread_algorithm.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mime/subject.h"

namespace postern::services::imap {
namespace {

// Message `number` with a Message-ID, References and a raw Subject; the date defaults to the
// number, so mailbox order and date order agree.
ThreadMessage msg(std::uint32_t number, std::string id, std::vector<std::string> refs = {},
                  std::string subject = {}, std::int64_t date = -1) {
    ThreadMessage m;
    m.number = number;
    m.date = date < 0 ? number : date;
    m.message_id = std::move(id);
    m.references = std::move(refs);
    auto b = mime::base_subject(subject);
    m.base_subject = std::move(b.text);
    m.reply = b.reply_or_forward;
    return m;
}

std::string references(const std::vector<ThreadMessage>& msgs) {
    return thread_response(thread_references(msgs));
}

std::string ordered(const std::vector<ThreadMessage>& msgs) {
    return thread_response(thread_ordered_subject(msgs));
}

TEST(ThreadReferences, Rfc5256ResponseExample) {
    // "(2)(3 6 (4 23)(44 7 96))" (RFC 5256 §4).
    std::vector<ThreadMessage> m{
        msg(2, "2@x"),
        msg(3, "3@x"),
        msg(4, "4@x", {"3@x", "6@x"}),
        msg(6, "6@x", {"3@x"}),
        msg(7, "7@x", {"3@x", "6@x", "44@x"}),
        msg(23, "23@x", {"3@x", "6@x", "4@x"}),
        msg(44, "44@x", {"3@x", "6@x"}),
        msg(96, "96@x", {"3@x", "6@x", "44@x", "7@x"}),
    };
    EXPECT_EQ(references(m), "* THREAD (2)(3 6 (4 23)(44 7 96))\r\n");
}

TEST(ThreadReferences, ImaptestCases) {
    // thread: a truncated References is corrected by the message itself; dates order threads.
    EXPECT_EQ(references({msg(1, "a@b", {}, "", 1706), msg(2, "b@b", {"a@b", "c@b"}, "", 1506),
                          msg(3, "c@b", {"b@b"}, "", 1606)}),
              "* THREAD (3 2)(1)\r\n");
    // thread2: duplicate Message-IDs are threaded as unique.
    EXPECT_EQ(references({msg(1, "a@b"), msg(2, "a@b")}), "* THREAD (1)(2)\r\n");
    // thread3: a duplicate "Re:" joins by subject.
    EXPECT_EQ(references({msg(1, "a@b", {}, "foo"), msg(2, "a@b", {}, "Re: foo")}),
              "* THREAD (1 2)\r\n");
    // thread4: a reply to a missing message still joins by subject.
    EXPECT_EQ(references({msg(1, "a@b", {}, "foo"), msg(2, "b@b", {"c@b"}, "Re: foo")}),
              "* THREAD (1 2)\r\n");
    // thread6: two replies to one missing message keep a dummy parent.
    EXPECT_EQ(references({msg(1, "", {"a@b"}), msg(2, "", {"a@b"})}), "* THREAD ((1)(2))\r\n");
    // thread7: the duplicate of 2 is a sibling; once 2 is gone it fills 2's place.
    EXPECT_EQ(references({msg(1, "a@b"), msg(2, "b@b", {"a@b"}), msg(3, "c@b", {"b@b"}),
                          msg(4, "b@b", {"a@b"})}),
              "* THREAD (1 (2 3)(4))\r\n");
    EXPECT_EQ(references({msg(1, "a@b"), msg(2, "c@b", {"b@b"}), msg(3, "b@b", {"a@b"})}),
              "* THREAD (1 3 2)\r\n");
    // thread5: In-Reply-To chains, then the parents are expunged, then one more reply.
    EXPECT_EQ(references({msg(1, "1@b", {}, "", 1706), msg(2, "2@b", {"1@b"}, "", 1506),
                          msg(3, "3@b", {"1@b"}, "", 1506), msg(4, "4@b", {"2@b"}, "", 1506)}),
              "* THREAD (1 (2 4)(3))\r\n");
    EXPECT_EQ(references({msg(1, "3@b", {"1@b"}, "", 1506), msg(2, "4@b", {"2@b"}, "", 1506)}),
              "* THREAD (1)(2)\r\n");
    EXPECT_EQ(references({msg(1, "3@b", {"1@b"}, "", 1506), msg(2, "4@b", {"2@b"}, "", 1506),
                          msg(3, "5@b", {"2@b"}, "", 1506)}),
              "* THREAD (1)((2)(3))\r\n");
}

TEST(ThreadReferences, DummyParents) {
    // A chain of missing ancestors collapses onto the one message that exists.
    EXPECT_EQ(references({msg(1, "m@x", {"gone1@x", "gone2@x", "gone3@x"})}), "* THREAD (1)\r\n");
    // Missing parent with two real children, one of which has a reply.
    EXPECT_EQ(
        references({msg(1, "a@x", {"p@x"}), msg(2, "b@x", {"p@x"}), msg(3, "c@x", {"p@x", "a@x"})}),
        "* THREAD ((1 3)(2))\r\n");
    // A missing message in the middle of a thread is skipped over.
    EXPECT_EQ(
        references({msg(1, "a@x"), msg(2, "c@x", {"a@x", "b@x"}), msg(3, "d@x", {"a@x", "b@x"})}),
        "* THREAD (1 (2)(3))\r\n");
    // Ten thousand missing ancestors.
    std::vector<std::string> refs;
    for (int i = 0; i < 10000; ++i)
        refs.push_back("gone" + std::to_string(i) + "@x");
    EXPECT_EQ(references({msg(1, "m@x", refs), msg(2, "n@x", refs)}), "* THREAD ((1)(2))\r\n");
}

TEST(ThreadReferences, LoopsInReferencesAreNotFollowed) {
    // Each claims to reply to the other.
    EXPECT_EQ(references({msg(1, "a@x", {"b@x"}), msg(2, "b@x", {"a@x"})}), "* THREAD (2 1)\r\n");
    // A message that references itself.
    EXPECT_EQ(references({msg(1, "a@x", {"a@x"})}), "* THREAD (1)\r\n");
    // 1 names itself last (no parent); 2 has no references, so it starts a thread too.
    EXPECT_EQ(references({msg(1, "a@x", {"a@x", "b@x", "a@x"}), msg(2, "b@x")}),
              "* THREAD (1)(2)\r\n");
    // A three-way cycle, every message naming the other two: each still appears exactly once.
    auto out = references({msg(1, "a@x", {"c@x", "b@x"}), msg(2, "b@x", {"a@x", "c@x"}),
                           msg(3, "c@x", {"b@x", "a@x"})});
    for (const char* n : {"1", "2", "3"})
        EXPECT_EQ(out.find(n), out.rfind(n)) << out;
    EXPECT_NE(out.find('1'), std::string::npos);
    // References ids repeated inside one header.
    EXPECT_EQ(references({msg(1, "a@x"), msg(2, "b@x", {"a@x", "a@x", "a@x"})}),
              "* THREAD (1 2)\r\n");
}

TEST(ThreadReferences, SubjectGrouping) {
    // A reply without references joins the original by subject.
    EXPECT_EQ(references({msg(1, "1@x", {}, "foo"), msg(2, "2@x", {}, "Re: foo")}),
              "* THREAD (1 2)\r\n");
    // Two replies, or two originals: siblings under a dummy.
    EXPECT_EQ(references({msg(1, "1@x", {}, "Re: bar"), msg(2, "2@x", {}, "RE: Bar")}),
              "* THREAD ((1)(2))\r\n");
    EXPECT_EQ(references({msg(1, "1@x", {}, "baz"), msg(2, "2@x", {}, "baz"),
                          msg(3, "3@x", {}, "Fwd: baz")}),
              "* THREAD ((1)(2)(3))\r\n");
    // Empty subjects never group.
    EXPECT_EQ(references({msg(1, "1@x"), msg(2, "2@x", {}, "Re:")}), "* THREAD (1)(2)\r\n");
}

TEST(ThreadReferences, TenThousandDeepChainInEitherOrder) {
    constexpr std::uint32_t kDepth = 10000;
    std::string want = "* THREAD (";
    for (std::uint32_t i = 1; i <= kDepth; ++i)
        want += (i > 1 ? " " : "") + std::to_string(i);
    want += ")\r\n";
    // Each reply names only its parent (In-Reply-To), in mailbox order.
    std::vector<ThreadMessage> forward;
    for (std::uint32_t i = 1; i <= kDepth; ++i)
        forward.push_back(msg(i, "m" + std::to_string(i),
                              i > 1 ? std::vector<std::string>{"m" + std::to_string(i - 1)}
                                    : std::vector<std::string>{}));
    EXPECT_EQ(references(forward), want);
    // The same thread stored newest first: every link goes into a message that has replies.
    std::vector<ThreadMessage> backward(forward.rbegin(), forward.rend());
    EXPECT_EQ(references(backward), want);
    // References truncated to the last 20 ancestors, as clients send them.
    std::vector<ThreadMessage> truncated;
    for (std::uint32_t i = 1; i <= kDepth; ++i) {
        std::vector<std::string> refs;
        for (std::uint32_t a = i > 20 ? i - 20 : 1; a < i; ++a)
            refs.push_back("m" + std::to_string(a));
        truncated.push_back(msg(i, "m" + std::to_string(i), refs));
    }
    EXPECT_EQ(references(truncated), want);
}

TEST(ThreadReferences, TenThousandRepliesToOneMessage) {
    std::vector<ThreadMessage> m{msg(1, "root@x", {}, "topic")};
    for (std::uint32_t i = 2; i <= 10001; ++i)
        m.push_back(msg(i, std::to_string(i) + "@x", {"root@x"}, "Re: topic"));
    auto tree = thread_references(m);
    ASSERT_EQ(tree.roots.size(), 1u);
    EXPECT_EQ(tree.nodes[tree.roots[0]].message, 1u);
    EXPECT_EQ(tree.nodes[tree.roots[0]].children.size(), 10000u);
    auto out = thread_response(tree);
    EXPECT_TRUE(out.starts_with("* THREAD (1 (2)(3)(4)")) << out.substr(0, 40);
    EXPECT_TRUE(out.ends_with("(10000)(10001))\r\n"));
}

TEST(ThreadReferences, EmptyInput) {
    EXPECT_EQ(references({}), "* THREAD\r\n");
    EXPECT_EQ(ordered({}), "* THREAD\r\n");
}

TEST(ThreadOrderedSubject, ImaptestSubjects) {
    // All sent at the same time: threads come in mailbox order of their first message.
    const char* subjects[] = {"a",
                              "C",
                              "b",
                              "_",
                              "[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)",
                              "b (a)",
                              "Re: [FWD: c]",
                              "[xyz]",
                              "",
                              "=?iso-8859-1?q?_?=",
                              "Re: =?utf-8?q?b?=",
                              "=?iso-8859-1?q?RE:_C?=",
                              "=?us-ascii?b?UmU6IGM=?=",
                              "Ad: Re: Ad: Re: Ad: x",
                              "re: [fwd: [fwd: re: [fwd: babylon]]]"};
    std::vector<ThreadMessage> m;
    for (std::uint32_t i = 0; i < std::size(subjects); ++i)
        m.push_back(msg(i + 1, "", {}, subjects[i], 100));
    EXPECT_EQ(ordered(m), "* THREAD (1)(2 (7)(12)(13))(3 (5)(11))(4)(6)(8)(9 10)(14)(15)\r\n");
}

TEST(ThreadOrderedSubject, SortedBySentDate) {
    // imaptest thread-orderedsubject2: groups sorted by date inside, threads by their first.
    std::vector<ThreadMessage> m{
        msg(1, "", {}, "a", 10), msg(2, "", {}, "b", 9),  msg(3, "", {}, "a", 8),
        msg(4, "", {}, "b", 7),  msg(5, "", {}, "a", 30), msg(6, "", {}, "b", 29),
        msg(7, "", {}, "a", 28), msg(8, "", {}, "b", 27),
    };
    EXPECT_EQ(ordered(m), "* THREAD (4 (2)(8)(6))(3 (1)(7)(5))\r\n");
    // References play no part.
    EXPECT_EQ(ordered({msg(1, "a@x", {}, "x"), msg(2, "b@x", {"a@x"}, "y")}),
              "* THREAD (1)(2)\r\n");
}

TEST(ThreadOrderedSubject, TenThousandInOneThread) {
    std::vector<ThreadMessage> m;
    for (std::uint32_t i = 1; i <= 10000; ++i)
        m.push_back(msg(i, "", {}, i == 1 ? "topic" : "Re: topic"));
    auto tree = thread_ordered_subject(m);
    ASSERT_EQ(tree.roots.size(), 1u);
    EXPECT_EQ(tree.nodes[tree.roots[0]].children.size(), 9999u);
}

TEST(ThreadResponse, DeepTreeIsWrittenAndFreedWithoutRecursion) {
    // 100,000 nested single replies, built directly.
    ThreadTree tree;
    constexpr std::uint32_t kDepth = 100000;
    for (std::uint32_t i = 0; i < kDepth; ++i) {
        tree.nodes.push_back({i + 1, {}});
        if (i + 1 < kDepth)
            tree.nodes.back().children.push_back(i + 1);
    }
    tree.roots.push_back(0);
    auto out = thread_response(tree);
    EXPECT_TRUE(out.starts_with("* THREAD (1 2 3 "));
    EXPECT_TRUE(out.ends_with(" 99999 100000)\r\n"));
}

}  // namespace
}  // namespace postern::services::imap
