#include "cgikit/error.hpp"

#include <catch2/catch.hpp>

using cgikit::Errc;

TEST_CASE("cgikit errors are std::error_codes in the \"cgikit\" category") {
    const std::error_code code = Errc::too_large;
    CHECK(code.category().name() == std::string("cgikit"));
    CHECK(code == Errc::too_large);
    CHECK(code != Errc::bad_request);
    CHECK(code.message() == "content too large");
    CHECK(std::error_code(Errc::bad_request).message() == "bad request");
}

TEST_CASE("http_status maps each error to the status a CGI program should answer") {
    CHECK(cgikit::http_status({}) == 200);
    CHECK(cgikit::http_status(Errc::bad_request) == 400);
    CHECK(cgikit::http_status(Errc::too_large) == 413);
    CHECK(cgikit::http_status(Errc::unsupported_media_type) == 415);
    CHECK(cgikit::http_status(Errc::internal_error) == 500);
    CHECK(cgikit::http_status(std::make_error_code(std::errc::no_space_on_device)) == 500);
    CHECK(cgikit::http_status(std::error_code(99, cgikit::error_category())) == 500);
}

TEST_CASE("Error is falsy without a code and carries its message") {
    const cgikit::Error none;
    CHECK_FALSE(none);
    CHECK(none.http_status() == 200);

    const cgikit::Error error(Errc::too_large, "field too long");
    CHECK(error);
    CHECK(error.code == Errc::too_large);
    CHECK(error.message == "field too long");
    CHECK(error.http_status() == 413);
}
