#pragma once
// The document root most integration tests serve: a temporary directory with the two files they
// fetch, plus whatever files one test needs besides.
#include <string>
#include <vector>

#include "test_server.hpp"

namespace cgikit::test {

struct SiteFile {
    std::string path;  // relative to the root
    std::string content;
};

// hello.txt ("hello world\n") and index.html ("<h1>home</h1>\n"), then `extra_files` in order (a
// later file of the same path replaces an earlier one). Removed with the directory.
struct Site {
    explicit Site(const std::vector<SiteFile>& extra_files = {});
    TempDir dir;
};

}  // namespace cgikit::test
