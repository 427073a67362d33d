#include "kube/yaml.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace kbr::kube {

namespace bj = boost::json;

namespace {

bj::value ScalarToJson(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return bj::value(s);  // quoted
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(s, kInt)) {
    errno = 0;
    long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == 0) return v;
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return bj::value(s);
}

bj::value NodeToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      bj::object o;
      for (const auto& kv : n) o[kv.first.as<std::string>()] = NodeToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      bj::array a;
      for (const auto& item : n) a.push_back(NodeToJson(item));
      return a;
    }
    case YAML::NodeType::Scalar:
      return ScalarToJson(n);
    default:
      return nullptr;
  }
}

}  // namespace

Result<std::vector<bj::value>> ParseYamlDocuments(const std::string& text, const std::string& origin) {
  std::vector<bj::value> out;
  try {
    for (const auto& doc : YAML::LoadAll(text)) {
      if (!doc.IsDefined() || doc.IsNull()) continue;
      out.push_back(NodeToJson(doc));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                                   e.msg);
  }
  return out;
}

Result<std::vector<bj::value>> ReadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseYamlDocuments(ss.str(), path);
}

}  // namespace kbr::kube
