// The internal writer's synchronous core: routes records through the rule table to log
// files in the log directory and drives their flushing and rotation.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "log/log_file.h"
#include "log/rule_table.h"

namespace postern::log {

// What the internal writer needs from the configuration.
struct WriterConfig {
    std::filesystem::path directory;     // rule files are relative to it
    std::vector<config::LogRule> rules;  // any order; sorted by priority here

    static WriterConfig from(const config::LogConfig& log) { return {log.directory, log.rules}; }
};

// Not thread-safe except counters() and last_error(): the writer thread owns it; tests drive
// it directly with an injected clock, without threads.
class FileRouter {
  public:
    explicit FileRouter(WallClock clock, std::size_t buffer_bytes = 64 * 1024);
    ~FileRouter();

    // Replaces rules and directory. Files still named keep their open descriptor and buffer
    // (policy updated); files no longer named are flushed and closed. Their rotated files stay.
    void configure(const WriterConfig& config);

    // Routes one record (see RuleTable for the matching rules). Unmatched records are counted.
    void write(const Record& record);

    void flush();   // every buffer to the kernel
    void tick();    // flush, then rotate idle files whose period or age ran out
    void reopen();  // close every file; the next line reopens it by name
    void close();   // flush, fdatasync and close everything (shutdown)

    const FileCounters& counters() const { return counters_; }
    std::uint64_t unmatched() const { return unmatched_.load(std::memory_order_relaxed); }
    std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
    // The most recent open/write/rotate failure ("" if none), for status output.
    std::string last_error() const;

  private:
    void note(const Status& st);

    WallClock clock_;
    const std::size_t buffer_bytes_;
    RuleTable rules_;
    std::map<std::filesystem::path, std::unique_ptr<LogFile>> files_;
    std::vector<LogFile*> rule_files_;  // parallel to rules_.rules()
    FileCounters counters_;
    std::atomic<std::uint64_t> unmatched_{0};
    std::atomic<std::uint64_t> errors_{0};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    std::string line_;
};

}  // namespace postern::log
