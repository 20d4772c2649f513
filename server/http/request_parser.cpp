#include "http/request_parser.hpp"

#include <cstring>

namespace cgikit::http {

namespace {

// Bytes a header field costs against max_header_bytes: name, ": ", value, CRLF.
constexpr std::size_t kFieldOverheadBytes = 4;

bool is_scheme_prefix(std::string_view target, std::string_view scheme) {
    return target.size() > scheme.size() + 3 && iequals(target.substr(0, scheme.size()), scheme) &&
           target.substr(scheme.size(), 3) == "://";
}

// RFC 3986 §3.2.2 reg-name / IP-literal / port characters: enough to refuse Host values that could
// confuse anything downstream (CGI's SERVER_NAME, logs).
bool is_valid_host(std::string_view host) {
    for (char c : host) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  std::strchr("-._~%!$&'()*+,;=:[]", c) != nullptr;
        if (!ok || c == '\0') return false;
    }
    return true;
}

// tchar (RFC 9110 §5.6.2).
bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// How much of a message's start we keep to judge an unknown method: longer methods are refused.
constexpr std::size_t kMethodProbeBytes = 32;

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

    llhttp_errno_t err = llhttp_execute(&parser_, bytes.data(), bytes.size());
    switch (err) {
        case HPE_OK:
            return {ParseEvent::NeedMore, bytes.size()};
        case HPE_PAUSED:
        case HPE_PAUSED_UPGRADE: {
            auto consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - bytes.data());
            if (err == HPE_PAUSED_UPGRADE) {
                llhttp_resume_after_upgrade(&parser_);
            } else {
                llhttp_resume(&parser_);
            }
            if (phase_ == Phase::Failed) return {ParseEvent::Error, consumed};
            return {pause_event_, consumed};
        }
        case HPE_INVALID_METHOD:
            if (phase_ != Phase::Failed) {
                phase_ = Phase::MethodUnknown;
                return classify_unknown_method(bytes.size());
            }
            return {ParseEvent::Error, bytes.size()};
        default:
            if (phase_ != Phase::Failed) {
                phase_ = Phase::Failed;
                error_status_ = 400;
                error_reason_ = llhttp_get_error_reason(&parser_);
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
    s.request_line_bytes_ = 0;
    s.header_bytes_ = 0;
    s.body_bytes_ = 0;
    s.has_body_ = false;
    s.field_.clear();
    s.value_.clear();
    return 0;
}

int RequestParser::on_method(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.request_line_bytes_ += n;
    if (s.request_line_bytes_ > s.limits_.max_request_line_bytes) {
        return s.fail(414, "request line too long");
    }
    s.request_.method.append(at, n);
    return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.request_line_bytes_ += n;
    if (s.request_line_bytes_ > s.limits_.max_request_line_bytes) {
        return s.fail(414, "request line too long");
    }
    s.request_.target.append(at, n);
    return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.header_bytes_ += n;
    if (s.header_bytes_ > s.limits_.max_header_bytes) {
        return s.fail(431, "header block too large");
    }
    s.field_.append(at, n);
    return 0;
}

int RequestParser::on_header_field_complete(llhttp_t* p) {
    auto& s = self(p);
    if (s.request_.headers.size() >= s.limits_.max_header_fields) {
        return s.fail(431, "too many header fields");
    }
    return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.header_bytes_ += n;
    if (s.header_bytes_ > s.limits_.max_header_bytes) {
        return s.fail(431, "header block too large");
    }
    s.value_.append(at, n);
    return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* p) {
    auto& s = self(p);
    s.header_bytes_ += kFieldOverheadBytes;
    if (s.header_bytes_ > s.limits_.max_header_bytes) {
        return s.fail(431, "header block too large");
    }
    // llhttp hands the value without leading OWS; trailing OWS is not part of it (RFC 9110 §5.5).
    s.request_.headers.add(s.field_, trim_ows(s.value_));
    s.field_.clear();
    s.value_.clear();
    return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
    auto& s = self(p);
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
    if (r.version.major != 1 || r.version.minor > 1) {
        return fail(505, "unsupported HTTP version");
    }

    // Host (RFC 9112 §3.2): exactly one in HTTP/1.1, at most one in HTTP/1.0.
    std::size_t hosts = r.headers.count("Host");
    if (hosts > 1) return fail(400, "duplicate Host");
    if (hosts == 0 && r.version.minor == 1) return fail(400, "missing Host");
    if (hosts == 1) {
        r.host.assign(*r.headers.get("Host"));
        if (!is_valid_host(r.host)) return fail(400, "invalid Host");
    }
    if (!split_target()) return fail(400, "invalid request target");

    // Transfer-Encoding (RFC 9112 §6.1): we accept exactly "chunked". llhttp already refuses it
    // together with Content-Length and a non-final chunked.
    if (std::size_t te = r.headers.count("Transfer-Encoding"); te > 0) {
        if (r.version.minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
        if (te > 1) return fail(400, "multiple Transfer-Encoding fields");
        auto value = trim_ows(*r.headers.get("Transfer-Encoding"));
        if (!iequals(value, "chunked")) {
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

    if (auto expect = r.headers.get("Expect")) {
        if (!iequals(trim_ows(*expect), "100-continue") || r.headers.count("Expect") > 1) {
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
    if (target.empty()) return false;
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
    auto hash = r.raw_path.find('#');  // a fragment is never sent (RFC 9112 §3.2); refuse it
    return hash == std::string::npos;
}

int RequestParser::on_body(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.body_bytes_ += n;
    if (s.body_bytes_ > s.limits_.max_body_bytes) return s.fail(413, "body too large");
    if (s.sink_ != nullptr) {
        int status = s.sink_->on_body_data(std::string_view(at, n));
        if (status != 0) return s.fail(status, "body rejected");
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
