// cgikit_upload.cpp — libcgikit's side of the multipart benchmark: the same job as
// ../shared/bench/cgicc_upload.cpp (run like a CGI with REQUEST_METHOD=POST, a multipart
// CONTENT_TYPE and CONTENT_LENGTH, the body on stdin), through the path a real program takes:
// Request::from_environment(), with uploads spooled to temp files as the library does by default.
// It times that call (read + parse + spooling), then reads every stored upload back and sums its
// bytes, like cgicc_upload touches every byte, so the two checksums must agree. Prints one
// key=value line; run it under /usr/bin/time -v for peak RSS (run.sh does).
#include <cgikit/request.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

using Clock = std::chrono::steady_clock;

int main() {
    const char* length = std::getenv("CONTENT_LENGTH");
    const double body = length != nullptr ? std::strtod(length, nullptr) : 0;

    cgikit::RequestOptions options;
    options.limits.max_fields = 4096;  // the "many" shape has 1027 parts; the default is 1000
    options.limits.max_body_bytes = std::size_t{256} << 20;
    options.limits.max_file_bytes = std::size_t{256} << 20;

    const auto t0 = Clock::now();
    const cgikit::Request request = cgikit::Request::from_environment(options);
    const auto t1 = Clock::now();
    if (!request.ok()) {
        std::fprintf(stderr, "cgikit failed: %s\n", request.error().message.c_str());
        return 1;
    }

    unsigned long long file_bytes = 0, sum = 0, fields = 0, in_memory = 0;
    std::unique_ptr<char[]> buffer(new char[1 << 16]);
    for (const cgikit::Upload& upload : request.files()) {
        if (upload.storage() == cgikit::Upload::Storage::memory) ++in_memory;
        std::uint64_t offset = 0;
        for (;;) {
            std::size_t got = 0;
            if (upload.read_at(offset, buffer.get(), 1 << 16, got) || got == 0) break;
            for (std::size_t i = 0; i < got; ++i)
                sum += static_cast<unsigned char>(buffer[i]);
            offset += got;
        }
        file_bytes += offset;
    }
    for (const auto& [name, value] : request.form()) {
        ++fields;
        sum += value.size();
    }
    const double total = std::chrono::duration<double>(t1 - t0).count();
    std::printf(
        "body_bytes=%.0f files=%zu file_bytes=%llu fields=%llu checksum=%llu "
        "in_memory=%llu total_s=%.4f total_MiB_s=%.1f\n",
        body, request.files().size(), file_bytes, fields, sum, in_memory, total,
        body / total / 1048576.0);
    return 0;
}
