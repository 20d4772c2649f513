#pragma once
// A CGI response (RFC 3875 §6): a header block (Status, Content-Type, Location, other fields, each
// line ending in CRLF, then an empty line) followed by the body, written to stdout. The same output
// works under cgikitd and Apache mod_cgi.
//
// Header injection is impossible by construction: names must be tokens and values may not contain
// CR, LF, NUL or other control bytes (HTAB excepted); anything else is refused as an error value
// and the header is not set. Status is set through set_status(), never as a header.
//
// Two ways to send the body:
//   buffered (default): write() appends to body(); finish() sends head + body, with a
//             Content-Length that is always the true size of body() (any set by hand is replaced).
//   streamed: start_streaming() sends the head now (no Content-Length unless the program set one:
//             the server frames the body); each later write() goes straight out.
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgikit/error.hpp"
#include "cgikit/set_cookie.hpp"

namespace cgikit {

// The RFC 9110 §15 reason phrase, or "Unknown" for a code without one.
std::string_view reason_phrase(int status) noexcept;

// field-name = token (RFC 9110 §5.1).
bool is_valid_header_name(std::string_view name) noexcept;
// field-value (RFC 9110 §5.5): visible ASCII, obs-text, SP and HTAB only; no CR, LF, NUL, CTLs.
bool is_valid_header_value(std::string_view value) noexcept;

// Where the response bytes go: returns false if they could not be written (e.g. the server closed
// the pipe). The default writes to file descriptor 1.
using OutputWriter = std::function<bool(std::string_view bytes)>;
// An OutputWriter that writes everything to `fd`, retrying partial writes and EINTR.
OutputWriter fd_writer(int fd);

class Response {
  public:
    using Header = std::pair<std::string, std::string>;

    // 200, writing to stdout.
    Response();
    explicit Response(OutputWriter out);
    Response(Response&&) noexcept;
    Response& operator=(Response&&) noexcept;
    Response(const Response&) = delete;
    Response& operator=(const Response&) = delete;
    ~Response();

    // --- head (refused with an Errc::internal_error once the head has been sent) ---

    // A three-digit status 200..599 (1xx are the server's business, not a CGI program's). With a
    // Location header, a status left at 200 is sent as 302 Found (RFC 3875 §6.2.3 client
    // redirect): servers disagree on "200 + Location" (Apache redirects, cgikitd would not).
    Error set_status(int status);
    int status() const noexcept { return status_; }

    // Replaces every header called `name` (compared case-insensitively) by one with `value`.
    // Leading and trailing spaces/tabs of the value are dropped. "Status" is refused (use
    // set_status).
    Error set_header(std::string_view name, std::string_view value);
    // Adds one more header line, keeping existing ones with that name (e.g. Link, Vary).
    Error add_header(std::string_view name, std::string_view value);
    void remove_header(std::string_view name);
    // The first value of `name` (case-insensitive).
    std::optional<std::string_view> header(std::string_view name) const;
    const std::vector<Header>& headers() const noexcept { return headers_; }

    // Content-Type. When a response with a body never sets one, "text/plain; charset=utf-8" is sent
    // (RFC 3875 §6.3.1 demands a Content-Type with every document).
    Error set_content_type(std::string_view type) { return set_header("Content-Type", type); }

    // A client redirect (RFC 3875 §6.2.4, RFC 9110 §15.4): Status 301, 302, 303, 307 or 308 plus
    // Location, and a short HTML body with the link. Use 303 after a POST so that the browser
    // follows with a GET. `location` (like any Location set with set_header) must be an absolute
    // URI ("https://host/x") or a path starting with one '/' ("/app/done?id=3"), without spaces
    // (RFC 3875 §6.3.2): a relative reference ("done.html", "?page=2", "//host/x") is refused, as
    // servers disagree on it (Apache passes it on, cgikitd answers 502). Build the path from
    // Request::script_name().
    Error redirect(std::string_view location, int status = 302);

    // Appends a Set-Cookie header (see set_cookie.hpp for what is refused).
    Error set_cookie(const SetCookie& cookie);

    // --- body ---

    // Appends bytes to the body; once streaming, sends them at once (false: the write failed).
    bool write(std::string_view bytes);
    // The buffered body (before finish()); replace or edit it freely.
    std::string& body() noexcept { return body_; }
    const std::string& body() const noexcept { return body_; }

    // Content-Type `type` and the whole body at once.
    void set_body(std::string_view type, std::string body);
    // application/json with value.dump(indent); invalid UTF-8 in strings becomes U+FFFD.
    void set_json(const nlohmann::json& value, int indent = -1);

    // A HEAD request's response: the head as for GET (with the same Content-Length) but no body.
    void set_head_only(bool head_only) noexcept { head_only_ = head_only; }

    // Sends the head now; later write()s go straight to the output. The buffered body, if any, is
    // sent right after the head. False: the write failed.
    bool start_streaming();
    bool streaming() const noexcept { return streaming_; }
    bool head_sent() const noexcept { return head_sent_; }

    // Sends whatever has not been sent: the head (if not yet) and the buffered body. Idempotent.
    // False if any write failed.
    bool finish();
    bool finished() const noexcept { return finished_; }

    // Drops status, headers and buffered body (not possible after the head was sent: returns
    // false).
    bool reset();

    // Takes over another response's status, headers, body and mode (what run() does with a
    // handler's returned Response). If `other` already sent its head, it is finished instead.
    void adopt(Response&& other);

    // The CGI header block as it would be sent now, ending with the empty line.
    std::string format_head() const;

  private:
    bool send(std::string_view bytes);
    bool body_allowed() const noexcept;
    Error check_mutable() const;
    Error validate_header(std::string_view name, std::string_view value,
                          std::string_view& trimmed) const;

    OutputWriter out_;
    int status_ = 200;
    std::vector<Header> headers_;
    std::string body_;
    bool head_only_ = false;
    bool streaming_ = false;
    bool head_sent_ = false;
    bool finished_ = false;
    bool write_failed_ = false;
};

}  // namespace cgikit
