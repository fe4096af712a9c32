// AnswerSet: a map of DNS answers for the pure evaluators (answer_set.h).
#include "net/dns/answer_set.h"

namespace postern::net::dns {

const DnsResult<RecordSet>* AnswerSet::find(std::string_view name, RecordType type) const {
    auto it = answers_.find(std::pair<std::string, RecordType>(std::string(name), type));
    return it == answers_.end() ? nullptr : &it->second;
}

void AnswerSet::add(std::string_view name, RecordType type, DnsResult<RecordSet> answer) {
    answers_.insert_or_assign(std::pair<std::string, RecordType>(std::string(name), type),
                              std::move(answer));
}

}  // namespace postern::net::dns
