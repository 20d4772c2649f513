// CgiOutputParser on arbitrary script output: never crashes, and the outcome (state, error, head,
// body bytes) is the same whether the output arrives whole, split at a fuzzer-chosen offset, or
// byte by byte. The first two input bytes choose the split; small limits make them reachable.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/cgi_output_parser.hpp"

using cgikit::handlers::CgiOutputParser;
using cgikit::handlers::CgiOutputState;
using cgikit::handlers::CgiSettings;

namespace {

std::string run(const std::vector<std::string_view>& chunks, const CgiSettings& settings) {
    CgiOutputParser parser(settings);
    std::string body;
    for (auto chunk : chunks) {
        CgiOutputState state = parser.feed(chunk);
        if (state == CgiOutputState::HeadersDone) {
            if (parser.body_offset() > chunk.size()) std::abort();
            body.append(chunk.substr(parser.body_offset()));
        }
    }
    CgiOutputState state = parser.finish();
    std::string outcome = std::to_string(static_cast<int>(state)) + "|" + parser.error() + "|";
    if (state == CgiOutputState::HeadersDone) {
        const auto& head = parser.head();
        if (head.status < 200 || head.status > 599) std::abort();
        outcome += std::to_string(static_cast<int>(head.kind)) + "|" + std::to_string(head.status) +
                   "|" + head.reason + "|" + head.location + "|" + head.local_path + "|" +
                   head.local_query + "|" +
                   (head.content_length ? std::to_string(*head.content_length) : "-") + "|";
        for (const auto& field : head.headers) {
            // Nothing that frames the response may come from the script.
            if (field.name.empty() || field.value.find('\n') != std::string::npos ||
                field.value.find('\r') != std::string::npos ||
                cgikit::http::iequals(field.name, "Transfer-Encoding") ||
                cgikit::http::iequals(field.name, "Content-Length") ||
                cgikit::http::iequals(field.name, "Status")) {
                std::abort();
            }
            outcome += field.name + ":" + field.value + "\n";
        }
    } else if (!body.empty() || parser.error().empty()) {
        std::abort();
    }
    return outcome + "|" + body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::size_t split = (static_cast<std::size_t>(data[0]) << 8) | data[1];
    std::string_view output(reinterpret_cast<const char*>(data) + 2, size - 2);
    split = output.empty() ? 0 : split % (output.size() + 1);

    CgiSettings settings;
    settings.max_header_line_bytes = 256;
    settings.max_header_bytes = 1024;
    settings.max_header_fields = 16;

    std::string whole = run({output}, settings);
    std::string halves = run({output.substr(0, split), output.substr(split)}, settings);
    if (halves != whole) std::abort();
    if (output.size() <= 4096) {
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < output.size(); ++i)
            bytes.push_back(output.substr(i, 1));
        if (run(bytes, settings) != whole) std::abort();
    }
    return 0;
}
