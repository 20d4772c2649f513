#include "cgikit/multipart.hpp"

#include <catch2/catch.hpp>

#include <random>

using cgikit::Errc;
using cgikit::Limits;

namespace {

// What a handler saw: parts with their data joined, and whether the event order was sane.
struct Collected {
    std::vector<cgikit::Part> parts;
    bool well_ordered = true;  // begin (data)* end, never data outside a part, never empty data
    bool open = false;

    bool operator==(const Collected& other) const {
        if (parts.size() != other.parts.size()) return false;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const auto& a = parts[i];
            const auto& b = other.parts[i];
            if (a.data != b.data || a.headers.name != b.headers.name ||
                a.headers.filename != b.headers.filename ||
                a.headers.content_type != b.headers.content_type ||
                a.headers.raw != b.headers.raw) {
                return false;
            }
        }
        return well_ordered == other.well_ordered && open == other.open;
    }
};

class Collector final : public cgikit::MultipartHandler {
  public:
    explicit Collector(Collected& out) : out_(out) {}

    cgikit::Error on_part_begin(const cgikit::PartHeaders& headers) override {
        if (out_.open) out_.well_ordered = false;
        out_.open = true;
        out_.parts.push_back({headers, {}});
        return {};
    }
    cgikit::Error on_part_data(std::string_view chunk) override {
        if (!out_.open || chunk.empty()) out_.well_ordered = false;
        if (!out_.parts.empty()) out_.parts.back().data.append(chunk);
        return {};
    }
    cgikit::Error on_part_end() override {
        if (!out_.open) out_.well_ordered = false;
        out_.open = false;
        return {};
    }

  private:
    Collected& out_;
};

struct Outcome {
    Collected collected;
    std::error_code error;
};

// Parses `body` fed in pieces cut at `cuts` (ascending offsets), then finish().
Outcome parse(std::string_view body, std::string_view boundary,
              const std::vector<std::size_t>& cuts = {}, const Limits& limits = {}) {
    Outcome outcome;
    Collector collector(outcome.collected);
    cgikit::MultipartParser parser(boundary, collector, limits);
    std::size_t begin = 0;
    for (const std::size_t cut : cuts) {
        if (auto error = parser.feed(body.substr(begin, cut - begin))) {
            outcome.error = error.code;
            return outcome;
        }
        begin = cut;
    }
    auto error = parser.feed(body.substr(begin));
    if (!error) error = parser.finish();
    outcome.error = error.code;
    return outcome;
}

// The outcome of `body` fed whole, after checking it is the same for every two-piece split and
// byte by byte (data compared joined; errors compared by code).
Outcome parse_every_way(std::string_view body, std::string_view boundary,
                        const Limits& limits = {}) {
    const Outcome whole = parse(body, boundary, {}, limits);
    CHECK(whole.collected.well_ordered);
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
        INFO("split at " << cut);
        const Outcome split = parse(body, boundary, {cut}, limits);
        REQUIRE(split.error == whole.error);
        if (!whole.error) REQUIRE(split.collected == whole.collected);
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t cut = 1; cut < body.size(); ++cut)
        every_byte.push_back(cut);
    const Outcome bytewise = parse(body, boundary, every_byte, limits);
    REQUIRE(bytewise.error == whole.error);
    if (!whole.error) REQUIRE(bytewise.collected == whole.collected);
    return whole;
}

const std::string boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string field(std::string_view name, std::string_view value) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
           "\"\r\n\r\n" + std::string(value) + "\r\n";
}

std::string close() {
    return "--" + boundary + "--\r\n";
}

// A body as Chrome sends it: two fields and a file.
std::string browser_body() {
    return field("title", "Hello") + field("empty", "") + "--" + boundary +
           "\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"notes.txt\"\r\n"
           "Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n\r\n" +
           close();
}

// A part with the given header lines (each without CRLF) and content.
std::string part(const std::vector<std::string>& headers, std::string_view content) {
    std::string out = "--" + boundary + "\r\n";
    for (const auto& header : headers)
        out += header + "\r\n";
    return out + "\r\n" + std::string(content) + "\r\n";
}

cgikit::Part only_part(const std::string& headers_line, std::string_view content = "x") {
    const Outcome outcome = parse(part({headers_line}, content) + close(), boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 1);
    return outcome.collected.parts[0];
}

std::error_code error_of(const std::string& body, const Limits& limits = {}) {
    return parse(body, boundary, {}, limits).error;
}

}  // namespace

TEST_CASE("MultipartParser parses a browser body the same however it is split") {
    const Outcome outcome = parse_every_way(browser_body(), boundary);
    REQUIRE_FALSE(outcome.error);
    const auto& parts = outcome.collected.parts;
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].headers.name == "title");
    CHECK_FALSE(parts[0].headers.filename);
    CHECK(parts[0].headers.content_type == "text/plain");
    CHECK(parts[0].data == "Hello");
    CHECK(parts[1].headers.name == "empty");
    CHECK(parts[1].data.empty());
    CHECK(parts[2].headers.name == "doc");
    CHECK(parts[2].headers.filename == "notes.txt");
    CHECK(parts[2].headers.is_file());
    CHECK(parts[2].data == "line 1\r\nline 2\r\n");
    CHECK(parts[2].headers.raw ==
          std::vector<std::pair<std::string, std::string>>{
              {"Content-Disposition", "form-data; name=\"doc\"; filename=\"notes.txt\""},
              {"Content-Type", "text/plain"}});
}

TEST_CASE("MultipartParser ignores the preamble and the epilogue") {
    const std::string body = "This is the preamble.\r\n--not-the-boundary\r\nx--" + boundary +
                             "\r\n\r\n" + field("a", "1") + "--" + boundary +
                             "--\r\nThis is the epilogue.\r\n" + field("b", "2");
    const Outcome outcome = parse_every_way(body, boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 1);
    CHECK(outcome.collected.parts[0].data == "1");
}

TEST_CASE("MultipartParser accepts a close delimiter without CRLF and a body with no parts") {
    CHECK_FALSE(parse_every_way(field("a", "1") + "--" + boundary + "--", boundary).error);
    const Outcome empty = parse_every_way("--" + boundary + "--\r\n", boundary);
    CHECK_FALSE(empty.error);
    CHECK(empty.collected.parts.empty());
}

TEST_CASE("MultipartParser allows transport padding after boundaries (RFC 2046 LWSP)") {
    const std::string body = "--" + boundary + " \t \r\nContent-Disposition: form-data; name=a" +
                             "\r\n\r\n1\r\n--" + boundary + "\t\r\n" +
                             "Content-Disposition: form-data; name=b\r\n\r\n2\r\n--" + boundary +
                             "--  \r\n";
    const Outcome outcome = parse_every_way(body, boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 2);
    CHECK(outcome.collected.parts[0].data == "1");
    CHECK(outcome.collected.parts[1].data == "2");
}

TEST_CASE("MultipartParser rejects unbounded padding after a boundary") {
    const std::string body = "--" + boundary + std::string(65, ' ') + "\r\n";
    CHECK(error_of(body) == Errc::bad_request);
    CHECK_FALSE(error_of("--" + boundary + std::string(64, ' ') + "\r\n" +
                         "Content-Disposition: form-data; name=a\r\n\r\n\r\n" + close()));
}

TEST_CASE("MultipartParser keeps delimiter look-alikes in the content") {
    const std::string d = "\r\n--" + boundary;
    for (const std::string& content : std::vector<std::string>{
             d + "X", d + "-X", d + " X", d + " \t-", d + "\rX", d + " \r--", d + "\r" + d + "x",
             "--" + boundary + "X", "--" + boundary + "-", "--" + boundary + " x",
             "\r\n--" + boundary.substr(0, 10), "\r\n-\r\n--\r\n\r\r\n", d.substr(0, 5) + d + "Y",
             std::string("\r"), std::string("\r\n"), d + "-" + d + "+"}) {
        INFO("content: " << content);
        const Outcome outcome = parse_every_way(field("a", content) + close(), boundary);
        REQUIRE_FALSE(outcome.error);
        REQUIRE(outcome.collected.parts.size() == 1);
        CHECK(outcome.collected.parts[0].data == content);
    }
}

// RFC 2046 §5.1.1: body-part := MIME-part-headers [CRLF *OCTET], and the delimiter is CRLF
// "--boundary": the header block's last CRLF may be the delimiter's, leaving a part with no content
// at all. Go's mime/multipart takes it; the parser answered 400 ("truncated") before.
TEST_CASE("MultipartParser takes a part that ends right after its header block") {
    const std::string disposition = "Content-Disposition: form-data; name=";
    const std::string empty_a = "--" + boundary + "\r\n" + disposition + "a\r\n\r\n--" + boundary;
    const std::string part_b = disposition + "b\r\n\r\n2\r\n" + close();
    for (const std::string& body : {empty_a + "\r\n" + part_b, empty_a + " \t\r\n" + part_b}) {
        INFO(body);
        const Outcome outcome = parse_every_way(body, boundary);
        REQUIRE_FALSE(outcome.error);
        REQUIRE(outcome.collected.parts.size() == 2);
        CHECK(outcome.collected.parts[0].headers.name == "a");
        CHECK(outcome.collected.parts[0].data.empty());
        CHECK(outcome.collected.parts[1].headers.name == "b");
        CHECK(outcome.collected.parts[1].data == "2");
    }
    const Outcome closed = parse_every_way(empty_a + "--\r\n", boundary);
    REQUIRE_FALSE(closed.error);
    REQUIRE(closed.collected.parts.size() == 1);
    CHECK(closed.collected.parts[0].data.empty());
    // Content that merely starts like a delimiter stays content.
    const Outcome outcome = parse_every_way(empty_a + "-X\r\n" + close(), boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 1);
    CHECK(outcome.collected.parts[0].data == "--" + boundary + "-X");
}

TEST_CASE("MultipartParser: a look-alike in the preamble is still preamble") {
    const std::string body =
        "--" + boundary + "X\r\n--" + boundary + "-\r\n" + field("a", "1") + close();
    const Outcome outcome = parse_every_way(body, boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 1);
    CHECK(outcome.collected.parts[0].headers.name == "a");
}

TEST_CASE("MultipartParser reports a truncated body, wherever it is cut") {
    const std::string body = browser_body();
    const std::size_t complete = body.size() - 2;  // "--boundary--" ends the body; CRLF optional
    for (std::size_t length = 0; length < complete; ++length) {
        INFO("body cut at " << length);
        CHECK(error_of(body.substr(0, length)) == Errc::bad_request);
    }
    CHECK_FALSE(error_of(body.substr(0, complete)));
}

TEST_CASE("MultipartParser: filename=\"\" is an empty upload, distinct from no filename") {
    const Outcome outcome =
        parse_every_way(part({"Content-Disposition: form-data; name=\"f\"; filename=\"\"",
                              "Content-Type: application/octet-stream"},
                             "") +
                            part({"Content-Disposition: form-data; name=\"g\""}, "") + close(),
                        boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 2);
    CHECK(outcome.collected.parts[0].headers.filename == "");
    CHECK(outcome.collected.parts[0].headers.is_file());
    CHECK(outcome.collected.parts[0].headers.content_type == "application/octet-stream");
    CHECK_FALSE(outcome.collected.parts[1].headers.filename);
    CHECK_FALSE(outcome.collected.parts[1].headers.is_file());
}

TEST_CASE("MultipartParser prefers filename* (RFC 8187) and decodes it to UTF-8") {
    CHECK(only_part("Content-Disposition: form-data; name=f; filename=\"EURO rates.txt\"; "
                    "filename*=UTF-8''%e2%82%ac%20rates.txt")
              .headers.filename == "\xE2\x82\xAC rates.txt");
    CHECK(only_part("Content-Disposition: form-data; name=f; filename*=utf-8'en'a%2Fb")
              .headers.filename == "a/b");
    CHECK(only_part("Content-Disposition: form-data; name=f; filename*=ISO-8859-1''%A3%20x")
              .headers.filename == "\xC2\xA3 x");
    // An unknown charset is ignored: `filename` stands.
    CHECK(only_part("Content-Disposition: form-data; name=f; filename=a.txt; "
                    "filename*=KOI8-R''%C1")
              .headers.filename == "a.txt");
    CHECK(error_of(part({"Content-Disposition: form-data; name=f; filename*=UTF-8''%zz"}, "") +
                   close()) == Errc::bad_request);
    CHECK(error_of(part({"Content-Disposition: form-data; name=f; filename*=x.txt"}, "") +
                   close()) == Errc::bad_request);
}

TEST_CASE("MultipartParser reads Content-Disposition parameters quoted or not") {
    const auto a = only_part("content-disposition: Form-Data ; NAME = \"a b\" ;filename=x.txt");
    CHECK(a.headers.name == "a b");
    CHECK(a.headers.filename == "x.txt");

    const auto escaped = only_part(R"(Content-Disposition: form-data; name="q\"uo\\te")");
    CHECK(escaped.headers.name == R"(q"uo\te)");

    // Browsers do not escape backslashes in filenames: a Windows path survives.
    const auto path =
        only_part(R"(Content-Disposition: form-data; name="f"; filename="C:\dir\new.txt")");
    CHECK(path.headers.filename == R"(C:\dir\new.txt)");

    const auto semicolon = only_part(R"(Content-Disposition: form-data; name="a;b"; x=1)");
    CHECK(semicolon.headers.name == "a;b");
}

TEST_CASE("MultipartParser: Content-Type is as sent, text/plain by default (RFC 7578 4.4)") {
    CHECK(only_part("Content-Disposition: form-data; name=a").headers.content_type == "text/plain");
    const Outcome outcome =
        parse(part({"Content-Disposition: form-data; name=a", "Content-Type:  image/png ",
                    "X-Extra: folded", " continuation"},
                   "") +
                  close(),
              boundary);
    REQUIRE_FALSE(outcome.error);
    CHECK(outcome.collected.parts[0].headers.content_type == "image/png");
    CHECK(outcome.collected.parts[0].headers.raw.back() ==
          std::pair<std::string, std::string>{"X-Extra", "folded continuation"});
}

TEST_CASE("MultipartParser rejects malformed part headers as bad requests") {
    for (const std::vector<std::string>& headers : std::vector<std::vector<std::string>>{
             {},
             {"Content-Type: text/plain"},
             {"Content-Disposition: attachment; name=a"},
             {"Content-Disposition: form-data"},
             {"Content-Disposition: form-data; filename=a"},
             {"Content-Disposition: form-data; name=a; name=b"},
             {"Content-Disposition: form-data; name=a; NAME=b"},
             {"Content-Disposition: form-data; name=a", "Content-Disposition: form-data; name=b"},
             {"Content-Disposition: form-data; name=a", "Content-Type: a/b", "content-type: c/d"},
             {"Content-Disposition: form-data; name=\"a"},
             {"Content-Disposition: form-data; name=\"a\"b"},
             {"Content-Disposition: form-data; name="},
             {"Content-Disposition: form-data name=a"},
             {"Content-Disposition form-data; name=a"},
             {"Bad Name: x", "Content-Disposition: form-data; name=a"},
             {": x", "Content-Disposition: form-data; name=a"},
             {" folded-first", "Content-Disposition: form-data; name=a"},
             {"Content-Disposition: form-data; name=a\rb"},
         }) {
        INFO("headers: " << (headers.empty() ? "(none)" : headers[0]));
        CHECK(error_of(part(headers, "x") + close()) == Errc::bad_request);
    }
    // A bare LF ends no header line.
    CHECK(error_of("--" + boundary + "\r\nContent-Disposition: form-data; name=a\n\r\n\r\n" +
                   close()) == Errc::bad_request);
}

TEST_CASE("MultipartParser bounds the number of parts by max_fields") {
    const std::string two = field("a", "1") + field("b", "2") + close();
    CHECK_FALSE(parse_every_way(two, boundary, Limits{.max_fields = 2}).error);
    CHECK(parse_every_way(two, boundary, Limits{.max_fields = 1}).error == Errc::too_large);
}

TEST_CASE("MultipartParser bounds a part's header block by max_part_header_bytes") {
    const std::string line = "Content-Disposition: form-data; name=a";
    const std::string body = part({line}, "x") + close();
    const std::size_t block = line.size() + 4;  // the line, its CRLF, the empty line
    CHECK_FALSE(parse_every_way(body, boundary, Limits{.max_part_header_bytes = block}).error);
    CHECK(parse_every_way(body, boundary, Limits{.max_part_header_bytes = block - 1}).error ==
          Errc::too_large);
    // Endless header bytes without a line end are refused, not buffered.
    CHECK(error_of("--" + boundary + "\r\n" + std::string(20000, 'x')) == Errc::too_large);
}

TEST_CASE("MultipartParser bounds filenames by max_filename_bytes (decoded)") {
    const std::string body =
        part({"Content-Disposition: form-data; name=f; filename*=UTF-8''%41%42%43"}, "") + close();
    CHECK_FALSE(error_of(body, Limits{.max_filename_bytes = 3}));
    CHECK(error_of(body, Limits{.max_filename_bytes = 2}) == Errc::too_large);
}

// Windows (NTFS) and macOS (APFS) allow 255 UTF-16 units per file name, which a browser sends as up
// to 765 UTF-8 bytes (a CJK character is one unit and three bytes). The default limit must not turn
// such an upload into a 413 for the whole form; safe_basename() shortens the name for saving.
TEST_CASE("MultipartParser takes the longest file name a browser sends by default") {
    std::string name;
    for (int i = 0; i < 255; ++i)
        name += "\xe6\x97\xa5";  // U+65E5
    REQUIRE(name.size() == 765);
    const Outcome outcome = parse_every_way(
        part({"Content-Disposition: form-data; name=\"f\"; filename=\"" + name + "\""}, "x") +
            close(),
        boundary);
    REQUIRE_FALSE(outcome.error);
    REQUIRE(outcome.collected.parts.size() == 1);
    CHECK(outcome.collected.parts[0].headers.filename == name);
    CHECK(Limits{}.max_filename_bytes >= 765);
}

TEST_CASE("MultipartParser bounds field values by max_field_bytes and files by max_file_bytes") {
    const std::string field_body = field("a", "12345") + close();
    CHECK_FALSE(parse_every_way(field_body, boundary, Limits{.max_field_bytes = 5}).error);
    CHECK(parse_every_way(field_body, boundary, Limits{.max_field_bytes = 4}).error ==
          Errc::too_large);
    CHECK_FALSE(error_of(field_body, Limits{.max_field_bytes = 5, .max_file_bytes = 0}));

    const std::string file_body =
        part({"Content-Disposition: form-data; name=f; filename=a"}, "12345") + close();
    CHECK_FALSE(parse_every_way(file_body, boundary, Limits{.max_file_bytes = 5}).error);
    CHECK(parse_every_way(file_body, boundary, Limits{.max_file_bytes = 4}).error ==
          Errc::too_large);
    CHECK_FALSE(error_of(file_body, Limits{.max_field_bytes = 0, .max_file_bytes = 5}));
}

TEST_CASE("MultipartParser bounds the whole body by max_body_bytes") {
    const std::string body = browser_body();
    CHECK_FALSE(parse_every_way(body, boundary, Limits{.max_body_bytes = body.size()}).error);
    CHECK(parse_every_way(body, boundary, Limits{.max_body_bytes = body.size() - 1}).error ==
          Errc::too_large);
}

TEST_CASE("MultipartParser passes content on as it arrives, holding back only a delimiter") {
    struct Counter final : cgikit::MultipartHandler {
        std::size_t received = 0;
        cgikit::Error on_part_begin(const cgikit::PartHeaders&) override { return {}; }
        cgikit::Error on_part_data(std::string_view chunk) override {
            received += chunk.size();
            return {};
        }
        cgikit::Error on_part_end() override { return {}; }
    } counter;
    cgikit::MultipartParser parser(boundary, counter);
    REQUIRE_FALSE(parser.feed(part({"Content-Disposition: form-data; name=f"}, "")));
    const std::size_t delimiter = boundary.size() + 4;
    counter.received = 0;  // the part's leading CRLF above may be held back
    std::mt19937 random(7);
    std::size_t fed = 0;
    std::string chunk;
    for (int i = 0; i < 2000; ++i) {
        chunk.assign(1 + random() % 300, 'a');
        for (char& c : chunk) {
            // Mostly near-misses: CR, LF, '-' and boundary bytes.
            const char pool[] = {'\r', '\n', '-', '-', boundary[4], 'x'};
            c = pool[random() % sizeof(pool)];
        }
        REQUIRE_FALSE(parser.feed(chunk));
        fed += chunk.size();
        REQUIRE(counter.received + 2 + delimiter >= fed);
    }
}

TEST_CASE("MultipartParser stops at the handler's error and stays failed") {
    struct Refuser final : cgikit::MultipartHandler {
        cgikit::Error on_part_begin(const cgikit::PartHeaders&) override { return {}; }
        cgikit::Error on_part_data(std::string_view) override {
            return {Errc::internal_error, "disk full"};
        }
        cgikit::Error on_part_end() override { return {}; }
    } refuser;
    cgikit::MultipartParser parser(boundary, refuser);
    const auto error = parser.feed(browser_body());
    CHECK(error.code == Errc::internal_error);
    CHECK(error.message == "disk full");
    CHECK(parser.feed("more").code == Errc::internal_error);
    CHECK(parser.finish().code == Errc::internal_error);
    CHECK_FALSE(parser.done());
}

TEST_CASE("MultipartParser refuses an invalid boundary") {
    struct Ignorer final : cgikit::MultipartHandler {
        cgikit::Error on_part_begin(const cgikit::PartHeaders&) override { return {}; }
        cgikit::Error on_part_data(std::string_view) override { return {}; }
        cgikit::Error on_part_end() override { return {}; }
    } ignorer;
    for (const std::string& invalid : {std::string(), std::string(71, 'a'), std::string("a\rb")}) {
        cgikit::MultipartParser parser(invalid, ignorer);
        CHECK(parser.feed("--" + invalid + "--").code == Errc::bad_request);
    }
    cgikit::MultipartParser longest(std::string(70, 'a'), ignorer);
    CHECK_FALSE(longest.feed("--" + std::string(70, 'a') + "--"));
    CHECK_FALSE(longest.finish());
    CHECK(longest.done());
}

TEST_CASE("MultipartParser round-trips random binary content, split at random places") {
    std::mt19937 random(12345);
    for (int round = 0; round < 200; ++round) {
        const std::string random_boundary = "b" + std::to_string(random() % 1000);
        std::vector<std::string> contents;
        std::string body = "preamble\r\n";
        const std::size_t part_count = random() % 4;
        for (std::size_t i = 0; i < part_count; ++i) {
            std::string content(random() % 200, '\0');
            for (char& c : content) {
                const int kind = static_cast<int>(random() % 8);
                c = kind == 0 ? '\r' : kind == 1 ? '\n' : kind == 2 ? '-' : char(random());
            }
            if (random() % 2) content += "\r\n--" + random_boundary + "x";
            if (content.find("\r\n--" + random_boundary) != std::string::npos &&
                content.find("\r\n--" + random_boundary + "x") == std::string::npos) {
                content.clear();  // a real delimiter by chance: skip it
            }
            contents.push_back(content);
            body += "--" + random_boundary + "\r\nContent-Disposition: form-data; name=\"p" +
                    std::to_string(i) + "\"\r\n\r\n" + content + "\r\n";
        }
        body += "--" + random_boundary + "--";
        std::vector<std::size_t> cuts;
        for (std::size_t pos = random() % 50; pos < body.size(); pos += 1 + random() % 50) {
            cuts.push_back(pos);
        }
        const Outcome outcome = parse(body, random_boundary, cuts);
        REQUIRE_FALSE(outcome.error);
        REQUIRE(outcome.collected.parts.size() == contents.size());
        for (std::size_t i = 0; i < contents.size(); ++i) {
            REQUIRE(outcome.collected.parts[i].data == contents[i]);
        }
    }
}

TEST_CASE("boundary_from_content_type reads quoted and token boundaries") {
    using cgikit::boundary_from_content_type;
    CHECK(boundary_from_content_type("multipart/form-data; boundary=abc") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data; boundary=\"abc\"") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data;boundary=\"a b:c\"") == "a b:c");
    CHECK(boundary_from_content_type("Multipart/Form-Data; BOUNDARY=abc") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data; charset=utf-8; boundary=abc") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data; boundary=abc; charset=utf-8") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data ; boundary = abc ;") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data; a=\"x;boundary=no\"; boundary=yes") ==
          "yes");
    CHECK(boundary_from_content_type(R"(multipart/form-data; boundary="a\"b\\c")") == std::nullopt);
    CHECK(boundary_from_content_type(R"(multipart/form-data; boundary="a\bc")") == "abc");
    CHECK(boundary_from_content_type("multipart/form-data; boundary=" + std::string(70, 'x')) ==
          std::string(70, 'x'));
    CHECK(boundary_from_content_type("multipart/form-data; boundary=----WebKitFormBoundaryA1") ==
          "----WebKitFormBoundaryA1");
}

TEST_CASE("boundary_from_content_type refuses what is not a valid RFC 2046 boundary") {
    using cgikit::boundary_from_content_type;
    for (const std::string& content_type : std::vector<std::string>{
             "multipart/form-data",
             "multipart/form-data; boundary=",
             "multipart/form-data; boundary=\"\"",
             "multipart/form-data; boundary=\"abc",
             "multipart/form-data; boundary=\"abc \"",
             "multipart/form-data; boundary=a@b",
             "multipart/form-data; boundary=a; boundary=b",
             "multipart/form-data; boundary=" + std::string(71, 'x'),
             "multipart/form-data; boundary=abc junk",
             "multipart/form-data boundary=abc",
             "multipart; boundary=abc",
             "",
         }) {
        INFO(content_type);
        CHECK(boundary_from_content_type(content_type) == std::nullopt);
    }
}

TEST_CASE("media_type_essence gives the lowercased type/subtype") {
    CHECK(cgikit::media_type_essence("Multipart/Form-Data; boundary=x") == "multipart/form-data");
    CHECK(cgikit::media_type_essence(" application/x-www-form-urlencoded ") ==
          "application/x-www-form-urlencoded");
    CHECK(cgikit::media_type_essence("text/plain;charset=utf-8") == "text/plain");
    CHECK(cgikit::media_type_essence("text").empty());
    CHECK(cgikit::media_type_essence("text/").empty());
    CHECK(cgikit::media_type_essence("text/plain junk").empty());
    CHECK(cgikit::media_type_essence("").empty());
}

TEST_CASE("parse_multipart collects every part of a body in memory") {
    std::vector<cgikit::Part> parts;
    REQUIRE_FALSE(cgikit::parse_multipart(browser_body(), boundary, {}, parts));
    REQUIRE(parts.size() == 3);
    CHECK(parts[2].data == "line 1\r\nline 2\r\n");
    parts.clear();
    CHECK(cgikit::parse_multipart("--" + boundary, boundary, {}, parts).code == Errc::bad_request);
}
