#include "cgikit/params.hpp"

#include <algorithm>

#include "cgikit/utf8.hpp"
#include "http_syntax.hpp"

namespace cgikit {
namespace detail {

std::optional<bool> parse_bool(std::string_view text) noexcept {
    for (std::string_view yes : {"1", "true", "on", "yes"}) {
        if (syntax::iequals(text, yes)) return true;
    }
    for (std::string_view no : {"0", "false", "off", "no"}) {
        if (syntax::iequals(text, no)) return false;
    }
    return std::nullopt;
}

}  // namespace detail

namespace {

bool is_allowed(std::string_view value, std::span<const std::string_view> allowed) noexcept {
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

bool Params::contains(std::string_view name) const noexcept {
    return get(name).has_value();
}

std::size_t Params::count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(std::count_if(
        entries_.begin(), entries_.end(), [name](const Entry& e) { return e.first == name; }));
}

std::optional<std::string_view> Params::get(std::string_view name) const noexcept {
    for (const auto& [key, value] : entries_) {
        if (key == name) return std::string_view(value);
    }
    return std::nullopt;
}

std::vector<std::string_view> Params::get_all(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : entries_) {
        if (key == name) values.emplace_back(value);
    }
    return values;
}

std::optional<std::string_view> Params::get_utf8(std::string_view name) const {
    const auto value = get(name);
    if (!value || !is_valid_utf8(*value)) return std::nullopt;
    return value;
}

std::optional<std::string> Params::get_text(std::string_view name) const {
    const auto value = get(name);
    if (!value) return std::nullopt;
    return to_valid_utf8(*value);
}

bool Params::all_valid_utf8() const noexcept {
    return std::all_of(entries_.begin(), entries_.end(), [](const Entry& e) {
        return is_valid_utf8(e.first) && is_valid_utf8(e.second);
    });
}

std::optional<std::string_view> Params::one_of(std::string_view name,
                                               std::span<const std::string_view> allowed) const {
    std::optional<std::string_view> found;
    for (const auto& [key, value] : entries_) {
        if (key != name) continue;
        if (found) return std::nullopt;  // a single choice sent twice: tampered with
        found = value;
    }
    if (!found || !is_allowed(*found, allowed)) return std::nullopt;
    return found;
}

std::optional<std::vector<std::string_view>> Params::all_of(
    std::string_view name, std::span<const std::string_view> allowed) const {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : entries_) {
        if (key != name) continue;
        if (!is_allowed(value, allowed)) return std::nullopt;
        values.emplace_back(value);
    }
    return values;
}

}  // namespace cgikit
