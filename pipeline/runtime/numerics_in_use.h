#pragma once
// What the numeric libraries actually run, read back from each of them after they loaded: the
// numerics mode asked for (numerics_mode.h) is only in effect when every library took its pin.
// This is what the trace, the sweep's run table and the pretrained-model cache key record.
#include <string>

namespace poisonsim {

enum class NumericsMode;

struct NumericsInUse {
  std::string mode;             // "portable" or "native": what the process asked for
  std::string blas_kernel;      // OpenBLAS's core ("Haswell", "Cooperlake", ...); "" if no OpenBLAS
  std::string onednn_isa;       // oneDNN's effective ISA ("avx2", "avx512_core_amx", ...)
  std::string aten_capability;  // ATen's dispatched CPU capability ("AVX2", "AVX512", "DEFAULT")

  // Portable asked for and every library at its x86-64-v3 pin.
  bool portable_in_effect() const;
  // "portable: OpenBLAS Haswell, oneDNN avx2, ATen AVX2"
  std::string describe() const;
  // A warning when portable was asked for but a library runs something else ("" if fine).
  std::string warning() const;
};

// Read from the libraries once per process.
NumericsInUse numerics_in_use();

}  // namespace poisonsim
