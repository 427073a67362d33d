#include "kube/label_selector.h"

#include <algorithm>

#include "core/json.h"

namespace kbr::kube {

namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTerms(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (s[i] == ',' && depth == 0)) {
      out.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    } else if (s[i] == '(') {
      ++depth;
    } else if (s[i] == ')') {
      --depth;
    }
  }
  return out;
}

bool ValidKey(const std::string& k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (const std::string& raw : SplitTerms(text)) {
    auto fail = [&](const std::string& why) {
      return Status::InvalidArgument("label selector '" + raw + "': " + why);
    };
    if (raw.empty()) return Status::InvalidArgument("label selector '" + std::string(text) + "': empty term");
    Term t;
    size_t pos;
    if (raw[0] == '!') {
      t.key = Trim(raw.substr(1));
      t.op = Op::kNotExists;
    } else if ((pos = raw.find("!=")) != std::string::npos) {
      t.key = Trim(raw.substr(0, pos));
      t.op = Op::kNotEq;
      t.values.push_back(Trim(raw.substr(pos + 2)));
    } else if ((pos = raw.find("==")) != std::string::npos) {
      t.key = Trim(raw.substr(0, pos));
      t.op = Op::kEq;
      t.values.push_back(Trim(raw.substr(pos + 2)));
    } else if ((pos = raw.find('=')) != std::string::npos) {
      t.key = Trim(raw.substr(0, pos));
      t.op = Op::kEq;
      t.values.push_back(Trim(raw.substr(pos + 1)));
    } else if ((pos = raw.find(" notin ")) != std::string::npos || (pos = raw.find(" in ")) != std::string::npos) {
      bool notin = raw.compare(pos, 7, " notin ") == 0;
      t.key = Trim(raw.substr(0, pos));
      t.op = notin ? Op::kNotIn : Op::kIn;
      std::string rest = Trim(raw.substr(pos + (notin ? 7 : 4)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
        return fail(std::string("expected '(' ... ')' after '") + (notin ? "notin" : "in") + "'");
      }
      for (const auto& v : SplitTerms(std::string_view(rest).substr(1, rest.size() - 2))) t.values.push_back(v);
    } else {
      t.key = Trim(raw);
      t.op = Op::kExists;
    }
    if (!ValidKey(t.key)) return fail("invalid label key '" + t.key + "'");
    sel.terms_.push_back(std::move(t));
  }
  return sel;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Term& t : terms_) {
    auto it = labels.find(t.key);
    bool has = it != labels.end();
    bool in = has && std::find(t.values.begin(), t.values.end(), it->second) != t.values.end();
    switch (t.op) {
      case Op::kEq:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEq:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::map<std::string, std::string> LabelsOf(const boost::json::value& obj) {
  std::map<std::string, std::string> out;
  if (const auto* l = json::Find(obj, "metadata.labels"); l && l->is_object()) {
    for (const auto& [k, v] : l->as_object()) {
      if (v.is_string()) out.emplace(std::string(k), std::string(v.get_string()));
    }
  }
  return out;
}

bool LabelSelector::Matches(const boost::json::value& obj) const { return Matches(LabelsOf(obj)); }

}  // namespace kbr::kube
