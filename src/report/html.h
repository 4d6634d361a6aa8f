// Internal: small text helpers for report.html.
#pragma once

#include <string>
#include <string_view>

namespace gradnet::report {

// &, <, >, " and ' as entities: safe in element text and in quoted attributes.
std::string escape(std::string_view text);
// RFC 4648 base64 with padding (for data: URIs).
std::string base64(std::string_view bytes);
// A number for people: "0.9812", "1.2e-04", "-" for NaN.
std::string num(double v, int digits = 4);
// The stylesheet of report.html, shared by every gradnet page: sections as cards, charts, tables,
// callouts.
const char* page_css();

}  // namespace gradnet::report
