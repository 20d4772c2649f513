// Router: CGI prefixes from the config, longest first; everything else is static.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "router.hpp"

using cgikit::Route;
using cgikit::RouteKind;
using cgikit::Router;
using cgikit::handlers::CgiMapping;

namespace {
// The directory of the mapping `path` routes to, or "static".
std::string target_of(const Router& router, const char* path) {
    Route route = router.route(path);
    if (route.kind == RouteKind::Static) return route.mapping == nullptr ? "static" : "bad";
    return route.mapping == nullptr ? "bad" : route.mapping->directory;
}
}  // namespace

TEST_CASE("without CGI mappings everything is static", "[router]") {
    std::vector<CgiMapping> none;
    Router router(none);
    for (const char* path : {"/", "/cgi-bin/x", "/index.html", ""}) {
        INFO(path);
        Route route = router.route(path);
        CHECK(route.kind == RouteKind::Static);
        CHECK(route.mapping == nullptr);
    }
}

TEST_CASE("a path under a prefix is CGI and names its mapping", "[router]") {
    std::vector<CgiMapping> mappings{{"/cgi-bin/", "/srv/cgi"}};
    Router router(mappings);
    Route route = router.route("/cgi-bin/hello");
    CHECK(route.kind == RouteKind::Cgi);
    REQUIRE(route.mapping == &mappings[0]);
    CHECK(route.mapping->directory == "/srv/cgi");
    CHECK(router.route("/cgi-bin/a/b/c").kind == RouteKind::Cgi);
    CHECK(router.route("/cgi-bin/").kind == RouteKind::Cgi);  // the resolver answers 403/404
}

TEST_CASE("near misses are static", "[router]") {
    std::vector<CgiMapping> mappings{{"/cgi-bin/", "/srv/cgi"}};
    Router router(mappings);
    for (const char* path :
         {"/cgi-bin", "/cgi-binx/y", "/CGI-BIN/x", "/a/cgi-bin/x", "/cgi-bi", "cgi-bin/x"}) {
        INFO(path);
        CHECK(router.route(path).kind == RouteKind::Static);
    }
}

TEST_CASE("the longest matching prefix wins, whatever the configured order", "[router]") {
    std::vector<CgiMapping> mappings{
        {"/a/", "/short"}, {"/a/b/c/", "/longest"}, {"/a/b/", "/middle"}, {"/z/", "/other"}};
    Router router(mappings);
    CHECK(target_of(router, "/a/x") == "/short");
    CHECK(target_of(router, "/a/b/x") == "/middle");
    CHECK(target_of(router, "/a/b/c/x") == "/longest");
    CHECK(target_of(router, "/a/b/cx") == "/middle");
    CHECK(target_of(router, "/z/q") == "/other");
}

TEST_CASE("among equal prefixes the first configured wins", "[router]") {
    std::vector<CgiMapping> mappings{{"/p/", "/first"}, {"/p/", "/second"}};
    Router router(mappings);
    CHECK(target_of(router, "/p/x") == "/first");
}
