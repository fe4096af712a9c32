// Milter v6 packet framing, commands and reply decoding.
#include "filter/milter/codec.h"

#include <algorithm>

namespace postern::filter::milter {

namespace {

void put32(std::string& out, std::uint32_t v) {
    out.push_back(static_cast<char>((v >> 24) & 0xff));
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
}

std::uint32_t get32(std::string_view s) {
    auto b = [&](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i]));
    };
    return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// NUL-terminated string fields; a NUL inside our own value would end it early, so drop them.
void put_str(std::string& out, std::string_view s) {
    for (char c : s)
        if (c != '\0')
            out.push_back(c);
    out.push_back('\0');
}

// Reads one NUL-terminated string from `data` at `pos`; nullopt when there is no NUL.
std::optional<std::string> get_str(std::string_view data, std::size_t& pos) {
    auto nul = data.find('\0', pos);
    if (nul == std::string_view::npos)
        return std::nullopt;
    std::string s(data.substr(pos, nul - pos));
    pos = nul + 1;
    return s;
}

Result<Response> bad(std::string why) {
    return fail(Errc::invalid_argument, "milter reply: " + why);
}

}  // namespace

std::string encode(char command, std::string_view data) {
    std::string out;
    out.reserve(5 + data.size());
    put32(out, static_cast<std::uint32_t>(data.size() + 1));
    out.push_back(command);
    out.append(data);
    return out;
}

Status PacketReader::feed(std::string_view bytes) {
    if (pos_ > 0 && pos_ == buffer_.size()) {
        buffer_.clear();
        pos_ = 0;
    } else if (pos_ > (64u << 10)) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    buffer_.append(bytes);
    if (buffer_.size() - pos_ >= 4) {
        auto len = get32(std::string_view(buffer_).substr(pos_));
        if (len == 0)
            return fail(Errc::invalid_argument, "milter: zero-length packet");
        if (len > max_packet_)
            return fail(Errc::limit_exceeded,
                        "milter: packet of " + std::to_string(len) + " bytes is over the limit");
    }
    return ok();
}

std::optional<Packet> PacketReader::next() {
    std::string_view rest = std::string_view(buffer_).substr(pos_);
    if (rest.size() < 4)
        return std::nullopt;
    auto len = get32(rest);
    if (len == 0 || len > max_packet_ || rest.size() < 4 + static_cast<std::size_t>(len))
        return std::nullopt;
    Packet p;
    p.command = rest[4];
    p.data = std::string(rest.substr(5, len - 1));
    pos_ += 4 + len;
    // The next packet's header may already be here: check its length now.
    return p;
}

std::string optneg(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol) {
    std::string d;
    put32(d, version);
    put32(d, actions);
    put32(d, protocol);
    return encode(cmd::optneg, d);
}

std::string connect(std::string_view hostname, char family, std::uint16_t port,
                    std::string_view address) {
    std::string d;
    put_str(d, hostname);
    d.push_back(family);
    if (family == '4' || family == '6') {
        d.push_back(static_cast<char>((port >> 8) & 0xff));
        d.push_back(static_cast<char>(port & 0xff));
        put_str(d, address);
    } else if (family == 'L') {
        d.push_back(0);
        d.push_back(0);
        put_str(d, address);
    }
    return encode(cmd::connect, d);
}

std::string helo(std::string_view name) {
    std::string d;
    put_str(d, name);
    return encode(cmd::helo, d);
}

namespace {
std::string args_packet(char command, const std::vector<std::string>& args) {
    std::string d;
    for (auto& a : args)
        put_str(d, a);
    return encode(command, d);
}
}  // namespace

std::string mail(const std::vector<std::string>& args) {
    return args_packet(cmd::mail, args);
}

std::string rcpt(const std::vector<std::string>& args) {
    return args_packet(cmd::rcpt, args);
}

std::string header(std::string_view name, std::string_view value) {
    std::string d;
    put_str(d, name);
    put_str(d, value);
    return encode(cmd::header, d);
}

std::string macros(char for_command, const std::vector<std::pair<std::string, std::string>>& m) {
    std::string d;
    d.push_back(for_command);
    for (auto& [name, value] : m) {
        put_str(d, name);
        put_str(d, value);
    }
    return encode(cmd::macro, d);
}

std::string body(std::string_view chunk) {
    return encode(cmd::body, chunk.substr(0, kMaxBodyChunk));
}

std::string simple(char command) {
    return encode(command, {});
}

Result<Negotiation> parse_optneg(std::string_view data) {
    if (data.size() < 12)
        return fail(Errc::invalid_argument, "milter: OPTNEG reply shorter than 12 bytes");
    Negotiation n;
    n.version = get32(data);
    n.actions = get32(data.substr(4));
    n.protocol = get32(data.substr(8));
    if (n.version < 2 || n.version > 255)
        return fail(Errc::invalid_argument,
                    "milter: unsupported protocol version " + std::to_string(n.version));
    return n;
}

Result<Response> parse_response(const Packet& p) {
    Response r;
    r.code = p.command;
    std::string_view d = p.data;
    std::size_t pos = 0;
    auto str = [&](std::string& out) -> bool {
        auto s = get_str(d, pos);
        if (!s)
            return false;
        out = std::move(*s);
        return true;
    };
    switch (p.command) {
        case reply::accept:
        case reply::cont:
        case reply::discard:
        case reply::reject:
        case reply::tempfail:
        case reply::progress:
        case reply::skip:
        case reply::connfail:
        case reply::shutdown:
            return r;
        case reply::replycode: {
            // "550 5.7.1 text" (NUL-terminated); the code must agree with the first digit.
            std::string text;
            if (!str(text))
                return bad("REPLYCODE without a terminating NUL");
            if (text.size() < 3 || (text[0] != '4' && text[0] != '5') ||
                !std::all_of(text.begin(), text.begin() + 3, ::isdigit) ||
                (text.size() > 3 && text[3] != ' ' && text[3] != '-'))
                return bad("REPLYCODE is not a 4xx/5xx reply");
            r.smtp_code = text.substr(0, 3);
            std::string rest = text.size() > 4 ? text.substr(4) : std::string();
            // Optional RFC 3463 status, same class as the code.
            auto sp = rest.find(' ');
            auto first = rest.substr(0, sp);
            if (first.size() >= 5 && first[0] == text[0] && first[1] == '.' &&
                std::count(first.begin(), first.end(), '.') == 2 &&
                std::all_of(first.begin(), first.end(), [](char c) {
                    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
                })) {
                r.status = first;
                rest = sp == std::string::npos ? std::string() : rest.substr(sp + 1);
            }
            r.value = rest.substr(0, 512);
            return r;
        }
        case reply::addheader:
            if (!str(r.name) || !str(r.value))
                return bad("ADDHEADER needs a name and a value");
            break;
        case reply::chgheader:
        case reply::insheader:
            if (d.size() < 4)
                return bad("header index missing");
            r.index = get32(d);
            pos = 4;
            if (!str(r.name) || !str(r.value))
                return bad("header change needs a name and a value");
            break;
        case reply::addrcpt:
        case reply::delrcpt:
        case reply::quarantine:
            if (!str(r.name))
                return bad("argument without a terminating NUL");
            break;
        case reply::addrcpt_par:
        case reply::chgfrom:
            if (!str(r.name))
                return bad("address without a terminating NUL");
            if (pos < d.size() && !str(r.value))
                return bad("arguments without a terminating NUL");
            break;
        case reply::replbody:
            r.value = std::string(d);
            return r;
        case reply::setsymlist:
            return r;  // macro lists: we send what we have regardless
        default:
            return bad(std::string("unknown reply code 0x") +
                       "0123456789abcdef"[(static_cast<unsigned char>(p.command) >> 4) & 0xf] +
                       "0123456789abcdef"[static_cast<unsigned char>(p.command) & 0xf]);
    }
    auto check = [](const std::string& s) {
        return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; });
    };
    if (p.command == reply::addheader || p.command == reply::chgheader ||
        p.command == reply::insheader) {
        if (r.name.empty() || r.name.size() > 128 ||
            !std::all_of(r.name.begin(), r.name.end(), [](char c) {
                auto u = static_cast<unsigned char>(c);
                return u > 0x20 && u < 0x7f && c != ':';
            }))
            return bad("bad header field name");
        if (r.value.size() > 16384)
            return bad("header value too long");
        // Values may be folded with "\n\t"; bare CR/LF are normalised by the caller.
        return r;
    }
    if (!check(r.name) || !check(r.value))
        return bad("line breaks in an address or argument");
    return r;
}

}  // namespace postern::filter::milter
