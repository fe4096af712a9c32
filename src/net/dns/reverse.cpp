// Forward-confirmed reverse DNS: PTR (RFC 1035 §3.5, RFC 3596 §2.5), then A or AAAA of each name
// (RFC 8601 §3 "iprev", the 10-name bound of RFC 7208 §5.5).
#include "net/dns/reverse.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

namespace postern::net::dns {

namespace {

struct ReverseJob {
    IpAddress address;
    std::mutex mutex;
    ConfirmedNames result;              // guarded by mutex
    std::vector<bool> confirmed;        // guarded by mutex, per ptr_names entry
    std::size_t pending = 0;            // guarded by mutex
    std::optional<DnsError> temporary;  // guarded by mutex: first temporary forward failure
    bool cancelled = false;             // guarded by mutex
    Callback<ConfirmedNames> done;
};

void forward_answered(const std::shared_ptr<ReverseJob>& job, std::size_t index,
                      DnsResult<AddressAnswer> answer) {
    DnsResult<ConfirmedNames> final_result;
    {
        std::lock_guard lock(job->mutex);
        if (answer) {
            const auto& records = answer->records;
            job->confirmed[index] =
                std::find(records.begin(), records.end(), job->address) != records.end();
        } else if (answer.error().code == DnsErrc::cancelled) {
            job->cancelled = true;
        } else if (is_temporary(answer.error().code) && !job->temporary) {
            job->temporary = std::move(answer.error());
        }
        if (--job->pending > 0)
            return;
        for (std::size_t i = 0; i < job->confirmed.size(); ++i) {
            if (job->confirmed[i])
                job->result.names.push_back(job->result.ptr_names[i]);
        }
        if (job->cancelled) {
            final_result = dns_fail(DnsErrc::cancelled, "forward confirmation cancelled");
        } else if (job->result.names.empty() && job->temporary) {
            final_result = std::unexpected(std::move(*job->temporary));
        } else {
            final_result = std::move(job->result);
        }
    }
    job->done(std::move(final_result));
}

}  // namespace

void forward_confirmed_names(Resolver& resolver, const IpAddress& address,
                             Callback<ConfirmedNames> done, std::size_t max_names) {
    auto job = std::make_shared<ReverseJob>();
    job->address = address;
    job->done = std::move(done);
    resolver.lookup_ptr(address, [job, &resolver, max_names](DnsResult<NameAnswer> ptr) {
        if (!ptr) {
            job->done(std::unexpected(std::move(ptr.error())));
            return;
        }
        auto names = std::move(ptr->records);
        if (names.size() > max_names)
            names.resize(max_names);
        if (names.empty()) {
            job->done(ConfirmedNames{});
            return;
        }
        {
            std::lock_guard lock(job->mutex);
            job->result.ptr_names = names;
            job->confirmed.assign(names.size(), false);
            job->pending = names.size();
        }
        const bool v4 = job->address.is_v4();
        for (std::size_t i = 0; i < names.size(); ++i) {
            auto forward = [job, i](DnsResult<AddressAnswer> a) {
                forward_answered(job, i, std::move(a));
            };
            if (v4) {
                resolver.lookup_a(names[i], std::move(forward));
            } else {
                resolver.lookup_aaaa(names[i], std::move(forward));
            }
        }
    });
}

}  // namespace postern::net::dns
