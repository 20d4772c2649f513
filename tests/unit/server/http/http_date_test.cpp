#include "http/http_date.hpp"

#include <time.h>

#include <catch2/catch.hpp>
#include <cstdint>

using cgikit::http::DateCache;
using cgikit::http::format_http_date;
using cgikit::http::kHttpDateLength;
using cgikit::http::parse_http_date;

namespace {

constexpr std::time_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::time_t kNow = 1718409600;        // Sat, 15 Jun 2024 00:00:00 GMT

std::optional<std::time_t> parse(std::string_view text, std::time_t now = kNow) {
    return parse_http_date(text, now);
}

}  // namespace

TEST_CASE("format_http_date writes IMF-fixdate", "[http_date]") {
    CHECK(format_http_date(kRfcExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(format_http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
    CHECK(format_http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(format_http_date(2147483648) == "Tue, 19 Jan 2038 03:14:08 GMT");
    CHECK(format_http_date(4107542400 - 1) == "Sun, 28 Feb 2100 23:59:59 GMT");
    CHECK(format_http_date(-2203891200) == "Thu, 01 Mar 1900 00:00:00 GMT");
    CHECK(format_http_date(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(format_http_date(-62167219200) == "Sat, 01 Jan 0000 00:00:00 GMT");
    CHECK(format_http_date(kRfcExample).size() == kHttpDateLength);
}

TEST_CASE("format_http_date clamps to four-digit years", "[http_date]") {
    CHECK(format_http_date(253402300800) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(format_http_date(INT64_MAX) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(format_http_date(-62167219201) == "Sat, 01 Jan 0000 00:00:00 GMT");
    CHECK(format_http_date(INT64_MIN) == "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST_CASE("format_http_date agrees with gmtime_r", "[http_date]") {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // A stride that is prime to days and seconds, from 1900 to past 2100.
    for (std::int64_t t = -2208988800; t < 4200000000; t += 7777777) {
        struct tm tm {};
        REQUIRE(gmtime_r(&t, &tm) != nullptr);
        char expected[64];
        std::snprintf(expected, sizeof expected, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                      kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);
        INFO("t = " << t);
        REQUIRE(format_http_date(t) == expected);
        REQUIRE(parse(expected) == t);
    }
}

TEST_CASE("parse_http_date reads the three formats of RFC 9110 section 5.6.7", "[http_date]") {
    CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT") == kRfcExample);
    CHECK(parse("Sunday, 06-Nov-94 08:49:37 GMT") == kRfcExample);
    CHECK(parse("Sun Nov  6 08:49:37 1994") == kRfcExample);
    CHECK(parse("Sun Nov 06 08:49:37 1994") == kRfcExample);  // 2DIGIT day is allowed too
    CHECK(parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
    CHECK(parse("Wed, 31 Dec 1969 23:59:59 GMT") == -1);
    CHECK(parse("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400);
    CHECK(parse("Fri, 31 Dec 9999 23:59:59 GMT") == 253402300799);
    CHECK(parse("Thu Jan  1 00:00:00 1970") == 0);
    CHECK(parse("Mon Feb 29 00:00:00 2000") == 951782400);
    CHECK(parse("Thu Dec 31 23:59:59 1969") == -1);
}

TEST_CASE("every day and month name is recognised", "[http_date]") {
    for (const char* day : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}) {
        CHECK(parse(std::string(day) + ", 06 Nov 1994 08:49:37 GMT") == kRfcExample);
        CHECK(parse(std::string(day) + " Nov  6 08:49:37 1994") == kRfcExample);
    }
    for (const char* day :
         {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}) {
        CHECK(parse(std::string(day) + ", 06-Nov-94 08:49:37 GMT") == kRfcExample);
    }
    const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int m = 0; m < 12; ++m) {
        auto t = parse(std::string("Mon, 01 ") + months[m] + " 2024 00:00:00 GMT");
        REQUIRE(t);
        CHECK(format_http_date(*t).substr(8, 3) == months[m]);
    }
}

TEST_CASE("a leap second is accepted as the next second", "[http_date]") {
    CHECK(parse("Sat, 31 Dec 2016 23:59:60 GMT") == parse("Sun, 01 Jan 2017 00:00:00 GMT"));
}

TEST_CASE("RFC 850 two-digit years fall within 50 years of now", "[http_date]") {
    // now = 2024-06-15T00:00:00Z; the window is (1974-06-15, 2074-06-15].
    CHECK(parse("Sunday, 06-Nov-94 08:49:37 GMT") == kRfcExample);
    CHECK(parse("Saturday, 01-Jan-00 00:00:00 GMT") == 946684800);    // 2000
    CHECK(parse("Wednesday, 01-Jan-25 00:00:00 GMT") == 1735689600);  // 2025
    CHECK(parse("Friday, 15-Jun-74 00:00:00 GMT") == 3296246400);     // 2074: exactly 50
    CHECK(parse("Friday, 15-Jun-74 00:00:01 GMT") == 140486401);      // 1974: beyond 50
    CHECK(parse("Sunday, 16-Jun-74 00:00:00 GMT") == 140572800);      // 1974
    CHECK(parse("Friday, 31-Dec-99 23:59:59 GMT") == 946684799);      // 1999
    // now = 2090-01-01: "30" is 2130 (40 years ahead), "41" is 2041.
    const std::time_t in_2090 = 3786912000;
    CHECK(format_http_date(*parse("Monday, 01-Jan-30 00:00:00 GMT", in_2090)).substr(12, 4) ==
          "2130");
    CHECK(format_http_date(*parse("Monday, 01-Jan-41 00:00:00 GMT", in_2090)).substr(12, 4) ==
          "2041");
    // now = 2070-01-01: "00" is 2100, which has no February 29th.
    const std::time_t in_2070 = 3155760000;
    CHECK_FALSE(parse("Tuesday, 29-Feb-00 00:00:00 GMT", in_2070));
    CHECK(parse("Tuesday, 29-Feb-00 00:00:00 GMT") == 951782400);
    // now = 2050-02-28T12:00Z: the window is (2000-02-28T12:00, 2100-02-28T12:00], which holds
    // 2000-02-29; on 2050-03-01 it no longer does, and 2100-02-29 does not exist.
    CHECK(parse("Tuesday, 29-Feb-00 00:00:00 GMT", 2529662400) == 951782400);
    CHECK_FALSE(parse("Tuesday, 29-Feb-00 00:00:00 GMT", 2529748800));
}

TEST_CASE("parse_http_date rejects out-of-range fields", "[http_date]") {
    for (std::string_view bad : {
             "Sun, 30 Feb 1994 08:49:37 GMT",  // no Feb 30
             "Sun, 29 Feb 1994 08:49:37 GMT",  // not a leap year
             "Thu, 29 Feb 1900 00:00:00 GMT",  // divisible by 100, not by 400
             "Sun, 31 Apr 1994 08:49:37 GMT",
             "Sun, 31 Jun 1994 08:49:37 GMT",
             "Sun, 31 Sep 1994 08:49:37 GMT",
             "Sun, 31 Nov 1994 08:49:37 GMT",
             "Sun, 32 Jan 1994 08:49:37 GMT",
             "Sun, 00 Nov 1994 08:49:37 GMT",
             "Sun, 06 Nov 1994 24:00:00 GMT",
             "Sun, 06 Nov 1994 08:60:37 GMT",
             "Sun, 06 Nov 1994 08:49:61 GMT",
             "Sun, 06 Nov 1994 99:99:99 GMT",
             "Sunday, 30-Feb-94 08:49:37 GMT",
             "Sunday, 06-Nov-94 24:49:37 GMT",
             "Sun Feb 30 08:49:37 1994",
             "Sun Nov  0 08:49:37 1994",
             "Sun Nov 06 25:49:37 1994",
         }) {
        INFO(bad);
        CHECK_FALSE(parse(bad));
    }
}

TEST_CASE("parse_http_date rejects everything but the exact layouts", "[http_date]") {
    for (std::string_view bad : {
             "",
             "Sun",
             "Sun,",
             "0",
             "784111777",
             "Sun, 06 Nov 1994 08:49:37",      // no zone
             "Sun, 06 Nov 1994 08:49:37 UTC",  // only GMT
             "Sun, 06 Nov 1994 08:49:37 gmt",  // %s: case-sensitive
             "Sun, 06 Nov 1994 08:49:37 +0000",
             "sun, 06 Nov 1994 08:49:37 GMT",
             "SUN, 06 Nov 1994 08:49:37 GMT",
             "Sun, 06 nov 1994 08:49:37 GMT",
             "Sun, 06 NOV 1994 08:49:37 GMT",
             "Sun, 06 November 1994 08:49:37 GMT",
             "Sux, 06 Nov 1994 08:49:37 GMT",
             "Sun, 6 Nov 1994 08:49:37 GMT",  // day is 2DIGIT
             "Sun, 06 Nov 94 08:49:37 GMT",   // year is 4DIGIT
             "Sun, 06 Nov 01994 08:49:37 GMT",
             "Sun, 06 Nov 1994 8:49:37 GMT",
             "Sun, 06 Nov 1994 08:49 GMT",
             "Sun, 06 Nov 1994 08.49.37 GMT",
             "Sun,06 Nov 1994 08:49:37 GMT",
             "Sun,  06 Nov 1994 08:49:37 GMT",
             "Sun, 06  Nov 1994 08:49:37 GMT",
             "Sun 06 Nov 1994 08:49:37 GMT",
             " Sun, 06 Nov 1994 08:49:37 GMT",  // the caller trims field OWS
             "Sun, 06 Nov 1994 08:49:37 GMT ",
             "Sun, 06 Nov 1994 08:49:37 GMTx",
             "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
             "Sun, -6 Nov 1994 08:49:37 GMT",
             "Sun, +6 Nov 1994 08:49:37 GMT",
             "Sun, 06 Nov 1994 08:49:37 GM",
             "Sun, 06-Nov-1994 08:49:37 GMT",     // neither IMF nor RFC 850
             "Sunday, 06 Nov 1994 08:49:37 GMT",  // long day name only with RFC 850
             "Sun, 06-Nov-94 08:49:37 GMT",       // RFC 850 needs the long day name
             "Sunday, 06-Nov-1994 08:49:37 GMT",
             "Sunday, 6-Nov-94 08:49:37 GMT",
             "Sunday, 06-Nov-94 08:49:37",
             "Sunday,06-Nov-94 08:49:37 GMT",
             "Sunday, 06-nov-94 08:49:37 GMT",
             "Sun Nov 6 08:49:37 1994",  // asctime pads a one-digit day with SP
             "Sun Nov   6 08:49:37 1994",
             "Sun Nov  6 08:49:37 94",
             "Sun Nov  6 08:49:37 1994 ",
             "Sun Nov  6 08:49:37 1994 GMT",
             "Sun Nov  6 08:49:37 19940",
             "Sun  Nov  6 08:49:37 1994",
             "Sun Nov 6  08:49:37 1994",
             "Sun Nov  6 08:49:37  1994",
             "Sun,  Nov  6 08:49:37 1994",  // a failed IMF attempt must not leave asctime a suffix
             "Sun, Nov  6 08:49:37 1994",
         }) {
        INFO("'" << bad << "'");
        CHECK_FALSE(parse(bad));
    }
    CHECK_FALSE(parse(std::string_view("Sun, 06 Nov 1994 08:49:37 GMT\0", 30)));
    CHECK_FALSE(parse(std::string_view("Sun, 06 Nov 1994\0 08:49:37 GMT", 30)));
}

TEST_CASE("the day name is not checked against the date", "[http_date]") {
    CHECK(parse("Mon, 06 Nov 1994 08:49:37 GMT") == kRfcExample);
}

TEST_CASE("parse_http_date without now uses the current time", "[http_date]") {
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == kRfcExample);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == kRfcExample);
}

TEST_CASE("DateCache formats once per distinct second", "[http_date]") {
    DateCache cache;
    std::string_view first = cache.at(kRfcExample);
    CHECK(first == "Sun, 06 Nov 1994 08:49:37 GMT");
    std::string_view again = cache.at(kRfcExample);
    CHECK(again.data() == first.data());
    CHECK(again == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(cache.at(kRfcExample + 1) == "Sun, 06 Nov 1994 08:49:38 GMT");
    CHECK(cache.at(kRfcExample) == "Sun, 06 Nov 1994 08:49:37 GMT");  // the clock may step back
    CHECK(cache.at(0) == "Thu, 01 Jan 1970 00:00:00 GMT");            // 0 is not an "empty" marker
}

TEST_CASE("DateCache::now is the current time", "[http_date]") {
    DateCache cache;
    std::time_t before = std::time(nullptr);
    std::string now(cache.now());
    std::time_t after = std::time(nullptr);
    auto parsed = parse_http_date(now);
    REQUIRE(parsed);
    CHECK(*parsed >= before);
    CHECK(*parsed <= after);
}
