#pragma once
// The example checks: one list of requests to the example programs (and the site's static files),
// each with what its answer must be. It runs against cgikitd, then unchanged against Apache
// (mod_cgid, reverse proxy, balancer): every run asserts the expectations, and compare_runs()
// asserts that the other server answered exactly as cgikitd did.
#include <string>
#include <vector>

#include "deploy_support.hpp"

namespace cgikit::deploy {

// How two servers' answers to one check are compared, beyond the status (always equal).
enum class Comparison {
    body,      // the bodies, once what must differ is masked (mask_variable_parts)
    json,      // the JSON bodies member by member, strings masked, "unix_time" left out
    env_rows,  // the rows of env's table that do not depend on the server (not SERVER_SOFTWARE...)
};

struct Answer {
    std::string check;
    Comparison comparison = Comparison::body;
    HttpResponse response;
};

// Runs every check against `site` in order, asserting each expectation with Catch2 CHECKs, and
// returns the answers. The guestbook checks expect the site's database to be empty at the start.
std::vector<Answer> run_example_checks(const Site& site);

// Asserts that `other` answered every check with the status and body `reference` got.
void compare_runs(const std::vector<Answer>& reference, const std::vector<Answer>& other);

// `text` with what legitimately differs between two servers or two runs replaced by fixed marks:
// ctime stamps ("[Thu Nov 21 05:36:00 2026]" -> "[TIME]"), ISO 8601 UTC times ("TIME"), and the
// absolute URLs of a mounted site ("http://127.0.0.1:8080/app/" -> "http://SITE/").
std::string mask_variable_parts(std::string text);

}  // namespace cgikit::deploy
