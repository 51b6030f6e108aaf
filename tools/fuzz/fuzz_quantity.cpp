// libFuzzer target: the quantity parser (sim/quantity.hpp) and the sweep axis values
// (models/study/axis.hpp), on arbitrary text. The first byte picks the expected dimension;
// the rest is the text. Every parser must return a value or an error message, never crash,
// hang or read out of bounds (AddressSanitizer, UndefinedBehaviorSanitizer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "models/study/axis.hpp"
#include "sim/quantity.hpp"

namespace {

constexpr sim::Dim kDims[] = {sim::dims::none,
                              sim::dims::time,
                              sim::dims::frequency,
                              sim::dims::energy,
                              sim::dims::power,
                              sim::dims::bytes,
                              sim::dims::byte_rate,
                              sim::dims::flops,
                              sim::dims::flop_rate,
                              sim::dims::temperature,
                              sim::dims::thermal_resistance,
                              sim::dims::heat_capacity,
                              sim::dims::volume,
                              sim::dims::volume_flow,
                              sim::dims::mass,
                              sim::dims::mass_flow};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const sim::Dim dim = kDims[data[0] % (sizeof kDims / sizeof kDims[0])];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto q = sim::parse_quantity(text, dim);
  if (const double* v = std::get_if<double>(&q)) (void)sim::format_quantity(*v, dim);
  (void)sim::parse_temperature_difference(text);
  const auto any = sim::parse_any_quantity(text);
  if (const auto* p = std::get_if<sim::ParsedQuantity>(&any))
    (void)sim::format_quantity(p->value, p->dim);

  // An axis's values as written after `--axis PATH=`: a list, a range, a log range.
  sim::config::Diagnostics diags;
  if (auto axis = models::study::parse_axis("fuzz.axis", text, {"--axis", 1, 1}, diags)) {
    // What read_study does with an axis next: its values, or a continuous range's ends.
    if (axis->values.empty()) {
      (void)models::study::value_at(*axis, 0.0);
      (void)models::study::value_at(*axis, 1.0);
    }
  }
  (void)diags.str();
  (void)models::study::number_and_unit(text);
  return 0;
}
