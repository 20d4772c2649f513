#include "handlers/open_file_cache.hpp"

#include <algorithm>

namespace cgikit::handlers {

const OpenFile* OpenFileCache::find(std::string_view key, Clock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (now >= it->second.expires) {
        entries_.erase(it);
        return nullptr;
    }
    return &it->second.file;
}

const OpenFile& OpenFileCache::insert(std::string_view key, OpenFile file, Clock::time_point now) {
    if (entries_.size() >= kMaxEntries) purge_expired(now);
    if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());  // any: all are fresh
    auto [it, inserted] =
        entries_.insert_or_assign(std::string(key), Entry{std::move(file), now + kTimeToLive});
    return it->second.file;
}

std::size_t OpenFileCache::open_descriptors() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(),
                      [](const auto& item) { return item.second.file.fd.valid(); }));
}

void OpenFileCache::purge_expired(Clock::time_point now) {
    std::erase_if(entries_, [now](const auto& item) { return now >= item.second.expires; });
}

}  // namespace cgikit::handlers
