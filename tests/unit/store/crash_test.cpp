// Crash safety: a child process appends in a loop (fsync on) and reports each committed UID
// over a pipe; it is SIGKILLed at random moments, 50 times. After each kill, check finds no
// errors and every UID the child saw committed is readable with the right content.
#include <map>
#include <random>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/tools/tools.h"
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

[[noreturn]] void child_loop(const StoreOptions& options, int fd, unsigned first_seed) {
    auto store = Store::open(options);
    if (!store)
        _exit(3);
    (*store)->set_analyzer(std::make_shared<NaiveAnalyzer>());
    auto acc = (*store)->account("crash@x.org");
    if (!acc)
        _exit(4);
    auto box = (*acc)->open_mailbox("INBOX");
    if (!box)
        _exit(5);
    for (unsigned seed = first_seed;; ++seed) {
        auto r = (*box)->append(make_message(1000 + (seed * 37) % 9000, seed));
        if (!r)
            _exit(6);
        std::string line = std::to_string(r->uid) + " " + std::to_string(seed) + "\n";
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            _exit(7);
    }
}

TEST_F(StoreTest, KillNineDuringAppendsNeverLosesCommittedMessages) {
    options_.fsync = true;
    std::mt19937 rng(20261122);
    std::map<Uid, unsigned> committed;  // UID -> seed of its content
    unsigned next_seed = 1;
    for (int round = 0; round < 50; ++round) {
        store_.reset();  // no threads of ours across fork()
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(fds[0]);
            child_loop(options_, fds[1], next_seed);
        }
        ::close(fds[1]);
        // Kill at a random moment: sometimes during open, mostly mid-append.
        auto delay = std::uniform_int_distribution<int>(0, 150)(rng);
        ::usleep(static_cast<useconds_t>(delay * 1000));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
        std::string buf;
        char chunk[4096];
        ssize_t n;
        while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0)
            buf.append(chunk, static_cast<std::size_t>(n));
        ::close(fds[0]);
        // Only complete lines are acknowledged appends.
        std::size_t pos = 0;
        while (true) {
            auto nl = buf.find('\n', pos);
            if (nl == std::string::npos)
                break;
            auto line = buf.substr(pos, nl - pos);
            pos = nl + 1;
            auto sp = line.find(' ');
            auto uid = static_cast<Uid>(std::stoul(line.substr(0, sp)));
            auto seed = static_cast<unsigned>(std::stoul(line.substr(sp + 1)));
            ASSERT_FALSE(committed.count(uid)) << "UID " << uid << " handed out twice";
            committed[uid] = seed;
            next_seed = std::max(next_seed, seed + 1);
        }
        next_seed += 1000;  // never reuse content across rounds
        open();
        auto rep = tools::check(*store_, {.fix = true, .deep = false, .accounts = {}});
        ASSERT_TRUE(rep) << rep.error().to_string();
        std::string issues;
        for (auto& i : rep->issues)
            issues += std::string(tools::issue_kind_name(i.kind)) + " " + i.account + " uid " +
                      std::to_string(i.uid) + ": " + i.message + "\n";
        ASSERT_TRUE(rep->clean()) << "round " << round << "\n" << issues;
        for (auto& i : rep->issues)
            EXPECT_TRUE(i.kind == tools::CheckIssue::Kind::orphan_ref ||
                        i.kind == tools::CheckIssue::Kind::orphan_body)
                << tools::issue_kind_name(i.kind) << ": " << i.message;
        auto box = mailbox("crash@x.org");
        for (auto& [uid, seed] : committed) {
            auto body = box->fetch_body(uid);
            ASSERT_TRUE(body) << "round " << round << " UID " << uid << ": "
                              << body.error().to_string();
            ASSERT_EQ(*body, make_message(1000 + (seed * 37) % 9000, seed)) << "UID " << uid;
        }
        // Nothing half-visible: the index holds exactly the acknowledged messages plus at
        // most the one append that committed just before the kill, unacknowledged.
        auto count = box->status().value().messages;
        EXPECT_GE(count, committed.size());
        EXPECT_LE(count, committed.size() + static_cast<std::size_t>(round + 1));
        auto all = box->messages(UidSet::all()).value();
        for (auto& m : all)
            if (!committed.count(m.uid))
                committed[m.uid] = 0;  // unacknowledged but present: fine
        for (auto& [uid, seed] : committed) {
            if (seed == 0) {
                EXPECT_TRUE(box->fetch_body(uid)) << uid;
            }
        }
        std::erase_if(committed, [](auto& p) { return p.second == 0; });
    }
    EXPECT_GT(committed.size(), 50u);  // the child did real work between kills
    auto final_check = tools::check(*store_).value();
    EXPECT_TRUE(final_check.issues.empty());
}

}  // namespace
}  // namespace postern::store::testing
