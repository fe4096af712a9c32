// Over-quota notices: a message to the account when its mailbox use crosses a warning level
// (default 90% and 100%), once per crossing. The last level notified per account is kept in a
// small file so a restart does not repeat notices.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace postern::services::processing {

class QuotaNotices {
  public:
    QuotaNotices(std::filesystem::path state_file, std::vector<unsigned> levels);

    // Usage after a delivery attempt. Returns the level to notify about now (the highest
    // level crossed upwards since the last notice), or nullopt. Falling below the lowest
    // level re-arms the notices. Thread-safe.
    std::optional<unsigned> update(std::int64_t account, std::uint64_t used, std::uint64_t limit);

  private:
    void save_locked();

    std::filesystem::path file_;
    std::vector<unsigned> levels_;  // ascending percentages
    std::mutex mutex_;
    std::map<std::int64_t, unsigned> notified_;
};

}  // namespace postern::services::processing
