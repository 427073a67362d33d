// Standard base64 (RFC 4648, with padding), as Kubernetes Secret data and
// kubeconfig *-data fields use it.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace kbr {

std::string Base64Encode(std::string_view in);
// Whitespace is ignored; InvalidArgument on characters outside the alphabet.
Result<std::string> Base64Decode(std::string_view in);

}  // namespace kbr
