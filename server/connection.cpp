#include "connection.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "handlers/error_page.hpp"
#include "http/response_writer.hpp"
#include "http/status.hpp"
#include "http/uri_path.hpp"
#include "worker.hpp"

namespace cgikit {

namespace {

// Bytes read per read(2): one typical request head fits, and big bodies move in few syscalls.
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// Unparsed input kept while a response is written (pipelining): beyond it we stop reading.
constexpr std::size_t kMaxBufferedInputBytes = 64 * 1024;
// sendfile(2) per call: large enough to amortise the syscall, small enough to stay fair to the
// other connections of the worker.
constexpr std::size_t kSendfileChunkBytes = 1024 * 1024;
// After an error response, how long we drain the client's input before closing, so that closing
// with unread data does not turn into a TCP reset that destroys the response in flight.
constexpr std::chrono::milliseconds kLingerTimeout{2000};

}  // namespace

Connection::Connection(Worker& worker, net::unique_fd fd, http::Peer peer)
    : worker_(worker),
      fd_(std::move(fd)),
      peer_(std::move(peer)),
      parser_(worker.config().parser_limits),
      timer_([this] { on_timeout(); }) {}

Connection::~Connection() = default;

bool Connection::start() {
    if (!worker_.loop().add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this)) return false;
    arm_timer(worker_.config().timeouts.header_read);
    head_timer_armed_ = true;
    advance();
    return true;
}

void Connection::on_events(std::uint32_t events) {
    if (state_ == State::Closed) return;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) can_read_ = true;
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) can_write_ = true;
    advance();
}

bool Connection::is_idle() const noexcept {
    return state_ == State::ReadingRequest && !parser_.message_started() && in_pos_ == in_.size();
}

void Connection::close_if_idle() {
    if (is_idle()) close_now();
}

void Connection::close_now() {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    timer_.cancel();
    worker_.loop().remove(fd_.get());
    fd_.reset();
    file_.fd.reset();
    worker_.release(*this);
}

void Connection::arm_timer(std::chrono::milliseconds timeout) {
    timer_.arm_after(worker_.loop().timers(), timeout);
}

void Connection::advance() {
    while (true) {
        Step step = Step::Wait;
        switch (state_) {
            case State::ReadingRequest:
                step = step_reading();
                break;
            case State::WritingResponse:
                step = step_writing();
                break;
            case State::LingeringClose:
                step = step_lingering();
                break;
            case State::Closed:
                return;
        }
        if (step == Step::Wait) return;
    }
}

Connection::ReadResult Connection::read_some() {
    if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
    } else if (in_pos_ > 0) {
        in_.erase(0, in_pos_);
        in_pos_ = 0;
    }
    std::size_t old_size = in_.size();
    in_.resize(old_size + kReadChunkBytes);
    ssize_t n = ::recv(fd_.get(), in_.data() + old_size, kReadChunkBytes, 0);
    if (n > 0) {
        in_.resize(old_size + static_cast<std::size_t>(n));
        return ReadResult::Data;
    }
    in_.resize(old_size);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        can_read_ = false;
        return ReadResult::WouldBlock;
    }
    if (n < 0 && errno == EINTR) return ReadResult::Data;
    return ReadResult::Eof;
}

Connection::Step Connection::step_reading() {
    if (in_pos_ < in_.size()) {
        std::string_view pending(in_.data() + in_pos_, in_.size() - in_pos_);
        http::ParseResult result = parser_.feed(pending);
        in_pos_ += result.consumed;
        switch (result.event) {
            case http::ParseEvent::NeedMore:
                break;
            case http::ParseEvent::HeadComplete:
                on_head_complete();
                return Step::Continue;
            case http::ParseEvent::MessageComplete:
                on_message_complete();
                return Step::Continue;
            case http::ParseEvent::Error:
                respond_error(parser_.error_status(), parser_.error_reason());
                return Step::Continue;
        }
    }
    if (!can_read_) return Step::Wait;
    switch (read_some()) {
        case ReadResult::Data:
            if (in_.empty()) return Step::Continue;
            if (in_list_idle()) {
                worker_.mark_busy(*this);
            }
            if (!head_timer_armed_) {
                // The first byte of a request: from now on the whole head must arrive in time.
                arm_timer(worker_.config().timeouts.header_read);
                head_timer_armed_ = true;
            } else if (parser_.in_body()) {
                arm_timer(worker_.config().timeouts.header_read);  // body: inactivity timeout
            }
            return Step::Continue;
        case ReadResult::WouldBlock:
            return Step::Wait;
        case ReadResult::Eof:
            if (parser_.message_started()) {
                worker_.log_error("info", 0, peer_.remote_address,
                                  "client closed the connection mid-request");
            }
            close_now();
            return Step::Wait;
    }
    return Step::Wait;
}

bool Connection::in_list_idle() const noexcept {
    return in_idle_list;
}

void Connection::on_head_complete() {
    // A body follows. Static resources ignore it (it is read and discarded); refusing it early
    // would force us to close the connection. Expect: 100-continue is answered right away.
    const http::Request& request = parser_.request();
    if (request.expect_continue) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        // Best effort: the socket buffer of a fresh exchange always has room for 25 bytes; if
        // not, the client sends the body after its own timeout anyway (RFC 9110 §10.1.1).
        [[maybe_unused]] ssize_t n =
            ::send(fd_.get(), kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
    }
    arm_timer(worker_.config().timeouts.header_read);
}

void Connection::on_message_complete() {
    http::Request& request = parser_.request();
    request.peer = peer_;
    request.id = worker_.next_request_id();
    http::Response response;
    try {
        if (request.method_kind == http::Method::Connect) {
            response = handlers::error_response(405);
            response.headers.add("Allow", handlers::kStaticAllow);
            response.close_connection = true;
        } else if (request.raw_path == "*") {
            response.headers.add("Allow", handlers::kStaticAllow);  // OPTIONS * (RFC 9110 §9.3.7)
        } else {
            http::DecodedPath path = http::decode_and_normalize_path(request.raw_path);
            if (!path.ok()) {
                response = handlers::error_response(path.status);
            } else {
                Route route = worker_.router().route(path.path);
                if (route.kind == RouteKind::Cgi) {
                    response = handlers::error_response(501);  // CGI arrives with its own issue
                } else {
                    response = handlers::serve_static(request, path.path, worker_.static_context());
                }
            }
        }
    } catch (const std::exception& e) {
        worker_.log_error("error", request.id, peer_.remote_address,
                          std::string("handler failed: ") + e.what());
        response = handlers::error_response(500);
    }
    start_response(std::move(response));
}

void Connection::respond_error(int status, std::string_view reason) {
    http::Request& request = parser_.request();
    request.peer = peer_;
    request.id = worker_.next_request_id();
    worker_.log_error("info", request.id, peer_.remote_address,
                      "rejected request (" + std::to_string(status) + "): " + std::string(reason));
    http::Response response = handlers::error_response(status);
    response.close_connection = true;
    start_response(std::move(response));
}

void Connection::start_response(http::Response response) {
    const http::Request& request = parser_.request();
    bool parse_failed = parser_.error_status() != 0;
    keep_alive_ =
        !parse_failed && request.keep_alive && !response.close_connection && !worker_.draining();
    // A body we did not read (the parser stopped) leaves the stream unusable.
    if (parser_.in_body()) keep_alive_ = false;

    bool head_only = request.method_kind == http::Method::Head;
    bool no_body = http::status_forbids_body(response.status);
    http::HeadOptions options;
    options.date = worker_.http_date();
    options.server = worker_.shared().server_header;
    options.keep_alive = keep_alive_;
    options.client_is_http10 = request.version.minor == 0;
    if (!no_body) options.content_length = http::body_length(response);

    out_.clear();
    out_pos_ = 0;
    http::append_response_head(out_, response, options);
    body_bytes_sent_ = 0;
    file_ = http::FileBody{};
    if (!head_only && !no_body) {
        if (auto* text = std::get_if<std::string>(&response.body)) {
            out_ += *text;
            body_bytes_sent_ = text->size();
        } else if (auto* file = std::get_if<http::FileBody>(&response.body)) {
            file_ = std::move(*file);
            body_bytes_sent_ = file_.length;
        }
    }
    response_status_ = response.status;
    state_ = State::WritingResponse;
    arm_timer(worker_.config().timeouts.send);
}

Connection::Step Connection::step_writing() {
    if (!can_write_) return Step::Wait;
    while (out_pos_ < out_.size()) {
        int flags = MSG_NOSIGNAL | (file_.length > 0 ? MSG_MORE : 0);
        ssize_t n = ::send(fd_.get(), out_.data() + out_pos_, out_.size() - out_pos_, flags);
        if (n > 0) {
            out_pos_ += static_cast<std::size_t>(n);
            arm_timer(worker_.config().timeouts.send);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            can_write_ = false;
            return Step::Wait;
        }
        close_now();  // the client went away
        return Step::Wait;
    }
    while (file_.length > 0) {
        auto offset = static_cast<off_t>(file_.offset);
        std::size_t chunk = file_.length < kSendfileChunkBytes ? file_.length : kSendfileChunkBytes;
        ssize_t n = ::sendfile(fd_.get(), file_.fd.get(), &offset, chunk);
        if (n > 0) {
            file_.offset += static_cast<std::uint64_t>(n);
            file_.length -= static_cast<std::uint64_t>(n);
            arm_timer(worker_.config().timeouts.send);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            can_write_ = false;
            return Step::Wait;
        }
        // n == 0: the file shrank under us; the promised length cannot be kept, so close.
        worker_.log_error("error", parser_.request().id, peer_.remote_address,
                          "sending file failed or file truncated");
        close_now();
        return Step::Wait;
    }
    finish_response();
    return Step::Continue;
}

void Connection::finish_response() {
    worker_.log_access(parser_.request(), response_status_, body_bytes_sent_);
    ++requests_served_;
    file_ = http::FileBody{};
    out_.clear();
    out_pos_ = 0;
    if (!keep_alive_) {
        begin_lingering_close();
        return;
    }
    parser_.next_message();
    state_ = State::ReadingRequest;
    if (in_pos_ < in_.size()) {
        arm_timer(worker_.config().timeouts.header_read);  // a pipelined request is waiting
        head_timer_armed_ = true;
    } else {
        arm_timer(worker_.config().timeouts.keep_alive);
        head_timer_armed_ = false;
        worker_.mark_idle(*this);
    }
}

void Connection::begin_lingering_close() {
    ::shutdown(fd_.get(), SHUT_WR);
    state_ = State::LingeringClose;
    in_.clear();
    in_pos_ = 0;
    arm_timer(kLingerTimeout);
}

Connection::Step Connection::step_lingering() {
    while (can_read_) {
        char discard[4096];
        ssize_t n = ::recv(fd_.get(), discard, sizeof discard, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            can_read_ = false;
            return Step::Wait;
        }
        break;  // EOF or error: the client has everything it will read
    }
    close_now();
    return Step::Wait;
}

void Connection::on_timeout() {
    switch (state_) {
        case State::ReadingRequest:
            if (parser_.message_started() || in_pos_ < in_.size()) {
                respond_error(408, "timed out reading the request");
                advance();
            } else {
                close_now();  // an idle keep-alive connection: nothing to say
            }
            return;
        case State::WritingResponse:
            worker_.log_error("info", parser_.request().id, peer_.remote_address,
                              "timed out sending the response");
            close_now();
            return;
        case State::LingeringClose:
            close_now();
            return;
        case State::Closed:
            return;
    }
}

}  // namespace cgikit
