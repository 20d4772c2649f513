#pragma once
// Worker: one thread, one event loop, its own SO_REUSEPORT listeners and the connections they
// accept. Workers share nothing mutable but the log files (see log.hpp), so the request path takes
// no lock. request_stop() is the one call made from another thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child_reaper.hpp"
#include "config.hpp"
#include "handlers/child_process.hpp"
#include "handlers/static_file_handler.hpp"
#include "http/http_date.hpp"
#include "log.hpp"
#include "net/event_loop.hpp"
#include "net/socket_address.hpp"
#include "router.hpp"

namespace cgikit {

class Connection;

struct ListenSocket {
    net::unique_fd fd;
    net::SocketAddress address;  // as bound (port resolved)
};

// Read-only state every worker shares.
struct SharedState {
    const Config* config = nullptr;
    const handlers::MimeTypes* mime = nullptr;
    int root_fd = -1;
    LogFile* access_log = nullptr;
    LogFile* error_log = nullptr;
    std::string server_header;  // "cgikit/<version>"
};

class Worker {
  public:
    Worker(const SharedState& shared, std::vector<ListenSocket> listeners, unsigned index);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker();

    // The thread body: serves until request_stop(), then drains in-flight requests (bounded by
    // timeouts.shutdown_grace) and returns.
    void run();
    // Thread-safe.
    void request_stop() noexcept;

    // --- for connections of this worker ---
    const Config& config() const noexcept { return *shared_.config; }
    const SharedState& shared() const noexcept { return shared_; }
    net::EventLoop& loop() noexcept { return loop_; }
    const Router& router() const noexcept { return router_; }
    const handlers::StaticContext& static_context() const noexcept { return static_context_; }
    // Where this worker's connections receive, and its CGI exchanges read their pipes: the
    // parser copies what it keeps and pipe bytes are appended to the response, so one buffer
    // per worker serves them all (nothing lives in it between two calls). 64 KiB: one typical
    // request head or a whole pipe buffer (Linux's default) per syscall; big bodies move in few.
    static constexpr std::size_t kReadBufferBytes = 64 * 1024;
    char* read_buffer() noexcept { return read_buffer_.get(); }
    std::string_view http_date() { return date_.now(); }
    // What a connection's dispatch() answers with: a response is serialised as soon as it is made,
    // so one per worker serves every request, and its storage (header fields, a text body) is
    // reused instead of allocated again per response.
    http::Response& reusable_response() noexcept { return reusable_response_; }
    bool draining() const noexcept { return draining_; }
    std::uint64_t next_request_id() noexcept { return ++request_counter_ * 64 + index_; }

    void log_access(const http::Request& request, int status, std::uint64_t body_bytes);
    void log_error(std::string_view level, std::uint64_t request_id, std::string_view client,
                   std::string_view message);

    // Idle keep-alive connections, oldest first: shed when the connection limit is reached.
    void mark_idle(Connection& c) noexcept;
    void mark_busy(Connection& c) noexcept;
    // A connection is done; it is destroyed after the current event batch.
    void release(Connection& c);

    // CGI children of this worker, bounded by cgi.max_children; requests beyond it wait in FIFO
    // order for a slot (the connection times the wait out with a 503).
    ChildReaper& reaper() noexcept { return reaper_; }
    handlers::SpawnSlots& spawn_slots() noexcept { return spawn_slots_; }
    // Whether CGI children would run as root (CgiExchange refuses to spawn them then). Read once:
    // workers are built after the server has dropped its privileges, and nothing changes the
    // effective uid afterwards.
    bool runs_as_root() const noexcept { return runs_as_root_; }
    bool child_slot_available() const noexcept;
    void child_started() noexcept { ++live_children_; }
    void child_reaped(pid_t pid, int status);
    void wait_for_child_slot(Connection& c);
    void stop_waiting_for_child_slot(Connection& c) noexcept;

  private:
    class Acceptor;
    class StopSignal;
    void accept_from(int listen_fd);
    void begin_drain();
    void after_batch();

    SharedState shared_;
    unsigned index_;
    // Reserved while the process holds few descriptors (workers are built before any connection
    // exists), so a CGI child copies only a handful of them.
    handlers::SpawnSlots spawn_slots_;
    bool runs_as_root_;
    net::EventLoop loop_;
    Router router_;
    handlers::StaticContext static_context_;
    http::DateCache date_;
    std::unique_ptr<char[]> read_buffer_ = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
    http::Response reusable_response_;
    std::vector<ListenSocket> listeners_;
    std::vector<std::unique_ptr<Acceptor>> acceptors_;
    std::unique_ptr<StopSignal> stop_signal_;
    net::Timer accept_retry_;
    net::Timer drain_deadline_;
    net::Timer file_cache_sweep_;
    std::vector<std::unique_ptr<Connection>> connections_;  // index stored in the connection
    Connection* idle_head_ = nullptr;
    Connection* idle_tail_ = nullptr;
    ChildReaper reaper_;
    std::size_t live_children_ = 0;
    std::vector<Connection*> slot_waiters_;  // FIFO; short in practice
    bool draining_ = false;
    std::uint64_t request_counter_ = 0;
    std::string access_buffer_;
    std::time_t clf_second_ = 0;
    std::string clf_now_;
};

}  // namespace cgikit
