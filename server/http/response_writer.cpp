#include "http/response_writer.hpp"

#include <charconv>

#include "http/status.hpp"

namespace cgikit::http {

namespace {
void append_number(std::string& out, std::uint64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
}
}  // namespace

void append_response_head(std::string& out, const Response& response, const HeadOptions& o) {
    out += "HTTP/1.1 ";
    append_number(out, static_cast<std::uint64_t>(response.status));
    out += ' ';
    out += reason_phrase(response.status);
    out += "\r\nDate: ";
    out += o.date;
    out += "\r\nServer: ";
    out += o.server;
    out += "\r\n";
    for (const auto& field : response.headers) {
        out += field.name;
        out += ": ";
        out += field.value;
        out += "\r\n";
    }
    if (o.content_length) {
        out += "Content-Length: ";
        append_number(out, *o.content_length);
        out += "\r\n";
    }
    if (o.chunked) out += "Transfer-Encoding: chunked\r\n";
    if (!o.keep_alive) {
        out += "Connection: close\r\n";
    } else if (o.client_is_http10) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
}

std::uint64_t body_length(const Response& response) noexcept {
    if (const auto* text = std::get_if<std::string>(&response.body)) return text->size();
    if (const auto* file = std::get_if<FileBody>(&response.body)) return file->length;
    return 0;
}

}  // namespace cgikit::http
