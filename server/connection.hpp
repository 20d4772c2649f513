#pragma once
// Connection: one client socket and its state machine (RFC 9112 §9 persistence and pipelining).
//
//   ReadingRequest --message complete--> WritingResponse --keep-alive--> ReadingRequest
//         |  parse error / timeout               |  close after response
//         v                                      v
//   WritingResponse (error, close) ---------> LingeringClose --EOF or timer--> Closed
//
// Requests are answered strictly in order: while a response is being written, bytes of a pipelined
// request stay unparsed in the input buffer. Handlers never see the socket.
#include <cstdint>
#include <string>

#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "net/event_loop.hpp"
#include "net/timer.hpp"
#include "net/unique_fd.hpp"

namespace cgikit {

class Worker;

class Connection final : public net::EventHandler {
  public:
    Connection(Worker& worker, net::unique_fd fd, http::Peer peer);
    ~Connection() override;

    // Registers with the event loop and starts reading; false if registration failed.
    bool start();
    void on_events(std::uint32_t events) override;

    // Graceful shutdown: close now if nothing is in flight, else after the current response.
    void close_if_idle();
    void close_now();
    bool is_idle() const noexcept;

    // Bookkeeping owned by Worker.
    std::size_t slot = 0;
    Connection* idle_prev = nullptr;
    Connection* idle_next = nullptr;
    bool in_idle_list = false;

  private:
    enum class State { ReadingRequest, WritingResponse, LingeringClose, Closed };
    enum class Step { Continue, Wait };

    Step step_reading();
    Step step_writing();
    Step step_lingering();
    void advance();

    void on_head_complete();
    void on_message_complete();
    void respond_error(int status, std::string_view reason);
    void start_response(http::Response response);
    void finish_response();
    void begin_lingering_close();
    void on_timeout();
    void arm_timer(std::chrono::milliseconds timeout);
    // Reads what the socket has into in_; returns false at EOF or on a hard error.
    enum class ReadResult { Data, WouldBlock, Eof };
    ReadResult read_some();
    bool in_list_idle() const noexcept;

    Worker& worker_;
    net::unique_fd fd_;
    http::Peer peer_;
    State state_ = State::ReadingRequest;
    http::RequestParser parser_;
    net::Timer timer_;

    std::string in_;  // received, not yet parsed
    std::size_t in_pos_ = 0;
    bool can_read_ = true;   // edge-triggered readiness: true until read() says EAGAIN
    bool can_write_ = true;  // likewise for writes
    bool head_timer_armed_ = false;

    // The response being written.
    std::string out_;
    std::size_t out_pos_ = 0;
    http::FileBody file_;
    bool keep_alive_ = false;
    int response_status_ = 0;
    std::uint64_t body_bytes_sent_ = 0;
    std::uint64_t requests_served_ = 0;
};

}  // namespace cgikit
