#include "serving.hpp"

#include <array>
#include <iostream>
#include <string>
#include <thread>

#include "timestamp_protocol.hpp"

namespace cgikit::examples {

void report(std::string_view what, std::error_code ec) {
    std::cerr << "timestamp_server: " << what << ": " << ec.message() << '\n';
}

void after_accept_error(std::error_code ec) {
    // How long to let other connections finish and free descriptors or memory.
    constexpr std::chrono::milliseconds resource_backoff{100};
    const bool out_of_resources =
        ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
        ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory;
    if (ec == std::errc::connection_aborted) return;  // the client left first: nothing to say
    report("accept", ec);
    if (out_of_resources) std::this_thread::sleep_for(resource_backoff);
}

void serve_client(net::StreamSocket& client, const ServerOptions& options) {
    // Both directions: a client that stops reading our replies is as stuck as a silent one.
    if (client.set_read_timeout(options.idle_timeout) ||
        client.set_write_timeout(options.idle_timeout)) {
        return;
    }
    TimestampSession session;
    std::array<char, 4096> buffer;
    std::string replies;
    for (;;) {
        // A failure ends this client's session and concerns nobody else: no report.
        auto [received, ec] = client.recv(buffer);
        if (ec || received == 0) return;  // error, idle timeout, or the client hung up
        replies.clear();
        const bool keep_open = session.feed({buffer.data(), received}, replies);
        if (client.send_all(replies) || !keep_open) return;
    }
}

std::error_code answer_datagram(net::UdpSocket& socket) {
    // Room for the longest message: a longer datagram shows as truncated (the rest of it is lost).
    std::array<char, max_message_bytes> buffer;
    auto [datagram, ec] = socket.recv_from(buffer);
    if (ec == std::errc::operation_would_block) return ec;
    if (ec) {
        report("recvfrom", ec);
        return ec;
    }
    const std::string reply = datagram.truncated()
                                  ? oversize_reply()
                                  : stamp({buffer.data(), datagram.size}, std::time(nullptr));
    if (auto [sent, send_ec] = socket.send_to(reply, datagram.sender); send_ec) {
        report("sendto " + datagram.sender.to_string(), send_ec);
        return send_ec;
    }
    return {};
}

}  // namespace cgikit::examples
