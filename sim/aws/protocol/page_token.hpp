#pragma once
// Opaque paging tokens (NextToken, Marker) shared by the api layers: a token wraps the engine's
// "resume after this key" so clients cannot mistake it for a name, and a token that was not
// issued here is recognised as invalid (each service answers its own AWS error for it).

#include <optional>
#include <string>
#include <string_view>

namespace sim::aws::protocol {

std::string EncodePageToken(std::string_view key);
/// The key inside `token`; nullopt when `token` is not one EncodePageToken made.
std::optional<std::string> DecodePageToken(std::string_view token);

}  // namespace sim::aws::protocol
