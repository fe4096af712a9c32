// Reloading the policy script with keep-the-old-one-on-error semantics.
#include "filter/policy/holder.h"

namespace postern::filter::policy {

Status PolicyHolder::reload(const std::filesystem::path& path, const PolicyLimits& limits,
                            const log::Logger& logger) {
    if (path.empty()) {
        std::shared_ptr<const PolicyScript> old;
        {
            std::lock_guard lock(mutex_);
            old = std::move(script_);
        }
        if (old)
            logger.info("policy script {} removed from service", old->name());
        return ok();
    }
    auto loaded = PolicyScript::load_file(path, limits);
    if (!loaded) {
        bool keeping = current() != nullptr;
        logger.error("policy script {} not loaded: {}{}", path.string(), loaded.error().message,
                     keeping ? "; the previous script stays in service" : "");
        return fail(loaded.error());
    }
    for (const auto& w : (*loaded)->warnings())
        logger.warn("policy script {}: {}", path.string(), w);
    auto stats = (*loaded)->stats();
    logger.info("policy script {} loaded ({} KiB per interpreter, up to {} interpreters)",
                path.string(), (stats.interpreter_bytes + 1023) / 1024, limits.states);
    std::shared_ptr<const PolicyScript> old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(script_, std::move(*loaded));
    }
    return ok();  // `old` is released here, outside the lock, once no session holds it
}

std::shared_ptr<const PolicyScript> PolicyHolder::current() const {
    std::lock_guard lock(mutex_);
    return script_;
}

Result<std::vector<std::string>> check_script(const std::filesystem::path& path,
                                              const PolicyLimits& limits) {
    auto loaded = PolicyScript::load_file(path, limits);
    if (!loaded)
        return fail(loaded.error());
    return (*loaded)->warnings();
}

}  // namespace postern::filter::policy
