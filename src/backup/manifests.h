// The manifests under deploy/ compiled into the binary, keyed by their path
// relative to deploy/ ("crds/statefulmigrations.yaml").
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace kbr {

const std::map<std::string, std::string_view>& EmbeddedManifests();

}  // namespace kbr
