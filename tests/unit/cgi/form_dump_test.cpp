// cgi-bin/form_dump run as a real CGI process: its output is a fixed contract other tools rely on.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cgi_process.hpp"
#include "cgikit/sha256.hpp"
#include "multipart_builder.hpp"

using cgikit::test::CgiOutput;
using cgikit::test::MultipartBuilder;
using cgikit::test::run_cgi;
using Json = nlohmann::json;

namespace {

const std::string kFormDump = CGIKIT_EXAMPLE_PROGRAMS "/form_dump";

std::map<std::string, std::string> base_env(std::string method, std::string query = "") {
    return {{"GATEWAY_INTERFACE", "CGI/1.1"},   {"REQUEST_METHOD", std::move(method)},
            {"QUERY_STRING", std::move(query)}, {"SCRIPT_NAME", "/cgi-bin/form_dump"},
            {"SERVER_PROTOCOL", "HTTP/1.1"},    {"PATH", "/usr/bin:/bin"}};
}

CgiOutput post(std::map<std::string, std::string> env, const std::string& content_type,
               const std::string& body) {
    env["CONTENT_TYPE"] = content_type;
    env["CONTENT_LENGTH"] = std::to_string(body.size());
    return run_cgi(kFormDump, env, body);
}

// A well-formed CGI response with a JSON body whose Content-Length is right.
Json json_of(const CgiOutput& out) {
    INFO(out.raw.substr(0, 500) << "\nstderr: " << out.errors);
    REQUIRE(out.well_formed);
    REQUIRE(out.header("Content-Type") == "application/json");
    REQUIRE(out.header("Content-Length") == std::to_string(out.body.size()));
    return Json::parse(out.body);
}

std::string random_bytes(std::size_t size, unsigned seed) {
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761u + 1;
    for (auto& c : out) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        c = static_cast<char>(state & 0xff);
    }
    return out;
}

}  // namespace

TEST_CASE("form_dump: GET with a query string", "[form_dump]") {
    const CgiOutput out = run_cgi(kFormDump, base_env("GET", "b=2&a=1&b=&flag&x=%41%zz+y"));
    REQUIRE(out.exit_code == 0);
    CHECK(out.status == 200);
    const Json json = json_of(out);
    CHECK(json ==
          Json::parse(R"({"method": "GET", "query": [["b","2"],["a","1"],["b",""],["flag",""],
        ["x","A%zz y"]], "form": [], "files": [], "cookies": [], "json": null})"));
    // Keys in the contract's order.
    CHECK(out.body.starts_with(
        R"({"method":"GET","query":[["b","2"],["a","1"],["b",""],["flag",""],["x","A%zz y"]],"form":[],"files":[],"cookies":[],"json":null})"));
}

TEST_CASE("form_dump: urlencoded POST with cookies", "[form_dump]") {
    auto env = base_env("POST", "q=1");
    env["HTTP_COOKIE"] = "session=abc; broken; theme=\"dark\"; session=second";
    const CgiOutput out = post(env, "application/x-www-form-urlencoded",
                               "name=J%C3%B6rg&comment=a+b%26c&empty=&name=again");
    const Json json = json_of(out);
    CHECK(json["method"] == "POST");
    CHECK(json["query"] == Json::parse(R"([["q","1"]])"));
    CHECK(json["form"] == Json::parse(R"([["name","Jörg"],["comment","a b&c"],["empty",""],
        ["name","again"]])"));
    CHECK(json["cookies"] ==
          Json::parse(R"([["session","abc"],["theme","dark"],["session","second"]])"));
    CHECK(json["json"].is_null());
}

TEST_CASE("form_dump: multipart with fields and files, in request order", "[form_dump]") {
    const std::string big = random_bytes(1024 * 1024 + 17, 1);  // many 64 KiB reads
    const std::string small = "hello, file\n";
    MultipartBuilder form;
    form.field("title", "Report")
        .file("attachment", "report.pdf", "application/pdf", big)
        .field("tags", "a,b")
        .file("notes", "n\xc3\xb6tes.txt", "text/plain", small)
        .file("nothing", "", "application/octet-stream", "");
    const CgiOutput out = post(base_env("POST"), form.content_type(), form.finish());
    REQUIRE(out.exit_code == 0);
    const Json json = json_of(out);
    CHECK(json["form"] == Json::parse(R"([["title","Report"],["tags","a,b"]])"));
    REQUIRE(json["files"].size() == 3);
    CHECK(json["files"][0] == Json{{"field", "attachment"},
                                   {"filename", "report.pdf"},
                                   {"content_type", "application/pdf"},
                                   {"size", big.size()},
                                   {"sha256", cgikit::sha256_hex(big)}});
    CHECK(json["files"][1]["filename"] == "n\xc3\xb6tes.txt");
    CHECK(json["files"][1]["size"] == small.size());
    CHECK(json["files"][1]["sha256"] == cgikit::sha256_hex(small));
    CHECK(json["files"][2]["filename"] == "");
    CHECK(json["files"][2]["size"] == 0);
    CHECK(json["files"][2]["sha256"] == cgikit::sha256_hex(""));
}

TEST_CASE("form_dump: JSON body", "[form_dump]") {
    const CgiOutput out = post(base_env("PUT"), "application/json; charset=utf-8",
                               R"({"a":[1,2.5,"x"],"b":{"c":null}})");
    const Json json = json_of(out);
    CHECK(json["method"] == "PUT");
    CHECK(json["json"] == Json::parse(R"({"a":[1,2.5,"x"],"b":{"c":null}})"));
}

TEST_CASE("form_dump: invalid UTF-8 is replaced, never breaks the JSON", "[form_dump]") {
    auto env = base_env("GET", "k%FF=v%C3%28&ok=caf%C3%A9");
    env["HTTP_COOKIE"] = "c=\xfe";
    const CgiOutput out = run_cgi(kFormDump, env);
    const Json json = json_of(out);
    CHECK(json["query"] ==
          Json::parse("[[\"k\xef\xbf\xbd\",\"v\xef\xbf\xbd(\"],[\"ok\",\"caf\xc3\xa9\"]]"));
    CHECK(json["cookies"][0][1] == "\xef\xbf\xbd");
}

TEST_CASE("form_dump: malformed input is a 400 with an error message", "[form_dump]") {
    SECTION("multipart without its close delimiter") {
        MultipartBuilder form;
        form.field("a", "1").file("f", "x.bin", "application/octet-stream",
                                  random_bytes(200000, 2));
        const CgiOutput out = post(base_env("POST"), form.content_type(), form.unfinished());
        CHECK(out.status == 400);
        const Json json = json_of(out);
        CHECK(json["error"].is_string());
        CHECK(json.size() == 1);
        CHECK(out.exit_code == 0);
        CHECK(out.errors.find("400") != std::string::npos);  // and a line for the error log
    }
    SECTION("multipart without a boundary") {
        const CgiOutput out = post(base_env("POST"), "multipart/form-data", "--x\r\n");
        CHECK(out.status == 400);
        CHECK(json_of(out).contains("error"));
    }
    SECTION("broken JSON") {
        const CgiOutput out = post(base_env("POST"), "application/json", "{\"a\": tru}");
        CHECK(out.status == 400);
        CHECK(json_of(out).contains("error"));
    }
    SECTION("a body shorter than CONTENT_LENGTH") {
        auto env = base_env("POST");
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded";
        env["CONTENT_LENGTH"] = "100";
        const CgiOutput out = run_cgi(kFormDump, env, "a=1");
        CHECK(out.status == 400);
        CHECK(json_of(out).contains("error"));
    }
}

TEST_CASE("form_dump: over-limit input is a 413 without reading the body", "[form_dump]") {
    auto env = base_env("POST");
    env["CONTENT_TYPE"] = "application/octet-stream";
    env["CONTENT_LENGTH"] = std::to_string((std::uint64_t{64} << 20) + 1);
    const CgiOutput out = run_cgi(kFormDump, env, "only a few bytes");
    CHECK(out.status == 413);
    const Json json = json_of(out);
    CHECK(json["error"].get<std::string>().find("max_body_bytes") != std::string::npos);

    SECTION("too many fields") {
        std::string body;
        for (int i = 0; i < 1001; ++i)
            body += "f=1&";
        const CgiOutput many = post(base_env("POST"), "application/x-www-form-urlencoded", body);
        CHECK(many.status == 413);
        CHECK(json_of(many).contains("error"));
    }
}

TEST_CASE("form_dump: HEAD gets the head only", "[form_dump]") {
    const CgiOutput out = run_cgi(kFormDump, base_env("HEAD", "a=1"));
    CHECK(out.well_formed);
    CHECK(out.status == 200);
    CHECK(out.body.empty());
    REQUIRE(out.header("Content-Length"));
    CHECK(out.header("Content-Length") != "0");
}
