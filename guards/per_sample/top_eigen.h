#pragma once
// The few largest eigenpairs of a symmetric matrix, which is all the window sanitizers need of
// their spectra (spectral signatures and Sever: the top one; activation clustering: `components`
// of them). LAPACK's dsyevr with an index range computes only those (bisection and inverse
// iteration after the tridiagonal reduction), where a full SVD or eigendecomposition per class
// spent most of a window's time on vectors nobody reads; the k-NN guard's `index: hnsw` projects
// its bank with it too. Included only by .cpp files of guards/ (it brings in LibTorch).
#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace poisonsim {

struct TopEigen {
  std::vector<double> values;  // the `count` largest eigenvalues, largest first
  torch::Tensor vectors;       // n x count (double): column j is values[j]'s unit eigenvector
};

// The `count` (1..n) largest eigenpairs of the symmetric n x n double matrix `a` (its lower
// triangle is read). std::runtime_error if LAPACK fails.
TopEigen top_eigenpairs(const torch::Tensor& a, int64_t count);

// The top `count` right singular vectors of the centred rows `centred` (rows x dim, double), as a
// dim x count matrix: eigenvectors of centred' centred, so a direction is found from a dim x dim
// matrix whatever the number of rows.
torch::Tensor top_right_singular_vectors(const torch::Tensor& centred, int64_t count);

}  // namespace poisonsim
