#pragma once
// CgiExchange: one running CGI script (RFC 3875) seen from the worker: the child process, its
// stdout (parsed as a CGI response head, then streamed as the body), its stderr (logged line by
// line with the request id) and its no-output timeout. The connection drives it: it asks for the
// head, then pulls body bytes only when the client socket can take more, so a slow client bounds
// the memory used (the pipe fills and the script blocks). The exchange never touches the client
// socket.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "handlers/body_spool.hpp"
#include "handlers/cgi_environment.hpp"
#include "handlers/cgi_output_parser.hpp"
#include "handlers/cgi_script_resolver.hpp"
#include "handlers/child_pipe.hpp"
#include "handlers/child_process.hpp"
#include "handlers/stderr_lines.hpp"
#include "http/request.hpp"
#include "net/event_loop.hpp"
#include "net/timer.hpp"

namespace cgikit {

class Worker;

class CgiExchange {
  public:
    struct StartResult {
        std::unique_ptr<CgiExchange> exchange;
        int status = 0;  // when no exchange: the status to answer with (500, 413...)
    };
    // Spawns the script. `body` is the spooled request body (nullptr: none). `wake` is called
    // whenever there is something new for the connection (output, EOF, timeout).
    static StartResult start(Worker& worker, const http::Request& request,
                             const handlers::CgiScript& script, handlers::BodySpool* body,
                             const std::optional<handlers::CgiRedirectInfo>& redirect,
                             std::function<void()> wake);
    ~CgiExchange();
    CgiExchange(const CgiExchange&) = delete;
    CgiExchange& operator=(const CgiExchange&) = delete;

    // Exiting: stdout is closed and the exit status is awaited (for at most kExitStatusWait), so
    // that a body cut short by a crash is not presented as complete. Crashed: the script died of a
    // signal after closing stdout's last bytes; Eof: it ended otherwise (or the wait ran out).
    enum class Poll { NeedMore, Ready, Exiting, Eof, Crashed, Invalid, TimedOut };

    // Reads and parses the response head. Ready: head() is valid and body bytes that followed it
    // are in the buffer for the first read_body(). Invalid: error() says why (-> 502).
    Poll poll_head();
    const handlers::CgiResponseHead& head() const noexcept { return parser_.head(); }
    const std::string& error() const noexcept { return error_; }
    bool nph() const noexcept { return script_.nph; }

    // Appends up to `max` body bytes to `out`. Ready: some were appended.
    Poll read_body(std::string& out, std::size_t max);

    // The client is gone: the script is killed rather than waited for.
    void abandon() noexcept { abandoned_ = true; }

  private:
    class Watch;
    CgiExchange(Worker& worker, const http::Request& request, handlers::CgiScript script,
                handlers::ChildProcess child, std::function<void()> wake);
    // Events of the child's descriptors (epoll masks).
    void on_stdout_events(std::uint32_t events);
    void on_stderr_events(std::uint32_t events);
    void on_child_exit(std::uint32_t events);  // the pidfd's
    bool collect_exit();                       // reaps the child if it has exited; true once reaped
    void collected(int status);
    void drain_stderr();  // reads and logs stderr, at most kStderrBytesPerTurn at a time
    enum class ReadResult { Data, WouldBlock, Eof };
    ReadResult read_stdout(std::string& into, std::size_t max);

    Worker& worker_;
    std::uint64_t request_id_;
    std::string client_;
    handlers::CgiScript script_;
    handlers::ChildProcess child_;
    std::function<void()> wake_;
    std::unique_ptr<Watch> stdout_watch_, stderr_watch_, exit_watch_;
    handlers::CgiOutputParser parser_;
    handlers::StderrLineSplitter stderr_lines_;
    net::Timer no_output_timer_;
    net::Timer exit_wait_timer_;
    net::Timer stderr_turn_timer_;  // the next turn of a stderr that had more than one turn's worth
    bool exit_wait_over_ = false;
    std::string buffer_;  // stdout bytes read but not yet handed on
    // stdout looks once more after a short read: a script usually exits right after its last
    // write, and a read that finds the end now lets the head, the body and the chunked terminator
    // leave in one send(2) instead of two. stderr waits for its next event: its lines are only
    // logged, and an extra read would mostly say EAGAIN.
    handlers::ChildPipe stdout_{handlers::ChildPipe::AfterShortRead::ReadAgain};
    handlers::ChildPipe stderr_{handlers::ChildPipe::AfterShortRead::Wait};
    bool timed_out_ = false;
    bool abandoned_ = false;
    std::string error_;
};

}  // namespace cgikit
