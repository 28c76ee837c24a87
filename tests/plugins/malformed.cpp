// A manifest with a badly named type and two ports of the same name.
#include <strata/strata.hpp>
namespace {
struct M final : strata::Component {
  explicit M(const strata::ComponentContext& c) : Component(c) {}
};
}  // namespace
STRATA_PLUGIN("malformed", "1", "broken on purpose",
              strata::component<M>("NoFamily").port("x", strata::PortDir::in, "p", "").port("x", strata::PortDir::in,
                                                                                          "p", ""))
