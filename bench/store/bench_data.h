// Benchmark data: realistic-ish mail (headers, 72-column text drawn from a Zipf-like
// vocabulary of a few thousand words) and shared stores built once per process.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/api/store.h"

namespace postern::store::bench {

// A message of about `size` bytes; `seed` makes it unique.
std::string realistic_message(std::size_t size, unsigned seed);

// A fresh directory under $TMPDIR (or /var/tmp), removed by the destructor.
class TempRoot {
  public:
    TempRoot();
    ~TempRoot();
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

std::unique_ptr<Store> open_store(const std::filesystem::path& root, bool fsync,
                                  bool compression = true);

// Bytes used under a directory (files only).
std::uint64_t disk_bytes(const std::filesystem::path& dir);

// User + system CPU time of the whole process so far, every thread included.
double process_cpu_seconds();

}  // namespace postern::store::bench
