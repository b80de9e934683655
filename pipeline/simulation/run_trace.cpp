#include "pipeline/simulation/run_trace.h"

#include <spdlog/spdlog.h>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_in_use.h"
#include "pipeline/runtime/provenance.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/trace/trace_writer.h"
#include "poisonsim_version.h"

namespace poisonsim {

std::unique_ptr<TraceWriter> create_run_trace(const Scenario& s, const std::string& path,
                                              int threads) {
  const BlasInfo blas = blas_info();
  TraceMetadata meta(s.resolved_yaml, s.seed, POISONSIM_VERSION);
  meta.cpu = cpu_info().describe();
  meta.blas = blas.describe();
  meta.blas_kernel = blas.kernel;
  const NumericsInUse numerics = numerics_in_use();
  meta.numerics = numerics.describe();
  if (!numerics.warning().empty()) spdlog::warn("{}", numerics.warning());
  meta.provenance = provenance_json(threads);
  TraceOptions trace_options;
  trace_options.samples = s.trace.samples;
  trace_options.compression = static_cast<int>(s.trace.compression);
  trace_options.chunk_rows = s.trace.chunk_rows;
  trace_options.flush_seconds = s.trace.flush_seconds;
  return TraceWriter::create_file(path, meta, trace_options);
}

}  // namespace poisonsim
