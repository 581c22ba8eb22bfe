"""The compiler: resolves raw specs into typed IR in ordered passes, then generates the build outputs."""
