// Privilege separation: the supervisor stays root to bind ports; the worker does not.
#include "daemon/privileges.h"

#include <cerrno>
#include <optional>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::daemon {
namespace {

struct Ids {
    uid_t uid;
    gid_t gid;
    std::string name;
};

Result<Ids> resolve(const std::string& user, const std::string& group) {
    errno = 0;
    passwd* pw = ::getpwnam(user.c_str());
    if (!pw)
        return fail(Errc::not_found, "no such user: " + user);
    Ids ids{pw->pw_uid, pw->pw_gid, pw->pw_name};
    if (!group.empty()) {
        struct group* gr = ::getgrnam(group.c_str());
        if (!gr)
            return fail(Errc::not_found, "no such group: " + group);
        ids.gid = gr->gr_gid;
    }
    return ids;
}

}  // namespace

Status prepare_directories(const std::vector<std::filesystem::path>& dirs, const std::string& user,
                           const std::string& group) {
    std::optional<Ids> ids;
    if (!user.empty() && ::geteuid() == 0) {
        auto r = resolve(user, group);
        if (!r)
            return fail(r.error());
        ids = *r;
    }
    for (auto& dir : dirs) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec)
            return fail(Errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
        if (ids && ::chown(dir.c_str(), ids->uid, ids->gid) != 0) {
            return fail(Errc::io_error, "chown " + dir.string() + ": " + errno_text(errno));
        }
    }
    return ok();
}

Status drop_privileges(const std::string& user, const std::string& group) {
    if (user.empty() || ::geteuid() != 0)
        return ok();
    auto ids = resolve(user, group);
    if (!ids)
        return fail(ids.error());
    if (::initgroups(ids->name.c_str(), ids->gid) != 0)
        return fail(Errc::permission_denied, "initgroups: " + errno_text(errno));
    if (::setgid(ids->gid) != 0)
        return fail(Errc::permission_denied, "setgid: " + errno_text(errno));
    if (::setuid(ids->uid) != 0)
        return fail(Errc::permission_denied, "setuid: " + errno_text(errno));
    if (ids->uid != 0 && ::setuid(0) == 0)
        return fail(Errc::internal, "could regain root after dropping it");
    return ok();
}

}  // namespace postern::daemon
