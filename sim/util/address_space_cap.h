#pragma once
// A temporary cap on this process's address space. HDF5 1.10.8 allocates whatever a corrupt
// header claims (gigabytes for one damaged attribute of a small checkpoint); under a memory
// limit the out-of-memory killer then ends the process without a word. Capped, the allocation
// fails instead, and HDF5 reports it as an error the caller turns into one `error:` line.
// No cap under AddressSanitizer, which maps its own memory as it goes.
#include <sys/resource.h>

#include <cstdint>

namespace poisonsim {

class AddressSpaceCap {
 public:
  // Caps the address space at its current size plus `extra_bytes` (never raising a lower cap).
  explicit AddressSpaceCap(uint64_t extra_bytes);
  // Restores the previous cap.
  ~AddressSpaceCap();
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  struct rlimit previous_ {};
  bool set_ = false;
};

}  // namespace poisonsim
