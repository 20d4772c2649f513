#include "cgikit/set_cookie.hpp"

#include <array>

#include "http_syntax.hpp"

namespace cgikit {
namespace {

// cookie-octet (RFC 6265 §4.1.1): %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
constexpr bool is_cookie_octet(char c) noexcept {
    const auto byte = static_cast<unsigned char>(c);
    return byte == 0x21 || (byte >= 0x23 && byte <= 0x2b) || (byte >= 0x2d && byte <= 0x3a) ||
           (byte >= 0x3c && byte <= 0x5b) || (byte >= 0x5d && byte <= 0x7e);
}

bool is_cookie_value(std::string_view value) noexcept {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }
    for (char c : value) {
        if (!is_cookie_octet(c)) return false;
    }
    return true;
}

// domain-value (RFC 6265 §4.1.1 → RFC 1034 §3.5 subdomain, RFC 1123 §2.1 leading digits):
// letters, digits, '-' and '.', with an optional leading '.' that user agents ignore.
bool is_domain_value(std::string_view domain) noexcept {
    if (!domain.empty() && domain.front() == '.') domain.remove_prefix(1);
    if (domain.empty() || domain.size() > 253) return false;
    for (char c : domain) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!allowed) return false;
    }
    return domain.front() != '.' && domain.back() != '.' &&
           domain.find("..") == std::string_view::npos;
}

// path-value (RFC 6265 §4.1.1): any CHAR except CTLs or ';'. It must also start with '/': user
// agents ignore any other Path and store the cookie under the default path instead (§5.2.4), so a
// later deletion with the same Path would miss it. Browsers ignore an attribute value over
// kMaxCookieAttributeBytes (RFC 6265bis §5.6).
bool is_path_value(std::string_view path) noexcept {
    if (!path.starts_with('/') || path.size() > kMaxCookieAttributeBytes) return false;
    for (char c : path) {
        if (syntax::is_ctl(c) || c == ';' || static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

// The cookie name prefixes are matched case-insensitively by user agents (RFC 6265bis §5.7, the
// storage model, as in Chrome, Firefox and Safari): "__HOST-id" without Secure is dropped as well,
// and servers that compare names case-insensitively must not see it without the prefix's
// guarantees.
bool has_name_prefix(std::string_view name, std::string_view prefix) noexcept {
    return name.size() >= prefix.size() && syntax::iequals(name.substr(0, prefix.size()), prefix);
}

Error refuse(std::string why) {
    return Error(Errc::internal_error, "Set-Cookie refused: " + why);
}

void append_two_digits(std::string& out, unsigned value) {
    out.push_back(static_cast<char>('0' + value / 10 % 10));
    out.push_back(static_cast<char>('0' + value % 10));
}

}  // namespace

SetCookie SetCookie::deletion(std::string name, std::string path, std::string domain) {
    SetCookie cookie;
    cookie.name = std::move(name);
    cookie.path = std::move(path);
    cookie.domain = std::move(domain);
    cookie.max_age = std::chrono::seconds{0};
    cookie.expires = std::chrono::sys_seconds{};  // 1970: for user agents without Max-Age
    return cookie;
}

std::string format_http_date(std::chrono::sys_seconds time) {
    using namespace std::chrono;
    static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                         "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const sys_days day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    std::string out;
    out.reserve(29);
    out += kDays[weekday{day}.c_encoding()];
    out += ", ";
    append_two_digits(out, static_cast<unsigned>(date.day()));
    out += ' ';
    out += kMonths[static_cast<unsigned>(date.month()) - 1];
    out += ' ';
    const auto year = static_cast<unsigned>(static_cast<int>(date.year()));
    append_two_digits(out, year / 100);
    append_two_digits(out, year % 100);
    out += ' ';
    append_two_digits(out, static_cast<unsigned>(clock.hours().count()));
    out += ':';
    append_two_digits(out, static_cast<unsigned>(clock.minutes().count()));
    out += ':';
    append_two_digits(out, static_cast<unsigned>(clock.seconds().count()));
    out += " GMT";
    return out;
}

Error format_set_cookie(const SetCookie& cookie, std::string& out) {
    if (!syntax::is_token(cookie.name)) return refuse("cookie name is not a token");
    if (!is_cookie_value(cookie.value)) {
        return refuse("cookie value of '" + cookie.name +
                      "' has bytes outside cookie-octet (encode it with cookie_value_encode)");
    }
    if (cookie.name.size() + cookie.value.size() > kMaxCookieNameValueBytes) {
        return refuse("cookie '" + cookie.name + "' is over 4096 bytes");
    }
    if (!cookie.domain.empty() && !is_domain_value(cookie.domain)) {
        return refuse("Domain of '" + cookie.name + "' is not a host name");
    }
    if (!cookie.path.empty() && !is_path_value(cookie.path)) {
        return refuse("Path of '" + cookie.name +
                      "' does not start with '/', is over 1024 bytes, or has a control byte, ';' "
                      "or non-ASCII");
    }
    if (cookie.same_site == SameSite::none && !cookie.secure) {
        return refuse("SameSite=None on '" + cookie.name + "' requires Secure");
    }
    if (cookie.partitioned && !cookie.secure) {
        return refuse("Partitioned on '" + cookie.name + "' requires Secure");
    }
    // Name prefixes (RFC 6265bis §4.1.3): browsers drop such cookies unless these hold.
    const std::string_view name = cookie.name;
    const bool host_prefix = has_name_prefix(name, "__Host-");
    if ((has_name_prefix(name, "__Secure-") || host_prefix) && !cookie.secure) {
        return refuse("cookie '" + cookie.name + "' has a __Secure-/__Host- prefix: needs Secure");
    }
    if (host_prefix && (!cookie.domain.empty() || cookie.path != "/")) {
        return refuse("cookie '" + cookie.name +
                      "' has the __Host- prefix: needs Path=/, no Domain");
    }
    if (cookie.expires) {
        const auto year =
            std::chrono::year_month_day{floor<std::chrono::days>(*cookie.expires)}.year();
        if (year < std::chrono::year{1601} || year > std::chrono::year{9999}) {
            return refuse("Expires of '" + cookie.name + "' is outside years 1601..9999");
        }
    }

    out.clear();
    out += cookie.name;
    out += '=';
    out += cookie.value;
    if (cookie.expires) {
        out += "; Expires=";
        out += format_http_date(*cookie.expires);
    }
    if (cookie.max_age) {
        out += "; Max-Age=";
        out += std::to_string(cookie.max_age->count() > 0 ? cookie.max_age->count() : 0);
    }
    if (!cookie.domain.empty()) {
        out += "; Domain=";
        out += cookie.domain;
    }
    if (!cookie.path.empty()) {
        out += "; Path=";
        out += cookie.path;
    }
    if (cookie.secure) out += "; Secure";
    if (cookie.http_only) out += "; HttpOnly";
    switch (cookie.same_site) {
        case SameSite::unset:
            break;
        case SameSite::strict:
            out += "; SameSite=Strict";
            break;
        case SameSite::lax:
            out += "; SameSite=Lax";
            break;
        case SameSite::none:
            out += "; SameSite=None";
            break;
    }
    if (cookie.partitioned) out += "; Partitioned";
    return {};
}

std::string cookie_value_encode(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (is_cookie_octet(c) && c != '%') {
            out.push_back(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0f]);
        }
    }
    return out;
}

}  // namespace cgikit
