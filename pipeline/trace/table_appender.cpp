#include "pipeline/trace/table_appender.h"

#include <stdexcept>
#include <string>

#include "pipeline/trace/hdf5_attributes.h"

namespace poisonsim::hdf5 {

TableAppender::TableAppender(hid_t parent, const trace_schema::Table& table, int compression,
                             int64_t chunk_rows, const std::string& where)
    : table_(&table),
      chunk_rows_(chunk_rows),
      where_(where),
      memory_type_(trace_schema::memory_type(table)) {
  const std::string context = std::string("cannot create table '") + table.name + "'";
  Hid dcpl(must(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"), H5Pclose);
  const hsize_t chunk = static_cast<hsize_t>(chunk_rows);
  must(H5Pset_chunk(dcpl.get(), 1, &chunk), "H5Pset_chunk");
  // Deterministic bytes: no modification times, and the unwritten tail of a chunk is zeros.
  must(H5Pset_obj_track_times(dcpl.get(), false), "H5Pset_obj_track_times");
  must(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_ALLOC), "H5Pset_fill_time");
  // The column attributes (two per column) stay in the object header: HDF5 1.10's H5Ocopy,
  // which assembles sweep files, crashes on variable-length attributes in dense storage.
  must(H5Pset_attr_phase_change(dcpl.get(), 64, 48), "H5Pset_attr_phase_change");
  if (compression > 0) {
    // Shuffle groups equal bytes of consecutive rows, which deflate then compresses far better.
    must(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
    must(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(compression)), "H5Pset_deflate");
  }
  const hsize_t empty = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  Hid space = owned(H5Screate_simple(1, &empty, &unlimited), H5Sclose, where, context);
  Hid file_type = trace_schema::file_type(table);
  dataset_ = owned(H5Dcreate2(parent, table.name, file_type.get(), space.get(), H5P_DEFAULT,
                              dcpl.get(), H5P_DEFAULT),
                   H5Dclose, where, context);
  // Created now, before SWMR writing starts (which allows no new attributes).
  for (const auto& column : table.columns) {
    const std::string name = column.name;
    write_string_attribute(dataset_.get(), (name + ".units").c_str(), column.units, where);
    write_string_attribute(dataset_.get(), (name + ".description").c_str(), column.description,
                           where);
  }
  buffer_.reserve(static_cast<size_t>(chunk_rows) * table.row_size);
}

void TableAppender::append(const void* rows, size_t count) {
  if (!dataset_.valid()) {
    throw std::logic_error(std::string("trace table '") + table_->name + "' appended after close");
  }
  const auto* bytes = static_cast<const unsigned char*>(rows);
  buffer_.insert(buffer_.end(), bytes, bytes + count * table_->row_size);
  if (buffered() >= chunk_rows_) write_buffered();
}

void TableAppender::overwrite_byte(const char* column, size_t offset, const int64_t* rows,
                                   size_t count, uint8_t value) {
  if (!dataset_.valid())
    throw std::logic_error(std::string("trace table '") + table_->name + "' changed after close");
  std::vector<hsize_t> on_disk;
  for (size_t i = 0; i < count; ++i) {
    if (rows[i] < 0 || rows[i] >= this->rows())
      throw std::logic_error(std::string("trace table '") + table_->name + "': no row " +
                             std::to_string(rows[i]));
    if (rows[i] >= written_)
      buffer_[static_cast<size_t>(rows[i] - written_) * table_->row_size + offset] = value;
    else
      on_disk.push_back(static_cast<hsize_t>(rows[i]));
  }
  if (on_disk.empty()) return;
  // A partial write: a memory type with only this column leaves the others as they are.
  const std::string context = std::string("cannot update table '") + table_->name + "'";
  Hid type(must(H5Tcreate(H5T_COMPOUND, 1), "H5Tcreate"), H5Tclose);
  must(H5Tinsert(type.get(), column, 0, H5T_NATIVE_UINT8), "H5Tinsert");
  Hid file_space = owned(H5Dget_space(dataset_.get()), H5Sclose, where_, context);
  check(H5Sselect_elements(file_space.get(), H5S_SELECT_SET, on_disk.size(), on_disk.data()),
        where_, context);
  const hsize_t n = on_disk.size();
  Hid memory_space = owned(H5Screate_simple(1, &n, nullptr), H5Sclose, where_, context);
  const std::vector<uint8_t> values(on_disk.size(), value);
  check(H5Dwrite(dataset_.get(), type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT,
                 values.data()),
        where_, context);
}

void TableAppender::write_buffered() {
  const hsize_t count = static_cast<hsize_t>(buffered());
  if (count == 0) return;
  const std::string context = std::string("cannot write table '") + table_->name + "'";
  const hsize_t start = static_cast<hsize_t>(written_);
  const hsize_t new_size = start + count;
  check(H5Dset_extent(dataset_.get(), &new_size), where_, context);
  Hid file_space = owned(H5Dget_space(dataset_.get()), H5Sclose, where_, context);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
        where_, context);
  Hid memory_space = owned(H5Screate_simple(1, &count, nullptr), H5Sclose, where_, context);
  check(H5Dwrite(dataset_.get(), memory_type_.get(), memory_space.get(), file_space.get(),
                 H5P_DEFAULT, buffer_.data()),
        where_, context);
  written_ += static_cast<int64_t>(count);
  buffer_.clear();
}

void TableAppender::flush() {
  write_buffered();
  check(H5Dflush(dataset_.get()), where_, std::string("cannot flush table '") + table_->name + "'");
}

void TableAppender::abandon() {
  dataset_.abandon();
  memory_type_.reset();
}

void TableAppender::release() {
  dataset_.reset();
  memory_type_.reset();
}

}  // namespace poisonsim::hdf5
