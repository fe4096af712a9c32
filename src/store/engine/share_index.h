// The store-wide share index (shares.db in the data root): which accounts granted ACL rights
// (RFC 4314) on one of their mailboxes to a grantee, so "what is shared with me" does not scan
// every account. The rights themselves live in the owner's index; this is a superset hint.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/store_error.h"

namespace postern::store::engine {

class Db;

// Thread-safety: every member may be called from any thread (one connection behind a mutex;
// writes are rare: SETACL, DELETEACL, account deletion).
class ShareIndex {
  public:
    static StoreResult<std::unique_ptr<ShareIndex>> open(const std::filesystem::path& path,
                                                         bool fsync);
    ~ShareIndex();
    // Records that `owner` granted something to `grantee` (idempotent, durable on return).
    StoreStatus add(const std::string& grantee, const std::string& owner);
    // Forgets the pair (the owner no longer grants anything to `grantee`).
    StoreStatus remove(const std::string& grantee, const std::string& owner);
    // The owners that granted something to any of `grantees`, sorted, without duplicates.
    StoreResult<std::vector<std::string>> owners_for(const std::vector<std::string>& grantees);
    // Drops every pair where `account` is the owner or the grantee.
    StoreStatus forget(const std::string& account);

  private:
    explicit ShareIndex(std::unique_ptr<Db> db);
    StoreStatus run(std::string_view sql, const std::string& a, const std::string& b);
    std::mutex mu_;
    std::unique_ptr<Db> db_;
};

}  // namespace postern::store::engine
