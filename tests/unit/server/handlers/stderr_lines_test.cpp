#include "handlers/stderr_lines.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using cgikit::handlers::StderrLineSplitter;

namespace {

// Every line the splitter produces for `input`, the final partial one included.
std::vector<std::string> split(std::string_view input, std::size_t max_line_bytes,
                               std::size_t piece) {
    StderrLineSplitter splitter(max_line_bytes);
    std::vector<std::string> lines;
    for (std::size_t at = 0; at < input.size(); at += piece) {
        for (std::string& line : splitter.feed(input.substr(at, piece)))
            lines.push_back(line);
    }
    if (auto last = splitter.flush()) lines.push_back(*last);
    return lines;
}

// The same input split in two at every byte offset gives the same lines.
void check_every_split(std::string_view input, std::size_t max_line_bytes,
                       const std::vector<std::string>& expected) {
    CHECK(split(input, max_line_bytes, input.size() + 1) == expected);
    for (std::size_t at = 0; at <= input.size(); ++at) {
        StderrLineSplitter splitter(max_line_bytes);
        std::vector<std::string> lines = splitter.feed(input.substr(0, at));
        for (std::string& line : splitter.feed(input.substr(at)))
            lines.push_back(line);
        if (auto last = splitter.flush()) lines.push_back(*last);
        INFO("split at " << at);
        CHECK(lines == expected);
    }
    CHECK(split(input, max_line_bytes, 1) == expected);
}

}  // namespace

TEST_CASE("lines end at LF; CRLF loses its CR", "[stderr_lines]") {
    check_every_split("one\ntwo\r\nthree\n", 100, {"one", "two", "three"});
    check_every_split("\n\r\n", 100, {"", ""});
}

TEST_CASE("the final line without LF comes from flush()", "[stderr_lines]") {
    StderrLineSplitter splitter(100);
    CHECK(splitter.feed("done\npart").size() == 1);
    CHECK(splitter.flush() == std::optional<std::string>("part"));
    CHECK_FALSE(splitter.flush().has_value());
    CHECK(split("", 100, 1).empty());
    check_every_split("tail\r", 100, {"tail"});
}

TEST_CASE("overlong lines are split into pieces of max_line_bytes", "[stderr_lines]") {
    check_every_split("abcdefghij\n", 4, {"abcd", "efgh", "ij"});
    check_every_split("abcdefgh\n", 4, {"abcd", "efgh"});  // exact multiple: no empty piece
    check_every_split("abcd\r\nxy", 4, {"abcd", "xy"});    // the CR of CRLF is not content
    check_every_split("abcd\rxy\n", 4, {"abcd", "\rxy"});  // a lone CR is
    check_every_split("ab", 0, {"a", "b"});                // at least one byte per line
}

TEST_CASE("lines are the script's bytes, unescaped: the error log escapes them once",
          "[stderr_lines]") {
    // format_error_line escapes every message; escaping here as well showed a backslash as four.
    const std::string line("back\\slash\ttab\x1b[31m\x00\xff", 21);
    check_every_split(line + "\n", 100, {line});
    check_every_split("forged\rline\n", 100, {"forged\rline"});
}

TEST_CASE("a 1 MiB flood without LF stays bounded", "[stderr_lines]") {
    StderrLineSplitter splitter(4096);
    const std::string flood(1 << 20, 'e');
    std::vector<std::string> lines = splitter.feed(flood);
    CHECK(lines.size() == 255);
    for (const std::string& line : lines)
        CHECK(line.size() == 4096);
    CHECK(splitter.flush() == std::optional<std::string>(std::string(4096, 'e')));
}
