// Human-readable rendering of admin results.
#include "tools/output.h"

#include <algorithm>
#include <map>

namespace postern::tools {
namespace {

using json = nlohmann::json;

std::string cell(const json& v) {
    if (v.is_null())
        return "-";
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_boolean())
        return v.get<bool>() ? "yes" : "no";
    if (v.is_array()) {
        std::string out;
        for (auto& item : v) {
            if (!out.empty())
                out += ",";
            out += cell(item);
        }
        return out.empty() ? "-" : out;
    }
    return v.dump();
}

void print_table(std::ostream& out, const json& rows, std::vector<std::string> columns) {
    if (rows.empty()) {
        out << "(none)\n";
        return;
    }
    if (columns.empty()) {
        for (auto& [k, v] : rows.front().items())
            columns.push_back(k);
    }
    std::vector<std::size_t> width(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c)
        width[c] = columns[c].size();
    for (auto& row : rows) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            width[c] = std::max(width[c], cell(row.value(columns[c], json())).size());
        }
    }
    auto line = [&](auto get) {
        std::string text;
        for (std::size_t c = 0; c < columns.size(); ++c) {
            auto v = get(c);
            text += v;
            if (c + 1 < columns.size())
                text += std::string(width[c] - v.size() + 2, ' ');
        }
        out << text << "\n";
    };
    line([&](std::size_t c) {
        std::string h = columns[c];
        std::transform(h.begin(), h.end(), h.begin(), ::toupper);
        return h;
    });
    for (auto& row : rows)
        line([&](std::size_t c) { return cell(row.value(columns[c], json())); });
}

const std::map<std::string, std::vector<std::string>>& columns() {
    static const std::map<std::string, std::vector<std::string>> m = {
        {"domain.list", {"name", "accounts", "aliases", "catch_all"}},
        {"account.list", {"address", "enabled", "class", "password_scheme"}},
        {"alias.list", {"alias", "account"}},
        {"group.list", {"address", "members"}},
        {"forwarder.list", {"address", "targets"}},
        {"class.list", {"name", "accounts"}},
        {"settings.get", {"key", "value", "from"}},
        {"service.list",
         {"name", "running", "enabled", "threads", "connections", "listeners", "error"}},
        {"auth.bans", {"kind", "subject", "failures", "remaining_s"}},
        {"queue.list",
         {"id", "state", "age", "size", "sender", "recipients", "attempts", "next_attempt",
          "last_error"}},
        {"queue.destinations",
         {"lane", "name", "available", "failures", "waiting", "retry_at", "last_error"}},
        {"recipients",
         {"index", "address", "state", "attempts", "next_attempt", "status", "last_error"}},
        // Tables inside storage.* results.
        {"issues", {"severity", "kind", "account", "mailbox", "uid", "fixed", "message"}},
        {"stores",
         {"id", "path", "containers", "file_bytes", "free_bytes", "bodies", "references",
          "stored_bytes", "logical_bytes"}},
        {"domains", {"domain", "accounts", "messages", "bytes", "index_bytes"}},
        {"accounts", {"account", "domain", "messages", "bytes", "index_bytes"}},
        {"entries", {"identifier", "rights"}},  // acl.list
        {"lists.list", {"scope", "list", "pattern", "source"}},
        {"triplets", {"network", "sender", "recipient", "state", "first_seen", "last_seen"}},
        {"networks", {"network", "passes", "last_seen"}},  // greylist.list
    };
    return m;
}

}  // namespace

void print_human(std::ostream& out, const std::string& command, const json& result) {
    if (result.is_array()) {
        if (!result.empty() && !result.front().is_object()) {
            for (auto& v : result)
                out << cell(v) << "\n";
            return;
        }
        auto it = columns().find(command);
        print_table(out, result, it == columns().end() ? std::vector<std::string>{} : it->second);
        return;
    }
    if (!result.is_object()) {
        out << cell(result) << "\n";
        return;
    }
    if (result.size() == 1 && result.contains("done"))
        return;  // nothing to say: exit code 0 says it
    std::vector<std::pair<std::string, const json*>> tables;
    for (auto& [key, value] : result.items()) {
        if (value.is_array() && !value.empty() && value.front().is_object()) {
            tables.emplace_back(key, &value);
            continue;
        }
        out << key << ": " << cell(value) << "\n";
    }
    for (auto& [key, value] : tables) {
        out << "\n" << key << ":\n";
        auto it = columns().find(key == "settings"   ? "settings.get"
                                 : key == "services" ? "service.list"
                                                     : key);
        print_table(out, *value, it == columns().end() ? std::vector<std::string>{} : it->second);
    }
}

int exit_code_for(const std::string& code) {
    static const std::map<std::string, int> codes = {
        {"invalid_argument", 2},  {"not_found", 3},   {"already_exists", 4},
        {"permission_denied", 5}, {"unavailable", 6}, {"limit_exceeded", 7},
    };
    auto it = codes.find(code);
    return it == codes.end() ? 1 : it->second;
}

}  // namespace postern::tools
