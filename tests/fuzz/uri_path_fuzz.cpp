// Fuzz target for decode_and_normalize_path: besides memory errors, checks the invariants the
// static file handler relies on to stay inside its docroot.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/uri_path.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    const auto result = cgikit::http::decode_and_normalize_path(raw);
    if (!result.ok()) {
        require(result.status == 400 || result.status == 404);
        require(result.path.empty());
        return 0;
    }
    const std::string& path = result.path;
    require(!path.empty() && path.front() == '/');
    require(path.find('\0') == std::string::npos);
    require(path.find("//") == std::string::npos);
    require(path.find("/./") == std::string::npos);
    require(path.find("/../") == std::string::npos);
    require(!path.ends_with("/.") && !path.ends_with("/.."));
    require(path.size() <= raw.size());
    // Normalisation is idempotent once the result is encoded again.
    const auto again =
        cgikit::http::decode_and_normalize_path(cgikit::http::percent_encode_path(path));
    require(again.ok() && again.path == path);
    return 0;
}
