// timestamp_client: sends messages to a time-stamp server (see timestamp_protocol.hpp) and prints
// each reply.
//
//   timestamp_client (--tcp HOST:PORT | --udp HOST:PORT | --unix PATH) [--timeout MS] [MESSAGE...]
//
// Without MESSAGE arguments every line of standard input is a message. Each connect, send and
// receive waits at most --timeout milliseconds (default 5000). Exit status: 0 when every message
// was answered, 1 after a failure (said on stderr), 2 for bad usage.
#include <array>
#include <charconv>
#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/resolver.hpp"
#include "net/socket.hpp"
#include "timestamp_protocol.hpp"

namespace {

using namespace cgikit;

enum class Transport { tcp, udp, unix_stream };

struct CommandLine {
    Transport transport = Transport::tcp;
    std::string endpoint;
    std::chrono::milliseconds timeout{5000};
    std::vector<std::string> messages;  // empty: read standard input
};

// A reply is a stamp and a message: anything much longer is not a reply to us.
constexpr std::size_t max_reply_bytes = 2 * examples::max_message_bytes;

constexpr std::string_view usage =
    "usage: timestamp_client (--tcp HOST:PORT | --udp HOST:PORT | --unix PATH) [--timeout MS]\n"
    "                        [MESSAGE...]\n";

std::optional<CommandLine> parse_command_line(int argc, char** argv) {
    CommandLine line;
    bool have_endpoint = false;
    int i = 1;
    for (; i + 1 < argc && std::string_view(argv[i]).starts_with("--"); i += 2) {
        const std::string_view flag = argv[i];
        const std::string_view value = argv[i + 1];
        if (flag == "--tcp" || flag == "--udp" || flag == "--unix") {
            line.transport = flag == "--tcp"   ? Transport::tcp
                             : flag == "--udp" ? Transport::udp
                                               : Transport::unix_stream;
            line.endpoint = value;
            have_endpoint = true;
        } else if (flag == "--timeout") {
            int ms = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
            if (ec != std::errc() || end != value.data() + value.size() || ms <= 0) {
                return std::nullopt;
            }
            line.timeout = std::chrono::milliseconds{ms};
        } else {
            return std::nullopt;
        }
    }
    for (; i < argc; ++i) {
        const std::string_view message = argv[i];
        if (message.find('\n') != std::string_view::npos) return std::nullopt;  // one line each
        line.messages.emplace_back(message);
    }
    if (!have_endpoint) return std::nullopt;
    return line;
}

int fail(std::string_view what, std::error_code ec) {
    std::cerr << "timestamp_client: " << what << ": " << ec.message() << '\n';
    return 1;
}

// Calls `send` with each message in turn - the arguments, or else the lines of standard input as
// they come - until it fails; returns the exit status.
int for_each_message(const CommandLine& line, const std::function<int(const std::string&)>& send) {
    if (!line.messages.empty()) {
        for (const std::string& message : line.messages) {
            if (const int status = send(message)) return status;
        }
        return 0;
    }
    std::string message;
    while (std::getline(std::cin, message)) {
        if (const int status = send(message)) return status;
    }
    return 0;
}

// The next "\n"-terminated line from `stream`; what follows it stays in `pending`.
net::Result<std::string> read_line(net::StreamSocket& stream, std::string& pending) {
    for (;;) {
        if (const auto end = pending.find('\n'); end != std::string::npos) {
            std::string reply = pending.substr(0, end + 1);
            pending.erase(0, end + 1);
            return {std::move(reply), {}};
        }
        if (pending.size() > max_reply_bytes) {
            return {{}, std::make_error_code(std::errc::message_size)};
        }
        std::array<char, 4096> buffer;
        auto [received, ec] = stream.recv(buffer);
        if (ec) return {{}, ec};
        if (received == 0) {  // the server hung up without answering
            return {{}, std::make_error_code(std::errc::connection_reset)};
        }
        pending.append(buffer.data(), received);
    }
}

int talk_over_stream(net::StreamSocket& server, const CommandLine& line) {
    if (auto ec = server.set_read_timeout(line.timeout)) return fail("socket", ec);
    if (auto ec = server.set_write_timeout(line.timeout)) return fail("socket", ec);
    std::string pending;
    return for_each_message(line, [&](const std::string& message) {
        if (auto ec = server.send_all(message + '\n')) return fail("send", ec);
        auto [reply, ec] = read_line(server, pending);
        if (ec) return fail("no reply", ec);
        std::cout << reply << std::flush;
        return 0;
    });
}

int talk_over_udp(net::UdpSocket& server, const CommandLine& line) {
    if (auto ec = server.set_read_timeout(line.timeout)) return fail("socket", ec);
    if (auto ec = server.set_write_timeout(line.timeout)) return fail("socket", ec);
    std::vector<char> buffer(net::UdpSocket::max_payload_bytes);  // never truncates
    return for_each_message(line, [&](const std::string& message) {
        if (auto [sent, ec] = server.send(message); ec) return fail("send", ec);
        // UDP may lose the request or the reply; a real client would send again after a while.
        auto [reply, ec] = server.recv_from(buffer);
        if (ec) return fail("no reply", ec);
        std::cout << std::string_view(buffer.data(), reply.size) << std::flush;
        return 0;
    });
}

int run(const CommandLine& line) {
    switch (line.transport) {
        case Transport::tcp: {
            auto [addresses, resolve_ec] = net::resolve_endpoint(line.endpoint);
            if (resolve_ec) return fail(line.endpoint, resolve_ec);
            auto [server, ec] = net::TcpStream::connect(addresses, line.timeout);
            if (ec) return fail("connect to " + line.endpoint, ec);
            return talk_over_stream(server, line);
        }
        case Transport::udp: {
            auto [addresses, resolve_ec] =
                net::resolve_endpoint(line.endpoint, {.transport = net::Transport::udp});
            if (resolve_ec) return fail(line.endpoint, resolve_ec);
            auto [server, ec] = net::UdpSocket::connect(addresses.front());
            if (ec) return fail("connect to " + line.endpoint, ec);
            return talk_over_udp(server, line);
        }
        case Transport::unix_stream: {
            const auto address = net::UnixAddress::parse(line.endpoint);
            if (!address)
                return fail(line.endpoint, std::make_error_code(std::errc::invalid_argument));
            auto [server, ec] = net::UnixStream::connect(*address, line.timeout);
            if (ec) return fail("connect to " + line.endpoint, ec);
            return talk_over_stream(server, line);
        }
    }
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const auto line = parse_command_line(argc, argv);
    if (!line) {
        std::cerr << usage;
        return 2;
    }
    return run(*line);
}
