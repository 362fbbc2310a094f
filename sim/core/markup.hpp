#pragma once
// Escaping text for XML and HTML reports (JUnit XML, the load report page).

#include <string>
#include <string_view>

namespace sim::core {

/// `text` safe inside XML/HTML element content and double-quoted attributes: & < > " escaped, and
/// the control characters XML 1.0 forbids even escaped (all below 0x20 but tab, LF, CR) as '?'.
std::string EscapeMarkup(std::string_view text);

}  // namespace sim::core
