#include "handlers/mime_types.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "net/unique_fd.hpp"

namespace cgikit::handlers {

namespace {

struct BuiltinType {
    std::string_view extension;
    std::string_view media_type;
};

// The types a web site is made of. IANA registrations where they exist (RFC 9239 for JavaScript,
// RFC 8081 for fonts); image/x-icon because that is what browsers expect for favicons.
//
// Compared with nginx's mime.types, only types a browser uses where Debian's /etc/mime.types is
// wrong, or where the file may be absent (minimal images have none) and a browser refuses any
// other type, are added. The rest of nginx's list is for downloads or plug-ins (office documents,
// archives, Java, Flash) or media few browsers play (MIDI, 3GP, WMV): left to the system's file.
// Where nginx differs from this table, the table follows the registrations: text/javascript
// (RFC 9239) not application/javascript, application/xml (RFC 7303) not text/xml, audio/mp4
// (RFC 4337) not audio/x-m4a.
constexpr BuiltinType kBuiltinTypes[] = {
    {"html", "text/html"},
    {"htm", "text/html"},
    {"xhtml", "application/xhtml+xml"},
    {"css", "text/css"},
    {"js", "text/javascript"},
    {"mjs", "text/javascript"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain"},
    {"md", "text/markdown"},
    {"csv", "text/csv"},
    {"xml", "application/xml"},
    {"rss", "application/rss+xml"},
    {"atom", "application/atom+xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"apng", "image/apng"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"mp4", "video/mp4"},
    // HTTP Live Streaming (RFC 8216). A segment is an MPEG-2 transport stream (§3.2; video/MP2T,
    // RFC 3555 §4.2.9, as nginx maps it): Debian's mime.types gives .ts to Qt Linguist
    // translations (text/vnd.trolltech.linguist), which sent the video as text with a charset.
    {"ts", "video/mp2t"},
    // A playlist is identified by its .m3u8 path or by this type (§4); Safari plays it natively.
    {"m3u8", "application/vnd.apple.mpegurl"},
    // WebVTT captions: a <track> is loaded only when served as text/vtt (HTML's text track
    // processing model), so captions must not depend on the system's file being present.
    {"vtt", "text/vtt"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mp3", "audio/mpeg"},
    {"m4a", "audio/mp4"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"opus", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
};

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (ascii_lower(s[i]) != prefix[i]) return false;
    }
    return true;
}

bool equals_ci(std::string_view s, std::string_view lower) noexcept {
    return s.size() == lower.size() && starts_with_ci(s, lower);
}

bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

// type "/" subtype, both tokens (RFC 9110 §8.3.1), without parameters.
bool is_media_type(std::string_view s) noexcept {
    std::size_t slash = s.find('/');
    return slash != std::string_view::npos && is_token(s.substr(0, slash)) &&
           is_token(s.substr(slash + 1));
}

// An extension we can ever look up: no dot (lookups take what follows the last one), a token.
bool is_usable_extension(std::string_view s) noexcept {
    return s.size() <= MimeTypes::kMaxExtensionLength && is_token(s) &&
           s.find('.') == std::string_view::npos;
}

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Splits `line` at whitespace, calling `visit` for each word.
template <typename Visit>
void for_each_word(std::string_view line, Visit visit) {
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i]))
            ++i;
        std::size_t start = i;
        while (i < line.size() && !is_space(line[i]))
            ++i;
        if (i > start) visit(line.substr(start, i - start));
    }
}

}  // namespace

MimeTypes::MimeTypes() : charset_(kDefaultCharset), default_type_(kDefaultType) {
    add_builtin_types();
}

MimeTypes::MimeTypes(std::string_view default_type, std::string_view charset)
    : charset_(charset), default_type_(with_charset(default_type)) {}

std::string MimeTypes::with_charset(std::string_view media_type) const {
    std::string content_type(media_type);
    if (!charset_.empty() && wants_charset(media_type)) {
        content_type += "; charset=";
        content_type += charset_;
    }
    return content_type;
}

bool MimeTypes::is_charset_name(std::string_view name) noexcept {
    return name.size() <= kMaxCharsetLength && is_token(name);
}

bool MimeTypes::wants_charset(std::string_view media_type) noexcept {
    if (media_type.find(';') != std::string_view::npos) return false;
    return starts_with_ci(media_type, "text/") || equals_ci(media_type, "application/javascript") ||
           equals_ci(media_type, "application/json") || equals_ci(media_type, "application/xml") ||
           equals_ci(media_type, "image/svg+xml");
}

void MimeTypes::set(std::string_view extension, std::string_view media_type) {
    std::string key(extension);
    for (char& c : key)
        c = ascii_lower(c);
    by_extension_.insert_or_assign(std::move(key), with_charset(media_type));
}

void MimeTypes::add_builtin_types() {
    for (const auto& entry : kBuiltinTypes)
        set(entry.extension, entry.media_type);
}

MimeTypes MimeTypes::from_text(std::string_view mime_types_text, std::string_view default_type,
                               std::string_view charset) {
    MimeTypes types(default_type, charset);
    while (!mime_types_text.empty()) {
        std::size_t newline = mime_types_text.find('\n');
        std::string_view line = mime_types_text.substr(0, newline);
        mime_types_text.remove_prefix(newline == std::string_view::npos ? mime_types_text.size()
                                                                        : newline + 1);
        line = line.substr(0, line.find('#'));
        std::string_view media_type;
        for_each_word(line, [&](std::string_view word) {
            if (media_type.empty()) {
                media_type = word;
                return;
            }
            if (!is_media_type(media_type) || !is_usable_extension(word)) return;
            std::string key(word);
            for (char& c : key)
                c = ascii_lower(c);
            if (!types.by_extension_.contains(key)) {
                types.by_extension_.emplace(std::move(key), types.with_charset(media_type));
            }
        });
    }
    types.add_builtin_types();  // last, so that the built-in table wins
    return types;
}

MimeTypes MimeTypes::load(const std::string& mime_types_path, std::string_view default_type,
                          std::string_view charset) {
    net::unique_fd fd(::open(mime_types_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return from_text({}, default_type, charset);
        throw std::runtime_error("cannot open MIME types file " + mime_types_path + ": " +
                                 std::strerror(errno));
    }
    std::string text;
    char buffer[16384];
    while (true) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot read MIME types file " + mime_types_path + ": " +
                                     std::strerror(errno));
        }
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxFileSize) {
            throw std::runtime_error("MIME types file " + mime_types_path + " is larger than " +
                                     std::to_string(kMaxFileSize) + " bytes");
        }
    }
    return from_text(text, default_type, charset);
}

std::string_view MimeTypes::content_type(std::string_view file_name) const noexcept {
    std::size_t slash = file_name.rfind('/');
    std::string_view name =
        slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
    std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return default_type_;
    std::string_view extension = name.substr(dot + 1);
    if (extension.empty() || extension.size() > kMaxExtensionLength) return default_type_;
    char lower[kMaxExtensionLength];
    for (std::size_t i = 0; i < extension.size(); ++i)
        lower[i] = ascii_lower(extension[i]);
    auto it = by_extension_.find(std::string_view(lower, extension.size()));
    return it == by_extension_.end() ? std::string_view(default_type_)
                                     : std::string_view(it->second);
}

}  // namespace cgikit::handlers
