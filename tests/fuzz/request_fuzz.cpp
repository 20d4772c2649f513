// Fuzz target for Request (body reading, multipart routing to form fields and the upload store,
// JSON, urlencoded) and safe_basename. Input: one byte choosing the media type, the limits and
// whether the body comes with CONTENT_LENGTH or chunked as Apache passes it (read to its end), then
// the body. Checked: no crash or leak whatever the bytes; errors map to 400/413/415 only; on
// success every upload reads back exactly size() bytes, sizes add up to at most the body, and the
// stored content equals what a sink saw; safe_basename of every client filename is a safe name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cgikit/request.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

void check_safe_basename(std::string_view client_filename) {
    const std::string name = cgikit::safe_basename(client_filename);
    require(!name.empty() && name.size() <= 255);
    require(name.find('/') == std::string::npos && name.find('\\') == std::string::npos);
    require(name.front() != '.' && name.front() != ' ');
    for (char c : name)
        require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

constexpr std::string_view kMediaTypes[] = {
    "multipart/form-data; boundary=AaB03x",
    "multipart/form-data; boundary=\"AaB03x\"",
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain",
    "multipart/form-data",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t selector = data[0];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::string_view media_type = kMediaTypes[(selector & 0x0f) % std::size(kMediaTypes)];

    cgikit::RequestOptions options;
    options.limits.memory_threshold_bytes = 16;  // tiny, so temp files and the spool get used
    options.upload_memory_budget_bytes = 40;
    options.max_json_depth = 64;
    if (selector & 0x10) {
        options.limits.max_fields = 3;
        options.limits.max_field_bytes = 32;
        options.limits.max_file_bytes = 64;
        options.limits.max_part_header_bytes = 128;
    }
    std::vector<std::string> sunk;
    if (selector & 0x20) {
        struct Collect final : cgikit::UploadSink {
            std::string* out;
            explicit Collect(std::string* o) : out(o) {}
            cgikit::Error write(std::string_view chunk) override {
                out->append(chunk);
                return {};
            }
        };
        sunk.reserve(4096);  // stable addresses for the sinks
        options.upload_sink =
            [&sunk](const cgikit::PartHeaders&) -> std::unique_ptr<cgikit::UploadSink> {
            if (sunk.size() == sunk.capacity()) return nullptr;
            return std::make_unique<Collect>(&sunk.emplace_back());
        };
    }
    cgikit::Environment env = {{"REQUEST_METHOD", "POST"},
                               {"CONTENT_TYPE", std::string(media_type)},
                               {"QUERY_STRING", std::string(body.substr(0, 64))}};
    if (selector & 0x40) {
        // As Apache passes a chunked request: no CONTENT_LENGTH, the body read to its end, and a
        // small limit so that the 413 of an unbounded read is reached too.
        env.emplace("HTTP_TRANSFER_ENCODING", "chunked");
        options.limits.max_body_bytes = 512;
    } else {
        env.emplace("CONTENT_LENGTH", std::to_string(body.size()));
    }
    const cgikit::Request request = cgikit::Request::from(env, body, options);

    if (!request.ok()) {
        const int status = request.error().http_status();
        require(status == 400 || status == 413 || status == 415);
        require(request.files().empty());
        return 0;
    }
    std::uint64_t total = 0;
    std::size_t sink_index = 0;
    for (const cgikit::Upload& upload : request.files()) {
        check_safe_basename(upload.filename());
        total += upload.size();
        if (upload.storage() == cgikit::Upload::Storage::sink) {
            require(sunk[sink_index++].size() == upload.size());
            continue;
        }
        std::string content;
        require(!upload.read_all(content, upload.size()));
        require(content.size() == upload.size());
    }
    require(total <= body.size());
    if (request.has_json()) require(request.body() == body);
    return 0;
}
