// A shared library that is not a Strata plugin (no manifest symbols).
extern "C" __attribute__((visibility("default"))) int some_other_entry_point() { return 42; }
