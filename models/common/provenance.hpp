// The provenance block of a generated calibration file (the serving overhead, the GPU power
// coefficients): how to regenerate it, and what it was fitted on. Only what a test checks is
// read back; the documented rest of the block is accepted as it is.
//
//   provenance:
//     command: "..."        # regenerates the file, run from the repository root
//     input: {file: "...", sha256: "...", rows: 420}
//     <documented keys>     # date, method, fits, errors ... for people
#pragma once

#include <initializer_list>
#include <string>

#include "sim/config.hpp"

namespace models {

struct Provenance {
  std::string command;
  std::string input_file;
  std::string input_sha256;
};

// Reads the `provenance` section of `top` (required) and finishes it; `documented` are the
// further keys it may hold.
inline Provenance read_provenance(sim::config::Reader& top,
                                  std::initializer_list<const char*> documented) {
  using sim::config::Bounds;
  using sim::config::Need;
  Provenance p;
  sim::config::Reader pv = top.section("provenance", Need::required);
  p.command = pv.string("command", Need::required).value_or("");
  {
    sim::config::Reader input = pv.section("input", Need::required);
    p.input_file = input.string("file", Need::required).value_or("");
    p.input_sha256 = input.string("sha256", Need::required).value_or("");
    (void)input.integer("rows", Need::optional, Bounds::at_least(1));
    input.finish();
  }
  for (const char* key : documented) (void)pv.node(key, Need::optional);
  pv.finish();
  return p;
}

}  // namespace models
