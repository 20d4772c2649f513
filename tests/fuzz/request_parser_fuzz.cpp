// Fuzz target for RequestParser: the input is parsed whole and split at a fuzzer-chosen offset
// (and byte by byte when short); all ways must agree on every event, every parsed field, the
// consumed counts (across pipelined messages) and the final error status (see agree() for the one
// tolerated difference). Besides memory errors this finds state that leaks between feed() calls
// or between messages, and messages the connection could not answer sensibly.
//
// Input layout: byte 0-1 choose the split offset, byte 2 the limits (bit 7: small limits so the
// 414/431/413 paths are reached), the rest is the bytes a client sends.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/request_parser.hpp"

namespace {

using cgikit::http::BodySink;
using cgikit::http::ParseEvent;
using cgikit::http::ParserLimits;
using cgikit::http::RequestParser;

void require(bool condition) {
    if (!condition) std::abort();
}

class CollectingSink final : public BodySink {
  public:
    int on_body_data(std::string_view bytes) override {
        received.append(bytes);
        return 0;
    }
    std::string received;
};

struct Message {
    std::string method, target, raw_path, query, host, body;
    bool has_query = false, keep_alive = false, chunked = false, expect_continue = false;
    bool head_complete = false;
    int major = 0, minor = 0;
    std::optional<std::uint64_t> content_length;
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t end = 0;
    bool operator==(const Message&) const = default;
};

struct Outcome {
    std::vector<Message> messages;
    int error_status = 0;
    bool pending = false;
    bool operator==(const Outcome&) const = default;
};

bool is_known_error_status(int status) {
    switch (status) {
        case 400:
        case 413:
        case 414:
        case 417:
        case 431:
        case 501:
        case 505:
            return true;
        default:
            return false;
    }
}

bool is_limit_status(int status) {
    return status == 413 || status == 414 || status == 431;
}

// Two outcomes agree when everything is equal, except that a request which is both over a limit
// and malformed may be refused with 400 or with the limit's status depending on where it was split:
// limits are checked as llhttp hands over spans, and llhttp drops a span that ends in a syntax
// error without handing it over.
bool agree(const Outcome& a, const Outcome& b) {
    if (a == b) return true;
    if (a.messages != b.messages || a.pending != b.pending) return false;
    return (a.error_status == 400 && is_limit_status(b.error_status)) ||
           (b.error_status == 400 && is_limit_status(a.error_status));
}

Outcome parse(std::string_view input, const std::vector<std::size_t>& cuts,
              const ParserLimits& limits) {
    RequestParser parser(limits);
    CollectingSink sink;
    parser.set_body_sink(&sink);
    Outcome out;
    bool head_complete = false;
    std::size_t offset = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        // A fresh copy per piece: the parser must not keep pointers into earlier input.
        std::string piece(input.substr(offset, end - offset));
        std::string_view rest = piece;
        while (true) {
            auto result = parser.feed(rest);
            require(result.consumed <= rest.size());
            rest.remove_prefix(result.consumed);
            offset += result.consumed;
            if (result.event == ParseEvent::NeedMore) {
                require(rest.empty());
                break;
            }
            if (result.event == ParseEvent::Error) {
                out.error_status = parser.error_status();
                require(is_known_error_status(out.error_status));
                require(parser.feed("x").event == ParseEvent::Error);
                return out;
            }
            if (result.event == ParseEvent::HeadComplete) {
                require(parser.in_body());
                head_complete = true;
                continue;
            }
            const auto& r = parser.request();
            Message m;
            m.method = r.method;
            m.target = r.target;
            m.raw_path = r.raw_path;
            m.query = r.query;
            m.host = r.host;
            m.body = sink.received;
            m.has_query = r.has_query;
            m.keep_alive = r.keep_alive;
            m.chunked = r.chunked;
            m.expect_continue = r.expect_continue;
            m.head_complete = head_complete;
            m.major = r.version.major;
            m.minor = r.version.minor;
            m.content_length = r.content_length;
            for (const auto& f : r.headers)
                m.headers.emplace_back(f.name, f.value);
            m.end = offset;
            // What the connection relies on for a message it answers.
            require(m.major == 1 && (m.minor == 0 || m.minor == 1));
            require(!m.method.empty());
            require(m.raw_path == "*" || m.raw_path.empty() || m.raw_path.front() == '/');
            require(m.raw_path.find('#') == std::string::npos);
            require(m.minor == 0 || r.headers.count("Host") == 1);
            require(r.headers.size() <= limits.max_header_fields);
            require(m.body.size() <= limits.max_body_bytes);
            require(!m.content_length || m.chunked || *m.content_length == m.body.size());
            require(!m.chunked || m.content_length == m.body.size());
            out.messages.push_back(std::move(m));
            require(parser.feed(rest).consumed == 0);  // nothing until next_message()
            parser.next_message();
            sink.received.clear();
            parser.set_body_sink(&sink);
            head_complete = false;
        }
    }
    out.pending = parser.message_started();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::size_t selector = data[0] | (static_cast<std::size_t>(data[1]) << 8);
    const std::uint8_t limit_bits = data[2];
    const std::string_view input(reinterpret_cast<const char*>(data + 3), size - 3);

    ParserLimits limits;
    if ((limit_bits & 0x80) != 0) {
        limits.max_request_line_bytes = 16 + (limit_bits & 0x3) * 32;
        limits.max_header_bytes = 32 + ((limit_bits >> 2) & 0x3) * 64;
        limits.max_header_fields = 1 + ((limit_bits >> 4) & 0x3) * 3;
        limits.max_body_bytes = (limit_bits & 0x40) != 0 ? 0 : 16;
    }

    const Outcome whole = parse(input, {}, limits);
    if (input.size() > 1) {
        const std::size_t cut = 1 + selector % (input.size() - 1);
        require(agree(parse(input, {cut}, limits), whole));
    }
    if (input.size() <= 512) {
        std::vector<std::size_t> every;
        for (std::size_t i = 1; i < input.size(); ++i)
            every.push_back(i);
        require(agree(parse(input, every, limits), whole));
    }
    return 0;
}
