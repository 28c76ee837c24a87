// A valid manifest whose component constructor throws: the build must report it, naming
// the component, its type and the plugin file.
#include <strata/strata.hpp>
#include <stdexcept>
namespace {
struct Boom final : strata::Component {
  explicit Boom(const strata::ComponentContext& c) : Component(c) {
    throw strata::ConfigError("boom: this component refuses to be built");
  }
};
}  // namespace
STRATA_PLUGIN("throwing", "1", "constructor throws", strata::component<Boom>("test.boom"))
