#pragma once
// The library's version, for programs that report it (e.g. in SERVER_SOFTWARE-style banners).
#include <string_view>

namespace cgikit {

std::string_view library_version() noexcept;

}  // namespace cgikit
