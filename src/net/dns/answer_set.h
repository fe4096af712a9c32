// A snapshot of DNS answers that pure evaluators (SPF, DKIM key and DMARC record discovery)
// read instead of calling the resolver: they ask the set, and when an answer is missing they
// say which question to ask; the caller asks the resolver, adds the answer and runs them again.
// The same evaluators then run unchanged on data (tests, conformance suites) and on the
// resolver (services/sender_auth).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "net/dns/types.h"

namespace postern::net::dns {

struct Question {
    std::string name;  // normalised (lower case, no trailing dot)
    RecordType type = RecordType::a;
    bool operator==(const Question&) const = default;
};

// Read-only view of known answers. Not thread-safe; one evaluation at a time.
class AnswerSource {
  public:
    virtual ~AnswerSource() = default;
    // The answer to (name, type) — a RecordSet or the DNS error — or nullptr when it is not
    // known yet. `name` is normalised by the caller.
    virtual const DnsResult<RecordSet>* find(std::string_view name, RecordType type) const = 0;
};

// Answers kept in a map: filled from the resolver one question at a time, or from test data.
class AnswerSet : public AnswerSource {
  public:
    const DnsResult<RecordSet>* find(std::string_view name, RecordType type) const override;
    void add(std::string_view name, RecordType type, DnsResult<RecordSet> answer);
    std::size_t size() const { return answers_.size(); }

  private:
    std::map<std::pair<std::string, RecordType>, DnsResult<RecordSet>, std::less<>> answers_;
};

}  // namespace postern::net::dns
