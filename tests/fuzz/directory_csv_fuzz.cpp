// Fuzz target for the directory's CSV parser (RFC 4180) and field validators. The first byte
// picks a split point; the rest is CSV. Checks: whole and split feeding give the same records,
// records respect the size limits, and the validators never crash on any field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "directory/address.h"
#include "directory/csv.h"
#include "directory/password_policy.h"
#include "directory/settings.h"

namespace {

using namespace postern::directory;

constexpr CsvLimits kLimits{.max_record_bytes = 512, .max_fields = 8};

std::vector<CsvRecord> parse(std::string_view input, std::size_t cut) {
    CsvParser parser(kLimits);
    std::vector<CsvRecord> out;
    parser.feed(input.substr(0, cut), out);
    parser.feed(input.substr(cut), out);
    parser.finish(out);
    return out;
}

bool same(const std::vector<CsvRecord>& a, const std::vector<CsvRecord>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].line != b[i].line || a[i].fields != b[i].fields || a[i].error != b[i].error)
            return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::size_t cut = input.empty() ? 0 : data[0] % (input.size() + 1);
    auto whole = parse(input, input.size());
    auto split = parse(input, cut);
    if (!same(whole, split))
        std::abort();
    for (const auto& record : whole) {
        if (record.fields.size() > kLimits.max_fields)
            std::abort();
        std::size_t bytes = 0;
        for (const auto& f : record.fields) {
            bytes += f.size();
            (void)parse_address(f);
            (void)canonical_domain(f);
            (void)canonical_setting_text("services", f);
            (void)canonical_setting_text("quota", f);
            (void)check_password(f, {});
        }
        if (bytes > kLimits.max_record_bytes)
            std::abort();
    }
    return 0;
}
