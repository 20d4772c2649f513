#include "handlers/cgi_environment.hpp"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using cgikit::handlers::build_cgi_environment;
using cgikit::handlers::cgi_environment_name_is_configurable;
using cgikit::handlers::cgi_header_variable_name;
using cgikit::handlers::CgiEnvironmentInput;
using cgikit::handlers::CgiRedirectInfo;
using cgikit::handlers::CgiScript;
using cgikit::handlers::CgiSettings;
using cgikit::http::Request;

namespace {

using Environment = std::map<std::string, std::string>;

// Sets a variable of this process for one test, restoring the old value afterwards.
class ScopedVariable {
  public:
    ScopedVariable(std::string name, const std::string& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        REQUIRE(::setenv(name_.c_str(), value.c_str(), 1) == 0);
    }
    ScopedVariable(const ScopedVariable&) = delete;
    ScopedVariable& operator=(const ScopedVariable&) = delete;
    ~ScopedVariable() {
        if (old_) {
            ::setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            ::unsetenv(name_.c_str());
        }
    }

  private:
    std::string name_;
    std::optional<std::string> old_;
};

// A GET for /cgi-bin/env.sh/extra?a=%20b from [2001:db8::1]:5555 to port 8080.
struct Fixture {
    Request request;
    CgiScript script;
    CgiSettings settings;
    std::optional<std::uint64_t> body_length;
    std::optional<CgiRedirectInfo> redirect;
    bool https = false;
    std::map<std::string, std::string> server_environment;  // what pass_environment can see

    Fixture() {
        request.method = "GET";
        request.method_kind = cgikit::http::Method::Get;
        request.target = "/cgi-bin/env.sh/extra?a=%20b";
        request.raw_path = "/cgi-bin/env.sh/extra";
        request.query = "a=%20b";
        request.has_query = true;
        request.host = "www.example.com:8080";
        request.headers.add("Host", "www.example.com:8080");
        request.peer = {"2001:db8::1", 5555, "192.0.2.7", 8080};
        script.filename = "/srv/cgi/env.sh";
        script.script_name = "/cgi-bin/env.sh";
        script.path_info = "/extra";
        script.directory = "/srv/cgi";
        script.context_prefix = "/cgi-bin/";
        script.context_document_root = "/srv/cgi/";
    }

    std::vector<std::string> entries() const {
        CgiEnvironmentInput input{
            .request = request,
            .script = script,
            .document_root = "/srv/www",
            .server_name = "configured.example",
            .server_software = "cgikit/0.1.0",
            .https = https,
            .settings = settings,
            .lookup_environment = [this](std::string_view name) -> std::optional<std::string> {
                auto it = server_environment.find(std::string(name));
                if (it == server_environment.end()) return std::nullopt;
                return it->second;
            },
            .body_length = body_length,
            .redirect = redirect,
        };
        return build_cgi_environment(input);
    }

    Environment build() const {
        Environment environment;
        for (const auto& entry : entries()) {
            auto equals = entry.find('=');
            REQUIRE(equals != std::string::npos);
            auto [it, inserted] =
                environment.emplace(entry.substr(0, equals), entry.substr(equals + 1));
            CHECK(inserted);  // every name once
        }
        return environment;
    }
};

}  // namespace

TEST_CASE("the RFC 3875 meta-variables for a plain GET", "[cgi_environment]") {
    Fixture fixture;
    Environment expected = {
        {"CONTEXT_DOCUMENT_ROOT", "/srv/cgi/"},
        {"CONTEXT_PREFIX", "/cgi-bin/"},
        {"DOCUMENT_ROOT", "/srv/www"},
        {"GATEWAY_INTERFACE", "CGI/1.1"},
        {"HTTP_HOST", "www.example.com:8080"},
        {"PATH", "/usr/local/bin:/usr/bin:/bin"},
        {"PATH_INFO", "/extra"},
        {"PATH_TRANSLATED", "/srv/www/extra"},
        {"QUERY_STRING", "a=%20b"},
        {"REDIRECT_STATUS", "200"},
        {"REMOTE_ADDR", "2001:db8::1"},
        {"REMOTE_HOST", "2001:db8::1"},
        {"REMOTE_PORT", "5555"},
        {"REQUEST_METHOD", "GET"},
        {"REQUEST_SCHEME", "http"},
        {"REQUEST_URI", "/cgi-bin/env.sh/extra?a=%20b"},
        {"SCRIPT_FILENAME", "/srv/cgi/env.sh"},
        {"SCRIPT_NAME", "/cgi-bin/env.sh"},
        {"SERVER_ADDR", "192.0.2.7"},
        {"SERVER_NAME", "www.example.com"},
        {"SERVER_PORT", "8080"},
        {"SERVER_PROTOCOL", "HTTP/1.1"},
        {"SERVER_SOFTWARE", "cgikit/0.1.0"},
    };
    CHECK(fixture.build() == expected);
}

TEST_CASE("entries are NAME=value, sorted by name", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("Zebra", "1");
    fixture.request.headers.add("Accept", "*/*");
    auto entries = fixture.entries();
    CHECK(std::is_sorted(entries.begin(), entries.end()));
    CHECK(fixture.entries() == entries);  // deterministic
}

TEST_CASE("the server's own environment never leaks", "[cgi_environment]") {
    ScopedVariable secret("CGIKIT_TEST_SECRET", "leaked-value");
    ScopedVariable home("HOME", "/root/home-of-the-test");
    Fixture fixture;
    auto environment = fixture.build();
    CHECK(environment.count("HOME") == 0);
    CHECK(environment.count("CGIKIT_TEST_SECRET") == 0);
    CHECK(environment.at("PATH") == fixture.settings.path);
    for (const auto& entry : fixture.entries()) {
        CHECK(entry.find("leaked-value") == std::string::npos);
        CHECK(entry.find("home-of-the-test") == std::string::npos);
    }
}

TEST_CASE("a name set twice appears once, with the later value", "[cgi_environment]") {
    // set_environment first, then pass_environment; repeated headers become one variable.
    Fixture fixture;
    fixture.server_environment = {{"APP_MODE", "from the server"}};
    fixture.settings.set_environment = {{"APP_MODE", "configured"}};
    fixture.settings.pass_environment = {"APP_MODE"};
    fixture.request.headers.add("X-Twice", "1");
    fixture.request.headers.add("X-Twice", "2");
    auto entries = fixture.entries();
    CHECK(std::count(entries.begin(), entries.end(), "APP_MODE=from the server") == 1);
    CHECK(std::count_if(entries.begin(), entries.end(),
                        [](const std::string& e) { return e.rfind("APP_MODE=", 0) == 0; }) == 1);
    CHECK(std::count(entries.begin(), entries.end(), "HTTP_X_TWICE=1, 2") == 1);
}

TEST_CASE("pass_environment copies only the listed names", "[cgi_environment]") {
    Fixture fixture;
    fixture.server_environment = {{"TZ", "UTC"},
                                  {"LANG", "C.UTF-8"},
                                  {"SECRET", "x"},
                                  {"PATH", "/evil"},
                                  {"HTTP_PROXY", "http://evil"}};
    fixture.settings.pass_environment = {"TZ", "LANG", "MISSING", "PATH", "HTTP_PROXY"};
    auto environment = fixture.build();
    CHECK(environment.at("TZ") == "UTC");
    CHECK(environment.at("LANG") == "C.UTF-8");
    CHECK(environment.count("SECRET") == 0);
    CHECK(environment.count("MISSING") == 0);
    CHECK(environment.at("PATH") == "/usr/local/bin:/usr/bin:/bin");
    CHECK(environment.count("HTTP_PROXY") == 0);
}

TEST_CASE("set_environment adds variables but cannot override the server's", "[cgi_environment]") {
    Fixture fixture;
    fixture.settings.set_environment = {{"APP_MODE", "production"},
                                        {"lower_case", "ok"},
                                        {"SCRIPT_NAME", "/forged"},
                                        {"PATH", "/evil"},
                                        {"HTTP_HOST", "forged"},
                                        {"HTTP_PROXY", "http://evil"},
                                        {"REDIRECT_URL", "/forged"},
                                        {"REMOTE_USER", "admin"},
                                        {"BAD=NAME", "x"},
                                        {"1DIGIT", "x"},
                                        {"", "x"},
                                        {"WITH_NUL", std::string("a\0b", 3)}};
    auto environment = fixture.build();
    CHECK(environment.at("APP_MODE") == "production");
    CHECK(environment.at("lower_case") == "ok");
    CHECK(environment.at("SCRIPT_NAME") == "/cgi-bin/env.sh");
    CHECK(environment.at("PATH") == "/usr/local/bin:/usr/bin:/bin");
    CHECK(environment.at("HTTP_HOST") == "www.example.com:8080");
    CHECK(environment.count("HTTP_PROXY") == 0);
    CHECK(environment.count("REDIRECT_URL") == 0);
    CHECK(environment.count("REMOTE_USER") == 0);
    CHECK(environment.count("BAD") == 0);
    CHECK(environment.count("1DIGIT") == 0);
    CHECK(environment.count("") == 0);
    CHECK(environment.count("WITH_NUL") == 0);
}

TEST_CASE("which names the config may set", "[cgi_environment]") {
    CHECK(cgi_environment_name_is_configurable("APP_MODE"));
    CHECK(cgi_environment_name_is_configurable("_private"));
    CHECK(cgi_environment_name_is_configurable("TZ"));
    CHECK_FALSE(cgi_environment_name_is_configurable(""));
    CHECK_FALSE(cgi_environment_name_is_configurable("9LIVES"));
    CHECK_FALSE(cgi_environment_name_is_configurable("A-B"));
    CHECK_FALSE(cgi_environment_name_is_configurable("A=B"));
    CHECK_FALSE(cgi_environment_name_is_configurable("HTTP_X"));
    CHECK_FALSE(cgi_environment_name_is_configurable("REDIRECT_X"));
    CHECK_FALSE(cgi_environment_name_is_configurable("PATH"));
    CHECK_FALSE(cgi_environment_name_is_configurable("SERVER_NAME"));
    CHECK_FALSE(cgi_environment_name_is_configurable("HTTPS"));
}

TEST_CASE("headers become HTTP_* variables", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("User-Agent", "test/1.0");
    fixture.request.headers.add("X-Forwarded-For", "198.51.100.1");
    fixture.request.headers.add("accept-LANGUAGE", "en");
    auto environment = fixture.build();
    CHECK(environment.at("HTTP_USER_AGENT") == "test/1.0");
    CHECK(environment.at("HTTP_X_FORWARDED_FOR") == "198.51.100.1");
    CHECK(environment.at("HTTP_ACCEPT_LANGUAGE") == "en");
}

TEST_CASE("repeated headers are joined in order, Cookie with a semicolon", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("Accept", "text/html");
    fixture.request.headers.add("Cookie", "a=1");
    fixture.request.headers.add("X-Forwarded-For", "198.51.100.1");
    fixture.request.headers.add("accept", "text/plain");
    fixture.request.headers.add("cookie", "b=2");
    fixture.request.headers.add("X-FORWARDED-FOR", "198.51.100.2");
    auto environment = fixture.build();
    CHECK(environment.at("HTTP_ACCEPT") == "text/html, text/plain");
    CHECK(environment.at("HTTP_COOKIE") == "a=1; b=2");
    CHECK(environment.at("HTTP_X_FORWARDED_FOR") == "198.51.100.1, 198.51.100.2");
}

TEST_CASE("header names with '_' cannot impersonate others", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("X_Forwarded_For", "203.0.113.66");
    fixture.request.headers.add("X-Real-IP", "198.51.100.1");
    fixture.request.headers.add("X_Real_IP", "203.0.113.66");
    fixture.request.headers.add("Content_Length", "999");
    auto environment = fixture.build();
    CHECK(environment.count("HTTP_X_FORWARDED_FOR") == 0);
    CHECK(environment.at("HTTP_X_REAL_IP") == "198.51.100.1");
    CHECK(environment.count("HTTP_CONTENT_LENGTH") == 0);
    for (const auto& [name, value] : environment)
        CHECK(value != "203.0.113.66");
}

TEST_CASE("header names outside [A-Za-z0-9-] are not passed", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("X.Dotted", "1");
    fixture.request.headers.add("X~Tilde", "1");
    fixture.request.headers.add("X!", "1");
    fixture.request.headers.add("", "1");
    fixture.request.headers.add("X-Nul", std::string("a\0b", 3));
    auto entries = fixture.entries();
    for (const auto& entry : entries) {
        auto name = entry.substr(0, entry.find('='));
        for (char c : name)
            CHECK(((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'));
        CHECK(entry.find('\0') == std::string::npos);
    }
    CHECK(fixture.build().count("HTTP_X_NUL") == 0);
}

TEST_CASE("httpoxy: a Proxy header never becomes HTTP_PROXY", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("Proxy", "http://evil.example:8080");
    fixture.request.headers.add("proxy", "http://evil.example:8081");
    fixture.request.headers.add("Proxy-Connection", "keep-alive");
    auto environment = fixture.build();
    CHECK(environment.count("HTTP_PROXY") == 0);
    CHECK(environment.at("HTTP_PROXY_CONNECTION") == "keep-alive");
}

TEST_CASE("credentials are withheld unless Authorization is allowed", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("Authorization", "Basic dXNlcjpwYXNz");
    fixture.request.headers.add("Proxy-Authorization", "Basic cHJveHk6cGFzcw==");

    SECTION("default: off") {
        auto environment = fixture.build();
        CHECK(environment.count("HTTP_AUTHORIZATION") == 0);
        CHECK(environment.count("HTTP_PROXY_AUTHORIZATION") == 0);
        CHECK(environment.at("AUTH_TYPE") == "Basic");
        CHECK(environment.count("REMOTE_USER") == 0);
    }
    SECTION("pass_authorization passes Authorization only") {
        fixture.settings.pass_authorization = true;
        auto environment = fixture.build();
        CHECK(environment.at("HTTP_AUTHORIZATION") == "Basic dXNlcjpwYXNz");
        CHECK(environment.count("HTTP_PROXY_AUTHORIZATION") == 0);
        CHECK(environment.at("AUTH_TYPE") == "Basic");
    }
}

TEST_CASE("AUTH_TYPE is the scheme token, absent without Authorization", "[cgi_environment]") {
    Fixture fixture;
    CHECK(fixture.build().count("AUTH_TYPE") == 0);
    fixture.request.headers.add("Authorization", "Bearer abc.def");
    CHECK(fixture.build().at("AUTH_TYPE") == "Bearer");
    fixture.request.headers.set("Authorization", "(bad) x");
    CHECK(fixture.build().count("AUTH_TYPE") == 0);
    fixture.request.headers.set("Authorization", "");
    CHECK(fixture.build().count("AUTH_TYPE") == 0);
}

TEST_CASE("REMOTE_ADDR and SERVER_ADDR carry no brackets", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.peer = {"[::1]", 40000, "[::1]", 8443};
    auto environment = fixture.build();
    CHECK(environment.at("REMOTE_ADDR") == "::1");
    CHECK(environment.at("REMOTE_HOST") == "::1");
    CHECK(environment.at("SERVER_ADDR") == "::1");
    CHECK(environment.at("REMOTE_PORT") == "40000");
    CHECK(environment.at("SERVER_PORT") == "8443");
}

TEST_CASE("SERVER_NAME comes from Host, else the configured name", "[cgi_environment]") {
    Fixture fixture;
    auto server_name = [&](std::string host) {
        fixture.request.host = std::move(host);
        return fixture.build().at("SERVER_NAME");
    };
    CHECK(server_name("www.example.com") == "www.example.com");
    CHECK(server_name("WWW.Example.COM:8080") == "www.example.com");
    CHECK(server_name("example.com:") == "example.com");
    CHECK(server_name("127.0.0.1:80") == "127.0.0.1");
    CHECK(server_name("[2001:DB8::1]:8080") == "[2001:db8::1]");
    CHECK(server_name("[::1]") == "[::1]");
    // Absent or not a host name: the configured name.
    CHECK(server_name("") == "configured.example");
    CHECK(server_name("bad;name") == "configured.example");
    CHECK(server_name("a b") == "configured.example");
    CHECK(server_name("host:port") == "configured.example");
    CHECK(server_name(":8080") == "configured.example");
    CHECK(server_name("[::1") == "configured.example");
    CHECK(server_name("[::1]x") == "configured.example");
    CHECK(server_name("[zz::1]") == "configured.example");
    CHECK(server_name("[]") == "configured.example");
}

TEST_CASE("an absolute-form target's authority replaces the Host header", "[cgi_environment]") {
    // RFC 9112 §3.2.2: the server MUST ignore the received Host and use the target's authority;
    // scripts build their own URLs from HTTP_HOST (Apache rewrites it the same way).
    Fixture fixture;
    fixture.request.target = "http://Example.ORG:99/cgi-bin/env.sh/extra?a=%20b";
    fixture.request.host = "Example.ORG:99";  // what the parser takes from such a target
    fixture.request.headers.clear();
    fixture.request.headers.add("Host", "other:5");
    fixture.request.headers.add("X-After", "1");
    auto environment = fixture.build();
    CHECK(environment.at("HTTP_HOST") == "Example.ORG:99");
    CHECK(environment.at("SERVER_NAME") == "example.org");
    CHECK(environment.at("HTTP_X_AFTER") == "1");

    SECTION("also when the request had no Host header (HTTP/1.0)") {
        fixture.request.headers.clear();
        CHECK(fixture.build().at("HTTP_HOST") == "Example.ORG:99");
    }
    SECTION("an origin-form target keeps the Host header as sent") {
        fixture.request.target = "/cgi-bin/env.sh/extra?a=%20b";
        fixture.request.host = "other:5";
        CHECK(fixture.build().at("HTTP_HOST") == "other:5");
    }
}

TEST_CASE("SERVER_PORT is where the request arrived, not the Host port", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.host = "www.example.com:9999";
    fixture.request.peer.local_port = 8080;
    CHECK(fixture.build().at("SERVER_PORT") == "8080");
}

TEST_CASE("SERVER_PROTOCOL is the request's own version", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.version = {1, 0};
    CHECK(fixture.build().at("SERVER_PROTOCOL") == "HTTP/1.0");
    fixture.request.version = {1, 1};
    CHECK(fixture.build().at("SERVER_PROTOCOL") == "HTTP/1.1");
}

TEST_CASE("PATH_INFO and PATH_TRANSLATED only when there is a path info", "[cgi_environment]") {
    Fixture fixture;
    fixture.script.path_info = "/a b/c";
    auto with = fixture.build();
    CHECK(with.at("PATH_INFO") == "/a b/c");
    CHECK(with.at("PATH_TRANSLATED") == "/srv/www/a b/c");

    fixture.script.path_info.clear();
    auto without = fixture.build();
    CHECK(without.count("PATH_INFO") == 0);
    CHECK(without.count("PATH_TRANSLATED") == 0);
}

TEST_CASE("QUERY_STRING is raw, and empty when absent", "[cgi_environment]") {
    Fixture fixture;
    CHECK(fixture.build().at("QUERY_STRING") == "a=%20b");
    fixture.request.query.clear();
    fixture.request.has_query = false;
    fixture.request.target = "/cgi-bin/env.sh/extra";
    auto environment = fixture.build();
    CHECK(environment.at("QUERY_STRING").empty());
    CHECK(environment.at("REQUEST_URI") == "/cgi-bin/env.sh/extra");
}

TEST_CASE("CONTENT_LENGTH and CONTENT_TYPE only with a body", "[cgi_environment]") {
    Fixture fixture;
    fixture.request.headers.add("Content-Type", "application/x-www-form-urlencoded");
    fixture.request.headers.add("Content-Length", "11");

    SECTION("no body: neither, even with the headers") {
        auto environment = fixture.build();
        CHECK(environment.count("CONTENT_LENGTH") == 0);
        CHECK(environment.count("CONTENT_TYPE") == 0);
    }
    SECTION("a body with Content-Length") {
        fixture.request.method = "POST";
        fixture.request.content_length = 11;
        fixture.body_length = 11;
        auto environment = fixture.build();
        CHECK(environment.at("CONTENT_LENGTH") == "11");
        CHECK(environment.at("CONTENT_TYPE") == "application/x-www-form-urlencoded");
        CHECK(environment.at("REQUEST_METHOD") == "POST");
    }
    SECTION("a chunked body: the de-chunked length") {
        fixture.request.headers.remove("Content-Length");
        fixture.request.headers.add("Transfer-Encoding", "chunked");
        fixture.request.chunked = true;
        fixture.body_length = 4242;
        auto environment = fixture.build();
        CHECK(environment.at("CONTENT_LENGTH") == "4242");
        CHECK(environment.count("HTTP_TRANSFER_ENCODING") == 0);
    }
    SECTION("an empty chunked body still has a length") {
        fixture.request.chunked = true;
        fixture.body_length = 0;
        CHECK(fixture.build().at("CONTENT_LENGTH") == "0");
    }
    SECTION("Content-Length: 0 is a body of length 0 (RFC 9112 §6), typed like any other") {
        fixture.request.method = "POST";
        fixture.request.content_length = 0;
        auto environment = fixture.build();  // no spool for an empty body: no body_length
        CHECK(environment.at("CONTENT_LENGTH") == "0");
        CHECK(environment.at("CONTENT_TYPE") == "application/x-www-form-urlencoded");
    }
    SECTION("a body without a Content-Type") {
        fixture.request.headers.remove("Content-Type");
        fixture.request.content_length = 11;
        fixture.body_length = 11;
        auto environment = fixture.build();
        CHECK(environment.at("CONTENT_LENGTH") == "11");
        CHECK(environment.count("CONTENT_TYPE") == 0);
    }
    // Never as HTTP_*.
    fixture.request.content_length = 11;
    fixture.body_length = 11;
    auto environment = fixture.build();
    CHECK(environment.count("HTTP_CONTENT_LENGTH") == 0);
    CHECK(environment.count("HTTP_CONTENT_TYPE") == 0);
}

TEST_CASE("HTTPS and REQUEST_SCHEME", "[cgi_environment]") {
    Fixture fixture;
    CHECK(fixture.build().count("HTTPS") == 0);
    fixture.https = true;
    auto environment = fixture.build();
    CHECK(environment.at("HTTPS") == "on");
    CHECK(environment.at("REQUEST_SCHEME") == "https");
}

TEST_CASE("internal redirects set REDIRECT_*", "[cgi_environment]") {
    Fixture fixture;
    // The redirected request, as the handler builds it: a GET for the Location, no body.
    fixture.request.method = "GET";
    fixture.request.target = "/cgi-bin/env.sh/next?step=2";
    fixture.request.query = "step=2";
    fixture.request.headers.add("Content-Type", "multipart/form-data; boundary=x");
    fixture.redirect = CgiRedirectInfo{200, "/cgi-bin/form.sh", std::string("x=1")};
    auto environment = fixture.build();
    CHECK(environment.at("REDIRECT_STATUS") == "200");
    CHECK(environment.at("REDIRECT_URL") == "/cgi-bin/form.sh");
    CHECK(environment.at("REDIRECT_QUERY_STRING") == "x=1");
    CHECK(environment.at("QUERY_STRING") == "step=2");
    CHECK(environment.at("REQUEST_URI") == "/cgi-bin/env.sh/next?step=2");
    CHECK(environment.count("CONTENT_TYPE") == 0);
    CHECK(environment.count("CONTENT_LENGTH") == 0);

    fixture.redirect = CgiRedirectInfo{404, "/missing", std::nullopt};
    auto second = fixture.build();
    CHECK(second.at("REDIRECT_STATUS") == "404");
    CHECK(second.count("REDIRECT_QUERY_STRING") == 0);
}

TEST_CASE("the HTTP_* name of a header", "[cgi_environment]") {
    CHECK(cgi_header_variable_name("User-Agent", false) == "HTTP_USER_AGENT");
    CHECK(cgi_header_variable_name("x-a1", false) == "HTTP_X_A1");
    CHECK(cgi_header_variable_name("Proxy", true).empty());
    CHECK(cgi_header_variable_name("PROXY", false).empty());
    CHECK(cgi_header_variable_name("Authorization", false).empty());
    CHECK(cgi_header_variable_name("authorization", true) == "HTTP_AUTHORIZATION");
    CHECK(cgi_header_variable_name("Proxy-Authorization", true).empty());
    CHECK(cgi_header_variable_name("Content-Length", false).empty());
    CHECK(cgi_header_variable_name("content-type", false).empty());
    CHECK(cgi_header_variable_name("Transfer-Encoding", false).empty());
    CHECK(cgi_header_variable_name("X_Y", false).empty());
    CHECK(cgi_header_variable_name("", false).empty());
}
