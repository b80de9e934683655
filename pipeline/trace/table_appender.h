#pragma once
// One extendible, chunked, optionally compressed 1-D table: rows are buffered and appended a
// chunk at a time (and on flush), so a flushed file holds every row handed over so far.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/trace_schema.h"

namespace poisonsim::hdf5 {

class TableAppender {
 public:
  // Creates the (empty) dataset `table.name` in `parent`. `compression` 0-9, 0 = no filter.
  TableAppender(hid_t parent, const trace_schema::Table& table, int compression, int64_t chunk_rows,
                const std::string& where);

  // `rows` points at `count` row structs of the table's type.
  void append(const void* rows, size_t count);
  // Sets the one-byte column at byte `offset` of the row struct (named `column`) to `value` in the
  // given rows, written or still buffered: how a later decision on a recorded row is recorded.
  void overwrite_byte(const char* column, size_t offset, const int64_t* rows, size_t count,
                      uint8_t value);
  // Writes the buffered rows (a partial chunk too).
  void write_buffered();
  // write_buffered(), then the dataset's chunks and extent to the file (what SWMR readers see).
  void flush();
  // Rows handed over so far, written or still buffered.
  int64_t rows() const { return written_ + buffered(); }
  // Closes the dataset; rows() keeps answering.
  void release();
  // Forgets the dataset without closing it (Hid::abandon); rows() keeps answering.
  void abandon();

 private:
  int64_t buffered() const { return static_cast<int64_t>(buffer_.size() / table_->row_size); }

  const trace_schema::Table* table_;
  int64_t chunk_rows_;
  std::string where_;
  Hid dataset_;
  Hid memory_type_;
  std::vector<unsigned char> buffer_;
  int64_t written_ = 0;
};

}  // namespace poisonsim::hdf5
