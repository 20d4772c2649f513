#pragma once
// HTTP-date (RFC 9110 §5.6.7): formatting as IMF-fixdate and parsing of all three accepted forms.
// Independent of locale and of the TZ environment: calendar arithmetic is done here, in UTC.
#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace cgikit::http {

// Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t kHttpDateLength = 29;

// IMF-fixdate of `t`. Instants outside years 0000-9999 (which four digits cannot express) are
// clamped to the nearest representable one.
std::string format_http_date(std::time_t t);

// Parses an HTTP-date: IMF-fixdate, obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") or asctime
// ("Sun Nov  6 08:49:37 1994"). Strict: exact layout, case-sensitive names as the grammar's %s
// strings require, no surrounding whitespace, fields in range (day valid for its month, hour
// 00-23, minute 00-59, second 00-60 with 60 a leap second). The day name is checked to be a day
// name but not against the date, like other servers. A two-digit RFC 850 year is placed in the
// century that keeps it at most 50 years after `now` (RFC 9110 §5.6.7).
std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now);
// Same, relative to the current time.
std::optional<std::time_t> parse_http_date(std::string_view text);

// The Date header value for responses (RFC 9110 §6.6.1), formatted at most once per second. One per
// worker thread: not synchronised. The returned view stays valid until the next call.
class DateCache {
  public:
    std::string_view now();
    std::string_view at(std::time_t t);

  private:
    std::optional<std::time_t> formatted_second_;
    char text_[kHttpDateLength] = {};
};

}  // namespace cgikit::http
