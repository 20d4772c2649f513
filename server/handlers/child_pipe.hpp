#pragma once
// ChildPipe: what the worker knows about one of a CGI child's output pipes (its stdout or its
// stderr), watched edge-triggered (EventLoop adds EPOLLET), and the read(2) that this knowledge
// allows. Only an event or one of our own reads can say that something changed, so the state
// decides whether a read is worth its system call: none while the pipe is known to be empty, and
// none to learn the end once EPOLLHUP and a read that emptied the pipe have said it (no read that
// returns 0). The descriptor belongs to ChildProcess; this only tracks it.
#include <cstddef>
#include <cstdint>

namespace cgikit::handlers {

class ChildPipe {
  public:
    enum class State {
        // No bytes known to be waiting: none came yet, or our last read emptied the pipe. The next
        // write into the empty pipe brings EPOLLIN (-> Readable); the last write end closing brings
        // EPOLLHUP, and EPOLLHUP without EPOLLIN means nothing is left (-> Ended).
        Waiting,
        // EPOLLIN came since the pipe was last seen empty, and a write end is open: read. A read
        // that fills the buffer may leave more (stays); a short read emptied the pipe (-> the
        // AfterShortRead of this pipe); EAGAIN: empty (-> Waiting); 0 or an error: the end
        // (-> Ended); EPOLLHUP: the writers are gone (-> HungUp).
        Readable,
        // EPOLLHUP said every write end is closed: the bytes still in the pipe are all there will
        // ever be. Read; a short read (or EAGAIN) empties it for good (-> Ended), so the end is
        // known without the read(2) that would return 0.
        HungUp,
        // Every write end closed and the pipe empty (or unreadable): nothing more will come. Final:
        // events are ignored and reads make no system call.
        Ended,
    };

    // Where a short read leaves a pipe whose writer may still write (State::Readable).
    enum class AfterShortRead {
        // Stays Readable: the next read looks once more (an EAGAIN read if nothing came), for a
        // pipe whose end is worth finding early.
        ReadAgain,
        // -> Waiting: the next write brings an EPOLLIN, which is all the owner needs.
        Wait,
    };

    enum class Outcome {
        Bytes,       // `bytes` were read
        NothingYet,  // the pipe is empty and a writer may still write: wait for an event
        End,         // nothing more will come
    };
    struct ReadResult {
        Outcome outcome = Outcome::NothingYet;
        std::size_t bytes = 0;
    };

    explicit ChildPipe(AfterShortRead after_short_read) noexcept
        : after_short_read_(after_short_read) {}

    // An epoll mask for the pipe (EPOLLIN, EPOLLHUP; anything else is ignored).
    void on_events(std::uint32_t events) noexcept;
    // Bytes may have arrived without their event having been handled yet (it may be queued in
    // the epoll instance still): the next read looks (Waiting -> Readable).
    void look_again() noexcept;
    // One read(2) of up to `max` bytes (at least 1) into `buffer` from `fd` (non-blocking), when
    // the state says it can find anything; EINTR is retried.
    ReadResult read(int fd, char* buffer, std::size_t max) noexcept;

    State state() const noexcept { return state_; }

  private:
    enum class Event {
        Input,       // EPOLLIN, or look_again()
        HangUp,      // EPOLLHUP
        ShortRead,   // a read returned fewer bytes than asked: it emptied the pipe
        FoundEmpty,  // a read said EAGAIN
        FoundEnd,    // a read returned 0 or failed
    };
    void advance(Event event) noexcept;

    AfterShortRead after_short_read_;
    State state_ = State::Waiting;
};

}  // namespace cgikit::handlers
