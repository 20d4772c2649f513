// upload: multipart/form-data upload of one or more files, answered with each file's name, size,
// type and SHA-256. The library streams the body: each file stays in memory up to 64 KiB and is
// spooled to an unlinked temp file beyond that as it arrives, so memory stays bounded whatever the
// size; the temp files vanish by themselves when the program ends. This program then reads each
// file back once, in chunks, to hash it (form_dump shows the other way: an UploadSink that hashes
// while the body streams in and stores nothing).
#include <cgikit/cgikit.hpp>
#include <string>
#include <vector>

#include "page.hpp"

namespace {

using cgikit::escape_html;

// Reads an upload in chunks of this size: the whole file is never in memory at once.
constexpr std::size_t kReadChunkBytes = 64 * 1024;

std::string sha256_of(const cgikit::Upload& upload) {
    cgikit::Sha256 hash;
    std::vector<char> buffer(kReadChunkBytes);
    std::uint64_t offset = 0;
    for (;;) {
        std::size_t got = 0;
        if (auto error = upload.read_at(offset, buffer.data(), buffer.size(), got)) {
            throw cgikit::HttpError(500, "could not read an upload back: " + error.message);
        }
        if (got == 0) return hash.finish_hex();
        hash.update(buffer.data(), got);
        offset += got;
    }
}

std::string form_html(std::string_view error) {
    std::string html =
        "<p>Choose one or more files. The body is <code>multipart/form-data</code>; the library "
        "spools large files to disk while they arrive.</p>\n"
        "<form class=\"card\" method=\"post\" action=\"\" enctype=\"multipart/form-data\">\n"
        "<div class=\"field\"><label for=\"files\">Files</label>\n"
        "<input type=\"file\" id=\"files\" name=\"files\" multiple>\n";
    if (!error.empty()) {
        html += "<p class=\"error\" id=\"files-error\">" + escape_html(error) + "</p>\n";
    }
    return html +
           "</div>\n<div class=\"field\"><label for=\"note\">Note (optional)</label>\n"
           "<input type=\"text\" id=\"note\" name=\"note\"></div>\n"
           "<button type=\"submit\">Upload</button>\n</form>\n";
}

std::string results_html(const cgikit::Request& request,
                         const std::vector<const cgikit::Upload*>& files) {
    std::string html = "<p class=\"notice ok\" id=\"summary\">Received " +
                       std::to_string(files.size()) + (files.size() == 1 ? " file" : " files");
    if (const auto note = request.form().get_text("note"); note && !note->empty()) {
        html += " with the note “" + escape_html(*note) + "”";
    }
    html +=
        ".</p>\n<table id=\"files\">\n<thead><tr><th>name</th><th class=\"size\">size (bytes)</th>"
        "<th>type</th><th>SHA-256</th></tr></thead>\n<tbody>\n";
    for (const cgikit::Upload* upload : files) {
        // The client's file name and type are untrusted bytes: valid UTF-8 first, then escaped.
        html += "<tr><td class=\"name\">" + escape_html(cgikit::to_valid_utf8(upload->filename())) +
                "</td><td class=\"size\">" + std::to_string(upload->size()) +
                "</td><td class=\"type\">" +
                escape_html(cgikit::to_valid_utf8(upload->content_type())) +
                "</td><td class=\"sha256\"><code>" + sha256_of(*upload) + "</code></td></tr>\n";
    }
    return html + "</tbody>\n</table>\n<p><a href=\"\">Upload more</a></p>\n";
}

void handle(cgikit::Request& request, cgikit::Response& response) {
    if (request.method() != "POST") {
        response.set_body("text/html; charset=utf-8",
                          examples::page("Upload files", form_html({})));
        return;
    }
    // A file input left empty still sends a part, with filename="" and no content.
    std::vector<const cgikit::Upload*> files;
    for (const cgikit::Upload& upload : request.files()) {
        if (!upload.filename().empty() || upload.size() > 0) files.push_back(&upload);
    }
    if (files.empty()) {
        (void)response.set_status(422);
        response.set_body("text/html; charset=utf-8",
                          examples::page("Upload files", form_html("Choose at least one file.")));
        return;
    }
    response.set_body("text/html; charset=utf-8",
                      examples::page("Uploaded files", results_html(request, files)));
}

}  // namespace

int main() {
    return cgikit::run(handle);
}
