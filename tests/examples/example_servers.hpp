#pragma once
// Running the example server for a test, and talking to it as its clients would.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "net/socket.hpp"
#include "spawned_process.hpp"

namespace cgikit::testing {

using namespace std::chrono_literals;

inline const std::vector<std::string> all_models = {"iterative", "threads", "fork", "event"};

// timestamp_server as a child process, ready: it has said where it listens.
class ServerUnderTest {
  public:
    ServerUnderTest(const std::string& transport_flag, const std::string& endpoint,
                    const std::string& model, const std::vector<std::string>& extra = {})
        : process_(arguments(transport_flag, endpoint, model, extra)) {
        REQUIRE(process_.pid() > 0);
        const auto line = process_.read_line(10s);
        REQUIRE(line);
        // "listening on tcp 127.0.0.1:4711"
        REQUIRE(line->starts_with("listening on "));
        address_ = line->substr(line->rfind(' ') + 1);
    }

    pid_t pid() const { return process_.pid(); }
    bool running() const { return process_.running(); }
    SpawnedProcess& process() { return process_; }
    const std::string& address() const { return address_; }
    net::SocketAddress socket_address() const {
        const auto parsed = net::SocketAddress::parse(address_);
        REQUIRE(parsed);
        return *parsed;
    }
    net::UnixAddress unix_address() const { return *net::UnixAddress::parse(address_); }

  private:
    static std::vector<std::string> arguments(const std::string& transport_flag,
                                              const std::string& endpoint, const std::string& model,
                                              const std::vector<std::string>& extra) {
        std::vector<std::string> argv{TIMESTAMP_SERVER, transport_flag, endpoint, "--model", model};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }

    SpawnedProcess process_;
    std::string address_;
};

// A fresh directory under /tmp, removed (with a socket file in it) afterwards.
class TemporaryDirectory {
  public:
    TemporaryDirectory() {
        char pattern[] = "/tmp/cgikit-examples-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~TemporaryDirectory() {
        ::unlink((path_ + "/server.sock").c_str());
        ::rmdir(path_.c_str());
    }
    std::string socket_path() const { return path_ + "/server.sock"; }

  private:
    std::string path_;
};

// Whether `reply` is the protocol's answer to `message`: "[" + ctime + "] " + message + "\n",
// ctime being 24 characters.
inline bool is_reply_to(std::string_view reply, std::string_view message) {
    constexpr std::size_t ctime_length = 24;
    return reply.size() == 1 + ctime_length + 2 + message.size() + 1 && reply.front() == '[' &&
           reply.substr(1 + ctime_length, 2) == "] " &&
           reply.substr(1 + ctime_length + 2, message.size()) == message && reply.back() == '\n';
}

// The next line from `stream` (with its newline); `pending` keeps what follows it. Empty on
// failure or end of stream.
inline std::string read_line(net::StreamSocket& stream, std::string& pending) {
    for (;;) {
        if (const auto end = pending.find('\n'); end != std::string::npos) {
            std::string line = pending.substr(0, end + 1);
            pending.erase(0, end + 1);
            return line;
        }
        std::array<char, 4096> buffer;
        auto [received, ec] = stream.recv(buffer);
        if (ec || received == 0) return {};
        pending.append(buffer.data(), received);
    }
}

// Everything `stream` delivers until its end; a reset ends it too (see the oversize tests).
inline std::string read_to_end(net::StreamSocket& stream) {
    std::string all;
    std::array<char, 4096> buffer;
    for (;;) {
        auto [received, ec] = stream.recv(buffer);
        if (ec || received == 0) return all;
        all.append(buffer.data(), received);
    }
}

}  // namespace cgikit::testing
