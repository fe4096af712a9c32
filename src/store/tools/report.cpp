// Storage report: per message store (files, free space, bodies, compression), per account
// and per domain (messages, logical bytes, index size), and single-instance savings.
#include <map>

#include "store/engine/account_index.h"
#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store/tools/tools.h"

namespace postern::store::tools {
namespace {

std::uint64_t file_size_or_zero(const std::filesystem::path& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
}

}  // namespace

StoreResult<StorageReport> report(Store& store) {
    StorageReport rep;
    for (auto* ms : store.message_stores()) {
        StoreUsage u;
        u.id = ms->id();
        u.path = ms->path().string();
        std::vector<engine::BodyRow> bodies;
        {
            STORE_TRY(lease, ms->reader());
            STORE_CHECK(lease->run("BEGIN"));
            auto b = engine::catalog_bodies(*lease);
            auto holes = lease->prepare("SELECT coalesce(sum(length), 0) FROM holes");
            if (holes) {
                auto r = (*holes)->step();
                if (r && *r)
                    u.free_bytes = static_cast<std::uint64_t>((*holes)->i64(0));
                (*holes)->reset();
            }
            (void)lease->run("COMMIT");
            if (!b)
                return store_fail(b.error());
            bodies = std::move(*b);
        }
        for (auto no : ms->container_numbers()) {
            ++u.containers;
            if (const auto* c = ms->container(no))
                u.file_bytes += c->file_size().value_or(0);
        }
        for (auto& b : bodies) {
            ++u.bodies;
            u.references += static_cast<std::uint64_t>(b.refcount);
            u.raw_bytes += b.raw_size;
            u.stored_bytes += b.stored_size;
            u.logical_bytes += b.raw_size * static_cast<std::uint64_t>(b.refcount);
            if (b.refcount > 1)
                rep.dedup_savings += b.raw_size * static_cast<std::uint64_t>(b.refcount - 1);
        }
        rep.compression_savings += u.raw_bytes - std::min(u.raw_bytes, u.stored_bytes);
        for (auto suffix : {"", "-wal"})
            u.catalog_bytes += file_size_or_zero(ms->path().string() + "/catalog.db" + suffix);
        rep.stores.push_back(std::move(u));
    }
    std::map<std::string, DomainUsage> domains;
    for (auto& acc : store.account_ids()) {
        AccountUsage a;
        a.account = acc;
        auto at = acc.rfind('@');
        a.domain = at == std::string::npos ? std::string() : acc.substr(at + 1);
        auto path = store.index_path(acc);
        a.index_bytes = file_size_or_zero(path) + file_size_or_zero(path.string() + "-wal");
        if (auto db = engine::Db::open(path, false, false, true)) {
            if (auto usage = engine::index_usage(**db)) {
                a.messages = usage->messages;
                a.bytes = usage->bytes;
            }
        }
        auto& d = domains[a.domain];
        d.domain = a.domain;
        ++d.accounts;
        d.messages += a.messages;
        d.bytes += a.bytes;
        d.index_bytes += a.index_bytes;
        rep.accounts.push_back(std::move(a));
    }
    for (auto& [name, d] : domains)
        rep.domains.push_back(d);
    return rep;
}

}  // namespace postern::store::tools
