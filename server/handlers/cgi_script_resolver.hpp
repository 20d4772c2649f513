#pragma once
// Finding the script a request names (issue 3, "Mapping"; RFC 3875 §3.3, §4.1.5, §4.1.13).
//
// The path is walked one segment at a time below the mapped directory; the first segment naming a
// regular file is the script and the rest of the path is PATH_INFO. Rules:
//   - missing segment (or one below a file that is not a directory)           -> 404
//   - the path ends on a directory (including the mapping's own directory)    -> 403
//     (a CGI directory is never listed and has no index script)
//   - a regular file that the server's effective uid cannot execute          -> 403
//     (never its source)
//   - a symlink whose target leaves the mapped directory (or the docroot)    -> 403; symlinks
//     that stay inside are followed (nph-foo -> foo is a common trick)
//   - anything that is neither a directory nor a regular file (fifo, device) -> 403
//   - a "." / ".." / NUL segment (the caller normalises; this is defence)     -> 404
// Nothing here opens a file for reading; it only looks at metadata. The checks are racy against
// someone rewriting the CGI directory concurrently, which only its administrator can do.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/cgi_settings.hpp"

namespace cgikit::handlers {

struct CgiScript {
    std::string filename;     // absolute path of the script (SCRIPT_FILENAME), not symlink-resolved
    std::string script_name;  // URL path of the script, e.g. /cgi-bin/sub/env.sh (SCRIPT_NAME)
    std::string path_info;    // decoded rest after the script, "" when none (PATH_INFO)
    std::string directory;    // the directory holding the script: the child's working directory
    bool nph = false;         // file name starts with "nph-": the script writes the whole response
    // Apache's CONTEXT_PREFIX / CONTEXT_DOCUMENT_ROOT: the URL prefix and the directory it maps
    // to, such that context_document_root + (script_name minus context_prefix) == filename.
    // Mapping /cgi-bin/=/srv/cgi: "/cgi-bin/" and "/srv/cgi/". Extension mapping: "" and docroot.
    std::string context_prefix;
    std::string context_document_root;
};

struct CgiScriptLookup {
    int status = 404;  // 200: `script` is valid; otherwise the response status (403 or 404)
    CgiScript script;
    bool found() const noexcept { return status == 200; }
};

// The mapping whose prefix is the longest one `decoded_path` starts with, or nullptr.
const CgiMapping* find_cgi_mapping(const std::vector<CgiMapping>& mappings,
                                   std::string_view decoded_path) noexcept;

// `decoded_path` is the decoded, normalised request path and must start with mapping.prefix,
// e.g. "/cgi-bin/sub/env.sh/extra/path" for prefix "/cgi-bin/".
CgiScriptLookup resolve_cgi_script(const CgiMapping& mapping, std::string_view decoded_path);

// Extension mapping (CgiSettings::extensions, e.g. {".cgi", ".py"}): walks `decoded_path` under
// `docroot` (absolute, no trailing slash); the first segment that is a regular file decides.
// std::nullopt when the request is not for a CGI script: the list is empty, that file does not
// end in one of the extensions, or no segment names a regular file (missing path, directory) —
// the static file handler then answers. Otherwise a lookup as above (200, or 403 when the script
// is not executable or a symlink leaves the docroot).
std::optional<CgiScriptLookup> resolve_by_extension(std::string_view docroot,
                                                    std::string_view decoded_path,
                                                    const std::vector<std::string>& extensions);

}  // namespace cgikit::handlers
