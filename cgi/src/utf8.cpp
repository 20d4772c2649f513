#include "cgikit/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace cgikit {
namespace {

// Length of the leading run of ASCII bytes, eight at a time.
std::size_t ascii_prefix(const unsigned char* data, std::size_t size) noexcept {
    std::size_t pos = 0;
    while (pos + 8 <= size) {
        std::uint64_t word;
        std::memcpy(&word, data + pos, 8);
        if (word & 0x8080808080808080ULL) break;
        pos += 8;
    }
    while (pos < size && data[pos] < 0x80)
        ++pos;
    return pos;
}

// The WHATWG UTF-8 decoder's view of a lead byte (Encoding Standard §4.1): how many continuation
// bytes follow and the allowed range of the first one (narrowed to exclude overlongs, surrogates
// and code points above U+10FFFF). continuation_bytes == -1: not a valid lead byte.
struct LeadByte {
    int continuation_bytes;
    unsigned char first_lower;
    unsigned char first_upper;
};

LeadByte classify_lead(unsigned char byte) noexcept {
    if (byte >= 0xC2 && byte <= 0xDF) return {1, 0x80, 0xBF};
    if (byte == 0xE0) return {2, 0xA0, 0xBF};
    if (byte == 0xED) return {2, 0x80, 0x9F};
    if (byte >= 0xE1 && byte <= 0xEF) return {2, 0x80, 0xBF};
    if (byte == 0xF0) return {3, 0x90, 0xBF};
    if (byte >= 0xF1 && byte <= 0xF3) return {3, 0x80, 0xBF};
    if (byte == 0xF4) return {3, 0x80, 0x8F};
    return {-1, 0, 0};
}

// Length of the valid sequence starting at data[0] (a non-ASCII byte), or of the maximal
// invalid subpart to replace with one U+FFFD (negated), per the WHATWG decoder.
long sequence_length(const unsigned char* data, std::size_t size) noexcept {
    const LeadByte lead = classify_lead(data[0]);
    if (lead.continuation_bytes < 0) return -1;
    std::size_t pos = 1;
    for (int i = 0; i < lead.continuation_bytes; ++i, ++pos) {
        const unsigned char lower = i == 0 ? lead.first_lower : 0x80;
        const unsigned char upper = i == 0 ? lead.first_upper : 0xBF;
        if (pos >= size || data[pos] < lower || data[pos] > upper) {
            return -static_cast<long>(pos);  // the bad byte itself is decoded afresh
        }
    }
    return static_cast<long>(pos);
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) noexcept {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        pos += ascii_prefix(data + pos, bytes.size() - pos);
        if (pos == bytes.size()) break;
        const long length = sequence_length(data + pos, bytes.size() - pos);
        if (length < 0) return false;
        pos += static_cast<std::size_t>(length);
    }
    return true;
}

std::string to_valid_utf8(std::string_view bytes) {
    static constexpr std::string_view replacement = "\xEF\xBF\xBD";
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    std::string out;
    out.reserve(bytes.size());
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const std::size_t ascii = ascii_prefix(data + pos, bytes.size() - pos);
        out.append(bytes.data() + pos, ascii);
        pos += ascii;
        if (pos == bytes.size()) break;
        const long length = sequence_length(data + pos, bytes.size() - pos);
        if (length > 0) {
            out.append(bytes.data() + pos, static_cast<std::size_t>(length));
            pos += static_cast<std::size_t>(length);
        } else {
            out.append(replacement);
            pos += static_cast<std::size_t>(-length);
        }
    }
    return out;
}

}  // namespace cgikit
