#include "timestamp_protocol.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <random>
#include <string>

using namespace cgikit::examples;

namespace {

// What ctime(3) itself prints, without its newline.
std::string reference_ctime(std::time_t when) {
    char text[64];
    REQUIRE(::ctime_r(&when, text) != nullptr);
    std::string out(text);
    REQUIRE(out.back() == '\n');
    out.pop_back();
    return out;
}

std::string fed_in_pieces(std::string_view bytes, std::size_t first_cut, std::size_t second_cut) {
    TimestampSession session;
    std::string replies;
    CHECK(session.feed(bytes.substr(0, first_cut), replies));
    CHECK(session.feed(bytes.substr(first_cut, second_cut - first_cut), replies));
    CHECK(session.feed(bytes.substr(second_cut), replies));
    return replies;
}

// The replies without their time stamps: "[...] " cut from the start of every line.
std::string without_stamps(const std::string& replies) {
    std::string out;
    std::size_t start = 0;
    while (start < replies.size()) {
        const auto end = replies.find('\n', start);
        const auto body = replies.find("] ", start);
        REQUIRE(end != std::string::npos);
        REQUIRE(body != std::string::npos);
        out += replies.substr(body + 2, end + 1 - body - 2);
        start = end + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("ctime_text is ctime(3) without its newline", "[timestamp]") {
    for (const std::time_t when : {std::time_t{0}, std::time_t{1'000'000'000},
                                   std::time_t{1'700'000'000}, std::time(nullptr)}) {
        INFO(when);
        CHECK(ctime_text(when) == reference_ctime(when));
        CHECK(ctime_text(when).size() == 24);
    }
}

TEST_CASE("stamp makes the reply line", "[timestamp]") {
    const std::time_t when = 1'000'000'000;
    CHECK(stamp("hello", when) == "[" + reference_ctime(when) + "] hello\n");
    CHECK(stamp("crlf\r\n", when) == "[" + reference_ctime(when) + "] crlf\n");
    CHECK(stamp("", when) == "[" + reference_ctime(when) + "] \n");
}

TEST_CASE("a session answers each complete line, however the bytes are split", "[timestamp]") {
    const std::string input = "first\nsecond line\r\n\nlast\n";
    const std::string expected = "first\nsecond line\n\nlast\n";
    for (std::size_t first = 0; first <= input.size(); ++first) {
        for (std::size_t second = first; second <= input.size(); ++second) {
            INFO("cuts at " << first << " and " << second);
            CHECK(without_stamps(fed_in_pieces(input, first, second)) == expected);
        }
    }
}

TEST_CASE("an unfinished line waits for its end", "[timestamp]") {
    TimestampSession session;
    std::string replies;
    CHECK(session.feed("no newline yet", replies));
    CHECK(replies.empty());
    CHECK(session.feed("... now\n", replies));
    CHECK(without_stamps(replies) == "no newline yet... now\n");
}

TEST_CASE("a line of the maximum length is answered, one byte more is refused", "[timestamp]") {
    {
        TimestampSession session;
        std::string replies;
        CHECK(session.feed(std::string(max_message_bytes, 'm') + "\n", replies));
        CHECK(without_stamps(replies) == std::string(max_message_bytes, 'm') + "\n");
    }
    {
        TimestampSession session;
        std::string replies;
        CHECK(session.feed("ok\n", replies));
        // Split in two reads, and without a newline: the limit holds across reads.
        CHECK(session.feed(std::string(max_message_bytes, 'm'), replies));
        CHECK_FALSE(session.feed("m", replies));
        CHECK(replies.ends_with(oversize_reply()));
        CHECK(oversize_reply() == "error: message longer than 4096 bytes\n");
    }
}

TEST_CASE("random input in random pieces: the replies are the lines' replies", "[timestamp]") {
    std::mt19937 random(20261121);  // fixed seed: the same cases every run
    for (int round = 0; round < 200; ++round) {
        // Lines of random bytes (newlines included, so line lengths vary), within the limit.
        std::string input;
        const int length = std::uniform_int_distribution<int>(0, 3000)(random);
        for (int i = 0; i < length; ++i) {
            const int byte = std::uniform_int_distribution<int>(0, 40)(random);
            input += byte == 0 ? '\n' : static_cast<char>(byte == 1 ? '\r' : 'a' + byte % 26);
        }
        // The reference: each complete line, one reply.
        std::string expected;
        for (std::size_t start = 0, end; (end = input.find('\n', start)) != std::string::npos;
             start = end + 1) {
            std::string_view line(input.data() + start, end - start);
            if (line.ends_with('\r')) line.remove_suffix(1);
            expected += std::string(line) + "\n";
        }
        TimestampSession session;
        std::string replies;
        for (std::size_t at = 0; at < input.size();) {
            const std::size_t piece = std::uniform_int_distribution<std::size_t>(1, 64)(random);
            REQUIRE(session.feed(std::string_view(input).substr(at, piece), replies));
            at += piece;
        }
        INFO("round " << round);
        CHECK(without_stamps(replies) == expected);
    }
}
