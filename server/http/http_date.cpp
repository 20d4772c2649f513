#include "http/http_date.hpp"

#include <array>
#include <cstdint>

namespace cgikit::http {

namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Floor division, for instants before 1970.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Days since 1970-01-01 of a proleptic Gregorian date; month 1-12. Works in 400-year eras
// starting on March 1st so that the leap day is the last day of an era-year.
constexpr std::int64_t days_from_civil(std::int64_t year, int month, int day) noexcept {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = floor_div(year, 400);
    const std::int64_t year_of_era = year - era * 400;                         // [0, 399]
    const int shifted_month = month > 2 ? month - 3 : month + 9;               // March = 0
    const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;  // [0, 365]
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
    return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
    std::int64_t year;
    int month;  // 1-12
    int day;    // 1-31
};

// Inverse of days_from_civil.
constexpr CivilDate civil_from_days(std::int64_t days) noexcept {
    days += 719468;
    const std::int64_t era = floor_div(days, 146097);
    const std::int64_t day_of_era = days - era * 146097;  // [0, 146096]
    const std::int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
    const int day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    const int month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

constexpr bool is_leap_year(std::int64_t year) noexcept {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int days_in_month(std::int64_t year, int month) noexcept {
    constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range four year digits can express.
constexpr std::int64_t kFirstFormattable = days_from_civil(0, 1, 1) * kSecondsPerDay;
constexpr std::int64_t kLastFormattable = days_from_civil(9999, 12, 31) * kSecondsPerDay + 86399;

void put_two_digits(char* out, int value) noexcept {
    out[0] = static_cast<char>('0' + value / 10);
    out[1] = static_cast<char>('0' + value % 10);
}

void format_into(std::time_t t, char (&out)[kHttpDateLength]) noexcept {
    std::int64_t seconds = static_cast<std::int64_t>(t);
    if (seconds < kFirstFormattable) seconds = kFirstFormattable;
    if (seconds > kLastFormattable) seconds = kLastFormattable;
    const std::int64_t days = floor_div(seconds, kSecondsPerDay);
    const auto second_of_day = static_cast<int>(seconds - days * kSecondsPerDay);
    const CivilDate date = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 4).
    const auto weekday = static_cast<std::size_t>(days - floor_div(days + 4, 7) * 7 + 4);
    const auto year = static_cast<int>(date.year);

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    const std::string_view day_name = kDayNames[weekday];
    const std::string_view month_name = kMonthNames[static_cast<std::size_t>(date.month - 1)];
    out[0] = day_name[0], out[1] = day_name[1], out[2] = day_name[2];
    out[3] = ',', out[4] = ' ';
    put_two_digits(out + 5, date.day);
    out[7] = ' ';
    out[8] = month_name[0], out[9] = month_name[1], out[10] = month_name[2];
    out[11] = ' ';
    put_two_digits(out + 12, year / 100);
    put_two_digits(out + 14, year % 100);
    out[16] = ' ';
    put_two_digits(out + 17, second_of_day / 3600);
    out[19] = ':';
    put_two_digits(out + 20, second_of_day / 60 % 60);
    out[22] = ':';
    put_two_digits(out + 23, second_of_day % 60);
    out[25] = ' ', out[26] = 'G', out[27] = 'M', out[28] = 'T';
}

// A cursor over the text being parsed; every step either consumes exactly what it expects or
// fails, and the date is valid only if the whole text is consumed.
class Scanner {
  public:
    explicit Scanner(std::string_view text) noexcept : rest_(text) {}

    bool literal(std::string_view expected) noexcept {
        if (rest_.substr(0, expected.size()) != expected) return false;
        rest_.remove_prefix(expected.size());
        return true;
    }

    // Exactly `count` digits.
    std::optional<int> digits(std::size_t count) noexcept {
        if (rest_.size() < count) return std::nullopt;
        int value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            char c = rest_[i];
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + (c - '0');
        }
        rest_.remove_prefix(count);
        return value;
    }

    // One name out of `names`; returns its index.
    template <std::size_t N>
    std::optional<int> name(const std::array<std::string_view, N>& names) noexcept {
        for (std::size_t i = 0; i < N; ++i) {
            if (literal(names[i])) return static_cast<int>(i);
        }
        return std::nullopt;
    }

    bool at_end() const noexcept { return rest_.empty(); }

  private:
    std::string_view rest_;
};

struct DateFields {
    std::int64_t year = 0;
    int month = 0;  // 1-12
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
};

// time-of-day = hour ":" minute ":" second
bool scan_time_of_day(Scanner& in, DateFields& f) noexcept {
    auto hour = in.digits(2);
    if (!hour || !in.literal(":")) return false;
    auto minute = in.digits(2);
    if (!minute || !in.literal(":")) return false;
    auto second = in.digits(2);
    if (!second) return false;
    f.hour = *hour, f.minute = *minute, f.second = *second;
    return true;
}

bool scan_month(Scanner& in, DateFields& f) noexcept {
    auto month = in.name(kMonthNames);
    if (!month) return false;
    f.month = *month + 1;
    return true;
}

// IMF-fixdate: day-name "," SP day SP month SP year SP time-of-day SP "GMT"; the day name is
// already consumed.
bool scan_imf_fixdate(Scanner& in, DateFields& f) noexcept {
    if (!in.literal(", ")) return false;
    auto day = in.digits(2);
    if (!day || !in.literal(" ") || !scan_month(in, f) || !in.literal(" ")) return false;
    auto year = in.digits(4);
    if (!year || !in.literal(" ") || !scan_time_of_day(in, f) || !in.literal(" GMT")) return false;
    f.day = *day, f.year = *year;
    return in.at_end();
}

// asctime-date: day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year; the day name
// is already consumed.
bool scan_asctime(Scanner& in, DateFields& f) noexcept {
    if (!in.literal(" ") || !scan_month(in, f) || !in.literal(" ")) return false;
    auto day = in.literal(" ") ? in.digits(1) : in.digits(2);
    if (!day || !in.literal(" ") || !scan_time_of_day(in, f) || !in.literal(" ")) return false;
    auto year = in.digits(4);
    if (!year) return false;
    f.day = *day, f.year = *year;
    return in.at_end();
}

// rfc850-date: day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"; the day name is
// already consumed. The year is returned as its two digits.
bool scan_rfc850(Scanner& in, DateFields& f) noexcept {
    if (!in.literal(", ")) return false;
    auto day = in.digits(2);
    if (!day || !in.literal("-") || !scan_month(in, f) || !in.literal("-")) return false;
    auto year = in.digits(2);
    if (!year || !in.literal(" ") || !scan_time_of_day(in, f) || !in.literal(" GMT")) return false;
    f.day = *day, f.year = *year;
    return in.at_end();
}

bool fields_in_range(const DateFields& f) noexcept {
    return f.day >= 1 && f.day <= days_in_month(f.year, f.month) && f.hour <= 23 &&
           f.minute <= 59 && f.second <= 60;
}

std::int64_t to_seconds(const DateFields& f) noexcept {
    return days_from_civil(f.year, f.month, f.day) * kSecondsPerDay + f.hour * 3600 +
           f.minute * 60 + f.second;
}

// RFC 9110 §5.6.7: a two-digit year that "appears to be more than 50 years in the future" is the
// most recent past year with the same last two digits. So the year chosen is the one with those
// digits that falls in the hundred years ending 50 years after `now`.
void place_two_digit_year(DateFields& f, std::time_t now) noexcept {
    const std::int64_t now_seconds = static_cast<std::int64_t>(now);
    const std::int64_t now_days = floor_div(now_seconds, kSecondsPerDay);
    const CivilDate today = civil_from_days(now_days);
    const std::int64_t fifty_years_ahead =
        days_from_civil(today.year + 50, today.month, today.day) * kSecondsPerDay +
        (now_seconds - now_days * kSecondsPerDay);
    f.year += floor_div(today.year, 100) * 100;
    // A February 29th in a common year counts as March 1st here; fields_in_range rejects it later.
    if (to_seconds(f) > fifty_years_ahead) {
        f.year -= 100;
    } else {
        DateFields next_century = f;
        next_century.year += 100;
        if (to_seconds(next_century) <= fifty_years_ahead) f.year = next_century.year;
    }
}

}  // namespace

std::string format_http_date(std::time_t t) {
    char text[kHttpDateLength];
    format_into(t, text);
    return std::string(text, kHttpDateLength);
}

std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now) {
    Scanner in(text);
    DateFields f;
    bool parsed = false;
    if (in.name(kLongDayNames)) {
        parsed = scan_rfc850(in, f);
        if (parsed) place_two_digit_year(f, now);
    } else if (in.name(kDayNames)) {
        // The two remaining forms differ right after the day name: "," or SP.
        Scanner imf = in;
        parsed = scan_imf_fixdate(imf, f);
        if (!parsed) {
            f = {};
            parsed = scan_asctime(in, f);
        }
    }
    if (!parsed || !fields_in_range(f)) return std::nullopt;
    return static_cast<std::time_t>(to_seconds(f));
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
    return parse_http_date(text, std::time(nullptr));
}

std::string_view DateCache::now() {
    return at(std::time(nullptr));
}

std::string_view DateCache::at(std::time_t t) {
    if (formatted_second_ != t) {
        format_into(t, text_);
        formatted_second_ = t;
    }
    return {text_, kHttpDateLength};
}

}  // namespace cgikit::http
