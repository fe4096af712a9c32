// Log line formatting, channels and the stderr sink.
#include "log/log.h"

#include <cstdio>
#include <iterator>
#include <mutex>

#include <fmt/format.h>
#include <time.h>

namespace postern::log {

namespace {

void put_digits(char* p, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

}  // namespace

void append_line(std::string& out, const Record& r) {
    auto t = std::chrono::system_clock::to_time_t(r.when);
    struct tm local {};
    localtime_r(&t, &local);
    long offset = local.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    int year = local.tm_year + 1900;
    // The fixed-width prefix by hand: fmt's runtime parsing of these 11 fields cost ~10x the
    // rest of the line on the writer thread (bench/log: BM_FormatLine).
    if (year >= 0 && year <= 9999 && r.level < 100 && offset < 100 * 3600) {
        char buf[29];  // "YYYY-MM-DD HH:MM:SS +HHMM LL "
        put_digits(buf, static_cast<unsigned>(year), 4);
        buf[4] = '-';
        put_digits(buf + 5, static_cast<unsigned>(local.tm_mon + 1), 2);
        buf[7] = '-';
        put_digits(buf + 8, static_cast<unsigned>(local.tm_mday), 2);
        buf[10] = ' ';
        put_digits(buf + 11, static_cast<unsigned>(local.tm_hour), 2);
        buf[13] = ':';
        put_digits(buf + 14, static_cast<unsigned>(local.tm_min), 2);
        buf[16] = ':';
        put_digits(buf + 17, static_cast<unsigned>(local.tm_sec), 2);
        buf[19] = ' ';
        buf[20] = sign;
        put_digits(buf + 21, static_cast<unsigned>(offset / 3600), 2);
        put_digits(buf + 23, static_cast<unsigned>((offset % 3600) / 60), 2);
        buf[25] = ' ';
        put_digits(buf + 26, r.level, 2);
        buf[28] = ' ';
        out.append(buf, sizeof(buf));
    } else {
        fmt::format_to(std::back_inserter(out),
                       "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}{:02}{:02} {:02} ", year,
                       local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                       sign, offset / 3600, (offset % 3600) / 60, static_cast<int>(r.level));
    }
    out += r.host;
    out += ' ';
    out += r.module;
    out += ':';
    out += r.session.empty() ? std::string_view("00000000") : std::string_view(r.session);
    out += ": ";
    out += r.text;
}

std::string format_line(const Record& r) {
    std::string out;
    out.reserve(48 + r.host.size() + r.module.size() + r.session.size() + r.text.size());
    append_line(out, r);
    return out;
}

Channel::Channel(std::string module, std::string host, std::uint8_t mask,
                 std::shared_ptr<Sink> sink)
    : module_(std::move(module)), host_(std::move(host)), mask_(mask), sink_(std::move(sink)) {}

void Channel::update(std::uint8_t mask, std::shared_ptr<Sink> sink) {
    {
        std::lock_guard lock(sink_mutex_);
        sink_.swap(sink);
    }
    mask_.store(mask, std::memory_order_relaxed);
    // The old sink is released here, outside the lock (a remote sink closes its socket).
}

void Channel::write(Level level, std::string_view session, std::string text) {
    std::shared_ptr<Sink> sink;
    {
        std::lock_guard lock(sink_mutex_);
        sink = sink_;
    }
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
