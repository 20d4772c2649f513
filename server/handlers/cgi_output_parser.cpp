#include "handlers/cgi_output_parser.hpp"

#include <array>

#include "http/status.hpp"

namespace cgikit::handlers {

namespace {

bool is_alpha(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// tchar, RFC 9110 §5.6.2.
bool is_token_char(char c) noexcept {
    return is_alpha(c) || is_digit(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_token_char(c)) return false;
    }
    return true;
}

// field-vchar / SP / HTAB, RFC 9110 §5.5: no control bytes (NUL, CR, LF, DEL ...).
bool is_valid_field_value(std::string_view value) noexcept {
    for (char c : value) {
        auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f) return false;
    }
    return true;
}

// Fields that describe one connection, not the response (RFC 9110 §7.6.1), and fields the
// response writer sets itself.
constexpr std::array<std::string_view, 10> kNeverForwarded = {
    "Status", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection",
    "TE",     "Trailer",        "Upgrade",    "Date",       "Server"};

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ':'.
bool is_absolute_uri(std::string_view value) noexcept {
    std::size_t colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_alpha(value.front())) return false;
    for (char c : value.substr(0, colon)) {
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
}

// RFC 3875 §6.2.2 local-pathquery: starts with one '/' ("//host" is a network-path reference).
bool is_local_path(std::string_view value) noexcept {
    return value.starts_with('/') && !value.starts_with("//");
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6); nullopt when malformed or too big for 64 bits.
std::optional<std::uint64_t> parse_content_length(std::string_view value) noexcept {
    constexpr std::size_t kMaxDigits = 19;  // 10^19 - 1 < 2^64: no overflow check needed
    if (value.empty() || value.size() > kMaxDigits) return std::nullopt;
    std::uint64_t result = 0;
    for (char c : value) {
        if (!is_digit(c)) return std::nullopt;
        result = result * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return result;
}

}  // namespace

bool CgiResponseHead::forwards_body() const noexcept {
    bool document =
        kind == CgiResponseKind::Document || kind == CgiResponseKind::ClientRedirectWithDocument;
    return document && !http::status_forbids_content(status);
}

CgiOutputParser::CgiOutputParser(const CgiSettings& settings) noexcept
    : max_line_bytes_(settings.max_header_line_bytes),
      max_head_bytes_(settings.max_header_bytes),
      max_fields_(settings.max_header_fields) {}

CgiOutputState CgiOutputParser::feed(std::string_view bytes) {
    switch (state_) {
        case CgiOutputState::HeadersDone:
            body_offset_ = 0;
            return state_;
        case CgiOutputState::Invalid:
            return state_;
        case CgiOutputState::NeedMore:
            break;
    }
    // Byte by byte: the head is small and bounded, and one byte at a time makes the result
    // independent of how the output was split.
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (!consume_byte(bytes[i])) return state_;
        if (state_ == CgiOutputState::HeadersDone) {
            body_offset_ = i + 1;
            return state_;
        }
    }
    return state_;
}

CgiOutputState CgiOutputParser::finish() {
    if (state_ != CgiOutputState::NeedMore) return state_;
    if (phase_ == Phase::UntypedDocument) {  // no body came: the head stands, empty
        if (!head_.content_length) head_.content_length = 0;
        body_offset_ = 0;
        state_ = CgiOutputState::HeadersDone;
        return state_;
    }
    if (head_bytes_ == 0) {
        fail("no output");
    } else {
        fail("end of output before the blank line ending the headers");
    }
    return state_;
}

bool CgiOutputParser::consume_byte(char c) {
    switch (phase_) {
        case Phase::UntypedDocument:
            fail("document without Content-Type");
            return false;
        case Phase::Head:
            break;
    }
    if (++head_bytes_ > max_head_bytes_) {
        fail("headers longer than " + std::to_string(max_head_bytes_) + " bytes");
        return false;
    }
    switch (line_state_) {
        case LineState::AfterCr:
            if (c != '\n') {
                fail("CR not followed by LF");
                return false;
            }
            line_state_ = LineState::InLine;
            return complete_line();
        case LineState::InLine:
            if (c == '\n') return complete_line();
            if (c == '\r') {
                line_state_ = LineState::AfterCr;
                return true;
            }
            if (line_.size() >= max_line_bytes_) {
                fail("header line longer than " + std::to_string(max_line_bytes_) + " bytes");
                return false;
            }
            line_ += c;
            return true;
    }
    return false;
}

bool CgiOutputParser::complete_line() {
    if (line_.empty()) {
        classify();
        return state_ != CgiOutputState::Invalid;
    }
    bool ok = parse_field(line_);
    line_.clear();
    return ok;
}

bool CgiOutputParser::parse_field(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
        fail("continuation line (obs-fold)");
        return false;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        fail("header line without a colon");
        return false;
    }
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) {
        fail("header name is not a token");
        return false;
    }
    std::string_view value = http::trim_ows(line.substr(colon + 1));
    if (!is_valid_field_value(value)) {
        fail("control byte in the value of " + std::string(name));
        return false;
    }
    if (fields_.size() >= max_fields_) {
        fail("more than " + std::to_string(max_fields_) + " header fields");
        return false;
    }
    fields_.add(std::string(name), std::string(value));
    return true;
}

void CgiOutputParser::classify() {
    CgiResponseHead head;
    std::optional<std::string_view> status;
    std::optional<std::string_view> location;
    std::optional<std::string_view> content_type;
    for (const auto& field : fields_) {
        if (http::iequals(field.name, "Status")) {
            if (status) return fail("repeated Status");
            status = field.value;
        } else if (http::iequals(field.name, "Location")) {
            if (location) return fail("repeated Location");
            location = field.value;
        } else if (http::iequals(field.name, "Content-Type")) {
            if (content_type) return fail("repeated Content-Type");
            content_type = field.value;
        } else if (http::iequals(field.name, "Content-Length")) {
            auto length = parse_content_length(field.value);
            if (!length) return fail("invalid Content-Length");
            if (head.content_length && *head.content_length != *length) {
                return fail("conflicting Content-Length values");
            }
            head.content_length = length;
        } else if (http::iequals(field.name, "Transfer-Encoding")) {
            return fail("Transfer-Encoding from a script");
        }
    }
    if (content_type && content_type->empty()) content_type.reset();

    if (status) {
        // RFC 3875 §6.3.3: Status = 3digit [ SP reason-phrase ].
        std::string_view value = *status;
        if (value.size() < 3 || !is_digit(value[0]) || !is_digit(value[1]) || !is_digit(value[2]) ||
            (value.size() > 3 && value[3] != ' ' && value[3] != '\t')) {
            return fail("invalid Status");
        }
        head.status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
        if (head.status < 200 || head.status > 599) return fail("Status outside 200..599");
        head.reason = std::string(http::trim_ows(value.substr(3)));
    }

    if (location) {
        bool local = is_local_path(*location);
        if (!local && !is_absolute_uri(*location)) {
            return fail("Location is neither an absolute URI nor a local path");
        }
        if (location->find(' ') != std::string_view::npos ||
            location->find('\t') != std::string_view::npos) {
            return fail("whitespace in Location");
        }
        head.location = std::string(*location);
        if (local && fields_.size() == 1 && location->find('#') == std::string_view::npos) {
            head.kind = CgiResponseKind::LocalRedirect;
            std::size_t question = location->find('?');
            head.local_path = std::string(location->substr(0, question));
            if (question != std::string_view::npos) {
                head.local_has_query = true;
                head.local_query = std::string(location->substr(question + 1));
            }
            head.content_length.reset();
            head_ = std::move(head);
            state_ = CgiOutputState::HeadersDone;
            return;
        }
        if (!status) {
            head.kind = CgiResponseKind::ClientRedirect;
            head.status = 302;
        } else {
            head.kind = content_type ? CgiResponseKind::ClientRedirectWithDocument
                                     : CgiResponseKind::ClientRedirect;
        }
    }
    // Without a Content-Type only an empty body is valid; unless the script declared it empty,
    // only the end of the output can tell.
    bool untyped = head.kind == CgiResponseKind::Document && !content_type &&
                   head.forwards_body() && head.content_length.value_or(1) != 0;

    // Forwarded fields: everything but the CGI, framing and hop-by-hop ones.
    std::string connection_options = fields_.joined("Connection", ",");
    for (const auto& field : fields_) {
        bool dropped = false;
        for (std::string_view name : kNeverForwarded) {
            if (http::iequals(field.name, name)) dropped = true;
        }
        if (head.kind == CgiResponseKind::ClientRedirect &&
            http::iequals(field.name, "Content-Type")) {
            dropped = true;
        }
        if (dropped || http::list_contains_token(connection_options, field.name)) continue;
        head.headers.add(field.name, field.value);
    }
    if (!head.forwards_body()) head.content_length.reset();
    if (head.status == kResetContent && head.kind == CgiResponseKind::Document) {
        head.content_length = 0;
    }
    head_ = std::move(head);
    if (untyped) {
        phase_ = Phase::UntypedDocument;  // finish() or the first body byte decides
        return;
    }
    state_ = CgiOutputState::HeadersDone;
}

void CgiOutputParser::fail(std::string reason) {
    state_ = CgiOutputState::Invalid;
    error_ = std::move(reason);
    line_.clear();
}

}  // namespace cgikit::handlers
