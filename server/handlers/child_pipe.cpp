#include "handlers/child_pipe.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

namespace cgikit::handlers {

void ChildPipe::on_events(std::uint32_t events) noexcept {
    // EPOLLIN first: EPOLLIN|EPOLLHUP from Waiting is bytes left by writers that are gone (HungUp),
    // EPOLLHUP alone is an empty pipe that nobody can write to any more (Ended).
    if ((events & EPOLLIN) != 0) advance(Event::Input);
    if ((events & EPOLLHUP) != 0) advance(Event::HangUp);
}

void ChildPipe::look_again() noexcept {
    advance(Event::Input);
}

ChildPipe::ReadResult ChildPipe::read(int fd, char* buffer, std::size_t max) noexcept {
    switch (state_) {
        case State::Waiting:
            return {Outcome::NothingYet, 0};
        case State::Ended:
            return {Outcome::End, 0};
        case State::Readable:
        case State::HungUp:
            break;
    }
    while (true) {
        ssize_t n = ::read(fd, buffer, max);
        if (n > 0) {
            auto bytes = static_cast<std::size_t>(n);
            // A pipe's read returns as soon as the pipe is empty: short means emptied.
            if (bytes < max) advance(Event::ShortRead);
            return {Outcome::Bytes, bytes};
        }
        if (n < 0 && errno == EINTR) continue;
        bool empty = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        advance(empty ? Event::FoundEmpty : Event::FoundEnd);
        return {state_ == State::Ended ? Outcome::End : Outcome::NothingYet, 0};
    }
}

void ChildPipe::advance(Event event) noexcept {
    switch (state_) {
        case State::Waiting:
            if (event == Event::Input) state_ = State::Readable;
            if (event == Event::HangUp) state_ = State::Ended;
            return;
        case State::Readable:
            if (event == Event::HangUp) state_ = State::HungUp;
            if (event == Event::ShortRead) {
                state_ = after_short_read_ == AfterShortRead::ReadAgain ? State::Readable
                                                                        : State::Waiting;
            }
            if (event == Event::FoundEmpty) state_ = State::Waiting;
            if (event == Event::FoundEnd) state_ = State::Ended;
            return;
        case State::HungUp:
            // No writer can refill it: once a read finds it empty (EAGAIN cannot happen without
            // a writer, and is taken as empty too) or at its end, it is over.
            if (event == Event::ShortRead || event == Event::FoundEmpty ||
                event == Event::FoundEnd) {
                state_ = State::Ended;
            }
            return;
        case State::Ended:
            return;
    }
}

}  // namespace cgikit::handlers
