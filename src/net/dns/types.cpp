// Names and classes of DNS record types and error kinds (RFC 1035 §3.2.2, RFC 2308 §2).
#include "net/dns/types.h"

namespace postern::net::dns {

std::string_view record_type_name(RecordType type) {
    switch (type) {
        case RecordType::a:
            return "A";
        case RecordType::cname:
            return "CNAME";
        case RecordType::ptr:
            return "PTR";
        case RecordType::mx:
            return "MX";
        case RecordType::txt:
            return "TXT";
        case RecordType::aaaa:
            return "AAAA";
    }
    return "?";
}

std::string TxtRecord::joined() const {
    std::string out;
    std::size_t size = 0;
    for (const auto& s : strings)
        size += s.size();
    out.reserve(size);
    for (const auto& s : strings)
        out += s;
    return out;
}

std::string_view dns_errc_name(DnsErrc code) {
    switch (code) {
        case DnsErrc::nxdomain:
            return "NXDOMAIN";
        case DnsErrc::nodata:
            return "NODATA";
        case DnsErrc::server_failure:
            return "SERVFAIL";
        case DnsErrc::timeout:
            return "TIMEOUT";
        case DnsErrc::malformed:
            return "MALFORMED";
        case DnsErrc::limit_exceeded:
            return "LIMIT";
        case DnsErrc::invalid_name:
            return "BADNAME";
        case DnsErrc::no_mail:
            return "NULLMX";
        case DnsErrc::cancelled:
            return "CANCELLED";
    }
    return "?";
}

bool is_temporary(DnsErrc code) {
    return code == DnsErrc::server_failure || code == DnsErrc::timeout ||
           code == DnsErrc::malformed;
}

std::string DnsError::to_string() const {
    std::string out(dns_errc_name(code));
    if (!message.empty()) {
        out += ": ";
        out += message;
    }
    return out;
}

Error to_error(const DnsError& e) {
    Errc code = Errc::internal;
    switch (e.code) {
        case DnsErrc::nxdomain:
        case DnsErrc::nodata:
        case DnsErrc::no_mail:
            code = Errc::not_found;
            break;
        case DnsErrc::server_failure:
        case DnsErrc::malformed:
            code = Errc::unavailable;
            break;
        case DnsErrc::timeout:
            code = Errc::timeout;
            break;
        case DnsErrc::limit_exceeded:
            code = Errc::limit_exceeded;
            break;
        case DnsErrc::invalid_name:
            code = Errc::invalid_argument;
            break;
        case DnsErrc::cancelled:
            code = Errc::cancelled;
            break;
    }
    return Error{code, e.to_string()};
}

}  // namespace postern::net::dns
