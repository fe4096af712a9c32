// Sieve script storage for ManageSieve and delivery: files, atomic renames, a symlink for the
// active script (the layout Pigeonhole uses too, so admins find it familiar).
#include "filter/sieve/script_store.h"

#include <algorithm>
#include <cerrno>

#include <unistd.h>

#include "base/fs.h"
#include "base/random.h"

namespace postern::sieve {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".sieve";

Status ensure_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return fail(Errc::io_error, "create " + dir.string() + ": " + ec.message());
    return ok();
}

}  // namespace

fs::path ScriptStore::script_path(std::string_view name) const {
    return scripts_dir() / (std::string(name) + std::string(kSuffix));
}

std::optional<std::string> ScriptStore::active() const {
    std::error_code ec;
    auto target = fs::read_symlink(active_link(), ec);
    if (ec)
        return std::nullopt;
    std::string file = target.filename().string();
    if (target.parent_path() != "scripts" || !file.ends_with(kSuffix))
        return std::nullopt;
    std::string name = file.substr(0, file.size() - kSuffix.size());
    if (!exists(name))
        return std::nullopt;
    return name;
}

bool ScriptStore::exists(std::string_view name) const {
    std::error_code ec;
    return fs::is_regular_file(script_path(name), ec);
}

Result<std::vector<ScriptStore::Entry>> ScriptStore::list() const {
    std::vector<Entry> out;
    std::error_code ec;
    if (!fs::exists(scripts_dir(), ec))
        return out;
    auto active_name = active();
    for (fs::directory_iterator it(scripts_dir(), ec), end; !ec && it != end; it.increment(ec)) {
        std::string file = it->path().filename().string();
        if (!file.ends_with(kSuffix) || file.starts_with(".") || !it->is_regular_file(ec))
            continue;
        Entry e;
        e.name = file.substr(0, file.size() - kSuffix.size());
        e.size = it->file_size(ec);
        e.active = active_name && *active_name == e.name;
        out.push_back(std::move(e));
    }
    if (ec)
        return fail(Errc::io_error, "list " + scripts_dir().string() + ": " + ec.message());
    std::sort(out.begin(), out.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return out;
}

Result<std::string> ScriptStore::get(std::string_view name) const {
    if (!exists(name))
        return fail(Errc::not_found, "no script named " + std::string(name));
    return read_file(script_path(name));
}

Status ScriptStore::put(std::string_view name, std::string_view text) {
    if (auto st = ensure_dir(scripts_dir()); !st)
        return st;
    return write_file_atomic(script_path(name), text, 0640);
}

Status ScriptStore::link_active(std::string_view name) {
    // A new link beside the old one, renamed over it: readers see the old or the new target.
    fs::path tmp = dir_ / (".active.sieve.tmp-" + random_token(8));
    std::string target = "scripts/" + std::string(name) + std::string(kSuffix);
    if (::symlink(target.c_str(), tmp.c_str()) != 0)
        return fail(Errc::io_error, "symlink " + tmp.string() + ": " + errno_text(errno));
    if (::rename(tmp.c_str(), active_link().c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(Errc::io_error, "rename " + tmp.string() + ": " + errno_text(err));
    }
    return fsync_directory(dir_);
}

Status ScriptStore::set_active(std::string_view name) {
    if (name.empty()) {
        if (::unlink(active_link().c_str()) != 0 && errno != ENOENT)
            return fail(Errc::io_error,
                        "unlink " + active_link().string() + ": " + errno_text(errno));
        return fsync_directory(dir_);
    }
    if (!exists(name))
        return fail(Errc::not_found, "no script named " + std::string(name));
    return link_active(name);
}

Status ScriptStore::remove(std::string_view name) {
    if (!exists(name))
        return fail(Errc::not_found, "no script named " + std::string(name));
    if (auto a = active(); a && *a == name)
        return fail(Errc::permission_denied, "the active script cannot be deleted");
    if (::unlink(script_path(name).c_str()) != 0)
        return fail(Errc::io_error, "unlink: " + errno_text(errno));
    return fsync_directory(scripts_dir());
}

Status ScriptStore::rename(std::string_view from, std::string_view to) {
    if (!exists(from))
        return fail(Errc::not_found, "no script named " + std::string(from));
    if (exists(to))
        return fail(Errc::already_exists, "a script named " + std::string(to) + " exists");
    auto a = active();
    bool was_active = a && *a == from;
    // link() refuses to replace an existing name, so a concurrent creation of `to` is not lost.
    if (::link(script_path(from).c_str(), script_path(to).c_str()) != 0) {
        if (errno == EEXIST)
            return fail(Errc::already_exists, "a script named " + std::string(to) + " exists");
        return fail(Errc::io_error, "link: " + errno_text(errno));
    }
    if (was_active) {
        // The link moves to the new name before the old name goes: never a dangling link.
        if (auto st = link_active(to); !st) {
            ::unlink(script_path(to).c_str());
            return st;
        }
    }
    if (::unlink(script_path(from).c_str()) != 0)
        return fail(Errc::io_error, "unlink: " + errno_text(errno));
    return fsync_directory(scripts_dir());
}

Result<std::optional<std::string>> ScriptStore::adopt_plain_active(std::string_view name) {
    std::error_code ec;
    auto st = fs::symlink_status(active_link(), ec);
    if (ec || !fs::is_regular_file(st))
        return std::optional<std::string>{};
    std::string chosen(name);
    for (int i = 2; exists(chosen); ++i)
        chosen = std::string(name) + "-" + std::to_string(i);
    if (auto d = ensure_dir(scripts_dir()); !d)
        return fail(d.error());
    // The same inode under its new name, then the link renamed over the plain file.
    if (::link(active_link().c_str(), script_path(chosen).c_str()) != 0)
        return fail(Errc::io_error, "link: " + errno_text(errno));
    if (auto l = link_active(chosen); !l)
        return fail(l.error());
    return std::optional<std::string>(chosen);
}

}  // namespace postern::sieve
