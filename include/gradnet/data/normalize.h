// Normalizer: preprocessing fitted on the training split only, then applied unchanged to train,
// validation, test and `gradnet predict` inputs (CS231n: statistics of the training data, never
// of the data evaluated). Two families (docs/data.md):
//
// Per feature, x' = (x - mean[j]) / std[j]:
//   none         mean = 0, std = 1 (no vectors stored: apply() is a no-op)
//   scale01      images (3-d shape): x / 255, i.e. mean = 0, std = 255;
//                other data: per-feature min-max to [0, 1] on train: mean = min, std = max - min
//   standardize  images (3-d shape C, H, W): per-channel mean and population std over all the
//                channel's pixels on train; other data: per-feature (double accumulation)
// A feature constant on train (an MNIST corner pixel) gets std = 1, as sklearn's StandardScaler
// does: it maps to 0 on train, and a test value there stays finite instead of being divided by
// a tiny epsilon.
//
// Rotations (src/data/whiten.cpp), x' = (x - mean) · matrix with the train covariance
// C = (X - mean)ᵀ(X - mean) / N = U diag(λ) Uᵀ (eigenvalues descending, each eigenvector's
// largest-magnitude component positive, so a fit is reproducible):
//   pca          matrix = U[:, :k]                          (k = pca_components, 0: all)
//   pca_whiten   matrix = U[:, :k] diag(1 / sqrt(λ + ε))    ("whiten" is the same method)
//   zca          matrix = U diag(1 / sqrt(λ + ε)) Uᵀ        (symmetric; the shape is kept)
// ε = whiten_epsilon × mean(λ) (the average per-feature variance; whiten_epsilon alone when that
// is 0), so the same setting works for pixels in 0..255 and in [0, 1].
//
// Every fitted number is a plain vector so a run directory and a checkpoint can save it
// (write_normalizer / read_normalizer below).
#pragma once

#include <string>
#include <vector>

#include "gradnet/data/dataset.h"
#include "gradnet/data/options.h"

namespace gradnet {

struct SafetensorsFile;

struct Normalizer {
  NormalizeMethod method = NormalizeMethod::none;
  // Settings read by fit() (data.whiten_epsilon, data.pca_components).
  double whiten_epsilon = 0.01;
  Index pca_components = 0;
  // Fitted state.
  std::vector<float> mean, std;    // one entry per input feature; std only for the per-feature methods
  std::vector<float> matrix;       // rotations: (features, outputs) row-major
  std::vector<float> eigenvalues;  // rotations: the train covariance's eigenvalues, descending (all of them)
  double epsilon = 0;              // rotations: the ε added to each eigenvalue (pca: 0)

  bool rotation() const;  // pca, pca_whiten, whiten, zca
  Index input_features() const { return static_cast<Index>(mean.size()); }
  // Features per example after apply(): pca/pca_whiten with k components: k; else the input's.
  Index output_features() const;

  // Error{config} for pca_components above the feature count, Error{data} for an empty training set
  // or (rotations) a non-finite value. whiten_epsilon > 0 and pca_components >= 0 (the config's bounds).
  void fit(const Dataset& train);
  // Error{shape} naming d.source when d's feature count differs from the fitted one. A rotation
  // with k components makes d.shape {k}.
  void apply(Dataset& d) const;
  // rows: (n, features), in place; a rotation writes (n, output_features()) packed from rows[0]
  // and allocates a block buffer, the per-feature methods allocate nothing (apply per batch).
  void apply(float* rows, Index n, Index features) const;
};

// Fits `method` on train and returns it (the usual one-liner).
Normalizer fit_normalizer(NormalizeMethod method, const Dataset& train, double whiten_epsilon = 0.01,
                          Index pca_components = 0);

// The per-example shape `method` turns `in` into: {k} for pca/pca_whiten with k components, else in.
Shape normalized_shape(NormalizeMethod method, Index pca_components, const Shape& in);

// The fitted state as safetensors entries: tensors <prefix>mean, <prefix>std, <prefix>matrix
// (features x outputs), <prefix>eigenvalues; metadata <method_key> = method and, for rotations,
// <prefix>epsilon, <prefix>whiten_epsilon, <prefix>pca_components (doubles printed exactly).
void write_normalizer(SafetensorsFile& file, const Normalizer& n, const std::string& prefix,
                      const std::string& method_key);
// Error{checkpoint} naming path for anything missing, unknown or of inconsistent size.
Normalizer read_normalizer(const SafetensorsFile& file, const std::string& prefix, const std::string& method_key,
                           const std::string& path);

}  // namespace gradnet
