// Declares a type the shipped PHOLD plugin already declares.
#include <strata/strata.hpp>
namespace {
struct Dup final : strata::Component {
  explicit Dup(const strata::ComponentContext& c) : Component(c) {}
};
}  // namespace
STRATA_PLUGIN("duplicate", "1", "declares bench.phold_lp again", strata::component<Dup>("bench.phold_lp"))
