#include "router.hpp"

#include <algorithm>

namespace cgikit {

Router::Router(const std::vector<handlers::CgiMapping>& mappings) {
    for (const auto& m : mappings)
        by_length_.push_back(&m);
    std::stable_sort(by_length_.begin(), by_length_.end(), [](const auto* a, const auto* b) {
        return a->prefix.size() > b->prefix.size();
    });
}

Route Router::route(std::string_view path) const noexcept {
    for (const auto* m : by_length_) {
        // "/cgi-bin/" matches "/cgi-bin/x"; "/cgi-bin" itself is the directory (a 301 to the
        // slash).
        if (path.size() >= m->prefix.size() && path.substr(0, m->prefix.size()) == m->prefix) {
            return {RouteKind::Cgi, m};
        }
    }
    return {RouteKind::Static, nullptr};
}

}  // namespace cgikit
