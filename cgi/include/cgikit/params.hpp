#pragma once
// Params: an ordered list of name/value pairs (query parameters, form fields, cookies) with typed,
// validated access. Values are bytes as sent (after urlencoded decoding); nothing is trimmed,
// lowercased or assumed to be UTF-8. Every getter returns std::optional: absent, malformed and
// out-of-range are all "no value", so a handler cannot use an unchecked number by accident.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "cgikit/urlencoded.hpp"

namespace cgikit {

namespace detail {
std::optional<bool> parse_bool(std::string_view text) noexcept;
template <class>
inline constexpr bool unsupported_type = false;
}  // namespace detail

// One value as T:
// - integers: decimal digits with an optional '-' (signed types only), nothing else (no spaces, no
//   '+', no trailing junk), within T's range;
// - float/double: std::from_chars general format, finite only (no "inf"/"nan");
// - bool: "1", "true", "on", "yes" / "0", "false", "off", "no" (ASCII case-insensitive; an HTML
//   checkbox sends "on");
// - std::string / std::string_view: the bytes as they are.
template <class T>
std::optional<T> parse_as(std::string_view text) {
    if constexpr (std::is_same_v<T, bool>) {
        return detail::parse_bool(text);
    } else if constexpr (std::is_integral_v<T>) {
        T value{};
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
        if (error != std::errc{} || stop != end) return std::nullopt;
        return value;
    } else if constexpr (std::is_floating_point_v<T>) {
        T value{};
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc{} || stop != end || !std::isfinite(value)) return std::nullopt;
        return value;
    } else if constexpr (std::is_same_v<T, std::string>) {
        return std::string(text);
    } else if constexpr (std::is_same_v<T, std::string_view>) {
        return text;
    } else {
        static_assert(detail::unsupported_type<T>, "parse_as: use an arithmetic or string type");
    }
}

class Params {
  public:
    using Entry = std::pair<std::string, std::string>;

    Params() = default;
    explicit Params(Fields fields) : entries_(std::move(fields)) {}

    const Fields& entries() const noexcept { return entries_; }
    Fields& entries() noexcept { return entries_; }
    bool empty() const noexcept { return entries_.empty(); }
    std::size_t size() const noexcept { return entries_.size(); }
    Fields::const_iterator begin() const noexcept { return entries_.begin(); }
    Fields::const_iterator end() const noexcept { return entries_.end(); }

    bool contains(std::string_view name) const noexcept;
    std::size_t count(std::string_view name) const noexcept;

    // The first value of `name`, as bytes.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    // The first value of `name` as T (see parse_as); nullopt if absent or malformed.
    template <class T>
    std::optional<T> get(std::string_view name) const {
        const auto value = get(name);
        if (!value) return std::nullopt;
        return parse_as<T>(*value);
    }
    // As get<T>, and only if min <= value <= max.
    template <class T>
    std::optional<T> get(std::string_view name, T min, T max) const {
        static_assert(std::is_arithmetic_v<T>, "a range needs an arithmetic type");
        const auto value = get<T>(name);
        if (!value || *value < min || *value > max) return std::nullopt;
        return value;
    }
    // Every value of `name`, in order.
    std::vector<std::string_view> get_all(std::string_view name) const;

    // The first value of `name` if it is valid UTF-8 (utf8.hpp), else nullopt.
    std::optional<std::string_view> get_utf8(std::string_view name) const;
    // The first value of `name` with invalid UTF-8 replaced by U+FFFD: safe to show.
    std::optional<std::string> get_text(std::string_view name) const;
    // Whether every name and value is valid UTF-8.
    bool all_valid_utf8() const noexcept;

    // Allowed-list check for a single choice (select, radio): the value of `name` if it occurs
    // exactly once and is one of `allowed`; nullopt if absent, repeated or not allowed.
    std::optional<std::string_view> one_of(std::string_view name,
                                           std::span<const std::string_view> allowed) const;
    std::optional<std::string_view> one_of(std::string_view name,
                                           std::initializer_list<std::string_view> allowed) const {
        return one_of(name, std::span<const std::string_view>(allowed.begin(), allowed.size()));
    }
    // Allowed-list check for a multiple choice (checkboxes, select multiple): every value of
    // `name`, in order (none is an empty list); nullopt if any one is not allowed.
    std::optional<std::vector<std::string_view>> all_of(
        std::string_view name, std::span<const std::string_view> allowed) const;
    std::optional<std::vector<std::string_view>> all_of(
        std::string_view name, std::initializer_list<std::string_view> allowed) const {
        return all_of(name, std::span<const std::string_view>(allowed.begin(), allowed.size()));
    }

  private:
    Fields entries_;
};

}  // namespace cgikit
