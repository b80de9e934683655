#pragma once
// An open HDF5 file that holds traces: one run at the root (`poisonsim run`) or, for sweeps, one
// run per group (runs/<id>). Copies share the same open file.
#include <memory>
#include <string>

namespace poisonsim {

namespace hdf5 {
struct OpenFile;
}

class TraceFile {
 public:
  // Creates `path`, truncating an existing file. UserError(path, ...) when it cannot. With
  // `swmr`, in HDF5's latest format, which SWMR writing needs (TraceWriter::create_file starts
  // it once every object exists); HDF5 1.10 or later reads such a file.
  static TraceFile create(const std::string& path, bool swmr = false);
  // Opens an existing file to add runs to it. UserError(path, ...) when it cannot.
  static TraceFile open(const std::string& path);

  const std::string& path() const;
  // Writes what HDF5 has cached to disk (writers flush their own row buffers in flush()).
  void flush();
  // Drops this handle; writers created from it keep the file open until they are closed.
  void close();

 private:
  friend class TraceWriter;
  explicit TraceFile(std::shared_ptr<hdf5::OpenFile> file);
  const hdf5::OpenFile& open_file() const;
  // From here on no object may be created, and every flush leaves a file that SWMR readers
  // (and, after a failed write, everyone) can read.
  void start_swmr_write();
  std::shared_ptr<hdf5::OpenFile> file_;
};

}  // namespace poisonsim
