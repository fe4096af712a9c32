// What SMTP-time protection shares between sessions (docs/smtp-protection.md): the greylist
// store and the country database, opened from the configuration and reopened when a reload
// changes their files (sessions take shared_ptr snapshots, so a reload never pulls a store
// out from under a running check); and the automatic ban of clients that sessions of any TCP
// service closed for protocol errors, kept in the authenticator's FailureTracker so that
// `posternctl auth bans` lists it and `auth unban` lifts it.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "config/config.h"
#include "log/log.h"
#include "services/tcp_service.h"

namespace postern::auth {
class Authenticator;
}

namespace postern::filter::greylist {
class GreylistStore;
}
namespace postern::filter::country {
class CountryDb;
}
namespace postern::filter::lists {
class AddressLists;
}

namespace postern::services {

class Protection final : public AbuseGuard {
  public:
    // `authenticator` (may be null: no automatic ban) must outlive this.
    Protection(log::Logger log, auth::Authenticator* authenticator)
        : log_(std::move(log)), authenticator_(authenticator) {}

    // Opens what `cfg` enables; a file that cannot be opened is logged and that check is off
    // (greylisting: passes; country filter: allows) until a reload fixes it. Any thread.
    void configure(const config::Config& cfg);

    // Null when the check is off or its file could not be opened. Any thread.
    std::shared_ptr<filter::greylist::GreylistStore> greylist() const;
    std::shared_ptr<const filter::country::CountryDb> countries() const;
    std::shared_ptr<filter::lists::AddressLists> address_lists() const;

    // For the admin commands (posternctl lists / greylist): the store in service, else the
    // configured file opened for this call, so entries can be managed while the check is off.
    // Null (and logged) when the file cannot be opened. Any thread.
    std::shared_ptr<filter::lists::AddressLists> admin_address_lists();
    std::shared_ptr<filter::greylist::GreylistStore> admin_greylist();

    // AbuseGuard
    bool blocked(const IpAddress& ip) override;
    void protocol_errors(const IpAddress& ip, const log::Logger& log) override;

  private:
    log::Logger log_;
    auth::Authenticator* authenticator_;
    config::AutoBanConfig auto_ban_;  // under mutex_
    mutable std::mutex mutex_;
    std::filesystem::path greylist_path_;
    std::shared_ptr<filter::greylist::GreylistStore> greylist_;
    std::filesystem::path country_path_;
    std::filesystem::file_time_type country_mtime_{};
    std::shared_ptr<const filter::country::CountryDb> countries_;
    std::filesystem::path lists_path_;
    std::shared_ptr<filter::lists::AddressLists> lists_;
    config::AddressListsConfig lists_config_;  // as last configured, for admin_address_lists()
    std::filesystem::path greylist_database_;  // as last configured, for admin_greylist()
};

}  // namespace postern::services
