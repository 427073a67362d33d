// YAML manifests to JSON objects: multi-document YAML as kubectl reads it.
// Plain scalars are typed as YAML 1.2 core schema does (true/false, null/~,
// integers, floats); quoted scalars stay strings. Empty documents are skipped.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "core/status.h"

namespace kbr::kube {

// InvalidArgument "<origin>: invalid YAML at line N: ..." on a syntax error.
Result<std::vector<boost::json::value>> ParseYamlDocuments(const std::string& text, const std::string& origin);

// Reads and parses a file (NotFound if unreadable).
Result<std::vector<boost::json::value>> ReadYamlFile(const std::string& path);

}  // namespace kbr::kube
