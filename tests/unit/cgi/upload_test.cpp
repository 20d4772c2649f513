// Upload storage: memory up to the threshold, then anonymous temp files; the memory budget and the
// shared spool; reading back, saving, and safe file names.
#include "cgikit/upload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <istream>
#include <iterator>
#include <set>

#include "cgi_process.hpp"

using cgikit::PartHeaders;
using cgikit::Upload;
using cgikit::UploadOptions;
using cgikit::UploadStore;

namespace {

PartHeaders file_part(std::string name, std::string filename = "f.bin") {
    PartHeaders headers;
    headers.name = std::move(name);
    headers.filename = std::move(filename);
    headers.content_type = "application/octet-stream";
    headers.raw = {{"Content-Disposition", "form-data"}};
    return headers;
}

std::string pattern(std::size_t size, int seed = 1) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>((i * 131 + seed * 7) & 0xff);
    return out;
}

// Feeds `content` in pieces of `piece` bytes as one upload.
void store_upload(UploadStore& store, const PartHeaders& part, const std::string& content,
                  std::size_t piece = 1000) {
    REQUIRE_FALSE(store.begin(part));
    for (std::size_t i = 0; i < content.size(); i += piece) {
        REQUIRE_FALSE(store.append(std::string_view(content).substr(i, piece)));
    }
    REQUIRE_FALSE(store.end());
}

std::string read_back(const Upload& upload) {
    std::string out;
    REQUIRE_FALSE(upload.read_all(out, upload.size()));
    return out;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

UploadOptions in(const cgikit::test::TempDir& dir, std::size_t threshold) {
    UploadOptions options;
    options.temp_directory = dir.path();
    options.memory_threshold_bytes = threshold;
    return options;
}

}  // namespace

TEST_CASE("upload: at most the threshold stays in memory, one byte more goes to a file",
          "[upload]") {
    cgikit::test::TempDir dir;
    UploadStore store(in(dir, 100));
    store_upload(store, file_part("small"), pattern(100), 7);
    store_upload(store, file_part("large"), pattern(101, 2), 7);
    const auto& uploads = store.uploads();
    REQUIRE(uploads.size() == 2);
    CHECK(uploads[0].storage() == Upload::Storage::memory);
    CHECK(uploads[0].memory_data() == pattern(100));
    CHECK_FALSE(uploads[0].file_range());
    CHECK(uploads[1].storage() == Upload::Storage::file);
    CHECK(uploads[1].memory_data().empty());
    REQUIRE(uploads[1].file_range());
    CHECK(uploads[1].file_range()->offset == 0);
    CHECK(uploads[1].file_range()->size == 101);
    CHECK(read_back(uploads[1]) == pattern(101, 2));
    CHECK(uploads[1].field_name() == "large");
    CHECK(uploads[1].filename() == "f.bin");
    CHECK(uploads[1].content_type() == "application/octet-stream");
    CHECK(uploads[1].part_headers().size() == 1);
}

TEST_CASE("upload: temp files are 0600, close-on-exec, and never visible", "[upload]") {
    cgikit::test::TempDir dir;
    UploadStore store(in(dir, 10));
    store_upload(store, file_part("f"), pattern(5000));
    const auto range = store.uploads()[0].file_range();
    REQUIRE(range);
    struct stat info {};
    REQUIRE(::fstat(range->fd, &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    CHECK(info.st_nlink == 0);  // no name anywhere
    CHECK((::fcntl(range->fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(dir.entries().empty());
}

TEST_CASE("upload: descriptors are released with the uploads", "[upload]") {
    cgikit::test::TempDir dir;
    int fd = -1;
    {
        UploadStore store(in(dir, 10));
        store_upload(store, file_part("f"), pattern(5000));
        std::vector<Upload> uploads = store.take_uploads();
        fd = uploads[0].file_range()->fd;
        CHECK(::fcntl(fd, F_GETFD) >= 0);
    }
    CHECK(::fcntl(fd, F_GETFD) == -1);  // closed: the kernel has freed the anonymous file
}

TEST_CASE("upload: a missing temp directory is an error value", "[upload]") {
    UploadOptions options;
    options.temp_directory = "/nonexistent/cgikit-test";
    options.memory_threshold_bytes = 4;
    UploadStore store(options);
    REQUIRE_FALSE(store.begin(file_part("f")));
    const cgikit::Error error = store.append("0123456789");
    REQUIRE(error);
    CHECK(error.http_status() == 500);
    CHECK(error.message.find("/nonexistent/cgikit-test") != std::string::npos);
}

TEST_CASE("upload: past the memory budget small uploads share one spool file", "[upload]") {
    cgikit::test::TempDir dir;
    UploadOptions options = in(dir, 1000);
    options.memory_budget_bytes = 2500;
    UploadStore store(options);
    for (int i = 0; i < 5; ++i)
        store_upload(store, file_part("f" + std::to_string(i)), pattern(1000, i));
    const auto& uploads = store.uploads();
    CHECK(uploads[0].storage() == Upload::Storage::memory);
    CHECK(uploads[1].storage() == Upload::Storage::memory);
    std::set<int> fds;
    for (int i = 2; i < 5; ++i) {
        INFO(i);
        REQUIRE(uploads[i].storage() == Upload::Storage::file);
        fds.insert(uploads[i].file_range()->fd);
        CHECK(uploads[i].file_range()->offset == static_cast<std::uint64_t>(i - 2) * 1000);
    }
    CHECK(fds.size() == 1);
    for (int i = 0; i < 5; ++i)
        CHECK(read_back(uploads[i]) == pattern(1000, i));
}

TEST_CASE("upload: past max_own_temp_files large uploads go to the spool", "[upload]") {
    cgikit::test::TempDir dir;
    UploadOptions options = in(dir, 10);
    options.max_own_temp_files = 2;
    UploadStore store(options);
    for (int i = 0; i < 5; ++i)
        store_upload(store, file_part("f"), pattern(3000, i), 999);
    const auto& uploads = store.uploads();
    std::set<int> fds;
    for (const Upload& upload : uploads)
        fds.insert(upload.file_range()->fd);
    CHECK(fds.size() == 3);  // two files of their own + the shared spool
    CHECK(uploads[2].file_range()->fd == uploads[4].file_range()->fd);
    CHECK(uploads[3].file_range()->offset == 3000);
    for (int i = 0; i < 5; ++i)
        CHECK(read_back(uploads[i]) == pattern(3000, i));
}

TEST_CASE("upload: open() streams the content from any storage", "[upload]") {
    cgikit::test::TempDir dir;
    UploadOptions options = in(dir, 100);
    options.memory_budget_bytes = 0;
    UploadStore store(options);
    store_upload(store, file_part("spooled"), pattern(50));
    store_upload(store, file_part("own"), pattern(40000, 3));
    for (const Upload& upload : store.uploads()) {
        auto stream = upload.open();
        REQUIRE(stream);
        const std::string content(std::istreambuf_iterator<char>(*stream), {});
        CHECK(content == read_back(upload));
    }
    UploadStore memory_store(in(dir, 100));
    store_upload(memory_store, file_part("m"), "hello");
    auto stream = memory_store.uploads()[0].open();
    std::string word;
    *stream >> word;
    CHECK(word == "hello");
}

TEST_CASE("upload: read_at and read_all bounds", "[upload]") {
    cgikit::test::TempDir dir;
    UploadStore store(in(dir, 10));
    store_upload(store, file_part("f"), "0123456789abcdef");
    const Upload& upload = store.uploads()[0];
    char buffer[8];
    std::size_t got = 0;
    REQUIRE_FALSE(upload.read_at(10, buffer, sizeof buffer, got));
    CHECK(std::string(buffer, got) == "abcdef");
    REQUIRE_FALSE(upload.read_at(16, buffer, sizeof buffer, got));
    CHECK(got == 0);
    std::string out = "untouched";
    const cgikit::Error error = upload.read_all(out, 15);
    CHECK(error.http_status() == 413);
    CHECK(out == "untouched");
}

TEST_CASE("upload: save_as links or copies, never overwrites", "[upload]") {
    cgikit::test::TempDir temp;
    cgikit::test::TempDir target;
    UploadOptions options = in(temp, 100);
    options.memory_budget_bytes = 0;
    UploadStore store(options);
    store_upload(store, file_part("memory"), pattern(60));  // budget 0: goes to the spool
    store_upload(store, file_part("own"), pattern(70000, 5));
    UploadStore small_store(in(temp, 100));
    store_upload(small_store, file_part("small"), "tiny");

    const Upload& spooled = store.uploads()[0];
    const Upload& own = store.uploads()[1];
    const Upload& small = small_store.uploads()[0];
    REQUIRE_FALSE(spooled.save_as(target.path() + "/spooled"));
    REQUIRE_FALSE(own.save_as(target.path() + "/own"));
    REQUIRE_FALSE(small.save_as(target.path() + "/small"));
    CHECK(slurp(target.path() + "/spooled") == pattern(60));
    CHECK(slurp(target.path() + "/own") == pattern(70000, 5));
    CHECK(slurp(target.path() + "/small") == "tiny");
    struct stat info {};
    REQUIRE(::stat((target.path() + "/own").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);

    const cgikit::Error exists = small.save_as(target.path() + "/own");
    CHECK(exists);
    CHECK(slurp(target.path() + "/own") == pattern(70000, 5));
    CHECK(own.save_as(target.path() + "/missing-dir/x"));
    CHECK(temp.entries().empty());
}

TEST_CASE("upload: safe_basename", "[upload]") {
    using cgikit::safe_basename;
    CHECK(safe_basename("photo.jpg") == "photo.jpg");
    CHECK(safe_basename("/etc/passwd") == "passwd");
    CHECK(safe_basename("../../etc/passwd") == "passwd");
    CHECK(safe_basename("C:\\Users\\me\\My Report.docx") == "My Report.docx");
    CHECK(safe_basename("..") == "upload");
    CHECK(safe_basename(".") == "upload");
    CHECK(safe_basename("") == "upload");
    CHECK(safe_basename("dir/") == "upload");
    CHECK(safe_basename(".htaccess") == "htaccess");
    CHECK(safe_basename("...hidden") == "hidden");
    CHECK(safe_basename("  spaced name . ") == "spaced name");
    CHECK(safe_basename("a\r\nb\tc\x7f"
                        "d") == "abcd");
    CHECK(safe_basename(std::string("nul\0byte", 8)) == "nulbyte");
    CHECK(safe_basename("caf\xc3\xa9.txt") == "caf\xc3\xa9.txt");
    CHECK(safe_basename("bad\xff.txt") == "bad\xef\xbf\xbd.txt");

    const std::string long_name = std::string(300, 'n') + ".tar.gz";
    const std::string shortened = safe_basename(long_name);
    CHECK(shortened.size() <= 255);
    CHECK(shortened.ends_with("n.gz"));
    // Multi-byte characters are never cut in half.
    std::string accents;
    for (int i = 0; i < 200; ++i)
        accents += "\xc3\xa9";
    const std::string cut = safe_basename(accents);
    CHECK(cut.size() <= 255);
    CHECK(cut.size() % 2 == 0);
    // A very long extension is not kept.
    const std::string weird = safe_basename(std::string(250, 'a') + "." + std::string(40, 'b'));
    CHECK(weird.size() == 255);
}

TEST_CASE("upload: misuse of the store is an error, not a crash", "[upload]") {
    UploadStore store;
    CHECK(store.append("x"));
    CHECK(store.end());
    REQUIRE_FALSE(store.begin(file_part("f")));
    CHECK(store.begin(file_part("g")));
}

TEST_CASE("temp_file: the mkstemp fallback is nameless too, and saves by copying", "[upload]") {
    cgikit::test::TempDir dir;
    cgikit::TempFile file;
    REQUIRE_FALSE(
        cgikit::TempFile::create(dir.path(), file, cgikit::TempFileMethod::mkstemp_unlinked));
    CHECK_FALSE(file.linkable());
    CHECK(dir.entries().empty());
    struct stat info {};
    REQUIRE(::fstat(file.fd(), &info) == 0);
    CHECK(info.st_nlink == 0);
    CHECK((info.st_mode & 0777) == 0600);
    CHECK((::fcntl(file.fd(), F_GETFD) & FD_CLOEXEC) != 0);
    REQUIRE_FALSE(file.append("0123456789"));
    cgikit::test::TempDir target;
    REQUIRE_FALSE(file.save_range(2, 5, target.path() + "/part"));
    CHECK(slurp(target.path() + "/part") == "23456");
    CHECK(file.save_range(8, 5, target.path() + "/beyond"));
    CHECK(dir.entries().empty());
}

TEST_CASE("temp_file: O_TMPFILE files are linkable", "[upload]") {
    cgikit::test::TempDir dir;
    cgikit::TempFile file;
    REQUIRE_FALSE(cgikit::TempFile::create(dir.path(), file));
    CHECK(file.linkable());  // ext4, xfs, btrfs, tmpfs all have O_TMPFILE
    REQUIRE_FALSE(file.append("abc"));
    REQUIRE_FALSE(file.save_range(0, 3, dir.path() + "/named"));
    CHECK(slurp(dir.path() + "/named") == "abc");
    struct stat info {};
    REQUIRE(::fstat(file.fd(), &info) == 0);
    CHECK(info.st_nlink == 1);  // linked, not copied
}

TEST_CASE("temp_file: default directory follows TMPDIR when absolute", "[upload]") {
    const char* saved = std::getenv("TMPDIR");
    const std::string saved_value = saved ? saved : "";
    ::setenv("TMPDIR", "/var/tmp", 1);
    CHECK(cgikit::default_temp_directory() == "/var/tmp");
    ::setenv("TMPDIR", "relative/dir", 1);
    CHECK(cgikit::default_temp_directory() == "/tmp");
    ::unsetenv("TMPDIR");
    CHECK(cgikit::default_temp_directory() == "/tmp");
    if (saved) ::setenv("TMPDIR", saved_value.c_str(), 1);
}
