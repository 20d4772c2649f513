// Fuzz target for parse_http_date: whatever parses formats back to a date that parses to the same
// instant (every accepted form has a canonical IMF-fixdate).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/http_date.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

constexpr std::time_t kNow = 1718409600;  // fixed, so that runs are reproducible

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = cgikit::http::parse_http_date(text, kNow);
    if (!parsed) return 0;
    const std::string formatted = cgikit::http::format_http_date(*parsed);
    require(formatted.size() == cgikit::http::kHttpDateLength);
    const auto reparsed = cgikit::http::parse_http_date(formatted, kNow);
    require(reparsed && *reparsed == *parsed);
    // An IMF-fixdate without a leap second is already canonical, apart from the unchecked day name.
    if (text.size() == cgikit::http::kHttpDateLength && text[3] == ',' &&
        text.substr(23, 2) != "60")
        require(text.substr(4) == std::string_view(formatted).substr(4));
    return 0;
}
