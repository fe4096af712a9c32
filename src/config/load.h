// Loads and validates postern.toml into a typed Config snapshot.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace postern::config {

// One problem found in a config file: "postern.toml:12: services.smtp.listener[0].tls: ..."
struct Problem {
    std::filesystem::path file;
    unsigned line = 0;
    std::string key;
    std::string message;
    std::string to_string() const;
};

struct LoadError {
    std::vector<Problem> problems;
    std::string to_string() const;  // one problem per line
};

// Parses the file and validates every key. Relative paths in the file are resolved against
// the file's directory. Unknown keys and bad values are errors; nothing is half-loaded.
std::expected<ConfigPtr, LoadError> load_file(const std::filesystem::path& file);
std::expected<ConfigPtr, LoadError> load_string(std::string_view toml_text,
                                                const std::filesystem::path& as_file);

}  // namespace postern::config
