#include "handlers/body_spool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace cgikit::handlers {
namespace {

class SpoolCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "cgikit.spool"; }
    std::string message(int value) const override {
        switch (static_cast<SpoolErrc>(value)) {
            case SpoolErrc::body_too_large:
                return "request body over the configured limit";
            case SpoolErrc::finished:
                return "body spool already finished";
        }
        return "unknown spool error";
    }
};

std::error_code last_error() noexcept {
    return std::error_code(errno, std::generic_category());
}

// Writes all of `bytes` at the file's current offset.
std::error_code write_all(int fd, std::string_view bytes) noexcept {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return {};
}

// The child gets a read-only open file description of its own, starting at offset 0: it cannot
// write into the spool, and our offset is not its concern. Falls back to the read-write fd
// (rewound) where /proc is missing.
net::unique_fd read_only_at_start(net::unique_fd fd, std::error_code& error) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
    net::unique_fd read_only(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (read_only) return read_only;
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        error = last_error();
        return {};
    }
    return fd;
}

}  // namespace

const std::error_category& spool_category() noexcept {
    static const SpoolCategory category;
    return category;
}

std::error_code make_error_code(SpoolErrc e) noexcept {
    return std::error_code(static_cast<int>(e), spool_category());
}

int spool_error_status(std::error_code error) noexcept {
    if (error == SpoolErrc::body_too_large) return 413;
    if (error == std::errc::no_space_on_device) return 507;
    const bool is_errno =
        error.category() == std::generic_category() || error.category() == std::system_category();
    if (is_errno && error.value() == EDQUOT) return 507;  // no std::errc name for EDQUOT
    return 500;
}

net::unique_fd open_anonymous_file(const std::string& directory, std::error_code& error,
                                   bool allow_o_tmpfile) {
    error.clear();
    if (allow_o_tmpfile) {
        net::unique_fd fd(::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
        if (fd) return fd;
        // Only "this filesystem/kernel has no O_TMPFILE" falls back; ENOENT, EACCES ... are final.
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
            error = last_error();
            return {};
        }
    }
    std::string name = directory + "/cgikit-body-XXXXXX";
    net::unique_fd fd(::mkostemp(name.data(), O_CLOEXEC));  // mode 0600
    if (!fd) {
        error = last_error();
        return {};
    }
    if (::unlink(name.c_str()) != 0) {
        error = last_error();
        return {};
    }
    return fd;
}

BodySpool::BodySpool(std::size_t memory_threshold, std::string spool_directory,
                     std::uint64_t max_bytes)
    : memory_threshold_(memory_threshold),
      spool_directory_(std::move(spool_directory)),
      max_bytes_(max_bytes) {}

std::error_code BodySpool::fail(std::error_code error) noexcept {
    error_ = error;
    memory_.clear();
    memory_.shrink_to_fit();
    file_.reset();
    return error_;
}

std::error_code BodySpool::append(std::string_view bytes) {
    if (finished_) return SpoolErrc::finished;
    if (error_) return error_;
    if (bytes.size() > max_bytes_ - size_) return fail(SpoolErrc::body_too_large);
    if (!file_ && memory_.size() + bytes.size() <= memory_threshold_) {
        memory_.append(bytes);
        size_ += bytes.size();
        return {};
    }
    if (!file_) {
        std::error_code error;
        file_ = open_anonymous_file(spool_directory_, error);
        if (!file_) return fail(error);
        if (std::error_code moved = write_all(file_.get(), memory_)) return fail(moved);
        memory_.clear();
        memory_.shrink_to_fit();
    }
    if (std::error_code written = write_all(file_.get(), bytes)) return fail(written);
    size_ += bytes.size();
    return {};
}

std::string BodySpool::describe_error() const {
    if (!error_) return {};
    if (error_.category() == spool_category()) return error_.message();
    return "spooling the request body in " + spool_directory_ + ": " + error_.message();
}

BodySpool::FinishResult BodySpool::finish() {
    FinishResult result;
    if (finished_) {
        result.error = SpoolErrc::finished;
        return result;
    }
    finished_ = true;
    if (error_) {
        result.error = error_;
        return result;
    }
    result.length = size_;

    if (size_ == 0) {
        result.fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!result.fd) result.error = last_error();
        return result;
    }

    net::unique_fd file = std::move(file_);
    if (!file) {
        // Still in memory: a memfd (no filesystem involved), else a temp file like large bodies.
        file.reset(::memfd_create("cgikit-body", MFD_CLOEXEC));
        if (!file) file = open_anonymous_file(spool_directory_, result.error);
        if (!file) return result;
        if ((result.error = write_all(file.get(), memory_))) return result;
        memory_.clear();
        memory_.shrink_to_fit();
    }
    result.fd = read_only_at_start(std::move(file), result.error);
    return result;
}

}  // namespace cgikit::handlers
