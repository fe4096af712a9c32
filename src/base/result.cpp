// Names of the shared error classes, for logs and admin output.
#include "base/result.h"

namespace postern {

std::string_view errc_name(Errc code) {
    switch (code) {
        case Errc::invalid_argument:
            return "invalid argument";
        case Errc::not_found:
            return "not found";
        case Errc::already_exists:
            return "already exists";
        case Errc::permission_denied:
            return "permission denied";
        case Errc::unavailable:
            return "unavailable";
        case Errc::io_error:
            return "i/o error";
        case Errc::corrupt:
            return "corrupt data";
        case Errc::limit_exceeded:
            return "limit exceeded";
        case Errc::timeout:
            return "timeout";
        case Errc::cancelled:
            return "cancelled";
        case Errc::internal:
            return "internal error";
    }
    return "unknown error";
}

std::string Error::to_string() const {
    std::string out(errc_name(code));
    if (!message.empty()) {
        out += ": ";
        out += message;
    }
    return out;
}

}  // namespace postern
