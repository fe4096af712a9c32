// Normalised scan results as header fields: X-Postern-Spam-Level (1-10) and
// X-Postern-Virus-Level (1-5) carry RFC 5235 spamtest/virustest semantics for Sieve.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::filter::scan {

inline constexpr std::string_view kSpamLevelHeader = "X-Postern-Spam-Level";
inline constexpr std::string_view kVirusLevelHeader = "X-Postern-Virus-Level";
inline constexpr std::string_view kSpamScoreHeader = "X-Postern-Spam-Score";
inline constexpr std::string_view kSpamStatusHeader = "X-Postern-Spam-Status";
inline constexpr std::string_view kVirusStatusHeader = "X-Postern-Virus-Status";

// Every header field name a scanner sets: fields with these names that arrive with the message
// are removed before ours are added, so a sender cannot forge a verdict.
const std::vector<std::string>& scan_header_names();

// RFC 5235 §3.2 spamtest: 0 = not tested, 1 = tested and clean, 10 = definitely spam.
// score/required below 1 maps linearly onto 1..8; at or above `required` (spamd says spam)
// 9; at or above twice `required` 10.
int spam_level(double score, double required);
// RFC 5235 spamtestplus percentage (0-100) for the same inputs (0 also for "clean").
int spam_percent(double score, double required);

// RFC 5235 §3.3 virustest: 0 not tested, 1 clean, 5 infected (2-4 are for scanners that can
// clean or guess; clamd reports only clean or infected).
inline constexpr int kVirusClean = 1;
inline constexpr int kVirusInfected = 5;

// The first header field `name` of the message's header section, unfolded (nullopt: none).
std::optional<std::string> header_value(std::string_view raw, std::string_view name);
// True when the header section has a field named `name` (case-insensitive).
bool has_header(std::string_view raw, std::string_view name);

}  // namespace postern::filter::scan
