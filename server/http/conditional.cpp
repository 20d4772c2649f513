#include "http/conditional.hpp"

#include <cstdint>
#include <optional>

#include "http/http_date.hpp"

namespace cgikit::http {

namespace {

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3)
struct EntityTag {
    bool weak = false;
    std::string_view opaque;  // between the quotes
};

bool is_etagc(char ch) noexcept {
    auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;  // obs-text included
}

// Parses one entity-tag at the front of `in`, consuming it.
std::optional<EntityTag> take_entity_tag(std::string_view& in) noexcept {
    EntityTag tag;
    std::string_view rest = in;
    if (rest.substr(0, 2) == "W/") {
        tag.weak = true;
        rest.remove_prefix(2);
    }
    if (rest.empty() || rest.front() != '"') return std::nullopt;
    rest.remove_prefix(1);
    std::size_t end = 0;
    while (end < rest.size() && is_etagc(rest[end]))
        ++end;
    if (end == rest.size() || rest[end] != '"') return std::nullopt;
    tag.opaque = rest.substr(0, end);
    in = rest.substr(end + 1);
    return tag;
}

// The whole of `text` as one entity-tag.
std::optional<EntityTag> parse_entity_tag(std::string_view text) noexcept {
    auto tag = take_entity_tag(text);
    if (!tag || !text.empty()) return std::nullopt;
    return tag;
}

// RFC 9110 §8.8.3.2.
bool strong_match(const EntityTag& a, const EntityTag& b) noexcept {
    return !a.weak && !b.weak && a.opaque == b.opaque;
}
bool weak_match(const EntityTag& a, const EntityTag& b) noexcept {
    return a.opaque == b.opaque;
}

enum class Comparison { Strong, Weak };

// If-Match / If-None-Match = "*" / #entity-tag: true when the list contains "*" or a tag that
// matches `current`. Members of several field lines arrive joined with ", ". Empty list elements
// are skipped (§5.6.1.2); anything malformed makes the whole field match nothing.
bool list_matches(std::string_view list, const std::optional<EntityTag>& current,
                  Comparison comparison) noexcept {
    bool matched = false;
    while (true) {
        while (!list.empty() &&
               (list.front() == ' ' || list.front() == '\t' || list.front() == ','))
            list.remove_prefix(1);
        if (list.empty()) return matched;
        if (list.front() == '*') {
            list.remove_prefix(1);
            matched = true;
        } else {
            auto tag = take_entity_tag(list);
            if (!tag) return false;
            if (current && (comparison == Comparison::Strong ? strong_match(*tag, *current)
                                                             : weak_match(*tag, *current)))
                matched = true;
        }
        list = trim_ows(list);
        if (!list.empty() && list.front() != ',') return false;
    }
}

// The date of a field that must occur once and hold a valid HTTP-date (§13.1.3, §13.1.4).
std::optional<std::time_t> single_date(const Headers& headers, std::string_view name,
                                       std::time_t now) {
    if (headers.count(name) != 1) return std::nullopt;
    return parse_http_date(trim_ows(*headers.get(name)), now);
}

constexpr int kNotModified = 304;
constexpr int kPreconditionFailed = 412;

// Lower-case hex of `value` without leading zeros, written at `out`; returns the end.
char* put_hex(char* out, std::uint64_t value) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    char digits[16];
    std::size_t count = 0;
    do {
        digits[count++] = kHex[value & 0x0F];
        value >>= 4;
    } while (value != 0);
    while (count > 0)
        *out++ = digits[--count];
    return out;
}

// True when any field is one of the conditional ones (all start with "If-", RFC 9110 §13.1):
// most requests have none, and then there is nothing to evaluate.
bool has_conditional_field(const Headers& headers) noexcept {
    for (const auto& field : headers) {
        if (field.name.size() > 3 && iequals(std::string_view(field.name).substr(0, 3), "If-"))
            return true;
    }
    return false;
}

}  // namespace

std::string make_etag(const struct stat& file_status) {
    // Unsigned arithmetic: the nanosecond count of a pre-1970 mtime wraps instead of overflowing.
    const std::uint64_t mtime_ns =
        static_cast<std::uint64_t>(file_status.st_mtim.tv_sec) * 1000000000u +
        static_cast<std::uint64_t>(file_status.st_mtim.tv_nsec);
    char text[2 + 3 * 16 + 2];  // quotes, three 64-bit numbers in hex, two dashes
    char* end = text;
    *end++ = '"';
    end = put_hex(end, static_cast<std::uint64_t>(file_status.st_ino));
    *end++ = '-';
    end = put_hex(end, static_cast<std::uint64_t>(file_status.st_size));
    *end++ = '-';
    end = put_hex(end, mtime_ns);
    *end++ = '"';
    return std::string(text, end);
}

int evaluate_preconditions(const Headers& request_headers, bool is_get_or_head,
                           std::string_view etag, std::time_t last_modified, std::time_t now) {
    if (!has_conditional_field(request_headers)) return 0;
    const std::optional<EntityTag> current = parse_entity_tag(etag);

    // Step 1 and 2 (§13.2.2): the client's copy must still be current.
    if (request_headers.contains("If-Match")) {
        if (!list_matches(request_headers.joined("If-Match", ", "), current, Comparison::Strong))
            return kPreconditionFailed;
    } else if (auto date = single_date(request_headers, "If-Unmodified-Since", now)) {
        if (last_modified > *date) return kPreconditionFailed;
    }

    // Step 3 and 4: the client's copy may already be current.
    if (request_headers.contains("If-None-Match")) {
        if (list_matches(request_headers.joined("If-None-Match", ", "), current, Comparison::Weak))
            return is_get_or_head ? kNotModified : kPreconditionFailed;
    } else if (is_get_or_head) {
        auto date = single_date(request_headers, "If-Modified-Since", now);
        if (date && *date <= now && last_modified <= *date) return kNotModified;
    }
    return 0;
}

int evaluate_preconditions(const Headers& request_headers, bool is_get_or_head,
                           std::string_view etag, std::time_t last_modified) {
    return evaluate_preconditions(request_headers, is_get_or_head, etag, last_modified,
                                  std::time(nullptr));
}

bool if_range_allows(std::string_view if_range_value, std::string_view etag,
                     std::time_t last_modified, std::time_t now) {
    std::string_view value = trim_ows(if_range_value);
    // §13.1.5: an entity-tag is told from a date by a DQUOTE within the first three characters.
    if (value.substr(0, 3).find('"') != std::string_view::npos) {
        auto requested = parse_entity_tag(value);
        auto current = parse_entity_tag(etag);
        return requested && current && strong_match(*requested, *current);
    }
    auto date = parse_http_date(value, now);
    return date && *date == last_modified && last_modified < now;
}

bool if_range_allows(std::string_view if_range_value, std::string_view etag,
                     std::time_t last_modified) {
    return if_range_allows(if_range_value, etag, last_modified, std::time(nullptr));
}

}  // namespace cgikit::http
