// The example programs and the bundled site, checked over HTTP under cgikitd: every check in
// example_checks.cpp, from the index page to the guestbook.
#include <catch2/catch.hpp>

#include "deploy_support.hpp"
#include "example_checks.hpp"

namespace cgikit::deploy {

TEST_CASE("examples: every example check passes under cgikitd") {
    const DatabaseDir database;
    const auto server = start_cgikitd(database.database());
    run_example_checks({"cgikitd", server->port(), "/"});
}

}  // namespace cgikit::deploy

namespace cgikit::deploy {

// What compare_runs() ignores must be exactly the parts that differ between servers and runs.
TEST_CASE("examples: masking hides times and the site's address, nothing else") {
    CHECK(mask_variable_parts("[Sat Nov  1 06:46:34 2026] hi\n[Sat Nov 21 06:46:34 2026] x") ==
          "[TIME] hi\n[TIME] x");
    CHECK(mask_variable_parts("2026-11-21T06:46:34Z, 2026-11-21 06:46:34 UTC") == "TIME, TIME");
    CHECK(mask_variable_parts("<a href=\"http://127.0.0.1:8080/app/cgi-bin/guestbook\">") ==
          "<a href=\"http://SITE/cgi-bin/guestbook\">");
    CHECK(mask_variable_parts("http://127.0.0.1:80/cgi-bin/x http://127.0.0.1:9/cluster/") ==
          "http://SITE/cgi-bin/x http://SITE/");
    const std::string untouched = "http://127.0.0.1:/x http://127.0.0.2:80/ Sat 12:30 2026-11-21";
    CHECK(mask_variable_parts(untouched) == untouched);
}

}  // namespace cgikit::deploy
