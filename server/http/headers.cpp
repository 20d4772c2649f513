#include "http/headers.hpp"

#include <algorithm>

namespace cgikit::http {

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool list_contains_token(std::string_view value, std::string_view token) noexcept {
    while (!value.empty()) {
        auto comma = value.find(',');
        if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

void Headers::add(std::string_view name, std::string_view value) {
    if (size_ < fields_.size()) {
        HeaderField& spare = fields_[size_];
        spare.name.assign(name);
        spare.value.assign(value);
    } else {
        fields_.emplace_back(name, value);  // built in place: no temporaries to move
    }
    ++size_;
}

void Headers::set(std::string_view name, std::string_view value) {
    // Copies first: either view may point into a field that remove() moves.
    std::string name_copy(name);
    std::string value_copy(value);
    remove(name_copy);
    add(name_copy, value_copy);
}

void Headers::remove(std::string_view name) {
    auto live_end = fields_.begin() + static_cast<std::ptrdiff_t>(size_);
    auto kept_end = std::remove_if(fields_.begin(), live_end,
                                   [&](const HeaderField& f) { return iequals(f.name, name); });
    size_ = static_cast<std::size_t>(kept_end - fields_.begin());
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
    for (const auto& f : *this) {
        if (iequals(f.name, name)) return std::string_view(f.value);
    }
    return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(begin(), end(), [&](const HeaderField& f) { return iequals(f.name, name); }));
}

std::string Headers::joined(std::string_view name, std::string_view separator) const {
    std::string out;
    bool first = true;
    for (const auto& f : *this) {
        if (!iequals(f.name, name)) continue;
        if (!first) out += separator;
        out += f.value;
        first = false;
    }
    return out;
}

}  // namespace cgikit::http
