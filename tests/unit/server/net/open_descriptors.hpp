#pragma once
// Counting this process's open descriptors, to prove that a piece of code leaks none.
#include <dirent.h>

#include <cstddef>

namespace cgikit::net::testing {

// Entries in /proc/self/fd, less the one opendir() itself holds while reading it.
inline std::size_t open_descriptor_count() {
    DIR* directory = ::opendir("/proc/self/fd");
    if (directory == nullptr) return 0;
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(directory)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(directory);
    return count - 1;
}

}  // namespace cgikit::net::testing
