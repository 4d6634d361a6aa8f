// check_toml_depth: a lexical pass over TOML text before toml++ sees it. toml++ 3.3 recurses once
// per part of a dotted key (k.k.k... = 1, [a.a.a...]) and has no limit of its own (upstream added
// TOML_MAX_DOTTED_KEYS_DEPTH later): ~50,000 parts overflow the stack. The pass counts the dots
// of each run of key parts and the nesting of brackets and braces, outside strings and comments.
#include "toml_reader.h"

#include "gradnet/error.h"

namespace gradnet::config_reader {

namespace {

bool bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Skips the string starting at text[i] (a quote); returns the index after its closing quote, or
// text.size() when it is never closed (toml++ then reports it). Counts the newlines it passes.
std::size_t skip_string(std::string_view text, std::size_t i, std::size_t& line) {
  const char q = text[i];
  const bool triple = text.substr(i, 3) == std::string(3, q);
  std::size_t j = i + (triple ? 3 : 1);
  while (j < text.size()) {
    const char c = text[j];
    if (c == '\\' && q == '"') {
      j += 2;
      continue;
    }
    if (c == '\n') {
      if (!triple) return j;  // an unterminated one-line string: toml++ reports it
      ++line;
    }
    if (c == q && (!triple || text.substr(j, 3) == std::string(3, q))) {
      j += triple ? 3 : 1;
      while (triple && j < text.size() && text[j] == q) ++j;  // """a"""" ends with a quote in the string
      return j;
    }
    ++j;
  }
  return j;
}

}  // namespace

void check_toml_depth(std::string_view text, const std::string& source) {
  std::size_t line = 1, dots = 0, depth = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = skip_string(text, i, line);  // a quoted key part continues the run of parts
      continue;
    }
    if (c == '.') {
      if (++dots >= kMaxTomlKeyParts)
        fail(ErrorKind::config, "{}: line {}: a dotted key with more than {} parts; gradnet reads at most {}", source,
             line, kMaxTomlKeyParts, kMaxTomlKeyParts);
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxTomlNesting)
        fail(ErrorKind::config, "{}: line {}: arrays or tables nested more than {} deep; gradnet reads at most {}",
             source, line, kMaxTomlNesting, kMaxTomlNesting);
      dots = 0;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
      dots = 0;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    } else if (c == '\n') {
      ++line;
      dots = 0;
    } else if (!bare_key_char(c) && c != ' ' && c != '\t') {
      dots = 0;
    }
    ++i;
  }
}

}  // namespace gradnet::config_reader
