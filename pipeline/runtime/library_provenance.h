#pragma once
// The numeric libraries' part of the provenance (provenance.h): what this process loaded and runs.
#include <string>

namespace poisonsim {

// A JSON object: BLAS library and kernel, numerics mode and the kernels in effect, LibTorch,
// oneDNN and oneTBB versions, thread settings (LibTorch, scoring, BLAS, OpenMP wait policy).
std::string library_provenance_json(int scoring_threads);

}  // namespace poisonsim
