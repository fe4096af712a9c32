// Power loss: a child process appends, delivers to two accounts at once and expunges from
// several threads (fsync on, short checkpoint interval, small journal regions) and reports
// every operation the store acknowledged; it is SIGKILLed at a random moment and every file is
// put back to its last synced state (power_loss.h) before the store is opened again, so the
// journal replay really runs. Each time: check finds no error, every acknowledged message is
// there with its UID and exact bytes, no acknowledged expunge is undone, and no UID is reused.
#include "power_loss.h"

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/tools/tools.h"
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

std::size_t size_of(unsigned seed) {
    // Mostly small messages, now and then one that spans many records' worth of region.
    return seed % 17 == 0 ? 60'000 + seed % 5000 : 600 + (seed * 37) % 9000;
}

struct Reporter {
    int fd;
    std::mutex mu;
    void line(const std::string& s) {
        std::lock_guard lock(mu);
        std::string l = s + "\n";
        if (::write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size()))
            _exit(7);
    }
};

[[noreturn]] void child(StoreOptions options, const std::filesystem::path& undo, int fd,
                        unsigned seed_base) {
    install_power_loss_tracking(undo);
    auto store = Store::open(options);
    if (!store)
        _exit(3);
    Reporter out{fd, {}};
    std::mutex acked_mu;
    std::vector<Uid> acked;  // INBOX UIDs of a@x.org this process appended
    auto inbox = (*(*store)->account("a@x.org"))->open_mailbox("INBOX");
    if (!inbox)
        _exit(4);
    std::thread appender([&] {
        for (unsigned s = seed_base;; s += 3) {
            auto r = (*inbox)->append(make_message(size_of(s), s));
            if (!r)
                _exit(5);
            out.line("A a@x.org INBOX " + std::to_string(r->uid) + " " + std::to_string(s));
            std::lock_guard lock(acked_mu);
            acked.push_back(r->uid);
        }
    });
    std::thread deliverer([&] {
        for (unsigned s = seed_base + 1;; s += 3) {
            auto r = (*store)->deliver(make_message(size_of(s), s),
                                       {{"a@x.org", "Other", {}}, {"b@x.org", "INBOX", {}}});
            if (!r || !(*r)[0] || !(*r)[1])
                _exit(6);
            out.line("A a@x.org Other " + std::to_string((*r)[0]->uid) + " " + std::to_string(s));
            out.line("A b@x.org INBOX " + std::to_string((*r)[1]->uid) + " " + std::to_string(s));
        }
    });
    std::thread expunger([&] {
        std::mt19937 rng(seed_base);
        for (;;) {
            Uid uid = 0;
            {
                std::lock_guard lock(acked_mu);
                if (acked.size() > 4) {
                    auto i = std::uniform_int_distribution<std::size_t>(0, acked.size() - 1)(rng);
                    uid = acked[i];
                    acked.erase(acked.begin() + static_cast<std::ptrdiff_t>(i));
                }
            }
            if (!uid) {
                ::usleep(2000);
                continue;
            }
            out.line("X a@x.org INBOX " + std::to_string(uid));  // may or may not survive
            if (!(*inbox)->store_flags(UidSet::of({uid}), FlagOp::add, {kDeleted, {}}) ||
                !(*inbox)->expunge(UidSet::of({uid})))
                _exit(8);
            out.line("E a@x.org INBOX " + std::to_string(uid));
            ::usleep(5000);
        }
    });
    appender.join();  // never returns: the parent kills us
    _exit(9);
}

struct Expected {
    std::map<std::string, std::map<Uid, unsigned>> present;  // "account/mailbox" -> UID -> seed
    std::map<std::string, std::set<Uid>> expunged;
    std::map<std::string, std::set<Uid>> maybe;  // expunge started, not acknowledged
    std::map<std::string, Uid> max_uid;
};

void read_reports(const std::string& buf, Expected& ex) {
    std::size_t pos = 0;
    for (auto nl = buf.find('\n', pos); nl != std::string::npos; nl = buf.find('\n', pos)) {
        std::istringstream in(buf.substr(pos, nl - pos));
        pos = nl + 1;
        std::string kind, account, mailbox;
        Uid uid = 0;
        in >> kind >> account >> mailbox >> uid;
        auto key = account + "/" + mailbox;
        if (kind == "A") {
            unsigned seed = 0;
            in >> seed;
            ASSERT_FALSE(ex.present[key].count(uid))
                << key << " UID " << uid << " handed out twice";
            ASSERT_FALSE(ex.expunged[key].count(uid)) << key << " UID " << uid << " reused";
            ex.present[key][uid] = seed;
            ex.max_uid[key] = std::max(ex.max_uid[key], uid);
        } else if (kind == "X") {
            ex.maybe[key].insert(uid);
        } else if (kind == "E") {
            ex.present[key].erase(uid);
            ex.maybe[key].erase(uid);
            ex.expunged[key].insert(uid);
        }
    }
}

class PowerLossTest : public StoreTest {};

TEST_F(PowerLossTest, AcknowledgedWorkSurvivesLosingEverythingUnsynced) {
    options_.fsync = true;
    options_.checkpoint_interval = std::chrono::milliseconds(40);
    options_.journal_region_bytes = 256u << 10;
    MessageStoreOptions ms;
    ms.path = root_ / "stores" / "main";
    ms.max_file_size = 4u << 20;
    ms.max_files = 64;
    options_.message_stores = {ms};
    open();
    ASSERT_TRUE(account("a@x.org")->create_mailbox("Other"));
    account("b@x.org");
    store_.reset();

    std::mt19937 rng(20261123);
    Expected ex;
    unsigned seed_base = 1;
    const int rounds = 24;
    for (int round = 0; round < rounds; ++round) {
        auto undo = root_ / ("undo-" + std::to_string(round));
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(fds[0]);
            child(options_, undo, fds[1], seed_base);
        }
        ::close(fds[1]);
        ::usleep(static_cast<useconds_t>(std::uniform_int_distribution<int>(20, 400)(rng) * 1000));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
        std::string buf;
        char chunk[4096];
        for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;)
            buf.append(chunk, static_cast<std::size_t>(n));
        ::close(fds[0]);
        read_reports(buf, ex);
        seed_base += 30'000;

        const bool keep_prefix = round % 2 == 1;
        auto reverted = simulate_power_loss(undo, root_, keep_prefix, rng);
        std::filesystem::remove_all(undo);
        SCOPED_TRACE("round " + std::to_string(round) + (keep_prefix ? " (prefix kept)" : "") +
                     ": " + std::to_string(reverted.writes_undone) + " unsynced writes undone in " +
                     std::to_string(reverted.files) + " files");

        open();  // recovery runs here
        auto rep = tools::check(*store_, {.fix = false, .deep = false, .accounts = {}});
        ASSERT_TRUE(rep) << rep.error().to_string();
        std::string issues;
        for (auto& i : rep->issues)
            issues += std::string(tools::issue_kind_name(i.kind)) + " " + i.account + " uid " +
                      std::to_string(i.uid) + ": " + i.message + "\n";
        ASSERT_TRUE(rep->clean()) << issues;
        for (auto& [key, uids] : ex.present) {
            auto slash = key.find('/');
            auto box = mailbox(key.substr(0, slash), key.substr(slash + 1));
            auto all = box->messages(UidSet::all()).value();
            std::set<Uid> there;
            for (auto& m : all) {
                there.insert(m.uid);
                // Never an index row pointing at nothing.
                ASSERT_TRUE(box->fetch_body(m.uid)) << key << " UID " << m.uid;
            }
            for (auto& [uid, seed] : uids) {
                if (ex.maybe[key].count(uid) && !there.count(uid))
                    continue;  // its expunge was under way: either outcome is right
                auto body = box->fetch_body(uid);
                ASSERT_TRUE(body) << key << " acknowledged UID " << uid
                                  << " lost: " << body.error().to_string();
                ASSERT_EQ(*body, make_message(size_of(seed), seed)) << key << " UID " << uid;
            }
            for (auto uid : ex.expunged[key])
                ASSERT_FALSE(there.count(uid)) << key << " expunged UID " << uid << " is back";
            // UIDs handed out are never handed out again.
            EXPECT_GT(box->status().value().uidnext, ex.max_uid[key]) << key;
            for (auto uid : there)
                if (!uids.count(uid) && !ex.expunged[key].count(uid))
                    ex.present[key][uid] = 0;  // appended but not acknowledged: fine, keep it
            std::erase_if(ex.present[key], [&](auto& p) {
                return p.second == 0 || (ex.maybe[key].count(p.first) && !there.count(p.first));
            });
            for (auto uid : ex.maybe[key])
                if (!there.count(uid))
                    ex.expunged[key].insert(uid);
            ex.maybe[key].clear();
        }
        store_.reset();
    }
    std::size_t total = 0;
    for (auto& [k, u] : ex.present)
        total += u.size();
    EXPECT_GT(total, 100u);  // the children did real work between the cuts
    EXPECT_FALSE(ex.expunged["a@x.org/INBOX"].empty());
}

}  // namespace
}  // namespace postern::store::testing
