// Fuzz target for parse_cookie_header: every cookie it returns is a well-formed pair.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cgikit/cookie.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

bool has_outer_space(std::string_view text) {
    return !text.empty() && (text.front() == ' ' || text.front() == '\t' || text.back() == ' ' ||
                             text.back() == '\t');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view header(reinterpret_cast<const char*>(data), size);
    const auto cookies = cgikit::parse_cookie_header(header);
    const auto pieces = static_cast<std::size_t>(std::count(header.begin(), header.end(), ';'));
    require(cookies.size() <= pieces + 1);
    std::size_t bytes = 0;
    for (const auto& [name, value] : cookies) {
        require(!name.empty());
        require(name.find_first_of(";=") == std::string::npos);
        require(!has_outer_space(name));
        require(value.find(';') == std::string::npos);
        bytes += name.size() + value.size();
    }
    require(bytes <= header.size());
    return 0;
}
