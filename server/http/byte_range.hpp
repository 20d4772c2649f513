#pragma once
// Range requests for a single byte range (RFC 9110 §14.1-14.4). Multiple ranges are not served:
// the RFC lets a server ignore Range (§14.2), and multipart/byteranges buys little for a static
// server while costing a second body encoder.
#include <cstdint>
#include <string>
#include <string_view>

namespace cgikit::http {

enum class RangeOutcome {
    Ignore,         // answer 200 with the whole representation
    Satisfiable,    // answer 206 with `range`
    Unsatisfiable,  // answer 416 with unsatisfied_content_range(size)
};

struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t length = 0;  // >= 1 when satisfiable
    friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

struct RangeResult {
    RangeOutcome outcome = RangeOutcome::Ignore;
    ByteRange range;  // meaningful only when Satisfiable
};

// Evaluates a Range field value against a representation of `size` bytes. Policy:
//  - a range unit other than "bytes" (case-insensitive) -> Ignore (RFC 9110 §14.2: MUST ignore);
//  - more than one range -> Ignore (whole file, 200);
//  - "bytes=0-3", "bytes=3-" (last-pos clamped to size - 1), "bytes=-3" (the last 3 bytes, or the
//    whole file when shorter) -> Satisfiable;
//  - any valid bytes range of an empty file (size 0) -> Ignore: 200 with no content (see the .cpp);
//  - first-pos >= size or a suffix of 0 (of a non-empty file) -> Unsatisfiable (§14.1.2);
//  - anything malformed ("bytes=", "bytes=5-2", "bytes=a-b", numbers beyond 2^64 - 1, whitespace
//    other than OWS around commas, trailing junk) -> Unsatisfiable: we answer an invalid Range with
//    416 rather than silently ignoring it. Empty list elements ("bytes=0-1,") are skipped
//    (RFC 9110 §5.6.1.2).
RangeResult parse_range(std::string_view header_value, std::uint64_t size);

// Content-Range of a 206 (RFC 9110 §14.4): "bytes 0-3/10". `range.length` must be >= 1.
std::string content_range(ByteRange range, std::uint64_t size);

// Content-Range of a 416: "bytes */10".
std::string unsatisfied_content_range(std::uint64_t size);

}  // namespace cgikit::http
