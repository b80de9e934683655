#include "guards/per_sample/top_eigen.h"

#include <limits>
#include <stdexcept>
#include <string>

// Reference LAPACK (liblapack.so.3, as LibTorch's and FAISS's). The trailing lengths are
// gfortran's hidden arguments for the character arguments.
extern "C" void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n,
                        double* a, const int* lda, const double* vl, const double* vu,
                        const int* il, const int* iu, const double* abstol, int* m, double* w,
                        double* z, const int* ldz, int* isuppz, double* work, const int* lwork,
                        int* iwork, const int* liwork, int* info, size_t jobz_len, size_t range_len,
                        size_t uplo_len);

namespace poisonsim {

TopEigen top_eigenpairs(const torch::Tensor& a, int64_t count) {
  const int n = static_cast<int>(a.size(0));
  if (a.dim() != 2 || a.size(1) != n || count < 1 || count > n)
    throw std::logic_error("top_eigenpairs: a square matrix and 1 <= count <= n");
  // Column-major is row-major transposed: the same matrix for a symmetric one ("L" there is
  // the upper triangle here, and both triangles are filled).
  auto work_matrix = a.to(torch::kDouble).contiguous().clone();
  const int il = n - static_cast<int>(count) + 1, iu = n;
  const double unused = 0;
  // The safe minimum: eigenvalues to full accuracy (LAPACK's recommendation for dsyevr).
  const double abstol = std::numeric_limits<double>::min();
  int found = 0, info = 0;
  std::vector<double> w(static_cast<size_t>(n));
  auto z = torch::empty({count, n}, torch::kDouble);  // column-major n x count
  std::vector<int> isuppz(2 * static_cast<size_t>(count));
  double work_size = 0;
  int iwork_size = 0, query = -1;
  dsyevr_("V", "I", "L", &n, work_matrix.data_ptr<double>(), &n, &unused, &unused, &il, &iu,
          &abstol, &found, w.data(), z.data_ptr<double>(), &n, isuppz.data(), &work_size, &query,
          &iwork_size, &query, &info, 1, 1, 1);
  if (info != 0) throw std::runtime_error("dsyevr workspace query failed: " + std::to_string(info));
  const int lwork = static_cast<int>(work_size), liwork = iwork_size;
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevr_("V", "I", "L", &n, work_matrix.data_ptr<double>(), &n, &unused, &unused, &il, &iu,
          &abstol, &found, w.data(), z.data_ptr<double>(), &n, isuppz.data(), work.data(), &lwork,
          iwork.data(), &liwork, &info, 1, 1, 1);
  if (info != 0 || found != count)
    throw std::runtime_error("dsyevr failed: info " + std::to_string(info));
  // LAPACK returns them ascending; the largest first here.
  TopEigen out;
  for (int64_t j = count - 1; j >= 0; --j) out.values.push_back(w[static_cast<size_t>(j)]);
  out.vectors = z.flip(0).t().contiguous();
  return out;
}

torch::Tensor top_right_singular_vectors(const torch::Tensor& centred, int64_t count) {
  return top_eigenpairs(centred.t().matmul(centred), count).vectors;
}

}  // namespace poisonsim
