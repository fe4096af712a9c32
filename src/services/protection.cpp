// Opening and reopening the files behind SMTP-time protection on start and reload.
#include "services/protection.h"

#include "auth/authenticator.h"
#include "filter/country/country.h"
#include "filter/greylist/greylist.h"
#include "filter/lists/lists.h"

namespace postern::services {

void Protection::configure(const config::Config& cfg) {
    const auto& p = cfg.protection;
    if (authenticator_) {
        auth::ProtocolErrorLimits limits;
        limits.max_sessions = p.auto_ban.enabled ? p.auto_ban.max_protocol_errors : 0;
        limits.window = p.auto_ban.window;
        limits.ban_time = p.auto_ban.ban_time;
        authenticator_->configure_protocol_errors(limits);
        std::lock_guard lock(mutex_);
        auto_ban_ = p.auto_ban;
    }
    std::shared_ptr<filter::greylist::GreylistStore> greylist;
    bool reopen_greylist = false;
    {
        std::lock_guard lock(mutex_);
        lists_config_ = p.lists;
        greylist_database_ = p.greylist.database;
        reopen_greylist =
            p.greylist.enabled && (!greylist_ || greylist_path_ != p.greylist.database);
        if (!p.greylist.enabled) {
            greylist_.reset();
            greylist_path_.clear();
        }
    }
    if (reopen_greylist) {
        auto store = filter::greylist::GreylistStore::open(p.greylist.database);
        if (store) {
            greylist = std::move(*store);
            log_.info("greylisting: state in {}", p.greylist.database.string());
        } else {
            log_.error("greylisting is off: {}", store.error().message);
        }
        std::lock_guard lock(mutex_);
        greylist_ = std::move(greylist);
        greylist_path_ = greylist_ ? p.greylist.database : std::filesystem::path();
    }

    const auto& l = p.lists;
    std::shared_ptr<filter::lists::AddressLists> lists;
    {
        std::lock_guard lock(mutex_);
        if (l.enabled && lists_ && lists_path_ == l.database)
            lists = lists_;
    }
    if (l.enabled && !lists) {
        auto opened = filter::lists::AddressLists::open(l.database);
        if (opened) {
            lists = std::move(*opened);
            log_.info("address lists: stored in {}", l.database.string());
        } else {
            log_.error("address lists are off: {}", opened.error().message);
        }
    }
    if (lists)
        lists->set_configured(l.whitelist, l.blacklist);
    {
        std::lock_guard lock(mutex_);
        lists_ = lists;
        lists_path_ = lists ? l.database : std::filesystem::path();
    }

    const auto& c = p.country;
    auto path = c.database.empty() ? c.csv : c.database;
    std::error_code ec;
    auto mtime =
        c.enabled ? std::filesystem::last_write_time(path, ec) : std::filesystem::file_time_type{};
    bool reload_countries = false;
    {
        std::lock_guard lock(mutex_);
        reload_countries =
            c.enabled && (!countries_ || country_path_ != path || country_mtime_ != mtime);
        if (!c.enabled) {
            countries_.reset();
            country_path_.clear();
        }
    }
    if (reload_countries) {
        auto db = c.database.empty() ? filter::country::CountryDb::open_csv(c.csv)
                                     : filter::country::CountryDb::open_mmdb(c.database);
        std::shared_ptr<const filter::country::CountryDb> loaded;
        if (db) {
            loaded = std::move(*db);
            log_.info("country filter: {} loaded ({} entries)", path.string(), loaded->size());
        } else {
            log_.error("country filter is off: {}", db.error().message);
        }
        std::lock_guard lock(mutex_);
        countries_ = std::move(loaded);
        country_path_ = countries_ ? path : std::filesystem::path();
        country_mtime_ = mtime;
    }
}

std::shared_ptr<filter::lists::AddressLists> Protection::address_lists() const {
    std::lock_guard lock(mutex_);
    return lists_;
}

std::shared_ptr<filter::lists::AddressLists> Protection::admin_address_lists() {
    config::AddressListsConfig cfg;
    {
        std::lock_guard lock(mutex_);
        if (lists_)
            return lists_;
        cfg = lists_config_;
    }
    auto opened = filter::lists::AddressLists::open(cfg.database);
    if (!opened) {
        log_.error("address lists: {}", opened.error().message);
        return nullptr;
    }
    (*opened)->set_configured(cfg.whitelist, cfg.blacklist);
    return std::shared_ptr<filter::lists::AddressLists>(std::move(*opened));
}

std::shared_ptr<filter::greylist::GreylistStore> Protection::admin_greylist() {
    std::filesystem::path file;
    {
        std::lock_guard lock(mutex_);
        if (greylist_)
            return greylist_;
        file = greylist_database_;
    }
    auto opened = filter::greylist::GreylistStore::open(file);
    if (!opened) {
        log_.error("greylisting: {}", opened.error().message);
        return nullptr;
    }
    return std::shared_ptr<filter::greylist::GreylistStore>(std::move(*opened));
}

std::shared_ptr<filter::greylist::GreylistStore> Protection::greylist() const {
    std::lock_guard lock(mutex_);
    return greylist_;
}

std::shared_ptr<const filter::country::CountryDb> Protection::countries() const {
    std::lock_guard lock(mutex_);
    return countries_;
}

bool Protection::blocked(const IpAddress& ip) {
    return authenticator_ && authenticator_->ip_blocked(ip);
}

void Protection::protocol_errors(const IpAddress& ip, const log::Logger& log) {
    if (!authenticator_)
        return;
    std::chrono::milliseconds ban_time{0};
    {
        std::lock_guard lock(mutex_);
        if (!auto_ban_.enabled)
            return;
        for (const auto& r : auto_ban_.exclude) {
            if (r.contains(ip))
                return;
        }
        ban_time = auto_ban_.ban_time;
    }
    if (authenticator_->record_protocol_error(ip)) {
        log.warn("auto-ban: [{}] banned for {} s after repeated protocol errors", ip.to_string(),
                 std::chrono::duration_cast<std::chrono::seconds>(ban_time).count());
    }
}

}  // namespace postern::services
