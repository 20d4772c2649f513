#include "net/unix_address.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace cgikit::net {

namespace {

constexpr socklen_t path_offset = offsetof(sockaddr_un, sun_path);

}  // namespace

UnixAddress::UnixAddress() noexcept : length_(path_offset) {
    address_.sun_family = AF_UNIX;
}

std::optional<UnixAddress> UnixAddress::from_path(std::string_view path) {
    if (path.empty() || path.size() > max_name_bytes || path.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    UnixAddress out;
    std::memcpy(out.address_.sun_path, path.data(), path.size());
    out.length_ = static_cast<socklen_t>(path_offset + path.size() + 1);  // with the NUL
    return out;
}

std::optional<UnixAddress> UnixAddress::abstract(std::string_view name) {
    if (name.empty() || name.size() > max_name_bytes) return std::nullopt;
    UnixAddress out;
    // sun_path[0] stays NUL: that is what makes the name abstract. The name's length is carried
    // by the address length, not by a terminator, so it may contain any byte.
    std::memcpy(out.address_.sun_path + 1, name.data(), name.size());
    out.length_ = static_cast<socklen_t>(path_offset + 1 + name.size());
    return out;
}

std::optional<UnixAddress> UnixAddress::parse(std::string_view text) {
    if (!text.empty() && text.front() == '@') return abstract(text.substr(1));
    return from_path(text);
}

UnixAddress UnixAddress::from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
    UnixAddress out;
    if (sa == nullptr || sa->sa_family != AF_UNIX || len <= path_offset) return out;
    if (len > sizeof out.address_) len = sizeof out.address_;
    std::memcpy(&out.address_, sa, len);
    const char* path = out.address_.sun_path;
    const std::size_t bytes = len - path_offset;
    if (path[0] == '\0') {
        out.length_ = len;  // abstract: every byte after the leading NUL is the name
        if (bytes == 1) out.length_ = path_offset;
    } else {
        // A path: the kernel may or may not count the terminator; normalise to "with NUL".
        const std::size_t path_len = strnlen(path, bytes);
        std::memset(out.address_.sun_path + path_len, 0, sizeof out.address_.sun_path - path_len);
        // A 108-byte path fills sun_path with no room for the NUL: keep it as the kernel gave it.
        out.length_ = static_cast<socklen_t>(
            std::min<std::size_t>(path_offset + path_len + 1, sizeof out.address_));
    }
    return out;
}

std::optional<UnixAddress> UnixAddress::local_of(int fd) {
    sockaddr_un address{};
    socklen_t len = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) return std::nullopt;
    if (address.sun_family != AF_UNIX) return std::nullopt;
    return from_sockaddr(reinterpret_cast<const sockaddr*>(&address), len);
}

std::optional<UnixAddress> UnixAddress::peer_of(int fd) {
    sockaddr_un address{};
    socklen_t len = sizeof address;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) return std::nullopt;
    if (address.sun_family != AF_UNIX) return std::nullopt;
    return from_sockaddr(reinterpret_cast<const sockaddr*>(&address), len);
}

bool UnixAddress::is_unnamed() const noexcept {
    return length_ <= path_offset;
}

bool UnixAddress::is_abstract() const noexcept {
    return !is_unnamed() && address_.sun_path[0] == '\0';
}

std::string UnixAddress::name() const {
    if (is_unnamed()) return {};
    if (is_abstract()) return std::string(address_.sun_path + 1, length_ - path_offset - 1);
    return std::string(address_.sun_path, strnlen(address_.sun_path, sizeof address_.sun_path));
}

std::string UnixAddress::to_string() const {
    if (is_unnamed()) return "(unnamed)";
    if (is_abstract()) return "@" + name();
    return name();
}

bool operator==(const UnixAddress& a, const UnixAddress& b) noexcept {
    return a.length_ == b.length_ &&
           std::memcmp(a.address_.sun_path, b.address_.sun_path, a.length_ - path_offset) == 0;
}

}  // namespace cgikit::net
