// Private to the message store: one unit of work queued for its writer thread.
#pragma once

#include <functional>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "store/engine/message_store.h"

namespace postern::store::engine {

struct MessageStore::Op {
    enum class Kind { record, add_refs, drop_refs, move_refs, hint, exclusive } kind;
    JournalRequest* request = nullptr;
    std::vector<std::pair<ContentHash, BodyRef>> hashed_refs;
    std::vector<char>* found = nullptr;
    std::string account;
    std::vector<std::string> guids;
    std::string mailbox_guid;
    std::string name;
    std::function<StoreStatus(WriterAccess&)> fn;
    std::promise<StoreStatus> done;

    // Scratch of the batch that runs this op.
    StoreStatus result;
    std::int64_t body_id = 0;  // catalog row of the body this record stores or references
    bool wrote_body = false;   // this record carries the body bytes
    Extent extent;
    std::uint64_t lsn = 0;
    Op* owner = nullptr;  // an earlier record of this batch that writes the same body

    void finish(StoreStatus s) {
        if (request)
            request->status = s;
        done.set_value(std::move(s));
    }
};

}  // namespace postern::store::engine
