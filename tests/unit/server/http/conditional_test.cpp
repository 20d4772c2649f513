#include "http/conditional.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <initializer_list>
#include <utility>

#include "http/http_date.hpp"

using cgikit::http::evaluate_preconditions;
using cgikit::http::format_http_date;
using cgikit::http::Headers;
using cgikit::http::if_range_allows;
using cgikit::http::make_etag;

namespace {

constexpr std::string_view kEtag = "\"abc-10-ff\"";
constexpr std::time_t kNow = 1718409600;             // Sat, 15 Jun 2024 00:00:00 GMT
constexpr std::time_t kLastModified = kNow - 86400;  // a day earlier
const std::string kModifiedDate = format_http_date(kLastModified);
const std::string kEarlier = format_http_date(kLastModified - 1);
const std::string kLater = format_http_date(kLastModified + 1);
const std::string kFuture = format_http_date(kNow + 3600);

Headers headers(std::initializer_list<std::pair<const char*, std::string>> fields) {
    Headers h;
    for (const auto& [name, value] : fields)
        h.add(name, value);
    return h;
}

int get(std::initializer_list<std::pair<const char*, std::string>> fields) {
    return evaluate_preconditions(headers(fields), true, kEtag, kLastModified, kNow);
}

int put(std::initializer_list<std::pair<const char*, std::string>> fields) {
    return evaluate_preconditions(headers(fields), false, kEtag, kLastModified, kNow);
}

}  // namespace

TEST_CASE("make_etag encodes inode, size and mtime in hex", "[conditional]") {
    struct stat st {};
    st.st_ino = 0x1234;
    st.st_size = 0x10;
    st.st_mtim.tv_sec = 1;
    st.st_mtim.tv_nsec = 5;
    CHECK(make_etag(st) == "\"1234-10-3b9aca05\"");

    st.st_ino = 0;
    st.st_size = 0;
    st.st_mtim.tv_sec = 0;
    st.st_mtim.tv_nsec = 0;
    CHECK(make_etag(st) == "\"0-0-0\"");
}

TEST_CASE("make_etag changes with each component", "[conditional]") {
    struct stat st {};
    st.st_ino = 42;
    st.st_size = 1000;
    st.st_mtim.tv_sec = 1700000000;
    st.st_mtim.tv_nsec = 123456789;
    const std::string base = make_etag(st);
    struct stat other = st;
    other.st_ino = 43;
    CHECK(make_etag(other) != base);
    other = st;
    other.st_size = 1001;
    CHECK(make_etag(other) != base);
    other = st;
    other.st_mtim.tv_nsec = 123456790;
    CHECK(make_etag(other) != base);
    other = st;
    other.st_mtim.tv_sec = 1700000001;
    CHECK(make_etag(other) != base);
}

TEST_CASE("make_etag of pre-1970 mtimes is well defined", "[conditional]") {
    struct stat st {};
    st.st_mtim.tv_sec = -1;
    st.st_mtim.tv_nsec = 0;
    CHECK(make_etag(st) == "\"0-0-ffffffffc4653600\"");
    st.st_mtim.tv_sec = INT64_MIN;
    CHECK(make_etag(st).front() == '"');
}

TEST_CASE("make_etag of a real file is a valid strong entity-tag", "[conditional]") {
    struct stat st {};
    REQUIRE(::stat("/", &st) == 0);
    std::string etag = make_etag(st);
    CHECK(etag.size() >= 7);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');
    CHECK(etag.find_first_not_of("0123456789abcdef-", 1) == etag.size() - 1);
    // and it is a validator this module accepts
    CHECK(if_range_allows(etag, etag, 0, kNow));
}

TEST_CASE("no conditional headers: proceed", "[conditional]") {
    CHECK(get({}) == 0);
    CHECK(put({}) == 0);
    CHECK(get({{"Range", "bytes=0-1"}, {"If-Range", "\"x\""}}) == 0);
}

TEST_CASE("If-Match uses the strong comparison", "[conditional]") {
    CHECK(get({{"If-Match", std::string(kEtag)}}) == 0);
    CHECK(get({{"If-Match", "*"}}) == 0);
    CHECK(get({{"If-Match", "\"other\""}}) == 412);
    CHECK(get({{"If-Match", "W/\"abc-10-ff\""}}) == 412);  // weak tags never match strongly
    CHECK(get({{"If-Match", "\"other\", \"abc-10-ff\""}}) == 0);
    CHECK(get({{"If-Match", "\"other\",\"abc-10-ff\""}}) == 0);
    CHECK(get({{"If-Match", "\"abc-10-ff\" , \"other\""}}) == 0);
    CHECK(get({{"If-Match", "\"other\""}, {"If-Match", "\"abc-10-ff\""}}) == 0);
    CHECK(get({{"if-match", std::string(kEtag)}}) == 0);  // field names are case-insensitive
    CHECK(put({{"If-Match", std::string(kEtag)}}) == 0);
    CHECK(put({{"If-Match", "\"other\""}}) == 412);
    CHECK(put({{"If-Match", "*"}}) == 0);
}

TEST_CASE("If-Match with a malformed list matches nothing", "[conditional]") {
    for (const char* bad : {"abc-10-ff", "\"abc-10-ff", "abc-10-ff\"", "w/\"abc-10-ff\"",
                            "\"abc-10-ff\"x", "\"abc-10-ff\" \"x\"", "**", "\"a\"b\"", "", ",",
                            // a match followed by garbage is still garbage
                            "\"abc-10-ff\", junk", "\"abc-10-ff\", W/", "\"abc-10-ff\", \"x"}) {
        INFO(bad);
        CHECK(get({{"If-Match", bad}}) == 412);
    }
}

TEST_CASE("If-Match compares entity-tags byte for byte", "[conditional]") {
    const std::string_view comma_tag = "\"a,b\"";
    Headers h = headers({{"If-Match", "\"a,b\""}});
    CHECK(evaluate_preconditions(h, true, comma_tag, kLastModified, kNow) == 0);
    h = headers({{"If-Match", "\"a\", \"b\""}});
    CHECK(evaluate_preconditions(h, true, comma_tag, kLastModified, kNow) == 412);
    CHECK(get({{"If-Match", "\"ABC-10-FF\""}}) == 412);
}

TEST_CASE("If-Unmodified-Since", "[conditional]") {
    CHECK(get({{"If-Unmodified-Since", kModifiedDate}}) == 0);
    CHECK(get({{"If-Unmodified-Since", kLater}}) == 0);
    CHECK(get({{"If-Unmodified-Since", kEarlier}}) == 412);
    CHECK(put({{"If-Unmodified-Since", kEarlier}}) == 412);
    CHECK(get({{"If-Unmodified-Since", " " + kEarlier + " "}}) == 412);  // field OWS
    CHECK(get({{"If-Unmodified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"}}) == 412);
    CHECK(get({{"If-Unmodified-Since", "Sun Nov  6 08:49:37 1994"}}) == 412);
}

TEST_CASE("an invalid or repeated If-Unmodified-Since is ignored", "[conditional]") {
    CHECK(get({{"If-Unmodified-Since", "yesterday"}}) == 0);
    CHECK(get({{"If-Unmodified-Since", "Sun, 30 Feb 1994 08:49:37 GMT"}}) == 0);
    CHECK(get({{"If-Unmodified-Since", ""}}) == 0);
    CHECK(get({{"If-Unmodified-Since", kEarlier}, {"If-Unmodified-Since", kEarlier}}) == 0);
}

TEST_CASE("If-Unmodified-Since is ignored when If-Match is present", "[conditional]") {
    CHECK(get({{"If-Match", std::string(kEtag)}, {"If-Unmodified-Since", kEarlier}}) == 0);
    CHECK(get({{"If-Match", "*"}, {"If-Unmodified-Since", kEarlier}}) == 0);
    CHECK(get({{"If-Match", "\"other\""}, {"If-Unmodified-Since", kLater}}) == 412);
}

TEST_CASE("If-None-Match uses the weak comparison", "[conditional]") {
    CHECK(get({{"If-None-Match", std::string(kEtag)}}) == 304);
    CHECK(get({{"If-None-Match", "W/\"abc-10-ff\""}}) == 304);
    CHECK(get({{"If-None-Match", "*"}}) == 304);
    CHECK(get({{"If-None-Match", "\"x\", W/\"y\", W/\"abc-10-ff\""}}) == 304);
    CHECK(get({{"If-None-Match", "\"x\""}, {"If-None-Match", "\"abc-10-ff\""}}) == 304);
    CHECK(get({{"If-None-Match", "\"other\""}}) == 0);
    CHECK(get({{"If-None-Match", "\"x\", W/\"y\""}}) == 0);
    CHECK(get({{"If-None-Match", "\"abc-10-f\""}}) == 0);
    CHECK(get({{"If-None-Match", "\"\""}}) == 0);
}

TEST_CASE("If-None-Match answers 412 to other methods", "[conditional]") {
    CHECK(put({{"If-None-Match", std::string(kEtag)}}) == 412);
    CHECK(put({{"If-None-Match", "*"}}) == 412);
    CHECK(put({{"If-None-Match", "\"other\""}}) == 0);
}

TEST_CASE("our own weak entity-tag matches weakly only", "[conditional]") {
    const std::string_view weak = "W/\"abc\"";
    Headers h = headers({{"If-None-Match", "\"abc\""}});
    CHECK(evaluate_preconditions(h, true, weak, kLastModified, kNow) == 304);
    h = headers({{"If-Match", "\"abc\""}});
    CHECK(evaluate_preconditions(h, true, weak, kLastModified, kNow) == 412);
    h = headers({{"If-Match", "W/\"abc\""}});
    CHECK(evaluate_preconditions(h, true, weak, kLastModified, kNow) == 412);
}

TEST_CASE("If-None-Match with a malformed list matches nothing", "[conditional]") {
    for (const char* bad :
         {"abc-10-ff", "\"abc-10-ff\" junk", "W/abc-10-ff", "\"abc-10-ff", "*\"abc-10-ff\"",
          "\"abc-10-ff\";", "\"abc-10-ff\", junk", "W/\"abc-10-ff\", \"x"}) {
        INFO(bad);
        CHECK(get({{"If-None-Match", bad}}) == 0);
    }
    CHECK(get({{"If-None-Match", ""}}) == 0);
    CHECK(get({{"If-None-Match", ", ,"}}) == 0);
    CHECK(get({{"If-None-Match", ", \"abc-10-ff\" ,"}}) == 304);  // empty elements are skipped
}

TEST_CASE("If-Modified-Since", "[conditional]") {
    CHECK(get({{"If-Modified-Since", kModifiedDate}}) == 304);
    CHECK(get({{"If-Modified-Since", kLater}}) == 304);
    CHECK(get({{"If-Modified-Since", kEarlier}}) == 0);
    CHECK(get({{"If-Modified-Since", format_http_date(kNow)}}) == 304);
    CHECK(get({{"if-modified-since", kModifiedDate}}) == 304);
}

TEST_CASE("If-Modified-Since is ignored when invalid, repeated, in the future or not GET/HEAD",
          "[conditional]") {
    CHECK(get({{"If-Modified-Since", "tomorrow"}}) == 0);
    CHECK(get({{"If-Modified-Since", "Sun, 06 Nov 1994 24:49:37 GMT"}}) == 0);
    CHECK(get({{"If-Modified-Since", kFuture}}) == 0);
    CHECK(get({{"If-Modified-Since", kLater}, {"If-Modified-Since", kLater}}) == 0);
    CHECK(put({{"If-Modified-Since", kLater}}) == 0);
}

TEST_CASE("If-Modified-Since is ignored when If-None-Match is present", "[conditional]") {
    CHECK(get({{"If-None-Match", "\"other\""}, {"If-Modified-Since", kLater}}) == 0);
    CHECK(get({{"If-None-Match", std::string(kEtag)}, {"If-Modified-Since", kEarlier}}) == 304);
    CHECK(get({{"If-None-Match", "garbage"}, {"If-Modified-Since", kLater}}) == 0);
}

TEST_CASE("the order of RFC 9110 section 13.2.2", "[conditional]") {
    // Step 1 before step 3: a failed If-Match is a 412 even if If-None-Match would give 304.
    CHECK(get({{"If-Match", "\"other\""}, {"If-None-Match", std::string(kEtag)}}) == 412);
    CHECK(get({{"If-None-Match", std::string(kEtag)}, {"If-Match", "\"other\""}}) == 412);
    // Step 2 before step 3.
    CHECK(get({{"If-Unmodified-Since", kEarlier}, {"If-None-Match", "*"}}) == 412);
    // Step 1 passes, step 3 decides.
    CHECK(get({{"If-Match", std::string(kEtag)}, {"If-None-Match", std::string(kEtag)}}) == 304);
    CHECK(put({{"If-Match", "*"}, {"If-None-Match", "*"}}) == 412);
    // Step 2 passes, step 4 decides.
    CHECK(get({{"If-Unmodified-Since", kLater}, {"If-Modified-Since", kLater}}) == 304);
    // Step 1 before step 4.
    CHECK(get({{"If-Match", "\"other\""}, {"If-Modified-Since", kLater}}) == 412);
    // Everything passes.
    CHECK(get({{"If-Match", std::string(kEtag)},
               {"If-Unmodified-Since", kEarlier},
               {"If-None-Match", "\"other\""},
               {"If-Modified-Since", kLater}}) == 0);
}

TEST_CASE("evaluate_preconditions without now uses the current time", "[conditional]") {
    Headers h = headers({{"If-Modified-Since", kModifiedDate}});
    CHECK(evaluate_preconditions(h, true, kEtag, kLastModified) == 304);
}

TEST_CASE("If-Range with an entity-tag needs a strong match", "[conditional]") {
    CHECK(if_range_allows(kEtag, kEtag, kLastModified, kNow));
    CHECK(if_range_allows(" \"abc-10-ff\" ", kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows("\"other\"", kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows("W/\"abc-10-ff\"", kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows(kEtag, "W/\"abc-10-ff\"", kLastModified, kNow));
    CHECK_FALSE(if_range_allows("\"abc-10-ff\", \"x\"", kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows("*", kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows("\"abc-10-ff", kEtag, kLastModified, kNow));
}

TEST_CASE("If-Range with a date needs an exact, strong match", "[conditional]") {
    CHECK(if_range_allows(kModifiedDate, kEtag, kLastModified, kNow));
    CHECK(if_range_allows(kModifiedDate, kEtag, kLastModified));
    CHECK_FALSE(if_range_allows(kLater, kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows(kEarlier, kEtag, kLastModified, kNow));
    // Modified within the current second: the date is a weak validator (RFC 9110 §8.8.2.2).
    CHECK_FALSE(if_range_allows(format_http_date(kNow), kEtag, kNow, kNow));
    CHECK(if_range_allows(format_http_date(kNow - 1), kEtag, kNow - 1, kNow));
    CHECK_FALSE(if_range_allows("not a date", kEtag, kLastModified, kNow));
    CHECK_FALSE(if_range_allows("", kEtag, kLastModified, kNow));
}
