// Uploads through a real CGI process (programs/upload_report.cpp): storage, read-back, saving under
// safe names, limits, and that the temp directory is empty during and after the run, also on error.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cgi_process.hpp"
#include "cgikit/sha256.hpp"
#include "multipart_builder.hpp"

using cgikit::test::CgiOutput;
using cgikit::test::MultipartBuilder;
using cgikit::test::run_cgi;
using cgikit::test::TempDir;
using Json = nlohmann::json;

namespace {

CgiOutput post_upload(const TempDir& temp, const MultipartBuilder& form, std::string body,
                      std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {{"REQUEST_METHOD", "POST"},
                                              {"CONTENT_TYPE", form.content_type()},
                                              {"CONTENT_LENGTH", std::to_string(body.size())},
                                              {"TMPDIR", temp.path()}};
    env.merge(extra);
    return run_cgi(CGIKIT_TEST_PROGRAMS "/upload_report", env, body);
}

std::string bytes(std::size_t size, char seed) {
    std::string out(size, seed);
    for (std::size_t i = 0; i < size; i += 97)
        out[i] = static_cast<char>(i & 0xff);
    return out;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("upload process: small in memory, large in a temp file, nothing left behind",
          "[upload][process]") {
    TempDir temp;
    const std::string small = bytes(1000, 's');
    const std::string large = bytes(2 * 1024 * 1024, 'L');
    MultipartBuilder form;
    form.file("a", "small.txt", "text/plain", small).file("b", "large.bin", "image/png", large);
    const CgiOutput out = post_upload(temp, form, form.finish());
    INFO(out.raw << out.errors);
    REQUIRE(out.status == 200);
    const Json json = Json::parse(out.body);
    CHECK(json["files"][0]["storage"] == "memory");
    CHECK(json["files"][0]["sha256"] == cgikit::sha256_hex(small));
    CHECK(json["files"][1]["storage"] == "file");
    CHECK(json["files"][1]["size"] == large.size());
    CHECK(json["files"][1]["sha256"] == cgikit::sha256_hex(large));
    CHECK(json["temp_entries_during_run"] == 0);
    CHECK(temp.entries().empty());
}

TEST_CASE("upload process: saved under safe names only", "[upload][process]") {
    TempDir temp;
    TempDir save;
    MultipartBuilder form;
    form.file("a", "../../etc/evil.sh", "text/plain", "echo pwned")
        .file("b", "C:\\Users\\me\\photo.jpg", "image/jpeg", bytes(100000, 'p'))
        .file("c", ".htaccess", "text/plain", "Deny from all");
    const CgiOutput out = post_upload(temp, form, form.finish(), {{"SAVE_DIR", save.path()}});
    REQUIRE(out.status == 200);
    const Json json = Json::parse(out.body);
    CHECK(json["files"][0]["safe_filename"] == "evil.sh");
    CHECK(json["files"][1]["safe_filename"] == "photo.jpg");
    CHECK(json["files"][2]["safe_filename"] == "htaccess");
    for (const auto& file : json["files"])
        CHECK(file["saved"] == "ok");
    auto names = save.entries();
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"evil.sh", "htaccess", "photo.jpg"});
    CHECK(slurp(save.path() + "/photo.jpg") == bytes(100000, 'p'));
    CHECK(slurp(save.path() + "/evil.sh") == "echo pwned");
    CHECK(temp.entries().empty());
}

TEST_CASE("upload process: errors leave no temp files", "[upload][process]") {
    TempDir temp;
    SECTION("truncated after a large file") {
        MultipartBuilder form;
        form.file("f", "big.bin", "application/octet-stream", bytes(1024 * 1024, 'x'));
        const CgiOutput out = post_upload(temp, form, form.unfinished());
        CHECK(out.status == 400);
    }
    SECTION("a file over max_file_bytes") {
        MultipartBuilder form;
        form.file("f", "big.bin", "application/octet-stream", bytes(500000, 'x'));
        const CgiOutput out = post_upload(temp, form, form.finish(), {{"TEST_MAX_FILE", "200000"}});
        CHECK(out.status == 413);
    }
    SECTION("a body over max_body_bytes") {
        MultipartBuilder form;
        form.file("f", "big.bin", "application/octet-stream", bytes(500000, 'x'));
        const CgiOutput out = post_upload(temp, form, form.finish(), {{"TEST_MAX_BODY", "400000"}});
        CHECK(out.status == 413);
    }
    SECTION("the temp directory does not exist") {
        MultipartBuilder form;
        form.file("f", "big.bin", "application/octet-stream", bytes(500000, 'x'));
        const std::string body = form.finish();
        const CgiOutput out = run_cgi(CGIKIT_TEST_PROGRAMS "/upload_report",
                                      {{"REQUEST_METHOD", "POST"},
                                       {"CONTENT_TYPE", form.content_type()},
                                       {"CONTENT_LENGTH", std::to_string(body.size())},
                                       {"TMPDIR", temp.path() + "/missing"}},
                                      body);
        CHECK(out.status == 500);
        CHECK(out.errors.find("missing") != std::string::npos);
    }
    CHECK(temp.entries().empty());
}

TEST_CASE("upload process: many files share the spool past the memory budget",
          "[upload][process]") {
    TempDir temp;
    MultipartBuilder form;
    std::vector<std::string> contents;
    for (int i = 0; i < 40; ++i) {
        contents.push_back(bytes(30000, static_cast<char>('a' + i % 26)));
        form.file("f" + std::to_string(i), "f.bin", "application/octet-stream", contents.back());
    }
    const CgiOutput out = post_upload(temp, form, form.finish(), {{"TEST_BUDGET", "200000"}});
    REQUIRE(out.status == 200);
    const Json json = Json::parse(out.body);
    REQUIRE(json["files"].size() == 40);
    int in_memory = 0;
    for (std::size_t i = 0; i < 40; ++i) {
        CHECK(json["files"][i]["sha256"] == cgikit::sha256_hex(contents[i]));
        if (json["files"][i]["storage"] == "memory") ++in_memory;
    }
    CHECK(in_memory == 6);  // 6 x 30000 <= 200000 < 7 x 30000
    CHECK(temp.entries().empty());
}
