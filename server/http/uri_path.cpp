#include "http/uri_path.hpp"

namespace cgikit::http {

namespace {

constexpr int kBadRequest = 400;
constexpr int kNotFound = 404;

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

enum class EncodingCheck { Valid, Malformed, EncodedSlash };

// One pass over the raw bytes before anything is decoded, so that a malformed request is always a
// 400 whatever else it contains.
EncodingCheck check_encoding(std::string_view raw) noexcept {
    bool encoded_slash = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\0') return EncodingCheck::Malformed;
        if (raw[i] != '%') continue;
        if (raw.size() - i < 3) return EncodingCheck::Malformed;
        int high = hex_value(raw[i + 1]);
        int low = hex_value(raw[i + 2]);
        if (high < 0 || low < 0) return EncodingCheck::Malformed;
        int byte = high * 16 + low;
        if (byte == 0) return EncodingCheck::Malformed;
        if (byte == '/') encoded_slash = true;
        i += 2;
    }
    return encoded_slash ? EncodingCheck::EncodedSlash : EncodingCheck::Valid;
}

// Appends the decoded form of one segment (already validated by check_encoding). An encoded slash
// stays encoded: the request is a 404 anyway, and this keeps every '/' in the output a separator.
void append_decoded(std::string& out, std::string_view segment) {
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] == '%') {
            auto byte =
                static_cast<char>(hex_value(segment[i + 1]) * 16 + hex_value(segment[i + 2]));
            if (byte == '/') {
                out.append(segment.substr(i, 3));
            } else {
                out += byte;
            }
            i += 2;
        } else {
            out += segment[i];
        }
    }
}

// True when `raw` (which starts with '/') is already what decoding and normalising make of it:
// nothing percent-encoded, no NUL, no empty segment but a trailing one, and no segment that starts
// with '.' (a superset of "." and ".."). The common case, checked in one pass.
bool is_normal_form(std::string_view raw) noexcept {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%' || c == '\0') return false;
        if (c == '/' && i + 1 < raw.size() && (raw[i + 1] == '/' || raw[i + 1] == '.'))
            return false;
    }
    return true;
}

bool is_path_char_unencoded(unsigned char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '-':
        case '.':
        case '_':
        case '~':  // unreserved
        case '!':
        case '$':
        case '&':
        case '\'':
        case '(':
        case ')':  // sub-delims
        case '*':
        case '+':
        case ',':
        case ';':
        case '=':
        case ':':
        case '@':
        case '/':
            return true;
        default:
            return false;
    }
}

}  // namespace

DecodedPath decode_and_normalize_path(std::string_view raw_path) {
    if (raw_path.empty() || raw_path.front() != '/') return {kBadRequest, {}};
    if (is_normal_form(raw_path)) return {0, std::string(raw_path)};
    EncodingCheck check = check_encoding(raw_path);
    if (check == EncodingCheck::Malformed) return {kBadRequest, {}};

    // `out` is "/seg1/seg2..." with no trailing slash while segments are collected, so popping a
    // segment is truncating at the last '/'.
    std::string out;
    out.reserve(raw_path.size());
    bool trailing_slash = false;
    std::string_view rest = raw_path.substr(1);
    while (true) {
        std::size_t slash = rest.find('/');
        std::string_view raw_segment = rest.substr(0, slash);
        bool last = slash == std::string_view::npos;

        std::size_t segment_start = out.size();
        out += '/';
        append_decoded(out, raw_segment);
        std::string_view segment = std::string_view(out).substr(segment_start + 1);

        if (segment.empty() || segment == ".") {
            out.resize(segment_start);
            trailing_slash = last;
        } else if (segment == "..") {
            out.resize(segment_start);
            if (out.empty()) return {kBadRequest, {}};  // would climb above the root
            out.resize(out.rfind('/'));
            trailing_slash = last;
        } else {
            trailing_slash = false;
        }
        if (last) break;
        rest.remove_prefix(slash + 1);
    }
    if (check == EncodingCheck::EncodedSlash) return {kNotFound, {}};
    if (out.empty() || trailing_slash) out += '/';
    return {0, std::move(out)};
}

std::string percent_encode_path(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (char ch : path) {
        auto c = static_cast<unsigned char>(ch);
        if (is_path_char_unencoded(c)) {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0x0F];
        }
    }
    return out;
}

}  // namespace cgikit::http
