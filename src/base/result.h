// Result<T>: the value-or-error type used across module boundaries (no exceptions).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace postern {

// Broad error classes shared by every layer. A layer that needs finer codes (the store,
// SMTP replies) keeps its own enum and maps to these only at its boundary.
enum class Errc {
    invalid_argument,   // caller gave bad input (syntax, range)
    not_found,          // the named thing does not exist
    already_exists,     // creating something that is there
    permission_denied,  // not allowed for this caller
    unavailable,        // a peer or resource is down; retry later
    io_error,           // the operating system failed a read/write
    corrupt,            // stored data failed a checksum or consistency check
    limit_exceeded,     // a configured size/count/rate limit was hit
    timeout,            // a deadline passed
    cancelled,          // shutdown or caller cancelled
    internal,           // a bug or an impossible state
};

std::string_view errc_name(Errc code);

struct Error {
    Errc code;
    std::string message;

    std::string to_string() const;
};

template <class T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

// fail(Errc::not_found, "domain {} not found") reads well at the return site.
inline std::unexpected<Error> fail(Errc code, std::string message) {
    return std::unexpected<Error>(Error{code, std::move(message)});
}

inline std::unexpected<Error> fail(Error error) {
    return std::unexpected<Error>(std::move(error));
}

inline Status ok() {
    return {};
}

}  // namespace postern
