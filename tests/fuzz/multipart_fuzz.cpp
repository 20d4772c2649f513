// Fuzz target for MultipartParser. Input: one byte choosing a split offset, one byte of flags,
// then "boundary\n" and the body (with no "\n" in the first 81 bytes the boundary is "AaB03x").
// Checked: the body fed whole and split at the chosen offset (and, for small inputs, byte by
// byte) gives the same parts, data and error; events are well ordered; errors are only
// bad_request/too_large; tight limits only ever turn success into too_large.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cgikit/multipart.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

struct Result {
    std::vector<cgikit::Part> parts;
    std::error_code error;
    bool done = false;
};

class Collector final : public cgikit::MultipartHandler {
  public:
    explicit Collector(Result& result) : result_(result) {}
    cgikit::Error on_part_begin(const cgikit::PartHeaders& headers) override {
        require(!open_);
        open_ = true;
        result_.parts.push_back({headers, {}});
        return {};
    }
    cgikit::Error on_part_data(std::string_view chunk) override {
        require(open_ && !chunk.empty());
        result_.parts.back().data.append(chunk);
        return {};
    }
    cgikit::Error on_part_end() override {
        require(open_);
        open_ = false;
        return {};
    }

  private:
    Result& result_;
    bool open_ = false;
};

Result parse(std::string_view body, std::string_view boundary, const cgikit::Limits& limits,
             const std::vector<std::size_t>& cuts) {
    Result result;
    Collector collector(result);
    cgikit::MultipartParser parser(boundary, collector, limits);
    std::size_t begin = 0;
    cgikit::Error error;
    for (const std::size_t cut : cuts) {
        error = parser.feed(body.substr(begin, cut - begin));
        if (error) break;
        begin = cut;
    }
    if (!error) error = parser.feed(body.substr(begin));
    if (!error) error = parser.finish();
    result.error = error.code;
    result.done = parser.done();
    if (error) {
        require(error.code == cgikit::Errc::bad_request || error.code == cgikit::Errc::too_large);
        require(!error.message.empty());
    }
    return result;
}

bool same(const Result& a, const Result& b) {
    if (a.error != b.error) return false;
    if (a.error) return true;  // what was delivered before an error may depend on the split
    if (a.parts.size() != b.parts.size() || a.done != b.done) return false;
    for (std::size_t i = 0; i < a.parts.size(); ++i) {
        const auto& x = a.parts[i];
        const auto& y = b.parts[i];
        if (x.data != y.data || x.headers.name != y.headers.name ||
            x.headers.filename != y.headers.filename ||
            x.headers.content_type != y.headers.content_type || x.headers.raw != y.headers.raw) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t split_seed = data[0];
    const std::uint8_t flags = data[1];
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    std::string_view boundary = "AaB03x";
    if (const std::size_t newline = input.find('\n');
        newline != std::string_view::npos && newline <= 80) {
        boundary = input.substr(0, newline);
        input.remove_prefix(newline + 1);
    }

    (void)cgikit::boundary_from_content_type(input.substr(0, 200));
    (void)cgikit::media_type_essence(input.substr(0, 200));

    cgikit::Limits limits;
    if (flags & 1) {
        limits = {.max_body_bytes = 4096,
                  .max_fields = 4,
                  .max_field_bytes = 64,
                  .max_part_header_bytes = 256,
                  .max_filename_bytes = 16,
                  .max_file_bytes = 128};
    }
    const Result whole = parse(input, boundary, limits, {});
    for (const auto& part : whole.parts) {
        if (part.headers.filename)
            require(part.headers.filename->size() <= limits.max_filename_bytes);
        require(part.data.size() <=
                (part.headers.is_file() ? limits.max_file_bytes : limits.max_field_bytes));
    }
    require(whole.parts.size() <= limits.max_fields);
    require(whole.error || whole.done);

    const std::size_t split = split_seed * (input.size() + 1) / 256;
    require(same(whole, parse(input, boundary, limits, {split})));
    if (input.size() <= 512) {
        std::vector<std::size_t> every_byte;
        for (std::size_t cut = 1; cut < input.size(); ++cut)
            every_byte.push_back(cut);
        require(same(whole, parse(input, boundary, limits, every_byte)));
    }
    if (flags & 1) {
        const Result relaxed = parse(input, boundary, {}, {});
        if (!relaxed.error)
            require(!whole.error ? same(whole, relaxed) : whole.error == cgikit::Errc::too_large);
    }
    return 0;
}
