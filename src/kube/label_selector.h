// Label selectors in the Kubernetes string syntax: `a=b`, `a==b`, `a!=b`,
// `a in (x,y)`, `a notin (x)`, `a` (exists), `!a` (does not exist), joined
// by commas (AND). Used to match objects in the informer cache the way the
// apiserver would.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kbr::kube {

class LabelSelector {
 public:
  // InvalidArgument naming the offending term, e.g.
  // "label selector 'a in x': expected '(' after 'in'".
  static Result<LabelSelector> Parse(std::string_view text);

  bool Matches(const std::map<std::string, std::string>& labels) const;
  // Matches obj.metadata.labels.
  bool Matches(const boost::json::value& obj) const;
  bool empty() const { return terms_.empty(); }

 private:
  enum class Op { kEq, kNotEq, kIn, kNotIn, kExists, kNotExists };
  struct Term {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

std::map<std::string, std::string> LabelsOf(const boost::json::value& obj);

}  // namespace kbr::kube
