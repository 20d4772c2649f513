// Fuzz target for the urlencoded parser (and the UTF-8 helpers applied to its output): the push
// parser split at a fuzzer-chosen offset agrees with the one-shot parser, limits only ever cut
// the result short with too_large, and form_encode round-trips every result.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cgikit/urlencoded.hpp"
#include "cgikit/utf8.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t split_seed = data[0];
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    const cgikit::Fields expected = cgikit::parse_urlencoded(input);

    cgikit::UrlencodedParser parser;
    const std::size_t split = input.empty() ? 0 : split_seed % (input.size() + 1);
    require(!parser.feed(input.substr(0, split)));
    require(!parser.feed(input.substr(split)));
    require(!parser.finish());
    require(parser.fields() == expected);

    const cgikit::Limits tight{.max_body_bytes = 64, .max_fields = 3, .max_field_bytes = 8};
    cgikit::Fields limited;
    if (const auto error = cgikit::parse_urlencoded(input, tight, limited)) {
        require(error.code == cgikit::Errc::too_large);
        require(limited.size() <= expected.size());
        require(std::equal(limited.begin(), limited.end(), expected.begin()));
    } else {
        require(limited == expected);
    }

    require(cgikit::parse_urlencoded(cgikit::form_encode(expected)) == expected);
    require(cgikit::form_decode(cgikit::form_encode(input)) == input);

    for (const auto& [name, value] : expected) {
        for (const std::string* text : {&name, &value}) {
            const std::string repaired = cgikit::to_valid_utf8(*text);
            require(cgikit::is_valid_utf8(repaired));
            if (cgikit::is_valid_utf8(*text)) require(repaired == *text);
        }
    }
    return 0;
}
