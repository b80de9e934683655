#pragma once
// Copies the rows of one trace into a writer: a resumed run starts its trace with the rows the
// interrupted run had written up to its checkpoint.
#include <string>

namespace poisonsim {

class RowSink;

// Hands every row of the trace at the root of `source` to `sink`, table by table, reading the
// samples table in blocks. UserError naming `source` when it is not a trace.
void copy_trace_rows(const std::string& source, RowSink& sink);

}  // namespace poisonsim
