// SEARCH.toml -> SearchSpec, every key validated (docs/search.md is the reference).
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "../config/toml_reader.h"
#include "gradnet/config.h"
#include "gradnet/error.h"
#include "sampler.h"
#include "spec_reader.h"

namespace gradnet::search {
namespace fs = std::filesystem;
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int32_t>::max();

const std::vector<std::string> objectives = {"val_accuracy",   "val_loss",   "test_accuracy", "test_loss",
                                             "train_accuracy", "train_loss", "cv_accuracy",   "cv_loss"};

void read_pruner(SearchSpec& spec, const TableReader& search) {
  const toml::table* t = search.table("pruner");
  if (!t) return;
  TableReader r(*t, spec.path, "search.pruner");
  r.only({"type", "warmup_epochs", "min_trials", "reduction"});
  spec.pruner.type = r.word("type", "none", {"none", "median", "asha"});
  spec.pruner.warmup_epochs = r.integer("warmup_epochs", 1, 1, kMaxInt);
  spec.pruner.min_trials = r.integer("min_trials", 4, 1, kMaxInt);
  spec.pruner.reduction = r.integer("reduction", 3, 2, 100);
}

void read_stages(SearchSpec& spec, const TableReader& search, bool trials_given) {
  const toml::array* stages = search.array("stage");
  if (!stages) {
    spec.stages = {{spec.trials, spec.epochs, 0}};
    return;
  }
  if (stages->empty()) search.fail_at("stage", "give at least one [[search.stage]] or none");
  if (trials_given) search.fail_at("trials", "with [[search.stage]] each stage gives its own trials");
  spec.trials = 0;
  for (std::size_t i = 0; i < stages->size(); ++i) {
    const toml::table* t = (*stages)[i].as_table();
    if (!t) search.fail_at(fmt::format("stage[{}]", i), "expected a table");
    TableReader r(*t, spec.path, fmt::format("search.stage[{}]", i));
    r.only({"trials", "epochs", "narrow"});
    if (!r.has("trials")) r.fail_at("trials", "missing: how many trials this stage runs");
    StageSpec stage{r.integer("trials", 0, 1, 1000000), r.integer("epochs", spec.epochs, 0, kMaxInt),
                    r.number("narrow", 0, std::numeric_limits<double>::min(), 1)};
    if (i == 0 && r.has("narrow")) r.fail_at("narrow", "the first stage has nothing to narrow around");
    spec.trials += stage.trials;
    spec.stages.push_back(stage);
  }
}

void finish_grid(SearchSpec& spec, bool trials_given) {
  for (const auto& d : spec.space)
    if (!is_discrete(d))
      fail(ErrorKind::config, "{}: search.space.\"{}\": the grid sampler needs discrete values: a choice, a grid, "
           "or {} with steps = N", spec.path, clip(d.key), d.distribution);
  const std::int64_t combos = grid_size(spec.space);
  if (!trials_given && spec.stages.size() == 1) spec.trials = spec.stages[0].trials = combos;
  for (auto& s : spec.stages) s.trials = std::min(s.trials, combos);
}

void read_search(SearchSpec& spec, const toml::table& root) {
  const toml::table* t = root.get("search") ? root.get("search")->as_table() : nullptr;
  if (!t) fail(ErrorKind::config, "{}: missing the [search] table", spec.path);
  TableReader r(*t, spec.path, "search");
  r.only({"objective", "direction", "sampler", "trials", "time_budget", "seed", "max_attempts",
          "heartbeat_timeout", "epochs", "space", "pruner", "stage"});
  spec.objective = r.string("objective", "val_accuracy");
  spec.objective = r.word("objective", "val_accuracy", objectives);
  const std::string direction = r.word("direction", "auto", {"auto", "maximize", "minimize"});
  spec.maximize = direction == "auto" ? spec.objective.find("accuracy") != std::string::npos : direction == "maximize";
  spec.sampler = r.word("sampler", "random", {"random", "grid", "tpe"});
  if (spec.sampler == "tpe")
    r.fail_at("sampler", "\"tpe\" is not available in this version; use \"random\" or \"grid\"");
  const bool trials_given = r.has("trials");
  spec.trials = r.integer("trials", 20, 1, 1000000);
  spec.time_budget = r.number("time_budget", 0, 0, 1e9);
  spec.seed = static_cast<std::uint64_t>(r.integer("seed", 1, 0, std::numeric_limits<std::int64_t>::max()));
  spec.max_attempts = r.integer("max_attempts", 3, 1, 100);
  spec.heartbeat_timeout = r.number("heartbeat_timeout", 30, 1, 1e6);
  spec.epochs = r.integer("epochs", 0, 0, kMaxInt);
  const toml::table* space = r.table("space");
  if (!space) fail(ErrorKind::config, "{}: missing the [search.space] table", spec.path);
  spec.space = read_space(*space, spec.path);
  read_pruner(spec, r);
  read_stages(spec, r, trials_given);
  if (is_cv_objective(spec.objective) && spec.pruner.type != "none")
    r.fail_at("pruner", fmt::format("a {} trial reports no per-epoch values to prune on (it is k runs, one per fold): "
                                    "use type = \"none\"", spec.objective));
  if (spec.sampler == "grid") finish_grid(spec, trials_given);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GRADNET_CHECK(in.good() && !fs::is_directory(path), config, "{}: cannot read the search spec", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SearchSpec parse_search_spec(const std::string& text, const std::string& path, const std::string& base_override) {
  SearchSpec spec;
  spec.path = fs::absolute(path).lexically_normal().string();
  spec.text = text;
  config_reader::check_toml_depth(text, path);
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    fail(ErrorKind::config, "{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description());
  }
  TableReader top(root, path, "");
  top.only({"base", "name", "set", "search"});
  if (!top.has("base")) fail(ErrorKind::config, "{}: base: missing: the config every trial starts from", path);
  const std::string base = top.string("base", "");
  spec.base = base_override.empty() ? (fs::path(spec.path).parent_path() / base).lexically_normal().string()
                                    : base_override;
  spec.name = top.string("name", fs::path(path).stem().string());
  if (spec.name.empty()) top.fail_at("name", "must not be empty");
  spec.set = top.strings("set");
  for (const auto& s : spec.set)
    if (s.find('=') == std::string::npos) top.fail_at("set", fmt::format("'{}' is not KEY=VALUE", clip(s)));
  read_search(spec, root);
  return spec;
}

SearchSpec load_search_spec(const std::string& path) {
  GRADNET_CHECK(fs::exists(path), config, "{}: no such search spec", path);
  SearchSpec spec = parse_search_spec(read_text(path), path);
  GRADNET_CHECK(fs::is_regular_file(spec.base), config, "{}: base: no such config {}", path, spec.base);
  check_space_against_base(spec);
  if (is_cv_objective(spec.objective) && load_config(spec.base, spec.set).data.folds < 2)
    fail(ErrorKind::config, "{}: search.objective: {} is the mean over cross-validation folds: set data.folds = k "
         "(2 or more) in the base config {} or in `set`", path, spec.objective, spec.base);
  return spec;
}

}  // namespace gradnet::search
