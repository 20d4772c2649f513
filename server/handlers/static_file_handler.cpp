#include "handlers/static_file_handler.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include "handlers/error_page.hpp"
#include "http/byte_range.hpp"
#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "http/uri_path.hpp"

namespace cgikit::handlers {

namespace {

// Fallback for kernels without openat2 (before 5.6): walk the path one component at a time with
// O_NOFOLLOW, so no symlink is followed at all (stricter than RESOLVE_BENEATH, never looser).
int open_beneath_walk(int root_fd, const std::string& relative, int flags) {
    int dir = ::dup(root_fd);
    if (dir < 0) return -errno;
    std::size_t start = 0;
    while (true) {
        auto slash = relative.find('/', start);
        std::string part =
            relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        bool last = slash == std::string::npos || slash + 1 == relative.size();
        int next = ::openat(dir, part.c_str(),
                            (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        ::close(dir);
        if (next < 0) return -saved;
        if (last) return next;
        dir = next;
        start = slash + 1;
    }
}

http::Response not_modified(const OpenFile& file) {
    http::Response r;
    r.status = 304;
    r.headers.reserve(2);
    r.headers.add("ETag", file.etag);
    r.headers.add("Last-Modified", file.last_modified);
    return r;
}

// Metadata, validators and (for a small file) the bytes of the regular file open as `fd`.
OpenFile describe_file(net::unique_fd fd, const struct stat& st, std::string_view name,
                       const StaticContext& ctx) {
    OpenFile file;
    file.status = st;
    file.etag = http::make_etag(st);
    file.modified = std::min(st.st_mtim.tv_sec, std::time(nullptr));
    file.last_modified = http::format_http_date(file.modified);
    file.media_type = ctx.mime->content_type(name);
    if (file.size() <= OpenFileCache::kInlineFileBytes) {
        file.contents.resize(static_cast<std::size_t>(file.size()));
        std::size_t got = 0;
        while (got < file.contents.size()) {
            ssize_t n = ::pread(fd.get(), file.contents.data() + got, file.contents.size() - got,
                                static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        // A file that shrank under us is sent from its descriptor, which ends the response early.
        file.inline_contents = got == file.contents.size();
        if (!file.inline_contents) file.contents.clear();
    }
    if (!file.inline_contents) file.fd = std::move(fd);
    return file;
}

// Fills `r`, which arrives cleared.
void serve_file(const http::Request& request, const OpenFile& file, http::Response& r) {
    const std::time_t mtime = file.modified;
    bool get_or_head =
        request.method_kind == http::Method::Get || request.method_kind == http::Method::Head;
    int precondition = http::evaluate_preconditions(request.headers, get_or_head, file.etag, mtime);
    if (precondition == 304) {
        r = not_modified(file);
        return;
    }
    if (precondition != 0) {
        r = error_response(precondition);
        return;
    }

    const std::uint64_t size = file.size();
    std::uint64_t offset = 0;
    std::uint64_t length = size;
    r.headers.reserve(5);
    r.headers.add("Content-Type", file.media_type);
    r.headers.add("ETag", file.etag);
    r.headers.add("Last-Modified", file.last_modified);
    r.headers.add("Accept-Ranges", "bytes");

    auto range_header = request.headers.get("Range");
    auto if_range = request.headers.get("If-Range");
    if (range_header && request.method_kind == http::Method::Get &&
        (!if_range || http::if_range_allows(*if_range, file.etag, mtime))) {
        auto range = http::parse_range(*range_header, size);
        switch (range.outcome) {
            case http::RangeOutcome::Ignore:
                break;
            case http::RangeOutcome::Satisfiable:
                r.status = 206;
                r.headers.add("Content-Range", http::content_range(range.range, size));
                offset = range.range.first;
                length = range.range.length;
                break;
            case http::RangeOutcome::Unsatisfiable:
                r = error_response(416);
                r.headers.add("Content-Range", http::unsatisfied_content_range(size));
                return;
        }
    }
    if (file.inline_contents) {
        r.text_body().assign(file.contents, static_cast<std::size_t>(offset),
                             static_cast<std::size_t>(length));
    } else {
        r.body = http::FileBody{file.fd, offset, length};
    }
}

http::Response redirect_to_directory(const http::Request& request, const std::string& path) {
    http::Response r = error_response(301);
    std::string location = http::percent_encode_path(path) + "/";
    if (request.has_query) location += "?" + request.query;
    r.headers.add("Location", std::move(location));
    return r;
}

// A shortage of the server, not a property of the file: out of descriptors (per process or system
// wide) or of kernel memory. The file may well exist; saying 404 would tell the client (and every
// cache on the way) that it does not.
bool is_resource_shortage(int err) {
    return err == EMFILE || err == ENFILE || err == ENOMEM;
}

int errno_to_status(int err) {
    if (is_resource_shortage(err)) return 503;
    switch (err) {
        case EACCES:
        case EPERM:
            return 403;
        // ENOENT, ENOTDIR, EXDEV (outside the root), ELOOP (a symlink loop) and ENAMETOOLONG: a
        // name over NAME_MAX or PATH_MAX names no file (the request line limit, 414, is the
        // parser's).
        default:
            return 404;
    }
}

// 503 Service Unavailable with Retry-After (RFC 9110 §15.6.4, §10.2.3): the condition is temporary,
// so the client may try again shortly. The cause goes to the error log.
http::Response unavailable(const http::Request& request, const std::string& path, int err,
                           const StaticContext& ctx) {
    if (ctx.log_error)
        ctx.log_error(request,
                      "cannot open " + path + ": " + std::strerror(err) + "; answered 503");
    http::Response r = error_response(503);
    r.headers.add("Retry-After", "1");
    return r;
}

}  // namespace

int open_beneath(int root_fd, const std::string& relative, int flags) {
    static bool have_openat2 = true;
    if (have_openat2) {
        open_how how{};
        how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno != ENOSYS) return -errno;
        have_openat2 = false;
    }
    return open_beneath_walk(root_fd, relative, flags);
}

namespace {

// How what a request names is opened. O_NONBLOCK: opening a FIFO for reading would wait for a
// writer and hang the worker (it is then refused as not a regular file); on regular files it
// changes nothing.
constexpr int kOpenFlags = O_RDONLY | O_NOCTTY | O_NONBLOCK;

// A file not in the cache (or expired): resolved, opened, described and cached when it may be.
http::Response serve_uncached(const http::Request& request, const std::string& decoded_path,
                              const StaticContext& ctx, OpenFileCache::Clock::time_point now) {
    std::string relative = decoded_path.size() > 1 ? decoded_path.substr(1) : ".";
    bool trailing_slash = decoded_path.back() == '/';
    if (trailing_slash && relative.size() > 1) relative.pop_back();

    int raw = open_beneath(ctx.root_fd, relative, kOpenFlags);
    if (raw < 0 && is_resource_shortage(-raw)) return unavailable(request, decoded_path, -raw, ctx);
    if (raw < 0) return error_response(errno_to_status(-raw));
    net::unique_fd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return error_response(500);

    std::optional<OpenFile> opened;
    if (S_ISDIR(st.st_mode)) {
        if (!trailing_slash) return redirect_to_directory(request, decoded_path);
        for (const auto& index : *ctx.index_files) {
            // Resolved from the root like any request path: a symlink that stays inside the root
            // is followed, one that leaves it is not.
            std::string index_path = decoded_path.size() > 1 ? relative + "/" + index : index;
            int index_fd = open_beneath(ctx.root_fd, index_path, kOpenFlags);
            if (index_fd < 0 && is_resource_shortage(-index_fd))
                return unavailable(request, decoded_path + index, -index_fd, ctx);
            if (index_fd < 0) continue;
            net::unique_fd owned(index_fd);
            struct stat index_st {};
            if (::fstat(index_fd, &index_st) == 0 && S_ISREG(index_st.st_mode)) {
                opened = describe_file(std::move(owned), index_st, index, ctx);
                break;
            }
        }
        if (!opened) return error_response(403);  // a directory without an index; listings are off
    } else {
        if (!S_ISREG(st.st_mode) || trailing_slash) return error_response(404);
        opened = describe_file(std::move(fd), st, decoded_path, ctx);
    }
    http::Response r;
    if (!OpenFileCache::accepts(*opened)) {
        serve_file(request, *opened, r);
    } else {
        serve_file(request, ctx.file_cache.insert(decoded_path, std::move(*opened), now), r);
    }
    return r;
}

}  // namespace

void serve_static(const http::Request& request, const std::string& decoded_path,
                  const StaticContext& ctx, http::Response& response) {
    response.clear();
    switch (request.method_kind) {
        case http::Method::Get:
        case http::Method::Head:
            break;
        case http::Method::Options:
            response.headers.add("Allow", kStaticAllow);
            return;
        case http::Method::Other:
            response = error_response(501);
            return;
        default:
            response = error_response(405);
            response.headers.add("Allow", kStaticAllow);
            return;
    }

    const auto now = OpenFileCache::Clock::now();
    if (const OpenFile* cached = ctx.file_cache.find(decoded_path, now)) {
        serve_file(request, *cached, response);
        return;
    }
    response = serve_uncached(request, decoded_path, ctx, now);
}

http::Response serve_static(const http::Request& request, const std::string& decoded_path,
                            const StaticContext& ctx) {
    http::Response response;
    serve_static(request, decoded_path, ctx, response);
    return response;
}

}  // namespace cgikit::handlers
