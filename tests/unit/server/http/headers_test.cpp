#include "http/headers.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using cgikit::http::Headers;

namespace {

std::vector<std::string> names_of(const Headers& headers) {
    std::vector<std::string> names;
    for (const auto& field : headers)
        names.push_back(field.name);
    return names;
}

}  // namespace

TEST_CASE("Headers keeps order and duplicates, looks up case-insensitively", "[headers]") {
    Headers h;
    h.add("Host", "a");
    h.add("Accept", "x");
    h.add("accept", "y");
    CHECK(h.size() == 3);
    CHECK(names_of(h) == std::vector<std::string>{"Host", "Accept", "accept"});
    CHECK(h.get("ACCEPT") == "x");
    CHECK(h.count("Accept") == 2);
    CHECK(h.joined("accept", ", ") == "x, y");
    CHECK_FALSE(h.get("Missing"));
}

TEST_CASE("Headers::clear forgets every field and the storage is refilled", "[headers]") {
    Headers h;
    h.add("User-Agent", std::string(200, 'u'));
    h.add("Host", "example.org");
    h.clear();
    CHECK(h.empty());
    CHECK(h.begin() == h.end());
    CHECK_FALSE(h.get("Host"));
    CHECK(h.count("User-Agent") == 0);

    h.add("Host", "b");  // reuses the first slot, which held a 200-byte value
    CHECK(h.size() == 1);
    CHECK(h.get("host") == "b");
    CHECK_FALSE(h.get("User-Agent"));
    h.add("X", "1");
    h.add("Y", "2");  // beyond the old storage
    CHECK(names_of(h) == std::vector<std::string>{"Host", "X", "Y"});
    CHECK(h.get("X") == "1");
}

TEST_CASE("Headers::remove and set work on the live fields only", "[headers]") {
    Headers h;
    h.add("A", "1");
    h.add("B", "2");
    h.add("a", "3");
    h.add("C", "4");
    h.remove("a");
    CHECK(names_of(h) == std::vector<std::string>{"B", "C"});
    h.set("b", "5");
    CHECK(names_of(h) == std::vector<std::string>{"C", "b"});
    CHECK(h.get("B") == "5");

    SECTION("set with a value that views a field it replaces") {
        h.set("C", *h.get("C"));
        CHECK(names_of(h) == std::vector<std::string>{"b", "C"});
        CHECK(h.get("C") == "4");
    }
    SECTION("cleared fields do not come back through remove or set") {
        h.clear();
        h.add("D", "6");
        h.remove("C");
        h.set("E", "7");
        CHECK(names_of(h) == std::vector<std::string>{"D", "E"});
    }
}

TEST_CASE("Headers copies hold the live fields and are independent", "[headers]") {
    Headers h;
    h.add("A", "1");
    h.add("B", "2");
    h.add("C", "3");
    h.clear();
    h.add("Z", "9");
    Headers copy = h;
    CHECK(names_of(copy) == std::vector<std::string>{"Z"});
    copy.add("Y", "8");
    CHECK(h.size() == 1);
    Headers assigned;
    assigned.add("Q", "0");
    assigned = copy;
    CHECK(names_of(assigned) == std::vector<std::string>{"Z", "Y"});
    Headers moved = std::move(assigned);
    CHECK(names_of(moved) == std::vector<std::string>{"Z", "Y"});
    CHECK(assigned.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty and usable
    assigned.add("R", "1");
    CHECK(names_of(assigned) == std::vector<std::string>{"R"});
    Headers target;
    target.add("old", "x");
    target = std::move(moved);
    CHECK(names_of(target) == std::vector<std::string>{"Z", "Y"});
    CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
}
