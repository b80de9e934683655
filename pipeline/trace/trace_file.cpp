#include "pipeline/trace/trace_file.h"

#include <stdexcept>
#include <utility>

#include "pipeline/trace/hdf5_handles.h"

namespace poisonsim {

TraceFile TraceFile::create(const std::string& path, bool swmr) {
  hdf5::silence_errors();
  // No modification times in object headers: the same run must give the same bytes.
  hdf5::Hid fcpl(hdf5::must(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate"), H5Pclose);
  hdf5::must(H5Pset_obj_track_times(fcpl.get(), false), "H5Pset_obj_track_times");
  hdf5::Hid fapl(hdf5::must(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  if (swmr) {
    hdf5::must(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST),
               "H5Pset_libver_bounds");
    // The root's dozen attributes stay in its object header: in the latest format more than 8
    // move to "dense" storage, which HDF5 1.10's H5Ocopy (sweep assembly) crashes on.
    hdf5::must(H5Pset_attr_phase_change(fcpl.get(), 64, 48), "H5Pset_attr_phase_change");
  }
  auto file = std::make_shared<hdf5::OpenFile>();
  file->path = path;
  file->id = hdf5::owned(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose,
                         path, "cannot create the trace file");
  return TraceFile(std::move(file));
}

TraceFile TraceFile::open(const std::string& path) {
  hdf5::silence_errors();
  auto file = std::make_shared<hdf5::OpenFile>();
  file->path = path;
  file->id = hdf5::owned(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, path,
                         "cannot open the trace file for writing");
  return TraceFile(std::move(file));
}

TraceFile::TraceFile(std::shared_ptr<hdf5::OpenFile> file) : file_(std::move(file)) {}

const hdf5::OpenFile& TraceFile::open_file() const {
  if (!file_) throw std::logic_error("TraceFile used after close()");
  return *file_;
}

void TraceFile::start_swmr_write() {
  const auto& file = open_file();
  hdf5::check(H5Fstart_swmr_write(file.id.get()), file.path, "cannot start SWMR writing");
}

const std::string& TraceFile::path() const { return open_file().path; }

void TraceFile::flush() {
  const auto& file = open_file();
  hdf5::check(H5Fflush(file.id.get(), H5F_SCOPE_LOCAL), file.path, "cannot flush the trace file");
}

void TraceFile::close() { file_.reset(); }

}  // namespace poisonsim
