#include "html.h"

#include <cmath>

#include <fmt/format.h>

namespace gradnet::report {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += table[v >> 6 & 63];
    out += table[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | (two ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += two ? table[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::string num(double v, int digits) {
  if (std::isnan(v)) return "-";
  if (v != 0 && (std::fabs(v) < 1e-3 || std::fabs(v) >= 1e6)) return fmt::format("{:.{}e}", v, std::max(1, digits - 3));
  return fmt::format("{:.{}f}", v, digits);
}

}  // namespace gradnet::report
