// Typed, checked access to TOML tables with file:line error reporting.
#include "config/reader.h"

#include "base/strings.h"
#include "base/units.h"

namespace postern::config {

void Problems::add(const toml::source_region& where, std::string key, std::string message) {
    add(where.begin.line, std::move(key), std::move(message));
}

void Problems::add(unsigned line, std::string key, std::string message) {
    list_.push_back(Problem{file_, line, std::move(key), std::move(message)});
}

Reader::Reader(const toml::table& table, std::string path, Problems& problems)
    : table_(table), path_(std::move(path)), problems_(problems) {}

std::string Reader::key_path(std::string_view key) const {
    if (path_.empty())
        return std::string(key);
    return path_ + "." + std::string(key);
}

const toml::node* Reader::find(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
}

void Reader::error(std::string_view key, std::string message) {
    auto* node = table_.get(key);
    unsigned line = node ? node->source().begin.line : table_.source().begin.line;
    problems_.add(line, key_path(key), std::move(message));
}

bool Reader::get_bool(std::string_view key, bool fallback) {
    auto* node = find(key);
    if (!node)
        return fallback;
    if (auto v = node->value<bool>())
        return *v;
    error(key, "expected true or false");
    return fallback;
}

std::int64_t Reader::get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) {
    auto* node = find(key);
    if (!node)
        return fallback;
    if (!node->is_integer()) {
        error(key, "expected an integer");
        return fallback;
    }
    auto v = *node->value<std::int64_t>();
    if (v < min || v > max) {
        error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                       ", got " + std::to_string(v));
        return fallback;
    }
    return v;
}

double Reader::get_double(std::string_view key, double fallback, double min, double max) {
    auto* node = find(key);
    if (!node)
        return fallback;
    if (!node->is_number()) {
        error(key, "expected a number");
        return fallback;
    }
    auto v = node->is_integer() ? static_cast<double>(*node->value<std::int64_t>())
                                : *node->value<double>();
    if (!(v >= min && v <= max)) {
        error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return fallback;
    }
    return v;
}

std::string Reader::get_string(std::string_view key, std::string fallback) {
    auto* node = find(key);
    if (!node)
        return fallback;
    if (auto v = node->value<std::string>())
        return *v;
    error(key, "expected a string");
    return fallback;
}

std::size_t Reader::get_choice(std::string_view key, std::size_t fallback,
                               std::initializer_list<std::string_view> choices) {
    auto* node = find(key);
    if (!node)
        return fallback;
    auto v = node->value<std::string>();
    if (v) {
        std::size_t i = 0;
        for (auto c : choices) {
            if (iequals(*v, c))
                return i;
            ++i;
        }
    }
    std::string list;
    for (auto c : choices) {
        if (!list.empty())
            list += ", ";
        list += "\"" + std::string(c) + "\"";
    }
    error(key, "expected one of " + list);
    return fallback;
}

std::chrono::milliseconds Reader::get_duration(std::string_view key,
                                               std::chrono::milliseconds fallback) {
    auto* node = find(key);
    if (!node)
        return fallback;
    if (auto i = node->value_exact<std::int64_t>()) {
        if (*i >= 0)
            return std::chrono::seconds(*i);
    } else if (auto s = node->value<std::string>()) {
        if (auto d = parse_duration(*s))
            return *d;
    }
    error(key, "expected a duration such as \"30s\", \"10m\", \"2h\" or \"7d\"");
    return fallback;
}

std::uint64_t Reader::get_size(std::string_view key, std::uint64_t fallback) {
    auto* node = find(key);
    if (!node)
        return fallback;
    if (auto i = node->value_exact<std::int64_t>()) {
        if (*i >= 0)
            return static_cast<std::uint64_t>(*i);
    } else if (auto s = node->value<std::string>()) {
        if (auto n = parse_size(*s))
            return *n;
    }
    error(key, "expected a size such as 65536, \"64K\", \"10M\" or \"1G\"");
    return fallback;
}

std::vector<std::string> Reader::get_string_list(std::string_view key,
                                                 std::vector<std::string> fallback) {
    auto* node = find(key);
    if (!node)
        return fallback;
    auto* arr = node->as_array();
    if (!arr) {
        error(key, "expected an array of strings");
        return fallback;
    }
    std::vector<std::string> out;
    for (auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v) {
            problems_.add(item.source(), key_path(key), "expected an array of strings");
            return fallback;
        }
        out.push_back(*v);
    }
    return out;
}

std::vector<std::int64_t> Reader::get_int_list(std::string_view key,
                                               std::vector<std::int64_t> fallback, std::int64_t min,
                                               std::int64_t max) {
    auto* node = find(key);
    if (!node)
        return fallback;
    auto* arr = node->as_array();
    std::vector<std::int64_t> out;
    if (arr) {
        for (auto& item : *arr) {
            auto v = item.value_exact<std::int64_t>();
            if (!v || *v < min || *v > max) {
                problems_.add(item.source(), key_path(key),
                              "expected integers between " + std::to_string(min) + " and " +
                                  std::to_string(max));
                return fallback;
            }
            out.push_back(*v);
        }
        return out;
    }
    error(key, "expected an array of integers");
    return fallback;
}

std::filesystem::path Reader::get_path(std::string_view key, std::filesystem::path fallback,
                                       const std::filesystem::path& base) {
    auto text = get_string(key, fallback.string());
    if (text.empty())
        return {};
    std::filesystem::path p(text);
    if (p.is_relative())
        p = base / p;
    return p.lexically_normal();
}

std::optional<Reader> Reader::table(std::string_view key) {
    auto* node = find(key);
    if (!node)
        return std::nullopt;
    if (auto* t = node->as_table())
        return Reader(*t, key_path(key), problems_);
    error(key, "expected a table");
    return std::nullopt;
}

std::vector<Reader> Reader::tables(std::string_view key) {
    std::vector<Reader> out;
    auto* node = find(key);
    if (!node)
        return out;
    auto* arr = node->as_array();
    if (!arr) {
        error(key, "expected an array of tables ([[" + key_path(key) + "]])");
        return out;
    }
    std::size_t i = 0;
    for (auto& item : *arr) {
        auto name = key_path(key) + "[" + std::to_string(i++) + "]";
        if (auto* t = item.as_table()) {
            out.emplace_back(*t, name, problems_);
        } else {
            problems_.add(item.source(), name, "expected a table");
        }
    }
    return out;
}

void Reader::finish() {
    for (auto& [key, node] : table_) {
        if (!seen_.contains(key.str())) {
            problems_.add(node.source(), key_path(key.str()), "unknown key");
        }
    }
}

}  // namespace postern::config
