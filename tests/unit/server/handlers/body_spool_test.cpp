#include "handlers/body_spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using cgikit::handlers::BodySpool;
using cgikit::handlers::open_anonymous_file;
using cgikit::handlers::spool_error_status;
using cgikit::handlers::SpoolErrc;
using cgikit::net::unique_fd;

namespace {

// A fresh directory for spool files; removed (it must be empty by then) at the end.
class TempDirectory {
  public:
    TempDirectory() {
        char name[] = "/tmp/cgikit-spool-test-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path_ = name;
    }
    ~TempDirectory() { ::rmdir(path_.c_str()); }
    const std::string& path() const { return path_; }

    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        DIR* dir = ::opendir(path_.c_str());
        REQUIRE(dir != nullptr);
        while (const dirent* entry = ::readdir(dir)) {
            const std::string name = entry->d_name;
            if (name != "." && name != "..") names.push_back(name);
        }
        ::closedir(dir);
        return names;
    }

  private:
    std::string path_;
};

std::string read_from(int fd) {
    std::string all;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        REQUIRE(n >= 0);
        if (n == 0) return all;
        all.append(buffer, static_cast<std::size_t>(n));
    }
}

std::string pattern(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    return bytes;
}

std::string link_target(int fd) {
    char target[256] = {};
    const ssize_t n =
        ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
    REQUIRE(n > 0);
    return std::string(target, static_cast<std::size_t>(n));
}

void check_child_stdin(const BodySpool::FinishResult& result, const std::string& expected) {
    REQUIRE_FALSE(result.error);
    REQUIRE(result.fd);
    CHECK(result.length == expected.size());
    CHECK(::lseek(result.fd.get(), 0, SEEK_CUR) == 0);
    CHECK((::fcntl(result.fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(result.fd.get(), F_GETFL) & O_ACCMODE) == O_RDONLY);
    struct stat st {};
    REQUIRE(::fstat(result.fd.get(), &st) == 0);
    if (!expected.empty()) CHECK(S_ISREG(st.st_mode));
    CHECK(read_from(result.fd.get()) == expected);
}

}  // namespace

TEST_CASE("an empty body is /dev/null", "[body_spool]") {
    CHECK(BodySpool(16, "/tmp", 100).describe_error().empty());  // no error, nothing to say
    TempDirectory directory;
    BodySpool spool(1024, directory.path(), 1 << 20);
    CHECK_FALSE(spool.append(""));
    BodySpool::FinishResult result = spool.finish();
    check_child_stdin(result, "");
    CHECK(link_target(result.fd.get()) == "/dev/null");
}

TEST_CASE("a body up to the threshold stays in memory and becomes a memfd", "[body_spool]") {
    TempDirectory directory;
    BodySpool spool(1024, directory.path(), 1 << 20);
    const std::string body = pattern(1024);  // exactly the threshold
    REQUIRE_FALSE(spool.append(body.substr(0, 100)));
    REQUIRE_FALSE(spool.append(body.substr(100)));
    CHECK(spool.size() == 1024);
    CHECK(directory.entries().empty());
    BodySpool::FinishResult result = spool.finish();
    CHECK(link_target(result.fd.get()).rfind("/memfd:cgikit-body", 0) == 0);
    check_child_stdin(result, body);
}

TEST_CASE("past the threshold the body moves to an unlinked 0600 file", "[body_spool]") {
    TempDirectory directory;
    const std::string body = pattern(300'000);
    BodySpool spool(1024, directory.path(), 1 << 20);
    REQUIRE_FALSE(spool.append(body.substr(0, 1000)));
    REQUIRE_FALSE(spool.append(body.substr(1000, 25)));  // crosses 1024
    REQUIRE_FALSE(spool.append(body.substr(1025)));
    CHECK(spool.size() == body.size());
    CHECK(directory.entries().empty());  // no name, ever
    BodySpool::FinishResult result = spool.finish();
    struct stat st {};
    REQUIRE(::fstat(result.fd.get(), &st) == 0);
    CHECK(st.st_nlink == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(link_target(result.fd.get()).rfind(directory.path(), 0) == 0);
    check_child_stdin(result, body);
}

TEST_CASE("the bytes are exact whatever the append sizes", "[body_spool]") {
    const std::string body = pattern(5000);
    const std::size_t threshold =
        GENERATE(std::size_t{0}, std::size_t{1}, std::size_t{999}, std::size_t{4999},
                 std::size_t{5000}, std::size_t{1} << 20);
    const std::size_t piece =
        GENERATE(std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{5000});
    TempDirectory directory;
    BodySpool spool(threshold, directory.path(), body.size());
    for (std::size_t at = 0; at < body.size(); at += piece) {
        REQUIRE_FALSE(spool.append(std::string_view(body).substr(at, piece)));
    }
    CHECK(directory.entries().empty());
    check_child_stdin(spool.finish(), body);
}

TEST_CASE("over max_bytes is 413 and the spool stays failed", "[body_spool]") {
    TempDirectory directory;
    BodySpool spool(16, directory.path(), 100);
    REQUIRE_FALSE(spool.append(pattern(60)));
    REQUIRE_FALSE(spool.append(pattern(40)));  // exactly the maximum is fine
    const std::error_code error = spool.append("x");
    CHECK(error == SpoolErrc::body_too_large);
    CHECK(spool_error_status(error) == 413);
    CHECK(spool.append("") == SpoolErrc::body_too_large);
    BodySpool::FinishResult result = spool.finish();
    CHECK(result.error == SpoolErrc::body_too_large);
    CHECK_FALSE(result.fd);
    CHECK(spool.describe_error() == "request body over the configured limit");
    CHECK(spool.finish().error == SpoolErrc::finished);
    CHECK(spool.append("y") == SpoolErrc::finished);
    CHECK(spool_error_status(SpoolErrc::finished) == 500);
}

TEST_CASE("I/O errors keep their errno for the log line", "[body_spool]") {
    SECTION("missing spool directory") {
        BodySpool spool(4, "/nonexistent/cgikit/spool", 1 << 20);
        CHECK_FALSE(spool.append("1234"));  // still in memory
        const std::error_code error = spool.append("5");
        CHECK(error == std::errc::no_such_file_or_directory);
        CHECK(spool_error_status(error) == 500);
        CHECK(spool.error() == std::errc::no_such_file_or_directory);
        CHECK(spool.describe_error() ==
              "spooling the request body in /nonexistent/cgikit/spool: No such file or directory");
        CHECK(spool.finish().error == std::errc::no_such_file_or_directory);
    }
    SECTION("a write that fails (file size limit, standing in for ENOSPC)") {
        struct sigaction ignore {
        }, previous_action{};
        ignore.sa_handler = SIG_IGN;
        REQUIRE(::sigaction(SIGXFSZ, &ignore, &previous_action) == 0);
        rlimit previous_limit{};
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &previous_limit) == 0);
        rlimit small = previous_limit;
        small.rlim_cur = 4096;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);

        TempDirectory directory;
        BodySpool spool(16, directory.path(), 1 << 20);
        const std::error_code error = spool.append(pattern(10'000));
        ::setrlimit(RLIMIT_FSIZE, &previous_limit);
        ::sigaction(SIGXFSZ, &previous_action, nullptr);

        CHECK(error == std::errc::file_too_large);
        CHECK(spool_error_status(error) == 500);
        CHECK(spool.append("x") == std::errc::file_too_large);
        CHECK(spool.describe_error() ==
              "spooling the request body in " + directory.path() + ": File too large");
        CHECK(directory.entries().empty());
    }
    CHECK(spool_error_status(std::make_error_code(std::errc::no_space_on_device)) == 507);
    CHECK(spool_error_status(std::error_code(EDQUOT, std::generic_category())) == 507);
}

TEST_CASE("open_anonymous_file: both ways leave no name behind", "[body_spool]") {
    TempDirectory directory;
    const bool allow_o_tmpfile = GENERATE(true, false);
    std::error_code error;
    unique_fd fd = open_anonymous_file(directory.path(), error, allow_o_tmpfile);
    REQUIRE_FALSE(error);
    REQUIRE(fd);
    CHECK(directory.entries().empty());
    struct stat st {};
    REQUIRE(::fstat(fd.get(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_nlink == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(::write(fd.get(), "abc", 3) == 3);
}
