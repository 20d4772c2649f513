#pragma once
// Headers: an ordered list of header fields as received (RFC 9110 §5). Names keep their spelling;
// every lookup is case-insensitive. Order and duplicates are kept because CGI (RFC 3875 §4.1.18)
// and Set-Cookie need them.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgikit::http {

// ASCII case-insensitive equality, as HTTP field names and tokens require.
bool iequals(std::string_view a, std::string_view b) noexcept;

// Optional whitespace (SP / HTAB) trimmed from both ends (RFC 9110 §5.6.3).
std::string_view trim_ows(std::string_view s) noexcept;

// True when the comma-separated list `value` contains `token` (case-insensitive), e.g.
// Connection: keep-alive, Upgrade.
bool list_contains_token(std::string_view value, std::string_view token) noexcept;

struct HeaderField {
    std::string name;
    std::string value;
};

class Headers {
public:
    void add(std::string name, std::string value);
    // Replaces every field called `name` by one.
    void set(std::string_view name, std::string value);
    void remove(std::string_view name);
    void clear() noexcept { fields_.clear(); }

    // The first field called `name`.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t count(std::string_view name) const noexcept;
    // Every value of `name` joined with `separator` (", " for lists, "; " for Cookie).
    std::string joined(std::string_view name, std::string_view separator) const;

    std::size_t size() const noexcept { return fields_.size(); }
    bool empty() const noexcept { return fields_.empty(); }
    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }

private:
    std::vector<HeaderField> fields_;
};

}  // namespace cgikit::http
