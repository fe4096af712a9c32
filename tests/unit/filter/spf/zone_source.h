// Serves an SPF test suite's zonedata as DNS answers (the openspf.org driver conventions: SPF
// entries double as TXT unless the name has TXT entries, "TXT: NONE" means no TXT, a TIMEOUT
// entry times out every question not answered by an entry before it, CNAMEs are followed).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/dns/answer_set.h"

namespace postern::filter::spf::testing {

class ZoneSource : public net::dns::AnswerSource {
  public:
    explicit ZoneSource(const nlohmann::json& zonedata) : zone_(zonedata) {}
    const net::dns::DnsResult<net::dns::RecordSet>* find(std::string_view name,
                                                         net::dns::RecordType type) const override;

  private:
    net::dns::DnsResult<net::dns::RecordSet> resolve(const std::string& name,
                                                     net::dns::RecordType type, int depth) const;
    nlohmann::json zone_;
    mutable std::map<std::pair<std::string, net::dns::RecordType>,
                     net::dns::DnsResult<net::dns::RecordSet>>
        memo_;
};

}  // namespace postern::filter::spf::testing
