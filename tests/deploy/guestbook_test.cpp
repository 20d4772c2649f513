// The guestbook as a small persistent application under cgikitd: concurrent writers, refused
// posts, and the database it leaves behind.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "deploy_support.hpp"

namespace cgikit::deploy {

namespace {

using Json = nlohmann::json;

constexpr int kConcurrentPosts = 200;
// 200 CGI processes on a loaded 2-core machine (or under ASan): generous, yet bounded.
constexpr auto kConcurrentDeadline = std::chrono::seconds(180);

HttpRequest post(std::string urlencoded) {
    return {"POST",
            "cgi-bin/guestbook",
            {{"Content-Type", "application/x-www-form-urlencoded"}},
            std::move(urlencoded)};
}

Json list(const Site& site) {
    const HttpResponse response = send(site, {"GET", "cgi-bin/guestbook?format=json&limit=1000"});
    REQUIRE(response.status == 200);
    return Json::parse(response.body);
}

// PRAGMA journal_mode of the database file, read with SQLite directly.
std::string journal_mode(const std::string& path) {
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    const std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
    REQUIRE(opened == SQLITE_OK);
    std::string mode;
    sqlite3_exec(
        db.get(), "PRAGMA journal_mode",
        [](void* out, int, char** values, char**) {
            *static_cast<std::string*>(out) = values[0] ? values[0] : "";
            return 0;
        },
        &mode, nullptr);
    return mode;
}

}  // namespace

TEST_CASE("guestbook: 200 concurrent posts store 200 entries") {
    const DatabaseDir database;
    const auto server = start_cgikitd(database.database());
    const Site site{"cgikitd", server->port(), "/"};
    REQUIRE(list(site)["count"] == 0);  // creates the database

    // Every request is sent before any answer is read: 200 guestbook processes at once.
    std::vector<std::unique_ptr<test::RawClient>> clients;
    for (int i = 0; i < kConcurrentPosts; ++i) {
        clients.push_back(std::make_unique<test::RawClient>(site.port));
        clients.back()->send(format_request(
            site, post("name=writer+" + std::to_string(i) + "&message=post+" + std::to_string(i))));
    }
    const auto deadline = std::chrono::steady_clock::now() + kConcurrentDeadline;
    std::map<int, int> statuses;
    for (auto& client : clients) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto response =
            client->read_response(false, std::max(left, std::chrono::milliseconds(1)));
        ++statuses[response ? response->status : 0];
    }
    CHECK(statuses == std::map<int, int>{{303, kConcurrentPosts}});

    const Json stored = list(site);
    CHECK(stored["count"] == kConcurrentPosts);
    std::set<std::string> messages;
    long long previous_id = kConcurrentPosts + 1;
    for (const Json& entry : stored["entries"]) {
        messages.insert(entry["message"].get<std::string>());
        CHECK(entry["id"].get<long long>() < previous_id);  // newest first
        previous_id = entry["id"].get<long long>();
    }
    CHECK(messages.size() == kConcurrentPosts);
    CHECK(messages.contains("post 0"));
    CHECK(messages.contains("post 199"));
    CHECK(journal_mode(database.database()) == "wal");
}

TEST_CASE("guestbook: a malformed post changes nothing") {
    const DatabaseDir database;
    const auto server = start_cgikitd(database.database());
    const Site site{"cgikitd", server->port(), "/"};
    REQUIRE(send(site, post("name=Ann&message=first")).status == 303);
    const Json before = list(site);
    REQUIRE(before["count"] == 1);

    const std::string too_long(2001, 'x');
    const std::vector<std::pair<std::string, HttpRequest>> refused = {
        {"no message", post("name=Eve")},
        {"no name", post("message=hello")},
        {"empty name", post("name=&message=hello")},
        {"a name given twice", post("name=A&name=B&message=hello")},
        {"invalid UTF-8", post("name=Eve&message=%C3%28")},
        {"a message over 2000 bytes", post("name=Eve&message=" + too_long)},
        {"a truncated multipart body",
         {"POST",
          "cgi-bin/guestbook",
          {{"Content-Type", multipart_content_type()}},
          multipart_body({{"name", "Eve", {}, ""}, {"message", "hi", {}, ""}}).substr(0, 120)}},
        {"multipart without a boundary",
         {"POST", "cgi-bin/guestbook", {{"Content-Type", "multipart/form-data"}}, "--x--\r\n"}},
        {"a JSON post without fields",
         {"POST", "cgi-bin/guestbook?format=json", {{"Content-Type", "application/json"}}, "{}"}},
    };
    for (const auto& [what, request] : refused) {
        INFO(what);
        const HttpResponse response = send(site, request);
        CHECK(response.status >= 400);
        CHECK(response.status < 500);
        CHECK(list(site) == before);
    }
}

}  // namespace cgikit::deploy
