#pragma once
// SharedFd: a file descriptor with several owners, closed when the last one lets go. For an open
// file that a cache keeps and that responses in flight send from at the same time. Copies share
// (a reference count); a unique_fd converts into one, giving up its sole ownership.
#include <memory>
#include <utility>

#include "net/unique_fd.hpp"

namespace cgikit::net {

class SharedFd {
  public:
    SharedFd() = default;
    // Implicit: a sole owner may always become one of several.
    SharedFd(unique_fd fd)  // NOLINT(google-explicit-constructor)
        : fd_(fd ? std::make_shared<const unique_fd>(std::move(fd)) : nullptr) {}

    int get() const noexcept { return fd_ ? fd_->get() : -1; }
    bool valid() const noexcept { return fd_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    // Drops this owner's share; the descriptor closes if it was the last.
    void reset() noexcept { fd_.reset(); }

  private:
    std::shared_ptr<const unique_fd> fd_;
};

}  // namespace cgikit::net
