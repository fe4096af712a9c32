// The policy script in service and its reload (SIGHUP, `posternctl config reload`): a broken
// new script is reported and the old one keeps running.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "filter/policy/limits.h"
#include "filter/policy/script.h"
#include "log/log.h"

namespace postern::filter::policy {

// Thread-safe. Services take current() once per session (or per message) and keep that
// snapshot, like a config snapshot: a reload never changes the script under a running session.
class PolicyHolder {
  public:
    // Loads `path` with `limits` and puts it in service. An empty path removes the policy
    // (current() becomes null): that is a configuration choice, not an error. On error the
    // script in service stays, and the error (with "file:line:") is logged and returned.
    Status reload(const std::filesystem::path& path, const PolicyLimits& limits,
                  const log::Logger& logger);

    // The script in service, or null when no policy is configured.
    std::shared_ptr<const PolicyScript> current() const;

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const PolicyScript> script_;
};

// For `posternd --check-config`: loads the script exactly as reload() would, without keeping
// it. Returns the load warnings, or the error that would make a reload fail.
Result<std::vector<std::string>> check_script(const std::filesystem::path& path,
                                              const PolicyLimits& limits);

}  // namespace postern::filter::policy
