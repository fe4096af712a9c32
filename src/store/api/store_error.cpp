// Names and broad-class mapping of the store's error codes.
#include "store/api/store_error.h"

namespace postern::store {

std::string_view store_errc_name(StoreErrc code) {
    switch (code) {
        case StoreErrc::not_found:
            return "not_found";
        case StoreErrc::expunged:
            return "expunged";
        case StoreErrc::exists:
            return "exists";
        case StoreErrc::invalid_name:
            return "invalid_name";
        case StoreErrc::invalid_argument:
            return "invalid_argument";
        case StoreErrc::not_empty:
            return "not_empty";
        case StoreErrc::over_quota:
            return "over_quota";
        case StoreErrc::store_full:
            return "store_full";
        case StoreErrc::too_large:
            return "too_large";
        case StoreErrc::corrupt:
            return "corrupt";
        case StoreErrc::modseq_conflict:
            return "modseq_conflict";
        case StoreErrc::limit:
            return "limit";
        case StoreErrc::busy:
            return "busy";
        case StoreErrc::denied:
            return "denied";
        case StoreErrc::io:
            return "io";
        case StoreErrc::internal:
            return "internal";
    }
    return "unknown";
}

std::string StoreError::to_string() const {
    return std::string(store_errc_name(code)) + ": " + message;
}

Error to_error(const StoreError& e) {
    Errc c = Errc::internal;
    switch (e.code) {
        case StoreErrc::not_found:
        case StoreErrc::expunged:
            c = Errc::not_found;
            break;
        case StoreErrc::exists:
            c = Errc::already_exists;
            break;
        case StoreErrc::invalid_name:
        case StoreErrc::invalid_argument:
        case StoreErrc::not_empty:
        case StoreErrc::modseq_conflict:
            c = Errc::invalid_argument;
            break;
        case StoreErrc::over_quota:
        case StoreErrc::too_large:
        case StoreErrc::limit:
            c = Errc::limit_exceeded;
            break;
        case StoreErrc::store_full:
        case StoreErrc::busy:
            c = Errc::unavailable;
            break;
        case StoreErrc::corrupt:
            c = Errc::corrupt;
            break;
        case StoreErrc::io:
            c = Errc::io_error;
            break;
        case StoreErrc::denied:
            c = Errc::permission_denied;
            break;
        case StoreErrc::internal:
            c = Errc::internal;
            break;
    }
    return Error{c, e.message};
}

}  // namespace postern::store
