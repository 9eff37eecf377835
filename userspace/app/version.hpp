// What `proclife --version` prints: version, commit, and what the kernel must offer.
#pragma once

#include <string>

namespace proclife {

// "proclife 0.1.0 (commit 1a2b3c4)" then the kernel features, one per line.
std::string version_text();

}  // namespace proclife
