#include "handlers/mime_types.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

using cgikit::handlers::MimeTypes;

namespace {

// A temporary directory removed (with its files) at scope exit.
class TempDir {
  public:
    TempDir() {
        char name[] = "/tmp/cgikit-mime-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path_ = name;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string write(const std::string& name, const std::string& contents) const {
        std::string file = path_ + "/" + name;
        std::ofstream(file, std::ios::binary) << contents;
        return file;
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace

TEST_CASE("built-in web types", "[mime_types]") {
    MimeTypes types;
    CHECK(types.content_type("index.html") == "text/html; charset=utf-8");
    CHECK(types.content_type("a.htm") == "text/html; charset=utf-8");
    CHECK(types.content_type("site.css") == "text/css; charset=utf-8");
    CHECK(types.content_type("app.js") == "text/javascript; charset=utf-8");
    CHECK(types.content_type("module.mjs") == "text/javascript; charset=utf-8");
    CHECK(types.content_type("data.json") == "application/json; charset=utf-8");
    CHECK(types.content_type("app.js.map") == "application/json; charset=utf-8");
    CHECK(types.content_type("notes.txt") == "text/plain; charset=utf-8");
    CHECK(types.content_type("README.md") == "text/markdown; charset=utf-8");
    CHECK(types.content_type("t.csv") == "text/csv; charset=utf-8");
    CHECK(types.content_type("feed.xml") == "application/xml; charset=utf-8");
    CHECK(types.content_type("logo.svg") == "image/svg+xml; charset=utf-8");
    CHECK(types.content_type("captions.vtt") == "text/vtt; charset=utf-8");
    CHECK(types.content_type("stream.m3u8") == "application/vnd.apple.mpegurl");
    CHECK(types.content_type("segment0.ts") == "video/mp2t");
    CHECK(types.content_type("a.png") == "image/png");
    CHECK(types.content_type("a.jpg") == "image/jpeg");
    CHECK(types.content_type("a.jpeg") == "image/jpeg");
    CHECK(types.content_type("a.gif") == "image/gif");
    CHECK(types.content_type("a.webp") == "image/webp");
    CHECK(types.content_type("a.avif") == "image/avif");
    CHECK(types.content_type("favicon.ico") == "image/x-icon");
    CHECK(types.content_type("f.woff") == "font/woff");
    CHECK(types.content_type("f.woff2") == "font/woff2");
    CHECK(types.content_type("f.ttf") == "font/ttf");
    CHECK(types.content_type("f.otf") == "font/otf");
    CHECK(types.content_type("doc.pdf") == "application/pdf");
    CHECK(types.content_type("m.wasm") == "application/wasm");
    CHECK(types.content_type("v.mp4") == "video/mp4");
    CHECK(types.content_type("v.webm") == "video/webm");
    CHECK(types.content_type("s.mp3") == "audio/mpeg");
    CHECK(types.content_type("s.ogg") == "audio/ogg");
    CHECK(types.content_type("s.wav") == "audio/wav");
    CHECK(types.content_type("a.zip") == "application/zip");
    CHECK(types.content_type("a.gz") == "application/gzip");
    CHECK(types.content_type("a.tar") == "application/x-tar");
    CHECK(types.content_type("site.webmanifest") == "application/manifest+json");
    CHECK(types.default_content_type() == "application/octet-stream");
}

TEST_CASE("lookup is by the last extension of the last segment, case-insensitively",
          "[mime_types]") {
    MimeTypes types;
    CHECK(types.content_type("INDEX.HTML") == "text/html; charset=utf-8");
    CHECK(types.content_type("Photo.JpG") == "image/jpeg");
    CHECK(types.content_type("archive.tar.gz") == "application/gzip");
    CHECK(types.content_type("jquery.min.js") == "text/javascript; charset=utf-8");
    CHECK(types.content_type("/www/a/b/index.html") == "text/html; charset=utf-8");
    CHECK(types.content_type("/www/dir.html/file") == "application/octet-stream");
    CHECK(types.content_type("/www/dir.html/") == "application/octet-stream");
    CHECK(types.content_type("/www/.config/app.css") == "text/css; charset=utf-8");
}

TEST_CASE("names without a known extension get the default", "[mime_types]") {
    MimeTypes types;
    CHECK(types.content_type("") == "application/octet-stream");
    CHECK(types.content_type("Makefile") == "application/octet-stream");
    CHECK(types.content_type("file.") == "application/octet-stream");
    CHECK(types.content_type("file.unknownext") == "application/octet-stream");
    CHECK(types.content_type("html") == "application/octet-stream");
    CHECK(types.content_type(".") == "application/octet-stream");
    CHECK(types.content_type("..") == "application/octet-stream");
    CHECK(types.content_type("a.h tml") == "application/octet-stream");
    CHECK(types.content_type("a." + std::string(1000, 'x')) == "application/octet-stream");
    CHECK(types.content_type(std::string_view("a.html\0", 7)) == "application/octet-stream");
}

TEST_CASE("a leading dot does not start an extension", "[mime_types]") {
    MimeTypes types;
    CHECK(types.content_type(".html") == "application/octet-stream");
    CHECK(types.content_type(".htaccess") == "application/octet-stream");
    CHECK(types.content_type("/dir/.css") == "application/octet-stream");
    CHECK(types.content_type(".eslintrc.json") == "application/json; charset=utf-8");
    CHECK(types.content_type("..html") == "text/html; charset=utf-8");
}

TEST_CASE("a charset for text types only", "[mime_types]") {
    CHECK(MimeTypes::wants_charset("text/plain"));
    CHECK(MimeTypes::wants_charset("text/x-whatever"));
    CHECK(MimeTypes::wants_charset("TEXT/HTML"));
    CHECK(MimeTypes::wants_charset("application/javascript"));
    CHECK(MimeTypes::wants_charset("application/json"));
    CHECK(MimeTypes::wants_charset("application/xml"));
    CHECK(MimeTypes::wants_charset("image/svg+xml"));
    CHECK_FALSE(MimeTypes::wants_charset("text/html; charset=iso-8859-1"));
    CHECK_FALSE(MimeTypes::wants_charset("image/png"));
    CHECK_FALSE(MimeTypes::wants_charset("application/octet-stream"));
    CHECK_FALSE(MimeTypes::wants_charset("application/jsonx"));
    CHECK_FALSE(MimeTypes::wants_charset("texts/plain"));
}

TEST_CASE("mime.types text is parsed, with the built-in table winning", "[mime_types]") {
    const std::string text =
        "# comment line\n"
        "\n"
        "application/x-example\texa exb   EXC\n"
        "text/x-thing thing # trailing comment\n"
        "application/x-nothing\n"
        "text/plain-odd js css\n"  // cannot override the built-in web types
        "audio/x-first dup\n"
        "audio/x-second dup\n"  // the first mapping in the file wins
        "not-a-type ext1\n"
        "bad type/x ext2\n"
        "image/x-ok good bad.dot bad/slash " +
        std::string(40, 'l') +
        "\r\n"
        "  image/x-indented   ind  \n"
        "video/x-last last";  // no final newline
    MimeTypes types = MimeTypes::from_text(text, "application/octet-stream");
    CHECK(types.content_type("a.exa") == "application/x-example");
    CHECK(types.content_type("a.exb") == "application/x-example");
    CHECK(types.content_type("a.exc") == "application/x-example");
    CHECK(types.content_type("a.EXC") == "application/x-example");
    CHECK(types.content_type("a.thing") == "text/x-thing; charset=utf-8");
    CHECK(types.content_type("a.comment") == "application/octet-stream");
    CHECK(types.content_type("a.js") == "text/javascript; charset=utf-8");
    CHECK(types.content_type("a.css") == "text/css; charset=utf-8");
    CHECK(types.content_type("a.dup") == "audio/x-first");
    CHECK(types.content_type("a.ext1") == "application/octet-stream");
    CHECK(types.content_type("a.ext2") == "application/octet-stream");
    CHECK(types.content_type("a.good") == "image/x-ok");
    CHECK(types.content_type("a.dot") == "application/octet-stream");
    CHECK(types.content_type("a.slash") == "application/octet-stream");
    CHECK(types.content_type("a." + std::string(40, 'l')) == "application/octet-stream");
    CHECK(types.content_type("a.ind") == "image/x-indented");
    CHECK(types.content_type("a.last") == "video/x-last");
    CHECK(types.content_type("a.png") == "image/png");  // built-ins are still there
}

TEST_CASE("the charset is configurable, or none at all", "[mime_types]") {
    // mime.charset: a legacy Latin-1 site, or "off" (as Apache and nginx by default), so that a
    // page's own <meta charset> is not overridden by the header (HTML's encoding sniffing gives
    // the header priority).
    const std::string text = "text/x-thing thing\nimage/x-pic pic\n";
    MimeTypes latin1 = MimeTypes::from_text(text, "text/plain", "iso-8859-1");
    CHECK(latin1.content_type("index.html") == "text/html; charset=iso-8859-1");
    CHECK(latin1.content_type("a.thing") == "text/x-thing; charset=iso-8859-1");
    CHECK(latin1.content_type("logo.svg") == "image/svg+xml; charset=iso-8859-1");
    CHECK(latin1.content_type("a.pic") == "image/x-pic");
    CHECK(latin1.content_type("a.png") == "image/png");
    CHECK(latin1.content_type("README") == "text/plain; charset=iso-8859-1");

    MimeTypes none = MimeTypes::from_text(text, "text/plain", "");
    CHECK(none.content_type("index.html") == "text/html");
    CHECK(none.content_type("a.thing") == "text/x-thing");
    CHECK(none.content_type("data.json") == "application/json");
    CHECK(none.content_type("a.png") == "image/png");
    CHECK(none.content_type("README") == "text/plain");

    TempDir dir;
    std::string file = dir.write("mime.types", "text/x-from-file fromfile\n");
    CHECK(MimeTypes::load(file, "application/octet-stream", "").content_type("a.fromfile") ==
          "text/x-from-file");
    CHECK(MimeTypes::load(dir.path() + "/absent", "application/octet-stream", "windows-1252")
              .content_type("a.css") == "text/css; charset=windows-1252");
}

TEST_CASE("charset names are tokens of at most 40 characters", "[mime_types]") {
    CHECK(MimeTypes::is_charset_name("utf-8"));
    CHECK(MimeTypes::is_charset_name("ISO-8859-1"));
    CHECK(MimeTypes::is_charset_name("Shift_JIS"));
    CHECK(MimeTypes::is_charset_name(std::string(MimeTypes::kMaxCharsetLength, 'a')));
    CHECK_FALSE(MimeTypes::is_charset_name(std::string(MimeTypes::kMaxCharsetLength + 1, 'a')));
    CHECK_FALSE(MimeTypes::is_charset_name(""));
    CHECK_FALSE(MimeTypes::is_charset_name("utf 8"));
    CHECK_FALSE(MimeTypes::is_charset_name("\"utf-8\""));
    CHECK_FALSE(MimeTypes::is_charset_name("utf-8;x=y"));
    CHECK_FALSE(MimeTypes::is_charset_name("utf-8\r\nX: y"));
    CHECK_FALSE(MimeTypes::is_charset_name("utf-8,latin1"));
}

TEST_CASE("the default type is configurable", "[mime_types]") {
    CHECK(MimeTypes::from_text("", "application/x-unknown").content_type("README") ==
          "application/x-unknown");
    CHECK(MimeTypes::from_text("", "text/plain").content_type("README") ==
          "text/plain; charset=utf-8");
    CHECK(MimeTypes::from_text("", "text/plain").default_content_type() ==
          "text/plain; charset=utf-8");
}

TEST_CASE("load reads a file and tolerates a missing one", "[mime_types]") {
    TempDir dir;
    std::string file = dir.write("mime.types", "application/x-from-file fromfile\n");
    MimeTypes loaded = MimeTypes::load(file, "application/octet-stream");
    CHECK(loaded.content_type("a.fromfile") == "application/x-from-file");
    CHECK(loaded.content_type("a.html") == "text/html; charset=utf-8");

    MimeTypes missing = MimeTypes::load(dir.path() + "/absent", "application/x-default");
    CHECK(missing.content_type("a.html") == "text/html; charset=utf-8");
    CHECK(missing.content_type("a.fromfile") == "application/x-default");
    CHECK(missing.size() == MimeTypes().size());
}

TEST_CASE("load refuses unreadable and oversized files", "[mime_types]") {
    TempDir dir;
    CHECK_THROWS_AS(MimeTypes::load(dir.path(), "application/octet-stream"), std::runtime_error);
    std::string big = dir.write("big", std::string(MimeTypes::kMaxFileSize + 1, '#'));
    CHECK_THROWS_AS(MimeTypes::load(big, "application/octet-stream"), std::runtime_error);
}

TEST_CASE("the system's mime.types, when present, keeps the web types ours", "[mime_types]") {
    MimeTypes system = MimeTypes::load("/etc/mime.types", "application/octet-stream");
    CHECK(system.size() >= MimeTypes().size());
    CHECK(system.content_type("app.js") == "text/javascript; charset=utf-8");
    CHECK(system.content_type("favicon.ico") == "image/x-icon");
    CHECK(system.content_type("index.html") == "text/html; charset=utf-8");
    CHECK(system.content_type("segment0.ts") == "video/mp2t");
}

TEST_CASE("HLS segments are video, whatever Debian's mime.types says", "[mime_types]") {
    // Debian's media-types maps .ts to Qt Linguist translation files: an HLS site's MPEG-TS
    // segments went out as "text/vnd.trolltech.linguist; charset=utf-8". nginx: video/mp2t.
    MimeTypes types = MimeTypes::from_text(
        "text/vnd.trolltech.linguist\tts\n"
        "application/vnd.apple.mpegurl\tm3u8\n"
        "text/vtt\tvtt\n",
        "application/octet-stream");
    CHECK(types.content_type("/live/segment12.ts") == "video/mp2t");
    CHECK(types.content_type("/live/index.m3u8") == "application/vnd.apple.mpegurl");
    CHECK(types.content_type("/live/en.vtt") == "text/vtt; charset=utf-8");
}
