#include "http/request_parser.hpp"

namespace cgikit::http {

namespace {

// A set of bytes as a table: the checks below run for every byte of every field name and Host.
struct ByteClass {
    bool member[256] = {};
    constexpr ByteClass(std::string_view punctuation) {
        for (int c = '0'; c <= '9'; ++c)
            member[c] = true;
        for (int c = 'a'; c <= 'z'; ++c)
            member[c] = true;
        for (int c = 'A'; c <= 'Z'; ++c)
            member[c] = true;
        for (char c : punctuation)
            member[static_cast<unsigned char>(c)] = true;
    }
    bool contains(char c) const noexcept { return member[static_cast<unsigned char>(c)]; }
};

// tchar (RFC 9110 §5.6.2).
constexpr ByteClass kTokenChars("!#$%&'*+-.^_`|~");
// RFC 3986 §3.2.2 reg-name: unreserved / pct-encoded / sub-delims ('%' is checked for its two hex
// digits separately).
constexpr ByteClass kRegNameChars("-._~%!$&'()*+,;=");
// Inside an IP-literal's brackets: IPv6address, IPvFuture ("v1.x:y") and a zone ID (RFC 6874,
// "%25eth0"). Their finer grammar is left to whoever resolves the name; the characters are enough
// to keep the literal in one piece.
constexpr ByteClass kIpLiteralChars("-._~%!$&'()*+,;=:");

bool is_scheme_prefix(std::string_view target, std::string_view scheme) {
    return target.size() > scheme.size() + 3 && iequals(target.substr(0, scheme.size()), scheme) &&
           target.substr(scheme.size(), 3) == "://";
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2), uri-host = IP-literal / IPv4address / reg-name,
// port = *DIGIT (RFC 3986 §3.2.2, §3.2.3); the same for an absolute-form or authority-form
// authority. RFC 9112 §3.2: an invalid Host is a 400, so "a:b:c" or "[::1" never reaches a handler.
// An empty reg-name is allowed only as the whole value: an empty Host says the target URI has no
// authority (RFC 9112 §3.2, §3.3: the server's default name applies), but ":80" names an "http"
// URI with an empty host, which RFC 9110 §4.2.1 says a recipient MUST reject.
bool is_valid_host(std::string_view host) {
    std::size_t i = 0;
    if (!host.empty() && host.front() == '[') {
        std::size_t close = host.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (i = 1; i < close; ++i)
            if (!kIpLiteralChars.contains(host[i])) return false;
        i = close + 1;
    } else {
        for (; i < host.size() && host[i] != ':'; ++i) {
            if (!kRegNameChars.contains(host[i])) return false;
            if (host[i] == '%' &&
                (host.size() - i < 3 || !is_hex_digit(host[i + 1]) || !is_hex_digit(host[i + 2]))) {
                return false;
            }
        }
        if (i == 0 && !host.empty()) return false;  // ":80", ":": a port without a host
    }
    if (i == host.size()) return true;
    if (host[i] != ':') return false;
    for (++i; i < host.size(); ++i)
        if (host[i] < '0' || host[i] > '9') return false;
    return true;
}

bool is_token_char(char c) {
    return kTokenChars.contains(c);
}

// How much of a message's start we keep to judge an unknown method: longer methods are refused.
constexpr std::size_t kMethodProbeBytes = 32;

// What must follow the request-target: llhttp also takes "RTSP/" and "ICE/" there, and CRLF (an
// HTTP/0.9 simple request); the issue refuses both with 400.
constexpr std::string_view kHttpVersionPrefix = " HTTP/";
// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 §7.1); llhttp without strict
// mode skips any two bytes after the data, a smuggling vector (CVE-2023-30589).
constexpr std::string_view kChunkDataEnd = "\r\n";

// Chunked framing (chunk-size lines, extensions, CRLFs) accepted beyond what the data carried so
// far justifies. RFC 9112 §7.1.1 asks servers to bound chunk extensions: unbounded, a client
// streams extension bytes or leading zeros forever, and past the body limit (Node.js
// CVE-2024-22019, Go CVE-2023-39326). Honest framing costs a few bytes per chunk: even one-byte
// chunks with zero-padded sizes ("00000001\r\nx\r\n") stay far under 16 bytes per data byte.
constexpr std::uint64_t kChunkFramingSlackBytes = 16 * 1024;
constexpr std::uint64_t kChunkFramingBytesPerDataByte = 16;

// llhttp reports a syntactically valid "HTTP/x.y" it does not know (1.2, 3.0) as
// HPE_INVALID_VERSION with this reason; malformed versions get other reasons. RFC 9110 §15.6.6
// wants 505 for the former.
constexpr std::string_view kWellFormedUnknownVersion = "Invalid HTTP version";

bool is_field_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!is_token_char(c)) return false;
    return true;
}

// RFC 9112 §3.2: no whitespace or control characters in the request-target (llhttp lets HTAB and
// some others through); bytes >= 0x80 are left to the path decoder.
bool has_space_or_control(std::string_view target) {
    for (char c : target) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return true;
    }
    return false;
}

}  // namespace

RequestParser::RequestParser(const ParserLimits& limits) : limits_(limits) {
    llhttp_settings_init(&settings_);
    settings_.on_message_begin = &RequestParser::on_message_begin;
    settings_.on_method = &RequestParser::on_method;
    settings_.on_url = &RequestParser::on_url;
    settings_.on_header_field = &RequestParser::on_header_field;
    settings_.on_header_field_complete = &RequestParser::on_header_field_complete;
    settings_.on_header_value = &RequestParser::on_header_value;
    settings_.on_header_value_complete = &RequestParser::on_header_value_complete;
    settings_.on_headers_complete = &RequestParser::on_headers_complete;
    settings_.on_body = &RequestParser::on_body;
    settings_.on_chunk_header = &RequestParser::on_chunk_header;
    settings_.on_message_complete = &RequestParser::on_message_complete;
    llhttp_init(&parser_, HTTP_REQUEST, &settings_);
    parser_.data = this;
}

ParseResult RequestParser::feed(std::string_view bytes) {
    if (phase_ == Phase::Failed) return {ParseEvent::Error, 0};
    if (phase_ == Phase::Complete) return {ParseEvent::MessageComplete, 0};
    if (bytes.empty()) return {ParseEvent::NeedMore, 0};
    if (message_start_.size() < kMethodProbeBytes) {
        message_start_.append(bytes.substr(0, kMethodProbeBytes - message_start_.size()));
    }
    if (phase_ == Phase::MethodUnknown) return classify_unknown_method(bytes.size());

    buffer_begin_ = bytes.data();
    gap_begin_ = nullptr;
    llhttp_errno_t err = llhttp_execute(&parser_, bytes.data(), bytes.size());
    switch (err) {
        case HPE_OK:
            if (!finish_gap(bytes.data() + bytes.size())) return {ParseEvent::Error, bytes.size()};
            return {ParseEvent::NeedMore, bytes.size()};
        case HPE_PAUSED:
        case HPE_PAUSED_UPGRADE: {
            // (HPE_PAUSED_UPGRADE cannot happen: on_headers_complete clears the upgrade.)
            const char* end = llhttp_get_error_pos(&parser_);
            auto consumed = static_cast<std::size_t>(end - bytes.data());
            if (err == HPE_PAUSED_UPGRADE) {
                llhttp_resume_after_upgrade(&parser_);
            } else {
                llhttp_resume(&parser_);
            }
            if (phase_ == Phase::Failed) return {ParseEvent::Error, consumed};
            if (!finish_gap(end)) return {ParseEvent::Error, consumed};
            // A chunked body's framing is counted from the byte after the head, wherever the
            // input was split.
            if (pause_event_ == ParseEvent::HeadComplete && request_.chunked) {
                counting_chunk_framing_ = true;
            }
            return {pause_event_, consumed};
        }
        case HPE_INVALID_METHOD:
            if (phase_ != Phase::Failed) {
                // The empty lines llhttp skipped before the method are checked first, as they
                // are when the input is split after them.
                if (!finish_gap(llhttp_get_error_pos(&parser_))) {
                    return {ParseEvent::Error, bytes.size()};
                }
                phase_ = Phase::MethodUnknown;
                return classify_unknown_method(bytes.size());
            }
            return {ParseEvent::Error, bytes.size()};
        case HPE_INVALID_VERSION:
            if (phase_ != Phase::Failed && finish_gap(llhttp_get_error_pos(&parser_))) {
                const char* reason = llhttp_get_error_reason(&parser_);
                if (reason != nullptr && reason == kWellFormedUnknownVersion) {
                    fail(505, "unsupported HTTP version");
                } else {
                    fail(400, reason != nullptr ? reason : "invalid HTTP version");
                }
            }
            return {ParseEvent::Error, bytes.size()};
        default:
            if (phase_ != Phase::Failed) {
                phase_ = Phase::Failed;
                error_status_ = 400;
                error_reason_ = llhttp_get_error_reason(&parser_);
            } else {
                // A callback refused (417, 501, 505, a limit; llhttp reports HPE_USER or
                // HPE_CB_*). A syntax error in the gap before that point takes precedence, as it
                // does when the input is split inside that gap (finish_gap() then finds it first):
                // the status must not depend on the split.
                const char* gap = gap_begin_ != nullptr ? gap_begin_ : buffer_begin_;
                const char* end = llhttp_get_error_pos(&parser_);
                if (end != nullptr && gap <= end && end <= bytes.data() + bytes.size()) {
                    scan_gap(gap, end);
                }
            }
            return {ParseEvent::Error, bytes.size()};
    }
}

ParseResult RequestParser::classify_unknown_method(std::size_t consumed) {
    std::string_view start = message_start_;
    while (!start.empty() && (start.front() == '\r' || start.front() == '\n'))
        start.remove_prefix(1);
    std::size_t i = 0;
    while (i < start.size() && is_token_char(start[i]))
        ++i;
    if (i == start.size()) {
        if (start.size() < kMethodProbeBytes) return {ParseEvent::NeedMore, consumed};
        fail(400, "invalid method");
    } else if (i > 0 && start[i] == ' ') {
        fail(501, "unknown method");
    } else {
        fail(400, "invalid method");
    }
    return {ParseEvent::Error, consumed};
}

void RequestParser::next_message() {
    if (phase_ != Phase::Complete) return;
    message_start_.clear();
    phase_ = Phase::Head;
    started_ = false;
    request_.clear();  // keeps its storage: no allocation per request on a keep-alive connection
    sink_ = nullptr;
    // The counters start here, not in on_message_begin: blank lines before the request line are
    // counted (in stream order, see scan_gap) before llhttp reports the message's start.
    request_line_bytes_ = 0;
    header_bytes_ = 0;
    in_header_section_ = false;
    counting_chunk_framing_ = false;
    chunk_framing_bytes_ = 0;
    reset_gap();
}

void RequestParser::reset_gap() noexcept {
    gap_begin_ = nullptr;
    gap_after_cr_ = false;
    gap_at_line_start_ = false;
    gap_literal_ = {};
    gap_literal_matched_ = 0;
}

void RequestParser::expect_in_gap(Span after, std::string_view literal) noexcept {
    gap_literal_after_ = after;
    gap_literal_ = literal;
    gap_literal_matched_ = 0;
}

int RequestParser::scan_gap(const char* from, const char* to) {
    for (const char* c = from; c < to; ++c) {
        if (!gap_literal_.empty()) {
            if (*c != gap_literal_[gap_literal_matched_]) {
                return fail(400, gap_literal_after_ == Span::Url
                                     ? "not an HTTP/1.x request line"
                                     : "chunk data not followed by CRLF");
            }
            if (++gap_literal_matched_ == gap_literal_.size()) gap_literal_ = {};
        }
        // RFC 9112 §2.2: a bare CR is refused. §5.2: obs-fold (a line that starts with SP or
        // HTAB) is refused with 400 (the policy).
        if (gap_after_cr_ && *c != '\n') return fail(400, "bare CR");
        if (gap_at_line_start_ && (*c == ' ' || *c == '\t')) return fail(400, "obs-fold");
        gap_after_cr_ = *c == '\r';
        gap_at_line_start_ = *c == '\n';
    }
    // Gap bytes count like the spans around them: in the request line (blank lines before it
    // included), in the header section, or as a chunked body's framing. Each counter grows in
    // stream order (a gap is scanned before the span after it is counted, and the context changes
    // only where a span starts or the head ends), so however the input is split, the same byte
    // crosses a limit.
    const auto n = static_cast<std::size_t>(to - from);
    if (counting_chunk_framing_) {
        chunk_framing_bytes_ += n;
        if (chunk_framing_bytes_ >
            kChunkFramingSlackBytes + kChunkFramingBytesPerDataByte * body_bytes_) {
            return fail(400, "chunk framing out of proportion to its data");
        }
    } else if (in_header_section_) {
        header_bytes_ += n;
        if (header_bytes_ > limits_.max_header_bytes) return fail(431, "header block too large");
    } else {
        request_line_bytes_ += n;
        if (request_line_bytes_ > limits_.max_request_line_bytes) {
            return fail(414, "request line too long");
        }
    }
    return 0;
}

int RequestParser::enter_span(Span kind, const char* at, std::size_t n) {
    if (int status = scan_gap(gap_begin_ != nullptr ? gap_begin_ : buffer_begin_, at);
        status != 0) {
        return status;
    }
    // A span may only start once the expected literal is complete, unless it is the span that set
    // the expectation, continued at the start of the next input (nothing in between).
    if (!gap_literal_.empty() && (kind != gap_literal_after_ || gap_literal_matched_ != 0)) {
        return fail(400, kind == Span::Body ? "chunk data not followed by CRLF"
                                            : "not an HTTP/1.x request line");
    }
    if (n > 0) {
        if (gap_after_cr_) return fail(400, "bare CR");
        // llhttp hands a folded line's content as more of the value: " b" in "X: a\r\n b".
        bool field = kind == Span::HeaderField || kind == Span::HeaderValue;
        if (field && gap_at_line_start_ && (at[0] == ' ' || at[0] == '\t')) {
            return fail(400, "obs-fold");
        }
        gap_after_cr_ = false;
        gap_at_line_start_ = false;
    }
    gap_begin_ = at + n;
    return 0;
}

bool RequestParser::finish_gap(const char* consumed_end) {
    if (scan_gap(gap_begin_ != nullptr ? gap_begin_ : buffer_begin_, consumed_end) != 0) {
        return false;
    }
    gap_begin_ = nullptr;  // the gap goes on at the start of the next input
    return true;
}

int RequestParser::fail(int status, std::string reason) {
    phase_ = Phase::Failed;
    error_status_ = status;
    error_reason_ = std::move(reason);
    return HPE_USER;
}

int RequestParser::on_message_begin(llhttp_t* p) {
    auto& s = self(p);
    s.started_ = true;
    s.body_bytes_ = 0;
    s.has_body_ = false;
    s.field_.clear();
    s.value_.clear();
    s.field_count_ = 0;
    return 0;
}

int RequestParser::on_method(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (int status = s.enter_span(Span::Method, at, n); status != 0) return status;
    s.request_line_bytes_ += n;
    if (s.request_line_bytes_ > s.limits_.max_request_line_bytes) {
        return s.fail(414, "request line too long");
    }
    s.request_.method.append(at, n);
    return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (int status = s.enter_span(Span::Url, at, n); status != 0) return status;
    s.expect_in_gap(Span::Url, kHttpVersionPrefix);
    s.request_line_bytes_ += n;
    if (s.request_line_bytes_ > s.limits_.max_request_line_bytes) {
        return s.fail(414, "request line too long");
    }
    s.request_.target.append(at, n);
    return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (int status = s.enter_span(Span::HeaderField, at, n); status != 0) return status;
    s.in_header_section_ = true;  // the gaps from here on are the header section's
    s.header_bytes_ += n;
    if (s.header_bytes_ > s.limits_.max_header_bytes) {
        return s.fail(431, "header block too large");
    }
    s.field_.append(at, n);
    return 0;
}

int RequestParser::on_header_field_complete(llhttp_t* p) {
    auto& s = self(p);
    // RFC 9110 §5.1: field-name = token. RFC 9112 §5.1: whitespace before the colon -> 400.
    if (!is_field_name(s.field_)) return s.fail(400, "invalid field name");
    if (++s.field_count_ > s.limits_.max_header_fields) {
        return s.fail(431, "too many header fields");
    }
    return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (int status = s.enter_span(Span::HeaderValue, at, n); status != 0) return status;
    s.header_bytes_ += n;
    if (s.header_bytes_ > s.limits_.max_header_bytes) {
        return s.fail(431, "header block too large");
    }
    s.value_.append(at, n);
    return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* p) {
    auto& s = self(p);
    if (!is_field_name(s.field_)) return s.fail(400, "invalid field name");
    // A trailer field (after the head) is dropped: RFC 9110 §6.5.1 forbids merging it into the
    // header fields, and no handler asks for trailers.
    if (s.phase_ != Phase::Body) {
        // llhttp hands the value without leading OWS; trailing OWS is not part of it (RFC 9110
        // §5.5).
        s.request_.headers.add(s.field_, trim_ows(s.value_));
    }
    s.field_.clear();
    s.value_.clear();
    return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
    auto& s = self(p);
    // RFC 9110 §7.8: a server may ignore Upgrade, and we switch to no other protocol (nor tunnel
    // CONNECT): the bytes after this message are the next HTTP/1.1 request, not another protocol.
    p->upgrade = 0;
    int status = s.finish_head();
    if (status != 0) return status;
    s.has_body_ = (p->flags & F_CHUNKED) != 0 || p->content_length > 0;
    if (!s.has_body_) return 0;
    s.phase_ = Phase::Body;
    s.pause_event_ = ParseEvent::HeadComplete;
    return HPE_PAUSED;
}

int RequestParser::finish_head() {
    Request& r = request_;
    r.version = {llhttp_get_http_major(&parser_), llhttp_get_http_minor(&parser_)};
    r.method_kind = method_from_string(r.method);
    // llhttp reads "GET /" + CRLF as HTTP/0.9 (usually caught earlier by the gap check, which
    // needs the bytes after the head); the issue refuses HTTP/0.9 with 400, not 505.
    if (r.version.major == 0) return fail(400, "HTTP/0.9 request");
    if (r.version.major != 1 || r.version.minor > 1) {
        return fail(505, "unsupported HTTP version");
    }

    // The fields policed here, found in one pass: how many of each, and the first one's value.
    struct Found {
        std::size_t count = 0;
        std::string_view value;
        void add(std::string_view v) noexcept {
            if (count++ == 0) value = v;
        }
    } host, transfer_encoding, expect;
    for (const HeaderField& field : r.headers) {
        if (iequals(field.name, "Host")) {
            host.add(field.value);
        } else if (iequals(field.name, "Transfer-Encoding")) {
            transfer_encoding.add(field.value);
        } else if (iequals(field.name, "Expect")) {
            expect.add(field.value);
        }
    }

    // Host (RFC 9112 §3.2): exactly one in HTTP/1.1, at most one in HTTP/1.0.
    if (host.count > 1) return fail(400, "duplicate Host");
    if (host.count == 0 && r.version.minor == 1) return fail(400, "missing Host");
    if (host.count == 1) {
        r.host.assign(host.value);
        if (!is_valid_host(r.host)) return fail(400, "invalid Host");
    }
    if (!split_target()) return fail(400, "invalid request target");

    // Transfer-Encoding (RFC 9112 §6.1): we accept exactly "chunked". llhttp already refuses it
    // together with Content-Length and a non-final chunked.
    if (transfer_encoding.count > 0) {
        if (r.version.minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
        if (transfer_encoding.count > 1) return fail(400, "multiple Transfer-Encoding fields");
        if (!iequals(trim_ows(transfer_encoding.value), "chunked")) {
            if ((parser_.flags & F_CHUNKED) != 0) return fail(501, "unsupported transfer coding");
            return fail(400, "Transfer-Encoding is not chunked");
        }
        r.chunked = true;
    } else if ((parser_.flags & F_CONTENT_LENGTH) != 0) {
        r.content_length = parser_.content_length;
        if (parser_.content_length > limits_.max_body_bytes) {
            return fail(413, "declared body too large");
        }
    }

    if (expect.count > 0) {
        if (!iequals(trim_ows(expect.value), "100-continue") || expect.count > 1) {
            return fail(417, "unsupported expectation");
        }
        r.expect_continue = r.version.minor == 1;
    }
    r.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
    return 0;
}

bool RequestParser::split_target() {
    Request& r = request_;
    std::string_view target = r.target;
    if (target.empty() || has_space_or_control(target)) return false;
    // A fragment is never sent (RFC 9112 §3.2), neither in the path nor after the query.
    if (target.find('#') != std::string_view::npos) return false;
    if (r.method_kind == Method::Connect) {
        // authority-form (RFC 9112 §3.2.3): no path.
        if (target.front() == '/' || !is_valid_host(target)) return false;
        r.raw_path.clear();
        return true;
    }
    if (target == "*") {
        if (r.method_kind != Method::Options) return false;
        r.raw_path = "*";
        return true;
    }
    if (is_scheme_prefix(target, "http") || is_scheme_prefix(target, "https")) {
        // absolute-form (RFC 9112 §3.2.2): the authority replaces Host.
        target.remove_prefix(target.find("://") + 3);
        auto path_start = target.find_first_of("/?");
        std::string_view authority = target.substr(0, path_start);
        if (authority.empty() || authority.find('@') != std::string_view::npos ||
            !is_valid_host(authority)) {
            return false;
        }
        r.host.assign(authority);
        target = path_start == std::string_view::npos ? std::string_view("/")
                                                      : target.substr(path_start);
        if (target.front() == '?') {
            r.raw_path = "/";
            r.has_query = true;
            r.query.assign(target.substr(1));
            return true;
        }
    }
    if (target.front() != '/') return false;
    auto question = target.find('?');
    r.raw_path.assign(target.substr(0, question));
    if (question != std::string_view::npos) {
        r.has_query = true;
        r.query.assign(target.substr(question + 1));
    }
    return true;
}

int RequestParser::on_body(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (int status = s.enter_span(Span::Body, at, n); status != 0) return status;
    // llhttp counts the chunk down in content_length: at 0 this chunk's data ends here.
    if ((p->flags & F_CHUNKED) != 0 && p->content_length == 0) {
        s.expect_in_gap(Span::Body, kChunkDataEnd);
    }
    s.body_bytes_ += n;
    if (s.body_bytes_ > s.limits_.max_body_bytes) return s.fail(413, "body too large");
    if (s.sink_ != nullptr) {
        int status = s.sink_->on_body_data(std::string_view(at, n));
        if (status != 0) return s.fail(status, "body rejected");
    }
    return 0;
}

int RequestParser::on_chunk_header(llhttp_t* p) {
    auto& s = self(p);
    // The chunk size is known before its data: refuse at once rather than read up to the limit
    // (body_bytes_ never exceeds the limit here, so the subtraction cannot wrap).
    if (p->content_length > s.limits_.max_body_bytes - s.body_bytes_) {
        return s.fail(413, "chunk too large");
    }
    return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
    auto& s = self(p);
    if (!s.has_body_) {
        // finish_head ran in on_headers_complete; nothing more to check.
    }
    if (s.request_.chunked) s.request_.content_length = s.body_bytes_;
    s.phase_ = Phase::Complete;
    s.pause_event_ = ParseEvent::MessageComplete;
    return HPE_PAUSED;
}

}  // namespace cgikit::http
