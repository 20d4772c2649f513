#include "cgikit/urlencoded.hpp"

#include <catch2/catch.hpp>

#include "cgikit/utf8.hpp"

using cgikit::Errc;
using cgikit::Fields;
using cgikit::Limits;

namespace {

struct Vector {
    std::string_view input;
    Fields expected;  // UTF-8, after the URL Standard's "UTF-8 decode without BOM" of each side
};

// The web-platform-tests vectors for the urlencoded parser: url/urlencoded-parser.any.js runs them
// from url/resources/urlencoded-parser-data.json (https://github.com/web-platform-tests/wpt).
// URLSearchParams also UTF-8-decodes each name and value, hence to_valid_utf8 in the test.
const std::vector<Vector>& wpt_vectors() {
    static const std::vector<Vector> vectors = {
        {"test", {{"test", ""}}},
        {"\xEF\xBB\xBFtest=\xEF\xBB\xBF", {{"\xEF\xBB\xBFtest", "\xEF\xBB\xBF"}}},
        {"%EF%BB%BFtest=%EF%BB%BF", {{"\xEF\xBB\xBFtest", "\xEF\xBB\xBF"}}},
        {"%EF%BF%BF=%EF%BF%BF", {{"\xEF\xBF\xBF", "\xEF\xBF\xBF"}}},
        {"%FE%FF", {{"\xEF\xBF\xBD\xEF\xBF\xBD", ""}}},
        {"%FF%FE", {{"\xEF\xBF\xBD\xEF\xBF\xBD", ""}}},
        {"\xE2\x80\xA0&\xE2\x80\xA0=x", {{"\xE2\x80\xA0", ""}, {"\xE2\x80\xA0", "x"}}},
        {"%C2", {{"\xEF\xBF\xBD", ""}}},
        {"%C2x", {{"\xEF\xBF\xBDx", ""}}},
        {"_charset_=windows-1252&test=%C2x",
         {{"_charset_", "windows-1252"}, {"test", "\xEF\xBF\xBDx"}}},
        {"", {}},
        {"a", {{"a", ""}}},
        {"a=b", {{"a", "b"}}},
        {"a=", {{"a", ""}}},
        {"=b", {{"", "b"}}},
        {"&", {}},
        {"&a", {{"a", ""}}},
        {"a&", {{"a", ""}}},
        {"a&a", {{"a", ""}, {"a", ""}}},
        {"a&b&c", {{"a", ""}, {"b", ""}, {"c", ""}}},
        {"a=b&c=d", {{"a", "b"}, {"c", "d"}}},
        {"a=b&c=d&", {{"a", "b"}, {"c", "d"}}},
        {"&&&a=b&&&&c=d&", {{"a", "b"}, {"c", "d"}}},
        {"a=a&a=b&a=c", {{"a", "a"}, {"a", "b"}, {"a", "c"}}},
        {"a==a", {{"a", "=a"}}},
        {"a=a+b+c+d", {{"a", "a b c d"}}},
        {"%=a", {{"%", "a"}}},
        {"%a=a", {{"%a", "a"}}},
        {"%a_=a", {{"%a_", "a"}}},
        {"%61=a", {{"a", "a"}}},
        {"%61+%4d%4D=", {{"a MM", ""}}},
        {"id=0&value=%", {{"id", "0"}, {"value", "%"}}},
        {"b=%2sf%2a", {{"b", "%2sf*"}}},
        {"b=%2%2af%2a", {{"b", "%2*f*"}}},
        {"b=%%2a", {{"b", "%*"}}},
    };
    return vectors;
}

Fields utf8_decoded(Fields fields) {
    for (auto& [name, value] : fields) {
        name = cgikit::to_valid_utf8(name);
        value = cgikit::to_valid_utf8(value);
    }
    return fields;
}

// Feeds `input` to a fresh UrlencodedParser in pieces cut at `cuts` (ascending offsets).
Fields parse_in_pieces(std::string_view input, const std::vector<std::size_t>& cuts) {
    cgikit::UrlencodedParser parser;
    std::size_t begin = 0;
    for (const std::size_t cut : cuts) {
        REQUIRE_FALSE(parser.feed(input.substr(begin, cut - begin)));
        begin = cut;
    }
    REQUIRE_FALSE(parser.feed(input.substr(begin)));
    REQUIRE_FALSE(parser.finish());
    return parser.take_fields();
}

// The parser's result for `input` fed whole, split at every offset, and byte by byte.
void check_split_invariance(std::string_view input, const Fields& expected) {
    CHECK(parse_in_pieces(input, {}) == expected);
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        INFO("split at " << cut);
        CHECK(parse_in_pieces(input, {cut}) == expected);
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        every_byte.push_back(cut);
    CHECK(parse_in_pieces(input, every_byte) == expected);
}

}  // namespace

TEST_CASE("parse_urlencoded passes the web-platform-tests urlencoded-parser vectors") {
    for (const Vector& vector : wpt_vectors()) {
        INFO("input: " << vector.input);
        CHECK(utf8_decoded(cgikit::parse_urlencoded(vector.input)) == vector.expected);
    }
}

TEST_CASE("UrlencodedParser gives the WPT results however the input is split") {
    for (const Vector& vector : wpt_vectors()) {
        INFO("input: " << vector.input);
        const Fields direct = cgikit::parse_urlencoded(vector.input);
        CHECK(utf8_decoded(direct) == vector.expected);
        check_split_invariance(vector.input, direct);
    }
}

TEST_CASE("parse_urlencoded returns bytes, not UTF-8: invalid sequences are kept as sent") {
    CHECK(cgikit::parse_urlencoded("%FE%FF=%C2") == Fields{{"\xFE\xFF", "\xC2"}});
}

TEST_CASE("parse_urlencoded keeps a name without '=' (cgicc drops `b` in `a=1&b`)") {
    CHECK(cgikit::parse_urlencoded("a=1&b") == Fields{{"a", "1"}, {"b", ""}});
    CHECK(cgikit::parse_urlencoded("b&a=1") == Fields{{"b", ""}, {"a", "1"}});
}

TEST_CASE("parse_urlencoded splits on '&' only, never on ';'") {
    CHECK(cgikit::parse_urlencoded("a=1;b=2") == Fields{{"a", "1;b=2"}});
}

TEST_CASE("parse_urlencoded keeps NUL bytes, raw and percent-encoded") {
    const std::string input("a%00b=c\0d", 9);
    CHECK(cgikit::parse_urlencoded(input) ==
          Fields{{std::string("a\0b", 3), std::string("c\0d", 3)}});
}

TEST_CASE("parse_urlencoded decodes '+' before percent-decoding, so %2B stays a plus") {
    CHECK(cgikit::parse_urlencoded("a%2Bb=c+%2B+d") == Fields{{"a+b", "c + d"}});
}

TEST_CASE("percent_decode decodes %XX only and leaves every other byte as it is") {
    CHECK(cgikit::percent_decode("a+b%20c") == "a+b c");
    CHECK(cgikit::percent_decode("%") == "%");
    CHECK(cgikit::percent_decode("%4") == "%4");
    CHECK(cgikit::percent_decode("%4g%41") == "%4gA");
    CHECK(cgikit::percent_decode("%%41%") == "%A%");
    CHECK(cgikit::percent_decode("%c3%A9") == "\xC3\xA9");
    CHECK(cgikit::percent_decode("%2541") == "%41");  // decoded once, not twice
    CHECK(cgikit::percent_decode("") == "");
}

TEST_CASE("form_decode turns '+' into a space, then percent-decodes") {
    CHECK(cgikit::form_decode("a+b%2B%zz") == "a b+%zz");
}

TEST_CASE("form_encode is the URL Standard's urlencoded byte serializer") {
    CHECK(cgikit::form_encode("azAZ09*-._") == "azAZ09*-._");
    CHECK(cgikit::form_encode("a b") == "a+b");
    CHECK(cgikit::form_encode("~!'()&=+%") == "%7E%21%27%28%29%26%3D%2B%25");
    CHECK(cgikit::form_encode(std::string("\0\xFF", 2)) == "%00%FF");
    CHECK(cgikit::form_encode("\xE2\x80\xA0") == "%E2%80%A0");
}

TEST_CASE("form_decode(form_encode(s)) == s for every byte") {
    std::string all_bytes;
    for (int byte = 0; byte < 256; ++byte)
        all_bytes.push_back(static_cast<char>(byte));
    CHECK(cgikit::form_decode(cgikit::form_encode(all_bytes)) == all_bytes);
}

TEST_CASE("form_encode of fields round-trips through parse_urlencoded") {
    const Fields fields = {{"a b", "c&d=e"}, {"", ""}, {"x", std::string("\0%+", 3)}, {"a b", ""}};
    const std::string encoded = cgikit::form_encode(fields);
    CHECK(encoded == "a+b=c%26d%3De&=&x=%00%25%2B&a+b=");
    CHECK(cgikit::parse_urlencoded(encoded) == fields);
    CHECK(cgikit::form_encode(Fields{}) == "");
}

TEST_CASE("parse_urlencoded with limits bounds the number of fields") {
    const Limits limits{.max_fields = 2};
    Fields out;
    CHECK_FALSE(cgikit::parse_urlencoded("a=1&&b=2&", limits, out));  // empty pieces not counted
    CHECK(out.size() == 2);

    out.clear();
    const auto error = cgikit::parse_urlencoded("a=1&b=2&c=3", limits, out);
    CHECK(error.code == Errc::too_large);
    CHECK(error.http_status() == 413);
    CHECK(out == Fields{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("parse_urlencoded with limits counts fields already in the output") {
    const Limits limits{.max_fields = 2};
    Fields out;
    REQUIRE_FALSE(cgikit::parse_urlencoded("q=1", limits, out));
    CHECK_FALSE(cgikit::parse_urlencoded("a=1", limits, out));
    CHECK(cgikit::parse_urlencoded("b=1", limits, out).code == Errc::too_large);
}

TEST_CASE("parse_urlencoded with limits bounds each encoded name=value piece") {
    const Limits limits{.max_field_bytes = 5};
    Fields out;
    CHECK_FALSE(cgikit::parse_urlencoded("ab=cd&x=%41", limits, out));  // 5 bytes each
    CHECK(cgikit::parse_urlencoded("ab=cde", limits, out).code == Errc::too_large);
}

TEST_CASE("parse_urlencoded with limits bounds the whole input") {
    const Limits limits{.max_body_bytes = 7};
    Fields out;
    CHECK_FALSE(cgikit::parse_urlencoded("a=1&b=2", limits, out));
    out.clear();
    CHECK(cgikit::parse_urlencoded("a=1&b=2&", limits, out).code == Errc::too_large);
    CHECK(out.empty());  // rejected before anything was parsed
}

TEST_CASE("UrlencodedParser enforces the limits across feed() calls and stays failed") {
    SECTION("field count") {
        cgikit::UrlencodedParser parser(Limits{.max_fields = 1});
        CHECK_FALSE(parser.feed("a=1&"));
        CHECK_FALSE(parser.feed("b"));
        const auto error = parser.finish();
        CHECK(error.code == Errc::too_large);
        CHECK(parser.feed("c").code == Errc::too_large);
        CHECK(parser.finish().code == Errc::too_large);
    }
    SECTION("a piece growing over several feeds") {
        cgikit::UrlencodedParser parser(Limits{.max_field_bytes = 4});
        CHECK_FALSE(parser.feed("ab"));
        CHECK_FALSE(parser.feed("=c"));
        CHECK(parser.feed("d").code == Errc::too_large);
        CHECK(parser.feed("&").code == Errc::too_large);
    }
    SECTION("a piece at the bound, completed by '&' in a later feed") {
        cgikit::UrlencodedParser parser(Limits{.max_field_bytes = 4});
        CHECK_FALSE(parser.feed("ab"));
        CHECK_FALSE(parser.feed("=c&de"));
        CHECK_FALSE(parser.feed("=f"));
        CHECK_FALSE(parser.finish());
        CHECK(parser.fields() == Fields{{"ab", "c"}, {"de", "f"}});
    }
    SECTION("total size") {
        cgikit::UrlencodedParser parser(Limits{.max_body_bytes = 4});
        CHECK_FALSE(parser.feed("a=1"));
        CHECK_FALSE(parser.feed("&"));
        CHECK(parser.feed("b").code == Errc::too_large);
    }
}

TEST_CASE("UrlencodedParser results do not depend on the split, for awkward inputs") {
    for (const std::string_view input :
         {"a=1&b", "%", "%4", "a=%4&b=%41%", "+&+=+", "&&=&&", "a=b=c&&d"}) {
        INFO("input: " << input);
        check_split_invariance(input, cgikit::parse_urlencoded(input));
    }
}
