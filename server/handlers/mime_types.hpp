#pragma once
// MimeTypes: file name -> Content-Type for static files. A built-in table of the common web types
// on top of the system's /etc/mime.types; the built-in table wins where both know an extension, so
// the types browsers are strict about (JavaScript modules, CSS, WebAssembly, fonts, captions) do
// not depend on the distribution's file, nor on its mistakes for the web (Debian maps .ts to Qt
// Linguist). Built once at startup, then read-only: safe to share across workers.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cgikit::handlers {

class MimeTypes {
  public:
    static constexpr std::string_view kDefaultType = "application/octet-stream";
    // Extensions longer than this are not mapped (none of the real ones is); lookups of longer
    // ones go straight to the default without copying.
    static constexpr std::size_t kMaxExtensionLength = 32;
    // A mime.types file larger than this is a configuration mistake, not a type table.
    static constexpr std::size_t kMaxFileSize = 4 * 1024 * 1024;

    // The built-in table with the default type application/octet-stream.
    MimeTypes();

    // The built-in table over the types of `mime_types_path` ("type ext1 ext2 ..." lines, '#'
    // comments; malformed lines and entries are skipped, and within the file the first mapping of
    // an extension wins). A missing file gives the built-in table alone; a file that exists but
    // cannot be read, or is larger than kMaxFileSize, throws std::runtime_error (startup only).
    static MimeTypes load(const std::string& mime_types_path, std::string default_type);
    // Same, with the file's contents given directly.
    static MimeTypes from_text(std::string_view mime_types_text, std::string default_type);

    // The Content-Type for `file_name` (a name or a path): chosen by the extension after the last
    // '.' of the last segment, case-insensitively. A leading dot does not start an extension
    // (".profile" has none); "a.tar.gz" is "gz". Text types carry "; charset=utf-8" (see below).
    std::string_view content_type(std::string_view file_name) const noexcept;
    std::string_view default_content_type() const noexcept { return default_type_; }
    std::size_t size() const noexcept { return by_extension_.size(); }

    // True for the types whose files we serve as UTF-8: text/*, application/javascript,
    // application/json, application/xml and image/svg+xml. Types that already have parameters are
    // left alone.
    static bool wants_utf8_charset(std::string_view media_type) noexcept;

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    // An empty table.
    explicit MimeTypes(std::string default_type);
    // Maps a lower-case extension to its full Content-Type.
    void set(std::string_view extension, std::string_view media_type);
    void add_builtin_types();

    std::unordered_map<std::string, std::string, Hash, std::equal_to<>> by_extension_;
    std::string default_type_;
};

}  // namespace cgikit::handlers
