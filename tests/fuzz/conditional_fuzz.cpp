// Fuzz target for the conditional-request evaluation: the input is split at newlines into
// "Name: value" fields; the result is always one of the statuses §13.2.2 allows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/conditional.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

constexpr std::time_t kNow = 1718409600;
constexpr std::time_t kLastModified = kNow - 86400;
constexpr std::string_view kEtag = "\"abc-10-ff\"";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    cgikit::http::Headers headers;
    std::string_view if_range;
    while (!input.empty()) {
        const std::size_t newline = input.find('\n');
        const std::string_view line = input.substr(0, newline);
        input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = line.substr(colon + 1);
        headers.add(std::string(name), std::string(value));
        if (cgikit::http::iequals(name, "If-Range")) if_range = value;
    }
    for (bool is_get : {true, false}) {
        const int status =
            cgikit::http::evaluate_preconditions(headers, is_get, kEtag, kLastModified, kNow);
        require(status == 0 || status == 412 || (is_get && status == 304));
    }
    (void)cgikit::http::if_range_allows(if_range, kEtag, kLastModified, kNow);
    return 0;
}
