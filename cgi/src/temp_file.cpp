#include "cgikit/temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cgikit {
namespace {

// Temp files hold client uploads: readable by this user only.
constexpr mode_t kTempFileMode = 0600;
// The bounce buffer for copies the kernel cannot do by itself.
constexpr std::size_t kCopyBufferBytes = 64 * 1024;

Error errno_error(std::string what, int saved_errno) {
    // The errno travels in the code (system category) so that callers can tell EMFILE from EACCES;
    // http_status() maps any non-cgikit code to 500.
    return Error(std::error_code(saved_errno, std::system_category()),
                 what + ": " + std::strerror(saved_errno));
}

Error write_all(int fd, const char* data, std::size_t size, std::uint64_t offset) {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("writing a temp file", errno);
        }
        data += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return {};
}

// Copies [offset, offset + length) of `from` to the start of `to`.
Error copy_range(int from, std::uint64_t offset, std::uint64_t length, int to) {
    auto in_offset = static_cast<off64_t>(offset);
    off64_t out_offset = 0;
    std::uint64_t left = length;
    bool kernel_copy = true;
    while (left > 0 && kernel_copy) {
        const ssize_t n = ::copy_file_range(from, &in_offset, to, &out_offset, left, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
                errno == EPERM) {
                kernel_copy = false;  // not here: copy through user space
                break;
            }
            return errno_error("copying an upload", errno);
        }
        if (n == 0) return Error(Errc::internal_error, "upload file shorter than expected");
        left -= static_cast<std::uint64_t>(n);
    }
    std::vector<char> buffer;
    while (left > 0) {
        if (buffer.empty()) buffer.resize(kCopyBufferBytes);
        const std::size_t want =
            left < buffer.size() ? static_cast<std::size_t>(left) : buffer.size();
        const ssize_t n = ::pread(from, buffer.data(), want, in_offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("reading an upload", errno);
        }
        if (n == 0) return Error(Errc::internal_error, "upload file shorter than expected");
        if (auto error = write_all(to, buffer.data(), static_cast<std::size_t>(n),
                                   static_cast<std::uint64_t>(out_offset))) {
            return error;
        }
        in_offset += n;
        out_offset += n;
        left -= static_cast<std::uint64_t>(n);
    }
    return {};
}

}  // namespace

void UniqueFd::reset(int fd) noexcept {
    const int old = std::exchange(fd_, fd);
    if (old >= 0) ::close(old);
}

std::string default_temp_directory() {
    const char* tmpdir = std::getenv("TMPDIR");
    if (tmpdir != nullptr && tmpdir[0] == '/') return tmpdir;
    return "/tmp";
}

bool is_out_of_descriptors(const Error& error) noexcept {
    return error.code == std::error_code(EMFILE, std::system_category()) ||
           error.code == std::error_code(ENFILE, std::system_category());
}

Error TempFile::create(const std::string& directory, TempFile& out, TempFileMethod method) {
    const std::string dir = directory.empty() ? default_temp_directory() : directory;
    TempFile file;
    // O_TMPFILE (Linux 3.11+): an inode with no name at all. Not every file system has it.
    int fd = -1;
    if (method == TempFileMethod::automatic) {
        fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, kTempFileMode);
    } else {
        errno = EOPNOTSUPP;
    }
    if (fd >= 0) {
        file.fd_.reset(fd);
        file.linkable_ = true;
    } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        std::string path = dir + "/cgikit-upload-XXXXXX";
        fd = ::mkostemp(path.data(), O_CLOEXEC);  // mode 0600 by definition
        if (fd < 0) return errno_error("creating a temp file in " + dir, errno);
        file.fd_.reset(fd);
        if (::unlink(path.c_str()) != 0) return errno_error("unlinking " + path, errno);
    } else {
        return errno_error("creating a temp file in " + dir, errno);
    }
    out = std::move(file);
    return {};
}

Error TempFile::append(std::string_view bytes) {
    if (auto error = write_all(fd_.get(), bytes.data(), bytes.size(), size_)) return error;
    size_ += bytes.size();
    return {};
}

Error TempFile::read_at(std::uint64_t offset, char* buffer, std::size_t capacity,
                        std::size_t& got) const {
    got = 0;
    if (offset >= size_ || capacity == 0) return {};
    const std::uint64_t left = size_ - offset;
    const std::size_t want = left < capacity ? static_cast<std::size_t>(left) : capacity;
    for (;;) {
        const ssize_t n = ::pread(fd_.get(), buffer, want, static_cast<off_t>(offset));
        if (n >= 0) {
            got = static_cast<std::size_t>(n);
            return {};
        }
        if (errno != EINTR) return errno_error("reading a temp file", errno);
    }
}

Error TempFile::save_range(std::uint64_t offset, std::uint64_t length,
                           const std::string& path) const {
    if (offset > size_ || length > size_ - offset) {
        return Error(Errc::internal_error, "save_range beyond the end of the temp file");
    }
    if (linkable_ && offset == 0 && length == size_) {
        const std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) {
            return {};
        }
        if (errno == EEXIST) return errno_error("saving an upload as " + path, errno);
        // EXDEV (another file system), ENOENT (no /proc), EPERM...: copy instead.
    }
    UniqueFd target(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kTempFileMode));
    if (!target.valid()) return errno_error("saving an upload as " + path, errno);
    if (auto error = copy_range(fd_.get(), offset, length, target.get())) {
        ::unlink(path.c_str());
        return error;
    }
    return {};
}

}  // namespace cgikit
