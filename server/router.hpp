#pragma once
// Router: maps a decoded request path to what serves it. CGI prefixes from the config are tried
// longest first; the document root serves everything else.
#include <string_view>
#include <vector>

#include "handlers/cgi_settings.hpp"

namespace cgikit {

enum class RouteKind { Static, Cgi };

struct Route {
    RouteKind kind = RouteKind::Static;
    const handlers::CgiMapping* mapping = nullptr;  // for Cgi
};

class Router {
  public:
    explicit Router(const std::vector<handlers::CgiMapping>& mappings);
    Route route(std::string_view decoded_path) const noexcept;

  private:
    std::vector<const handlers::CgiMapping*> by_length_;  // longest prefix first
};

}  // namespace cgikit
