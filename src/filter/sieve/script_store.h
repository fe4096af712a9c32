// One account's Sieve scripts on disk, as ManageSieve (RFC 5804) manages them and delivery
// reads them (docs/sieve.md): <account dir>/scripts/<name>.sieve holds each script, and
// <account dir>/active.sieve is a symbolic link "scripts/<name>.sieve" to the active one.
// Every change is atomic: scripts are written to a temporary file and renamed into place, and
// the active link is replaced by renaming a new link over it, so delivery sees the old script
// or the new one, never half of one and never none while one is active. Not thread-safe for
// one account (callers serialise per account); blocks on disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace postern::sieve {

class ScriptStore {
  public:
    explicit ScriptStore(std::filesystem::path account_dir) : dir_(std::move(account_dir)) {}

    struct Entry {
        std::string name;
        std::uint64_t size = 0;
        bool active = false;
    };
    // Every script, by name.
    Result<std::vector<Entry>> list() const;
    // The active script's name; nullopt when none is active.
    std::optional<std::string> active() const;
    bool exists(std::string_view name) const;
    // not_found when there is no such script.
    Result<std::string> get(std::string_view name) const;
    // Creates or replaces a script (durably).
    Status put(std::string_view name, std::string_view text);
    // Makes `name` the active script; "" deactivates. not_found for an unknown script.
    Status set_active(std::string_view name);
    // not_found; permission_denied for the active script (RFC 5804 §2.10).
    Status remove(std::string_view name);
    // not_found; already_exists when `to` exists. The active script stays active.
    Status rename(std::string_view from, std::string_view to);

    // An active.sieve that is a plain file (put there by hand before ManageSieve) becomes the
    // script `name` (or `name-2`, ... when taken) and active.sieve a link to it. Returns the
    // name it got, or nullopt when there was nothing to do.
    Result<std::optional<std::string>> adopt_plain_active(std::string_view name = "main");

    std::filesystem::path script_path(std::string_view name) const;
    std::filesystem::path active_link() const { return dir_ / "active.sieve"; }
    std::filesystem::path scripts_dir() const { return dir_ / "scripts"; }

  private:
    Status link_active(std::string_view name);
    std::filesystem::path dir_;
};

}  // namespace postern::sieve
