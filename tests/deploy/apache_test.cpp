// The deployment snippets in conf/apache/, proven against a real Apache 2.4 started by hand: the
// same example checks as under cgikitd, with identical statuses and bodies, (1) with the programs
// run by Apache itself (cgi-bin.conf, mod_cgid), (2) through the reverse proxy in front of cgikitd
// (proxy.conf), (3) through the balancer in front of two cgikitd instances (balancer.conf), both of
// which must serve.
#include <catch2/catch.hpp>
#include <string_view>

#include "deploy_support.hpp"
#include "example_checks.hpp"

namespace cgikit::deploy {

namespace {

// What cgikitd answers, from a fresh server and an empty guestbook: the reference.
std::vector<Answer> cgikitd_answers() {
    const DatabaseDir database;
    const auto server = start_cgikitd(database.database());
    return run_example_checks({"cgikitd", server->port(), "/"});
}

std::string snippet(const std::string& name) {
    return "Include \"" + source_dir() + "/conf/apache/" + name + "\"\n";
}

std::string backend(const TestServer& server) {
    return "http://127.0.0.1:" + std::to_string(server.port());
}

// Requests to the example programs in a cgikitd access log (Combined Log Format lines).
std::size_t cgi_requests_logged(TestServer& server) {
    const std::string log = server.stdout_text();
    std::size_t count = 0;
    for (const std::string_view request_line : {"\"GET /cgi-bin/", "\"POST /cgi-bin/"}) {
        for (auto at = log.find(request_line); at != std::string::npos;
             at = log.find(request_line, at + 1)) {
            ++count;
        }
    }
    return count;
}

}  // namespace

TEST_CASE("apache: cgi-bin.conf runs the examples exactly as cgikitd does") {
    const auto reference = cgikitd_answers();
    const DatabaseDir database;
    Apache apache("Define CGIKIT_CGI_BIN \"" + examples_dir() + "\"\n" + "Define CGIKIT_WWW \"" +
                  source_dir() + "/www\"\n" + "Define CGIKIT_GUESTBOOK_DB \"" +
                  database.database() + "\"\n" + snippet("cgi-bin.conf"));
    const auto answers = run_example_checks({"apache mod_cgid", apache.port(), "/cgikit/"});
    compare_runs(reference, answers);
    const bool stopped = apache.stop();
    INFO("Apache's error log:\n" << apache.error_log());
    CHECK(stopped);
}

TEST_CASE("apache: proxy.conf passes the examples through from cgikitd unchanged") {
    const auto reference = cgikitd_answers();
    const DatabaseDir database;
    const auto server = start_cgikitd(database.database());
    Apache apache("Define CGIKIT_BACKEND " + backend(*server) + "\n" + snippet("proxy.conf"));
    const auto answers = run_example_checks({"apache reverse proxy", apache.port(), "/app/"});
    compare_runs(reference, answers);
    CHECK(cgi_requests_logged(*server) > 0);
    const bool stopped = apache.stop();
    INFO("Apache's error log:\n" << apache.error_log());
    CHECK(stopped);
}

TEST_CASE("apache: balancer.conf spreads the examples over two cgikitd instances") {
    const auto reference = cgikitd_answers();
    // One guestbook for both instances, as on one machine: entries posted through either one
    // are listed by both.
    const DatabaseDir database;
    const auto first = start_cgikitd(database.database());
    const auto second = start_cgikitd(database.database());
    Apache apache("Define CGIKIT_BACKEND_1 " + backend(*first) + "\n" + "Define CGIKIT_BACKEND_2 " +
                  backend(*second) + "\n" + snippet("balancer.conf"));
    const auto answers = run_example_checks({"apache balancer", apache.port(), "/cluster/"});
    compare_runs(reference, answers);
    // byrequests takes turns: over some thirty requests, each instance served its share.
    const std::size_t served_first = cgi_requests_logged(*first);
    const std::size_t served_second = cgi_requests_logged(*second);
    INFO("requests served: " << served_first << " and " << served_second);
    CHECK(served_first >= 5);
    CHECK(served_second >= 5);
    const bool stopped = apache.stop();
    INFO("Apache's error log:\n" << apache.error_log());
    CHECK(stopped);
}

}  // namespace cgikit::deploy
