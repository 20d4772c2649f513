#include "cgikit/utf8.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace {

const std::string fffd = "\xEF\xBF\xBD";

// An independent reference, written from the definition (RFC 3629 §3/§4) rather than from the
// WHATWG byte ranges the library uses: the length of the well-formed sequence at `pos`, or 0.
std::size_t reference_sequence_length(std::string_view bytes, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(bytes[pos]);
    std::size_t length;
    std::uint32_t code_point;
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        code_point = lead & 0x07;
    } else {
        return 0;
    }
    if (pos + length > bytes.size()) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(bytes[pos + i]);
        if ((byte & 0xC0) != 0x80) return 0;
        code_point = (code_point << 6) | (byte & 0x3F);
    }
    static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length]) return 0;                 // overlong
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;  // surrogate
    if (code_point > 0x10FFFF) return 0;                         // beyond Unicode
    return length;
}

bool reference_is_valid(std::string_view bytes) {
    for (std::size_t pos = 0; pos < bytes.size();) {
        const std::size_t length = reference_sequence_length(bytes, pos);
        if (length == 0) return false;
        pos += length;
    }
    return true;
}

// Unicode §3.9 "U+FFFD substitution of maximal subparts": at an ill-formed position, replace the
// longest prefix of some well-formed sequence (at least one byte) with one U+FFFD. A prefix can
// be completed iff padding it with 0x80 continuation bytes completes it (only the second byte of
// a sequence has a narrowed range).
std::string reference_repair(std::string_view bytes) {
    std::string out;
    for (std::size_t pos = 0; pos < bytes.size();) {
        const std::size_t length = reference_sequence_length(bytes, pos);
        if (length > 0) {
            out.append(bytes.substr(pos, length));
            pos += length;
            continue;
        }
        std::size_t subpart = 1;
        for (std::size_t prefix = 2; prefix <= 3 && pos + prefix <= bytes.size(); ++prefix) {
            char padded[4];
            std::size_t size = prefix;
            bytes.copy(padded, prefix, pos);
            std::size_t completed = 0;
            while (completed == 0 && size < 4) {
                padded[size++] = '\x80';
                completed = reference_sequence_length({padded, size}, 0) == size ? size : 0;
            }
            if (completed == 0) break;
            subpart = prefix;
        }
        out += fffd;
        pos += subpart;
    }
    return out;
}

// Bytes at every boundary of the UTF-8 byte ranges.
const std::vector<char> interesting_bytes = {'\x00', '\x41', '\x7F', '\x80', '\x8F', '\x90', '\x9F',
                                             '\xA0', '\xBF', '\xC0', '\xC1', '\xC2', '\xDF', '\xE0',
                                             '\xE1', '\xEC', '\xED', '\xEE', '\xEF', '\xF0', '\xF1',
                                             '\xF3', '\xF4', '\xF5', '\xFF'};

}  // namespace

TEST_CASE("is_valid_utf8 accepts well-formed text") {
    CHECK(cgikit::is_valid_utf8(""));
    CHECK(cgikit::is_valid_utf8("plain ASCII, long enough for the eight-byte fast path"));
    CHECK(cgikit::is_valid_utf8(std::string("\0", 1)));
    CHECK(cgikit::is_valid_utf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80"));
    CHECK(cgikit::is_valid_utf8("\xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
}

TEST_CASE("is_valid_utf8 rejects overlongs, surrogates, code points above U+10FFFF, truncation") {
    CHECK_FALSE(cgikit::is_valid_utf8("\xC0\x80"));          // overlong NUL
    CHECK_FALSE(cgikit::is_valid_utf8("\xC1\xBF"));          // overlong U+007F
    CHECK_FALSE(cgikit::is_valid_utf8("\xE0\x9F\xBF"));      // overlong U+07FF
    CHECK_FALSE(cgikit::is_valid_utf8("\xF0\x8F\xBF\xBF"));  // overlong U+FFFF
    CHECK_FALSE(cgikit::is_valid_utf8("\xED\xA0\x80"));      // U+D800
    CHECK_FALSE(cgikit::is_valid_utf8("\xED\xBF\xBF"));      // U+DFFF
    CHECK_FALSE(cgikit::is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(cgikit::is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(cgikit::is_valid_utf8("\xFF"));
    CHECK_FALSE(cgikit::is_valid_utf8("\x80"));  // lone continuation byte
    CHECK_FALSE(cgikit::is_valid_utf8("abc\xE2\x82"));
    CHECK_FALSE(cgikit::is_valid_utf8("abcdefgh\xC3"));
}

TEST_CASE("to_valid_utf8 replaces each maximal subpart with one U+FFFD") {
    // Unicode 15 §3.9, Table 3-8.
    CHECK(cgikit::to_valid_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
          "a" + fffd + fffd + fffd + "b" + fffd + "c" + fffd + fffd + "d");
    CHECK(cgikit::to_valid_utf8("\xC0\xAF") == fffd + fffd);
    CHECK(cgikit::to_valid_utf8("\xE0\x80\xAF") == fffd + fffd + fffd);
    CHECK(cgikit::to_valid_utf8("\xED\xA0\x80") == fffd + fffd + fffd);
    CHECK(cgikit::to_valid_utf8("\xF0\x90\x80") == fffd);  // truncated 4-byte sequence
    CHECK(cgikit::to_valid_utf8("\xE2\x82\x41") == fffd + "A");
    CHECK(cgikit::to_valid_utf8("\xE2\x82\xAC") == "\xE2\x82\xAC");
    CHECK(cgikit::to_valid_utf8("ok") == "ok");
    CHECK(cgikit::to_valid_utf8("") == "");
}

TEST_CASE("is_valid_utf8 agrees with the reference on every two-byte string") {
    std::string bytes(2, '\0');
    for (int first = 0; first < 256; ++first) {
        for (int second = 0; second < 256; ++second) {
            bytes[0] = static_cast<char>(first);
            bytes[1] = static_cast<char>(second);
            if (cgikit::is_valid_utf8(bytes) != reference_is_valid(bytes)) {
                FAIL("mismatch at " << first << ", " << second);
            }
        }
    }
}

TEST_CASE("is_valid_utf8 and to_valid_utf8 agree with the reference on boundary bytes") {
    std::vector<std::string> inputs;
    for (const char a : interesting_bytes) {
        for (const char b : interesting_bytes) {
            for (const char c : interesting_bytes) {
                inputs.push_back({a, b, c});
                // A fourth byte matters only after the lead byte of a four-byte sequence.
                if (static_cast<unsigned char>(a) < 0xF0) continue;
                for (const char d : interesting_bytes) {
                    inputs.push_back({a, b, c, d});
                }
            }
        }
    }
    std::size_t mismatches = 0;
    for (const std::string& input : inputs) {
        // Also after an ASCII run, so that the eight-byte fast path hands over correctly.
        const std::string shifted = "0123456" + input;
        if (cgikit::is_valid_utf8(input) != reference_is_valid(input) ||
            cgikit::to_valid_utf8(input) != reference_repair(input) ||
            cgikit::to_valid_utf8(shifted) != reference_repair(shifted)) {
            ++mismatches;
            UNSCOPED_INFO("mismatch for input of " << input.size() << " bytes: " << input);
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("to_valid_utf8 output is always valid and fixes nothing that was valid") {
    for (const char a : interesting_bytes) {
        for (const char b : interesting_bytes) {
            const std::string input = {a, 'x', b, b, a};
            const std::string repaired = cgikit::to_valid_utf8(input);
            REQUIRE(cgikit::is_valid_utf8(repaired));
            if (cgikit::is_valid_utf8(input)) REQUIRE(repaired == input);
        }
    }
}
