// The metadata block of a v2 container record: the message instances (references) the record
// creates, described fully enough that an unclean stop can be replayed into the catalog and
// the account indexes (docs/storage.md "Journal and recovery"). Pure encoding; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/types.h"

namespace postern::store::engine {

inline constexpr unsigned char kRecordMetaVersion = 1;

// One message instance: an index row of `account` whose body is the record's body.
struct RefEntry {
    std::string account;
    std::string msg_guid;      // the index row's guid (32 hex)
    std::string mailbox_guid;  // the mailbox it was appended to
    std::uint32_t uidvalidity = 0;
    Uid uid = 0;
    ModSeq modseq = 0;
    std::uint32_t flags = 0;
    std::vector<std::string> keywords;
    Timestamp internal_date = 0;
    Timestamp save_date = 0;
    bool operator==(const RefEntry&) const = default;
};

std::string encode_record_meta(const std::vector<RefEntry>& entries);
// nullopt for anything that is not a well-formed block of a known version.
std::optional<std::vector<RefEntry>> decode_record_meta(std::string_view bytes);

}  // namespace postern::store::engine
