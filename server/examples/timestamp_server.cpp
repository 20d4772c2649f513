// timestamp_server: the time-stamp server of the network-programming tutorials (see
// timestamp_protocol.hpp), over TCP, UDP or a Unix-domain socket, with a choice of the four
// classic ways to serve many clients.
//
//   timestamp_server (--tcp HOST:PORT | --udp HOST:PORT | --unix PATH)
//                    [--model iterative|threads|fork|event] [--idle-timeout MS]
//                    [--max-clients N] [--workers N]
//
// Once it is ready it prints "listening on <transport> <address>" (port 0 picks a free port; the
// line says which). A Unix socket file left behind by a server that is gone is replaced.
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "model_event.hpp"
#include "model_fork.hpp"
#include "model_iterative.hpp"
#include "model_threads.hpp"
#include "net/resolver.hpp"
#include "net/socket.hpp"
#include "serving.hpp"

namespace {

using namespace cgikit;
using namespace cgikit::examples;

enum class Transport { tcp, udp, unix_stream };
enum class Model { iterative, threads, fork, event };

struct CommandLine {
    Transport transport = Transport::tcp;
    std::string endpoint;  // HOST:PORT or PATH
    Model model = Model::iterative;
    ServerOptions server;
};

constexpr std::string_view usage =
    "usage: timestamp_server (--tcp HOST:PORT | --udp HOST:PORT | --unix PATH)\n"
    "                        [--model iterative|threads|fork|event] [--idle-timeout MS]\n"
    "                        [--max-clients N] [--workers N]\n";

std::optional<int> parse_positive(std::string_view text) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
    return value;
}

std::optional<Model> parse_model(std::string_view name) {
    if (name == "iterative") return Model::iterative;
    if (name == "threads") return Model::threads;
    if (name == "fork") return Model::fork;
    if (name == "event") return Model::event;
    return std::nullopt;
}

std::optional<CommandLine> parse_command_line(int argc, char** argv) {
    CommandLine line;
    line.server.datagram_workers =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool have_endpoint = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const std::string_view value = argv[i + 1];
        if (flag == "--tcp" || flag == "--udp" || flag == "--unix") {
            line.transport = flag == "--tcp"   ? Transport::tcp
                             : flag == "--udp" ? Transport::udp
                                               : Transport::unix_stream;
            line.endpoint = value;
            have_endpoint = true;
        } else if (flag == "--model") {
            const auto model = parse_model(value);
            if (!model) return std::nullopt;
            line.model = *model;
        } else if (const auto number = parse_positive(value); !number) {
            return std::nullopt;
        } else if (flag == "--idle-timeout") {
            line.server.idle_timeout = std::chrono::milliseconds{*number};
        } else if (flag == "--max-clients") {
            line.server.max_clients = *number;
        } else if (flag == "--workers") {
            line.server.datagram_workers = *number;
        } else {
            return std::nullopt;
        }
    }
    if (!have_endpoint || argc % 2 == 0) return std::nullopt;
    return line;
}

// The line a test or a script waits for. Flushed at once - also so that no forked child inherits
// it unflushed and prints it again.
void announce(std::string_view transport, const std::string& address) {
    std::cout << "listening on " << transport << ' ' << address << std::endl;
}

int cannot_listen(const std::string& where, std::error_code ec) {
    std::cerr << "timestamp_server: cannot listen on " << where << ": " << ec.message() << '\n';
    return 1;
}

template <class Socket>
int serve(Model model, Socket& socket, const ServerOptions& options) {
    switch (model) {
        case Model::iterative:
            return serve_iteratively(socket, options);
        case Model::threads:
            return serve_with_threads(socket, options);
        case Model::fork:
            return serve_with_processes(socket, options);
        case Model::event:
            return serve_with_events(socket, options);
    }
    return 2;
}

// The first address HOST:PORT resolves to, for bind().
net::Result<net::SocketAddress> bind_address(const std::string& endpoint,
                                             net::Transport transport) {
    auto [addresses, ec] =
        net::resolve_endpoint(endpoint, {.transport = transport, .passive = true});
    if (ec) return {{}, ec};
    return {addresses.front(), {}};
}

int run(const CommandLine& line) {
    switch (line.transport) {
        case Transport::tcp: {
            auto [address, resolve_ec] = bind_address(line.endpoint, net::Transport::tcp);
            if (resolve_ec) return cannot_listen(line.endpoint, resolve_ec);
            auto [listener, ec] = net::TcpListener::bind(address);
            if (ec) return cannot_listen(line.endpoint, ec);
            announce("tcp", listener.local_address().value_or(address).to_string());
            return serve(line.model, listener, line.server);
        }
        case Transport::udp: {
            auto [address, resolve_ec] = bind_address(line.endpoint, net::Transport::udp);
            if (resolve_ec) return cannot_listen(line.endpoint, resolve_ec);
            auto [socket, ec] = net::UdpSocket::bind(address);
            if (ec) return cannot_listen(line.endpoint, ec);
            announce("udp", socket.local_address().value_or(address).to_string());
            return serve(line.model, socket, line.server);
        }
        case Transport::unix_stream: {
            const auto address = net::UnixAddress::parse(line.endpoint);
            if (!address) {
                return cannot_listen(line.endpoint,
                                     std::make_error_code(std::errc::invalid_argument));
            }
            if (auto ec = net::remove_stale_socket_file(*address)) {
                return cannot_listen(line.endpoint, ec);
            }
            auto [listener, ec] = net::UnixListener::bind(*address);
            if (ec) return cannot_listen(line.endpoint, ec);
            announce("unix", address->to_string());
            return serve(line.model, listener, line.server);
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
