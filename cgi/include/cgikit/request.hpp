#pragma once
// The request a CGI program receives (RFC 3875 §4): meta-variables from the environment, the body
// on stdin. Request::from_environment() reads both once, within Limits, and parses what the
// Content-Type says: urlencoded and multipart forms into form() and files(), JSON into json(),
// anything else kept as body(). For tests, Request::from() takes the variables as a map and the
// body as a string or stream, with no server involved.
//
// Reading is bounded and never throws: at most CONTENT_LENGTH bytes are read (RFC 3875 §4.2), in
// 64 KiB chunks; a declared length over Limits::max_body_bytes is refused before anything is read
// or allocated. Without CONTENT_LENGTH there is no body, except when HTTP_TRANSFER_ENCODING ends in
// "chunked": Apache's mod_cgi and mod_cgid pass such a request de-chunked with no CONTENT_LENGTH,
// so the body is then read to the end of input, and one over max_body_bytes is refused (413) at
// its first byte past the limit. Multipart is streamed through the push parser so uploads go to
// temp files as they arrive. Malformed or oversized input becomes error() (400 / 413 / 415), never
// an exception: check ok() first, or let run() (run.hpp) answer with the error status.
//
// After such an error, from_fd() and from_environment() read and drop the rest of the body from a
// pipe or socket (never past CONTENT_LENGTH; at most 1 GiB) before returning: under Apache mod_cgid
// stdin and stdout are one socket, and exiting with body bytes unread resets it, losing the answer.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgikit/error.hpp"
#include "cgikit/limits.hpp"
#include "cgikit/params.hpp"
#include "cgikit/upload.hpp"

namespace cgikit {

namespace detail {
class BodySource;
}

// Meta-variables by name (std::less<> allows lookups by string_view).
using Environment = std::map<std::string, std::string, std::less<>>;

// With leave_unread, read the whole body before answering: under Apache mod_cgid an answer sent
// with body bytes unread can be lost (see above).
enum class BodyHandling {
    parse,         // forms, multipart and JSON are decoded; other types kept in body()
    raw,           // the body is read into body() and not decoded
    leave_unread,  // stdin is not touched: the program reads it itself
};

struct RequestOptions {
    Limits limits;
    BodyHandling body = BodyHandling::parse;
    // Where upload temp files go ("" = $TMPDIR or /tmp).
    std::string temp_directory;
    // All uploads held in memory together (see UploadOptions::memory_budget_bytes).
    std::size_t upload_memory_budget_bytes = UploadOptions{}.memory_budget_bytes;
    // Set to take upload content yourself (see upload.hpp); consulted once per file part.
    UploadSinkFactory upload_sink;
    // Called after each chunk of the body is read: bytes read so far, CONTENT_LENGTH (0 when the
    // length is unknown: a chunked request under Apache).
    std::function<void(std::uint64_t read, std::uint64_t total)> on_progress;
    // JSON bodies nested deeper than this are refused (400): nlohmann::json serialises and compares
    // recursively, so a "[[[[..." body of max_body_bytes could otherwise exhaust the stack.
    std::size_t max_json_depth = 256;
    // JSON bodies longer than this are refused (413) before they are read: the parsed tree can be
    // many times its text (an estimate, not a measurement: "0," is 2 bytes of text and a 16-byte
    // nlohmann::json element, up to twice that with vector growth, so ~8-16x), and 1 MiB is far
    // above what forms and API calls post. Raise it for bulk JSON uploads.
    std::size_t max_json_bytes = std::size_t{1} << 20;
};

class Request {
  public:
    // The real thing: the process environment and stdin (fd 0).
    static Request from_environment(const RequestOptions& options = {});
    // For tests and tools: explicit variables and body (CONTENT_LENGTH is taken from `env` as
    // always; set it to the body size).
    static Request from(Environment env, std::string_view body = {},
                        const RequestOptions& options = {});
    static Request from(Environment env, std::istream& body, const RequestOptions& options = {});
    // Variables from `env`, body read from file descriptor `fd`.
    static Request from_fd(Environment env, int fd, const RequestOptions& options = {});

    Request(Request&&) noexcept;
    Request& operator=(Request&&) noexcept;
    ~Request();

    // --- outcome ---
    bool ok() const noexcept { return !error_; }
    // What was wrong with the request (falsy if nothing); error().http_status() is the answer.
    const Error& error() const noexcept { return error_; }

    // --- meta-variables (RFC 3875 §4.1) ---
    // Any variable by name (also the non-standard ones servers add: REQUEST_URI, HTTPS, ...).
    std::optional<std::string_view> env(std::string_view name) const;
    const Environment& environment() const noexcept { return env_; }
    std::string_view env_or_empty(std::string_view name) const;

    std::string_view method() const { return env_or_empty("REQUEST_METHOD"); }
    std::string_view auth_type() const { return env_or_empty("AUTH_TYPE"); }
    // CONTENT_LENGTH as a number (nullopt if absent, also for a chunked body under Apache; an
    // invalid one makes error() a 400).
    std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
    std::string_view content_type() const { return env_or_empty("CONTENT_TYPE"); }
    // "type/subtype" of CONTENT_TYPE, lowercased ("" if none or malformed).
    const std::string& media_type() const noexcept { return media_type_; }
    std::string_view gateway_interface() const { return env_or_empty("GATEWAY_INTERFACE"); }
    std::string_view path_info() const { return env_or_empty("PATH_INFO"); }
    std::string_view path_translated() const { return env_or_empty("PATH_TRANSLATED"); }
    std::string_view query_string() const { return env_or_empty("QUERY_STRING"); }
    std::string_view remote_addr() const { return env_or_empty("REMOTE_ADDR"); }
    std::string_view remote_host() const { return env_or_empty("REMOTE_HOST"); }
    std::string_view remote_ident() const { return env_or_empty("REMOTE_IDENT"); }
    std::string_view remote_user() const { return env_or_empty("REMOTE_USER"); }
    std::string_view script_name() const { return env_or_empty("SCRIPT_NAME"); }
    std::string_view server_name() const { return env_or_empty("SERVER_NAME"); }
    std::optional<std::uint16_t> server_port() const;
    std::string_view server_protocol() const { return env_or_empty("SERVER_PROTOCOL"); }
    std::string_view server_software() const { return env_or_empty("SERVER_SOFTWARE"); }
    // REQUEST_URI, which cgikitd and Apache both set (not in RFC 3875).
    std::string_view request_uri() const { return env_or_empty("REQUEST_URI"); }
    // HTTPS=on/1 (Apache mod_ssl, cgikitd) or REQUEST_SCHEME=https.
    bool is_https() const;

    // --- headers (RFC 3875 §4.1.18: HTTP_* variables; Content-Type/-Length from CONTENT_*) ---
    // One request header by name, case-insensitively ("User-Agent" reads HTTP_USER_AGENT).
    std::optional<std::string_view> header(std::string_view name) const;
    // All of them, names rebuilt as "Accept-Language" (the server turned '-' into '_' and
    // uppercased; servers drop headers whose names had '_', and may withhold Authorization).
    std::vector<std::pair<std::string, std::string>> headers() const;

    // --- decoded data ---
    const Params& query() const noexcept { return query_; }
    const Params& form() const noexcept { return form_; }
    const Params& cookies() const noexcept { return cookies_; }
    std::optional<std::string_view> cookie(std::string_view name) const {
        return cookies_.get(name);
    }
    // A form field, else a query parameter, by name (bytes).
    std::optional<std::string_view> get(std::string_view name) const;
    // The same as T (see parse_as in params.hpp).
    template <class T>
    std::optional<T> get(std::string_view name) const {
        const auto value = get(name);
        if (!value) return std::nullopt;
        return parse_as<T>(*value);
    }
    template <class T>
    std::optional<T> get(std::string_view name, T min, T max) const {
        return form_.contains(name) ? form_.get<T>(name, min, max) : query_.get<T>(name, min, max);
    }

    // A form field, else a query parameter, with invalid UTF-8 replaced by U+FFFD (safe to show).
    std::optional<std::string> get_text(std::string_view name) const {
        return form_.contains(name) ? form_.get_text(name) : query_.get_text(name);
    }

    // Uploaded files in request order.
    const std::vector<Upload>& files() const noexcept { return files_; }
    std::vector<Upload>& files() noexcept { return files_; }
    // The first upload of form field `field`, or nullptr.
    const Upload* file(std::string_view field) const noexcept;

    // The raw body (not for multipart, which is streamed, nor with BodyHandling::leave_unread).
    const std::string& body() const noexcept { return body_; }
    // The parsed body when the media type is application/json or */*+json and the body is not
    // empty; null otherwise (a body that is not valid JSON makes error() a 400).
    const nlohmann::json& json() const noexcept { return json_; }
    bool has_json() const noexcept { return has_json_; }

  private:
    Request() = default;
    static Request build(Environment env, detail::BodySource* source,
                         const RequestOptions& options);
    Error parse_meta(const RequestOptions& options);
    Error read_body(detail::BodySource& source, const RequestOptions& options);
    Error read_multipart(detail::BodySource& source, const RequestOptions& options);
    Error read_whole(detail::BodySource& source, const RequestOptions& options);
    Error parse_json(const RequestOptions& options);

    Environment env_;
    Error error_;
    std::optional<std::uint64_t> content_length_;
    std::string media_type_;
    Params query_;
    Params form_;
    Params cookies_;
    std::vector<Upload> files_;
    std::string body_;
    nlohmann::json json_;
    bool has_json_ = false;
};

// Whether JSON text nests arrays/objects deeper than `max_depth` (strings are skipped properly).
bool json_nesting_exceeds(std::string_view text, std::size_t max_depth) noexcept;

}  // namespace cgikit
