// Threshold crossing bookkeeping with an atomically replaced state file ("account level" lines).
#include "services/processing/quota_notices.h"

#include <sstream>

#include "base/fs.h"
#include "base/strings.h"

namespace postern::services::processing {

QuotaNotices::QuotaNotices(std::filesystem::path state_file, std::vector<unsigned> levels)
    : file_(std::move(state_file)), levels_(std::move(levels)) {
    auto text = read_file(file_);
    if (!text)
        return;
    for (auto line : split(*text, '\n')) {
        auto parts = split(trim(line), ' ');
        if (parts.size() != 2)
            continue;
        auto id = parse_uint(parts[0]);
        auto level = parse_uint(parts[1]);
        if (id && level)
            notified_[static_cast<std::int64_t>(*id)] = static_cast<unsigned>(*level);
    }
}

std::optional<unsigned> QuotaNotices::update(std::int64_t account, std::uint64_t used,
                                             std::uint64_t limit) {
    if (limit == 0 || levels_.empty())
        return std::nullopt;
    auto percent = static_cast<unsigned>(std::min<std::uint64_t>(used * 100 / limit, 1000));
    unsigned reached = 0;
    for (auto level : levels_) {
        if (percent >= level)
            reached = level;
    }
    std::lock_guard lock(mutex_);
    auto it = notified_.find(account);
    unsigned last = it == notified_.end() ? 0 : it->second;
    if (reached == last)
        return std::nullopt;
    if (reached < last) {
        // Use went down: re-arm (lower levels stay quiet until crossed again).
        if (reached == 0) {
            notified_.erase(account);
        } else {
            notified_[account] = reached;
        }
        save_locked();
        return std::nullopt;
    }
    notified_[account] = reached;
    save_locked();
    return reached;
}

void QuotaNotices::save_locked() {
    std::ostringstream out;
    for (auto& [id, level] : notified_)
        out << id << ' ' << level << '\n';
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    (void)write_file_atomic(file_, out.str(), 0600);
}

}  // namespace postern::services::processing
