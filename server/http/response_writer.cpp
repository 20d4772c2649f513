#include "http/response_writer.hpp"

#include <charconv>
#include <cstring>

#include "http/status.hpp"

namespace cgikit::http {

namespace {

// Digits of the largest std::uint64_t.
constexpr std::size_t kMaxDigits = 20;

constexpr std::string_view kStatusLineStart = "HTTP/1.1 ";
constexpr std::string_view kDateField = "\r\nDate: ";
constexpr std::string_view kServerField = "\r\nServer: ";
constexpr std::string_view kFieldSeparator = ": ";
constexpr std::string_view kLineEnd = "\r\n";
constexpr std::string_view kContentLengthField = "Content-Length: ";
constexpr std::string_view kChunkedField = "Transfer-Encoding: chunked\r\n";
constexpr std::string_view kCloseField = "Connection: close\r\n";
constexpr std::string_view kKeepAliveField = "Connection: keep-alive\r\n";

// Writes into space reserved in advance: the head's length is bounded first, so no piece needs a
// capacity check of its own.
class HeadWriter {
  public:
    explicit HeadWriter(char* at) noexcept : at_(at) {}
    void put(std::string_view text) noexcept {
        std::memcpy(at_, text.data(), text.size());
        at_ += text.size();
    }
    void put(char c) noexcept { *at_++ = c; }
    void put_number(std::uint64_t n) noexcept { at_ = std::to_chars(at_, at_ + kMaxDigits, n).ptr; }
    char* position() const noexcept { return at_; }

  private:
    char* at_;
};

}  // namespace

bool is_forwardable_reason_phrase(std::string_view phrase) noexcept {
    if (phrase.empty() || phrase.size() > kMaxReasonPhraseBytes) return false;
    for (char c : phrase) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f) return false;  // VCHAR is 0x21-0x7E
    }
    return true;
}

void append_response_head(std::string& out, const Response& response, const HeadOptions& o) {
    const std::string_view reason =
        !response.reason.empty() && is_forwardable_reason_phrase(response.reason)
            ? std::string_view(response.reason)
            : reason_phrase(response.status);
    std::size_t bound = kStatusLineStart.size() + kMaxDigits + 1 + reason.size() +
                        kDateField.size() + o.date.size() + kServerField.size() + o.server.size() +
                        kLineEnd.size();
    for (const auto& field : response.headers)
        bound += field.name.size() + kFieldSeparator.size() + field.value.size() + kLineEnd.size();
    bound += kContentLengthField.size() + kMaxDigits + kLineEnd.size() + kChunkedField.size() +
             kKeepAliveField.size() + kLineEnd.size();

    const std::size_t start = out.size();
    out.resize(start + bound);
    HeadWriter w(out.data() + start);
    w.put(kStatusLineStart);
    w.put_number(static_cast<std::uint64_t>(response.status));
    w.put(' ');
    w.put(reason);
    w.put(kDateField);
    w.put(o.date);
    w.put(kServerField);
    w.put(o.server);
    w.put(kLineEnd);
    for (const auto& field : response.headers) {
        w.put(field.name);
        w.put(kFieldSeparator);
        w.put(field.value);
        w.put(kLineEnd);
    }
    if (o.content_length) {
        w.put(kContentLengthField);
        w.put_number(*o.content_length);
        w.put(kLineEnd);
    }
    if (o.chunked) w.put(kChunkedField);
    if (!o.keep_alive) {
        w.put(kCloseField);
    } else if (o.client_is_http10) {
        w.put(kKeepAliveField);
    }
    w.put(kLineEnd);
    out.resize(static_cast<std::size_t>(w.position() - out.data()));
}

std::uint64_t body_length(const Response& response) noexcept {
    if (const auto* text = std::get_if<std::string>(&response.body)) return text->size();
    if (const auto* file = std::get_if<FileBody>(&response.body)) return file->length;
    return 0;
}

}  // namespace cgikit::http
