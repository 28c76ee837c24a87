// strata/strata.hpp - the whole SDK in one include, for plugin authors.
#pragma once
#include <strata/component.hpp>
#include <strata/params.hpp>
#include <strata/plugin.hpp>
#include <strata/rng.hpp>
#include <strata/stats.hpp>
#include <strata/suggest.hpp>
#include <strata/transaction.hpp>
#include <strata/transactions.hpp>
#include <strata/units.hpp>
