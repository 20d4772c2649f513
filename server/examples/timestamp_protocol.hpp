#pragma once
// The time-stamp protocol of the classic network-programming tutorials, in text:
//   - a message is a line; its reply is the line "[<ctime>] <message>\n", where <ctime> is the
//     server's local time as ctime(3) prints it, without ctime's own newline;
//   - over a stream (TCP, Unix) messages end with "\n" ("\r\n" is accepted too);
//   - over UDP each datagram is one message (a final newline is optional) and each reply is one
//     datagram;
//   - a message longer than max_message_bytes is answered with a line "error: ..." instead, and
//     a stream is then closed: the server never buffers without bound.
#include <ctime>
#include <string>
#include <string_view>

namespace cgikit::examples {

// Messages are short text; 4 KiB is generous and bounds what a silent or hostile client can make
// the server hold per connection.
inline constexpr std::size_t max_message_bytes = 4096;

// "Thu Nov 21 05:36:00 2026": ctime(3)'s format, without its newline (and thread-safe).
std::string ctime_text(std::time_t when);
// The reply line for `message` at time `when`.
std::string stamp(std::string_view message, std::time_t when);
// The reply to a message that broke the size limit.
std::string oversize_reply();

// The server's side of one stream connection: cuts the incoming bytes into lines, however they
// are split across reads, and produces the replies.
class TimestampSession {
  public:
    // Consumes `bytes` and appends the replies to every complete line to `replies`. Returns false
    // once the client has sent a line longer than max_message_bytes: `replies` then ends with the
    // error line and the connection should be closed after sending it.
    [[nodiscard]] bool feed(std::string_view bytes, std::string& replies);

  private:
    std::string partial_line_;  // the bytes of an unfinished line, at most max_message_bytes
};

}  // namespace cgikit::examples
