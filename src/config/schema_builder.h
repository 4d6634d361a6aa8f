// Private to src/config: the builder the schema's section functions use to declare keys.
// A key is declared once: field(section, &Config::sub, &Sub::member, name, kind, doc) plus bounds.
// An enum member (enum_names.h) is a string key whose choices are the enum's words.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "gradnet/enum_names.h"
#include "gradnet/error.h"
#include "schema.h"

namespace gradnet::config_schema {

template <typename T>
inline Value to_value(const T& v) {
  if constexpr (std::is_same_v<T, std::uint64_t>) return Value(static_cast<std::int64_t>(v));
  else if constexpr (NamedEnum<T>) return Value(std::string(name_of(v)));
  else return Value(v);
}

template <typename T>
inline T from_value(const Value& v) {
  if constexpr (std::is_same_v<T, double>) {
    if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
    return std::get<double>(v);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return static_cast<std::uint64_t>(std::get<std::int64_t>(v));
  } else if constexpr (NamedEnum<T>) {
    const auto e = parse_enum<T>(std::get<std::string>(v));
    GRADNET_ASSERT(e.has_value());  // the word was checked against the choices before
    return *e;
  } else {
    return std::get<T>(v);
  }
}

// A key under construction: field(...).above(0).one_of(...), then .key.
struct Builder {
  ConfigKey key;
  Builder& above(double v) { key.spec.min = v; key.min_open = true; return *this; }
  Builder& at_least(double v) { key.spec.min = v; return *this; }
  Builder& below(double v) { key.spec.max = v; key.max_open = true; return *this; }
  Builder& at_most(double v) { key.spec.max = v; return *this; }
  Builder& one_of(std::vector<std::string> c) { key.spec.choices = std::move(c); return *this; }
  Builder& rule(std::string doc, std::function<std::string(const Value&)> f) {
    key.rule_doc = std::move(doc);
    key.check = std::move(f);
    return *this;
  }
  Builder& required() { key.spec.default_value.reset(); return *this; }
};

template <typename S, typename T>
Builder field(const char* section, S Config::*sub, T S::*member, const char* name, ValueKind kind,
              std::string doc) {
  Builder b;
  b.key.section = section;
  b.key.spec.name = name;
  b.key.spec.kind = kind;
  b.key.spec.doc = std::move(doc);
  b.key.get = [sub, member](const Config& c) { return to_value((c.*sub).*member); };
  b.key.set = [sub, member](Config& c, const Value& v) { (c.*sub).*member = from_value<T>(v); };
  b.key.spec.default_value = b.key.get(Config{});
  if constexpr (NamedEnum<T>) b.key.spec.choices = enum_words<T>();  // the enum's words, in its order
  return b;
}

using K = ValueKind;

// The keys of one section, appended to v in to_toml order.
class Section {
 public:
  explicit Section(std::vector<ConfigKey>& v) : v_(v) {}
  void add(const Builder& b) { v_.push_back(b.key); }
  std::vector<ConfigKey>& keys() { return v_; }

 private:
  std::vector<ConfigKey>& v_;
};

// The sections declared in schema_run.cpp: how a run is kept, stopped and watched.
void checkpoint_keys(Section v);
void early_stopping_keys(Section v);
void divergence_keys(Section v);
void monitor_keys(Section v);
// train.sync_batch_norm (data-parallel training under mpirun), also in schema_run.cpp.
void data_parallel_keys(Section v);
// [augment], declared in schema_augment.cpp.
void augment_keys(Section v);
// Transfer learning (schema_transfer.cpp): data.classes and data.train_per_class (appended to
// [data]), and train.init_from ... train.unfreeze (appended to [train]).
void class_subset_keys(Section v);
void transfer_keys(Section v);
// [data] keys of image folders, declared in schema_data_files.cpp.
void image_folder_keys(Section v);
// train.input_noise* and [pretrain], declared in schema_autoencoder.cpp.
void denoising_keys(Section v);
void pretrain_keys(Section v);
// [optimizer], declared in schema_optimizer.cpp.
void optimizer_keys(Section v);

}  // namespace gradnet::config_schema
