// Identity confirmation in PROCESSING (docs/smtp-protection.md "Identity confirmation"): a
// filter registered at account level for every account ("*") after the address lists. For an
// account with the identity_confirmation setting, mail from a sender on none of its lists goes
// to the "Unconfirmed" folder and the sender gets one challenge; a reply carrying the
// challenge's token whitelists the sender for the account and moves the held mail to INBOX.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "filter/chain/filter.h"
#include "log/log.h"

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
namespace postern::filter::confirm {
class ConfirmStore;
}

namespace postern::services {

class ConfirmFilter final : public filter::Filter {
  public:
    struct Deps {
        directory::Directory* directory = nullptr;
        store::Store* store = nullptr;
        queue::Queue* queue = nullptr;
        std::function<std::shared_ptr<filter::lists::AddressLists>()> lists;
        std::shared_ptr<filter::confirm::ConfirmStore> pending;
        std::string authserv_id;  // whose Authentication-Results fields are believed
        std::string hostname;
    };
    ConfirmFilter(Deps deps, log::Logger log) : deps_(std::move(deps)), log_(std::move(log)) {}
    std::string_view name() const override { return "identity-confirmation"; }
    Result<filter::Verdict> run(const filter::MessageView& message) override;

  private:
    void send_challenge(const std::string& sender, const std::string& raw) const;
    Result<std::uint32_t> release(std::int64_t account_id, const std::string& token) const;

    Deps deps_;
    log::Logger log_;
};

}  // namespace postern::services
