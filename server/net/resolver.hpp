#pragma once
// Name and service resolution with getaddrinfo(3): ("localhost", "http") -> 127.0.0.1:80.
// Resolution blocks (a DNS query may take as long as /etc/resolv.conf allows); resolve once at
// startup, never on a path that serves clients.
#include <netdb.h>
#include <sys/socket.h>

#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "net/result.hpp"
#include "net/socket_address.hpp"

namespace cgikit::net {

enum class AddressFamily { any = AF_UNSPEC, ipv4 = AF_INET, ipv6 = AF_INET6 };
// Chooses the port a service name has (/etc/services lists "domain" for TCP and UDP alike, but
// not every name) and gives one result per address instead of one per socket type.
enum class Transport { tcp = SOCK_STREAM, udp = SOCK_DGRAM };

struct ResolveOptions {
    AddressFamily family = AddressFamily::any;
    Transport transport = Transport::tcp;
    // For an address to bind(): an empty host then means every interface (0.0.0.0 and ::)
    // instead of loopback.
    bool passive = false;
    // Only numeric hosts ("127.0.0.1", "::1"): no DNS query, no /etc/hosts.
    bool numeric_host = false;
};

// getaddrinfo's failures (the EAI_* codes), as error codes in resolver_category(). A system error
// (EAI_SYSTEM) is reported as its errno in std::system_category() instead.
enum class ResolveErrc {
    host_not_found = EAI_NONAME,  // no such name, or no such numeric host
    no_address = EAI_NODATA,      // the name exists but has no address
    no_address_for_family = EAI_ADDRFAMILY,
    service_not_found = EAI_SERVICE,  // not a port number nor a service of that transport
    temporary_failure = EAI_AGAIN,    // try again later (DNS server unreachable)
    permanent_failure = EAI_FAIL,
    out_of_memory = EAI_MEMORY,
};

const std::error_category& resolver_category() noexcept;
std::error_code make_error_code(ResolveErrc errc) noexcept;

// Every address of `host` with the port of `service` (a number or an /etc/services name), in
// getaddrinfo's order of preference (RFC 6724), without duplicates; never empty on success. An
// empty host is loopback, or the wildcard when `passive`; an empty service is port 0.
[[nodiscard]] Result<std::vector<SocketAddress>> resolve(std::string_view host,
                                                         std::string_view service,
                                                         const ResolveOptions& options = {});

// "host:port", "[ipv6]:port" or "host:service" split in two (brackets removed); nullopt when
// there is no ':' or an IPv6 literal lacks its brackets.
std::optional<std::pair<std::string_view, std::string_view>> split_host_port(
    std::string_view endpoint);

// resolve() on split_host_port(endpoint); fails with ResolveErrc::host_not_found when malformed.
[[nodiscard]] Result<std::vector<SocketAddress>> resolve_endpoint(
    std::string_view endpoint, const ResolveOptions& options = {});

}  // namespace cgikit::net

template <>
struct std::is_error_code_enum<cgikit::net::ResolveErrc> : std::true_type {};
