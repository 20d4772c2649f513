#include "http/response.hpp"

#include <catch2/catch.hpp>
#include <string>

using cgikit::http::FileBody;
using cgikit::http::Response;
using cgikit::http::StreamBody;

TEST_CASE("Response::clear returns to a default response", "[response]") {
    Response r;
    r.status = 404;
    r.reason = "Gone Fishing";
    r.headers.add("Content-Type", "text/html; charset=utf-8");
    r.close_connection = true;
    SECTION("from a text body: left empty, with its storage") {
        r.text_body().assign(1000, 'x');
        const char* storage = std::get<std::string>(r.body).data();
        r.clear();
        REQUIRE(std::holds_alternative<std::string>(r.body));
        CHECK(std::get<std::string>(r.body).empty());
        CHECK(r.text_body().data() == storage);
    }
    SECTION("from a file body: no body") {
        r.body = FileBody{};
        r.clear();
        CHECK(std::holds_alternative<std::monostate>(r.body));
    }
    SECTION("from a streamed body: no body") {
        r.body = StreamBody{};
        r.clear();
        CHECK(std::holds_alternative<std::monostate>(r.body));
    }
    CHECK(r.status == 200);
    CHECK(r.reason.empty());  // the next response gets its standard phrase
    CHECK(r.headers.empty());
    CHECK_FALSE(r.close_connection);
}

TEST_CASE("Response::text_body makes the body text", "[response]") {
    Response r;
    r.text_body() = "hello";
    REQUIRE(std::holds_alternative<std::string>(r.body));
    CHECK(std::get<std::string>(r.body) == "hello");
    r.text_body() += " world";
    CHECK(std::get<std::string>(r.body) == "hello world");
    r.body = StreamBody{};
    CHECK(r.text_body().empty());
}
