// The store-wide share index: grantee -> owner pairs in shares.db (docs/storage.md "Access
// control lists").
#include "store/engine/share_index.h"

#include <set>

#include "store/engine/sqlite.h"

namespace postern::store::engine {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS shares(grantee TEXT NOT NULL, owner TEXT NOT NULL,
  PRIMARY KEY(grantee, owner)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS shares_owner ON shares(owner);
)sql";

}  // namespace

ShareIndex::ShareIndex(std::unique_ptr<Db> db) : db_(std::move(db)) {}
ShareIndex::~ShareIndex() = default;

StoreResult<std::unique_ptr<ShareIndex>> ShareIndex::open(const std::filesystem::path& path,
                                                          bool fsync) {
    STORE_TRY(db, Db::open(path, true, fsync));
    STORE_CHECK(db->exec(kSchema));
    return std::unique_ptr<ShareIndex>(new ShareIndex(std::move(db)));
}

StoreStatus ShareIndex::run(std::string_view sql, const std::string& a, const std::string& b) {
    std::lock_guard lock(mu_);
    STORE_TRY(s, db_->prepare(sql));
    s->bind(1, a);
    if (!b.empty())
        s->bind(2, b);
    STORE_CHECK(s->run());
    return db_->sync();
}

StoreStatus ShareIndex::add(const std::string& grantee, const std::string& owner) {
    return run("INSERT OR IGNORE INTO shares(grantee, owner) VALUES(?, ?)", grantee, owner);
}

StoreStatus ShareIndex::remove(const std::string& grantee, const std::string& owner) {
    return run("DELETE FROM shares WHERE grantee=? AND owner=?", grantee, owner);
}

StoreStatus ShareIndex::forget(const std::string& account) {
    return run("DELETE FROM shares WHERE grantee=?1 OR owner=?1", account, {});
}

StoreResult<std::vector<std::string>> ShareIndex::owners_for(
    const std::vector<std::string>& grantees) {
    std::lock_guard lock(mu_);
    std::set<std::string> owners;
    STORE_TRY(s, db_->prepare("SELECT owner FROM shares WHERE grantee=?"));
    for (const auto& g : grantees) {
        s->bind(1, g);
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            owners.insert(s->text(0));
        }
        s->reset();
    }
    return std::vector<std::string>(owners.begin(), owners.end());
}

}  // namespace postern::store::engine
