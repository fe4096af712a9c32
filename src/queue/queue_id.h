// Queue ids: 14 characters of Crockford base32 (11 for the arrival time in microseconds, 3
// random), so they sort by arrival, are safe in file names and log lines, and never repeat.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace postern::queue {

inline constexpr std::size_t kQueueIdLength = 14;

// A value type: 14 bytes, no heap. Default-constructed ids are "empty" (all zero bytes) and
// never valid.
class QueueId {
  public:
    QueueId() = default;
    // nullopt unless `text` is exactly 14 characters of the alphabet.
    static std::optional<QueueId> parse(std::string_view text);

    std::string_view view() const { return {chars_.data(), chars_.size()}; }
    std::string str() const { return std::string(view()); }
    bool empty() const { return chars_[0] == 0; }
    // The arrival time encoded in the id (microseconds since the Unix epoch).
    std::uint64_t micros() const;
    // 0..32767, from the random characters: picks the spool subdirectory.
    std::uint32_t spread() const;

    auto operator<=>(const QueueId&) const = default;

  private:
    friend class QueueIdGenerator;
    std::array<char, kQueueIdLength> chars_{};
};

// Issues ids that are strictly increasing within one process even when the clock stands
// still or steps back (it then counts on from the last id). Thread-safe.
class QueueIdGenerator {
  public:
    QueueId next(std::uint64_t now_micros);

  private:
    std::mutex mutex_;
    std::uint64_t last_ = 0;
};

}  // namespace postern::queue

template <>
struct std::hash<postern::queue::QueueId> {
    std::size_t operator()(const postern::queue::QueueId& id) const noexcept {
        return std::hash<std::string_view>()(id.view());
    }
};
