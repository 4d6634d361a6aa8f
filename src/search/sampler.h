// Samplers: random (trial k of a stage depends only on (seed, stage, k)), grid (every combination
// of discrete dims in a fixed order), and the coarse-to-fine narrowing of a space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/search/study.h"

namespace gradnet::search {

// A numeric dim's value as --set takes it: an integer for int/int_log, else a float literal.
std::string value_literal(const SpaceDim& dim, double value);
// `steps` points from low to high inclusive (log-spaced for log dims; integers deduplicated).
std::vector<std::string> step_points(const SpaceDim& dim, std::int64_t steps);
// A discrete dim: choice, grid, or a numeric one with steps (its points in choices).
inline bool is_discrete(const SpaceDim& dim) { return !dim.choices.empty(); }

std::vector<ParamValue> sample_random(const std::vector<SpaceDim>& space, std::uint64_t seed, int stage,
                                      std::int64_t k);
// Combinations of the grid: the product of the dims' value counts (every dim must be discrete).
std::int64_t grid_size(const std::vector<SpaceDim>& space);
// Combination k: the last dim varies fastest.
std::vector<ParamValue> grid_point(const std::vector<SpaceDim>& space, std::int64_t k);

// The space of a stage that narrows: each numeric dim centred on best's value with `narrow` x the
// previous stage's width (log width for log dims), clipped to the spec's range; discrete choices
// stay (stepped dims get their points anew in the narrowed range).
std::vector<SpaceDim> narrow_space(const std::vector<SpaceDim>& previous, const std::vector<SpaceDim>& original,
                                   const std::vector<ParamValue>& best, double narrow);

}  // namespace gradnet::search
