// The models firstwall knows, by name, with one line of help each (`firstwall models`).
#pragma once

#include <string>
#include <vector>

namespace models {

struct ModelInfo {
  std::string domain;  // workload, gpu, memory, network, power, cooling
  std::string name;
  std::string help;
};

std::vector<ModelInfo> registered_models();

}  // namespace models
