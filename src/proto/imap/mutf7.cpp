// Modified UTF-7 (RFC 3501 §5.1.3; RFC 2152 for UTF-7 itself): UTF-16 in modified base64,
// through the repo's UTF-8 (RFC 3629) and base64 (RFC 4648) codecs.
#include "proto/imap/mutf7.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/utf8.h"

namespace postern::proto::imap {
namespace {

bool is_direct(char32_t cp) {
    return cp >= 0x20 && cp <= 0x7E;
}

bool is_modified_base64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == ',';
}

void append_utf16be(std::string& out, std::uint16_t unit) {
    out += static_cast<char>(unit >> 8);
    out += static_cast<char>(unit & 0xFF);
}

// Closes a shift: the UTF-16BE bytes of a run as modified base64 between "&" and "-".
void flush_run(std::string& out, std::string& utf16) {
    if (utf16.empty())
        return;
    std::string b64 = base64_encode(utf16);
    while (!b64.empty() && b64.back() == '=')
        b64.pop_back();
    std::replace(b64.begin(), b64.end(), '/', ',');
    out += '&';
    out += b64;
    out += '-';
    utf16.clear();
}

// Decodes the base64 between "&" and "-" into UTF-8. Only the bits are checked here; the caller
// checks minimality by re-encoding.
Status decode_run(std::string_view run, std::string& out) {
    if (run.size() % 4 == 1)
        return fail(Errc::invalid_argument, "mUTF-7: truncated base64 in a shift");
    std::string b64(run);
    for (char& c : b64) {
        if (!is_modified_base64(c))
            return fail(Errc::invalid_argument, "mUTF-7: character outside modified base64");
        if (c == ',')
            c = '/';
    }
    b64.append((4 - b64.size() % 4) % 4, '=');
    auto bytes = base64_decode(b64);
    if (!bytes)
        return fail(Errc::invalid_argument, "mUTF-7: bad base64 in a shift");
    if (bytes->size() % 2 != 0)
        return fail(Errc::invalid_argument, "mUTF-7: shift is not whole UTF-16 units");
    auto unit = [&](std::size_t i) {
        return static_cast<std::uint16_t>(static_cast<unsigned char>((*bytes)[i]) << 8 |
                                          static_cast<unsigned char>((*bytes)[i + 1]));
    };
    for (std::size_t i = 0; i < bytes->size(); i += 2) {
        char32_t cp = unit(i);
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(Errc::invalid_argument, "mUTF-7: unpaired low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 2 >= bytes->size())
                return fail(Errc::invalid_argument, "mUTF-7: unpaired high surrogate");
            char32_t low = unit(i + 2);
            if (low < 0xDC00 || low > 0xDFFF)
                return fail(Errc::invalid_argument, "mUTF-7: unpaired high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 2;
        }
        if (cp == 0)
            return fail(Errc::invalid_argument, "mUTF-7: U+0000 in a mailbox name");
        if (is_direct(cp))
            return fail(Errc::invalid_argument, "mUTF-7: printable ASCII inside a shift");
        append_utf8(out, cp);
    }
    return ok();
}

}  // namespace

Result<std::string> encode_mutf7(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    std::string utf16;  // the pending shifted run, UTF-16BE
    for (std::size_t i = 0; i < utf8.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_sequence(utf8, i, cp);
        if (n == 0)
            return fail(Errc::invalid_argument, "mailbox name is not valid UTF-8");
        if (cp == 0)
            return fail(Errc::invalid_argument, "mailbox name holds U+0000");
        i += n;
        if (is_direct(cp)) {
            flush_run(out, utf16);
            out += static_cast<char>(cp);
            if (cp == '&')
                out += '-';
            continue;
        }
        if (cp >= 0x10000) {
            char32_t v = cp - 0x10000;
            append_utf16be(utf16, static_cast<std::uint16_t>(0xD800 + (v >> 10)));
            append_utf16be(utf16, static_cast<std::uint16_t>(0xDC00 + (v & 0x3FF)));
        } else {
            append_utf16be(utf16, static_cast<std::uint16_t>(cp));
        }
    }
    flush_run(out, utf16);
    return out;
}

Result<std::string> decode_mutf7(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        char c = in[i];
        if (!is_direct(static_cast<unsigned char>(c)))
            return fail(Errc::invalid_argument, "mUTF-7: byte outside printable US-ASCII");
        if (c != '&') {
            out += c;
            ++i;
            continue;
        }
        std::size_t end = in.find('-', i + 1);
        if (end == std::string_view::npos)
            return fail(Errc::invalid_argument, "mUTF-7: \"&\" without its \"-\"");
        std::string_view run = in.substr(i + 1, end - i - 1);
        if (run.empty()) {
            out += '&';
        } else if (auto st = decode_run(run, out); !st) {
            return fail(std::move(st.error()));
        }
        i = end + 1;
    }
    // One canonical form per name: padding bits, split shifts and the like re-encode differently.
    auto again = encode_mutf7(out);
    if (!again || *again != in)
        return fail(Errc::invalid_argument, "mUTF-7: not the minimal encoding");
    return out;
}

bool is_valid_mutf7(std::string_view mutf7) {
    return decode_mutf7(mutf7).has_value();
}

}  // namespace postern::proto::imap
