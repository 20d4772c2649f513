// The example client: against the real server, and against servers that never answer.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "example_servers.hpp"

using namespace cgikit;
using namespace cgikit::testing;

namespace {

struct ClientRun {
    int status = -1;
    std::string out;
    std::string err;
    Clock::duration took{};
};

ClientRun run_client(const std::vector<std::string>& arguments, const std::string& input = {}) {
    std::vector<std::string> argv{TIMESTAMP_CLIENT};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ClientRun run;
    const auto start = Clock::now();
    SpawnedProcess client(argv, true, true);
    REQUIRE(client.pid() > 0);
    client.write_stdin(input);
    client.close_stdin();
    run.status = client.finish(20s, &run.out, &run.err);
    run.took = Clock::now() - start;
    return run;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        out.push_back(text.substr(start, end - start + 1));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

void check_replies(const ClientRun& run, const std::vector<std::string>& messages) {
    INFO("stderr: " << run.err);
    CHECK(run.status == 0);
    const auto replies = lines(run.out);
    REQUIRE(replies.size() == messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i)
        CHECK(is_reply_to(replies[i], messages[i]));
}

// The client against a server that takes its request and never answers must give up after its
// timeout, and not much later.
void check_gives_up(const ClientRun& run, std::chrono::milliseconds timeout) {
    INFO("stderr: " << run.err);
    CHECK(run.status == 1);
    CHECK_THAT(run.err, Catch::Contains("timed out"));
    CHECK(run.took >= timeout);
    CHECK(run.took < timeout + 5s);
}

}  // namespace

TEST_CASE("the client prints the reply to each message argument, over every transport",
          "[client]") {
    const std::vector<std::string> messages{"one", "two words", ""};
    {
        ServerUnderTest server("--tcp", "127.0.0.1:0", "event");
        check_replies(run_client({"--tcp", server.address(), "one", "two words", ""}), messages);
    }
    {
        ServerUnderTest server("--udp", "127.0.0.1:0", "iterative");
        check_replies(run_client({"--udp", server.address(), "one", "two words", ""}), messages);
    }
    {
        TemporaryDirectory directory;
        ServerUnderTest server("--unix", directory.socket_path(), "threads");
        check_replies(run_client({"--unix", server.address(), "one", "two words", ""}), messages);
    }
}

TEST_CASE("the client resolves names and reads messages from stdin", "[client]") {
    ServerUnderTest server("--tcp", "127.0.0.1:0", "fork");
    const std::string port = server.address().substr(server.address().rfind(':') + 1);
    check_replies(run_client({"--tcp", "localhost:" + port}, "from\nstandard input\n"),
                  {"from", "standard input"});
}

TEST_CASE("the client gives up on a TCP server that never answers", "[client][timeout]") {
    // A listener that never accepts: the kernel completes the handshake and queues the
    // connection, takes the request into its buffer, and nobody ever replies.
    auto [listener, ec] = net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    const auto address = listener.local_address()->to_string();
    check_gives_up(run_client({"--tcp", address, "--timeout", "300", "hello?"}), 300ms);
}

TEST_CASE("the client gives up on a TCP connect that cannot complete", "[client][timeout]") {
    // Backlog 0 and one connection queued: further handshakes are not answered.
    auto [listener, ec] =
        net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1:0"), {.backlog = 0});
    REQUIRE_FALSE(ec);
    auto [queued, queued_ec] = net::TcpStream::connect(*listener.local_address(), 5s);
    REQUIRE_FALSE(queued_ec);
    const auto address = listener.local_address()->to_string();
    check_gives_up(run_client({"--tcp", address, "--timeout", "300", "hello?"}), 300ms);
}

TEST_CASE("the client gives up on a UDP server that never answers", "[client][timeout]") {
    auto [silent, ec] = net::UdpSocket::bind(*net::SocketAddress::parse("127.0.0.1:0"));
    REQUIRE_FALSE(ec);
    const auto address = silent.local_address()->to_string();
    check_gives_up(run_client({"--udp", address, "--timeout", "300", "hello?"}), 300ms);
}

TEST_CASE("the client gives up on a Unix-socket server that never answers", "[client][timeout]") {
    TemporaryDirectory directory;
    auto [listener, ec] =
        net::UnixListener::bind(*net::UnixAddress::from_path(directory.socket_path()));
    REQUIRE_FALSE(ec);
    check_gives_up(run_client({"--unix", directory.socket_path(), "--timeout", "300", "hello?"}),
                   300ms);
}

TEST_CASE("the client reports a refused connection at once", "[client]") {
    net::SocketAddress closed;
    {
        auto [listener, ec] = net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1:0"));
        REQUIRE_FALSE(ec);
        closed = *listener.local_address();
    }
    const auto run = run_client({"--tcp", closed.to_string(), "--timeout", "5000", "hi"});
    CHECK(run.status == 1);
    CHECK_THAT(run.err, Catch::Contains("refused"));
    CHECK(run.took < 4s);
}

TEST_CASE("the client refuses bad command lines with status 2", "[client]") {
    CHECK(run_client({}).status == 2);
    CHECK(run_client({"--tcp"}).status == 2);
    CHECK(run_client({"--tcp", "127.0.0.1:1", "--timeout", "0", "x"}).status == 2);
    CHECK(run_client({"--tcp", "127.0.0.1:1", "two\nlines"}).status == 2);
}
