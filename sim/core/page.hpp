#pragma once
// One page of a listing kept in a sorted map: engines page by key ("resume after this key"),
// the api layers turn the key into the service's opaque NextToken / Marker.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sim::core {

template <typename T>
struct Page {
    std::vector<T> items;
    std::optional<std::string> next;  ///< set when more items follow: the key to resume after
};

/// The entries of `map` (sorted by key) after key `after` ("" = from the start) that `keep`
/// accepts, at most `limit` of them, each turned into a page item by `make`.
template <typename T, typename Map, typename Keep, typename Make>
Page<T> PageOf(const Map& map, const std::string& after, std::size_t limit, Keep keep, Make make) {
    Page<T> page;
    auto it = after.empty() ? map.begin() : map.upper_bound(after);
    std::string last;
    for (; it != map.end(); ++it) {
        if (!keep(it->second)) continue;
        if (page.items.size() == limit) {
            page.next = last;
            break;
        }
        page.items.push_back(make(it->second));
        last = it->first;
    }
    return page;
}

}  // namespace sim::core
