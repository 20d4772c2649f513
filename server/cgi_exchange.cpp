#include "cgi_exchange.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>

#include "worker.hpp"

namespace cgikit {

namespace {
// stdout bytes read per read(2) while parsing the head (the head itself is bounded by the parser).
constexpr std::size_t kHeadReadBytes = 16 * 1024;
// stderr is read in chunks of this size and logged line by line.
constexpr std::size_t kStderrReadBytes = 16 * 1024;
// stderr read in one go before the worker turns to its other events and timers: a script that
// writes stderr faster than the log takes it would otherwise hold its worker for as long as it
// writes (its own no-output timeout could not fire). A default pipe's capacity: a burst that fits
// in the pipe is still read at once.
constexpr std::size_t kStderrBytesPerTurn = 64 * 1024;
// How long to wait, after a script closed stdout, for its exit status: a script's exit follows
// its last write within microseconds, and a crash (SIGSEGV mid-body) must cut the response rather
// than end it as complete; a script that closes stdout and keeps running costs its client this.
constexpr std::chrono::milliseconds kExitStatusWait{200};

// A script's non-zero exit or death by signal, for the error log (RFC 3875 leaves the status to
// the server; a response may stand while its script failed).
void log_abnormal_exit(Worker& worker, std::uint64_t request_id, const std::string& client,
                       const std::string& filename, int status) {
    if (status == 0) return;
    worker.log_error("cgi", request_id, client,
                     filename + " " + handlers::describe_wait_status(status));
}
}  // namespace

// One fd of the child in the worker's epoll, forwarding its events to the exchange.
class CgiExchange::Watch final : public net::EventHandler {
  public:
    using Forward = void (CgiExchange::*)(std::uint32_t events);
    Watch(CgiExchange& owner, Forward forward) : owner_(&owner), forward_(forward) {}
    void on_events(std::uint32_t events) override {
        if (owner_ != nullptr) (owner_->*forward_)(events);
    }
    // The exchange is going away; an event already fetched for this fd must find nobody.
    void detach() noexcept { owner_ = nullptr; }

  private:
    CgiExchange* owner_;
    Forward forward_;
};

CgiExchange::StartResult CgiExchange::start(
    Worker& worker, const http::Request& request, const handlers::CgiScript& script,
    handlers::BodySpool* body, const std::optional<handlers::CgiRedirectInfo>& redirect,
    std::function<void()> wake) {
    const Config& config = worker.config();
    if (worker.runs_as_root()) {
        // Set "user" in the config: a CGI script running as root is one bug away from owning
        // the machine.
        worker.log_error("error", request.id, request.peer.remote_address,
                         "refusing to run CGI script " + script.filename + " as root");
        return {nullptr, 500};
    }
    net::unique_fd stdin_fd;
    std::optional<std::uint64_t> length;
    if (body != nullptr) {
        auto finished = body->finish();
        if (finished.error) {
            worker.log_error("error", request.id, request.peer.remote_address,
                             "spooling the request body failed: " + finished.error.message());
            return {nullptr, handlers::spool_error_status(finished.error)};
        }
        stdin_fd = std::move(finished.fd);
        length = finished.length;
    }

    handlers::CgiEnvironmentInput env_input{
        .request = request,
        .script = script,
        .document_root = config.root,
        .server_name = config.server_name,
        .server_software = worker.shared().server_header,
        .https = false,
        .settings = config.cgi,
        .lookup_environment = handlers::lookup_process_environment,
        .body_length = length,
        .redirect = redirect,
    };
    handlers::SpawnRequest spawn;
    spawn.program = script.filename;
    spawn.argv = {script.filename};
    spawn.envp = handlers::build_cgi_environment(env_input);
    spawn.working_directory = script.directory;
    // No body: the worker's /dev/null (RFC 3875 §4.2: the script reads nothing).
    spawn.stdin_fd = stdin_fd ? stdin_fd.get() : worker.spawn_slots().dev_null();
    spawn.limits = config.cgi.resource_limits;
    spawn.slots = &worker.spawn_slots();
    auto spawned = handlers::ChildProcess::spawn(spawn);
    if (!spawned.child) {
        worker.log_error("error", request.id, request.peer.remote_address,
                         "cannot run " + script.filename + ": " + std::string(spawned.failed_step) +
                             ": " + spawned.error.message());
        return {nullptr, 500};
    }
    worker.child_started();
    std::unique_ptr<CgiExchange> exchange(
        new CgiExchange(worker, request, script, std::move(*spawned.child), std::move(wake)));
    return {std::move(exchange), 0};
}

CgiExchange::CgiExchange(Worker& worker, const http::Request& request, handlers::CgiScript script,
                         handlers::ChildProcess child, std::function<void()> wake)
    : worker_(worker),
      request_id_(request.id),
      client_(request.peer.remote_address),
      script_(std::move(script)),
      child_(std::move(child)),
      wake_(std::move(wake)),
      parser_(worker.config().cgi),
      stderr_lines_(worker.config().cgi.max_stderr_line_bytes),
      no_output_timer_([this] {
          timed_out_ = true;
          wake_();
      }),
      exit_wait_timer_([this] {
          exit_wait_over_ = true;
          wake_();
      }),
      stderr_turn_timer_([this] { drain_stderr(); }) {
    net::EventLoop& loop = worker_.loop();
    stdout_watch_ = std::make_unique<Watch>(*this, &CgiExchange::on_stdout_events);
    stderr_watch_ = std::make_unique<Watch>(*this, &CgiExchange::on_stderr_events);
    exit_watch_ = std::make_unique<Watch>(*this, &CgiExchange::on_child_exit);
    // Registering reports what is already there (epoll polls the fd on ADD): output the script
    // wrote, its exit. So nothing is read before the first event, and no read(2) says EAGAIN.
    loop.add(child_.stdout_fd().get(), EPOLLIN, stdout_watch_.get());
    loop.add(child_.stderr_fd().get(), EPOLLIN, stderr_watch_.get());
    loop.add(child_.pidfd(), EPOLLIN, exit_watch_.get());
    no_output_timer_.arm_after(loop.timers(), worker_.config().cgi.no_output_timeout);
}

CgiExchange::~CgiExchange() {
    net::EventLoop& loop = worker_.loop();
    if (child_.stdout_fd()) loop.remove(child_.stdout_fd().get());
    if (child_.stderr_fd()) {
        // Lines the script wrote just before the end may be in an event not yet delivered: look,
        // for one turn (a script still flooding stderr is being stopped with the exchange).
        stderr_.look_again();
        drain_stderr();  // removes and closes the pipe if it reaches the end
        if (child_.stderr_fd()) loop.remove(child_.stderr_fd().get());
    }
    for (auto* watch : {&stdout_watch_, &stderr_watch_, &exit_watch_}) {
        (*watch)->detach();
        loop.defer_destroy(std::move(*watch));
    }
    if (auto rest = stderr_lines_.flush()) {
        worker_.log_error("cgi", request_id_, client_, script_.filename + ": " + *rest);
    }
    if (child_.reaped()) return;
    loop.remove(child_.pidfd());
    // Close our ends first so a script blocked on a full pipe gets EPIPE rather than hanging.
    child_.stdout_fd().reset();
    child_.stderr_fd().reset();
    ChildReaper::Urgency urgency = ChildReaper::Urgency::Finished;
    if (timed_out_) urgency = ChildReaper::Urgency::TimedOut;
    if (abandoned_) urgency = ChildReaper::Urgency::Abandoned;
    // The exit status arrives after the request: the reaper reports it with this request's id.
    worker_.reaper().adopt(
        std::move(child_), urgency,
        [&worker = worker_, id = request_id_, client = client_, filename = script_.filename](
            int status) { log_abnormal_exit(worker, id, client, filename, status); });
}

void CgiExchange::on_child_exit(std::uint32_t events) {
    // A pidfd turns readable only once its child has exited: no waitid() to look first.
    if ((events & EPOLLIN) == 0 || child_.reaped()) return;
    collected(child_.reap_exited());
    wake_();
}

bool CgiExchange::collect_exit() {
    if (child_.reaped()) return true;
    auto status = child_.try_reap();
    if (!status) return false;
    collected(*status);
    return true;
}

void CgiExchange::collected(int status) {
    worker_.loop().remove(child_.pidfd());
    worker_.child_reaped(child_.pid(), status);
    exit_wait_timer_.cancel();
    log_abnormal_exit(worker_, request_id_, client_, script_.filename, status);
}

void CgiExchange::on_stdout_events(std::uint32_t events) {
    stdout_.on_events(events);
    wake_();
}

void CgiExchange::on_stderr_events(std::uint32_t events) {
    stderr_.on_events(events);
    drain_stderr();
}

void CgiExchange::drain_stderr() {
    auto& fd = child_.stderr_fd();
    if (!fd) return;  // ended and closed
    char buf[kStderrReadBytes];
    std::size_t this_turn = 0;
    while (this_turn < kStderrBytesPerTurn) {
        auto got = stderr_.read(fd.get(), buf, sizeof buf);
        switch (got.outcome) {
            case handlers::ChildPipe::Outcome::Bytes:
                for (auto& line : stderr_lines_.feed(std::string_view(buf, got.bytes))) {
                    worker_.log_error("cgi", request_id_, client_, script_.filename + ": " + line);
                }
                this_turn += got.bytes;
                continue;
            case handlers::ChildPipe::Outcome::NothingYet:
                return;
            case handlers::ChildPipe::Outcome::End:
                worker_.loop().remove(fd.get());
                fd.reset();
                return;
        }
    }
    // More may be waiting, and bytes already in the pipe bring no new event: the next turn comes
    // once the worker has handled what else is due (a timer due now waits for its next round).
    stderr_turn_timer_.arm_after(worker_.loop().timers(), std::chrono::milliseconds(0));
}

CgiExchange::ReadResult CgiExchange::read_stdout(std::string& into, std::size_t max) {
    // Through the worker's buffer: growing `into` by `max` first would zero-fill up to 64 KiB
    // per read, most of it never written.
    char* buffer = worker_.read_buffer();
    auto got =
        stdout_.read(child_.stdout_fd().get(), buffer, std::min(max, Worker::kReadBufferBytes));
    switch (got.outcome) {
        case handlers::ChildPipe::Outcome::Bytes:
            into.append(buffer, got.bytes);
            no_output_timer_.arm_after(worker_.loop().timers(),
                                       worker_.config().cgi.no_output_timeout);
            return ReadResult::Data;
        case handlers::ChildPipe::Outcome::NothingYet:
            return ReadResult::WouldBlock;
        case handlers::ChildPipe::Outcome::End:
            break;
    }
    no_output_timer_.cancel();  // the output is complete: no more waiting for it
    return ReadResult::Eof;
}

CgiExchange::Poll CgiExchange::poll_head() {
    if (script_.nph) return Poll::Ready;  // NPH: the script's bytes are the response
    while (true) {
        if (timed_out_) return Poll::TimedOut;
        std::string chunk;
        switch (read_stdout(chunk, kHeadReadBytes)) {
            case ReadResult::WouldBlock:
                return Poll::NeedMore;
            case ReadResult::Eof:
                if (parser_.finish() == handlers::CgiOutputState::Invalid) {
                    error_ = parser_.error();
                    return Poll::Invalid;
                }
                return Poll::Ready;
            case ReadResult::Data:
                break;
        }
        switch (parser_.feed(chunk)) {
            case handlers::CgiOutputState::NeedMore:
                continue;
            case handlers::CgiOutputState::Invalid:
                error_ = parser_.error();
                return Poll::Invalid;
            case handlers::CgiOutputState::HeadersDone:
                buffer_.assign(chunk, parser_.body_offset());
                return Poll::Ready;
        }
    }
}

CgiExchange::Poll CgiExchange::read_body(std::string& out, std::size_t max) {
    if (!buffer_.empty()) {
        std::size_t n = std::min(max, buffer_.size());
        out.append(buffer_, 0, n);
        buffer_.erase(0, n);
        return Poll::Ready;
    }
    if (timed_out_) return Poll::TimedOut;
    switch (read_stdout(out, max)) {
        case ReadResult::Data:
            return Poll::Ready;
        case ReadResult::WouldBlock:
            return Poll::NeedMore;
        case ReadResult::Eof:
            break;
    }
    // Usually the script has exited by now (its exit closed stdout), but its pidfd's event is
    // still to come: looking now lets the end of the body leave with the head.
    if (!collect_exit()) {
        if (!exit_wait_over_) {
            if (!exit_wait_timer_.armed())
                exit_wait_timer_.arm_after(worker_.loop().timers(), kExitStatusWait);
            return Poll::Exiting;
        }
        return Poll::Eof;  // still running after closing stdout: its output is all there is
    }
    int status = child_.try_reap().value_or(0);
    bool crashed = status != handlers::ChildProcess::kStatusLost && WIFSIGNALED(status);
    return crashed ? Poll::Crashed : Poll::Eof;
}

}  // namespace cgikit
