#pragma once
// multipart/form-data (RFC 7578, syntax of RFC 2046 §5.1.1) as a push parser: feed() the body in
// chunks of any size and it calls a handler with part begin (parsed headers) / data / end. Memory
// is bounded: part data is handed on as it arrives, holding back only bytes that could start a
// delimiter line (at most boundary length + 4, + 65 while its transport padding is read), and a
// part's header block is bounded by Limits::max_part_header_bytes. Results do not depend on how
// the input is split.
//
// Accepted syntax: a preamble (ignored) before the first "--boundary"; delimiter lines may carry
// trailing spaces/tabs (RFC 2046 transport padding) before CRLF; "\r\n--boundary" followed by
// anything other than "--", LWSP or CRLF is content, not a delimiter; after the close delimiter
// "--boundary--" the epilogue is ignored. A body that ends before the close delimiter is an error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgikit/error.hpp"
#include "cgikit/limits.hpp"

namespace cgikit {

// The boundary parameter of a Content-Type value such as `multipart/form-data; boundary=xyz`:
// quoted (with backslash escapes) or a token, parameter names case-insensitive, in any position.
// nullopt if absent, duplicated, malformed, or not a valid RFC 2046 boundary (1..70 bchars, not
// ending in a space). The media type itself is not checked: compare media_type_essence() for that.
std::optional<std::string> boundary_from_content_type(std::string_view content_type);

// "type/subtype" of a Content-Type value, lowercased, without parameters or whitespace ("" if
// malformed): media_type_essence("Multipart/Form-Data; boundary=x") == "multipart/form-data".
std::string media_type_essence(std::string_view content_type);

// What a part's headers say about it (RFC 7578 §4.2, §4.4).
struct PartHeaders {
    std::string name;  // Content-Disposition `name` ("" if absent)
    // Content-Disposition `filename`; `filename*=UTF-8''...` (RFC 5987/8187) is preferred when
    // present. Present (even "") means a file part: `filename=""` is an empty file input.
    std::optional<std::string> filename;
    std::string content_type = "text/plain";  // as sent; "text/plain" if absent (RFC 7578 §4.4)
    // Every header line in order: name as sent, value with surrounding whitespace removed.
    std::vector<std::pair<std::string, std::string>> raw;

    bool is_file() const noexcept { return filename.has_value(); }
};

// Receives the parser's events. Returning a truthy Error stops parsing with that error (e.g. a
// temp-file write failing): feed() then returns it and the parser stays failed.
class MultipartHandler {
  public:
    virtual ~MultipartHandler() = default;
    virtual Error on_part_begin(const PartHeaders& headers) = 0;
    // Zero or more chunks of the part's content, in order; never empty.
    virtual Error on_part_data(std::string_view chunk) = 0;
    virtual Error on_part_end() = 0;
};

class MultipartParser {
  public:
    // `boundary` as returned by boundary_from_content_type (without the leading "--"). An invalid
    // boundary (empty or over 70 bytes) makes the first feed() fail with Errc::bad_request.
    // `handler` must outlive the parser.
    MultipartParser(std::string_view boundary, MultipartHandler& handler,
                    const Limits& limits = {});

    // Consumes all of `bytes`, calling the handler. Falsy: need more input. Errors are sticky:
    // bad_request (syntax, bad Content-Disposition), too_large (a Limits bound: max_body_bytes over
    // all input, max_fields parts, max_part_header_bytes, max_filename_bytes, max_field_bytes for a
    // part without filename, max_file_bytes for a part with one), or whatever the handler returned.
    Error feed(std::string_view bytes);
    // End of input. Falsy only if the close delimiter was seen; a truncated body is bad_request.
    Error finish();

    bool done() const noexcept { return state_ == State::epilogue; }

  private:
    // Where the parser is in the body (RFC 2046 §5.1.1 grammar).
    enum class State {
        preamble,         // before the first delimiter: bytes are ignored
        body,             // part content: scanning for "\r\n--boundary"
        after_delimiter,  // "--boundary" seen: the next byte decides whether it is one
        close_dash,       // "--boundary-": a second '-' makes the close delimiter
        padding,          // "--boundary" + LWSP: more LWSP, then CRLF
        delimiter_cr,     // "--boundary" [LWSP] CR: LF ends the delimiter line
        headers,          // a part's header block, up to the empty line
        epilogue,         // after the close delimiter: everything is ignored
        failed,           // an error was returned; it is returned again
    };

    Error fail(Error error);
    Error scan_content(std::string_view& input);
    Error scan_delimiter_byte(std::string_view& input);
    Error scan_headers(std::string_view& input);
    Error not_a_delimiter();
    Error end_of_delimiter_line(State next);
    Error begin_part();
    Error emit_data(std::string_view chunk);

    MultipartHandler& handler_;
    Limits limits_;
    std::string delimiter_;  // "\r\n--" + boundary
    State state_ = State::preamble;
    // preamble/body: a proper prefix of delimiter_ ending the input so far (not yet content);
    // after_delimiter..delimiter_cr: delimiter_ + the bytes after it; headers: the header block.
    std::string held_;
    // How many leading bytes of held_ are the CRLF implied before the body and before each part's
    // content (not input, so never content): RFC 2046 §5.1.1 lets "--boundary" open the body, and
    // a part with no content at all end right after its header block's empty line.
    std::size_t held_implied_ = 0;
    std::uint64_t total_bytes_ = 0;
    std::size_t parts_ = 0;
    std::uint64_t part_bytes_ = 0;
    std::uint64_t part_limit_ = 0;
    bool in_part_ = false;
    bool in_file_part_ = false;
    Error error_;
};

// One part of a fully parsed body (for small bodies and tests; uploads should stream).
struct Part {
    PartHeaders headers;
    std::string data;
};

// Parses a whole body in memory. Falsy error: `out` holds every part.
Error parse_multipart(std::string_view body, std::string_view boundary, const Limits& limits,
                      std::vector<Part>& out);

}  // namespace cgikit
