#pragma once
// Connection: one client socket and its state machine (RFC 9112 §9 persistence and pipelining).
//
//   ReadingRequest --message complete--> WritingResponse --keep-alive--> ReadingRequest
//         |  parse error / timeout               |  close after response
//         v                                      v
//   WritingResponse (error, close) ---------> LingeringClose --EOF or timer--> Closed
//
// CGI requests pass through WaitingForCgiSlot (only when the worker is at its child limit) and
// AwaitingCgiHead before WritingResponse, where the body is pulled from the script's stdout as the
// socket drains. A request that awaits a 100 (Continue) for a body no handler will read is answered
// from its head, with "Connection: close" (RFC 9110 §10.1.1). Requests are answered strictly in
// order: while a response is being written, bytes of a pipelined request stay unparsed in the input
// buffer. Handlers never see the socket.
#include <cstdint>
#include <string>

#include <memory>
#include <optional>

#include "handlers/body_spool.hpp"
#include "handlers/cgi_environment.hpp"
#include "handlers/cgi_script_resolver.hpp"
#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "net/event_loop.hpp"
#include "net/timer.hpp"
#include "net/unique_fd.hpp"

namespace cgikit {

class Worker;
class CgiExchange;

class Connection final : public net::EventHandler {
  public:
    Connection(Worker& worker, net::unique_fd fd, http::Peer peer);
    ~Connection() override;

    // Serves what the client has already sent, then registers with the event loop if the
    // connection is still open; false if registration failed.
    bool start();
    void on_events(std::uint32_t events) override;

    // Graceful shutdown: close now if nothing is in flight, else after the current response.
    void close_if_idle();
    void close_now();
    bool is_idle() const noexcept;
    // The worker freed a CGI slot this connection was waiting for.
    void on_child_slot_available();

    // Bookkeeping owned by Worker.
    std::size_t slot = 0;
    Connection* idle_prev = nullptr;
    Connection* idle_next = nullptr;
    bool in_idle_list = false;

  private:
    enum class State {
        ReadingRequest,
        WaitingForCgiSlot,
        AwaitingCgiHead,
        WritingResponse,
        LingeringClose,
        Closed
    };
    // Where the body of the response being written comes from, after out_ is sent.
    enum class BodySource { None, File, Cgi };
    enum class Step { Continue, Wait };

    Step step_reading();
    Step on_parse_event(http::ParseEvent event);
    Step step_writing();
    Step step_lingering();
    Step step_cgi_head();
    Step pull_cgi_body();
    void advance();

    void on_head_complete();
    void on_message_complete();
    void dispatch();
    void handle_request();
    // The script a decoded path maps to (found, or refused with 403 / 404); nullopt when no CGI
    // mapping or extension claims the path.
    std::optional<handlers::CgiScriptLookup> find_cgi_script(const std::string& decoded_path) const;
    // find_cgi_script for the request whose head was just parsed; nullopt also for a path that
    // does not decode. A found script is the only handler that reads a request body.
    std::optional<handlers::CgiScriptLookup> find_cgi_script_for_head() const;
    void start_cgi(handlers::CgiScript script);
    void launch_cgi();
    void on_cgi_head();
    void abort_for_client_gone();
    void respond_error(int status, std::string_view reason);
    void start_response(http::Response&& response);
    void finish_response();
    void end_cgi_body_truncated();
    bool cgi_body_settled() const noexcept;
    void begin_lingering_close();
    bool input_may_be_pending() const noexcept;
    void release();  // closes and hands the connection back to the worker; no log line
    void on_timeout();
    void arm_timer(std::chrono::milliseconds timeout);
    bool in_list_idle() const noexcept;

    Worker& worker_;
    net::unique_fd fd_;
    http::Peer peer_;
    State state_ = State::ReadingRequest;
    http::RequestParser parser_;
    net::Timer timer_;

    std::string in_;  // received, not yet parsed (only while a response is in flight)
    std::size_t in_pos_ = 0;
    bool can_read_ = true;                // edge-triggered readiness: until EAGAIN or a short read
    bool can_write_ = true;               // likewise for writes
    bool peer_finished_sending_ = false;  // EPOLLRDHUP seen: the client's FIN is queued
    bool head_timer_armed_ = false;
    bool registered_ = false;  // in the worker's epoll (only once the connection has to wait)

    // The response being written.
    std::string out_;
    std::size_t out_pos_ = 0;
    BodySource body_source_ = BodySource::None;
    http::FileBody file_;

    // CGI: the spooled request body, the running script, and how its body is framed.
    class SpoolSink final : public http::BodySink {
      public:
        std::unique_ptr<handlers::BodySpool> spool;
        int on_body_data(std::string_view bytes) override;
    };
    SpoolSink spool_sink_;
    std::unique_ptr<CgiExchange> cgi_;
    handlers::CgiScript pending_script_;
    std::optional<handlers::CgiRedirectInfo> redirect_;
    int redirect_hops_ = 0;
    bool cgi_chunked_ = false;                    // frame the script's body as chunks
    bool cgi_discard_ = false;                    // HEAD, 204, 205, 304: read, drop the body
    std::optional<std::uint64_t> cgi_remaining_;  // the script's Content-Length still owed
    bool keep_alive_ = false;
    int response_status_ = 0;
    std::uint64_t body_bytes_sent_ = 0;
    std::uint64_t requests_served_ = 0;
};

}  // namespace cgikit
