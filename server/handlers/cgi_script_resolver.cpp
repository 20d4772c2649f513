#include "handlers/cgi_script_resolver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace cgikit::handlers {

namespace {

enum class WalkOutcome {
    FoundFile,         // a regular file (directly or through a symlink that stays inside)
    EndedOnDirectory,  // every segment was a directory
    Missing,           // a segment does not exist
    BadSegment,        // ".", ".." or NUL: the caller should have normalised the path
    Escapes,           // a symlink resolving outside the root
    NotRegular,        // fifo, socket, device, or metadata we may not read
};

struct WalkResult {
    WalkOutcome outcome = WalkOutcome::Missing;
    std::size_t segment_end = 0;  // offset in the path just after the deciding segment
    std::string filename;         // root + the segments up to the deciding one
    std::string directory;        // the directory holding it
};

// The canonical absolute form of `path` (symlinks resolved), or "" when it cannot be resolved.
std::string canonical_path(const std::string& path) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) return {};
    return resolved;
}

bool is_inside(std::string_view root, std::string_view path) noexcept {
    if (root == "/") return true;
    return path == root ||
           (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '/');
}

bool missing_errno(int error) noexcept {
    return error == ENOENT || error == ENOTDIR || error == ENAMETOOLONG;
}

// Walks the '/'-separated segments of `path` from `offset` below `root`, stopping at the first
// segment that is not a directory.
WalkResult walk_to_file(const std::string& root, std::string_view path, std::size_t offset) {
    WalkResult result;
    std::string root_real;  // resolved at the first symlink only: most paths have none

    std::string current = root;
    std::size_t position = offset;
    while (position < path.size()) {
        std::size_t slash = path.find('/', position);
        std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        std::string_view segment = path.substr(position, end - position);
        position = end + 1;
        if (segment.empty()) continue;

        result.segment_end = end;
        if (segment == "." || segment == ".." || segment.find('\0') != std::string_view::npos) {
            result.outcome = WalkOutcome::BadSegment;
            return result;
        }
        std::string candidate = current + "/" + std::string(segment);
        result.filename = candidate;
        result.directory = current;

        struct stat info {};
        if (::lstat(candidate.c_str(), &info) != 0) {
            result.outcome = missing_errno(errno) ? WalkOutcome::Missing : WalkOutcome::NotRegular;
            return result;
        }
        if (S_ISLNK(info.st_mode)) {
            std::string target = canonical_path(candidate);
            if (target.empty()) {  // dangling or looping link
                result.outcome =
                    missing_errno(errno) ? WalkOutcome::Missing : WalkOutcome::NotRegular;
                return result;
            }
            if (root_real.empty()) root_real = canonical_path(root);
            if (root_real.empty() || !is_inside(root_real, target)) {
                result.outcome = WalkOutcome::Escapes;
                return result;
            }
            if (::stat(target.c_str(), &info) != 0) {
                result.outcome = WalkOutcome::Missing;
                return result;
            }
        }
        if (S_ISDIR(info.st_mode)) {
            current = std::move(candidate);
            continue;
        }
        result.outcome = S_ISREG(info.st_mode) ? WalkOutcome::FoundFile : WalkOutcome::NotRegular;
        return result;
    }
    result.outcome = WalkOutcome::EndedOnDirectory;
    return result;
}

bool executable_by_server(const std::string& filename) noexcept {
    // AT_EACCESS: the effective uid, the one that will exec the script.
    return ::faccessat(AT_FDCWD, filename.c_str(), X_OK, AT_EACCESS) == 0;
}

// A lookup for a file the walk found; 403 when the server cannot execute it.
CgiScriptLookup lookup_for_file(WalkResult walk, std::string_view decoded_path,
                                std::string context_prefix, std::string context_document_root) {
    CgiScriptLookup lookup;
    if (!executable_by_server(walk.filename)) {
        lookup.status = 403;
        return lookup;
    }
    lookup.status = 200;
    CgiScript& script = lookup.script;
    script.script_name = std::string(decoded_path.substr(0, walk.segment_end));
    script.path_info = std::string(decoded_path.substr(walk.segment_end));
    std::string_view base = script.script_name;
    base.remove_prefix(base.rfind('/') + 1);
    script.nph = base.starts_with("nph-");
    script.filename = std::move(walk.filename);
    script.directory = std::move(walk.directory);
    script.context_prefix = std::move(context_prefix);
    script.context_document_root = std::move(context_document_root);
    return lookup;
}

bool has_extension(std::string_view name, const std::vector<std::string>& extensions) noexcept {
    for (const auto& extension : extensions) {
        if (!extension.empty() && name.size() > extension.size() && name.ends_with(extension)) {
            return true;
        }
    }
    return false;
}

// True when some segment of `path` ends in one of the extensions: without one, no syscalls.
bool any_segment_has_extension(std::string_view path,
                               const std::vector<std::string>& extensions) noexcept {
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        if (has_extension(path.substr(0, slash), extensions)) return true;
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return false;
}

}  // namespace

const CgiMapping* find_cgi_mapping(const std::vector<CgiMapping>& mappings,
                                   std::string_view decoded_path) noexcept {
    const CgiMapping* best = nullptr;
    for (const auto& mapping : mappings) {
        if (!decoded_path.starts_with(mapping.prefix)) continue;
        if (best == nullptr || mapping.prefix.size() > best->prefix.size()) best = &mapping;
    }
    return best;
}

CgiScriptLookup resolve_cgi_script(const CgiMapping& mapping, std::string_view decoded_path) {
    CgiScriptLookup lookup;
    if (mapping.prefix.empty() || !decoded_path.starts_with(mapping.prefix)) return lookup;

    WalkResult walk = walk_to_file(mapping.directory, decoded_path, mapping.prefix.size());
    switch (walk.outcome) {
        case WalkOutcome::FoundFile:
            return lookup_for_file(std::move(walk), decoded_path, mapping.prefix,
                                   mapping.directory + "/");
        case WalkOutcome::Missing:
        case WalkOutcome::BadSegment:
            lookup.status = 404;
            return lookup;
        case WalkOutcome::EndedOnDirectory:
        case WalkOutcome::Escapes:
        case WalkOutcome::NotRegular:
            lookup.status = 403;
            return lookup;
    }
    return lookup;
}

std::optional<CgiScriptLookup> resolve_by_extension(std::string_view docroot,
                                                    std::string_view decoded_path,
                                                    const std::vector<std::string>& extensions) {
    if (extensions.empty() || !decoded_path.starts_with('/')) return std::nullopt;
    if (!any_segment_has_extension(decoded_path, extensions)) return std::nullopt;

    WalkResult walk = walk_to_file(std::string(docroot), decoded_path, 1);
    std::string_view segment = decoded_path.substr(0, walk.segment_end);
    segment.remove_prefix(segment.rfind('/') + 1);
    switch (walk.outcome) {
        case WalkOutcome::FoundFile:
            if (!has_extension(segment, extensions)) return std::nullopt;
            return lookup_for_file(std::move(walk), decoded_path, "", std::string(docroot));
        case WalkOutcome::Escapes:
            // A script link leaving the docroot is refused here, so that no handler serves it.
            if (!has_extension(segment, extensions)) return std::nullopt;
            return CgiScriptLookup{403, {}};
        case WalkOutcome::Missing:
        case WalkOutcome::BadSegment:
        case WalkOutcome::EndedOnDirectory:
        case WalkOutcome::NotRegular:
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace cgikit::handlers
