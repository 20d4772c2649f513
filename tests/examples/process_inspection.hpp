#pragma once
// Looking at another process through /proc: its sockets, its children and their states.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "eventually.hpp"

namespace cgikit::testing {

inline std::vector<std::string> directory_entries(const std::string& path) {
    std::vector<std::string> names;
    DIR* directory = ::opendir(path.c_str());
    if (directory == nullptr) return names;
    while (const dirent* entry = ::readdir(directory)) {
        if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
    }
    ::closedir(directory);
    return names;
}

// The sockets process `pid` has open.
inline int socket_count(pid_t pid) {
    const std::string fd_directory = "/proc/" + std::to_string(pid) + "/fd/";
    int sockets = 0;
    for (const auto& name : directory_entries(fd_directory)) {
        char target[256];
        const ssize_t length = ::readlink((fd_directory + name).c_str(), target, sizeof target - 1);
        if (length > 0 &&
            std::string_view(target, static_cast<std::size_t>(length)).starts_with("socket:")) {
            ++sockets;
        }
    }
    return sockets;
}

// The children of every thread of `pid`.
inline std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> children;
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task/";
    for (const auto& task : directory_entries(tasks)) {
        std::ifstream list(tasks + task + "/children");
        pid_t child = 0;
        while (list >> child)
            children.push_back(child);
    }
    return children;
}

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z' for a zombie ...), '?' when gone.
inline char state_of(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // the command name may contain anything
    if (close == std::string::npos || close + 2 >= text.size()) return '?';
    return text[close + 2];
}

inline int zombie_children(pid_t pid) {
    int zombies = 0;
    for (const pid_t child : children_of(pid))
        zombies += state_of(child) == 'Z' ? 1 : 0;
    return zombies;
}

// Another process's state changes when it gets round to it: look with the tests' eventually().
using test::eventually;

}  // namespace cgikit::testing
