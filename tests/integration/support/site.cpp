#include "site.hpp"

namespace cgikit::test {

Site::Site(const std::vector<SiteFile>& extra_files) {
    dir.write("hello.txt", "hello world\n");
    dir.write("index.html", "<h1>home</h1>\n");
    for (const auto& file : extra_files)
        dir.write(file.path, file.content);
}

}  // namespace cgikit::test
