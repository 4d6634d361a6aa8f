// PCA / PCA-whitening / ZCA for Normalizer (normalize.h), private to src/data.
#pragma once

#include "gradnet/data/normalize.h"

namespace gradnet::data_detail {

// Fills n.mean, n.matrix, n.eigenvalues and n.epsilon from train, for n.method in
// pca | pca_whiten | whiten | zca with n.whiten_epsilon and n.pca_components.
void fit_rotation(Normalizer& n, const Dataset& train);

// out = (in - n.mean) · n.matrix for `rows` rows: in is (rows, features), out (rows, outputs).
// out may be in itself (rows are then packed with stride outputs): each block of rows is copied
// before its results are written.
void apply_rotation(const Normalizer& n, const float* in, float* out, Index rows);

}  // namespace gradnet::data_detail
