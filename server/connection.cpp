#include "connection.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "cgi_exchange.hpp"
#include "handlers/error_page.hpp"
#include "http/response_writer.hpp"
#include "http/status.hpp"
#include "http/uri_path.hpp"
#include "worker.hpp"

namespace cgikit {

namespace {

// sendfile(2) per call: large enough to amortise the syscall, small enough to stay fair to the
// other connections of the worker.
constexpr std::size_t kSendfileChunkBytes = 1024 * 1024;
// After an error response, how long we drain the client's input before closing, so that closing
// with unread data does not turn into a TCP reset that destroys the response in flight.
constexpr std::chrono::milliseconds kLingerTimeout{2000};
// CGI body bytes pulled from the script per step: one pipe's worth keeps syscalls few while the
// memory held per connection stays bounded whatever the client's speed.
constexpr std::size_t kCgiChunkBytes = 64 * 1024;

void append_chunk(std::string& out, std::string_view data) {
    static constexpr char kHex[] = "0123456789abcdef";
    char size[20];
    int n = 0;
    for (std::size_t v = data.size(); v > 0 || n == 0; v >>= 4)
        size[n++] = kHex[v & 15];
    while (n > 0)
        out += size[--n];
    out += "\r\n";
    out += data;
    out += "\r\n";
}

}  // namespace

Connection::Connection(Worker& worker, net::unique_fd fd, http::Peer peer)
    : worker_(worker),
      fd_(std::move(fd)),
      peer_(std::move(peer)),
      parser_(worker.config().parser_limits),
      timer_([this] { on_timeout(); }) {}

Connection::~Connection() = default;

bool Connection::start() {
    arm_timer(worker_.config().timeouts.header_read);
    head_timer_armed_ = true;
    // Read before registering: a client usually sends its request with (or right after) the
    // handshake, so the request is often there already. One that is answered and closed at once
    // (`Connection: close`) then never costs an epoll_ctl ADD and DEL.
    advance();
    if (state_ == State::Closed) return true;
    // Registering reports any readiness that arose since the reads above (the kernel polls the
    // socket on ADD), so nothing that arrived in between is missed.
    if (!worker_.loop().add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this)) return false;
    registered_ = true;
    return true;
}

void Connection::on_events(std::uint32_t events) {
    if (state_ == State::Closed) return;
    bool waiting_on_cgi = state_ == State::WaitingForCgiSlot || state_ == State::AwaitingCgiHead ||
                          (state_ == State::WritingResponse && body_source_ == BodySource::Cgi);
    if (waiting_on_cgi && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        // Like nginx, a client that closes while a script works has abandoned the request: the
        // script is killed instead of running to no one.
        abort_for_client_gone();
        return;
    }
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) peer_finished_sending_ = true;
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

void Connection::abort_for_client_gone() {
    worker_.log_error("info", parser_.request().id, peer_.remote_address,
                      "client closed the connection while the CGI script ran; script stopped");
    if (cgi_) cgi_->abandon();
    close_now();
}

void Connection::close_now() {
    if (state_ == State::Closed) return;
    if (state_ == State::WritingResponse) {
        // A response cut short (send timeout, client gone) still gets its access-log line, with
        // the body bytes that did not leave subtracted where they are known.
        worker_.log_access(parser_.request(), response_status_, body_bytes_sent_ - file_.length);
    }
    release();
}

void Connection::release() {
    state_ = State::Closed;
    timer_.cancel();
    cgi_.reset();
    if (registered_) worker_.loop().remove(fd_.get());
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
            case State::AwaitingCgiHead:
                step = step_cgi_head();
                break;
            case State::WaitingForCgiSlot:
                return;
            case State::Closed:
                return;
        }
        if (step == Step::Wait) return;
    }
}

Connection::Step Connection::step_reading() {
    if (in_pos_ < in_.size()) {
        std::string_view pending(in_.data() + in_pos_, in_.size() - in_pos_);
        http::ParseResult result = parser_.feed(pending);
        in_pos_ += result.consumed;
        if (in_pos_ == in_.size()) {
            in_.clear();
            in_pos_ = 0;
        }
        if (result.event != http::ParseEvent::NeedMore) return on_parse_event(result.event);
    }
    // Here the parser has consumed every byte received so far (it stops short only at an event).
    if (!can_read_) return Step::Wait;
    // Receive into the worker's buffer and parse from there: the parser copies what it keeps, so
    // only bytes it leaves (a pipelined request while this one is answered) are copied into in_,
    // and an idle connection holds no receive buffer.
    char* buffer = worker_.read_buffer();
    ssize_t n = ::recv(fd_.get(), buffer, Worker::kReadBufferBytes, 0);
    if (n < 0) {
        if (errno == EINTR) return Step::Continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            can_read_ = false;
            return Step::Wait;
        }
    }
    if (n <= 0) {
        if (parser_.message_started()) {
            worker_.log_error("info", 0, peer_.remote_address,
                              "client closed the connection mid-request");
        }
        close_now();
        return Step::Wait;
    }
    // A short read emptied the socket; edge-triggered epoll reports whatever arrives next, so a
    // recv(2) that would only say EAGAIN is not needed. Unless the client's FIN came with these
    // bytes: its event is spent, so only reading on to the 0 of EOF will show it.
    if (static_cast<std::size_t>(n) < Worker::kReadBufferBytes && !peer_finished_sending_) {
        can_read_ = false;
    }
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
    std::string_view received(buffer, static_cast<std::size_t>(n));
    http::ParseResult result = parser_.feed(received);
    in_.append(received.substr(result.consumed));
    return on_parse_event(result.event);
}

Connection::Step Connection::on_parse_event(http::ParseEvent event) {
    switch (event) {
        case http::ParseEvent::NeedMore:
            return Step::Continue;
        case http::ParseEvent::HeadComplete:
            on_head_complete();
            return Step::Continue;
        case http::ParseEvent::MessageComplete:
            on_message_complete();
            return Step::Continue;
        case http::ParseEvent::Error:
            if (spool_sink_.spool && spool_sink_.spool->error()) {
                // The body could not be stored: the log line says why (ENOSPC, EDQUOT, EIO...).
                respond_error(parser_.error_status(),
                              parser_.error_reason() + ": " + spool_sink_.spool->describe_error());
                return Step::Continue;
            }
            respond_error(parser_.error_status(), parser_.error_reason());
            return Step::Continue;
    }
    return Step::Continue;
}

bool Connection::in_list_idle() const noexcept {
    return in_idle_list;
}

int Connection::SpoolSink::on_body_data(std::string_view bytes) {
    std::error_code error = spool->append(bytes);
    return error ? handlers::spool_error_status(error) : 0;
}

std::optional<handlers::CgiScriptLookup> Connection::find_cgi_script(
    const std::string& decoded_path) const {
    if (Route route = worker_.router().route(decoded_path); route.kind == RouteKind::Cgi) {
        return handlers::resolve_cgi_script(*route.mapping, decoded_path);
    }
    const auto& extensions = worker_.config().cgi.extensions;
    if (extensions.empty()) return std::nullopt;
    return handlers::resolve_by_extension(worker_.config().root, decoded_path, extensions);
}

std::optional<handlers::CgiScriptLookup> Connection::find_cgi_script_for_head() const {
    // CONNECT (no path) and OPTIONS * do not decode: like a bad path, they are answered by us.
    http::DecodedPath path = http::decode_and_normalize_path(parser_.request().raw_path);
    if (!path.ok()) return std::nullopt;
    return find_cgi_script(path.path);
}

void Connection::on_head_complete() {
    // A body follows. Only a CGI script reads it: it gets it spooled (memory, then an unlinked
    // temp file) so that it reads at its own pace, with no pipe between us and its stdin and so
    // no deadlock. Every other answer (a static file, 405, 404, 403, 400) is decided by the head:
    // unless the client awaits a 100 (below), its body is read and dropped, so that the
    // connection stays usable.
    const http::Request& request = parser_.request();
    const std::optional<handlers::CgiScriptLookup> script = find_cgi_script_for_head();
    if (request.expect_continue && !(script && script->found())) {
        // The client waits for a 100 before it sends the body, and the answer does not depend on
        // it: give the final answer now, without the 100 (RFC 9110 §10.1.1 "MAY omit"), rather
        // than have the body uploaded for nothing. The client may then send the body or not, so
        // the bytes that follow cannot be told apart from a next request: the response says
        // "Connection: close" (§10.1.1: the server "SHOULD indicate whether it intends to close
        // the connection"; RFC 9112 §9.6), and the lingering close drains whatever body still
        // comes so that it does not reset the answer. Apache and lighttpd do the same; nginx
        // instead keeps the connection and reads the body if it comes, which takes a pipelined
        // request sent instead of the body as body.
        handle_request();
        return;
    }
    if (script) {
        // Spooled whenever a CGI mapping claims the path, even for a script that is missing or
        // refused right now: should it be in place by the time the body is in, it must get the
        // body its CONTENT_LENGTH announces, not an empty stdin.
        const auto& cgi = worker_.config().cgi;
        spool_sink_.spool =
            std::make_unique<handlers::BodySpool>(cgi.spool_memory_bytes, cgi.spool_directory,
                                                  worker_.config().parser_limits.max_body_bytes);
        parser_.set_body_sink(&spool_sink_);
    }
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
    handle_request();
}

void Connection::handle_request() {
    http::Request& request = parser_.request();
    request.peer = peer_;
    request.id = worker_.next_request_id();
    redirect_.reset();
    redirect_hops_ = 0;
    dispatch();
}

void Connection::dispatch() {
    http::Request& request = parser_.request();
    // Every branch below fills it from scratch: assigned, cleared, or by serve_static.
    http::Response& response = worker_.reusable_response();
    try {
        if (request.method_kind == http::Method::Connect) {
            response = handlers::error_response(405);
            response.headers.add("Allow", handlers::kStaticAllow);
            response.close_connection = true;
        } else if (request.raw_path == "*") {
            response.clear();
            response.headers.add("Allow", handlers::kStaticAllow);  // OPTIONS * (RFC 9110 §9.3.7)
        } else {
            http::DecodedPath path = http::decode_and_normalize_path(request.raw_path);
            if (!path.ok()) {
                response = handlers::error_response(path.status);
            } else if (auto lookup = find_cgi_script(path.path)) {
                // A script that cannot run (missing, not executable, leaves the root) is never
                // served as a file: that would publish the script's source.
                if (lookup->found()) {
                    start_cgi(std::move(lookup->script));
                    return;
                }
                response = handlers::error_response(lookup->status);
            } else {
                handlers::serve_static(request, path.path, worker_.static_context(), response);
            }
        }
    } catch (const std::exception& e) {
        worker_.log_error("error", request.id, peer_.remote_address,
                          std::string("handler failed: ") + e.what());
        response = handlers::error_response(500);
    }
    start_response(std::move(response));
}

void Connection::start_cgi(handlers::CgiScript script) {
    pending_script_ = std::move(script);
    timer_.cancel();
    if (!worker_.child_slot_available()) {
        // Every slot is taken: wait briefly in line rather than fork without bound.
        state_ = State::WaitingForCgiSlot;
        worker_.wait_for_child_slot(*this);
        arm_timer(worker_.config().cgi.queue_timeout);
        return;
    }
    launch_cgi();
}

void Connection::on_child_slot_available() {
    if (state_ != State::WaitingForCgiSlot) return;
    launch_cgi();
    advance();
}

void Connection::launch_cgi() {
    timer_.cancel();
    auto started = CgiExchange::start(worker_, parser_.request(), pending_script_,
                                      spool_sink_.spool.get(), redirect_, [this] { advance(); });
    spool_sink_.spool.reset();  // the child has its own descriptor of the body
    if (!started.exchange) {
        start_response(handlers::error_response(started.status));
        return;
    }
    cgi_ = std::move(started.exchange);
    state_ = State::AwaitingCgiHead;
}

Connection::Step Connection::step_cgi_head() {
    const http::Request& request = parser_.request();
    switch (cgi_->poll_head()) {
        case CgiExchange::Poll::NeedMore:
        case CgiExchange::Poll::Eof:
        case CgiExchange::Poll::Exiting:  // body states: poll_head never returns them
        case CgiExchange::Poll::Crashed:
            return Step::Wait;
        case CgiExchange::Poll::Invalid:
            worker_.log_error(
                "error", request.id, peer_.remote_address,
                "invalid output from " + pending_script_.filename + ": " + cgi_->error());
            cgi_.reset();
            start_response(handlers::error_response(502));
            return Step::Continue;
        case CgiExchange::Poll::TimedOut:
            worker_.log_error(
                "error", request.id, peer_.remote_address,
                "no output from " + pending_script_.filename + " within the CGI timeout");
            cgi_.reset();
            start_response(handlers::error_response(504));
            return Step::Continue;
        case CgiExchange::Poll::Ready:
            on_cgi_head();
            return Step::Continue;
    }
    return Step::Wait;
}

void Connection::on_cgi_head() {
    http::Request& request = parser_.request();
    if (cgi_->nph()) {
        // NPH (RFC 3875 §5): the script's bytes are the whole response; we add nothing and close.
        out_.clear();
        out_pos_ = 0;
        file_ = http::FileBody{};
        body_source_ = BodySource::Cgi;
        cgi_chunked_ = false;
        cgi_discard_ = false;
        cgi_remaining_.reset();
        keep_alive_ = false;
        response_status_ = 200;  // for the access log, until the script's status line is read
        body_bytes_sent_ = 0;
        state_ = State::WritingResponse;
        arm_timer(worker_.config().timeouts.send);
        return;
    }
    const handlers::CgiResponseHead& head = cgi_->head();
    switch (head.kind) {
        case handlers::CgiResponseKind::LocalRedirect: {
            // RFC 3875 §6.2.2: serve the new path as a GET; the body is not replayed.
            if (++redirect_hops_ > worker_.config().cgi.max_internal_redirects) {
                worker_.log_error(
                    "error", request.id, peer_.remote_address,
                    "too many internal redirects, last from " + pending_script_.filename);
                cgi_.reset();
                start_response(handlers::error_response(500));
                return;
            }
            handlers::CgiRedirectInfo info;
            info.status = 200;
            info.url = request.raw_path;
            if (request.has_query) info.query = request.query;
            redirect_ = std::move(info);
            std::string path = head.local_path;
            std::string query = head.local_query;
            bool has_query = head.local_has_query;
            cgi_.reset();
            if (request.method_kind != http::Method::Head) {  // HEAD stays HEAD: no body may follow
                request.method = "GET";
                request.method_kind = http::Method::Get;
            }
            request.raw_path = path;
            request.has_query = has_query;
            request.query = query;
            request.target = has_query ? path + "?" + query : path;
            request.content_length.reset();
            request.chunked = false;
            dispatch();
            return;
        }
        case handlers::CgiResponseKind::ClientRedirect: {
            http::Response response = handlers::error_response(head.status);
            response.reason = head.reason;
            for (const auto& field : head.headers)
                response.headers.add(field.name, field.value);
            cgi_.reset();
            start_response(std::move(response));
            return;
        }
        case handlers::CgiResponseKind::Document:
        case handlers::CgiResponseKind::ClientRedirectWithDocument: {
            http::Response response;
            response.status = head.status;
            response.reason = head.reason;
            response.headers = head.headers;
            response.body = http::StreamBody{head.content_length};
            start_response(std::move(response));
            pull_cgi_body();  // what the script has already written goes out with the head
            return;
        }
    }
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

void Connection::start_response(http::Response&& response) {
    const http::Request& request = parser_.request();
    bool parse_failed = parser_.error_status() != 0;
    keep_alive_ =
        !parse_failed && request.keep_alive && !response.close_connection && !worker_.draining();
    // A body we did not read (the parser stopped) leaves the stream unusable.
    if (parser_.in_body()) keep_alive_ = false;

    bool head_only = request.method_kind == http::Method::Head;
    bool no_body = http::status_forbids_body(response.status);
    bool no_content = http::status_forbids_content(response.status);  // 205 says so with a length
    http::HeadOptions options;
    options.date = worker_.http_date();
    options.server = worker_.shared().server_header;
    options.client_is_http10 = request.version.minor == 0;
    body_source_ = BodySource::None;
    if (auto* stream = std::get_if<http::StreamBody>(&response.body)) {
        // The script's body: with its Content-Length, chunked on 1.1, else delimited by close.
        body_source_ = BodySource::Cgi;
        cgi_discard_ = head_only || no_content;
        // A status without content (204, 205, 304) is framed by us, not by the script's length:
        // whatever it wrote is read and dropped to its end.
        cgi_remaining_ = no_content ? std::nullopt : stream->length;
        cgi_chunked_ = !cgi_discard_ && !stream->length && request.version.minor == 1;
        if (!cgi_discard_ && !stream->length && !cgi_chunked_) keep_alive_ = false;
        if (!no_body) options.content_length = no_content ? 0 : stream->length;
        options.chunked = cgi_chunked_;
    } else if (!no_body) {
        options.content_length = no_content ? 0 : http::body_length(response);
    }
    options.keep_alive = keep_alive_;

    out_.clear();
    out_pos_ = 0;
    http::append_response_head(out_, response, options);
    body_bytes_sent_ = 0;
    file_ = http::FileBody{};
    if (!head_only && !no_content) {
        if (auto* text = std::get_if<std::string>(&response.body)) {
            out_ += *text;
            body_bytes_sent_ = text->size();
        } else if (auto* file = std::get_if<http::FileBody>(&response.body)) {
            file_ = std::move(*file);
            body_bytes_sent_ = file_.length;
            body_source_ = BodySource::File;
        }
    }
    // A file not sent (HEAD, 304) is let go now, not when the worker's reused Response is next
    // cleared: an idle worker must not hold a deleted file open.
    if (auto* file = std::get_if<http::FileBody>(&response.body)) file->fd.reset();
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
    if (body_source_ == BodySource::Cgi) return pull_cgi_body();
    finish_response();
    return Step::Continue;
}

Connection::Step Connection::pull_cgi_body() {
    if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
    }
    const http::Request& request = parser_.request();
    // Gather what the script has ready, up to one chunk, so that a small response (head, body and
    // the chunked terminator) leaves in one send(2) instead of three.
    std::string data;
    while (body_source_ == BodySource::Cgi && out_.size() - out_pos_ < kCgiChunkBytes) {
        data.clear();
        std::size_t want = kCgiChunkBytes;
        if (cgi_remaining_ && *cgi_remaining_ < want)
            want = static_cast<std::size_t>(*cgi_remaining_) + 1;
        switch (cgi_->read_body(data, want)) {
            case CgiExchange::Poll::NeedMore:
                if (out_pos_ < out_.size()) return Step::Continue;  // send what we have
                timer_.cancel();  // the script's own no-output timeout governs this wait
                return Step::Wait;
            case CgiExchange::Poll::Ready:
                if (cgi_remaining_) {
                    if (data.size() > *cgi_remaining_) {
                        // The script wrote more than its Content-Length: send what it promised
                        // and close, never letting the surplus become a second response.
                        worker_.log_error(
                            "error", request.id, peer_.remote_address,
                            pending_script_.filename + " wrote more than its Content-Length");
                        data.resize(static_cast<std::size_t>(*cgi_remaining_));
                        keep_alive_ = false;
                        cgi_remaining_ = 0;
                        body_source_ = BodySource::None;
                    } else {
                        *cgi_remaining_ -= data.size();
                    }
                }
                if (cgi_discard_) continue;
                if (cgi_->nph() && body_bytes_sent_ == 0) {
                    // The access log gets the status the NPH script sent, when its first output
                    // starts with a status line (a line split across writes keeps 200).
                    response_status_ = http::status_line_code(data).value_or(response_status_);
                }
                body_bytes_sent_ += data.size();
                if (cgi_chunked_) {
                    append_chunk(out_, data);
                } else {
                    out_ += data;
                }
                continue;
            case CgiExchange::Poll::Exiting:
                if (!cgi_body_settled()) {
                    // Hold what was gathered: it leaves with the end of the body, or the cut.
                    timer_.cancel();
                    return Step::Wait;
                }
                // A body complete by its length (or dropped, for HEAD) cannot be cut by a crash:
                // no reason to keep the client waiting for the exit status.
                [[fallthrough]];
            case CgiExchange::Poll::Crashed:
                if (!cgi_body_settled()) {
                    // A script killed mid-body: a chunked or close-delimited response must not
                    // end as if complete, so it ends without its terminator (RFC 9112 §8).
                    worker_.log_error("error", request.id, peer_.remote_address,
                                      pending_script_.filename + " died mid-response; cut");
                    end_cgi_body_truncated();
                    break;
                }
                [[fallthrough]];  // its body was complete: a crash on the way out changes nothing
            case CgiExchange::Poll::Eof:
                body_source_ = BodySource::None;
                if (!cgi_body_settled() && cgi_remaining_) {
                    worker_.log_error(
                        "error", request.id, peer_.remote_address,
                        pending_script_.filename + " wrote less than its Content-Length");
                    end_cgi_body_truncated();  // the client must see the body is short
                    break;
                }
                if (cgi_chunked_) out_ += "0\r\n\r\n";
                break;
            case CgiExchange::Poll::TimedOut:
            case CgiExchange::Poll::Invalid:
                worker_.log_error("error", request.id, peer_.remote_address,
                                  "no output from " + pending_script_.filename +
                                      " within the CGI timeout; connection cut");
                close_now();  // the head is out: cutting the connection is all that is left
                return Step::Wait;
        }
    }
    return Step::Continue;
}

bool Connection::cgi_body_settled() const noexcept {
    // Dropped (HEAD, 204, 205, 304) or complete by its Content-Length: how the script ends no
    // longer changes what the client gets.
    return cgi_discard_ || (cgi_remaining_ && *cgi_remaining_ == 0);
}

void Connection::end_cgi_body_truncated() {
    // What was gathered still goes out; then the connection closes, and the missing terminator
    // or the short length tells the client that the body is incomplete.
    body_source_ = BodySource::None;
    keep_alive_ = false;
}

void Connection::finish_response() {
    worker_.log_access(parser_.request(), response_status_, body_bytes_sent_);
    ++requests_served_;
    cgi_.reset();
    body_source_ = BodySource::None;
    file_ = http::FileBody{};
    out_.clear();
    out_pos_ = 0;
    if (!keep_alive_) {
        if (input_may_be_pending()) {
            begin_lingering_close();
        } else {
            // The request was read whole and the socket drained: nothing unread can turn our
            // close into a reset that destroys the response, so no lingering is needed (as nginx).
            release();
        }
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

bool Connection::input_may_be_pending() const noexcept {
    // Unparsed bytes, a socket not known to be drained, a body left unread or a request refused
    // mid-stream: the client may still be sending, and closing now would answer it with a RST.
    return in_pos_ < in_.size() || can_read_ || parser_.in_body() || parser_.error_status() != 0;
}

void Connection::begin_lingering_close() {
    ::shutdown(fd_.get(), SHUT_WR);
    state_ = State::LingeringClose;
    in_.clear();
    in_pos_ = 0;
    arm_timer(kLingerTimeout);
}

Connection::Step Connection::step_lingering() {
    // Read and drop until the client's EOF or the linger timer: closing while it still sends
    // (an upload after a 413) would reset the connection and destroy the answer (RFC 9112 §9.6).
    while (true) {
        if (!can_read_) return Step::Wait;
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
        case State::WaitingForCgiSlot:
            worker_.stop_waiting_for_child_slot(*this);
            worker_.log_error("error", parser_.request().id, peer_.remote_address,
                              "no CGI slot free within the queue timeout");
            start_response(handlers::error_response(503));
            advance();
            return;
        case State::AwaitingCgiHead:
        case State::Closed:
            return;
    }
}

}  // namespace cgikit
