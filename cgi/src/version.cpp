#include "cgikit/version.hpp"

namespace cgikit {

std::string_view library_version() noexcept {
    return "0.1.0";
}

}  // namespace cgikit
