#pragma once
// NumPy arrays of what a python defense stage is given beyond a batch's values (which
// pipeline/python/numpy_views.h copies): the guard context. Private to guards/python/.
#include <cstdint>
#include <vector>

#include <pybind11/numpy.h>

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/sample_guard.h"
#include "pipeline/python/numpy_views.h"

namespace poisonsim::python {

// What attach(context) gives: seed, feature_dim, num_classes, image_shape and the trusted split's
// images and labels (read-only views). Call with the GIL held.
py::object context_namespace(const GuardContext& context);

}  // namespace poisonsim::python
