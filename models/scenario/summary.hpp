// The /summary row of a finished run: the run's own figures, the workload's, the plant's,
// and the few that need both (energy per output token).
#pragma once

#include "models/common/metric.hpp"

namespace models {

struct RunResult;

Metrics summarize(const RunResult& run);

}  // namespace models
