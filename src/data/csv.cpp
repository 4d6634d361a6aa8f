// CSV reader: the whole (decompressed) file is read once, split into lines and fields as
// string_views, and numbers parsed with std::from_chars (locale-independent, no allocation).
#include "gradnet/data/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <string_view>

#include "gradnet/error.h"
#include "input_file.h"

namespace gradnet {

namespace {

constexpr double kMaxLabel = 1e6;  // an integer label above this is a regression target, not a class

struct Line {
  Index number;           // 1-based line number in the file
  std::string_view text;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// Non-blank records, numbered by the line they start on. A quoted field may hold commas and line
// breaks (RFC 4180: "a, b", "say ""hi""").
std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  Index number = 1;
  while (!text.empty()) {
    std::size_t end = 0;
    bool quoted = false;
    for (;;) {
      end = text.find_first_of(quoted ? "\"" : "\n\"", end);
      if (end == std::string_view::npos || text[end] == '\n') break;
      quoted = !quoted;
      ++end;
    }
    const std::string_view line = text.substr(0, end);
    if (!trim(line).empty()) lines.push_back({number, line});
    number += 1 + std::count(line.begin(), line.end(), '\n');
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// Fields split at commas outside quotes; a quoted field's quotes are removed (its "" stay doubled:
// unquote() turns them into one).
void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    std::size_t i = start;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {  // to the closing quote; a doubled quote is part of the field
      for (++i; i < line.size(); ++i) {
        if (line[i] != '"') continue;
        if (i + 1 < line.size() && line[i + 1] == '"') ++i;
        else break;
      }
    }
    const std::size_t comma = line.find(',', std::min(i, line.size()));
    fields.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

std::string unquote(std::string_view s) {
  std::string out(s);
  for (std::size_t i = out.find("\"\""); i != std::string::npos; i = out.find("\"\"", i + 1)) out.erase(i, 1);
  return out;
}

enum class Number { ok, not_number, not_finite, beyond_float };

// Features become floats: a value beyond float's range would become inf there.
Number parse_number(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars rejects a leading '+'
  if (s.empty()) return Number::not_number;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (end != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) return Number::not_number;
  if (ec == std::errc::result_out_of_range) {  // beyond double's range (1e999) or below it (1e-999): strtod says which
    out = std::strtod(std::string(s).c_str(), nullptr);
    if (std::isinf(out)) return Number::beyond_float;
  }
  if (!std::isfinite(out)) return Number::not_finite;
  return std::fabs(out) > std::numeric_limits<float>::max() ? Number::beyond_float : Number::ok;
}

// Number-like (a header has none of these outside the label): nan and 1e999 are data, only wrong.
bool is_number(std::string_view s) {
  double v;
  return parse_number(s, v) != Number::not_number;
}

// "line 3, column 2: '1e39' is beyond the float range ...", for a feature field that is not ok.
std::string feature_problem(Number n, std::string_view field) {
  switch (n) {
    case Number::not_finite: return fmt::format("'{}' is not a finite number", clip(field));
    case Number::beyond_float:
      return fmt::format("'{}' is beyond the float range (magnitude at most {:.4g})", clip(field),
                         std::numeric_limits<float>::max());
    default: return fmt::format("'{}' is not a number", clip(field));
  }
}

// Resolves a Python-style column index against a row of `columns` fields; -1 if out of range.
Index resolve_column(Index column, Index columns) {
  const Index c = column < 0 ? columns + column : column;
  return c >= 0 && c < columns ? c : -1;
}

std::string read_text(const std::string& path) {
  data_detail::InputFile f(path);
  std::vector<unsigned char> bytes;
  f.read_rest(bytes);
  GRADNET_CHECK(!f.truncated_gzip(), data, "{}: the gzip stream ends early (truncated download?)", path);
  const std::size_t bom = bytes.size() >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
  return std::string(bytes.begin() + static_cast<std::ptrdiff_t>(bom), bytes.end());  // a UTF-8 BOM is not data
}

// "auto": a header has a non-numeric feature field, or a text label where the data has numbers.
bool looks_like_header(const std::vector<Line>& lines, Index label_column) {
  std::vector<std::string_view> first, second;
  split_fields(lines[0].text, first);
  const Index label = resolve_column(label_column, static_cast<Index>(first.size()));
  for (Index c = 0; c < static_cast<Index>(first.size()); ++c)
    if (c != label && !is_number(first[c])) return true;
  if (label < 0 || is_number(first[label]) || lines.size() < 2) return false;
  split_fields(lines[1].text, second);
  const Index label2 = resolve_column(label_column, static_cast<Index>(second.size()));
  return label2 >= 0 && is_number(second[label2]);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 30; ++i) out += (i ? ", " : "") + names[i];
  return names.size() > 30 ? out + ", ..." : out;
}

}  // namespace

Dataset load_csv(const std::string& path, Index label_column, CsvHeader header,
                 const std::vector<std::string>& class_names) {
  const std::string text = read_text(path);
  std::vector<Line> lines = split_lines(text);
  GRADNET_CHECK(!lines.empty(), data, "{}: empty file (no data rows)", path);

  std::vector<std::string_view> header_fields, fields;
  const bool has_header =
      header == CsvHeader::skip || (header == CsvHeader::automatic && looks_like_header(lines, label_column));
  if (has_header) {
    split_fields(lines[0].text, header_fields);
    lines.erase(lines.begin());
  }
  GRADNET_CHECK(!lines.empty(), data, "{}: empty file (a header line, no data rows)", path);

  split_fields(lines[0].text, fields);
  const Index columns = static_cast<Index>(fields.size());
  GRADNET_CHECK(columns >= 2, data, "{}: line {}: {} column, expected at least one feature and a label", path,
                lines[0].number, columns);
  const Index label = resolve_column(label_column, columns);
  GRADNET_CHECK(label >= 0, config, "{}: label_column = {} is outside the {} columns of line {} (0..{}, or -1 for the last)",
                path, label_column, columns, lines[0].number, columns - 1);
  const bool text_labels = !is_number(fields[label]);

  Dataset d;
  d.source = path;
  d.shape = {columns - 1};
  std::vector<float> x;
  x.reserve(lines.size() * static_cast<std::size_t>(columns - 1));
  std::vector<std::string> label_text;
  for (const Line& line : lines) {
    split_fields(line.text, fields);
    GRADNET_CHECK(static_cast<Index>(fields.size()) == columns, data,
                  "{}: line {}: {} columns, expected {} (as on line {})", path, line.number, fields.size(), columns,
                  lines[0].number);
    for (Index c = 0; c < columns; ++c) {
      double v = 0;
      const Number parsed = parse_number(fields[c], v);
      if (c != label) {
        GRADNET_CHECK(parsed == Number::ok, data, "{}: line {}, column {}: {}", path, line.number, c + 1,
                      feature_problem(parsed, fields[c]));
        x.push_back(static_cast<float>(v));
      } else if (text_labels) {
        label_text.push_back(unquote(fields[c]));
      } else {
        GRADNET_CHECK(parsed == Number::ok || parsed == Number::beyond_float, data,
                      "{}: line {}, column {}: label '{}' is not a number (line {} has a numeric label)", path,
                      line.number, c + 1, clip(fields[c]), lines[0].number);
        GRADNET_CHECK(v >= 0, data, "{}: line {}, column {}: label {} is negative; labels are 0..K-1", path, line.number,
                      c + 1, clip(fields[c]));
        GRADNET_CHECK(v == std::floor(v) && v <= kMaxLabel, data,
                      "{}: line {}, column {}: label {} is not a class index (an integer 0..{})", path, line.number,
                      c + 1, clip(fields[c]), kMaxLabel);
        d.y.push_back(static_cast<std::int32_t>(v));
      }
    }
  }
  const Index rows = static_cast<Index>(lines.size());
  d.x = Tensor<float>({rows, columns - 1});
  d.x.assign(std::move(x));  // the same size: rows * (columns - 1) values were pushed

  if (text_labels) {
    std::vector<std::string> names = class_names;
    if (names.empty()) {
      names = label_text;
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
    }
    std::map<std::string, std::int32_t> index;
    for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i], static_cast<std::int32_t>(i));
    d.y.reserve(label_text.size());
    for (std::size_t i = 0; i < label_text.size(); ++i) {
      const auto it = index.find(label_text[i]);
      GRADNET_CHECK(it != index.end(), data, "{}: line {}, column {}: label '{}' is not one of the classes ({})", path,
                    lines[i].number, label + 1, clip(label_text[i]), join_names(names));
      d.y.push_back(it->second);
    }
    d.classes = static_cast<Index>(names.size());
    d.class_names = std::move(names);
  } else {
    d.classes = d.y.empty() ? 0 : *std::max_element(d.y.begin(), d.y.end()) + 1;
    // sklearn's "150,4,setosa,versicolor,virginica": names follow the two counts.
    if (header_fields.size() >= 3 && static_cast<Index>(header_fields.size()) - 2 == d.classes)
      for (std::size_t i = 2; i < header_fields.size(); ++i) d.class_names.emplace_back(header_fields[i]);
  }
  return d;
}

Dataset load_csv_features(const std::string& path, Index features, Index label_column) {
  GRADNET_CHECK(features > 0, shape, "{}: the model takes {} features", path, features);
  const std::string text = read_text(path);
  std::vector<Line> lines = split_lines(text);
  std::vector<std::string_view> fields;
  if (!lines.empty()) {  // a header: any non-numeric field outside the (text-able) label column
    split_fields(lines[0].text, fields);
    const Index n = static_cast<Index>(fields.size());
    const Index skip = n == features + 1 ? resolve_column(label_column, n) : -1;
    for (Index c = 0; c < n; ++c)
      if (c != skip && !is_number(fields[c])) {
        lines.erase(lines.begin());
        break;
      }
  }
  GRADNET_CHECK(!lines.empty(), data, "{}: empty file (no rows of features)", path);
  Dataset d;
  d.source = path;
  d.shape = {features};
  d.x.resize({static_cast<Index>(lines.size()), features});
  float* x = d.x.data();
  for (const Line& line : lines) {
    split_fields(line.text, fields);
    const Index n = static_cast<Index>(fields.size());
    GRADNET_CHECK(n == features || n == features + 1, data,
                  "{}: line {}: {} columns, expected {} features (or {} with a label column)", path, line.number, n,
                  features, features + 1);
    const Index skip = n == features ? -1 : resolve_column(label_column, n);
    for (Index c = 0; c < n; ++c) {
      if (c == skip) continue;
      double v = 0;
      const Number parsed = parse_number(fields[c], v);
      GRADNET_CHECK(parsed == Number::ok, data, "{}: line {}, column {}: {}", path, line.number, c + 1,
                    feature_problem(parsed, fields[c]));
      *x++ = static_cast<float>(v);
    }
  }
  d.y.assign(lines.size(), 0);
  return d;
}

}  // namespace gradnet
