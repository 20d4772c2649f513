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

// ASCII case-insensitive equality, as HTTP field names and tokens require. Inline: every header
// lookup calls it for every field.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x == y) continue;
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
        if (x != y) return false;
    }
    return true;
}

// Optional whitespace (SP / HTAB) trimmed from both ends (RFC 9110 §5.6.3).
std::string_view trim_ows(std::string_view s) noexcept;

// True when the comma-separated list `value` contains `token` (case-insensitive), e.g.
// Connection: keep-alive, Upgrade.
bool list_contains_token(std::string_view value, std::string_view token) noexcept;

struct HeaderField {
    HeaderField(std::string_view field_name, std::string_view field_value)
        : name(field_name), value(field_value) {}
    std::string name;
    std::string value;
};

class Headers {
  public:
    using const_iterator = std::vector<HeaderField>::const_iterator;

    Headers() = default;
    // Copies hold the fields only, not the spare storage.
    Headers(const Headers& other) : fields_(other.begin(), other.end()), size_(other.size_) {}
    Headers& operator=(const Headers& other) {
        if (this != &other) {
            fields_.assign(other.begin(), other.end());
            size_ = other.size_;
        }
        return *this;
    }
    // Moves take the storage; the moved-from Headers is empty.
    Headers(Headers&& other) noexcept
        : fields_(std::move(other.fields_)), size_(std::exchange(other.size_, 0)) {}
    Headers& operator=(Headers&& other) noexcept {
        if (this != &other) {
            fields_ = std::move(other.fields_);
            size_ = std::exchange(other.size_, 0);
            other.fields_.clear();
        }
        return *this;
    }

    // Appends a field. The storage of cleared and removed fields is reused: a Headers that is
    // cleared and refilled for every request stops allocating once its fields stop growing.
    void add(std::string_view name, std::string_view value);
    // Replaces every field called `name` by one.
    void set(std::string_view name, std::string_view value);
    void remove(std::string_view name);
    // Forgets every field, keeping their storage for the next ones.
    void clear() noexcept { size_ = 0; }
    void reserve(std::size_t fields) { fields_.reserve(fields); }

    // The first field called `name`.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t count(std::string_view name) const noexcept;
    // Every value of `name` joined with `separator` (", " for lists, "; " for Cookie).
    std::string joined(std::string_view name, std::string_view separator) const;

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const_iterator begin() const noexcept { return fields_.cbegin(); }
    const_iterator end() const noexcept {
        return fields_.cbegin() + static_cast<std::ptrdiff_t>(size_);
    }

  private:
    std::vector<HeaderField> fields_;  // the first size_ are the fields, the rest spare storage
    std::size_t size_ = 0;
};

}  // namespace cgikit::http
