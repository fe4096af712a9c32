// Password policy check and random password generation for the directory.
#include "directory/password_policy.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "base/random.h"
#include "base/utf8.h"

namespace postern::directory {
namespace {

enum Class : unsigned { kLower = 1, kUpper = 2, kDigit = 4, kSymbol = 8 };

constexpr std::array<std::pair<Class, std::string_view>, 4> kClassNames = {{
    {kLower, "lower-case letters"},
    {kUpper, "upper-case letters"},
    {kDigit, "digits"},
    {kSymbol, "symbols"},
}};

unsigned classes_of(std::string_view password) {
    unsigned found = 0;
    for (unsigned char c : password) {
        if (c >= 'a' && c <= 'z') {
            found |= kLower;
        } else if (c >= 'A' && c <= 'Z') {
            found |= kUpper;
        } else if (c >= '0' && c <= '9') {
            found |= kDigit;
        } else {
            found |= kSymbol;  // includes every byte of a non-ASCII character
        }
    }
    return found;
}

unsigned popcount(unsigned bits) {
    unsigned n = 0;
    for (; bits; bits &= bits - 1)
        ++n;
    return n;
}

std::string describe(unsigned classes) {
    std::string out;
    unsigned seen = 0, total = popcount(classes);
    for (auto [bit, name] : kClassNames) {
        if (!(classes & bit))
            continue;
        if (seen > 0)
            out += (seen + 1 == total) ? " and " : ", ";
        out += name;
        ++seen;
    }
    return out;
}

// A uniformly random index below `n` (rejection sampling avoids modulo bias).
std::size_t random_below(std::size_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        auto v = random_u64();
        if (v < limit)
            return static_cast<std::size_t>(v % n);
    }
}

}  // namespace

Status check_password(std::string_view password, const PasswordPolicy& policy) {
    if (password.size() > kMaxPasswordBytes) {
        return fail(Errc::invalid_argument,
                    "password too long (at most " + std::to_string(kMaxPasswordBytes) + " bytes)");
    }
    auto length = utf8_code_points(password);
    if (!length)
        return fail(Errc::invalid_argument, "password is not valid UTF-8");
    for (unsigned char c : password) {
        if (c < 0x20 || c == 0x7f)
            return fail(Errc::invalid_argument, "password contains a control character");
    }
    std::string problems;
    if (*length < policy.min_length) {
        problems = "password too short (" + std::to_string(*length) + " characters, at least " +
                   std::to_string(policy.min_length) + " required)";
    }
    unsigned required = std::min(policy.required_classes, 4u);
    unsigned have = classes_of(password);
    if (popcount(have) < required) {
        problems += problems.empty() ? "password" : "; it";
        problems += " must contain characters of at least " + std::to_string(required) +
                    " of: lower-case letters, upper-case letters, digits, symbols (it has ";
        problems += have ? describe(have) + " only)" : "none of them)";
    }
    if (!problems.empty())
        return fail(Errc::invalid_argument, std::move(problems));
    return ok();
}

std::string generate_password(const PasswordPolicy& policy) {
    constexpr std::string_view kLowerSet = "abcdefghijkmnopqrstuvwxyz";  // no l
    constexpr std::string_view kUpperSet = "ABCDEFGHJKLMNPQRSTUVWXYZ";   // no I, O
    constexpr std::string_view kDigitSet = "23456789";                   // no 0, 1
    // Symbols that survive shells, CSV files and URLs without quoting.
    constexpr std::string_view kSymbolSet = "-_.+=@%";

    bool symbols = policy.required_classes >= 4;
    std::string alphabet = std::string(kLowerSet) + std::string(kUpperSet) + std::string(kDigitSet);
    if (symbols)
        alphabet += kSymbolSet;

    std::size_t length = std::max<std::size_t>(policy.min_length, 16);
    std::string out;
    out.reserve(length);
    out += kLowerSet[random_below(kLowerSet.size())];
    out += kUpperSet[random_below(kUpperSet.size())];
    out += kDigitSet[random_below(kDigitSet.size())];
    if (symbols)
        out += kSymbolSet[random_below(kSymbolSet.size())];
    while (out.size() < length)
        out += alphabet[random_below(alphabet.size())];
    // Fisher-Yates, so the guaranteed characters are not always at the front.
    for (std::size_t i = out.size() - 1; i > 0; --i)
        std::swap(out[i], out[random_below(i + 1)]);
    return out;
}

}  // namespace postern::directory
