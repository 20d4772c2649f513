// Fuzz target for parse_range: a satisfiable range always lies inside the representation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "http/byte_range.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first 8 bytes choose the representation's size; the rest is the field value.
    std::uint64_t representation_size = 0;
    if (size >= sizeof representation_size) {
        std::memcpy(&representation_size, data, sizeof representation_size);
        data += sizeof representation_size;
        size -= sizeof representation_size;
    }
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    for (std::uint64_t length :
         {representation_size, representation_size % 1000, std::uint64_t{0}}) {
        const auto result = cgikit::http::parse_range(value, length);
        if (result.outcome != cgikit::http::RangeOutcome::Satisfiable) continue;
        require(result.range.length >= 1);
        require(result.range.first < length);
        require(result.range.length <= length - result.range.first);
        require(!cgikit::http::content_range(result.range, length).empty());
    }
    return 0;
}
