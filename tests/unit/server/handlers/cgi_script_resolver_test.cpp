#include "handlers/cgi_script_resolver.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

using cgikit::handlers::CgiMapping;
using cgikit::handlers::CgiScriptLookup;
using cgikit::handlers::find_cgi_mapping;
using cgikit::handlers::resolve_by_extension;
using cgikit::handlers::resolve_cgi_script;

namespace {

// A temporary directory tree, removed with everything in it at the end of the test.
class TempTree {
  public:
    TempTree() {
        std::string pattern = (std::filesystem::temp_directory_path() / "cgikit-resolver-XXXXXX");
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        root_ = pattern;
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;
    ~TempTree() {
        std::error_code ignored;
        std::filesystem::remove_all(root_, ignored);
    }

    const std::string& root() const { return root_; }
    std::string path(const std::string& relative) const { return root_ + "/" + relative; }

    void dir(const std::string& relative) const {
        std::filesystem::create_directories(path(relative));
    }
    void file(const std::string& relative, mode_t mode) const {
        std::filesystem::create_directories(std::filesystem::path(path(relative)).parent_path());
        std::ofstream(path(relative)) << "#!/bin/sh\necho secret source\n";
        REQUIRE(::chmod(path(relative).c_str(), mode) == 0);
    }
    void link(const std::string& target, const std::string& relative) const {
        REQUIRE(::symlink(target.c_str(), path(relative).c_str()) == 0);
    }

  private:
    std::string root_;
};

// /cgi-bin/ -> <tree>/cgi with a few scripts.
struct CgiDir {
    TempTree tree;
    CgiMapping mapping;
    CgiDir() {
        tree.file("cgi/env.sh", 0755);
        tree.file("cgi/sub/deeper/nested.sh", 0700);
        tree.file("cgi/nph-raw.sh", 0755);
        tree.file("cgi/source.sh", 0644);
        tree.dir("cgi/empty");
        tree.file("outside/secret.sh", 0755);
        mapping = {"/cgi-bin/", tree.path("cgi")};
    }
    CgiScriptLookup resolve(std::string_view path) const {
        return resolve_cgi_script(mapping, path);
    }
};

}  // namespace

TEST_CASE("a script at the top of the CGI directory", "[cgi_script_resolver]") {
    CgiDir cgi;
    auto lookup = cgi.resolve("/cgi-bin/env.sh");
    REQUIRE(lookup.found());
    CHECK(lookup.status == 200);
    CHECK(lookup.script.filename == cgi.tree.path("cgi/env.sh"));
    CHECK(lookup.script.script_name == "/cgi-bin/env.sh");
    CHECK(lookup.script.path_info.empty());
    CHECK(lookup.script.directory == cgi.tree.path("cgi"));
    CHECK_FALSE(lookup.script.nph);
    CHECK(lookup.script.context_prefix == "/cgi-bin/");
    CHECK(lookup.script.context_document_root == cgi.tree.path("cgi") + "/");
}

TEST_CASE("nested directories and PATH_INFO", "[cgi_script_resolver]") {
    CgiDir cgi;
    auto lookup = cgi.resolve("/cgi-bin/sub/deeper/nested.sh/extra/path");
    REQUIRE(lookup.found());
    CHECK(lookup.script.filename == cgi.tree.path("cgi/sub/deeper/nested.sh"));
    CHECK(lookup.script.script_name == "/cgi-bin/sub/deeper/nested.sh");
    CHECK(lookup.script.path_info == "/extra/path");
    CHECK(lookup.script.directory == cgi.tree.path("cgi/sub/deeper"));

    auto slash = cgi.resolve("/cgi-bin/env.sh/");
    REQUIRE(slash.found());
    CHECK(slash.script.path_info == "/");

    // PATH_INFO is whatever follows, even names that exist in the directory.
    auto existing = cgi.resolve("/cgi-bin/env.sh/env.sh");
    REQUIRE(existing.found());
    CHECK(existing.script.script_name == "/cgi-bin/env.sh");
    CHECK(existing.script.path_info == "/env.sh");
}

TEST_CASE("nph- scripts are flagged", "[cgi_script_resolver]") {
    CgiDir cgi;
    auto lookup = cgi.resolve("/cgi-bin/nph-raw.sh/x");
    REQUIRE(lookup.found());
    CHECK(lookup.script.nph);
    // Only the script's own name counts, not a directory's or PATH_INFO's.
    cgi.tree.file("cgi/nph-dir/plain.sh", 0755);
    auto in_dir = cgi.resolve("/cgi-bin/nph-dir/plain.sh/nph-x");
    REQUIRE(in_dir.found());
    CHECK_FALSE(in_dir.script.nph);
}

TEST_CASE("a file the server cannot execute is 403, never its source", "[cgi_script_resolver]") {
    CgiDir cgi;
    CHECK(cgi.resolve("/cgi-bin/source.sh").status == 403);
    CHECK(cgi.resolve("/cgi-bin/source.sh/more").status == 403);
}

TEST_CASE("missing scripts are 404", "[cgi_script_resolver]") {
    CgiDir cgi;
    CHECK(cgi.resolve("/cgi-bin/nope.sh").status == 404);
    CHECK(cgi.resolve("/cgi-bin/nodir/env.sh").status == 404);
    CHECK(cgi.resolve("/cgi-bin/sub/nope/x").status == 404);
    // Not under the mapping at all.
    CHECK(cgi.resolve("/other/env.sh").status == 404);
    CHECK(cgi.resolve("/cgi-bin").status == 404);
}

TEST_CASE("a path ending on a directory is 403", "[cgi_script_resolver]") {
    CgiDir cgi;
    CHECK(cgi.resolve("/cgi-bin/").status == 403);
    CHECK(cgi.resolve("/cgi-bin/empty").status == 403);
    CHECK(cgi.resolve("/cgi-bin/empty/").status == 403);
    CHECK(cgi.resolve("/cgi-bin/sub/deeper/").status == 403);
}

TEST_CASE("symlinks inside the CGI directory are followed", "[cgi_script_resolver]") {
    CgiDir cgi;
    cgi.tree.link("env.sh", "cgi/nph-env.sh");
    cgi.tree.link(cgi.tree.path("cgi/sub"), "cgi/alias");
    auto script = cgi.resolve("/cgi-bin/nph-env.sh/p");
    REQUIRE(script.found());
    CHECK(script.script.filename == cgi.tree.path("cgi/nph-env.sh"));
    CHECK(script.script.nph);
    CHECK(script.script.path_info == "/p");

    auto through_dir = cgi.resolve("/cgi-bin/alias/deeper/nested.sh");
    REQUIRE(through_dir.found());
    CHECK(through_dir.script.filename == cgi.tree.path("cgi/alias/deeper/nested.sh"));
    CHECK(through_dir.script.directory == cgi.tree.path("cgi/alias/deeper"));
}

TEST_CASE("symlinks leaving the CGI directory are refused", "[cgi_script_resolver]") {
    CgiDir cgi;
    cgi.tree.link(cgi.tree.path("outside/secret.sh"), "cgi/absolute.sh");
    cgi.tree.link("../outside/secret.sh", "cgi/relative.sh");
    cgi.tree.link("../outside", "cgi/outdir");
    cgi.tree.link("/", "cgi/rootdir");
    CHECK(cgi.resolve("/cgi-bin/absolute.sh").status == 403);
    CHECK(cgi.resolve("/cgi-bin/relative.sh/x").status == 403);
    CHECK(cgi.resolve("/cgi-bin/outdir/secret.sh").status == 403);
    CHECK(cgi.resolve("/cgi-bin/rootdir/bin/sh").status == 403);
}

TEST_CASE("dangling symlinks are 404, special files 403", "[cgi_script_resolver]") {
    CgiDir cgi;
    cgi.tree.link("gone.sh", "cgi/dangling.sh");
    CHECK(cgi.resolve("/cgi-bin/dangling.sh").status == 404);
    REQUIRE(::mkfifo(cgi.tree.path("cgi/fifo").c_str(), 0755) == 0);
    CHECK(cgi.resolve("/cgi-bin/fifo").status == 403);
}

TEST_CASE("dot segments and NUL are refused even if the caller forgot to normalise",
          "[cgi_script_resolver]") {
    CgiDir cgi;
    CHECK(cgi.resolve("/cgi-bin/../outside/secret.sh").status == 404);
    CHECK(cgi.resolve("/cgi-bin/sub/../env.sh").status == 404);
    CHECK(cgi.resolve("/cgi-bin/./env.sh").status == 404);
    CHECK(cgi.resolve(std::string_view("/cgi-bin/env.sh\0x", 17)).status == 404);
}

TEST_CASE("empty segments are skipped", "[cgi_script_resolver]") {
    CgiDir cgi;
    auto lookup = cgi.resolve("/cgi-bin//sub//deeper/nested.sh");
    REQUIRE(lookup.found());
    CHECK(lookup.script.filename == cgi.tree.path("cgi/sub/deeper/nested.sh"));
}

TEST_CASE("a mapping whose directory is a symlink works", "[cgi_script_resolver]") {
    CgiDir cgi;
    cgi.tree.link(cgi.tree.path("cgi"), "cgi-link");
    CgiMapping linked{"/cgi-bin/", cgi.tree.path("cgi-link")};
    auto lookup = resolve_cgi_script(linked, "/cgi-bin/env.sh");
    REQUIRE(lookup.found());
    CHECK(lookup.script.filename == cgi.tree.path("cgi-link/env.sh"));
    cgi.tree.link("env.sh", "cgi/inner.sh");
    CHECK(resolve_cgi_script(linked, "/cgi-bin/inner.sh").found());
}

TEST_CASE("a mapping to a missing directory is 404", "[cgi_script_resolver]") {
    CgiMapping mapping{"/cgi-bin/", "/nonexistent/cgikit/dir"};
    CHECK(resolve_cgi_script(mapping, "/cgi-bin/x").status == 404);
}

TEST_CASE("the longest matching prefix wins", "[cgi_script_resolver]") {
    std::vector<CgiMapping> mappings = {
        {"/cgi-bin/", "/a"}, {"/cgi-bin/admin/", "/b"}, {"/scripts/", "/c"}};
    REQUIRE(find_cgi_mapping(mappings, "/cgi-bin/admin/x") != nullptr);
    CHECK(find_cgi_mapping(mappings, "/cgi-bin/admin/x")->directory == "/b");
    CHECK(find_cgi_mapping(mappings, "/cgi-bin/x")->directory == "/a");
    CHECK(find_cgi_mapping(mappings, "/scripts/")->directory == "/c");
    CHECK(find_cgi_mapping(mappings, "/cgi-bin") == nullptr);
    CHECK(find_cgi_mapping(mappings, "/other") == nullptr);
    CHECK(find_cgi_mapping({}, "/cgi-bin/x") == nullptr);
}

TEST_CASE("extension mapping finds scripts anywhere under the docroot", "[cgi_script_resolver]") {
    TempTree tree;
    tree.file("www/app/run.cgi", 0755);
    tree.file("www/tool.py", 0755);
    tree.file("www/page.html", 0644);
    tree.file("www/plain.cgi", 0644);
    tree.dir("www/dir.cgi");
    tree.file("www/dir.cgi/inside.txt", 0644);
    tree.file("outside/evil.cgi", 0755);
    tree.link(tree.path("outside/evil.cgi"), "www/escape.cgi");
    tree.link(tree.path("outside/evil.cgi"), "www/escape.txt");
    const std::string docroot = tree.path("www");
    const std::vector<std::string> extensions = {".cgi", ".py"};

    auto run = resolve_by_extension(docroot, "/app/run.cgi/x/y", extensions);
    REQUIRE(run.has_value());
    REQUIRE(run->found());
    CHECK(run->script.filename == tree.path("www/app/run.cgi"));
    CHECK(run->script.script_name == "/app/run.cgi");
    CHECK(run->script.path_info == "/x/y");
    CHECK(run->script.directory == tree.path("www/app"));
    CHECK(run->script.context_prefix.empty());
    CHECK(run->script.context_document_root == docroot);

    auto python = resolve_by_extension(docroot, "/tool.py", extensions);
    REQUIRE(python.has_value());
    CHECK(python->found());

    SECTION("off when the list is empty") {
        CHECK_FALSE(resolve_by_extension(docroot, "/app/run.cgi", {}).has_value());
    }
    SECTION("a non-executable script is 403, never served as a file") {
        auto plain = resolve_by_extension(docroot, "/plain.cgi", extensions);
        REQUIRE(plain.has_value());
        CHECK(plain->status == 403);
    }
    SECTION("other files, directories and missing paths are not CGI requests") {
        CHECK_FALSE(resolve_by_extension(docroot, "/page.html", extensions).has_value());
        CHECK_FALSE(resolve_by_extension(docroot, "/page.html/x.cgi", extensions).has_value());
        CHECK_FALSE(resolve_by_extension(docroot, "/dir.cgi/", extensions).has_value());
        CHECK_FALSE(resolve_by_extension(docroot, "/dir.cgi/inside.txt", extensions).has_value());
        CHECK_FALSE(resolve_by_extension(docroot, "/missing.cgi", extensions).has_value());
        CHECK_FALSE(resolve_by_extension(docroot, "/", extensions).has_value());
        CHECK_FALSE(resolve_by_extension(docroot, "/run.CGI", extensions).has_value());
    }
    SECTION("a script symlink leaving the docroot is 403") {
        auto escape = resolve_by_extension(docroot, "/escape.cgi", extensions);
        REQUIRE(escape.has_value());
        CHECK(escape->status == 403);
        // Not a CGI name: the static handler applies its own rule.
        CHECK_FALSE(resolve_by_extension(docroot, "/escape.txt", extensions).has_value());
    }
}
