#pragma once
// RequestParser: an incremental, socket-free HTTP/1.1 request parser (RFC 9112) around llhttp with
// no lenient flags, plus the checks llhttp leaves to the server: Host presence, uniqueness and
// syntax (RFC 9112 §3.2), protocol version (505), Transfer-Encoding other than exactly "chunked"
// (RFC 9112 §6.1), Expect values (417), and size limits (414 / 431 / 413).
//
// Debian's llhttp is built without LLHTTP_STRICT_MODE, so it also lets through syntax that RFC 9112
// forbids. The wrapper refuses it (400): the bytes llhttp consumes between the spans it reports
// (the "gaps": separators, line ends, chunk-size lines) are checked for a bare CR, a line that
// starts with SP/HTAB (obs-fold, §5.2), a protocol other than "HTTP/" after the target (HTTP/0.9,
// RTSP, ICE) and chunk data not followed by CRLF (§7.1); field names must be tokens (§5.1).
// Upgrade is ignored (RFC 9110 §7.8): the connection stays HTTP/1.1. Trailer fields are parsed and
// dropped, never merged into the header fields (RFC 9110 §6.5.1).
//
// feed() consumes bytes and stops at each point where the connection must decide something:
//   HeadComplete    - a head whose body follows was parsed (only reported when the request has a
//                     body); the caller may install a BodySink, answer 100-continue or refuse.
//   MessageComplete - the whole request (head and body) was parsed; bytes after it (a pipelined
//                     request) are not consumed until next_message() is called.
//   Error           - error_status() tells the status to answer with; the connection must close.
#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.hpp"

namespace cgikit::http {

struct ParserLimits {
    std::size_t max_request_line_bytes = 8 * 1024;  // 414 beyond: no legitimate URL needs more
    std::size_t max_header_bytes = 16 * 1024;       // 431 beyond: bounds memory per connection
    std::size_t max_header_fields = 100;            // 431 beyond: bounds per-request work
    std::uint64_t max_body_bytes = 1024 * 1024;     // 413 beyond (declared or received)
};

// Receives body bytes (de-chunked) as they are parsed. Returns 0 to continue or an HTTP status
// (e.g. 413, 500) to stop parsing with that error.
class BodySink {
  public:
    virtual ~BodySink() = default;
    virtual int on_body_data(std::string_view bytes) = 0;
};

enum class ParseEvent { NeedMore, HeadComplete, MessageComplete, Error };

struct ParseResult {
    ParseEvent event;
    std::size_t consumed;  // bytes of the input that were used
};

class RequestParser {
  public:
    explicit RequestParser(const ParserLimits& limits);
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    ParseResult feed(std::string_view bytes);

    // After MessageComplete: forget the request and accept the next one.
    void next_message();

    // Where body bytes go; nullptr (the default) discards them.
    void set_body_sink(BodySink* sink) noexcept { sink_ = sink; }

    Request& request() noexcept { return request_; }
    const Request& request() const noexcept { return request_; }

    // True once any byte of the current message has been seen (for "408 vs silent close").
    bool message_started() const noexcept { return started_; }
    // True between HeadComplete and MessageComplete.
    bool in_body() const noexcept { return phase_ == Phase::Body; }
    int error_status() const noexcept { return error_status_; }
    const std::string& error_reason() const noexcept { return error_reason_; }

  private:
    // MethodUnknown: llhttp refused the method; we read up to the first space to tell an unknown
    // but well-formed method (501, RFC 9110 §9.1) from garbage (400).
    enum class Phase { Head, Body, Complete, MethodUnknown, Failed };

    // What llhttp reports as a span (a callback with a pointer); everything between two spans is a
    // gap that the wrapper checks itself (see scan_gap).
    enum class Span { Method, Url, HeaderField, HeaderValue, Body };

    static RequestParser& self(llhttp_t* p) { return *static_cast<RequestParser*>(p->data); }
    static int on_message_begin(llhttp_t* p);
    static int on_method(llhttp_t* p, const char* at, std::size_t n);
    static int on_url(llhttp_t* p, const char* at, std::size_t n);
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n);
    static int on_header_field_complete(llhttp_t* p);
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n);
    static int on_header_value_complete(llhttp_t* p);
    static int on_headers_complete(llhttp_t* p);
    static int on_body(llhttp_t* p, const char* at, std::size_t n);
    static int on_chunk_header(llhttp_t* p);
    static int on_message_complete(llhttp_t* p);

    // Gap checks: enter_span() checks the gap that ends where a span starts; finish_gap() checks
    // the gap at the end of the consumed input (it continues in the next feed).
    int enter_span(Span kind, const char* at, std::size_t n);
    int scan_gap(const char* from, const char* to);
    bool finish_gap(const char* consumed_end);
    void expect_in_gap(Span after, std::string_view literal) noexcept;
    void reset_gap() noexcept;

    int fail(int status, std::string reason);
    int finish_head();
    ParseResult classify_unknown_method(std::size_t consumed);
    bool split_target();

    ParserLimits limits_;
    llhttp_settings_t settings_{};
    llhttp_t parser_{};
    Phase phase_ = Phase::Head;
    bool started_ = false;
    bool has_body_ = false;
    ParseEvent pause_event_ = ParseEvent::NeedMore;
    Request request_;
    std::string field_;
    std::string value_;
    std::size_t request_line_bytes_ = 0;
    std::size_t header_bytes_ = 0;
    std::uint64_t body_bytes_ = 0;
    BodySink* sink_ = nullptr;
    int error_status_ = 0;
    std::string error_reason_;
    std::string message_start_;    // the first bytes of the current message (see MethodUnknown)
    std::size_t field_count_ = 0;  // header and trailer fields of the current message

    // Gap state. The input of the llhttp_execute() call in progress is [buffer_begin_, ...);
    // gap_begin_ is where the current gap starts in it (nullptr: at buffer_begin_).
    const char* buffer_begin_ = nullptr;
    const char* gap_begin_ = nullptr;
    bool gap_after_cr_ = false;       // the last gap byte was CR: LF must follow
    bool gap_at_line_start_ = false;  // the last gap byte was LF: SP/HTAB here is obs-fold
    std::string_view gap_literal_;    // the gap must start with this ...
    std::size_t gap_literal_matched_ = 0;
    Span gap_literal_after_ = Span::Url;     // ... because this span ended
    bool in_header_section_ = false;         // a field name was seen: gaps count as header bytes
    bool counting_chunk_framing_ = false;    // the gaps are a chunked body's framing ...
    std::uint64_t chunk_framing_bytes_ = 0;  // ... of this many bytes so far
};

}  // namespace cgikit::http
