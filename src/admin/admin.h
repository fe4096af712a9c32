// The one admin layer behind posternctl, the admin socket and (later) the CLI service,
// WebAdmin and the HTTP API: named commands with JSON arguments and JSON results. All of
// them go through here, so none writes the directory behind another's back.
//
// Request:  {"command": "domain.add", "args": {"name": "example.test"}}
// Response: {"ok": true, "result": ...}
//           {"ok": false, "error": {"code": "already_exists", "message": "..."}}
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/ip_address.h"
#include "base/result.h"
#include "config/config.h"
#include "services/service.h"

namespace postern::directory {
class Directory;
}
namespace postern::store {
class Store;
}
namespace postern::queue {
class Queue;
}
namespace postern::filter::lists {
class AddressLists;
}
namespace postern::filter::greylist {
class GreylistStore;
}

namespace postern::admin {

// What only a running daemon can do. The worker implements it; offline posternctl has none.
class ServerControl {
  public:
    virtual ~ServerControl() = default;
    virtual nlohmann::json status() = 0;  // pid, uptime, version, config file
    virtual std::vector<services::ServiceStatus> services() = 0;
    virtual Status start_service(const std::string& name) = 0;
    virtual Status stop_service(const std::string& name) = 0;
    virtual Status restart_service(const std::string& name) = 0;
    virtual Status reload() = 0;  // re-read the configuration file
    virtual nlohmann::json auth_bans() = 0;
    virtual Status unban(const std::string& ip_or_account) = 0;
    // The account's password changed or it was disabled/removed: drop cached logins.
    virtual void password_changed(std::int64_t account_id) = 0;
};

// The data the storage and queue commands work on. The daemon passes its own; offline
// posternctl opens them only for the commands that need them (the daemon must be stopped).
struct Resources {
    store::Store* store = nullptr;
    queue::Queue* queue = nullptr;
    // The address lists and greylisting databases ([protection.lists] / [protection.greylist]
    // database), opened on demand; null when they cannot be opened.
    std::function<std::shared_ptr<filter::lists::AddressLists>()> address_lists = {};
    std::function<std::shared_ptr<filter::greylist::GreylistStore>()> greylist = {};
    std::filesystem::path sieve_root = {};  // <server.data_dir>/sieve: account.ooo.* writes there
};

// Thread-safe as far as Directory and ServerControl are; execute() blocks on the database,
// so the daemon calls it from a blocking pool.
class Admin {
  public:
    // `server` may be null (offline): server commands then fail with "needs the running daemon".
    Admin(directory::Directory& directory, ServerControl* server, Resources resources = {});

    nlohmann::json execute(const nlohmann::json& request);
    // The command names, for help and tests.
    static std::vector<std::string> commands();

  private:
    directory::Directory& directory_;
    ServerControl* server_;
    Resources resources_;
};

// The JSON error code of an Errc ("not_found", ...), shared with posternctl's exit codes.
std::string error_code(Errc code);

}  // namespace postern::admin
