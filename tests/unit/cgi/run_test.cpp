// run(): errors become responses, never crashes. In-process through run_request, and as real CGI
// processes (programs/misbehave.cpp, programs/returning.cpp, cgi-bin/hello.cpp).
#include "cgikit/run.hpp"

#include <catch2/catch.hpp>

#include "cgi_process.hpp"
#include "multipart_builder.hpp"

using cgikit::Request;
using cgikit::Response;
using cgikit::RunOptions;
using cgikit::test::CgiOutput;
using cgikit::test::MultipartBuilder;
using cgikit::test::run_cgi;

namespace {

struct Captured {
    std::string output;
    std::vector<std::string> log;
    RunOptions options() {
        RunOptions options;
        options.output = [this](std::string_view bytes) {
            output.append(bytes);
            return true;
        };
        options.log = [this](std::string_view line) { log.emplace_back(line); };
        return options;
    }
};

Request get(std::string query = "") {
    return Request::from({{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", std::move(query)}});
}

CgiOutput run_program(const std::string& name, const std::string& query,
                      const std::string& method = "GET") {
    return run_cgi(
        std::string(CGIKIT_TEST_PROGRAMS "/") + name,
        {{"REQUEST_METHOD", method}, {"QUERY_STRING", query}, {"GATEWAY_INTERFACE", "CGI/1.1"}});
}

}  // namespace

TEST_CASE("run: a normal handler's response is sent, exit code 0", "[run]") {
    Captured captured;
    Request request = get("name=x");
    const int code = cgikit::run_request(
        request,
        [](Request& req, Response& res) { res.write(std::string(req.get("name").value_or(""))); },
        captured.options());
    CHECK(code == 0);
    CHECK(
        captured.output ==
        "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1\r\n\r\nx");
    CHECK(captured.log.empty());
}

TEST_CASE("run: a request that could not be read never reaches the handler", "[run]") {
    Captured captured;
    Request request = Request::from({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "5"}}, "ab");
    bool called = false;
    const int code = cgikit::run_request(
        request, [&](Request&, Response&) { called = true; }, captured.options());
    CHECK_FALSE(called);
    CHECK(code == 0);
    CHECK(captured.output.starts_with("Status: 400 Bad Request\r\n"));
    CHECK(captured.output.find("truncated") != std::string::npos);
    REQUIRE(captured.log.size() == 1);
    CHECK(captured.log[0].starts_with("400 "));
}

TEST_CASE("run: an exception becomes a 500 without details; the log gets them", "[run]") {
    Captured captured;
    Request request = get();
    const int code = cgikit::run_request(
        request,
        [](Request&, Response& res) {
            (void)res.set_header("X-Half-Done", "1");
            res.write("half a page");
            throw std::runtime_error("database password is hunter2");
        },
        captured.options());
    CHECK(code == 1);
    CHECK(captured.output ==
          "Status: 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 26\r\n\r\n500 Internal Server Error\n");
    REQUIRE(captured.log.size() == 1);
    CHECK(captured.log[0].find("hunter2") != std::string::npos);
}

TEST_CASE("run: HttpError answers with its status and message", "[run]") {
    Captured captured;
    Request request = get();
    const int code = cgikit::run_request(
        request, [](Request&, Response&) { throw cgikit::HttpError(404, "no such entry"); },
        captured.options());
    CHECK(code == 0);
    CHECK(captured.output.starts_with("Status: 404 Not Found\r\n"));
    CHECK(captured.output.ends_with("404 Not Found\nno such entry\n"));

    Captured bogus;
    Request other = get();
    cgikit::run_request(
        other, [](Request&, Response&) { throw cgikit::HttpError(200, "not an error status"); },
        bogus.options());
    CHECK(bogus.output.starts_with("Status: 500 "));
}

TEST_CASE("run: a custom error renderer shapes every error response", "[run]") {
    Captured captured;
    RunOptions options = captured.options();
    options.render_error = [](int status, std::string_view message, Response& response) {
        response.set_json({{"status", status}, {"error", message}});
    };
    Request request = Request::from({{"CONTENT_LENGTH", "x"}});
    cgikit::run_request(
        request, [](Request&, Response&) {}, options);
    CHECK(captured.output.find("Content-Type: application/json\r\n") != std::string::npos);
    CHECK(captured.output.ends_with(
        "{\"error\":\"CONTENT_LENGTH is not a decimal number\",\"status\":400}"));
}

TEST_CASE("run: a renderer that throws still yields the default error page", "[run]") {
    Captured captured;
    RunOptions options = captured.options();
    options.render_error = [](int, std::string_view, Response&) { throw std::logic_error("oops"); };
    Request request = get();
    cgikit::run_request(
        request, [](Request&, Response&) { throw 1; }, options);
    CHECK(captured.output.starts_with("Status: 500 Internal Server Error\r\n"));
    CHECK(captured.output.ends_with("500 Internal Server Error\n"));
}

TEST_CASE("run: after streaming began, an exception can only be logged", "[run]") {
    Captured captured;
    Request request = get();
    const int code = cgikit::run_request(
        request,
        [](Request&, Response& res) {
            res.start_streaming();
            res.write("partial");
            throw std::runtime_error("mid-stream");
        },
        captured.options());
    CHECK(code == 1);
    CHECK(captured.output.starts_with("Status: 200 OK\r\n"));
    CHECK(captured.output.ends_with("\r\n\r\npartial"));
    REQUIRE(captured.log.size() == 1);
    CHECK(captured.log[0].find("mid-stream") != std::string::npos);
}

TEST_CASE("run: HEAD requests get no body", "[run]") {
    Captured captured;
    Request request = Request::from({{"REQUEST_METHOD", "HEAD"}});
    cgikit::run_request(
        request, [](Request&, Response& res) { res.write("body"); }, captured.options());
    CHECK(captured.output ==
          "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\n");
}

TEST_CASE("run: real processes — exceptions, HttpError, streaming, injection", "[run][process]") {
    SECTION("ok") {
        const CgiOutput out = run_program("misbehave", "mode=none");
        CHECK(out.exit_code == 0);
        CHECK(out.well_formed);
        CHECK(out.body == "fine\n");
    }
    SECTION("std::exception") {
        const CgiOutput out = run_program("misbehave", "mode=throw");
        CHECK(out.exit_code == 1);
        CHECK(out.status == 500);
        CHECK(out.well_formed);
        CHECK(out.body.find("secret") == std::string::npos);
        CHECK(out.errors.find("secret detail") != std::string::npos);
    }
    SECTION("a non-exception type") {
        const CgiOutput out = run_program("misbehave", "mode=throw_int");
        CHECK(out.exit_code == 1);
        CHECK(out.status == 500);
    }
    SECTION("HttpError") {
        const CgiOutput out = run_program("misbehave", "mode=http_error");
        CHECK(out.exit_code == 0);
        CHECK(out.status == 404);
        CHECK(out.body == "404 Not Found\nno such entry\n");
    }
    SECTION("throw after streaming") {
        const CgiOutput out = run_program("misbehave", "mode=stream_then_throw");
        CHECK(out.exit_code == 1);
        CHECK(out.status == 200);
        CHECK(out.body == "partial");
        CHECK(out.errors.find("failed mid-stream") != std::string::npos);
    }
    SECTION("streamed body has no Content-Length") {
        const CgiOutput out = run_program("misbehave", "mode=stream");
        CHECK(out.exit_code == 0);
        CHECK_FALSE(out.header("Content-Length"));
        CHECK(out.header("Content-Type") == "text/plain");
        CHECK(out.body == "chunk\nchunk\nchunk\n");
    }
    SECTION("header injection refused") {
        const CgiOutput out = run_program("misbehave", "mode=injection");
        CHECK(out.well_formed);
        CHECK(out.body == "refused\n");
        CHECK_FALSE(out.header("Set-Cookie"));
        CHECK_FALSE(out.header("X-Test"));
    }
    SECTION("redirect") {
        const CgiOutput out = run_program("misbehave", "mode=redirect");
        CHECK(out.status == 303);
        CHECK(out.header("Location") == "/elsewhere?a=1&b=2");
    }
}

TEST_CASE("run: an exception while reading the request is a 500 too", "[run][process]") {
    MultipartBuilder form;
    form.file("explode", "x.bin", "application/octet-stream", "boom");
    const std::string body = form.finish();
    const CgiOutput out = run_cgi(CGIKIT_TEST_PROGRAMS "/misbehave",
                                  {{"REQUEST_METHOD", "POST"},
                                   {"CONTENT_TYPE", form.content_type()},
                                   {"CONTENT_LENGTH", std::to_string(body.size())}},
                                  body);
    CHECK(out.exit_code == 1);
    CHECK(out.well_formed);
    CHECK(out.status == 500);
    CHECK(out.errors.find("sink exploded") != std::string::npos);
}

TEST_CASE("run: a handler may return its Response", "[run][process]") {
    const CgiOutput out = run_program("returning", "", "DELETE");
    CHECK(out.exit_code == 0);
    CHECK(out.status == 201);
    CHECK(out.header("X-Method") == "DELETE");
    CHECK(out.body == "made\n");
}

TEST_CASE("run: hello is a complete, minimal CGI response", "[run][process]") {
    const CgiOutput out = run_cgi(CGIKIT_EXAMPLE_PROGRAMS "/hello", {{"REQUEST_METHOD", "GET"}});
    CHECK(out.exit_code == 0);
    CHECK(out.raw ==
          "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n"
          "Hello, world!\n");
    CHECK(out.errors.empty());
}
