#include "net/resolver.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace cgikit::net {

namespace {

class ResolverCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "getaddrinfo"; }
    std::string message(int value) const override { return ::gai_strerror(value); }
};

struct AddrinfoDeleter {
    void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};

bool same_address(const SocketAddress& a, const SocketAddress& b) noexcept {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const std::error_category& resolver_category() noexcept {
    static const ResolverCategory category;
    return category;
}

std::error_code make_error_code(ResolveErrc errc) noexcept {
    return {static_cast<int>(errc), resolver_category()};
}

Result<std::vector<SocketAddress>> resolve(std::string_view host, std::string_view service,
                                           const ResolveOptions& options) {
    addrinfo hints{};
    hints.ai_family = static_cast<int>(options.family);
    hints.ai_socktype = static_cast<int>(options.transport);
    hints.ai_flags =
        (options.passive ? AI_PASSIVE : 0) | (options.numeric_host ? AI_NUMERICHOST : 0);
    // getaddrinfo wants NUL-terminated strings, and a null pointer (not "") for "none".
    const std::string host_z(host);
    const std::string service_z = service.empty() ? std::string("0") : std::string(service);

    addrinfo* raw = nullptr;
    const int status =
        ::getaddrinfo(host.empty() ? nullptr : host_z.c_str(), service_z.c_str(), &hints, &raw);
    const std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
    if (status == EAI_SYSTEM) return {{}, {errno, std::system_category()}};
    if (status != 0) return {{}, {status, resolver_category()}};

    std::vector<SocketAddress> addresses;
    for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
        if (entry->ai_family != AF_INET && entry->ai_family != AF_INET6) continue;
        const SocketAddress address =
            SocketAddress::from_sockaddr(entry->ai_addr, entry->ai_addrlen);
        const auto seen = [&](const SocketAddress& other) { return same_address(other, address); };
        if (std::none_of(addresses.begin(), addresses.end(), seen)) addresses.push_back(address);
    }
    if (addresses.empty()) return {{}, make_error_code(ResolveErrc::no_address)};
    return {std::move(addresses), {}};
}

std::optional<std::pair<std::string_view, std::string_view>> split_host_port(
    std::string_view endpoint) {
    if (!endpoint.empty() && endpoint.front() == '[') {
        const auto close = endpoint.find(']');
        if (close == std::string_view::npos || close + 1 >= endpoint.size() ||
            endpoint[close + 1] != ':') {
            return std::nullopt;
        }
        const std::string_view port = endpoint.substr(close + 2);
        if (port.find(':') != std::string_view::npos) return std::nullopt;
        return std::pair{endpoint.substr(1, close - 1), port};
    }
    const auto colon = endpoint.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view host = endpoint.substr(0, colon);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
    return std::pair{host, endpoint.substr(colon + 1)};
}

Result<std::vector<SocketAddress>> resolve_endpoint(std::string_view endpoint,
                                                    const ResolveOptions& options) {
    const auto parts = split_host_port(endpoint);
    if (!parts) return {{}, make_error_code(ResolveErrc::host_not_found)};
    return resolve(parts->first, parts->second, options);
}

}  // namespace cgikit::net
