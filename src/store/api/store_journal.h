// The Store's side of the journal seam (engine/journal.h): records go to the message store the
// caller chose, in parallel across stores, and a full store passes a new body on to the next.
#pragma once

#include "store/engine/journal.h"

namespace postern::store {

class Store;

class StoreJournal : public engine::Journal {
  public:
    explicit StoreJournal(Store& store) : store_(store) {}
    void write(const std::vector<engine::JournalRequest*>& requests) override;
    void abandon(const engine::JournalRequest& request, const std::string& account) override;

  private:
    Store& store_;
};

}  // namespace postern::store
