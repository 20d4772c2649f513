#pragma once
// Builds multipart/form-data bodies the way browsers send them (CRLF, quoted parameters), for
// tests.
#include <string>
#include <string_view>

namespace cgikit::test {

class MultipartBuilder {
  public:
    explicit MultipartBuilder(std::string boundary = "----cgikitTestBoundary7Qx")
        : boundary_(std::move(boundary)) {}

    MultipartBuilder& field(std::string_view name, std::string_view value) {
        body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"";
        body_ += name;
        body_ += "\"\r\n\r\n";
        body_ += value;
        body_ += "\r\n";
        return *this;
    }

    MultipartBuilder& file(std::string_view name, std::string_view filename,
                           std::string_view content_type, std::string_view content) {
        body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"";
        body_ += name;
        body_ += "\"; filename=\"";
        body_ += filename;
        body_ += "\"\r\nContent-Type: ";
        body_ += content_type;
        body_ += "\r\n\r\n";
        body_ += content;
        body_ += "\r\n";
        return *this;
    }

    // The body so far without the close delimiter (a truncated upload).
    const std::string& unfinished() const noexcept { return body_; }
    std::string finish() const { return body_ + "--" + boundary_ + "--\r\n"; }
    std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }

  private:
    std::string boundary_;
    std::string body_;
};

}  // namespace cgikit::test
