// Private to the store API: the index job of one append (APPEND, delivery): a row with the
// next UID of the mailbox and the record entry that describes it (docs/storage.md "Commit
// path"), then views, change events and full-text text after the commit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/api/store.h"
#include "store/engine/account_index.h"

namespace postern::store {

struct AppendJob {
    AppendJob(Account& into, std::int64_t box, engine::MessageRow row,
              const MessageAnalysis& analyzed, Flags with_flags,
              std::shared_ptr<engine::JournalRequest> record)
        : account(into),
          mailbox_id(box),
          proto(std::move(row)),
          analysis(analyzed),
          flags(std::move(with_flags)),
          request(std::move(record)) {}
    AppendJob(const AppendJob&) = delete;
    AppendJob& operator=(const AppendJob&) = delete;

    // The job refers to this object: it must stay put until the job has run and committed.
    engine::Job job();

    Account& account;
    const std::int64_t mailbox_id;
    const engine::MessageRow proto;
    const MessageAnalysis& analysis;
    const Flags flags;
    std::shared_ptr<engine::JournalRequest> request;  // the record its entry joins
    std::vector<std::shared_ptr<engine::JournalRequest>> records;

    AppendResult result;
    ViewEntry entry;
    engine::MailboxRow mailbox;
    std::vector<std::string> keywords;  // the mailbox's keyword table, when new ones were added
    engine::FtsDoc fts;
    std::int64_t text_id = 0;
};

}  // namespace postern::store
