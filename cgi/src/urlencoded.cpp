#include "cgikit/urlencoded.hpp"

#include <cstring>

namespace cgikit {
namespace {

// Value of an ASCII hex digit, or -1.
int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// WHATWG percent-decode, optionally with '+' as space (the urlencoded parser replaces '+' before
// decoding, so a decoded "%2B" stays '+'). Runs without '%' or '+' are copied in bulk.
void decode_into(std::string_view input, bool plus_is_space, std::string& out) {
    out.reserve(out.size() + input.size());
    std::size_t pos = 0;
    while (pos < input.size()) {
        std::size_t special = input.find_first_of(plus_is_space ? "%+" : "%", pos);
        if (special == std::string_view::npos) special = input.size();
        out.append(input.data() + pos, special - pos);
        if (special == input.size()) break;
        if (input[special] == '+') {
            out.push_back(' ');
            pos = special + 1;
            continue;
        }
        const int high = special + 1 < input.size() ? hex_value(input[special + 1]) : -1;
        const int low = special + 2 < input.size() ? hex_value(input[special + 2]) : -1;
        if (high < 0 || low < 0) {
            out.push_back('%');  // not a percent-encoded byte: kept as it is (WHATWG URL §1.3)
            pos = special + 1;
            continue;
        }
        out.push_back(static_cast<char>(high * 16 + low));
        pos = special + 3;
    }
}

// One '&'-separated, non-empty piece: name up to the first '=', value after it (WHATWG URL §5.1
// step 3).
void append_field(std::string_view piece, Fields& out) {
    const std::size_t equals = piece.find('=');
    const std::string_view name = piece.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view{} : piece.substr(equals + 1);
    auto& field = out.emplace_back();
    decode_into(name, true, field.first);
    decode_into(value, true, field.second);
}

Error field_count_error(const Limits& limits) {
    return {Errc::too_large,
            "more than max_fields (" + std::to_string(limits.max_fields) + ") form fields"};
}

Error field_size_error(const Limits& limits) {
    return {Errc::too_large, "a form field exceeds max_field_bytes (" +
                                 std::to_string(limits.max_field_bytes) + " bytes)"};
}

Error body_size_error(const Limits& limits) {
    return {Errc::too_large, "form data exceeds max_body_bytes (" +
                                 std::to_string(limits.max_body_bytes) + " bytes)"};
}

bool is_unreserved_form_byte(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' ||
           c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string percent_decode(std::string_view input) {
    std::string out;
    decode_into(input, false, out);
    return out;
}

std::string form_decode(std::string_view input) {
    std::string out;
    decode_into(input, true, out);
    return out;
}

std::string form_encode(std::string_view input) {
    static constexpr char hex_digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(input.size());
    for (const char c : input) {
        const auto byte = static_cast<unsigned char>(c);
        if (is_unreserved_form_byte(byte)) {
            out.push_back(c);
        } else if (byte == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(hex_digits[byte >> 4]);
            out.push_back(hex_digits[byte & 0xF]);
        }
    }
    return out;
}

std::string form_encode(const Fields& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out.push_back('&');
        out += form_encode(name);
        out.push_back('=');
        out += form_encode(value);
    }
    return out;
}

Fields parse_urlencoded(std::string_view input) {
    Fields out;
    const Limits unlimited{.max_body_bytes = static_cast<std::size_t>(-1),
                           .max_fields = static_cast<std::size_t>(-1),
                           .max_field_bytes = static_cast<std::size_t>(-1)};
    (void)parse_urlencoded(input, unlimited, out);
    return out;
}

Error parse_urlencoded(std::string_view input, const Limits& limits, Fields& out) {
    if (input.size() > limits.max_body_bytes) return body_size_error(limits);
    std::size_t pos = 0;
    while (pos < input.size()) {
        std::size_t end = input.find('&', pos);
        if (end == std::string_view::npos) end = input.size();
        const std::string_view piece = input.substr(pos, end - pos);
        pos = end + 1;
        if (piece.empty()) continue;
        if (piece.size() > limits.max_field_bytes) return field_size_error(limits);
        if (out.size() >= limits.max_fields) return field_count_error(limits);
        append_field(piece, out);
    }
    return {};
}

UrlencodedParser::UrlencodedParser(const Limits& limits) : limits_(limits) {}

Error UrlencodedParser::complete_piece(std::string_view piece) {
    if (piece.empty()) return {};
    if (fields_.size() >= limits_.max_fields) return error_ = field_count_error(limits_);
    append_field(piece, fields_);
    return {};
}

Error UrlencodedParser::feed(std::string_view bytes) {
    if (error_) return error_;
    if (bytes.size() > limits_.max_body_bytes - total_bytes_) {
        return error_ = body_size_error(limits_);
    }
    total_bytes_ += bytes.size();
    while (!bytes.empty()) {
        const std::size_t end = bytes.find('&');
        const std::string_view chunk = bytes.substr(0, end);
        if (chunk.size() > limits_.max_field_bytes - pending_.size()) {
            return error_ = field_size_error(limits_);
        }
        if (end == std::string_view::npos) {
            pending_.append(chunk);
            break;
        }
        if (pending_.empty()) {
            if (auto err = complete_piece(chunk)) return err;
        } else {
            pending_.append(chunk);
            if (auto err = complete_piece(pending_)) return err;
            pending_.clear();
        }
        bytes.remove_prefix(end + 1);
    }
    return {};
}

Error UrlencodedParser::finish() {
    if (error_) return error_;
    if (auto err = complete_piece(pending_)) return err;
    pending_.clear();
    return {};
}

}  // namespace cgikit
