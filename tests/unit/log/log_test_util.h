// Helpers for the log layer's tests: temp directories, a settable clock, a fixed time zone,
// waiting for a condition, a sink that records what it gets.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <stdlib.h>
#include <time.h>

#include "base/random.h"
#include "log/log.h"
#include "log/rotation.h"

namespace postern::log::test {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
  public:
    TempDir()
        : path_(std::filesystem::temp_directory_path() / ("postern-log-" + random_token(10))) {
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// Sets TZ for the test's lifetime (POSIX TZ strings need no tzdata).
class ScopedTz {
  public:
    explicit ScopedTz(const char* tz) {
        if (const char* old = ::getenv("TZ"))
            old_ = old;
        ::setenv("TZ", tz, 1);
        ::tzset();
    }
    ~ScopedTz() {
        if (old_) {
            ::setenv("TZ", old_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }

  private:
    std::optional<std::string> old_;
};

// A clock the test moves by hand; safe to read from the writer thread.
class FakeClock {
  public:
    explicit FakeClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
    TimePoint now() const { return TimePoint(TimePoint::duration(now_.load())); }
    void set(TimePoint t) { now_.store(t.time_since_epoch().count()); }
    void advance(std::chrono::nanoseconds d) {
        now_.fetch_add(std::chrono::duration_cast<TimePoint::duration>(d).count());
    }
    WallClock fn() {
        return [this] { return now(); };
    }

  private:
    std::atomic<TimePoint::rep> now_;
};

// Local time (per the current TZ) as a time point.
inline TimePoint local_time(int year, int month, int day, int hour = 0, int min = 0, int sec = 0) {
    struct tm t {};
    t.tm_year = year - 1900;
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = min;
    t.tm_sec = sec;
    t.tm_isdst = -1;
    return std::chrono::system_clock::from_time_t(mktime(&t));
}

inline TimePoint utc_time(int year, int month, int day, int hour = 0, int min = 0, int sec = 0) {
    struct tm t {};
    t.tm_year = year - 1900;
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = min;
    t.tm_sec = sec;
    return std::chrono::system_clock::from_time_t(timegm(&t));
}

// Polls `done` until it holds or `limit` passes; true when it held. For conditions that a
// background thread makes true, instead of sleeping a fixed time.
inline bool wait_for(const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
    std::vector<std::string> lines;
    std::istringstream in(read_text(p));
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// File names in `dir`, sorted.
inline std::vector<std::string> list_dir(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Keeps every record it is given.
class CaptureSink : public Sink {
  public:
    void write(Record record) override {
        std::lock_guard lock(mutex_);
        records_.push_back(std::move(record));
    }
    std::vector<Record> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return records_.size();
    }

  private:
    mutable std::mutex mutex_;
    std::vector<Record> records_;
};

inline Record make_record(Level level, std::string module, std::string text,
                          std::string host = "mx1", std::string session = "0000001A") {
    return Record{std::chrono::system_clock::now(),
                  level,
                  std::move(host),
                  std::move(module),
                  std::move(session),
                  std::move(text)};
}

}  // namespace postern::log::test
