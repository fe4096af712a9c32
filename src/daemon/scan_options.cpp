// Building the scanner filters from [[scan.scanner]] tables.
#include "daemon/scan_options.h"

#include "directory/directory.h"
#include "filter/milter/milter_filter.h"
#include "filter/scan/clamd_filter.h"
#include "filter/scan/socket_filter.h"
#include "filter/scan/spamd_filter.h"

namespace postern::daemon {

ScanSetup build_scan_filters(const config::Config& config, directory::Directory& directory,
                             log::Logger logger) {
    ScanSetup setup;
    setup.chain = std::make_shared<filter::FilterChain>();
    for (auto& c : config.scan.scanners) {
        // SMTP-time milters are run by SMTP-IN's sessions (services/smtp_in/milter_hooks.cpp).
        if (!c.enabled || c.stage == "smtp")
            continue;
        auto address = filter::scan::ScanAddress::parse(c.address);
        if (!address) {  // the loader checked it; keep the failsafe if the two ever disagree
            logger.error("scanner {}: {}", c.name, address.error().message);
            continue;
        }
        std::shared_ptr<filter::scan::Scanner> scanner;
        if (c.type == "spamd") {
            scanner = std::make_shared<filter::scan::SpamdFilter>(c, *address, logger);
        } else if (c.type == "clamd") {
            scanner = std::make_shared<filter::scan::ClamdFilter>(c, *address, logger);
        } else if (c.type == "socket") {
            scanner = std::make_shared<filter::scan::SocketFilter>(c, *address, logger);
        } else {
            scanner = std::make_shared<filter::milter::MilterFilter>(c, *address, logger);
        }
        filter::Level level = filter::Level::server;
        std::string scope;
        if (c.level == "domain") {
            level = filter::Level::domain;
            scope = c.scope;
        } else if (c.level == "account") {
            level = filter::Level::account;
            auto r = directory.resolve(c.scope);
            if (!r || r->account_id == 0) {
                logger.warn("scanner {}: account {} not found: not used until a reload", c.name,
                            c.scope);
                continue;
            }
            scope = std::to_string(r->account_id);
        }
        setup.chain->add(level, scope, c.priority, scanner);
        setup.scanners.push_back(std::move(scanner));
    }
    return setup;
}

}  // namespace postern::daemon
