#include "http/request.hpp"

#include <catch2/catch.hpp>

using cgikit::http::Method;
using cgikit::http::Request;

TEST_CASE("Request::clear gives back a default request", "[request]") {
    Request r;
    r.method = "POST";
    r.method_kind = Method::Post;
    r.target = "/a/b?c=d";
    r.raw_path = "/a/b";
    r.query = "c=d";
    r.has_query = true;
    r.version = {1, 0};
    r.headers.add("Host", "example.org");
    r.host = "example.org";
    r.keep_alive = false;
    r.expect_continue = true;
    r.chunked = true;
    r.content_length = 42;
    r.peer = {"192.0.2.1", 4000, "192.0.2.2", 80};
    r.id = 7;

    r.clear();
    const Request fresh;
    CHECK(r.method == fresh.method);
    CHECK(r.method_kind == fresh.method_kind);
    CHECK(r.target == fresh.target);
    CHECK(r.raw_path == fresh.raw_path);
    CHECK(r.query == fresh.query);
    CHECK(r.has_query == fresh.has_query);
    CHECK(r.version == fresh.version);
    CHECK(r.headers.empty());
    CHECK(r.host == fresh.host);
    CHECK(r.keep_alive == fresh.keep_alive);
    CHECK(r.expect_continue == fresh.expect_continue);
    CHECK(r.chunked == fresh.chunked);
    CHECK(r.content_length == fresh.content_length);
    CHECK(r.peer.remote_address == fresh.peer.remote_address);
    CHECK(r.peer.remote_port == fresh.peer.remote_port);
    CHECK(r.peer.local_address == fresh.peer.local_address);
    CHECK(r.peer.local_port == fresh.peer.local_port);
    CHECK(r.id == fresh.id);
}
