// Internal writer core: rule routing to files, flushing, rotation ticks, reopen.
#include "log/file_router.h"

namespace postern::log {

FileRouter::FileRouter(WallClock clock, std::size_t buffer_bytes)
    : clock_(clock ? std::move(clock) : WallClock([] { return std::chrono::system_clock::now(); })),
      buffer_bytes_(buffer_bytes) {}

FileRouter::~FileRouter() {
    close();
}

void FileRouter::configure(const WriterConfig& config) {
    RuleTable table(config.rules);
    std::map<std::filesystem::path, std::unique_ptr<LogFile>> files;
    std::vector<LogFile*> rule_files;
    for (const auto& rule : table.rules()) {
        auto path = (config.directory / rule.file).lexically_normal();
        auto& slot = files[path];
        if (!slot) {
            // The first (highest-priority) rule naming a file sets its rotation policy.
            auto policy = FilePolicy::from_rule(rule);
            if (auto old = files_.find(path); old != files_.end()) {
                slot = std::move(old->second);
                files_.erase(old);
                slot->set_policy(policy);
            } else {
                slot = std::make_unique<LogFile>(path, policy, counters_, buffer_bytes_);
            }
        }
        rule_files.push_back(slot.get());
    }
    for (auto& [path, file] : files_)
        note(file->close());
    files_ = std::move(files);
    rule_files_ = std::move(rule_files);
    rules_ = std::move(table);
}

void FileRouter::write(const Record& record) {
    auto rule = rules_.match(record.host, record.module, record.level);
    if (!rule) {
        unmatched_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    line_.clear();  // one buffer reused for every line: no allocation per record
    append_line(line_, record);
    note(rule_files_[*rule]->append(line_, clock_()));
}

void FileRouter::flush() {
    for (auto& [path, file] : files_)
        note(file->flush());
}

void FileRouter::tick() {
    auto now = clock_();
    for (auto& [path, file] : files_) {
        note(file->flush());
        if (auto rotated = file->rotate_if_due(now); !rotated)
            note(fail(rotated.error()));
    }
}

void FileRouter::reopen() {
    for (auto& [path, file] : files_)
        note(file->close());
}

void FileRouter::close() {
    for (auto& [path, file] : files_)
        note(file->close());
}

std::string FileRouter::last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

void FileRouter::note(const Status& st) {
    if (st)
        return;
    errors_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(error_mutex_);
    last_error_ = st.error().message;
}

}  // namespace postern::log
