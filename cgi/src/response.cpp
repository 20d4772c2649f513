#include "cgikit/response.hpp"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "cgikit/html.hpp"
#include "http_syntax.hpp"

namespace cgikit {
namespace {

// 1xx, 204 and 304 never carry a body (RFC 9110 §6.4.1).
constexpr bool status_forbids_body(int status) noexcept {
    return status < 200 || status == 204 || status == 304;
}

constexpr std::string_view kDefaultContentType = "text/plain; charset=utf-8";

constexpr bool is_ascii_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 3875 §6.3.2: Location is an absolute URI (scheme ":" ..., RFC 3986 §3.1) or a local path
// starting with one '/' ("//host" is a network-path reference), with no whitespace. Servers differ
// on anything else: Apache passes "thanks.html" or "?page=2" on, cgikitd answers 502. "/\host" is
// no abs-path either ('\' is not a pchar), and browsers read it as "//host" (the WHATWG URL parser
// takes '\' for '/' in http(s) URLs): an open redirect, so it is refused like "//host".
bool is_cgi_location(std::string_view value) noexcept {
    if (value.find_first_of(" \t") != std::string_view::npos) return false;
    if (value.starts_with('/')) {
        return value.size() == 1 || (value[1] != '/' && value[1] != '\\');
    }
    const std::size_t colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_ascii_alpha(value.front())) {
        return false;
    }
    for (const char c : value.substr(0, colon)) {
        const bool scheme_char =
            is_ascii_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
        if (!scheme_char) return false;
    }
    return true;
}

}  // namespace

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 203:
            return "Non-Authoritative Information";
        case 204:
            return "No Content";
        case 205:
            return "Reset Content";
        case 206:
            return "Partial Content";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 407:
            return "Proxy Authentication Required";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 421:
            return "Misdirected Request";
        case 422:
            return "Unprocessable Content";
        case 426:
            return "Upgrade Required";
        case 428:
            return "Precondition Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 451:
            return "Unavailable For Legal Reasons";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

bool is_valid_header_name(std::string_view name) noexcept {
    return syntax::is_token(name);
}

bool is_valid_header_value(std::string_view value) noexcept {
    for (char c : value) {
        if (syntax::is_ctl(c) && c != '\t') return false;
    }
    return true;
}

OutputWriter fd_writer(int fd) {
    return [fd](std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t written = ::write(fd, bytes.data(), bytes.size());
            if (written < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(written));
        }
        return true;
    };
}

Response::Response() : Response(fd_writer(STDOUT_FILENO)) {}
Response::Response(OutputWriter out) : out_(std::move(out)) {}
Response::Response(Response&&) noexcept = default;
Response& Response::operator=(Response&&) noexcept = default;
Response::~Response() = default;

Error Response::check_mutable() const {
    if (head_sent_) return Error(Errc::internal_error, "response head already sent");
    return {};
}

Error Response::set_status(int status) {
    if (auto error = check_mutable()) return error;
    if (status < 200 || status > 599) {
        return Error(Errc::internal_error, "status " + std::to_string(status) + " is not 200..599");
    }
    status_ = status;
    return {};
}

Error Response::validate_header(std::string_view name, std::string_view value,
                                std::string_view& trimmed) const {
    if (auto error = check_mutable()) return error;
    if (!is_valid_header_name(name)) {
        return Error(Errc::internal_error, "header name is not a token");
    }
    if (syntax::iequals(name, "Status")) {
        return Error(Errc::internal_error, "Status is set with set_status(), not as a header");
    }
    if (!is_valid_header_value(value)) {
        return Error(Errc::internal_error, "value of header " + std::string(name) +
                                               " has a control byte (CR, LF, NUL...)");
    }
    trimmed = syntax::trim_ows(value);
    if (syntax::iequals(name, "Location") && !is_cgi_location(trimmed)) {
        return Error(Errc::internal_error,
                     "Location must be an absolute URI or a path starting with one '/' (RFC 3875 "
                     "§6.3.2)");
    }
    return {};
}

Error Response::set_header(std::string_view name, std::string_view value) {
    std::string_view trimmed;
    if (auto error = validate_header(name, value, trimmed)) return error;
    remove_header(name);
    headers_.emplace_back(name, trimmed);
    return {};
}

Error Response::add_header(std::string_view name, std::string_view value) {
    std::string_view trimmed;
    if (auto error = validate_header(name, value, trimmed)) return error;
    headers_.emplace_back(name, trimmed);
    return {};
}

void Response::remove_header(std::string_view name) {
    if (head_sent_) return;
    std::erase_if(headers_, [name](const Header& h) { return syntax::iequals(h.first, name); });
}

std::optional<std::string_view> Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers_) {
        if (syntax::iequals(key, name)) return value;
    }
    return std::nullopt;
}

Error Response::redirect(std::string_view location, int status) {
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        return Error(Errc::internal_error,
                     "redirect status " + std::to_string(status) + " is not 301/302/303/307/308");
    }
    if (location.empty()) return Error(Errc::internal_error, "redirect to an empty location");
    if (auto error = check_mutable()) return error;
    if (auto error = set_header("Location", location)) return error;
    status_ = status;
    std::string page = "<!DOCTYPE html>\n<title>";
    page += reason_phrase(status);
    page += "</title>\n<p>The document has moved <a href=\"";
    append_escaped_html_attribute(page, location);
    page += "\">here</a>.</p>\n";
    set_body("text/html; charset=utf-8", std::move(page));
    return {};
}

Error Response::set_cookie(const SetCookie& cookie) {
    if (auto error = check_mutable()) return error;
    std::string value;
    if (auto error = format_set_cookie(cookie, value)) return error;
    return add_header("Set-Cookie", value);
}

void Response::set_body(std::string_view type, std::string body) {
    // A refused type is a programming error that must not leak into the head: fall back.
    if (set_content_type(type)) (void)set_content_type("application/octet-stream");
    body_ = std::move(body);
}

void Response::set_json(const nlohmann::json& value, int indent) {
    set_body("application/json",
             value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool Response::body_allowed() const noexcept {
    return !status_forbids_body(status_);
}

std::string Response::format_head() const {
    std::string head;
    head.reserve(128);
    // RFC 3875 §6.2.3: a Location with no other status is a client redirect, which the server
    // answers with 302. Sent as "Status: 200" it is no CGI response type, and servers disagree on
    // it (Apache redirects, cgikitd sends an empty 200), so it goes out as the 302 it means.
    const int status = status_ == 200 && header("Location") ? 302 : status_;
    head += "Status: ";
    head += std::to_string(status);
    head += ' ';
    head += reason_phrase(status);
    head += "\r\n";
    const bool has_body = body_allowed();
    if (has_body && !header("Content-Type")) {
        head += "Content-Type: ";
        head += kDefaultContentType;
        head += "\r\n";
    }
    for (const auto& [name, value] : headers_) {
        const bool is_length = syntax::iequals(name, "Content-Length");
        if (is_length && !streaming_) continue;  // buffered: replaced by the true length below
        if (!has_body && (is_length || syntax::iequals(name, "Content-Type"))) continue;
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    if (has_body && !streaming_) {
        head += "Content-Length: ";
        head += std::to_string(body_.size());
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

bool Response::send(std::string_view bytes) {
    if (bytes.empty() || write_failed_) return !write_failed_;
    if (!out_(bytes)) write_failed_ = true;
    return !write_failed_;
}

bool Response::start_streaming() {
    if (head_sent_) return !write_failed_;
    streaming_ = true;
    send(format_head());
    head_sent_ = true;
    if (!body_.empty()) {
        if (body_allowed() && !head_only_) send(body_);
        body_.clear();
    }
    return !write_failed_;
}

bool Response::write(std::string_view bytes) {
    if (!head_sent_) {
        body_.append(bytes);
        return true;
    }
    if (finished_ || head_only_ || !body_allowed()) return !write_failed_;
    return send(bytes);
}

bool Response::finish() {
    if (finished_) return !write_failed_;
    if (!head_sent_) {
        std::string head = format_head();
        head_sent_ = true;
        if (body_allowed() && !head_only_) {
            // One write for small responses: fewer syscalls, and the server sees a whole response.
            if (body_.size() <= 16384) {
                head += body_;
                send(head);
            } else {
                send(head);
                send(body_);
            }
        } else {
            send(head);
        }
        body_.clear();
    }
    finished_ = true;
    return !write_failed_;
}

void Response::adopt(Response&& other) {
    if (other.head_sent_ || head_sent_) {
        other.finish();
        return;
    }
    status_ = other.status_;
    headers_ = std::move(other.headers_);
    body_ = std::move(other.body_);
    head_only_ = head_only_ || other.head_only_;
}

bool Response::reset() {
    if (head_sent_) return false;
    status_ = 200;
    headers_.clear();
    body_.clear();
    return true;
}

}  // namespace cgikit
