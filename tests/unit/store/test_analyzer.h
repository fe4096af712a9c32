// TEST FIXTURE, not the production analyzer: a naive RFC 5322 header/body split that reads a
// few header fields and one level of multipart, so store tests can run before src/mime lands.
#pragma once

#include <string>
#include <string_view>

#include "store/api/analysis.h"

namespace postern::store::testing {

class NaiveAnalyzer : public MessageAnalyzer {
  public:
    MessageAnalysis analyze(std::string_view raw) override;
};

// A realistic-looking message of about `size` bytes; `seed` varies headers and text.
std::string make_message(std::size_t size, unsigned seed, std::string_view subject = {},
                         std::string_view from = "Alice Example <alice@example.org>",
                         std::string_view body_words = {});

}  // namespace postern::store::testing
