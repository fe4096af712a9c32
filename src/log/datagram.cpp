// Log service datagrams: encoding with sanitising, strict parsing of untrusted input
// (UTF-8 validation per RFC 3629 section 4).
#include "log/datagram.h"

#include <algorithm>
#include <bit>
#include <iterator>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::log {

namespace {

bool is_c0_or_del(char32_t cp) {
    return (cp < 0x20 && cp != '\t') || cp == 0x7F;
}
bool is_c1(char32_t cp) {
    return cp >= 0x80 && cp <= 0x9F;
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}
bool host_char(char c) {
    return name_char(c) || c == ':';
}

template <class Pred>
void append_field(std::string& out, std::string_view field, std::size_t max, std::string_view empty,
                  Pred allowed) {
    if (field.empty()) {
        out += empty;
        return;
    }
    for (char c : field.substr(0, max))
        out += allowed(c) ? c : '_';
}

template <class Pred>
bool valid_field(std::string_view field, std::size_t min, std::size_t max, Pred allowed) {
    return field.size() >= min && field.size() <= max &&
           std::all_of(field.begin(), field.end(), allowed);
}

// Lowest (most severe) level bit; a record built by hand may carry a mask or nothing.
Level single_level(Level level) {
    unsigned bits = static_cast<unsigned>(level) & 31u;
    if (bits == 0)
        return kInfo;
    return static_cast<Level>(1u << std::countr_zero(bits));
}

std::expected<Record, DecodeError> reject(DatagramError kind, std::string_view reason) {
    return std::unexpected(DecodeError{kind, reason});
}

// Splits off the text up to the next `sep`; false when there is none.
bool take_until(std::string_view& rest, char sep, std::string_view& field) {
    auto pos = rest.find(sep);
    if (pos == std::string_view::npos)
        return false;
    field = rest.substr(0, pos);
    rest.remove_prefix(pos + 1);
    return true;
}

}  // namespace

namespace {

// Printable ASCII and TAB: the common case, copied in runs rather than per character.
bool plain_ascii(char c) {
    return (c >= 0x20 && c < 0x7F) || c == '\t';
}

}  // namespace

bool clean_text(std::string_view text, std::string& out, std::size_t max_bytes) {
    std::size_t used = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t run = i;
        while (run < text.size() && plain_ascii(text[run]))
            ++run;
        if (run > i) {
            auto n = std::min(run - i, max_bytes - used);
            out.append(text.substr(i, n));
            used += n;
            if (n < run - i)
                return false;
            i = run;
            continue;
        }
        char32_t cp = 0;
        auto n = utf8_sequence(text, i, cp);
        std::string_view piece;
        if (n == 0) {
            piece = "?";
            n = 1;
        } else if (is_c0_or_del(cp)) {
            piece = " ";
        } else if (is_c1(cp)) {
            piece = "?";
        } else {
            piece = text.substr(i, n);
        }
        if (used + piece.size() > max_bytes)
            return false;
        out += piece;
        used += piece.size();
        i += n;
    }
    return true;
}

bool is_clean_text(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        if (plain_ascii(text[i])) {
            ++i;
            continue;
        }
        char32_t cp = 0;
        auto n = utf8_sequence(text, i, cp);
        if (n == 0 || is_c0_or_del(cp) || is_c1(cp))
            return false;
        i += n;
    }
    return true;
}

std::string encode_datagram(const Record& r, std::size_t max_size, bool* truncated) {
    max_size = std::max(max_size, kMinDatagram);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(r.when.time_since_epoch()).count();
    auto millis = static_cast<std::uint64_t>(
        std::clamp<std::int64_t>(ms, 0, static_cast<std::int64_t>(kMaxUnixMillis)));
    std::string out;
    out.reserve(std::min(max_size, 128 + r.text.size()));
    out += kDatagramVersion;
    fmt::format_to(std::back_inserter(out), " {} {} ", static_cast<unsigned>(single_level(r.level)),
                   millis);
    append_field(out, r.host, kMaxHostLength, "unknown", host_char);
    out += ' ';
    append_field(out, r.module, kMaxModuleLength, "UNKNOWN", name_char);
    out += ':';
    append_field(out, r.session, kMaxSessionLength, "", name_char);
    out += ": ";
    // The header is at most ~420 bytes, below kMinDatagram, so this never underflows.
    bool whole = clean_text(r.text, out, max_size - out.size());
    if (truncated)
        *truncated = !whole;
    return out;
}

std::expected<Record, DecodeError> decode_datagram(std::string_view d, std::size_t max_size) {
    if (d.size() > max_size)
        return reject(DatagramError::oversize, "datagram too long");
    if (d.ends_with("\r\n")) {
        d.remove_suffix(2);
    } else if (d.ends_with('\n')) {
        d.remove_suffix(1);
    }

    std::string_view version, level_text, time_text, host, module, session;
    auto rest = d;
    if (!take_until(rest, ' ', version))
        return reject(DatagramError::malformed, "missing fields");
    if (version != kDatagramVersion)
        return reject(DatagramError::malformed, "unknown version");
    if (!take_until(rest, ' ', level_text))
        return reject(DatagramError::malformed, "missing time");
    if (!take_until(rest, ' ', time_text))
        return reject(DatagramError::malformed, "missing host");
    if (!take_until(rest, ' ', host))
        return reject(DatagramError::malformed, "missing module");
    if (!take_until(rest, ':', module))
        return reject(DatagramError::malformed, "missing session");
    if (!take_until(rest, ':', session))
        return reject(DatagramError::malformed, "missing text");
    if (!rest.starts_with(' '))
        return reject(DatagramError::malformed, "missing text");
    rest.remove_prefix(1);

    auto level = level_text.size() <= 2 ? parse_uint(level_text) : std::nullopt;
    if (!level || (*level != 1 && *level != 2 && *level != 4 && *level != 8 && *level != 16)) {
        return reject(DatagramError::malformed, "bad level");
    }
    auto millis = time_text.size() <= 15 ? parse_uint(time_text) : std::nullopt;
    if (!millis || *millis > kMaxUnixMillis)
        return reject(DatagramError::malformed, "bad time");
    if (!valid_field(host, 1, kMaxHostLength, host_char))
        return reject(DatagramError::malformed, "bad host");
    if (!valid_field(module, 1, kMaxModuleLength, name_char)) {
        return reject(DatagramError::malformed, "bad module");
    }
    if (!valid_field(session, 0, kMaxSessionLength, name_char)) {
        return reject(DatagramError::malformed, "bad session");
    }
    if (!is_clean_text(rest))
        return reject(DatagramError::encoding, "text not clean UTF-8");

    Record r;
    r.when = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::milliseconds(static_cast<std::int64_t>(*millis))));
    r.level = static_cast<Level>(*level);
    r.host = host;
    r.module = module;
    r.session = session;
    r.text = rest;
    return r;
}

}  // namespace postern::log
