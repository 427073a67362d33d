// Object ids and name validation (DESIGN.md section 3): ids are DNS-1123
// labels of at most 40 characters made from a slug of the display name plus
// 5 random characters, e.g. "mysql-daily-backup-x7k2p".
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace kbr {

// Lower-cases, maps runs of other characters to '-', trims to 34 characters
// and appends "-" + 5 random [a-z0-9]. A name with no usable character gives
// "id-<5 random>".
std::string NewId(std::string_view display_name);

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most max_len (63 for Kubernetes labels).
bool IsDns1123Label(std::string_view s, size_t max_len = 63);
// Lower-case dot-separated labels, at most 253 characters.
bool IsDns1123Subdomain(std::string_view s);

// InvalidArgument "<field>: '<value>' is not a valid name (lower-case letters,
// digits and '-', starting and ending with a letter or digit, at most N characters)".
Status ValidateDns1123Label(std::string_view field, std::string_view value, size_t max_len = 63);

}  // namespace kbr
