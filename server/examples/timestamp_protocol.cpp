#include "timestamp_protocol.hpp"

namespace cgikit::examples {

namespace {

std::string_view without_line_end(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace

std::string ctime_text(std::time_t when) {
    std::tm local{};
    ::localtime_r(&when, &local);
    char text[64];
    // ctime(3) is "%.3s %.3s%3d %.2d:%.2d:%.2d %d\n" over asctime's fields: %e pads the day the
    // same way. strftime's names are the C locale's, as ctime's are, unless setlocale() is called.
    const std::size_t length = std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y", &local);
    return std::string(text, length);
}

std::string stamp(std::string_view message, std::time_t when) {
    std::string reply;
    reply.reserve(message.size() + 32);
    reply += '[';
    reply += ctime_text(when);
    reply += "] ";
    reply += without_line_end(message);
    reply += '\n';
    return reply;
}

std::string oversize_reply() {
    return "error: message longer than " + std::to_string(max_message_bytes) + " bytes\n";
}

bool TimestampSession::feed(std::string_view bytes, std::string& replies) {
    const std::time_t now = std::time(nullptr);
    while (!bytes.empty()) {
        const auto newline = bytes.find('\n');
        const std::string_view piece = bytes.substr(0, newline);  // all of it when no newline
        if (partial_line_.size() + piece.size() > max_message_bytes) {
            replies += oversize_reply();
            partial_line_.clear();
            return false;
        }
        if (newline == std::string_view::npos) {
            partial_line_ += piece;
            return true;
        }
        if (partial_line_.empty()) {
            replies += stamp(piece, now);  // the common case: a whole line in one read, no copy
        } else {
            partial_line_ += piece;
            replies += stamp(partial_line_, now);
            partial_line_.clear();
        }
        bytes.remove_prefix(newline + 1);
    }
    return true;
}

}  // namespace cgikit::examples
