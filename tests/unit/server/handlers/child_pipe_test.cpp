#include "handlers/child_pipe.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "net/unique_fd.hpp"

using cgikit::handlers::ChildPipe;
using cgikit::net::unique_fd;
using Outcome = ChildPipe::Outcome;
using State = ChildPipe::State;

namespace {

// A read(2) on this descriptor fails with EBADF, which a ChildPipe takes as the end: a read that
// answers anything else with it proves that no system call was made.
constexpr int kNoDescriptor = -1;

struct TestPipe {
    unique_fd read_end, write_end;
    TestPipe() {
        int fds[2] = {-1, -1};
        REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
    void write(const std::string& bytes) {
        REQUIRE(::write(write_end.get(), bytes.data(), bytes.size()) ==
                static_cast<ssize_t>(bytes.size()));
    }
};

struct Read {
    Outcome outcome;
    std::string bytes;
};

Read read_from(ChildPipe& pipe, int fd, std::size_t max) {
    char buffer[64];
    REQUIRE(max <= sizeof buffer);
    auto got = pipe.read(fd, buffer, max);
    return {got.outcome, std::string(buffer, got.bytes)};
}

}  // namespace

TEST_CASE("a pipe with no event yet makes no read", "[child_pipe]") {
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    CHECK(pipe.state() == State::Waiting);
    CHECK(read_from(pipe, kNoDescriptor, 16).outcome == Outcome::NothingYet);
    CHECK(pipe.state() == State::Waiting);
}

TEST_CASE("a short read empties the pipe: Wait waits for the next event", "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    fds.write("hello");
    pipe.on_events(EPOLLIN);
    CHECK(pipe.state() == State::Readable);
    Read got = read_from(pipe, fds.read_end.get(), 16);
    CHECK(got.outcome == Outcome::Bytes);
    CHECK(got.bytes == "hello");
    CHECK(pipe.state() == State::Waiting);
    CHECK(read_from(pipe, kNoDescriptor, 16).outcome == Outcome::NothingYet);
}

TEST_CASE("a short read empties the pipe: ReadAgain looks once more and finds EAGAIN",
          "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::ReadAgain);
    fds.write("hello");
    pipe.on_events(EPOLLIN);
    CHECK(read_from(pipe, fds.read_end.get(), 16).bytes == "hello");
    CHECK(pipe.state() == State::Readable);
    CHECK(read_from(pipe, fds.read_end.get(), 16).outcome == Outcome::NothingYet);
    CHECK(pipe.state() == State::Waiting);
}

TEST_CASE("ReadAgain finds the end of a writer that closed right after writing", "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::ReadAgain);
    fds.write("last words");
    pipe.on_events(EPOLLIN);  // the EPOLLHUP of the close below is not handled yet
    fds.write_end.reset();
    CHECK(read_from(pipe, fds.read_end.get(), 32).bytes == "last words");
    CHECK(read_from(pipe, fds.read_end.get(), 32).outcome == Outcome::End);
    CHECK(pipe.state() == State::Ended);
}

TEST_CASE("a read that fills the buffer leaves the pipe readable", "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    fds.write("abcdefgh");
    pipe.on_events(EPOLLIN);
    CHECK(read_from(pipe, fds.read_end.get(), 4).bytes == "abcd");
    CHECK(pipe.state() == State::Readable);
    CHECK(read_from(pipe, fds.read_end.get(), 4).bytes == "efgh");
    CHECK(pipe.state() == State::Readable);  // full again: it cannot know the pipe is empty
    CHECK(read_from(pipe, fds.read_end.get(), 4).outcome == Outcome::NothingYet);
    CHECK(pipe.state() == State::Waiting);
}

TEST_CASE("EPOLLHUP after a short read already says the end: no read returning 0", "[child_pipe]") {
    for (auto policy : {ChildPipe::AfterShortRead::Wait, ChildPipe::AfterShortRead::ReadAgain}) {
        TestPipe fds;
        ChildPipe pipe(policy);
        fds.write("bye");
        fds.write_end.reset();
        pipe.on_events(EPOLLIN | EPOLLHUP);
        CHECK(pipe.state() == State::HungUp);
        CHECK(read_from(pipe, fds.read_end.get(), 16).bytes == "bye");
        CHECK(pipe.state() == State::Ended);
        CHECK(read_from(pipe, kNoDescriptor, 16).outcome == Outcome::End);
    }
}

TEST_CASE("a hung-up pipe is read until a short read", "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    fds.write("abcdefg");
    fds.write_end.reset();
    pipe.on_events(EPOLLIN | EPOLLHUP);
    CHECK(read_from(pipe, fds.read_end.get(), 4).bytes == "abcd");
    CHECK(pipe.state() == State::HungUp);
    CHECK(read_from(pipe, fds.read_end.get(), 4).bytes == "efg");
    CHECK(pipe.state() == State::Ended);
}

TEST_CASE("a hung-up pipe whose reads filled the buffer ends at the read that returns 0",
          "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    fds.write("abcd");
    fds.write_end.reset();
    pipe.on_events(EPOLLIN | EPOLLHUP);
    CHECK(read_from(pipe, fds.read_end.get(), 4).bytes == "abcd");
    CHECK(pipe.state() == State::HungUp);
    CHECK(read_from(pipe, fds.read_end.get(), 4).outcome == Outcome::End);
    CHECK(pipe.state() == State::Ended);
}

TEST_CASE("EPOLLHUP alone on an emptied pipe is the end", "[child_pipe]") {
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    pipe.on_events(EPOLLHUP);
    CHECK(pipe.state() == State::Ended);
    CHECK(read_from(pipe, kNoDescriptor, 16).outcome == Outcome::End);
}

TEST_CASE("EPOLLHUP alone after ReadAgain's short read reads the end", "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::ReadAgain);
    fds.write("x");
    pipe.on_events(EPOLLIN);
    CHECK(read_from(pipe, fds.read_end.get(), 16).bytes == "x");
    fds.write_end.reset();
    pipe.on_events(EPOLLHUP);
    CHECK(pipe.state() == State::HungUp);
    CHECK(read_from(pipe, fds.read_end.get(), 16).outcome == Outcome::End);
}

TEST_CASE("a failed read is the end", "[child_pipe]") {
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    pipe.on_events(EPOLLIN);
    CHECK(read_from(pipe, kNoDescriptor, 16).outcome == Outcome::End);
    CHECK(pipe.state() == State::Ended);
}

TEST_CASE("events after the end change nothing", "[child_pipe]") {
    ChildPipe pipe(ChildPipe::AfterShortRead::ReadAgain);
    pipe.on_events(EPOLLHUP);
    pipe.on_events(EPOLLIN);
    pipe.look_again();
    CHECK(pipe.state() == State::Ended);
    CHECK(read_from(pipe, kNoDescriptor, 16).outcome == Outcome::End);
}

TEST_CASE("look_again reads bytes whose event was not handled", "[child_pipe]") {
    TestPipe fds;
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    fds.write("late");
    pipe.look_again();
    CHECK(pipe.state() == State::Readable);
    CHECK(read_from(pipe, fds.read_end.get(), 16).bytes == "late");
    CHECK(pipe.state() == State::Waiting);
}

TEST_CASE("the kernel's edge-triggered events are those the states expect", "[child_pipe]") {
    TestPipe fds;
    unique_fd epoll(::epoll_create1(EPOLL_CLOEXEC));
    REQUIRE(epoll);
    epoll_event registration{};
    registration.events = EPOLLIN | EPOLLET;
    REQUIRE(::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fds.read_end.get(), &registration) == 0);
    ChildPipe pipe(ChildPipe::AfterShortRead::Wait);
    auto deliver = [&] {
        epoll_event event{};
        int n = ::epoll_wait(epoll.get(), &event, 1, 0);  // a write queues its event at once
        if (n == 1) pipe.on_events(event.events);
        return n;
    };

    CHECK(deliver() == 0);
    fds.write("one");
    REQUIRE(deliver() == 1);
    CHECK(read_from(pipe, fds.read_end.get(), 16).bytes == "one");
    CHECK(pipe.state() == State::Waiting);
    CHECK(deliver() == 0);  // edge-triggered: nothing more until the next write

    // Every write into the emptied pipe brings an event, so Waiting misses nothing.
    fds.write("two");
    REQUIRE(deliver() == 1);
    CHECK(pipe.state() == State::Readable);

    // The last writer closing with bytes left: one event says both.
    fds.write_end.reset();
    REQUIRE(deliver() == 1);
    CHECK(pipe.state() == State::HungUp);
    CHECK(read_from(pipe, fds.read_end.get(), 16).bytes == "two");
    CHECK(pipe.state() == State::Ended);
}
