// Durable file writes: write temp, fsync, rename, fsync directory.
#include "base/fs.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "base/random.h"

namespace postern {

std::string errno_text(int err) {
    return std::strerror(err);
}

Result<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(Errc::not_found, "cannot open " + path.string() + ": " + errno_text(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        return fail(Errc::io_error, "cannot read " + path.string());
    return ss.str();
}

Status fsync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail(Errc::io_error, "open " + dir.string() + ": " + errno_text(errno));
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0)
        return fail(Errc::io_error, "fsync " + dir.string() + ": " + errno_text(err));
    return ok();
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content, int mode) {
    auto tmp = path;
    tmp += ".tmp-" + random_token(8);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(Errc::io_error, "create " + tmp.string() + ": " + errno_text(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        auto n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(Errc::io_error, "write " + tmp.string() + ": " + errno_text(err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return fail(Errc::io_error, "fsync " + tmp.string() + ": " + errno_text(err));
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(Errc::io_error, "rename to " + path.string() + ": " + errno_text(err));
    }
    auto parent = path.parent_path();
    return fsync_directory(parent.empty() ? "." : parent);
}

}  // namespace postern
