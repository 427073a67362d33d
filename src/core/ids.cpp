#include "core/ids.h"

#include <random>

namespace kbr {

std::string NewId(std::string_view name) {
  std::string slug;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      slug.push_back(l);
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
    if (slug.size() >= 34) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "id";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> pick(0, 35);
  slug.push_back('-');
  for (int i = 0; i < 5; ++i) slug.push_back(kAlphabet[pick(rng)]);
  return slug;
}

bool IsDns1123Label(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

bool IsDns1123Subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!IsDns1123Label(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Status ValidateDns1123Label(std::string_view field, std::string_view value, size_t max_len) {
  if (IsDns1123Label(value, max_len)) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + ": '" + std::string(value.substr(0, 80)) +
                                 "' is not a valid name (lower-case letters, digits and '-', starting and ending "
                                 "with a letter or digit, at most " +
                                 std::to_string(max_len) + " characters)");
}

}  // namespace kbr
