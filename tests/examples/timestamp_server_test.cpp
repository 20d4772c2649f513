// The example server under load, in each concurrency model and over each transport: every reply
// right, and afterwards no descriptor leaked and no child left unreaped.
#include <catch2/catch.hpp>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../unit/server/net/open_descriptors.hpp"
#include "example_servers.hpp"
#include "process_inspection.hpp"
#include "timestamp_protocol.hpp"

using namespace cgikit;
using namespace cgikit::testing;
using cgikit::net::testing::open_descriptor_count;

namespace {

constexpr int concurrent_clients = 50;
constexpr int messages_per_client = 5;
// Bounds every wait of a test client: far above any healthy reply time, so only a hang hits it.
constexpr auto client_timeout = 10s;

std::string message_text(int client, int message) {
    return "client " + std::to_string(client) + " message " + std::to_string(message);
}

// Runs `clients` clients at once. Each first connects, then waits for all the others to be
// connected, then converses; `client(index, connected)` does that and returns what went wrong
// ("" for nothing). Returns the failures.
template <class Client>
std::vector<std::string> run_concurrently(int clients, Client client) {
    std::latch all_connected(clients);
    std::mutex mutex;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    for (int index = 0; index < clients; ++index) {
        threads.emplace_back([&, index] {
            std::string failure = client(index, all_connected);
            if (failure.empty()) return;
            const std::lock_guard lock(mutex);
            failures.push_back("client " + std::to_string(index) + ": " + failure);
        });
    }
    for (auto& thread : threads)
        thread.join();
    return failures;
}

// One stream client's conversation, each message answered before the next is sent.
std::string converse(net::StreamSocket& stream, int client) {
    if (stream.set_read_timeout(client_timeout) || stream.set_write_timeout(client_timeout)) {
        return "set timeouts";
    }
    std::string pending;
    for (int message = 0; message < messages_per_client; ++message) {
        const std::string text = message_text(client, message);
        if (auto ec = stream.send_all(text + "\n")) return "send: " + ec.message();
        const std::string reply = read_line(stream, pending);
        if (!is_reply_to(reply, text)) return "bad reply '" + reply + "' to '" + text + "'";
    }
    return {};
}

std::string converse(net::UdpSocket& socket, int client) {
    if (socket.set_read_timeout(client_timeout)) return "set timeout";
    std::array<char, 8192> buffer;
    for (int message = 0; message < messages_per_client; ++message) {
        const std::string text = message_text(client, message);
        if (auto [sent, ec] = socket.send(text); ec) return "send: " + ec.message();
        auto [reply, ec] = socket.recv_from(buffer);
        if (ec) return "recv: " + ec.message();
        const std::string_view reply_text(buffer.data(), reply.size);
        if (!is_reply_to(reply_text, text)) {
            return "bad reply '" + std::string(reply_text) + "' to '" + text + "'";
        }
    }
    return {};
}

void check_failures(const std::vector<std::string>& failures) {
    for (std::size_t i = 0; i < std::min<std::size_t>(failures.size(), 5); ++i) {
        UNSCOPED_INFO(failures[i]);
    }
    CHECK(failures.empty());
}

// After its clients have gone, a stream server holds its listener and nothing else, and has no
// children left: the fork model reaped every one.
void check_stream_server_at_rest(ServerUnderTest& server) {
    CHECK(server.running());
    CHECK(eventually([&] { return socket_count(server.pid()) == 1; }));
    CHECK(eventually([&] { return children_of(server.pid()).empty(); }));
}

}  // namespace

TEST_CASE("each model answers many concurrent TCP clients", "[server][tcp]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    ServerUnderTest server("--tcp", "127.0.0.1:0", model);
    const auto descriptors_before = open_descriptor_count();

    check_failures(run_concurrently(concurrent_clients, [&](int index, std::latch& connected) {
        auto [stream, ec] = net::TcpStream::connect(server.socket_address(), client_timeout);
        connected.arrive_and_wait();
        return ec ? "connect: " + ec.message() : converse(stream, index);
    }));

    CHECK(open_descriptor_count() == descriptors_before);
    check_stream_server_at_rest(server);
}

TEST_CASE("each model answers many concurrent Unix-socket clients", "[server][unix]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    TemporaryDirectory directory;
    ServerUnderTest server("--unix", directory.socket_path(), model);
    CHECK(server.address() == directory.socket_path());
    const auto descriptors_before = open_descriptor_count();

    check_failures(run_concurrently(concurrent_clients, [&](int index, std::latch& connected) {
        auto [stream, ec] = net::UnixStream::connect(server.unix_address(), client_timeout);
        connected.arrive_and_wait();
        return ec ? "connect: " + ec.message() : converse(stream, index);
    }));

    CHECK(open_descriptor_count() == descriptors_before);
    check_stream_server_at_rest(server);
}

TEST_CASE("each model answers many concurrent UDP clients, losing nothing on loopback",
          "[server][udp]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    ServerUnderTest server("--udp", "127.0.0.1:0", model, {"--workers", "3"});
    const auto descriptors_before = open_descriptor_count();

    check_failures(run_concurrently(concurrent_clients, [&](int index, std::latch& connected) {
        auto [socket, ec] = net::UdpSocket::connect(server.socket_address());
        connected.arrive_and_wait();
        return ec ? "connect: " + ec.message() : converse(socket, index);
    }));

    CHECK(open_descriptor_count() == descriptors_before);
    CHECK(server.running());
    CHECK(socket_count(server.pid()) == 1);
    // The fork model's workers live on; none of them is a zombie.
    CHECK(children_of(server.pid()).size() == (model == "fork" ? 3u : 0u));
    CHECK(zombie_children(server.pid()) == 0);
}

TEST_CASE("an oversize datagram is answered with an error, and the server goes on",
          "[server][udp]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    ServerUnderTest server("--udp", "127.0.0.1:0", model);
    auto [socket, ec] = net::UdpSocket::connect(server.socket_address());
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(socket.set_read_timeout(client_timeout));
    std::array<char, 8192> buffer;

    REQUIRE_FALSE(socket.send(std::string(examples::max_message_bytes + 1000, 'u')).error);
    auto [error_reply, error_ec] = socket.recv_from(buffer);
    REQUIRE_FALSE(error_ec);
    CHECK(std::string_view(buffer.data(), error_reply.size) == examples::oversize_reply());

    // The largest message fits exactly and is answered.
    const std::string largest(examples::max_message_bytes, 'l');
    REQUIRE_FALSE(socket.send(largest).error);
    auto [reply, reply_ec] = socket.recv_from(buffer);
    REQUIRE_FALSE(reply_ec);
    CHECK(is_reply_to({buffer.data(), reply.size}, largest));
    CHECK(server.running());
}

TEST_CASE("an oversize line gets an error line and the connection is closed", "[server][tcp]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    ServerUnderTest server("--tcp", "127.0.0.1:0", model);
    auto [stream, ec] = net::TcpStream::connect(server.socket_address(), client_timeout);
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(stream.set_read_timeout(client_timeout));
    REQUIRE_FALSE(stream.send_all("fine\n" + std::string(examples::max_message_bytes + 1, 'x')));
    const std::string received = read_to_end(stream);
    const auto newline = received.find('\n');
    REQUIRE(newline != std::string::npos);
    CHECK(is_reply_to(received.substr(0, newline + 1), "fine"));
    CHECK(received.substr(newline + 1) == examples::oversize_reply());
    check_stream_server_at_rest(server);
}

TEST_CASE("a line that arrives a byte at a time is answered once, whole", "[server][tcp]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    ServerUnderTest server("--tcp", "127.0.0.1:0", model);
    auto [stream, ec] = net::TcpStream::connect(server.socket_address(), client_timeout);
    REQUIRE_FALSE(ec);
    REQUIRE_FALSE(stream.set_no_delay(true));  // one segment per byte
    REQUIRE_FALSE(stream.set_read_timeout(client_timeout));
    const std::string line = "slowly, byte by byte\r\n";
    for (const char byte : line)
        REQUIRE_FALSE(stream.send_all(std::string(1, byte)));
    REQUIRE_FALSE(stream.shutdown(net::Shutdown::write));
    const std::string received = read_to_end(stream);
    CHECK(is_reply_to(received, "slowly, byte by byte"));
}

TEST_CASE("a silent client is dropped after the idle timeout, and holds up nobody else for longer",
          "[server][timeout]") {
    const std::string model = GENERATE(from_range(all_models));
    INFO("model " << model);
    constexpr auto idle_timeout = 300ms;
    ServerUnderTest server("--tcp", "127.0.0.1:0", model,
                           {"--idle-timeout", std::to_string(idle_timeout.count())});
    const auto start = Clock::now();
    // Connected first, so the iterative server takes this one first.
    auto [silent, silent_ec] = net::TcpStream::connect(server.socket_address(), client_timeout);
    REQUIRE_FALSE(silent_ec);
    auto [talker, talker_ec] = net::TcpStream::connect(server.socket_address(), client_timeout);
    REQUIRE_FALSE(talker_ec);
    REQUIRE_FALSE(talker.set_read_timeout(client_timeout));
    REQUIRE_FALSE(talker.send_all("anyone?\n"));
    std::string pending;
    CHECK(is_reply_to(read_line(talker, pending), "anyone?"));
    const auto talker_waited = Clock::now() - start;
    // The iterative server answered only once the silent client had timed out; the others at once.
    if (model == "iterative") CHECK(talker_waited >= idle_timeout);

    REQUIRE_FALSE(silent.set_read_timeout(client_timeout));
    std::array<char, 16> buffer;
    auto [received, ec] = silent.recv(buffer);
    const auto silent_lasted = Clock::now() - start;
    CHECK_FALSE(ec);
    CHECK(received == 0);  // the server hung up on it
    CHECK(silent_lasted >= idle_timeout);
    CHECK(silent_lasted < 5s);
}

TEST_CASE("a stale Unix socket file is replaced, a live one left to its server", "[server][unix]") {
    TemporaryDirectory directory;
    {
        ServerUnderTest crashed("--unix", directory.socket_path(), "iterative");
        crashed.process().signal(SIGKILL);
        crashed.process().wait();
    }
    CHECK(::access(directory.socket_path().c_str(), F_OK) == 0);  // left behind

    ServerUnderTest server("--unix", directory.socket_path(), "event");
    auto [stream, ec] = net::UnixStream::connect(server.unix_address(), client_timeout);
    REQUIRE_FALSE(ec);
    CHECK(converse(stream, 0).empty());

    SpawnedProcess second({TIMESTAMP_SERVER, "--unix", directory.socket_path()}, false, true);
    std::string err;
    CHECK(second.finish(10s, nullptr, &err) == 1);
    CHECK_THAT(err, Catch::Contains("in use"));
    CHECK(converse(stream, 1).empty());  // the first server is unharmed
}

TEST_CASE("the server refuses bad command lines with status 2", "[server]") {
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {TIMESTAMP_SERVER},
             {TIMESTAMP_SERVER, "--tcp"},
             {TIMESTAMP_SERVER, "--tcp", "127.0.0.1:0", "--model", "magic"},
             {TIMESTAMP_SERVER, "--tcp", "127.0.0.1:0", "--idle-timeout", "-5"},
             {TIMESTAMP_SERVER, "--bogus", "x"}}) {
        SpawnedProcess server(argv, false, true);
        std::string err;
        CHECK(server.finish(10s, nullptr, &err) == 2);
        CHECK_THAT(err, Catch::StartsWith("usage:"));
    }
}
