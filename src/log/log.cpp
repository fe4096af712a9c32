// Log line formatting, channels and the stderr sink.
#include "log/log.h"

#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>
#include <time.h>

namespace postern::log {

std::string format_line(const Record& r) {
    auto t = std::chrono::system_clock::to_time_t(r.when);
    struct tm local {};
    localtime_r(&t, &local);
    long offset = local.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    return fmt::format(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}{:02}{:02} {:02} {} {}:{}: {}", local.tm_year + 1900,
        local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, sign,
        offset / 3600, (offset % 3600) / 60, static_cast<int>(r.level), r.host, r.module,
        r.session.empty() ? std::string_view("00000000") : std::string_view(r.session), r.text);
}

Channel::Channel(std::string module, std::string host, std::uint8_t mask,
                 std::shared_ptr<Sink> sink)
    : module_(std::move(module)), host_(std::move(host)), mask_(mask), sink_(std::move(sink)) {}

void Channel::update(std::uint8_t mask, std::shared_ptr<Sink> sink) {
    sink_.store(std::move(sink));
    mask_.store(mask, std::memory_order_relaxed);
}

void Channel::write(Level level, std::string_view session, std::string text) {
    auto sink = sink_.load();
    if (!sink)
        return;
    // Protocol text may carry CR/LF or control bytes from a peer; keep one record per line,
    // and keep terminal escapes (ESC, DEL) out of files an admin will `cat`.
    for (auto& c : text) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            c = ' ';
    }
    sink->write(Record{std::chrono::system_clock::now(), level, host_, module_,
                       std::string(session), std::move(text)});
}

std::string session_id(std::uint64_t n) {
    return fmt::format("{:08X}", n);
}

void StderrSink::write(Record record) {
    static std::mutex mutex;
    auto line = format_line(record);
    line += '\n';
    std::lock_guard lock(mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace postern::log
