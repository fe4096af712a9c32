// Bulk account import from CSV (RFC 4180): validate rows, hash plain passwords on several
// threads, insert in large transactions with one savepoint per row.
#include <algorithm>
#include <atomic>
#include <istream>
#include <map>
#include <thread>
#include <unordered_map>

#include "base/strings.h"
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/secrets.h"
#include "directory/state.h"

namespace postern::directory {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxShownAddress = 320;

struct Columns {
    std::size_t count = 0;
    std::size_t address = 0;
    std::size_t password = 0;
    std::optional<std::size_t> account_class;
    std::optional<std::size_t> enabled;
    std::vector<std::pair<const SettingDef*, std::size_t>> settings;
};

Result<Columns> parse_header(const CsvRecord& record) {
    auto bad = [&](std::string why) {
        return fail(Errc::invalid_argument, "line " + std::to_string(record.line) + ": " + why);
    };
    if (record.error)
        return bad("header: " + *record.error);
    Columns c;
    c.count = record.fields.size();
    std::optional<std::size_t> address, password;
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
        auto name = to_lower(trim(record.fields[i]));
        if (!seen.emplace(name, i).second)
            return bad("column '" + name + "' appears twice");
        if (name == "address") {
            address = i;
        } else if (name == "password") {
            password = i;
        } else if (name == "class") {
            c.account_class = i;
        } else if (name == "enabled") {
            c.enabled = i;
        } else if (const auto* def = find_setting(name)) {
            c.settings.emplace_back(def, i);
        } else {
            return bad("unknown column '" + name.substr(0, 64) +
                       "' (expected address, password, class, enabled or a setting key)");
        }
    }
    if (!address || !password)
        return bad("the header must name the columns 'address' and 'password'");
    c.address = *address;
    c.password = *password;
    return c;
}

Result<bool> parse_enabled(std::string_view text) {
    text = trim(text);
    if (text.empty())
        return true;
    for (auto t : {"true", "yes", "on", "1"}) {
        if (iequals(text, t))
            return true;
    }
    for (auto f : {"false", "no", "off", "0"}) {
        if (iequals(text, f))
            return false;
    }
    return fail(Errc::invalid_argument,
                "enabled: '" + std::string(text.substr(0, 32)) + "' is not true or false");
}

// "{SCHEME}..." is a hash; anything else is a plain password. A plain password that itself
// starts like that must be given as {PLAIN}text.
bool looks_hashed(std::string_view text) {
    auto close = text.find('}');
    return text.starts_with('{') && close != std::string_view::npos && close <= 32;
}

struct Row {
    std::size_t line = 0;
    Address address;
    std::string domain_key;  // canonical domain as given (may be a domain to create)
    std::optional<std::string> class_name;
    bool enabled = true;
    std::vector<std::pair<std::string, std::string>> settings;
    PasswordSource password;
    PasswordPolicy policy;
    PreparedSecrets prepared;
    std::optional<Error> hash_error;  // validate() makes this unexpected; reported if it happens
};

struct DomainEntry {
    std::int64_t id = 0;  // 0: does not exist yet (create_domains)
    std::string error;    // non-empty: rows in this domain fail with it
};

class Importer {
  public:
    Importer(DirectoryState& state, const ImportOptions& options)
        : state_(state), options_(options) {}

    Result<ImportReport> run(std::istream& in) {
        CsvParser parser(options_.csv);
        std::vector<CsvRecord> records;
        std::string chunk(kReadChunk, '\0');
        bool eof = false;
        while (!eof && !report_.stopped) {
            in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            auto got = static_cast<std::size_t>(in.gcount());
            if (in.bad())
                return fail(Errc::io_error, "reading the import input failed");
            parser.feed(std::string_view(chunk).substr(0, got), records);
            if (got < chunk.size()) {
                eof = true;
                parser.finish(records);
            }
            for (auto& record : records) {
                if (report_.stopped)
                    break;
                if (auto s = take(std::move(record)); !s)
                    return fail(s.error());
            }
            records.clear();
        }
        if (!columns_)
            return fail(Errc::invalid_argument, "the import input has no header line");
        if (auto s = flush(); !s)
            return fail(s.error());
        return std::move(report_);
    }

  private:
    Status take(CsvRecord record) {
        if (!columns_) {
            auto columns = parse_header(record);
            if (!columns)
                return fail(columns.error());
            columns_ = std::move(*columns);
            return ok();
        }
        if (!record.error && std::all_of(record.fields.begin(), record.fields.end(),
                                         [](const std::string& f) { return trim(f).empty(); })) {
            return ok();  // ",,," lines that spreadsheets leave behind
        }
        ++report_.rows;
        auto row = validate(record);
        if (!row) {
            std::string shown;
            if (!record.fields.empty() && columns_->address < record.fields.size()) {
                shown = record.fields[columns_->address].substr(0, kMaxShownAddress);
            }
            return row_error(record.line, shown, row.error().message);
        }
        if (!*row)
            return ok();  // skipped
        batch_.push_back(std::move(**row));
        if (batch_.size() >= std::max<std::size_t>(options_.batch_size, 1))
            return flush();
        return ok();
    }

    Status row_error(std::size_t line, std::string address, std::string message) {
        report_.errors.push_back({line, std::move(address), std::move(message)});
        if (options_.stop_on_error) {
            report_.stopped = true;
            return flush();
        }
        return ok();
    }

    // nullopt: the row is fine but skipped (existing account with skip_existing).
    Result<std::optional<Row>> validate(const CsvRecord& record) {
        if (record.error)
            return fail(Errc::invalid_argument, *record.error);
        const auto& c = *columns_;
        if (record.fields.size() != c.count) {
            return fail(Errc::invalid_argument, "expected " + std::to_string(c.count) +
                                                    " fields, found " +
                                                    std::to_string(record.fields.size()));
        }
        Row row;
        row.line = record.line;
        auto address = parse_address(record.fields[c.address]);
        if (!address)
            return fail(address.error());
        row.address = std::move(*address);
        auto key = row.address.to_string();
        if (auto [it, fresh] = seen_.emplace(key, record.line); !fresh) {
            return fail(Errc::already_exists, "duplicate of line " + std::to_string(it->second));
        }
        if (c.account_class) {
            auto name = trim(record.fields[*c.account_class]);
            if (!name.empty()) {
                auto canonical = query::canonical_class_name(name);
                if (!canonical)
                    return fail(canonical.error());
                row.class_name = std::move(*canonical);
            }
        }
        if (c.enabled) {
            auto enabled = parse_enabled(record.fields[*c.enabled]);
            if (!enabled)
                return fail(enabled.error());
            row.enabled = *enabled;
        }
        for (auto [def, index] : c.settings) {
            auto text = trim(record.fields[index]);
            if (text.empty())
                continue;
            auto value = parse_setting(*def, text);
            if (!value)
                return fail(value.error());
            row.settings.emplace_back(std::string(def->name), format_setting(*def, *value));
        }
        const auto& password = record.fields[c.password];
        if (password.empty()) {
            if (!options_.generate_missing)
                return fail(Errc::invalid_argument, "empty password");
            row.password = RandomPassword{};
        } else if (looks_hashed(password)) {
            row.password = HashedPassword{password};
        } else {
            row.password = PlainPassword{password};
        }
        auto placed = place(row);
        if (!placed)
            return fail(placed.error());
        if (!*placed) {
            ++report_.skipped;
            return std::optional<Row>{};
        }
        if (auto s = check_password_source(row.password, row.policy); !s)
            return fail(s.error());
        return std::optional<Row>{std::move(row)};
    }

    // Domain, class, existing address and effective password policy of a row, read with a
    // fresh snapshot (earlier batches are committed by now). false: skip (existing account).
    Result<bool> place(Row& row) {
        return with_reader(state_, [&](sql::Connection& db) -> Result<bool> {
            auto domain = domain_entry(db, row.address.domain);
            if (!domain)
                return fail(domain.error());
            if (!domain->error.empty())
                return fail(Errc::invalid_argument, domain->error);
            row.domain_key = row.address.domain;
            std::int64_t class_id = 0;
            if (row.class_name) {
                if (domain->id == 0) {
                    return fail(Errc::not_found, "class " + *row.class_name +
                                                     " does not exist in new domain " +
                                                     row.address.domain);
                }
                auto id = query::require_class(db, domain->id, *row.class_name, row.address.domain);
                if (!id)
                    return fail(id.error());
                class_id = *id;
            }
            if (domain->id != 0) {
                auto existing = query::find_address(db, domain->id, row.address.local_part);
                if (!existing)
                    return fail(existing.error());
                if (*existing) {
                    if (options_.skip_existing && (*existing)->kind == query::Kind::account)
                        return false;
                    return fail(Errc::already_exists,
                                row.address.to_string() + " already exists as " +
                                    std::string(query::kind_noun((*existing)->kind)));
                }
            }
            auto stored = query::load_settings_chain(db, 0, class_id, domain->id);
            if (!stored)
                return fail(stored.error());
            for (const auto& [k, v] : row.settings)
                stored->push_back({SettingLevel::account, k, v});
            row.policy = typed_settings(resolve_settings(*stored)).password_policy;
            return true;
        });
    }

    Result<DomainEntry> domain_entry(sql::Connection& db, const std::string& name) {
        if (auto it = domains_.find(name); it != domains_.end())
            return it->second;
        DomainEntry entry;
        auto found = query::find_domain(db, name);
        if (!found)
            return fail(found.error());
        if (*found && (*found)->via_alias) {
            entry.error =
                name + " is a domain alias of " + (*found)->name + "; use " + (*found)->name;
        } else if (*found) {
            entry.id = (*found)->id;
        } else if (!options_.create_domains) {
            entry.error = "domain " + name + " does not exist";
        } else {
            report_.created_domains.push_back(name);
        }
        // A domain created later is looked up again by the writer; the cache only has to
        // remember that rows may go there.
        domains_.emplace(name, entry);
        return entry;
    }

    void hash_batch() {
        std::vector<Row*> work;
        for (auto& row : batch_) {
            if (!std::holds_alternative<HashedPassword>(row.password))
                work.push_back(&row);
        }
        std::atomic<std::size_t> next{0};
        const auto& params = state_.options.bulk_hash;
        auto worker = [&] {
            for (std::size_t i; (i = next.fetch_add(1)) < work.size();) {
                auto prepared = prepare_secrets(work[i]->password, work[i]->policy, params);
                if (prepared) {
                    work[i]->prepared = std::move(*prepared);
                } else {
                    work[i]->hash_error = std::move(prepared.error());
                }
            }
        };
        std::vector<std::jthread> threads;
        unsigned extra = std::max(state_.options.hash_threads, 1u) - 1;
        for (unsigned t = 0; t < extra && t + 1 < work.size(); ++t)
            threads.emplace_back(worker);
        worker();
    }

    Status flush() {
        if (batch_.empty())
            return ok();
        if (options_.dry_run) {
            report_.imported += batch_.size();
            batch_.clear();
            return ok();
        }
        hash_batch();
        for (auto& row : batch_) {
            if (auto* hashed = std::get_if<HashedPassword>(&row.password)) {
                auto prepared = prepare_secrets(*hashed, row.policy, state_.options.bulk_hash);
                if (prepared) {
                    row.prepared = std::move(*prepared);
                } else {
                    row.hash_error = std::move(prepared.error());
                }
            }
        }
        auto written = with_writer(state_, [&](sql::Connection& db) -> Status {
            for (auto& row : batch_) {
                if (auto s = db.run("SAVEPOINT import_row"); !s)
                    return s;
                auto inserted = insert(db, row);
                if (!inserted) {
                    if (auto s = db.run("ROLLBACK TO import_row"); !s)
                        return s;
                }
                if (auto s = db.run("RELEASE import_row"); !s)
                    return s;
                if (!inserted) {
                    // Database failures end the import; a row's own problem is reported.
                    auto code = inserted.error().code;
                    if (code == Errc::io_error || code == Errc::corrupt || code == Errc::internal ||
                        code == Errc::unavailable) {
                        return fail(inserted.error());
                    }
                    report_.errors.push_back(
                        {row.line, row.address.to_string(), inserted.error().message});
                    if (options_.stop_on_error) {
                        report_.stopped = true;
                        break;
                    }
                    continue;
                }
                ++report_.imported;
                if (row.prepared.generated_password) {
                    report_.generated.emplace_back(row.address.to_string(),
                                                   *row.prepared.generated_password);
                }
            }
            return ok();
        });
        batch_.clear();
        return written;
    }

    Status insert(sql::Connection& db, const Row& row) {
        // Never create an account without the secrets it was meant to get.
        if (row.hash_error)
            return fail(*row.hash_error);
        auto domain = query::find_domain(db, row.domain_key);
        if (!domain)
            return fail(domain.error());
        std::int64_t domain_id = 0;
        if (!*domain) {
            if (!options_.create_domains)
                return fail(Errc::not_found, "domain " + row.domain_key + " does not exist");
            if (auto s = db.run("INSERT INTO domains (name, created) VALUES (?1, ?2)",
                                row.domain_key, query::now_seconds());
                !s) {
                return s;
            }
            domain_id = db.last_insert_rowid();
        } else if ((*domain)->via_alias) {
            return fail(Errc::invalid_argument, row.domain_key + " is a domain alias");
        } else {
            domain_id = (*domain)->id;
        }
        auto existing = query::find_address(db, domain_id, row.address.local_part);
        if (!existing)
            return fail(existing.error());
        if (*existing) {
            return fail(Errc::already_exists, row.address.to_string() + " already exists as " +
                                                  std::string(query::kind_noun((*existing)->kind)));
        }
        std::int64_t class_id = 0;
        if (row.class_name) {
            auto id = query::require_class(db, domain_id, *row.class_name, row.domain_key);
            if (!id)
                return fail(id.error());
            class_id = *id;
        }
        auto id = query::insert_account(db, domain_id, row.address.local_part, class_id,
                                        row.enabled, row.prepared.secrets, row.settings);
        if (!id)
            return fail(id.error());
        return ok();
    }

    DirectoryState& state_;
    const ImportOptions& options_;
    ImportReport report_;
    std::optional<Columns> columns_;
    std::vector<Row> batch_;
    std::unordered_map<std::string, std::size_t> seen_;  // address → line
    std::unordered_map<std::string, DomainEntry> domains_;
};

}  // namespace

Result<ImportReport> Directory::import_accounts(std::istream& csv, const ImportOptions& options) {
    Importer importer(*state_, options);
    return importer.run(csv);
}

}  // namespace postern::directory
