// Queue id encoding: Crockford base32 (digits, then letters without I, L, O, U), which is in
// ASCII order, so comparing ids as strings compares arrival times.
#include "queue/queue_id.h"

#include "base/random.h"

namespace postern::queue {

namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kTimeChars = 11;  // 55 bits of microseconds: past the year 3000
constexpr std::size_t kRandomChars = kQueueIdLength - kTimeChars;

int digit_value(char c) {
    auto pos = kAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::optional<QueueId> QueueId::parse(std::string_view text) {
    if (text.size() != kQueueIdLength)
        return std::nullopt;
    QueueId id;
    for (std::size_t i = 0; i < kQueueIdLength; ++i) {
        if (digit_value(text[i]) < 0)
            return std::nullopt;
        id.chars_[i] = text[i];
    }
    return id;
}

std::uint64_t QueueId::micros() const {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < kTimeChars; ++i) {
        int d = digit_value(chars_[i]);
        v = (v << 5) | static_cast<std::uint64_t>(d < 0 ? 0 : d);
    }
    return v;
}

std::uint32_t QueueId::spread() const {
    std::uint32_t v = 0;
    for (std::size_t i = kTimeChars; i < kQueueIdLength; ++i) {
        int d = digit_value(chars_[i]);
        v = (v << 5) | static_cast<std::uint32_t>(d < 0 ? 0 : d);
    }
    return v;
}

QueueId QueueIdGenerator::next(std::uint64_t now_micros) {
    std::uint64_t t;
    {
        std::lock_guard lock(mutex_);
        t = now_micros > last_ ? now_micros : last_ + 1;
        last_ = t;
    }
    QueueId id;
    for (std::size_t i = 0; i < kTimeChars; ++i)
        id.chars_[kTimeChars - 1 - i] = kAlphabet[(t >> (5 * i)) & 31];
    // The random tail keeps ids of two processes apart (a restarted daemon whose clock went
    // back, an offline tool) and spreads messages over the spool's subdirectories.
    auto r = random_u64();
    for (std::size_t i = 0; i < kRandomChars; ++i)
        id.chars_[kTimeChars + i] = kAlphabet[(r >> (5 * i)) & 31];
    return id;
}

}  // namespace postern::queue
