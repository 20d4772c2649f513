#include "http/byte_range.hpp"

#include <optional>

#include "http/headers.hpp"

namespace cgikit::http {

namespace {

// A range-spec as written, before it is checked against the representation's size.
struct RangeSpec {
    enum class Kind { FromTo, From, Suffix } kind;
    std::uint64_t first = 0;  // first-pos, or the suffix-length for Suffix
    std::uint64_t last = 0;   // last-pos for FromTo
};

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// 1*DIGIT, the whole of `digits`; nullopt when empty, not all digits, or above 2^64 - 1.
std::optional<std::uint64_t> parse_number(std::string_view digits) noexcept {
    if (digits.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (!is_digit(c)) return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

// range-spec = int-range / suffix-range (RFC 9110 §14.1.1); other-range is not valid for bytes.
std::optional<RangeSpec> parse_range_spec(std::string_view spec) noexcept {
    std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    std::string_view before = spec.substr(0, dash);
    std::string_view after = spec.substr(dash + 1);
    if (before.empty()) {
        auto suffix_length = parse_number(after);
        if (!suffix_length) return std::nullopt;
        return RangeSpec{RangeSpec::Kind::Suffix, *suffix_length, 0};
    }
    auto first = parse_number(before);
    if (!first) return std::nullopt;
    if (after.empty()) return RangeSpec{RangeSpec::Kind::From, *first, 0};
    auto last = parse_number(after);
    if (!last || *last < *first) return std::nullopt;  // last < first is invalid (§14.1.1)
    return RangeSpec{RangeSpec::Kind::FromTo, *first, *last};
}

bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

RangeResult unsatisfiable() noexcept {
    return {RangeOutcome::Unsatisfiable, {}};
}

}  // namespace

RangeResult parse_range(std::string_view header_value, std::uint64_t size) {
    std::string_view value = trim_ows(header_value);
    std::size_t equals = value.find('=');
    std::string_view unit = value.substr(0, equals);
    if (!is_token(unit)) return unsatisfiable();
    if (!iequals(unit, "bytes")) return {RangeOutcome::Ignore, {}};
    if (equals == std::string_view::npos) return unsatisfiable();

    // range-set = 1#range-spec: OWS is allowed only next to the commas; empty elements are skipped.
    std::string_view set = value.substr(equals + 1);
    std::optional<RangeSpec> only;
    std::size_t count = 0;
    bool after_comma = false;
    while (true) {
        std::size_t comma = set.find(',');
        std::string_view element = set.substr(0, comma);
        bool before_comma = comma != std::string_view::npos;
        if (after_comma) {
            while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
                element.remove_prefix(1);
            }
        }
        if (before_comma) {
            while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
                element.remove_suffix(1);
            }
        }
        if (!element.empty()) {
            auto spec = parse_range_spec(element);
            if (!spec) return unsatisfiable();
            if (++count == 1) only = spec;
        }
        if (!before_comma) break;
        set.remove_prefix(comma + 1);
        after_comma = true;
    }
    if (count == 0) return unsatisfiable();
    if (count > 1) return {RangeOutcome::Ignore, {}};
    // An empty representation: §14.1.2 calls a non-zero suffix-range satisfiable, yet no 206 can
    // carry zero bytes (Content-Range needs first-pos <= last-pos), so the whole (empty) file is
    // sent with 200, as §14.2 allows. "bytes=0-" is answered the same, not 416, as nginx, Apache
    // and lighttpd do: media players and download managers open every file with it.
    if (size == 0) return {RangeOutcome::Ignore, {}};

    // RFC 9110 §14.1.2: satisfiable when first-pos < size, or for a suffix-range when the
    // suffix-length and the representation are both non-zero.
    switch (only->kind) {
        case RangeSpec::Kind::FromTo:
        case RangeSpec::Kind::From: {
            if (only->first >= size) return unsatisfiable();
            std::uint64_t last = size - 1;
            if (only->kind == RangeSpec::Kind::FromTo && only->last < last) last = only->last;
            return {RangeOutcome::Satisfiable, {only->first, last - only->first + 1}};
        }
        case RangeSpec::Kind::Suffix: {
            if (only->first == 0 || size == 0) return unsatisfiable();
            std::uint64_t length = only->first < size ? only->first : size;
            return {RangeOutcome::Satisfiable, {size - length, length}};
        }
    }
    return unsatisfiable();
}

std::string content_range(ByteRange range, std::uint64_t size) {
    return "bytes " + std::to_string(range.first) + "-" +
           std::to_string(range.first + range.length - 1) + "/" + std::to_string(size);
}

std::string unsatisfied_content_range(std::uint64_t size) {
    return "bytes */" + std::to_string(size);
}

}  // namespace cgikit::http
