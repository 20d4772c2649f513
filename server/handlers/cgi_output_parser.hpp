#pragma once
// CgiOutputParser: the head of a (non-NPH) script's output, RFC 3875 §6, parsed incrementally as
// hostile input. Feed it the bytes read from the child's stdout as they arrive; once it reports
// HeadersDone, head() says what to send and body_offset() where the body starts in the last
// chunk fed. The result does not depend on how the output was split into chunks.
//
// Syntax (anything else -> Invalid, which the server answers with 502):
//   - header lines end in LF or CRLF; a bare CR, a control byte other than HTAB in a value, a
//     name that is not a token (RFC 9110 §5.6.2), whitespace before the colon or a line starting
//     with whitespace (obs-fold, RFC 9112 §5.2) is invalid; values are trimmed;
//   - a line longer than max_header_line_bytes (not counting its CRLF/LF), a head longer than
//     max_header_bytes (counting line ends and the blank line), more than max_header_fields
//     fields, end of output before the blank line, or no output at all.
// Meaning (RFC 3875 §6.2, §6.3):
//   - Status: "NNN" or "NNN reason", NNN in 200..599 (a 1xx final status would make the client
//     wait for another response); never forwarded. Repeated Status, Location or Content-Type is
//     invalid. Transfer-Encoding is invalid (the server frames the body; CVE-2024-24795).
//   - Content-Length: digits only; repeats must agree; exposed in content_length and not
//     forwarded (the response writer adds its own).
//   - Location: an absolute URI (scheme ":" ...) or an abs-path ("/x", not "//x"); else invalid.
//       abs-path, the only field, no '#'          -> LocalRedirect (the server serves it as GET)
//       no Status                                 -> ClientRedirect, 302, script body dropped
//       Status and Content-Type                   -> ClientRedirectWithDocument, body forwarded
//       Status, no Content-Type                   -> ClientRedirect with that status, no body
//     An abs-path Location next to other fields (say Set-Cookie) is thus a client redirect with a
//     relative Location (RFC 9110 §10.2.2), not an internal one: the other fields would be lost.
//   - no Location: Document. Content-Type is required when there is a body (RFC 3875 §6.3.1):
//     a head without one (and whose status allows a body) is only complete at the end of the
//     output, with content_length 0, or at once if it says "Content-Length: 0"; a first body
//     byte makes it invalid instead.
//   - 205 Reset Content: never a body (the caller drops it) and content_length 0 (RFC 9110
//     §15.3.6).
//   - Dropped from the forwarded fields: Status, Content-Length, hop-by-hop fields (Connection,
//     Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, and any named in Connection, RFC 9110
//     §7.6.1), Date and Server (the response writer adds its own); for ClientRedirect also
//     Content-Type. Everything else, Set-Cookie repeats included, is forwarded in order.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/cgi_settings.hpp"
#include "http/headers.hpp"

namespace cgikit::handlers {

enum class CgiOutputState { NeedMore, HeadersDone, Invalid };

enum class CgiResponseKind { Document, LocalRedirect, ClientRedirect, ClientRedirectWithDocument };

struct CgiResponseHead {
    CgiResponseKind kind = CgiResponseKind::Document;
    int status = 200;
    std::string reason;     // the reason phrase after a Status code, "" when none was given
    http::Headers headers;  // the fields to forward (see above)
    std::string location;   // the Location value, "" when none
    // LocalRedirect: the Location split at the first '?', still percent-encoded.
    std::string local_path;
    std::string local_query;
    bool local_has_query = false;
    // The script's own Content-Length: the caller sends at most this many body bytes and closes
    // the connection if the script sends fewer (never a desynchronised stream).
    std::optional<std::uint64_t> content_length;
    // False for ClientRedirect, LocalRedirect, statuses that forbid a body (204, 304) and 205
    // (RFC 9110 §15.3.6: no content, framed as Content-Length: 0, which content_length then
    // says): the script's body is read and discarded.
    bool forwards_body() const noexcept;
};

// 205 Reset Content: the one status whose response must be framed as empty.
inline constexpr int kResetContent = 205;

class CgiOutputParser {
  public:
    explicit CgiOutputParser(const CgiSettings& settings) noexcept;

    // Consumes output bytes. Once HeadersDone, the body starts at body_offset() within `bytes`;
    // later calls consume nothing, return HeadersDone and set body_offset() to 0 (all body).
    CgiOutputState feed(std::string_view bytes);
    // The child's stdout reached end of file. NeedMore becomes Invalid (no output at all, or
    // end of output before the blank line); other states stay.
    CgiOutputState finish();

    CgiOutputState state() const noexcept { return state_; }
    std::size_t body_offset() const noexcept { return body_offset_; }
    // Valid once HeadersDone.
    const CgiResponseHead& head() const noexcept { return head_; }
    CgiResponseHead take_head() noexcept { return std::move(head_); }
    // Why the output is Invalid, for the error log ("" otherwise).
    const std::string& error() const noexcept { return error_; }

  private:
    enum class LineState { InLine, AfterCr };
    // Head: reading header lines. UntypedDocument: the head ended without the Content-Type a
    // body would need; valid only if the output ends here (RFC 3875 §6.3.1).
    enum class Phase { Head, UntypedDocument };

    // Both return false once the output is invalid.
    bool consume_byte(char c);
    bool complete_line();
    bool parse_field(std::string_view line);
    void classify();
    void fail(std::string reason);

    std::size_t max_line_bytes_;
    std::size_t max_head_bytes_;
    std::size_t max_fields_;

    CgiOutputState state_ = CgiOutputState::NeedMore;
    Phase phase_ = Phase::Head;
    LineState line_state_ = LineState::InLine;
    std::string line_;
    std::size_t head_bytes_ = 0;
    std::size_t body_offset_ = 0;
    http::Headers fields_;  // every field as the script sent it (names validated, values trimmed)
    CgiResponseHead head_;
    std::string error_;
};

}  // namespace cgikit::handlers
