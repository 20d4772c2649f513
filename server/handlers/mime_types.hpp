#pragma once
// MimeTypes: file name -> Content-Type for static files. A built-in table of the common web types
// on top of the system's /etc/mime.types; the built-in table wins where both know an extension, so
// the types browsers are strict about (JavaScript modules, CSS, WebAssembly, fonts, captions) do
// not depend on the distribution's file, nor on its mistakes for the web (Debian maps .ts to Qt
// Linguist). Text types get a configurable charset parameter (mime.charset). Built once at
// startup, then read-only: safe to share across workers.
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
    // The charset text types are served with unless configured otherwise: what modern sites are
    // written in. Without it, a UTF-8 page that lacks <meta charset> is decoded with the browser's
    // fallback (windows-1252 in most locales).
    static constexpr std::string_view kDefaultCharset = "utf-8";
    // RFC 2978 §2.3: a registered charset name is at most 40 characters.
    static constexpr std::size_t kMaxCharsetLength = 40;

    // The built-in table with the default type application/octet-stream, text types in utf-8.
    MimeTypes();

    // The built-in table over the types of `mime_types_path` ("type ext1 ext2 ..." lines, '#'
    // comments; malformed lines and entries are skipped, and within the file the first mapping of
    // an extension wins). A missing file gives the built-in table alone; a file that exists but
    // cannot be read, or is larger than kMaxFileSize, throws std::runtime_error (startup only).
    // `charset` is the parameter text types get (see wants_charset); empty: none. It must be empty
    // or satisfy is_charset_name (the config checks it).
    static MimeTypes load(const std::string& mime_types_path, std::string_view default_type,
                          std::string_view charset = kDefaultCharset);
    // Same, with the file's contents given directly.
    static MimeTypes from_text(std::string_view mime_types_text, std::string_view default_type,
                               std::string_view charset = kDefaultCharset);

    // The Content-Type for `file_name` (a name or a path): chosen by the extension after the last
    // '.' of the last segment, case-insensitively. A leading dot does not start an extension
    // (".profile" has none); "a.tar.gz" is "gz". Text types carry "; charset=<charset>" (see
    // below).
    std::string_view content_type(std::string_view file_name) const noexcept;
    std::string_view default_content_type() const noexcept { return default_type_; }
    std::size_t size() const noexcept { return by_extension_.size(); }

    // True for the types whose files get the configured charset: text/*, application/javascript,
    // application/json, application/xml and image/svg+xml. Types that already have parameters are
    // left alone.
    static bool wants_charset(std::string_view media_type) noexcept;
    // A value for the charset parameter: a token (RFC 9110 §8.3.2 charset = token, §5.6.2) of at
    // most kMaxCharsetLength characters.
    static bool is_charset_name(std::string_view name) noexcept;

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    // An empty table.
    MimeTypes(std::string_view default_type, std::string_view charset);
    // `media_type` with "; charset=<charset_>" if it wants one.
    std::string with_charset(std::string_view media_type) const;
    // Maps a lower-case extension to its full Content-Type.
    void set(std::string_view extension, std::string_view media_type);
    void add_builtin_types();

    std::unordered_map<std::string, std::string, Hash, std::equal_to<>> by_extension_;
    std::string charset_;  // empty: no charset parameter
    std::string default_type_;
};

}  // namespace cgikit::handlers
