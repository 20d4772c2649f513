#pragma once
// OpenFileCache: the static files served in the last second, resolved, opened and described, so
// that a request for a hot file costs no openat2/fstat/close and no re-formatting of its
// validators. Small files keep their bytes instead of a descriptor: their body goes out in the
// same send(2) as the head.
//
// Staleness bound: an entry is used for at most kTimeToLive after the file was opened; then the
// next request resolves the path again. A file replaced, rewritten or deleted within that second
// may still be served as it was (lighttpd's stat cache makes the same trade); a small file is
// always served as one consistent snapshot. Bounded: at most kMaxEntries files, each at most
// kMaxFileBytes (larger files are opened per request, where sendfile dominates anyway).
// One per worker thread: not synchronised.
#include <sys/stat.h>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/shared_fd.hpp"

namespace cgikit::handlers {

// A regular file ready to be served: metadata, validators and either its bytes or a descriptor.
struct OpenFile {
    struct stat status {};
    std::string etag;  // http::make_etag(status)
    // The mtime, or the time the file was opened when the mtime lies after it: RFC 9110 §8.8.2.1
    // forbids a Last-Modified later than the response's Date. Conditionals compare against it.
    std::time_t modified = 0;
    std::string last_modified;    // IMF-fixdate of `modified`
    std::string_view media_type;  // Content-Type, owned by the MimeTypes table (read-only)
    bool inline_contents = false;
    std::string contents;  // the whole file when inline_contents
    net::SharedFd fd;      // otherwise the open file
    std::uint64_t size() const noexcept { return static_cast<std::uint64_t>(status.st_size); }
};

class OpenFileCache {
  public:
    using Clock = std::chrono::steady_clock;
    // How long an entry is trusted without looking at the file system again.
    static constexpr Clock::duration kTimeToLive = std::chrono::seconds(1);
    // Files per worker: the hot set of a site, while descriptors held stay few.
    static constexpr std::size_t kMaxEntries = 64;
    // Larger files are not cached: for them the transfer dwarfs the open, and a deleted large file
    // should not stay pinned on disk by an idle cache.
    static constexpr std::uint64_t kMaxFileBytes = 1024 * 1024;
    // Files up to this size are kept as bytes: one send(2) of head and body beats a send and a
    // sendfile(2) (about 2 us less per request on loopback), and the copy is cheap at this size.
    static constexpr std::uint64_t kInlineFileBytes = 8 * 1024;

    // The cached file for `key` (the normalised request path), or nullptr when there is none or it
    // has expired (an expired entry is dropped).
    const OpenFile* find(std::string_view key, Clock::time_point now);
    // True when `file` may be cached (see kMaxFileBytes).
    static bool accepts(const OpenFile& file) noexcept { return file.size() <= kMaxFileBytes; }
    // Caches `file` (which must be accepted) under `key`, evicting an entry if the cache is full.
    const OpenFile& insert(std::string_view key, OpenFile file, Clock::time_point now);
    // Drops every expired entry (closing its descriptor).
    void purge_expired(Clock::time_point now);
    std::size_t size() const noexcept { return entries_.size(); }
    // Entries that hold a descriptor (the others keep their bytes): what the cache adds to the
    // worker's open files.
    std::size_t open_descriptors() const noexcept;

  private:
    struct Entry {
        OpenFile file;
        Clock::time_point expires;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace cgikit::handlers
