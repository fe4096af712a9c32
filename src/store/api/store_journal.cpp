// Writing journal records for index rounds: one submission per request to its message store
// (each store group-commits whatever arrives together), fallback to another store when the
// chosen one is full, and dropping the references of rows that did not make it.
#include "store/api/store_journal.h"

#include <algorithm>
#include <future>

#include "store/api/store.h"
#include "store/engine/message_store.h"

namespace postern::store {

void StoreJournal::write(const std::vector<engine::JournalRequest*>& requests) {
    std::vector<std::pair<engine::JournalRequest*, std::future<StoreStatus>>> pending;
    for (auto* r : requests) {
        if (!r->store) {
            r->status = store_fail(StoreErrc::store_full, "no message store for this message");
            continue;
        }
        pending.emplace_back(r, r->store->submit_record(*r));
    }
    for (auto& [r, f] : pending)
        (void)f.get();
    // A full store passes a new body on: the other stores serving the domain, emptiest first.
    for (auto* r : requests) {
        if (r->status || r->status.error().code != StoreErrc::store_full || !r->body ||
            r->domain.empty())
            continue;
        std::vector<engine::MessageStore*> others;
        for (auto* s : store_.message_stores())
            if (s != r->store && s->serves(r->domain))
                others.push_back(s);
        std::stable_sort(others.begin(), others.end(),
                         [](auto* a, auto* b) { return a->free_bytes() > b->free_bytes(); });
        for (auto* s : others) {
            if (s->write_record(*r) || r->status.error().code != StoreErrc::store_full)
                break;
        }
    }
    for (auto* r : requests)
        if (!r->status)
            store_.logger().warn("cannot write a message record ({} entries): {}",
                                 r->entries.size(), r->status.error().to_string());
}

void StoreJournal::abandon(const engine::JournalRequest& request, const std::string& account) {
    if (!request.attempted)
        return;
    std::vector<std::string> guids;
    for (auto& e : request.entries)
        if (e.account == account)
            guids.push_back(e.msg_guid);
    auto* ms = request.written_to ? request.written_to : request.store;
    if (guids.empty() || !ms)
        return;
    // A reference too many is what check reclaims; this only saves it the work.
    if (auto s = ms->drop_refs(account, std::move(guids)); !s)
        store_.logger().warn("account {}: releasing references failed, check will reclaim: {}",
                             account, s.error().to_string());
}

}  // namespace postern::store
