#include "handlers/static_file_handler.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

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

http::Response not_modified(std::string etag, const std::string& last_modified) {
    http::Response r;
    r.status = 304;
    r.headers.add("ETag", std::move(etag));
    r.headers.add("Last-Modified", last_modified);
    return r;
}

http::Response serve_file(const http::Request& request, net::unique_fd fd, const struct stat& st,
                          const std::string& name, const StaticContext& ctx) {
    std::string etag = http::make_etag(st);
    std::string last_modified = http::format_http_date(st.st_mtim.tv_sec);
    bool get_or_head =
        request.method_kind == http::Method::Get || request.method_kind == http::Method::Head;
    int precondition =
        http::evaluate_preconditions(request.headers, get_or_head, etag, st.st_mtim.tv_sec);
    if (precondition == 304) return not_modified(std::move(etag), last_modified);
    if (precondition != 0) return error_response(precondition);

    auto size = static_cast<std::uint64_t>(st.st_size);
    http::Response r;
    r.headers.add("Content-Type", std::string(ctx.mime->content_type(name)));
    r.headers.add("ETag", etag);
    r.headers.add("Last-Modified", last_modified);
    r.headers.add("Accept-Ranges", "bytes");
    http::FileBody body{std::move(fd), 0, size};

    auto range_header = request.headers.get("Range");
    auto if_range = request.headers.get("If-Range");
    if (range_header && request.method_kind == http::Method::Get &&
        (!if_range || http::if_range_allows(*if_range, etag, st.st_mtim.tv_sec))) {
        auto range = http::parse_range(*range_header, size);
        switch (range.outcome) {
            case http::RangeOutcome::Ignore:
                break;
            case http::RangeOutcome::Satisfiable:
                r.status = 206;
                r.headers.add("Content-Range", http::content_range(range.range, size));
                body.offset = range.range.first;
                body.length = range.range.length;
                break;
            case http::RangeOutcome::Unsatisfiable: {
                http::Response refused = error_response(416);
                refused.headers.add("Content-Range", http::unsatisfied_content_range(size));
                return refused;
            }
        }
    }
    r.body = std::move(body);
    return r;
}

http::Response redirect_to_directory(const http::Request& request, const std::string& path) {
    http::Response r = error_response(301);
    std::string location = http::percent_encode_path(path) + "/";
    if (request.has_query) location += "?" + request.query;
    r.headers.add("Location", std::move(location));
    return r;
}

int errno_to_status(int err) {
    switch (err) {
        case EACCES:
        case EPERM:
            return 403;
        case ENAMETOOLONG:
            return 414;
        default:  // ENOENT, ENOTDIR, EXDEV (outside the root), ELOOP (symlink loop)
            return 404;
    }
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

http::Response serve_static(const http::Request& request, const std::string& decoded_path,
                            const StaticContext& ctx) {
    switch (request.method_kind) {
        case http::Method::Get:
        case http::Method::Head:
            break;
        case http::Method::Options: {
            http::Response r;
            r.headers.add("Allow", kStaticAllow);
            return r;
        }
        case http::Method::Other: {
            http::Response r = error_response(501);
            return r;
        }
        default: {
            http::Response r = error_response(405);
            r.headers.add("Allow", kStaticAllow);
            return r;
        }
    }

    std::string relative = decoded_path.size() > 1 ? decoded_path.substr(1) : ".";
    bool trailing_slash = decoded_path.back() == '/';
    if (trailing_slash && relative.size() > 1) relative.pop_back();

    int raw = open_beneath(ctx.root_fd, relative, O_RDONLY | O_NOCTTY);
    if (raw < 0) return error_response(errno_to_status(-raw));
    net::unique_fd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return error_response(500);

    if (S_ISDIR(st.st_mode)) {
        if (!trailing_slash) return redirect_to_directory(request, decoded_path);
        for (const auto& index : *ctx.index_files) {
            int index_fd =
                ::openat(fd.get(), index.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
            if (index_fd < 0) continue;
            net::unique_fd owned(index_fd);
            struct stat index_st {};
            if (::fstat(index_fd, &index_st) == 0 && S_ISREG(index_st.st_mode)) {
                return serve_file(request, std::move(owned), index_st, index, ctx);
            }
        }
        return error_response(403);  // a directory without an index; listings are off
    }
    if (!S_ISREG(st.st_mode) || trailing_slash) return error_response(404);
    return serve_file(request, std::move(fd), st, decoded_path, ctx);
}

}  // namespace cgikit::handlers
