// Password policy of an account (minimum length, required character classes): the check run
// when a password is set, and generation of random passwords that satisfy it.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::directory {

// Longest password accepted, in bytes: bounds hashing work on hostile input.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// The four character classes counted by `required_classes`: ASCII lower-case letters, ASCII
// upper-case letters, ASCII digits, and everything else ("symbols": punctuation, space and
// any non-ASCII character).
struct PasswordPolicy {
    unsigned min_length = 10;       // in characters (Unicode code points)
    unsigned required_classes = 2;  // 0..4: how many of the four classes must appear

    bool operator==(const PasswordPolicy&) const = default;
};

// ok() when `password` satisfies `policy`. Otherwise Errc::invalid_argument with a message for
// the admin or user that says everything that is missing, e.g. "password too short (6
// characters, at least 10 required); it must contain characters of at least 3 of: lower-case
// letters, upper-case letters, digits, symbols (it has lower-case letters only)".
// Passwords that are not UTF-8, contain control characters or exceed kMaxPasswordBytes are
// refused whatever the policy.
Status check_password(std::string_view password, const PasswordPolicy& policy);

// A random password that satisfies `policy`: max(min_length, 16) characters from an alphabet
// without look-alikes (no 0/O, 1/l/I), with at least one lower-case letter, upper-case
// letter and digit, plus a symbol when the policy requires all four classes. Uses the
// OpenSSL DRBG (base/random.h). Thread-safe.
std::string generate_password(const PasswordPolicy& policy);

}  // namespace postern::directory
